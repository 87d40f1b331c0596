//! Re-aligns `=` signs and trailing comments the way HashiCorp's `hclwrite.Format` (what
//! `terraform fmt` runs) does, but only in the runs of lines a fix touched, so a file that
//! was `terraform fmt`-clean before a fix stays clean after it.
//!
//! hclwrite's rule: consecutive lines that each have a top-level `KEY = value` on one line
//! form a chain whose `=` signs line up one space after the longest key; consecutive lines
//! that each end in a comment after some code form a chain whose comments line up one
//! space after the longest code. Widths are byte counts including indentation.

use crate::syntax::comments::Comment;
use crate::syntax::hcl::HclFile;
use std::ops::Range;

/// The cells of one line, as byte offsets into the text.
#[derive(Debug, Clone)]
struct Line {
    /// End of the key (before the spaces preceding `=`), and the `=` offset.
    assign: Option<(usize, usize)>,
    /// End of the code before the comment, and the comment's start.
    comment: Option<(usize, usize)>,
    start: usize,
}

/// The cells of every line of `text`, given its literal regions and comments (sorted).
fn analyse(text: &str, literals: &[Range<usize>], comments: &[Comment]) -> Vec<Line> {
    let mut mask = vec![false; text.len() + 1];
    for l in literals {
        mask[l.start.min(text.len())..l.end.min(text.len())].fill(true);
    }
    let literal = |i: usize| mask[i];
    let mut comments = comments.iter().peekable();
    let mut lines = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let end = start + raw.trim_end_matches(['\n', '\r']).len();
        let inside_literal = start > 0 && literal(start) && literal(start.saturating_sub(1));
        let mut line = Line {
            assign: None,
            comment: None,
            start,
        };
        if !inside_literal {
            while comments.peek().is_some_and(|c| c.span.start < start) {
                comments.next();
            }
            let comment = comments.peek().copied().filter(|c| c.span.start < end);
            let code_end = comment.map(|c| c.span.start).unwrap_or(end);
            let code_trimmed = start + text[start..code_end].trim_end().len();
            if let Some(c) = comment {
                if !text[start..c.span.start].trim().is_empty()
                    && !text[start..c.span.start].trim_start().starts_with("/*")
                {
                    line.comment = Some((code_trimmed, c.span.start));
                }
            }
            line.assign = find_assign(text, start, code_trimmed, &literal);
        }
        lines.push(line);
        start += raw.len();
    }
    lines
}

/// The first top-level `=` of a line whose right-hand side closes all its brackets.
fn find_assign(
    text: &str,
    start: usize,
    end: usize,
    literal: &dyn Fn(usize) -> bool,
) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let first_code = start + (text[start..end].len() - text[start..end].trim_start().len());
    let mut i = first_code;
    while i < end {
        if literal(i) {
            i += 1;
            continue;
        }
        let b = bytes[i];
        let prev = if i > 0 { bytes[i - 1] } else { b' ' };
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        if b == b'=' && i > first_code && !b"=!<>".contains(&prev) && next != b'=' && next != b'>' {
            let mut net = 0i32;
            for (j, byte) in bytes.iter().enumerate().take(end).skip(i) {
                if literal(j) {
                    continue;
                }
                match byte {
                    b'[' | b'{' | b'(' => net += 1,
                    b']' | b'}' | b')' => net -= 1,
                    _ => {}
                }
            }
            if net != 0 {
                return None;
            }
            let key_end = start + text[start..i].trim_end().len();
            return Some((key_end, i));
        }
        if matches!(b, b'{' | b'[' | b'(') {
            return None; // a block header or expression opener before any `=`
        }
        i += 1;
    }
    None
}

/// Whitespace edits that align the chains containing any of `touched` (0-based lines).
fn chain_edits(
    lines: &[Line],
    touched: &[usize],
    cell: fn(&Line) -> Option<(usize, usize)>,
) -> Vec<(Range<usize>, String)> {
    let mut edits = Vec::new();
    let mut done = vec![false; lines.len()];
    for &t in touched {
        if t >= lines.len() || done[t] || cell(&lines[t]).is_none() {
            continue;
        }
        let mut first = t;
        while first > 0 && cell(&lines[first - 1]).is_some() {
            first -= 1;
        }
        let mut last = t;
        while last + 1 < lines.len() && cell(&lines[last + 1]).is_some() {
            last += 1;
        }
        let widest = (first..=last)
            .map(|i| {
                let (code_end, _) = cell(&lines[i]).expect("in chain");
                code_end - lines[i].start
            })
            .max()
            .unwrap_or(0);
        for (i, line) in lines.iter().enumerate().take(last + 1).skip(first) {
            done[i] = true;
            let (code_end, cell_start) = cell(line).expect("in chain");
            let want = " ".repeat(widest - (code_end - line.start) + 1);
            edits.push((code_end..cell_start, want));
        }
    }
    edits
}

