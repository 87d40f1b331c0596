//! Reading a resource's `lifecycle { ignore_changes = [...] }` the way Terraform does.

use crate::finding::Edit;
use crate::fix::text;
use crate::source::SourceFile;
use crate::syntax::comments::Comment;
use crate::syntax::hcl;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;
use hcl_edit::Span;
use std::ops::Range;

/// The ignore list of one resource.
pub struct IgnoreList {
    /// Span of the `lifecycle` block.
    pub block_span: Range<usize>,
    /// Span of the `lifecycle` identifier (for labels).
    pub ident_span: Range<usize>,
    /// `ignore_changes = all`.
    pub all: bool,
    /// Whether an `ignore_changes` attribute exists at all.
    pub has_attribute: bool,
    /// Normalized entry paths with their spans.
    pub entries: Vec<(String, Range<usize>)>,
    /// The array's span, when `ignore_changes` is a list.
    pub array_span: Option<Range<usize>>,
    /// Span of the `ignore_changes = ...` attribute.
    pub attr_span: Option<Range<usize>>,
}

impl IgnoreList {
    /// Reads the first `lifecycle` block of a resource; `None` when there is none.
    pub fn of(file: &SourceFile, resource: &Block) -> Option<IgnoreList> {
        let lifecycle = hcl::block(&resource.body, "lifecycle")?;
        let block_span = lifecycle.span().unwrap_or(0..0);
        let ident_span = lifecycle.ident.span().unwrap_or(block_span.clone());
        let mut list = IgnoreList {
            block_span,
            ident_span,
            all: false,
            has_attribute: false,
            entries: Vec::new(),
            array_span: None,
            attr_span: None,
        };
        let Some(attribute) = lifecycle.body.get_attribute("ignore_changes") else {
            return Some(list);
        };
        list.attr_span = attribute.span();
        let value = &attribute.value;
        list.has_attribute = true;
        match value {
            Expression::Variable(v) if v.as_str() == "all" => list.all = true,
            Expression::Array(items) => {
                list.array_span = value.span();
                for item in items.iter() {
                    if let (Some(path), Some(span)) =
                        (hcl::normalized_text(&file.text, item), item.span())
                    {
                        if path == "all" {
                            list.all = true;
                        }
                        list.entries.push((path, span));
                    }
                }
            }
            _ => {}
        }
        Some(list)
    }

    /// Whether Terraform would ignore `path` (an entry equal to it or to one of its parents).
    pub fn covers(&self, path: &str) -> bool {
        self.all
            || self
                .entries
                .iter()
                .any(|(entry, _)| path_covers(entry, path))
    }

    /// The entry equal to `path`, if any.
    pub fn entry(&self, path: &str) -> Option<&Range<usize>> {
        self.entries.iter().find(|(e, _)| e == path).map(|(_, s)| s)
    }

    /// Spans of the list's items.
    pub fn item_spans(&self) -> Vec<Range<usize>> {
        self.entries.iter().map(|(_, s)| s.clone()).collect()
    }

    /// Whether a comment containing `marker` lies inside the lifecycle block.
    pub fn has_marker(&self, text: &str, comments: &[Comment], marker: &str) -> bool {
        comments.iter().any(|c| {
            c.span.start >= self.block_span.start
                && c.span.end <= self.block_span.end
                && contains_word(&text[c.span.clone()], marker)
        })
    }
}

/// Whether `word` occurs in `text` as a whole word (`KYVERNO_LIFECYCLE_V10` does not
/// contain `KYVERNO_LIFECYCLE_V1`).
pub fn contains_word(text: &str, word: &str) -> bool {
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(word).any(|(i, _)| {
        !ident(text[..i].chars().next_back()) && !ident(text[i + word.len()..].chars().next())
    })
}

/// An edit that puts `# MARKER` inside the lifecycle block next to `anchor` (an entry or
/// the ignore_changes attribute): at the end of its line when that line has no comment
/// and does not close the block, else on its own line above it.
pub fn marker_edit(
    path: &str,
    text: &str,
    comments: &[Comment],
    list: &IgnoreList,
    anchor: usize,
    marker: &str,
) -> Option<Edit> {
    let end = text::line_end(text, anchor);
    let closes_block = list.block_span.end - 1 < end;
    if !closes_block && !text::comment_after(comments, text, anchor) {
        return Some(Edit {
            path: path.into(),
            span: end..end,
            replacement: format!(" # {marker}"),
        });
    }
    let start = text::line_start(text, anchor);
    // Own line above the anchor's line, as long as that line is inside the block (not the
    // `lifecycle {` line itself).
    if text::line_start(text, list.block_span.start) < start {
        let indent = text::indent_at(text, anchor);
        return Some(Edit {
            path: path.into(),
            span: start..start,
            replacement: format!("{indent}# {marker}{}", text::eol(text)),
        });
    }
    None
}

/// Whether ignoring `entry` ignores `path`: equal, or `path` is inside `entry`.
pub fn path_covers(entry: &str, path: &str) -> bool {
    match path.strip_prefix(entry) {
        Some("") => true,
        Some(rest) => rest.starts_with('[') || rest.starts_with('.'),
        None => false,
    }
}

/// Block identifiers along an attribute path: `spec[0].template[0].spec[0].dns_config`
/// gives `["spec", "template", "spec", "dns_config"]`.
pub fn path_blocks(path: &str) -> Vec<&str> {
    path.split('.')
        .map(|part| part.split('[').next().unwrap_or(part))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_is_prefix_by_path_component() {
        let dep = "spec[0].template[0].spec[0].dns_config";
        let cron = "spec[0].job_template[0].spec[0].template[0].spec[0].dns_config";
        assert!(path_covers(dep, dep));
        assert!(!path_covers(dep, cron));
        assert!(!path_covers(cron, dep));
        assert!(path_covers(
            "metadata[0].annotations",
            "metadata[0].annotations[\"keel.sh/policy\"]"
        ));
        assert!(!path_covers(
            "metadata[0].annotation",
            "metadata[0].annotations"
        ));
        assert_eq!(
            path_blocks(dep),
            vec!["spec", "template", "spec", "dns_config"]
        );
    }
}
