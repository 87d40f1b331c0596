//! YAML documents as trees that remember where each node is, for the rules that check
//! Kubernetes and Flux manifests (the inventory reads values only; a rule must point at the
//! line of the offending key).
//!
//! A file is split at its document markers first (`---` / `...` at column 0, which YAML
//! forbids inside content), and each document is parsed on its own, so one broken document
//! never hides the others. Aliases are expanded by copying the anchored node under a node
//! budget: an alias bomb ("billion laughs") is rejected, never expanded. Nesting is bounded
//! too, so a hostile file cannot exhaust the stack.

use granit_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;
use std::ops::Range;

/// Most nodes one document may hold once its aliases are expanded.
pub const MAX_NODES: usize = 250_000;
/// Deepest nesting of collections accepted.
pub const MAX_DEPTH: usize = 256;

/// A node and its place in the file.
#[derive(Debug, Clone)]
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// Byte range in the file (for an expanded alias: the anchored node's).
    pub span: Range<usize>,
    /// 1-based line of its start.
    pub line: usize,
}

/// The three kinds of YAML node.
#[derive(Debug, Clone)]
pub enum NodeKind {
    /// A scalar; `plain` when unquoted (so `true`, `null`, `1` keep their YAML meaning).
    Scalar { value: String, plain: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The value of a mapping key, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key node of `key` (to point at `key:` rather than at its value).
    pub fn key_node(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, _)| k),
            _ => None,
        }
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            NodeKind::Map(entries) => entries,
            _ => &[],
        }
    }

    /// A plain scalar that YAML reads as boolean `true`.
    pub fn is_true(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, plain: true } if value == "true" || value == "True" || value == "TRUE")
    }

    /// A plain scalar that YAML reads as boolean `false`.
    pub fn is_false(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, plain: true } if value == "false" || value == "False" || value == "FALSE")
    }
}

/// One document of a file.
#[derive(Debug)]
pub struct Document {
    /// Its root, `None` for an empty document.
    pub root: Option<Node>,
    /// Byte range of the document's lines, its `---` marker included.
    pub span: Range<usize>,
    /// 1-based line of its `---` marker, when it has one.
    pub marker_line: Option<usize>,
}

impl Document {
    /// `kind:` of a Kubernetes object.
    pub fn kind(&self) -> Option<&str> {
        self.root.as_ref()?.get("kind")?.as_str()
    }

    /// `apiVersion:` of a Kubernetes object.
    pub fn api_version(&self) -> Option<&str> {
        self.root.as_ref()?.get("apiVersion")?.as_str()
    }

    /// `metadata.name:` of a Kubernetes object.
    pub fn name(&self) -> Option<&str> {
        self.root.as_ref()?.path(&["metadata", "name"])?.as_str()
    }
}

/// A document that did not parse.
#[derive(Debug, Clone)]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Byte offset.
    pub offset: usize,
    /// What is wrong (never echoes the file's content).
    pub message: String,
}

/// A parsed YAML file.
#[derive(Debug, Default)]
pub struct YamlFile {
    /// Documents that parsed (empty ones included), in order.
    pub docs: Vec<Document>,
    /// Documents that did not.
    pub errors: Vec<YamlError>,
}

/// Parses every document of `text`.
pub fn parse(text: &str) -> YamlFile {
    let mut out = YamlFile::default();
    for (range, marker_line, first_line) in split(text) {
        match parse_document(&text[range.clone()], range.start, first_line) {
            Ok(root) => out.docs.push(Document {
                root,
                span: range,
                marker_line,
            }),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// Splits at `---` / `...` lines: `(byte range, line of its ---, first line)` per document.
fn split(text: &str) -> Vec<(Range<usize>, Option<usize>, usize)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut first_line = 1;
    let mut marker = None;
    let mut offset = 0;
    let mut has_content = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_start = bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t");
        let is_end = bare == "..." || bare.starts_with("... ");
        if (is_start || is_end) && (has_content || marker.is_some()) {
            docs.push((start..offset, marker, first_line));
            marker = None;
            has_content = false;
        }
        if is_start || is_end {
            start = offset;
            first_line = n;
            if is_start {
                marker = Some(n);
            } else {
                start = offset + line.len();
                first_line = n + 1;
            }
        } else if !bare.trim().is_empty() && !bare.trim_start().starts_with('#') {
            has_content = true;
        }
        offset += line.len();
    }
    if has_content || marker.is_some() {
        docs.push((start..text.len(), marker, first_line));
    }
    docs
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        line: usize,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        start: usize,
        line: usize,
        anchor: usize,
    },
}

fn count(node: &Node) -> usize {
    let mut n = 0;
    let mut stack = vec![node];
    while let Some(x) = stack.pop() {
        n += 1;
        match &x.kind {
            NodeKind::Scalar { .. } => {}
            NodeKind::Seq(items) => stack.extend(items.iter()),
            NodeKind::Map(entries) => stack.extend(entries.iter().flat_map(|(k, v)| [k, v])),
        }
    }
    n
}

struct Builder {
    base: usize,
    first_line: usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
}

impl Builder {
    fn offset(&self, span: &Span, chunk: &str) -> usize {
        let local = span.start.byte_offset().unwrap_or_else(|| {
            chunk
                .char_indices()
                .nth(span.start.index())
                .map(|(i, _)| i)
                .unwrap_or(chunk.len())
        });
        self.base + local
    }

