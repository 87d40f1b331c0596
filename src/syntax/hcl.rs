//! HCL through hcl-edit: the parsed body plus the literal regions and comments of a file,
//! attributed by byte offset (hcl-edit keeps comments only as opaque decor).

use super::comments::{scan_hcl, Comment};
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::{Element, HeredocTemplate, StringTemplate};
use hcl_edit::visit::Visit;
use hcl_edit::{Decorated, Span};
use std::ops::Range;

/// A parsed HCL file.
pub struct HclFile {
    /// The parsed body (comments and spans kept).
    pub body: Body,
    /// Every string literal, string template and heredoc inside an attribute value.
    pub literals: Vec<Literal>,
    /// Every comment, found outside literal regions.
    pub comments: Vec<Comment>,
}

/// What kind of literal a [`Literal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralKind {
    /// `"plain"`.
    String,
    /// `"with ${interpolation}"`.
    Template,
    /// `<<EOT ... EOT`.
    Heredoc,
}

/// A string-ish literal in code. Its syntactic context (attribute, path, owner) is worked
/// out on demand by [`HclFile::context_of`]: only literals a rule matched need it, and
/// building it for every literal of every file cost 8% of an audit (callgrind).
#[derive(Debug, Clone)]
pub struct Literal {
    /// Byte range including the quotes or heredoc delimiters.
    pub span: Range<usize>,
    /// Kind of literal.
    pub kind: LiteralKind,
    /// Whether the literal is an object key (`{ "key" = ... }`).
    pub is_key: bool,
}

/// Where a [`Literal`] sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiteralContext {
    /// Key of the attribute whose value holds the literal.
    pub attr: String,
    /// Outermost first: enclosing block identifiers (a `dynamic "x"` block counts as `x`,
    /// its `content` block is skipped), the attribute key, then object keys down to the
    /// literal (`resource`, `spec`, `nfs`, `server`).
    pub path: Vec<String>,
    /// The enclosing top-level resource, data source or module.
    pub owner: Option<Owner>,
}

/// The top-level block (resource, data source, module) a thing sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Terraform address: `TYPE.NAME`, `data.TYPE.NAME` or `module.NAME`.
    pub address: String,
    /// Span of the header (`resource "TYPE" "NAME"`).
    pub header: Range<usize>,
    /// Span of the whole block, header through closing brace.
    pub block: Range<usize>,
}

/// A parse failure with its 1-based position.
#[derive(Debug, Clone)]
pub struct ParseError {
    /// What the parser expected.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Byte offset.
    pub offset: usize,
}

/// Parses an HCL body, accepting a leading UTF-8 byte order mark as Terraform does (since
/// hashicorp/terraform#19715; Windows editors write one) where hcl-edit rejects it with
/// "unexpected token" at 1:1, which left such files unaudited. The mark is replaced by three
/// spaces, so every span still indexes the original text (with its mark, which `--fix`
/// keeps). Regression test: tests/hostile.rs `utf8_bom_is_accepted_and_kept_by_fix`.
///
/// The fast parser (`syntax::hcl_parse`) builds the tree when it handles the text; otherwise
/// (a syntax error, or a construct it declines) hcl-edit's parser gives the tree or the error.
pub fn parse_body(text: &str) -> Result<Body, hcl_edit::parser::Error> {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => parse_body_without_bom(&format!("   {rest}")),
        None => parse_body_without_bom(text),
    }
}

fn parse_body_without_bom(text: &str) -> Result<Body, hcl_edit::parser::Error> {
    match super::hcl_parse::parse_body(text) {
        Some(body) => Ok(body),
        None => hcl_edit::parser::parse_body(text),
    }
}

/// Parses HCL text and indexes its literals and comments.
pub fn parse(text: &str) -> Result<HclFile, ParseError> {
    let body = parse_body(text).map_err(|e| ParseError {
        message: e.message().to_string(),
        line: e.location().line(),
        column: e.location().column(),
        offset: e.location().offset(),
    })?;
    let mut collector = LiteralCollector::default();
    collector.walk_body(&body, None);
    let comments = scan_hcl(text, &collector.regions);
    Ok(HclFile {
        body,
        literals: collector.literals,
        comments,
    })
}

impl HclFile {
    /// The attribute, path and owner of `lit`, one of this file's literals (`None` for a
    /// span that is not one). Walks only the blocks and attributes that contain it.
    pub fn context_of(&self, lit: &Literal) -> Option<LiteralContext> {
        let mut collector = LiteralCollector {
            target: Some(lit.span.clone()),
            ..LiteralCollector::default()
        };
        collector.walk_body(&self.body, None);
        collector.found
    }
}

