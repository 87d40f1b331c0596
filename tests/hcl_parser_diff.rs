//! Differential test of the two HCL parsers: the fast hand-written one
//! (`infra_audit::syntax::hcl_parse::parse_body`) against hcl-edit's own
//! (`hcl_edit::parser::parse_body`).
//!
//! The fast parser may decline any input (`None`: the caller then uses hcl-edit's parser).
//! When it does not decline, hcl-edit's parser must accept the input too, and both trees must
//! dump the same (`infra_audit::syntax::hcl_dump::dump_body`: every node's kind, span and
//! value; decor and formatting are not compared). The inputs are every HCL file of the
//! fixtures and rule packs and the hand-written snippets below. The `hcl_parse_diff` fuzz
//! target checks the same property on generated inputs.

use infra_audit::syntax::hcl_dump::dump_body;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// How one input went.
enum Outcome {
    /// The fast parser returned a tree, and it dumps like hcl-edit's.
    Agreed,
    /// The fast parser returned `None`.
    Declined,
    /// The fast parser returned a tree and hcl-edit's parser failed, the dumps differ, or the
    /// fast parser panicked: the message says which, with the first differing lines.
    Failed(String),
}

/// Runs both parsers on `text` and compares their trees.
fn check(text: &str) -> Outcome {
    let fast = match catch_unwind(AssertUnwindSafe(|| {
        infra_audit::syntax::hcl_parse::parse_body(text)
    })) {
        Ok(fast) => fast,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            return Outcome::Failed(format!("the fast parser panicked: {msg}"));
        }
    };
    let Some(fast) = fast else {
        return Outcome::Declined;
    };
    let slow = match hcl_edit::parser::parse_body(text) {
        Ok(slow) => slow,
        Err(err) => {
            return Outcome::Failed(format!(
                "the fast parser accepted an input hcl-edit rejects:\n{err}"
            ))
        }
    };
    let (fast, slow) = (dump_body(&fast), dump_body(&slow));
    if fast == slow {
        Outcome::Agreed
    } else {
        Outcome::Failed(format!(
            "the trees differ (- hcl-edit, + fast parser):\n{}",
            first_differences(&slow, &fast)
        ))
    }
}

/// A unified diff of two dumps, cut after its first 60 lines.
fn first_differences(slow: &[String], fast: &[String]) -> String {
    let slow: Vec<&str> = slow.iter().map(String::as_str).collect();
    let fast: Vec<&str> = fast.iter().map(String::as_str).collect();
    let diff = similar::TextDiff::from_slices(&slow, &fast);
    let mut out = String::new();
    for (n, line) in diff
        .unified_diff()
        .context_radius(3)
        .to_string()
        .lines()
        .enumerate()
    {
        if n == 60 {
            out.push_str("...\n");
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `*.tf`, `*.hcl` and `*.tfvars` file under `dir`, recursively, symlinks not followed.
fn hcl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            hcl_files(&path, out);
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|ext| ext == "tf" || ext == "hcl" || ext == "tfvars")
        {
            out.push(path);
        }
    }
}

/// The readable HCL files of the fixtures and rule packs, sorted, with their text: files that
/// are git-crypt encrypted or not UTF-8 are left out. `HCL_DIFF_DIR` adds the HCL files of
/// another directory (a local corpus of real-world repositories, say).
fn fixture_inputs() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    hcl_files(&root.join("fixtures"), &mut paths);
    hcl_files(&root.join("rules"), &mut paths);
    if let Some(extra) = std::env::var_os("HCL_DIFF_DIR") {
        hcl_files(Path::new(&extra), &mut paths);
    }
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            if bytes.starts_with(b"\0GITCRYPT") {
                return None;
            }
            let text = String::from_utf8(bytes).ok()?;
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            Some((rel, text))
        })
        .collect()
}