    fn end_offset(&self, span: &Span, chunk: &str) -> usize {
        let local = span.end.byte_offset().unwrap_or_else(|| {
            chunk
                .char_indices()
                .nth(span.end.index())
                .map(|(i, _)| i)
                .unwrap_or(chunk.len())
        });
        self.base + local
    }

    fn line(&self, span: &Span) -> usize {
        span.start.line() + self.first_line - 1
    }

    fn add(&mut self, node: Node, anchor: usize) -> Result<(), String> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(format!(
                "more than {MAX_NODES} nodes once aliases are expanded (an alias bomb?): not read"
            ));
        }
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) if k.as_str() == Some("<<") => merge(entries, node),
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

/// `<<: *base` merges the entries of `value` (a mapping or a list of mappings) that the
/// mapping does not set itself.
fn merge(entries: &mut Vec<(Node, Node)>, value: Node) {
    let sources: Vec<Node> = match value.kind {
        NodeKind::Seq(items) => items,
        _ => vec![value],
    };
    for source in sources {
        if let NodeKind::Map(more) = source.kind {
            for (k, v) in more {
                if !entries.iter().any(|(e, _)| e.as_str() == k.as_str()) {
                    entries.push((k, v));
                }
            }
        }
    }
}

fn parse_document(chunk: &str, base: usize, first_line: usize) -> Result<Option<Node>, YamlError> {
    let mut b = Builder {
        base,
        first_line,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        nodes: 0,
    };
    let fail = |b: &Builder, span: Option<&Span>, message: String| YamlError {
        line: span.map(|s| b.line(s)).unwrap_or(first_line),
        column: span.map(|s| s.start.col() + 1).unwrap_or(1),
        offset: span.map(|s| b.offset(s, chunk)).unwrap_or(base),
        message,
    };
    for event in Parser::new_from_str(chunk) {
        let (event, span) = match event {
            Ok(e) => e,
            Err(e) => {
                let m = e.marker();
                return Err(YamlError {
                    line: m.line() + first_line - 1,
                    column: m.col() + 1,
                    offset: base + m.byte_offset().unwrap_or(0),
                    message: e.info().to_string(),
                });
            }
        };
        match event {
            Event::Scalar(value, style, anchor, _) => {
                let node = Node {
                    kind: NodeKind::Scalar {
                        value: value.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    span: b.offset(&span, chunk)..b.end_offset(&span, chunk),
                    line: b.line(&span),
                };
                b.add(node, anchor).map_err(|m| fail(&b, Some(&span), m))?;
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                if b.stack.len() >= MAX_DEPTH {
                    return Err(fail(
                        &b,
                        Some(&span),
                        format!("nested deeper than {MAX_DEPTH} levels: not read"),
                    ));
                }
                let (start, line) = (b.offset(&span, chunk), b.line(&span));
                b.stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        start,
                        line,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        start,
                        line,
                        anchor,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = b.end_offset(&span, chunk);
                let (node, anchor) = match b.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        start,
                        line,
                        anchor,
                    }) => (
                        Node {
                            kind: NodeKind::Seq(items),
                            span: start..end.max(start),
                            line,
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        entries,
                        start,
                        line,
                        anchor,
                        ..
                    }) => (
                        Node {
                            kind: NodeKind::Map(entries),
                            span: start..end.max(start),
                            line,
                        },
                        anchor,
                    ),
                    None => continue,
                };
                b.add(node, anchor).map_err(|m| fail(&b, Some(&span), m))?;
            }
            Event::Alias(id) => {
                let Some(target) = b.anchors.get(&id).cloned() else {
                    return Err(fail(&b, Some(&span), "alias to an unknown anchor".into()));
                };
                let size = count(&target);
                if b.nodes + size > MAX_NODES {
                    return Err(fail(
                        &b,
                        Some(&span),
                        format!("more than {MAX_NODES} nodes once aliases are expanded (an alias bomb?): not read"),
                    ));
                }
                b.nodes += size - 1;
                b.add(target, 0).map_err(|m| fail(&b, Some(&span), m))?;
            }
            _ => {}
        }
    }
    Ok(b.root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_positions_and_aliases_expand() {
        let text = "---\n# yaml-language-server: $schema=x\napiVersion: v1\nkind: Pod\nspec:\n  liveness: &probes\n    port: 8080\n  readiness: *probes\n---\nkind: [unclosed\n---\nkind: Service\n";
        let f = parse(text);
        assert_eq!(f.docs.len(), 2, "{:?}", f.errors);
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0].line, 10);
        let pod = f.docs[0].root.as_ref().unwrap();
        assert_eq!(f.docs[0].kind(), Some("Pod"));
        assert_eq!(pod.get("kind").unwrap().line, 4);
        let port = pod.path(&["spec", "readiness", "port"]).unwrap();
        assert_eq!(port.as_str(), Some("8080"));
        assert_eq!(&text[pod.get("kind").unwrap().span.clone()], "Pod");
        assert_eq!(f.docs[1].marker_line, Some(11));
        assert_eq!(f.docs[1].kind(), Some("Service"));
    }

    #[test]
    fn alias_bombs_are_rejected() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let f = parse(&text);
        assert!(f.docs.is_empty());
        assert!(f.errors[0].message.contains("alias bomb"), "{:?}", f.errors);
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let f = parse(&text);
        // The parser's own limit (or ours, whichever comes first): an error, no crash.
        assert!(f.docs.is_empty());
        let m = &f.errors[0].message;
        assert!(
            m.contains("nested deeper") || m.contains("recursion limit"),
            "{m}"
        );
    }
}
