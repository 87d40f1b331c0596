//! How YAML files are laid out: the `---` document marker, `$schema` directives after
//! every marker, sorted `resources:` in kustomization.yaml, indentation width. Each has a safe
//! fix where one cannot change the meaning.

use super::*;
use crate::finding::{Applicability, Edit};
use crate::fix::text;
use crate::syntax::yaml::{Node, NodeKind};
use serde::Deserialize;

// --------------------------------------------------------------------- document start

/// `yaml-document-start`.
pub struct DocumentStart;

impl Check for DocumentStart {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(yaml) = ctx.yaml else { return };
        let t = ctx.file.text.trim_start_matches('\u{feff}');
        if t.trim().is_empty() || yaml.docs.is_empty() && yaml.errors.is_empty() {
            return;
        }
        let first = t.lines().next().unwrap_or_default().trim_end();
        // The first line that is not blank or a comment: a file whose header comments
        // precede its `---` already starts its document properly.
        let first_content = t
            .lines()
            .map(str::trim_end)
            .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .unwrap_or_default();
        if first_content == "---" || first_content.starts_with("--- ") {
            return;
        }
        let bom = ctx.file.text.len() - t.len();
        let edit = Edit {
            path: ctx.file.path.clone(),
            span: bom..bom,
            replacement: format!("---{}", text::eol(&ctx.file.text)),
        };
        // `---` may not precede a `%YAML` directive: no fix there.
        let edits = if first_content.starts_with('%') {
            Vec::new()
        } else {
            vec![edit]
        };
        let fix = ctx.fix(
            None,
            "start the file with `---`".into(),
            Applicability::Safe,
            edits,
        );
        let end = bom + first.len();
        out.violation(
            bom..end.max(bom + 1).min(ctx.file.text.len()),
            "the file does not start with the document marker `---`",
        )
        .with_fix(fix);
    }
}

// --------------------------------------------------------------------- schema directive

/// `schema-directive`.
pub struct SchemaDirective;

const DIRECTIVE: &str = "# yaml-language-server: $schema=";

impl Check for SchemaDirective {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(yaml) = ctx.yaml else { return };
        let file = ctx.file;
        if !file.text.contains(DIRECTIVE) {
            return;
        }
        let nl = text::eol(&file.text);
        for doc in &yaml.docs {
            let first = file.line_of(doc.span.start);
            let last = file.line_of(doc.span.end.saturating_sub(1).max(doc.span.start));
            let directives: Vec<usize> = (first..=last)
                .filter(|&n| file.line_text(n).trim_start().starts_with(DIRECTIVE))
                .collect();
            let Some(marker) = doc.marker_line else {
                // No `---`: yaml-document-start reports the file; a directive on its first
                // line is then in place once the marker is added.
                for &d in directives.iter().filter(|&&d| d != first) {
                    out.violation(
                        file.line_range(d),
                        "the `$schema` directive is not on the line right after `---`",
                    );
                }
                continue;
            };
            match directives.as_slice() {
                [] => {
                    out.violation(
                        file.line_range(marker),
                        "this document has no `# yaml-language-server: $schema=` line after its `---`, while other documents of the file do: repeat it after every `---`",
                    );
                }
                [d, ..] if *d == marker + 1 => {}
                [d, ..] => {
                    let line = file.line_text(*d).trim().to_string();
                    let from = file.line_range(*d);
                    let mut delete_end = from.end;
                    if file.text[delete_end..].starts_with("\r\n") {
                        delete_end += 2;
                    } else if file.text[delete_end..].starts_with('\n') {
                        delete_end += 1;
                    }
                    let at = file.line_range(marker + 1).start;
                    let edits = vec![
                        Edit {
                            path: file.path.clone(),
                            span: at..at,
                            replacement: format!("{line}{nl}"),
                        },
                        Edit {
                            path: file.path.clone(),
                            span: from.start..delete_end,
                            replacement: String::new(),
                        },
                    ];
                    let fix = ctx.fix(
                        None,
                        "move the directive right after `---`".into(),
                        Applicability::Safe,
                        edits,
                    );
                    out.violation(
                        from,
                        format!("the `$schema` directive must be the line right after `---` (line {marker}); editors only read it there"),
                    )
                    .with_fix(fix);
                }
            }
        }
    }
}

// --------------------------------------------------------------------- kustomization order

/// `kustomization-sorted`.
pub struct KustomizationSorted;

impl Check for KustomizationSorted {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let file = ctx.file;
        let name = file.path.rsplit('/').next().unwrap_or_default();
        if !matches!(name, "kustomization.yaml" | "kustomization.yml") {
            return;
        }
        for doc in docs(ctx) {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            let (Some(key), Some(list)) = (root.key_node("resources"), root.get("resources"))
            else {
                continue;
            };
            let values: Vec<&str> = list.items().iter().filter_map(Node::as_str).collect();
            if values.len() != list.items().len() {
                continue;
            }
            let mut sorted = values.clone();
            sorted.sort_by_key(|v| v.to_ascii_lowercase());
            if sorted == values {
                continue;
            }
            let first_wrong = values
                .iter()
                .zip(&sorted)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let fix = sort_edit(file, list, &sorted);
            let fix = ctx.fix(
                None,
                "sort `resources:` alphabetically".into(),
                Applicability::Safe,
                fix.into_iter().collect(),
            );
            out.violation(
                key.span.clone(),
                format!(
                    "`resources:` is not in alphabetical order (`{}` should come before `{}`)",
                    sorted[first_wrong], values[first_wrong]
                ),
            )
            .with_fix(fix);
        }
    }
}

