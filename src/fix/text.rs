//! Text-level helpers for building format-preserving edits: line endings, indentation,
//! inserting lines before a closing brace, adding entries to an HCL list.

use crate::finding::Edit;
use crate::syntax::comments::Comment;
use std::ops::Range;

/// Bytes compared at once by [`common_prefix`] and [`common_suffix`].
const BLOCK: usize = 16;

fn block(bytes: &[u8], at: usize) -> u128 {
    u128::from_ne_bytes(bytes[at..at + BLOCK].try_into().expect("a whole block"))
}

/// Length of the longest common prefix of `a` and `b`. A fix's text before and after
/// differs in a few bytes of a whole file, so blocks of 16 bytes are compared before single
/// bytes: the byte-at-a-time comparison it replaces was 3% of an audit (callgrind).
pub fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && block(a, i) == block(b, i) {
        i += BLOCK;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Length of the longest common suffix of `a` and `b` (see [`common_prefix`]).
pub fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && block(a, a.len() - i - BLOCK) == block(b, b.len() - i - BLOCK) {
        i += BLOCK;
    }
    i + a[..a.len() - i]
        .iter()
        .rev()
        .zip(b[..b.len() - i].iter().rev())
        .take(n - i)
        .take_while(|(x, y)| x == y)
        .count()
}

/// The file's line ending: `\r\n` when its first line ends that way.
pub fn eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// One level of indentation as the file writes it: a tab if lines are tab-indented,
/// else two spaces (what `terraform fmt` writes).
pub fn indent_unit(text: &str) -> &'static str {
    // A line starts with a tab where the text does or where a newline is followed by one:
    // one memmem search instead of splitting the file into lines (this runs once a fix).
    if text.starts_with('\t') || memchr::memmem::find(text.as_bytes(), b"\n\t").is_some() {
        "\t"
    } else {
        "  "
    }
}

/// Byte offset of the start of the line holding `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0)
}

/// Byte offset of the end of the line holding `offset` (before `\r\n` / `\n`).
pub fn line_end(text: &str, offset: usize) -> usize {
    let end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    if end > offset && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// The leading whitespace of the line holding `offset`.
pub fn indent_at(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..line_end(text, start)];
    &line[..line.len() - line.trim_start().len()]
}

/// Whether only whitespace precedes `offset` on its line.
pub fn starts_line(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset].trim().is_empty()
}

/// Whether a comment starts on the line holding `offset`, at or after `offset`.
pub fn comment_after(comments: &[Comment], text: &str, offset: usize) -> bool {
    let end = line_end(text, offset);
    comments
        .iter()
        .any(|c| c.span.start >= offset && c.span.start < end)
}