/// Walks a body for literals: every literal's span and the regions comments cannot start
/// in (index mode), or the context of the one literal at `target` (context mode).
#[derive(Default)]
struct LiteralCollector {
    target: Option<Range<usize>>,
    literals: Vec<Literal>,
    regions: Vec<Range<usize>>,
    path: Vec<String>,
    dynamic: Vec<bool>,
    found: Option<LiteralContext>,
    visitor: RegionVisitor,
}

impl LiteralCollector {
    fn in_dynamic(&self) -> bool {
        self.dynamic.last() == Some(&true)
    }

    /// In context mode, whether `span` can hold the target.
    fn may_hold_target(&self, span: Option<Range<usize>>) -> bool {
        match (&self.target, span) {
            (Some(t), Some(s)) => s.start <= t.start && t.end <= s.end,
            _ => true,
        }
    }

    fn walk_body(&mut self, body: &Body, owner: Option<&Owner>) {
        for structure in body.iter() {
            if self.found.is_some() {
                return;
            }
            if let Some(attr) = structure.as_attribute() {
                if !self.may_hold_target(attr.span()) {
                    continue;
                }
                // One visitor for the whole walk: a fresh one per attribute allocated its
                // region vector for every attribute of the file.
                let mut found = std::mem::take(&mut self.visitor);
                found.regions.clear();
                found.track_keys = self.target.is_some();
                found.visit_expr(&attr.value);
                for (span, kind, keys, is_key) in found.regions.drain(..) {
                    match &self.target {
                        None => {
                            self.regions.push(span.clone());
                            self.literals.push(Literal { span, kind, is_key });
                        }
                        Some(t) if *t == span => {
                            let mut path = self.path.clone();
                            path.push(attr.key.as_str().to_string());
                            path.extend(keys);
                            self.found = Some(LiteralContext {
                                attr: attr.key.as_str().to_string(),
                                path,
                                owner: owner.cloned(),
                            });
                            return;
                        }
                        Some(_) => {}
                    }
                }
                self.visitor = found;
            } else if let Some(block) = structure.as_block() {
                if self.target.is_none() {
                    for label in &block.labels {
                        if let (true, Some(span)) = (label.is_string(), label.span()) {
                            self.regions.push(span);
                        }
                    }
                } else if !self.may_hold_target(block.span()) {
                    continue;
                }
                let own;
                let owner = match (owner, self.path.is_empty(), &self.target) {
                    (None, true, Some(_)) => {
                        own = owner_of(block);
                        own.as_ref()
                    }
                    _ => owner,
                };
                let ident = block.ident.as_str();
                let segment = match (ident, block.labels.first()) {
                    ("dynamic", Some(label)) => Some(label.as_str()),
                    ("content", _) if self.in_dynamic() => None,
                    _ => Some(ident),
                };
                let track = self.target.is_some();
                self.dynamic.push(ident == "dynamic");
                if let (Some(s), true) = (segment, track) {
                    self.path.push(s.to_string());
                }
                self.walk_body(&block.body, owner);
                if segment.is_some() && track {
                    self.path.pop();
                }
                self.dynamic.pop();
            }
        }
    }
}

/// Collects literal regions of an expression, with the object keys leading to each when
/// `track_keys` is set.
#[derive(Default)]
struct RegionVisitor {
    regions: Vec<(Range<usize>, LiteralKind, Vec<String>, bool)>,
    track_keys: bool,
    keys: Vec<String>,
    in_key: bool,
}

impl RegionVisitor {
    fn push(&mut self, span: Option<Range<usize>>, kind: LiteralKind) {
        if let Some(span) = span {
            self.regions
                .push((span, kind, self.keys.clone(), self.in_key));
        }
    }
}

impl Visit for RegionVisitor {
    fn visit_string(&mut self, node: &Decorated<String>) {
        self.push(node.span(), LiteralKind::String);
    }
    fn visit_string_template(&mut self, node: &StringTemplate) {
        self.push(node.span(), LiteralKind::Template);
    }
    fn visit_heredoc_template(&mut self, node: &HeredocTemplate) {
        self.push(node.span(), LiteralKind::Heredoc);
    }
    fn visit_object_item(&mut self, key: &ObjectKey, value: &hcl_edit::expr::ObjectValue) {
        self.in_key = true;
        self.visit_object_key(key);
        self.in_key = false;
        if !self.track_keys {
            self.visit_object_value(value);
            return;
        }
        let name = match key {
            ObjectKey::Ident(ident) => ident.as_str().to_string(),
            ObjectKey::Expression(e) => literal_str(e).unwrap_or_default(),
        };
        self.keys.push(name);
        self.visit_object_value(value);
        self.keys.pop();
    }
}