/// Hand-written inputs for what the fixtures hold little or none of: every corner of the
/// syntax, CRLF, comments in odd places, and inputs that both parsers must reject.
const SNIPPETS: &[(&str, &str)] = &[
    // Files as a whole.
    ("empty file", ""),
    ("only a newline", "\n"),
    ("only whitespace", "  \t \n\n   "),
    ("only comments", "# one\n// two\n/* three */\n"),
    ("only a block comment, no newline", "/* x */"),
    ("no trailing newline", "a = 1"),
    ("no trailing newline after a block", "a {\n  b = 1\n}"),
    ("comment without trailing newline", "a = 1 # c"),
    ("CRLF line endings", "a = 1\r\nb {\r\n  c = \"x\"\r\n}\r\n"),
    ("CRLF in a heredoc", "a = <<EOF\r\nline ${x}\r\nEOF\r\n"),
    ("CRLF in an object", "a = {\r\n  b = 1\r\n  c = 2\r\n}\r\n"),
    ("tabs", "a\t=\t1\nb\t{\n\tc\t=\t[1,\t2]\n}\n"),
    ("leading blank lines", "\n\n\na = 1\n"),
    // Attributes and blocks.
    ("one-line block", "a { b = 1 }\n"),
    ("one-line block with labels", "resource \"x\" \"y\" { b = 1 }\n"),
    ("empty block", "a {}\n"),
    ("empty block with space", "a { }\n"),
    ("empty block over lines", "a {\n}\n"),
    ("quoted labels", "resource \"aws_instance\" \"web\" {\n  ami = \"x\"\n}\n"),
    ("bare labels", "module foo bar {\n}\n"),
    ("mixed labels", "a \"b\" c \"d\" {\n}\n"),
    ("label with escapes", "a \"b\\\"c\\u00e9\" {\n}\n"),
    ("nested blocks", "a {\n  b {\n    c {\n      d = 1\n    }\n  }\n}\n"),
    (
        "terragrunt include",
        "include \"root\" {\n  path = find_in_parent_folders()\n}\n",
    ),
    ("unicode identifiers", "héllo = 1\nπ { ü = \"ö\" }\n"),
    ("identifier with dashes", "a-b = 1\nc-d-e {\n}\n"),
    ("duplicate attribute keys", "a = 1\na = 2\n"),
    ("duplicate attribute keys in a block", "b {\n  a = 1\n  a = 2\n}\n"),
    ("attribute and block of one name", "a = 1\na {}\n"),
    // Comments everywhere.
    (
        "comments everywhere",
        "# top\na /* k */ = /* v */ 1 # after\n// line\nb /* x */ \"l\" /* y */ {\n  # in\n  c = [ /* a */ 1, // b\n    2 # c\n  ]\n}\n/* end */\n",
    ),
    ("comment in a function call", "a = f(1, # one\n  2 /* two */)\n"),
    ("comment in an object", "a = {\n  b = 1 # one\n  c = 2 // two\n  /* three */ d = 3\n}\n"),
    ("multi-line block comment", "/*\n * doc\n */\na = 1\n"),
    ("hash comment then CRLF", "a = 1 # x\r\n"),
    // Numbers.
    ("integers", "a = 0\nb = 42\nc = 007\n"),
    ("negative numbers", "a = -1\nb = - 2.5e3\nc = -0\n"),
    ("floats and exponents", "a = 1e5\nb = 1.5\nc = 2.5E-3\nd = 1e+2\ne = 0.0\n"),
    ("big integer", "a = 18446744073709551616\nb = 18446744073709551615\n"),
    ("huge float", "a = 1e308\nb = 1e309\n"),
    ("negative big integer", "a = -9223372036854775808\nb = -9223372036854775809\n"),
    ("number then dot", "a = 1.\n"),
    // Strings.
    (
        "string escapes",
        "a = \"\\n \\\" \\\\ \\u00e9 \\t \\r \\U0001F600\"\n",
    ),
    ("template escapes", "a = \"$${x} %%{y} $ % $$ %%\"\n"),
    ("empty string", "a = \"\"\n"),
    ("unicode string", "a = \"héllo wörld ✓\"\n"),
    ("interpolation", "a = \"x-${var.y}-z\"\n"),
    ("only an interpolation", "a = \"${x}\"\n"),
    ("strip markers", "a = \"${~ x ~} ${~y} ${z~}\"\n"),
    ("nested template", "a = \"${\"in ${b}\"}\"\n"),
    ("braces in a template", "a = \"${ {b = 1} }\"\n"),
    ("object in an interpolation", "a = \"${ {for k, v in m : k => v}[\"x\"] }\"\n"),
    ("if directive", "a = \"%{ if x }yes%{ else }no%{ endif }\"\n"),
    ("if directive with strips", "a = \"%{~ if x ~} y %{~ endif ~}\"\n"),
    ("if directive without else", "a = \"%{if x}y%{endif}\"\n"),
    ("for directive", "a = \"%{ for k, v in m }${k}=${v},%{ endfor }\"\n"),
    ("for directive, one variable", "a = \"%{for x in xs~}\n${x}\n%{~endfor}\"\n"),
    // Heredocs.
    ("heredoc", "a = <<EOF\nhello ${name}\n{ braces }\nEOF\n"),
    ("indented heredoc", "a = <<-EOF\n    hello ${name}\n      more\n    EOF\n"),
    ("heredoc with escapes", "a = <<EOF\n$${x} %%{y} \\n stays\nEOF\n"),
    ("empty heredoc", "a = <<EOF\nEOF\n"),
    ("heredoc with directives", "a = <<-EOT\n  %{ for x in xs ~}\n  ${x}\n  %{ endfor ~}\nEOT\n"),
    ("heredoc in a block", "b {\n  a = <<-EOF\n    x\n  EOF\n}\n"),
    ("heredoc delimiter inside", "a = <<EOF\nnot EOF yet\n  EOF\nEOF\n"),
    ("heredoc then attribute", "a = <<EOF\nx\nEOF\nb = 1\n"),
    ("heredoc with CRLF delimiter line", "a = <<EOF\r\nx\r\nEOF\r\nb = 2\r\n"),
    ("heredoc as a function argument", "a = f(<<EOF\nx\nEOF\n, 1)\n"),
    ("two heredocs", "a = [<<A\n1\nA\n, <<B\n2\nB\n]\n"),
    // Collections.
    ("array", "a = [1, \"two\", true, null]\n"),
    ("array with trailing comma", "a = [1, 2,]\n"),
    ("multi-line array", "a = [\n  1,\n  2,\n]\n"),
    ("empty array", "a = []\nb = [ ]\nc = [\n]\n"),
    ("object with = and :", "a = { b = 1, c : 2 }\n"),
    ("object separators", "a = {\n  b = 1,\n  c = 2\n  d = 3, e = 4\n}\n"),
    ("object with string keys", "a = { \"b\" = 1, \"c-d\" : 2 }\n"),
    ("object with expression keys", "a = { (var.x) = 1, (k) : 2, var.y = 3 }\n"),
    ("object with a template key", "a = { \"${k}\" = 1 }\n"),
    ("empty object", "a = {}\nb = { }\nc = {\n}\n"),
    ("nested objects", "a = { b = { c = [ { d = 1 } ] } }\n"),
    ("duplicate object keys", "a = { b = 1, b = 2 }\n"),
    ("object key null/true", "a = { null = 1, true = 2, for = 3, in = 4 }\n"),
    // Traversals.
    ("attribute access", "a = var.x.y\n"),
    ("legacy index", "a = b.0.c\nd = e.12\n"),
    ("attribute splat", "a = b.*.c\nd = e.*\n"),
    ("full splat", "a = b[*].c\nd = e[*][0]\n"),
    ("index", "a = b[0][\"x\"][var.i]\n"),
    ("index on a call", "a = f(1)[0].b\n"),
    ("traversal on a literal", "a = [1, 2][0]\nb = { c = 1 }.c\n"),
    ("traversal on parens", "a = (b).c[0]\n"),
    ("traversal over lines", "a = b\n  .c\n"),
    // Function calls.
    ("function call", "a = f(1, \"x\", g())\n"),
    (
        "nested calls across lines",
        "a = merge(\n  local.x,\n  {\n    b = lookup(var.m, \"k\", [\n      1,\n    ])\n  },\n)\n",
    ),
    ("expand final", "a = f(xs...)\nb = f(1, xs...)\n"),
    ("trailing comma in a call", "a = f(1, 2,)\n"),
    ("namespaced function", "a = provider::p::f(1)\nb = core::g()\n"),
    ("namespaced function with spaces", "a = provider :: p :: f(1)\n"),
    ("empty call", "a = f()\nb = f( )\nc = f(\n)\n"),
    // Operators.
    ("conditional", "a = b ? c : d\n"),
    ("nested conditional", "a = b ? c ? d : e : f ? g : h\n"),
    ("conditional over lines", "a = (\n  b\n  ? c\n  : d\n)\n"),
    (
        "precedence chain",
        "a = a + b * c - d / e % f == g && h || !i\n",
    ),
    ("comparisons", "a = b < c && d <= e && f > g && h >= i && j != k\n"),
    ("unary operators", "a = !b\nc = -d\ne = !!f\ng = - -h\n"),
    ("unary on a traversal", "a = -b.c[0]\n"),
    ("operators in an interpolation", "a = \"${b + 1}\"\n"),
    ("parenthesis", "a = (var.x)\nb = ((c))\nd = (e + f) * g\n"),
    ("parenthesis over lines", "a = (\n  b +\n  c\n)\n"),
    ("operator at line start", "a = b\n+ c\n"),
    ("operator then newline in a call", "a = f(b +\n c)\n"),
    // For expressions.
    ("for list", "a = [for x in y : x if x != \"\"]\n"),
    ("for object with grouping", "a = {for k, v in m : k => v...}\n"),
    ("for object with cond", "a = {for k, v in m : k => v if v != null}\n"),
    ("for over lines", "a = [\n  for x in y :\n  upper(x)\n  if x != \"\"\n]\n"),
    ("nested for", "a = [for x in [for y in z : y] : x]\n"),
    ("for with a call", "a = { for s in var.l : s.name => s... if s.on }\n"),
    // Literal keywords.
    ("null and bools", "a = null\nb = true\nc = false\n"),
    ("keyword prefixes", "a = nullable\nb = trueish\nc = false_\n"),
    // Terraform-like whole files.
    (
        "terraform resource",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"my-${var.env}\"\n  tags = {\n    Name = \"x\"\n  }\n\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n",
    ),
    (
        "terragrunt inputs",
        "locals {\n  env = read_terragrunt_config(find_in_parent_folders(\"env.hcl\"))\n}\n\ninputs = merge(local.env.locals, {\n  name = \"app\"\n})\n",
    ),
    // Invalid inputs: both must reject them (the fast parser declines).
    ("unclosed block", "a {\n  b = 1\n"),
    ("stray closing brace", "a = 1 }\n"),
    ("lone closing brace", "}\n"),
    ("unterminated string", "a = \"abc\n"),
    ("unterminated string at EOF", "a = \"abc"),
    ("unterminated heredoc", "a = <<EOF\nabc\n"),
    ("unterminated block comment", "a = 1 /* never\n"),
    ("unterminated interpolation", "a = \"${x\"\n"),
    ("unterminated directive", "a = \"%{ if x }y\"\n"),
    ("missing value", "a =\n"),
    ("missing equals", "a 1\n"),
    ("two attributes on a line", "a = 1 b = 2\n"),
    ("block on one line with two attributes", "a { b = 1 c = 2 }\n"),
    ("one-line block with newline missing", "a { b = 1 } c = 2\n"),
    ("unclosed array", "a = [1, 2\n"),
    ("unclosed object", "a = { b = 1\n"),
    ("unclosed call", "a = f(1\n"),
    ("bad escape", "a = \"\\q\"\n"),
    ("bad unicode escape", "a = \"\\uZZZZ\"\n"),
    ("bad operator", "a = b +\n"),
    ("dangling conditional", "a = b ?\n"),
    ("heredoc without newline", "a = <<EOF"),
    ("number overflow in legacy index", "a = b.99999999999999999999\n"),
    ("nul byte", "a = \"\0\"\n"),
    ("stray characters", "a = 1\n@\n"),
    ("block label number", "a 1 {}\n"),
    ("endif without if", "a = \"%{ endif }\"\n"),
    ("else without if", "a = \"%{ else }\"\n"),
];