/// Byte offset of the `{` that opens the block (or object) spanning `span`: the first one
/// outside the header's quoted labels and comments. A label may itself hold a `{` or a
/// raw newline (`"a {\n b"`), so the first `{` in the text is not always the body's.
fn opening_brace(text: &str, span: Range<usize>) -> Option<usize> {
    let bytes = text.as_bytes().get(span.clone())?;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => return Some(span.start + i),
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => i += memchr::memchr(b'\n', &bytes[i..])?,
            b'/' if bytes.get(i + 1) == Some(&b'/') => i += memchr::memchr(b'\n', &bytes[i..])?,
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2 + memchr::memmem::find(&bytes[i + 2..], b"*/")? + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Inserts `lines` (without indentation or line endings) as the last lines of a block whose
/// span is `block`: before its closing brace, indented one level deeper than the block's
/// own line. `blank_line_before` separates them from what precedes (as `terraform fmt`
/// users place a `lifecycle` block).
pub fn insert_before_closing_brace(
    path: &str,
    text: &str,
    block: &Range<usize>,
    lines: &[String],
    blank_line_before: bool,
) -> Option<Edit> {
    let close = block.end.checked_sub(1)?;
    if text.as_bytes().get(close) != Some(&b'}') {
        return None;
    }
    let nl = eol(text);
    let outer = indent_at(text, block.start).to_string();
    let inner = format!("{outer}{}", indent_unit(text));
    let mut body = String::new();
    if starts_line(text, close) {
        let at = line_start(text, close);
        let previous_blank = text[..at]
            .trim_end_matches([' ', '\t'])
            .ends_with(&format!("{nl}{nl}"))
            || text[block.start..at].trim_end().ends_with('{');
        if blank_line_before && !previous_blank {
            body.push_str(nl);
        }
        for line in lines {
            body.push_str(&inner);
            body.push_str(line);
            body.push_str(nl);
        }
        Some(Edit {
            path: path.into(),
            span: at..at,
            replacement: body,
        })
    } else {
        // One-line block `x { a = 1 }`: open it up, one statement per line.
        let open = opening_brace(text, block.start..close)?;
        let existing = text[open + 1..close].trim();
        if existing.contains('\n') || existing.contains('#') || existing.contains("//") {
            return None;
        }
        body.push_str(nl);
        if !existing.is_empty() {
            body.push_str(&inner);
            body.push_str(existing);
            body.push_str(nl);
        }
        for line in lines {
            body.push_str(&inner);
            body.push_str(line);
            body.push_str(nl);
        }
        body.push_str(&outer);
        Some(Edit {
            path: path.into(),
            span: open + 1..close,
            replacement: body,
        })
    }
}

/// Inserts `lines` as the first lines of a multi-line block (seed 000's PVC template puts
/// `wait_until_bound` first), indented one level deeper than the block's own line. `None`
/// for a block opened and closed on one line, or whose `{` line carries more than a comment.
pub fn insert_after_opening_brace(
    path: &str,
    text: &str,
    block: &Range<usize>,
    lines: &[String],
) -> Option<Edit> {
    let open = opening_brace(text, block.clone())?;
    let rest_end = line_end(text, open);
    let rest = text[open + 1..rest_end].trim();
    if !rest.is_empty() && !rest.starts_with('#') && !rest.starts_with("//") {
        return None;
    }
    let nl = eol(text);
    let at = rest_end + nl.len();
    if at > block.end {
        return None;
    }
    let inner = format!("{}{}", indent_at(text, block.start), indent_unit(text));
    let mut body = String::new();
    for line in lines {
        body.push_str(&inner);
        body.push_str(line);
        body.push_str(nl);
    }
    Some(Edit {
        path: path.into(),
        span: at..at,
        replacement: body,
    })
}

/// Inserts `lines` just above the line holding `offset`, with that line's indentation
/// (a new nested block goes after a block's arguments, before its first nested block).
pub fn insert_above_line(path: &str, text: &str, offset: usize, lines: &[String]) -> Option<Edit> {
    if !starts_line(text, offset) {
        return None;
    }
    let at = line_start(text, offset);
    let indent = indent_at(text, offset);
    let nl = eol(text);
    let mut body = String::new();
    for line in lines {
        body.push_str(indent);
        body.push_str(line);
        body.push_str(nl);
    }
    Some(Edit {
        path: path.into(),
        span: at..at,
        replacement: body,
    })
}

/// A new list entry and the comment to put after it (multi-line lists only).
pub struct Entry {
    /// Entry text, e.g. `spec[0].template[0].spec[0].dns_config` or `"nfsvers=4"`.
    pub text: String,
    /// Trailing comment text without `# `, e.g. `KYVERNO_LIFECYCLE_V1`.
    pub comment: Option<String>,
}

/// Appends `entries` to the list `[...]` spanning `array`, whose elements span `items`,
/// keeping its layout: a multi-line list gets one line per entry (with its comment) before
/// the closing bracket; a single-line list gets `, entry` before `]` (comments are the
/// caller's business there). `comments` lets the trailing-comma check skip commas inside
/// comments.
pub fn append_to_list(
    path: &str,
    text: &str,
    array: &Range<usize>,
    items: &[Range<usize>],
    entries: &[Entry],
    comments: &[Comment],
) -> Vec<Edit> {
    let close = array.end - 1;
    let multi_line = text[array.clone()].contains('\n');
    let mut edits = Vec::new();
    if !multi_line || !starts_line(text, close) {
        let mut insert = String::new();
        for (i, e) in entries.iter().enumerate() {
            if !items.is_empty() || i > 0 {
                insert.push_str(", ");
            }
            insert.push_str(&e.text);
        }
        let at = match items.last() {
            Some(last) => last.end,
            None => array.start + 1,
        };
        edits.push(Edit {
            path: path.into(),
            span: at..at,
            replacement: insert,
        });
        return edits;
    }
    let nl = eol(text);
    let item_indent = match items.first() {
        Some(first) if starts_line(text, first.start) => indent_at(text, first.start).to_string(),
        _ => format!("{}{}", indent_at(text, close), indent_unit(text)),
    };
    if let Some(last) = items.last() {
        let has_comma = has_code_char(text, last.end..close, b',', comments);
        if !has_comma {
            edits.push(Edit {
                path: path.into(),
                span: last.end..last.end,
                replacement: ",".into(),
            });
        }
    }
    let at = line_start(text, close);
    let mut insert = String::new();
    for e in entries {
        insert.push_str(&item_indent);
        insert.push_str(&e.text);
        insert.push(',');
        if let Some(c) = &e.comment {
            insert.push_str(" # ");
            insert.push_str(c);
        }
        insert.push_str(nl);
    }
    edits.push(Edit {
        path: path.into(),
        span: at..at,
        replacement: insert,
    });
    edits
}

/// Whether byte `ch` occurs in `range` outside comments.
fn has_code_char(text: &str, range: Range<usize>, ch: u8, comments: &[Comment]) -> bool {
    range.clone().any(|i| {
        text.as_bytes()[i] == ch && !comments.iter().any(|c| c.span.start <= i && i < c.span.end)
    })
}

/// Applies non-overlapping edits to `text` (sorted by the caller or not).
pub fn apply(text: &str, edits: &[&Edit]) -> String {
    let mut sorted: Vec<&&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut pos = 0;
    for e in sorted {
        out.push_str(&text[pos..e.span.start]);
        out.push_str(&e.replacement);
        pos = e.span.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_and_suffix_match_a_byte_by_byte_count() {
        let naive_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let naive_suffix = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        let base: Vec<u8> = (0..70u8).map(|i| b'a' + i % 26).collect();
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 70] {
            let a = &base[..len];
            for at in 0..=len {
                // One byte changed, one inserted and one removed at every position.
                let mut changed = a.to_vec();
                if at < len {
                    changed[at] = b'#';
                }
                let mut inserted = a.to_vec();
                inserted.insert(at, b'#');
                let mut removed = a.to_vec();
                if at < len {
                    removed.remove(at);
                }
                for b in [&changed, &inserted, &removed, &a.to_vec()] {
                    assert_eq!(common_prefix(a, b), naive_prefix(a, b), "{len} {at}");
                    assert_eq!(common_suffix(a, b), naive_suffix(a, b), "{len} {at}");
                    assert_eq!(common_prefix(b, a), naive_prefix(b, a), "{len} {at}");
                    assert_eq!(common_suffix(b, a), naive_suffix(b, a), "{len} {at}");
                }
            }
        }
    }

    fn edit_all(text: &str, edits: Vec<Edit>) -> String {
        apply(text, &edits.iter().collect::<Vec<_>>())
    }

    #[test]
    fn inserts_before_closing_brace_with_indentation_and_crlf() {
        let text = "resource \"a\" \"b\" {\r\n  x = 1\r\n}\r\n";
        let block = 0..text.trim_end().len();
        let e = insert_before_closing_brace(
            "a.tf",
            text,
            &block,
            &["lifecycle {".into(), "}".into()],
            true,
        )
        .unwrap();
        assert_eq!(
            edit_all(text, vec![e]),
            "resource \"a\" \"b\" {\r\n  x = 1\r\n\r\n  lifecycle {\r\n  }\r\n}\r\n"
        );
    }

    #[test]
    fn the_opening_brace_is_the_first_outside_labels_and_comments() {
        let text = "resource \"a\" \"x {\\\" y\n z\" /* { */ # {\n {\n}\n";
        let open = opening_brace(text, 0..text.len()).unwrap();
        assert_eq!(&text[open..], "{\n}\n");
        assert_eq!(opening_brace("a \"{\"", 0..6), None);
    }

    #[test]
    fn inserts_after_the_body_brace_not_one_in_a_label() {
        // A label holding `{` and a raw newline (hcl-edit accepts it): the fuzz finding
        // `fix_roundtrip-raw-newline-label`, where the line went into the label every run.
        let text = "resource \"a\" \"b {\n c\" {\n  x = 1\n}\n";
        let block = 0..text.trim_end().len();
        let e = insert_after_opening_brace("a.tf", text, &block, &["w = false".into()]).unwrap();
        assert_eq!(
            edit_all(text, vec![e]),
            "resource \"a\" \"b {\n c\" {\n  w = false\n  x = 1\n}\n"
        );
        let one_line = "x \"{\" { a = 1 }\n";
        let block = 0..one_line.trim_end().len();
        let e = insert_before_closing_brace("a.tf", one_line, &block, &["b = 2".into()], false)
            .unwrap();
        assert_eq!(
            edit_all(one_line, vec![e]),
            "x \"{\" {\n  a = 1\n  b = 2\n}\n"
        );
    }

    #[test]
    fn opens_up_one_line_blocks() {
        let text = "  lifecycle { create_before_destroy = true }\n";
        let block = 2..text.trim_end().len();
        let e = insert_before_closing_brace(
            "a.tf",
            text,
            &block,
            &["ignore_changes = all".into()],
            false,
        )
        .unwrap();
        assert_eq!(
            edit_all(text, vec![e]),
            "  lifecycle {\n    create_before_destroy = true\n    ignore_changes = all\n  }\n"
        );
    }

    #[test]
    fn appends_to_single_and_multi_line_lists() {
        let text = "x = [a, b]\n";
        let e = append_to_list(
            "a.tf",
            text,
            &(4..10),
            &[5..6, 8..9],
            &[Entry {
                text: "c".into(),
                comment: None,
            }],
            &[],
        );
        assert_eq!(edit_all(text, e), "x = [a, b, c]\n");
        let text = "x = [\n  a, # one, two\n  b # three\n]\n";
        let b = text.find("b #").unwrap();
        let a = text.find("a,").unwrap();
        let e = append_to_list(
            "a.tf",
            text,
            &(4..text.len() - 1),
            &[a..a + 1, b..b + 1],
            &[Entry {
                text: "c".into(),
                comment: Some("MARK".into()),
            }],
            &[
                Comment {
                    span: text.find("# one").unwrap()..text.find("two").unwrap() + 3,
                },
                Comment {
                    span: text.find("# three").unwrap()..text.find("three").unwrap() + 5,
                },
            ],
        );
        assert_eq!(
            edit_all(text, e),
            "x = [\n  a, # one, two\n  b, # three\n  c, # MARK\n]\n"
        );
    }
}