/// The owner description of a top-level `resource`, `data` or `module` block.
pub fn owner_of(block: &Block) -> Option<Owner> {
    // Asked of nearly every resource (rules go through `FileContext::owner`, which asks once
    // per resource): no `format!`, no label vector (3.6% of an audit, callgrind).
    let mut labels = block.labels.iter().map(|l| l.as_str());
    let address = match (
        block.ident.as_str(),
        labels.next(),
        labels.next(),
        labels.next(),
    ) {
        ("resource", Some(t), Some(n), None) => [t, ".", n].concat(),
        ("data", Some(t), Some(n), None) => ["data.", t, ".", n].concat(),
        ("module", Some(n), None, None) => ["module.", n].concat(),
        _ => return None,
    };
    let header = header_span(block)?;
    let whole = block.span().unwrap_or_else(|| header.clone());
    Some(Owner {
        address,
        block: header.start.min(whole.start)..header.end.max(whole.end),
        header,
    })
}

/// Span of a block's header: the identifier through its last label.
pub fn header_span(block: &Block) -> Option<Range<usize>> {
    let start = block.ident.span()?.start;
    let end = block
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| block.ident.span())?
        .end;
    Some(start..end)
}

/// Top-level blocks with identifier `resource`, as `(type, name, block)`.
pub fn resources(body: &Body) -> impl Iterator<Item = (&str, &str, &Block)> {
    blocks(body, "resource").filter_map(|b| match b.labels.as_slice() {
        [t, n] => Some((t.as_str(), n.as_str(), b)),
        _ => None,
    })
}

/// The attributes directly in `body`. (hcl-edit's `Body::attributes`, `blocks` and
/// `get_blocks` box their iterators: one allocation per call, and the rules make tens of
/// thousands of them.)
pub fn attributes(body: &Body) -> impl Iterator<Item = &hcl_edit::structure::Attribute> {
    body.iter().filter_map(|s| s.as_attribute())
}

/// The first nested block with identifier `ident`.
pub fn block<'a>(body: &'a Body, ident: &str) -> Option<&'a Block> {
    body.iter()
        .filter_map(|s| s.as_block())
        .find(|b| b.ident.as_str() == ident)
}

/// All nested blocks with identifier `ident`.
pub fn blocks<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.iter()
        .filter_map(|s| s.as_block())
        .filter(move |b| b.ident.as_str() == ident)
}

/// Follows a chain of first-matching nested blocks (`["spec", "template", "spec"]`).
pub fn block_path<'a>(body: &'a Body, path: &[&str]) -> Option<&'a Block> {
    let (first, rest) = path.split_first()?;
    let mut current = block(body, first)?;
    for ident in rest {
        current = block(&current.body, ident)?;
    }
    Some(current)
}

/// `dynamic "NAME"` blocks directly in `body`.
pub fn dynamic_blocks<'a>(body: &'a Body, name: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    blocks(body, "dynamic").filter(move |b| b.labels.first().map(|l| l.as_str()) == Some(name))
}

/// The value of attribute `key` directly in `body`.
pub fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.get_attribute(key).map(|a| &a.value)
}

/// A string value known without evaluation: a plain string, or a template made only of
/// literal text.
pub fn literal_str(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for element in t.iter() {
                match element {
                    Element::Literal(l) => out.push_str(l.value()),
                    _ => return None,
                }
            }
            Some(out)
        }
        Expression::Parenthesis(p) => literal_str(p.inner()),
        _ => None,
    }
}

/// Looks up `key` in an object expression (`{ key = v }` or `{ "key" = v }`).
pub fn object_get<'a>(expr: &'a Expression, key: &str) -> Option<&'a Expression> {
    let Expression::Object(object) = expr else {
        return None;
    };
    object.iter().find_map(|(k, v)| {
        let matches = match k {
            ObjectKey::Ident(ident) => ident.as_str() == key,
            ObjectKey::Expression(e) => literal_str(e).as_deref() == Some(key),
        };
        matches.then(|| v.expr())
    })
}

/// The entries of an object expression as `(key text, value)`, keys evaluated when literal.
pub fn object_entries(expr: &Expression) -> Vec<(Option<String>, &Expression)> {
    let Expression::Object(object) = expr else {
        return Vec::new();
    };
    object
        .iter()
        .map(|(k, v)| {
            let key = match k {
                ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
                ObjectKey::Expression(e) => literal_str(e),
            };
            (key, v.expr())
        })
        .collect()
}