fn apply(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (r, s) in edits {
        out.push_str(&text[pos..r.start]);
        out.push_str(&s);
        pos = r.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// A cheap, conservative test: alignment can only change when two adjacent lines around
/// the touched ones might both carry an `=` or a comment. Most fixes (a new lifecycle
/// block, an entry in a one-line list) pass it without re-parsing anything.
pub fn may_need_alignment(text: &str, touched: &[usize]) -> bool {
    let (Some(&first), Some(&last)) = (touched.first(), touched.last()) else {
        return false;
    };
    let might_have_cell =
        |line: &str| line.contains('=') || line.contains('#') || line.contains("//");
    // Straight to the first line wanted (memchr over the bytes; `split` then `skip` looked
    // at every line before it one by one).
    let skip = first.saturating_sub(1);
    let from = match skip {
        0 => Some(0),
        n => memchr::memchr_iter(b'\n', text.as_bytes())
            .nth(n - 1)
            .map(|i| i + 1),
    };
    let Some(from) = from else {
        return false;
    };
    let lines: Vec<&str> = text[from..].split('\n').take(last - skip + 2).collect();
    lines
        .windows(2)
        .any(|w| might_have_cell(w[0]) && might_have_cell(w[1]))
}

/// Re-alignment of one single-line edit without re-parsing, from the literal regions and
/// comments of the text before the edit (`before`), when the edit provably leaves every other
/// cell where it was: it replaces a whole string literal with plain code (`var.x`), or
/// edits inside one literal without a quote. Cell offsets after the edit move by its
/// length change; nothing else moves. `None` when that cannot be shown, or when `=` signs
/// would move (then comments move too and the caller re-parses). This is the usual fix of
/// `forbidden-value`, whose re-parse of the block was 6% of an audit (callgrind).
pub fn realign_single_edit(
    before: &str,
    literals: &[Range<usize>],
    comments: &[Comment],
    edit: &Range<usize>,
    replacement: &str,
    after: &str,
    touched: &[usize],
) -> Option<String> {
    if before[edit.clone()].contains('\n') || replacement.contains(['\n', '"']) {
        return None;
    }
    let exact = literals.contains(edit);
    let inside = literals
        .iter()
        .any(|l| l.start < edit.start && edit.end < l.end);
    let plain_code = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let ok = (exact && replacement.chars().all(plain_code))
        || (inside && !replacement.contains(['\'', '#']));
    let touches_comment = comments
        .iter()
        .any(|c| c.span.start < edit.end && edit.start < c.span.end);
    if !ok || touches_comment {
        return None;
    }
    let delta = replacement.len() as isize - (edit.end - edit.start) as isize;
    let moved = |o: usize| -> Option<usize> {
        if o <= edit.start {
            Some(o)
        } else if o >= edit.end {
            Some((o as isize + delta) as usize)
        } else {
            None
        }
    };
    let cell = |c: Option<(usize, usize)>| -> Option<Option<(usize, usize)>> {
        match c {
            None => Some(None),
            Some((a, b)) => Some(Some((moved(a)?, moved(b)?))),
        }
    };
    let lines = analyse(before, literals, comments)
        .into_iter()
        .map(|l| {
            Some(Line {
                assign: cell(l.assign)?,
                comment: cell(l.comment)?,
                start: moved(l.start)?,
            })
        })
        .collect::<Option<Vec<Line>>>()?;
    let assigned = apply(after, chain_edits(&lines, touched, |l| l.assign));
    if assigned != after {
        return None;
    }
    Some(apply(after, chain_edits(&lines, touched, |l| l.comment)))
}

/// Aligns `=` then comments in the chains that include `touched` lines; `parse` re-parses
/// text (comments and literals move when `=` alignment changes).
pub fn realign(text: &str, touched: &[usize], parse: &dyn Fn(&str) -> Option<HclFile>) -> String {
    let Some(parsed) = parse(text) else {
        return text.to_string();
    };
    let lines = analyse_parsed(text, &parsed);
    let assigned = apply(text, chain_edits(&lines, touched, |l| l.assign));
    if assigned == text {
        // No `=` moved: the first parse still describes the text (the usual case).
        return apply(text, chain_edits(&lines, touched, |l| l.comment));
    }
    let Some(parsed) = parse(&assigned) else {
        return assigned;
    };
    let lines = analyse_parsed(&assigned, &parsed);
    apply(&assigned, chain_edits(&lines, touched, |l| l.comment))
}

fn analyse_parsed(text: &str, parsed: &HclFile) -> Vec<Line> {
    let literals: Vec<Range<usize>> = parsed.literals.iter().map(|l| l.span.clone()).collect();
    analyse(text, &literals, &parsed.comments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::hcl;

    #[test]
    fn may_need_alignment_agrees_with_splitting_every_line() {
        let old = |text: &str, touched: &[usize]| {
            let (Some(&first), Some(&last)) = (touched.first(), touched.last()) else {
                return false;
            };
            let cell = |l: &str| l.contains('=') || l.contains('#') || l.contains("//");
            let lines: Vec<&str> = text
                .split('\n')
                .skip(first.saturating_sub(1))
                .take(last - first.saturating_sub(1) + 2)
                .collect();
            lines.windows(2).any(|w| cell(w[0]) && cell(w[1]))
        };
        let texts = [
            "",
            "a = 1",
            "a = 1\nb = 2",
            "x\na = 1\nb = 2\n",
            "a = 1\n\nb = 2\n# c\n",
            "a\nb\nc = 1\nd # x\n",
        ];
        for text in texts {
            for first in 0..7 {
                for last in first..8 {
                    let touched: Vec<usize> = (first..=last).collect();
                    assert_eq!(
                        may_need_alignment(text, &touched),
                        old(text, &touched),
                        "{text:?} {first}..={last}"
                    );
                }
            }
        }
    }

    fn realigned(text: &str, touched: &[usize]) -> String {
        realign(text, touched, &|t| hcl::parse(t).ok())
    }

    #[test]
    fn aligns_trailing_comments_in_a_list() {
        let text = "x = [\n  aaa,   # one\n  b, # two\n  ccccc, # three\n  d,\n  e, # solo\n]\n";
        assert_eq!(
            realigned(text, &[3, 5]),
            "x = [\n  aaa,   # one\n  b,     # two\n  ccccc, # three\n  d,\n  e, # solo\n]\n"
        );
    }

    #[test]
    fn aligns_assignments_but_not_multi_line_openers() {
        let text = "r {\n  a = 1\n  long_name = \"x = y\"\n  list = [\n    1,\n  ]\n}\n";
        assert_eq!(
            realigned(text, &[1]),
            "r {\n  a         = 1\n  long_name = \"x = y\"\n  list = [\n    1,\n  ]\n}\n"
        );
    }

    /// The shortcut for one edit, and the re-parse it stands for.
    fn both(before: &str, edit: Range<usize>, replacement: &str) -> (Option<String>, String) {
        let parsed = hcl::parse(before).unwrap();
        let literals: Vec<Range<usize>> = parsed.literals.iter().map(|l| l.span.clone()).collect();
        let mut after = before.to_string();
        after.replace_range(edit.clone(), replacement);
        let line = before[..edit.start].matches('\n').count();
        let quick = realign_single_edit(
            before,
            &literals,
            &parsed.comments,
            &edit,
            replacement,
            &after,
            &[line],
        );
        (quick, realigned(&after, &[line]))
    }

    #[test]
    fn a_literal_replaced_by_code_realigns_without_a_parse() {
        let text =
            "r {\n  host        = \"pg.dbaas\" # legacy\n  port_number = 5432       # default\n}\n";
        let at = text.find("\"pg").unwrap();
        let (quick, reparsed) = both(text, at..at + 10, "var.postgresql_host");
        assert_eq!(quick.as_deref(), Some(reparsed.as_str()));
        assert_eq!(
            reparsed,
            "r {\n  host        = var.postgresql_host # legacy\n  port_number = 5432                # default\n}\n"
        );
    }

    #[test]
    fn an_edit_inside_a_literal_realigns_without_a_parse() {
        let text = "a  = \"http://pg.dbaas:5432\" # x\nbb = 1                       # y\n";
        let at = text.find("pg.dbaas").unwrap();
        let (quick, reparsed) = both(text, at..at + 8, "${var.pg}");
        assert_eq!(quick.as_deref(), Some(reparsed.as_str()));
    }

    #[test]
    fn edits_that_could_move_cells_are_left_to_the_re_parse() {
        let text = "o = {\n  \"pg.dbaas\" = 1\n  b = 2\n}\n";
        let at = text.find("\"pg").unwrap();
        // `(var.x)` opens a bracket before the `=`: the line stops being an assignment.
        assert_eq!(both(text, at..at + 10, "(var.pg)").0, None);
        assert_eq!(both(text, at..at + 10, "var.x\n").0, None);
        assert_eq!(both(text, at + 1..at + 3, "a\"b").0, None);
        // A longer key moves the `=` signs: re-parsed, since comments move with them.
        let (quick, _) = both("a = 1\nbb = \"x\"\n", 0..1, "aaaa");
        assert_eq!(quick, None);
    }

    #[test]
    fn leaves_heredoc_content_alone() {
        let text = "a = 1\nb = <<EOT\nx = 1 # y\nEOT\n";
        assert_eq!(realigned(text, &[0, 2]), text);
    }
}