/// Inputs at the nesting and operator limits of both parsers (hcl-edit: 64 nesting levels,
/// 128 operators on a path; the fast parser declines earlier), generated.
fn generated_snippets() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for depth in [1, 20, 47, 48, 49, 63, 64, 65, 100] {
        let text = format!("a = {}1{}\n", "[".repeat(depth), "]".repeat(depth));
        out.push((format!("{depth} nested arrays"), text));
        let text = format!("a = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
        out.push((format!("{depth} nested parentheses"), text));
        let text = format!("a = {}1{}\n", "f(".repeat(depth), ")".repeat(depth));
        out.push((format!("{depth} nested calls"), text));
        let text = format!("a = \"{}x{}\"\n", "${\"".repeat(depth), "\"}".repeat(depth));
        out.push((format!("{depth} nested templates"), text));
        let mut text = String::new();
        for _ in 0..depth {
            text.push_str("b {\n");
        }
        for _ in 0..depth {
            text.push_str("}\n");
        }
        out.push((format!("{depth} nested blocks"), text));
    }
    for operators in [1, 50, 99, 100, 101, 127, 128, 129, 500] {
        let text = format!("a = 1{}\n", " + 1".repeat(operators));
        out.push((format!("{operators} binary operators"), text));
        let text = format!("a = {}x\n", "!".repeat(operators));
        out.push((format!("{operators} unary operators"), text));
    }
    out
}