/// Rewrites a block sequence of one-line scalars in sorted order, when every item is alone
/// on its line (`- x`, no comments between them); otherwise no fix.
fn sort_edit(file: &crate::source::SourceFile, list: &Node, sorted: &[&str]) -> Option<Edit> {
    let items = list.items();
    let first_line = items.first()?.line;
    let last_line = items.last()?.line;
    if last_line - first_line + 1 != items.len() {
        return None;
    }
    let mut by_value: Vec<(String, &str)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let line = file.line_text(first_line + i);
        let trimmed = line.trim_start();
        if !trimmed.starts_with("- ") || line.contains(" #") || item.line != first_line + i {
            return None;
        }
        by_value.push((item.as_str()?.to_string(), line));
    }
    let nl = text::eol(&file.text);
    let mut replacement = String::new();
    for (i, v) in sorted.iter().enumerate() {
        let (_, line) = by_value.iter().find(|(x, _)| x == v)?;
        replacement.push_str(line);
        if i + 1 < sorted.len() {
            replacement.push_str(nl);
        }
    }
    let start = file.line_range(first_line).start;
    let end = file.line_range(last_line).end;
    Some(Edit {
        path: file.path.clone(),
        span: start..end,
        replacement,
    })
}

// --------------------------------------------------------------------- indentation

/// Parameters of `yaml-indentation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndentParams {
    /// Spaces per level.
    #[serde(default = "two")]
    pub width: usize,
}

fn two() -> usize {
    2
}

/// `yaml-indentation`.
pub struct Indentation {
    params: IndentParams,
}

impl Indentation {
    /// Builds the check.
    pub fn new(params: IndentParams) -> Self {
        Indentation { params }
    }
}

/// The last line a node's content reaches (its last descendant's end).
fn last_line(file: &crate::source::SourceFile, node: &Node) -> usize {
    let mut n = node;
    loop {
        match &n.kind {
            NodeKind::Map(entries) if !entries.is_empty() => n = &entries[entries.len() - 1].1,
            NodeKind::Seq(items) if !items.is_empty() => n = &items[items.len() - 1],
            _ => return file.line_of(n.span.end.saturating_sub(1).max(n.span.start)),
        }
    }
}

/// Moves lines `first..=last` (a block mapping's subtree) from column `from` to `to`, when
/// that cannot change what the YAML means: every non-blank line is indented at least
/// `from` (so all belong to the subtree), none holds a tab or a block scalar header
/// (`|`, `>`: their content's indentation is significant on its own), and none is a
/// continuation of a multi-line flow collection or quoted scalar. Otherwise no fix.
fn reindent(
    file: &crate::source::SourceFile,
    first: usize,
    last: usize,
    from: usize,
    to: usize,
) -> Option<Edit> {
    let mut out = String::new();
    let nl = text::eol(&file.text);
    for n in first..=last {
        let line = file.line_text(n);
        if line.trim().is_empty() {
            out.push_str(line.trim_end_matches([' ', '\t']));
        } else {
            let indent = line.len() - line.trim_start_matches(' ').len();
            let body = &line[indent..];
            let header = body.split(" #").next().unwrap_or(body).trim_end();
            let block_scalar = header.ends_with('|')
                || header.ends_with('>')
                || ["|-", "|+", ">-", ">+"].iter().any(|h| header.ends_with(h));
            let open_flow = body.matches(['[', '{']).count() != body.matches([']', '}']).count();
            let open_quote = body.matches('"').count() % 2 == 1;
            if indent < from || body.starts_with('\t') || block_scalar || open_flow || open_quote {
                return None;
            }
            out.push_str(&" ".repeat(indent - from + to));
            out.push_str(body);
        }
        if n < last {
            out.push_str(nl);
        }
    }
    let start = file.line_range(first).start;
    let end = file.line_range(last).end;
    Some(Edit {
        path: file.path.clone(),
        span: start..end,
        replacement: out,
    })
}

impl Check for Indentation {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let file = ctx.file;
        let col = |n: &Node| file.position(n.span.start).column - 1;
        for doc in docs(ctx) {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            // Block mappings nested in block mappings: the child keys sit `width` deeper
            // than the parent key (flow collections and scalars are not checked).
            let mut stack = vec![root];
            let mut reported = false;
            while let Some(node) = stack.pop() {
                for (k, v) in node.entries() {
                    let child = match &v.kind {
                        NodeKind::Map(entries) => entries.first().map(|(ck, _)| ck),
                        NodeKind::Seq(items) => {
                            stack.extend(items.iter());
                            None
                        }
                        _ => None,
                    };
                    if let Some(ck) = child {
                        let flow = file.text[v.span.start..].starts_with('{');
                        if !flow
                            && ck.line > k.line
                            && col(ck) != col(k) + self.params.width
                            && !reported
                        {
                            reported = true;
                            let want = col(k) + self.params.width;
                            let edit = reindent(file, ck.line, last_line(file, v), col(ck), want);
                            let fix = ctx.fix(
                                None,
                                format!(
                                    "indent the mapping under `{}` by {} spaces",
                                    k.as_str().unwrap_or("?"),
                                    self.params.width
                                ),
                                Applicability::Safe,
                                edit.into_iter().collect(),
                            );
                            out.violation(
                                ck.span.clone(),
                                format!("indented {} spaces under `{}`, not {}: the repo uses {}-space indentation", col(ck).saturating_sub(col(k)), k.as_str().unwrap_or("?"), self.params.width, self.params.width),
                            )
                            .with_fix(fix);
                        }
                        stack.push(v);
                    }
                }
            }
        }
    }
}