/// The source text of an expression, with whitespace and comments removed, for comparing
/// references and traversal paths (`metadata[0].annotations["x"]`).
pub fn normalized_text(text: &str, expr: &Expression) -> Option<String> {
    let span = expr.span()?;
    let raw = text.get(span)?;
    // Nearly every reference is written without spaces and without the legacy index: it
    // is its own normal form. (Copying it char by char was 5% of an audit, callgrind.)
    let spaced = raw
        .bytes()
        .any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) || !b.is_ascii());
    if !spaced && !has_legacy_index(raw) {
        return Some(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    Some(legacy_index_to_brackets(&out))
}

/// Whether `path` has a part that [`legacy_index_to_brackets`] rewrites.
fn has_legacy_index(path: &str) -> bool {
    path.as_bytes()
        .split(|&b| b == b'.')
        .skip(1)
        .any(|part| !part.is_empty() && part.iter().all(u8::is_ascii_digit))
}

/// Rewrites legacy `a.0.b` index syntax to `a[0].b`.
fn legacy_index_to_brackets(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 && !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(part);
            out.push(']');
        } else {
            if i > 0 {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
resource "kubernetes_deployment" "app" {
  metadata {
    name = "app"
  }
  spec {
    template {
      spec {
        container {
          command = <<-EOT
            echo "{ unbalanced # not a comment"
          EOT
        }
      }
    }
  }
  lifecycle {
    ignore_changes = [spec.0.template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}
# resource "kubernetes_deployment" "old" {}
"#;

    #[test]
    fn indexes_literals_and_comments() {
        let f = parse(SRC).unwrap();
        let comments: Vec<&str> = f.comments.iter().map(|c| &SRC[c.span.clone()]).collect();
        assert_eq!(
            comments,
            vec![
                "# KYVERNO_LIFECYCLE_V1",
                "# resource \"kubernetes_deployment\" \"old\" {}"
            ]
        );
        let heredoc = f
            .literals
            .iter()
            .find(|l| l.kind == LiteralKind::Heredoc)
            .unwrap();
        let context = f.context_of(heredoc).unwrap();
        assert_eq!(context.attr, "command");
        assert_eq!(
            context.path,
            vec![
                "resource",
                "spec",
                "template",
                "spec",
                "container",
                "command"
            ]
        );
        assert_eq!(
            context.owner.as_ref().unwrap().address,
            "kubernetes_deployment.app"
        );
    }

    #[test]
    fn normalizes_traversals() {
        let f = parse(SRC).unwrap();
        let (_, _, res) = resources(&f.body).next().unwrap();
        let lc = block(&res.body, "lifecycle").unwrap();
        let Some(Expression::Array(items)) = attr(&lc.body, "ignore_changes") else {
            panic!("no array")
        };
        let first = items.iter().next().unwrap();
        assert_eq!(
            normalized_text(SRC, first).unwrap(),
            "spec[0].template[0].spec[0].dns_config"
        );
    }

    #[test]
    fn normal_forms_with_and_without_the_fast_path() {
        let cases = [
            (
                "spec[0].template[0].spec[0].dns_config",
                "spec[0].template[0].spec[0].dns_config",
            ),
            ("spec.0.template.0.spec", "spec[0].template[0].spec"),
            ("spec[ 0 ].dns_config", "spec[0].dns_config"),
            (
                "metadata[0].annotations[\"keel.sh/policy\"]",
                "metadata[0].annotations[\"keel.sh/policy\"]",
            ),
            (
                "metadata[0].annotations[\"a b\"]",
                "metadata[0].annotations[\"a b\"]",
            ),
            ("metadata[\t0].labels", "metadata[0].labels"),
            ("a.b1.c", "a.b1.c"),
            ("a[\"é x\"]", "a[\"é x\"]"),
        ];
        for (written, normal) in cases {
            let text = format!("x = {written}\n");
            let f = parse(&text).unwrap_or_else(|e| panic!("{written}: {e:?}"));
            let value = attr(&f.body, "x").unwrap();
            assert_eq!(
                normalized_text(&text, value).as_deref(),
                Some(normal),
                "{written}"
            );
        }
    }

    #[test]
    fn a_leading_bom_is_ignored_and_spans_index_the_original() {
        let text = "\u{feff}locals { a = \"x\" }\n";
        let f = parse(text).unwrap();
        assert_eq!(&text[f.literals[0].span.clone()], "\"x\"");
        assert!(parse("locals {}\n\u{feff}").is_err(), "only at the start");
    }

    #[test]
    fn reports_parse_error_position() {
        let err = parse("resource \"a\" \"b\" {\n  x = \n}\n").err().unwrap();
        assert_eq!((err.line, err.column), (2, 7));
    }
}