/// Every fixture file and snippet: the fast parser's tree, where it gives one, must be
/// hcl-edit's, spans and values included.
#[test]
fn fast_parser_agrees_with_hcl_edit() {
    let mut failures = Vec::new();
    let (mut handled, mut declined) = (0usize, 0usize);
    let mut declined_files = Vec::new();

    for (path, text) in fixture_inputs() {
        match check(&text) {
            Outcome::Agreed => handled += 1,
            Outcome::Declined => {
                declined += 1;
                declined_files.push(path.display().to_string());
            }
            Outcome::Failed(msg) => failures.push(format!("{}: {msg}", path.display())),
        }
    }
    let fixture_counts = (handled, declined);

    let generated = generated_snippets();
    let snippets = SNIPPETS
        .iter()
        .map(|&(name, text)| (name, text))
        .chain(generated.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    let mut declined_snippets = Vec::new();
    for (name, text) in snippets {
        match check(text) {
            Outcome::Agreed => handled += 1,
            Outcome::Declined => {
                declined += 1;
                declined_snippets.push(name);
            }
            Outcome::Failed(msg) => failures.push(format!("snippet {name:?}: {msg}")),
        }
    }

    eprintln!(
        "fast parser: fixture files {} handled, {} declined; snippets {} handled, {} declined",
        fixture_counts.0,
        fixture_counts.1,
        handled - fixture_counts.0,
        declined - fixture_counts.1,
    );
    for file in &declined_files {
        eprintln!("declined fixture: {file}");
    }
    eprintln!("declined snippets: {declined_snippets:?}");

    assert!(
        failures.is_empty(),
        "{} input(s) where the parsers disagree:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Most real files take the fast path: without that the fast parser buys nothing.
// Enable when the fast parser lands (it fails with the stub, which declines everything).
#[test]
fn fast_parser_handles_most_fixture_files() {
    let tf: Vec<_> = fixture_inputs()
        .into_iter()
        .filter(|(path, _)| {
            path.starts_with("fixtures") && path.extension().is_some_and(|ext| ext == "tf")
        })
        .collect();
    assert!(!tf.is_empty(), "no fixture .tf files found");
    let declined: Vec<_> = tf
        .iter()
        .filter(|(_, text)| infra_audit::syntax::hcl_parse::parse_body(text).is_none())
        .map(|(path, _)| path.display().to_string())
        .collect();
    let handled = tf.len() - declined.len();
    assert!(
        handled * 5 >= tf.len() * 4,
        "the fast parser handled {handled} of {} fixture .tf files (less than 80%); declined:\n{}",
        tf.len(),
        declined.join("\n")
    );
}

/// The comparison itself sees a difference, and reports it: two texts that differ in one span
/// give a diff naming the moved node.
#[test]
fn a_difference_is_reported() {
    let one = hcl_edit::parser::parse_body("a = b\n").expect("parses");
    let other = hcl_edit::parser::parse_body("a =  b\n").expect("parses");
    let diff = first_differences(&dump_body(&one), &dump_body(&other));
    assert!(diff.contains("-    Expr Some(4..5) Variable"), "{diff}");
    assert!(diff.contains("+    Expr Some(5..6) Variable"), "{diff}");
}
