//! Reading YAML files into documents: which files are candidates, SOPS detection, splitting
//! a stream into documents (so one broken document does not hide the others) and parsing
//! each with serde-saphyr (its budget limits on, against alias bombs).

use super::super::load::{RepoFiles, Unreadable};
use super::super::Note;
use crate::source::SourceFile;

/// One parsed document of a YAML file.
pub struct Doc {
    /// Its value.
    pub value: serde_json::Value,
    /// 1-based line of its top-level `kind:` key (or of its first content line).
    pub kind_line: usize,
}

/// A YAML file, read and split into documents.
pub struct YamlFile {
    /// The file.
    pub file: SourceFile,
    /// The documents that parsed and are not empty, in order.
    pub docs: Vec<Doc>,
    /// Documents that look like Kubernetes objects but do not parse.
    pub errors: Vec<Note>,
}

/// Whether a walked, repo-relative path is a YAML file the inventory looks at: `.yaml` /
/// `.yml`, not under a hidden directory (`.github/`, `.woodpecker/`...) and not a hidden
/// file (`.sops.yaml`, `.pre-commit-config.yaml`...).
pub fn is_candidate(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    (lower.ends_with(".yaml") || lower.ends_with(".yml"))
        && !path.split('/').any(|part| part.starts_with('.'))
}

/// Whether the file name says SOPS encrypted it (`secret.sops.yaml`).
pub fn is_sops_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.ends_with(".sops.yaml") || name.ends_with(".sops.yml")
}

/// The note for an encrypted file: never read further.
pub fn encrypted(path: &str, why: &str) -> Note {
    Note::file(
        path,
        format!("{why}: not read; the objects it declares are not in the inventory"),
    )
}

/// Reads and parses one candidate file; `parse_all` parses every document (a
/// `kustomization.yaml`), otherwise only those that can be Kubernetes objects. `Err`: the
/// note saying why the file is not read (encrypted, unreadable).
pub fn read(repo: &RepoFiles, path: &str, parse_all: bool) -> Result<YamlFile, Note> {
    let file = match repo.read(path) {
        Ok(f) => f,
        Err(Unreadable::Missing) => {
            return Err(Note::file(path, "not read: missing"));
        }
        Err(Unreadable::Opaque(why)) if why.contains("SOPS") => {
            return Err(encrypted(path, &why));
        }
        Err(why) => return Err(Note::file(path, format!("not read: {why}"))),
    };
    if file.lines().any(|(_, l)| is_top_level_key(l, "sops")) {
        return Err(encrypted(
            path,
            "SOPS encrypted (top-level `sops:` metadata)",
        ));
    }
    let mut out = YamlFile {
        docs: Vec::new(),
        errors: Vec::new(),
        file,
    };
    for chunk in split(&out.file) {
        let kind_line = chunk.kind_line.or(chunk.first_content);
        let Some(first) = kind_line else { continue };
        // Only documents with a top-level `kind:` (or in flow style) can be Kubernetes
        // objects: CI files, compose files and Helm values are never parsed, so they add
        // neither objects nor notes.
        if !(parse_all || chunk.kind_line.is_some() || chunk.flow) {
            continue;
        }
        match parse(&out.file.text, &chunk) {
            Ok(Some(value)) => out.docs.push(Doc {
                value,
                kind_line: first,
            }),
            Ok(None) => {}
            Err((line, message)) => out.errors.push(Note {
                path: path.to_string(),
                line: Some(line),
                address: None,
                message: format!("YAML document does not parse: {message}"),
            }),
        }
    }
    Ok(out)
}

/// One document's lines in the file.
struct Chunk {
    /// Byte range in the file.
    start: usize,
    end: usize,
    /// 1-based first line.
    first_line: usize,
    /// 1-based line of a top-level `kind:` key.
    kind_line: Option<usize>,
    /// 1-based line of the first line with content.
    first_content: Option<usize>,
    /// The document is a flow collection (`{...}`, `[...]`).
    flow: bool,
}

/// Splits a YAML stream at its document markers (`---` and `...` at column 0: YAML forbids
/// them inside content, so this split is exact). Directives stay with the document after
/// them.
fn split(file: &SourceFile) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut current: Option<Chunk> = None;
    let mut directives_only = false;
    for (n, line) in file.lines() {
        let range = file.line_range(n);
        let start_marker = is_marker(line, "---");
        let end_marker = is_marker(line, "...");
        if (start_marker && !directives_only) || end_marker || current.is_none() {
            if let Some(c) = current.take() {
                chunks.push(c);
            }
            directives_only = false;
            if end_marker {
                continue;
            }
        }
        let c = current.get_or_insert(Chunk {
            start: range.start,
            end: range.start,
            first_line: n,
            kind_line: None,
            first_content: None,
            flow: false,
        });
        c.end = if n < file.line_count() {
            file.line_range(n + 1).start
        } else {
            file.text.len()
        };
        let content = if start_marker {
            line[3..].trim()
        } else {
            line.trim()
        };
        if content.starts_with('%') && c.first_content.is_none() {
            directives_only = true;
        } else if !content.is_empty() && !content.starts_with('#') {
            directives_only = false;
            if c.first_content.is_none() {
                c.first_content = Some(n);
                c.flow = content.starts_with('{') || content.starts_with('[');
            }
            if c.kind_line.is_none() && is_top_level_key(line, "kind") {
                c.kind_line = Some(n);
            }
        }
    }
    chunks.extend(current);
    chunks
}

/// Parses one chunk; `Ok(None)` for an empty or null document, `Err((line, message))`.
fn parse(text: &str, chunk: &Chunk) -> Result<Option<serde_json::Value>, (usize, String)> {
    // Leading newlines keep the parser's line numbers those of the file.
    let mut doc = "\n".repeat(chunk.first_line - 1);
    doc.push_str(&text[chunk.start..chunk.end]);
    // No snippets: a message must never echo the file's content (it may hold secrets).
    let options = serde_saphyr::options! { with_snippet: false };
    match serde_saphyr::from_str_with_options::<Option<serde_json::Value>>(&doc, options) {
        Ok(v) => Ok(v.filter(|v| !v.is_null())),
        Err(e) => {
            let line = e
                .location()
                .and_then(|l| usize::try_from(l.line()).ok())
                .filter(|&l| l >= chunk.first_line)
                .unwrap_or(chunk.first_line);
            let message = e.to_string();
            let message = message
                .lines()
                .next()
                .unwrap_or("")
                .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
                .trim()
                .to_string();
            Err((line, message))
        }
    }
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// Whether `line` is the top-level mapping key `key` (`kind:`, `"kind":`).
fn is_top_level_key(line: &str, key: &str) -> bool {
    let rest = line
        .strip_prefix(key)
        .or_else(|| {
            line.strip_prefix('"')
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix('"'))
        })
        .or_else(|| {
            line.strip_prefix('\'')
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix('\''))
        });
    rest.map(str::trim_start).is_some_and(|r| {
        r.strip_prefix(':')
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("a.yaml".into(), PathBuf::from("a.yaml"), text.into())
    }

    #[test]
    fn splits_documents_and_finds_kind_lines() {
        let f = file(
            "# c\n---\napiVersion: v1\nkind: A\n---\n# only a comment\n...\n%YAML 1.2\n---\nkind: B\n--- {kind: C}\n",
        );
        let chunks = split(&f);
        let kinds: Vec<(usize, Option<usize>, Option<usize>)> = chunks
            .iter()
            .map(|c| (c.first_line, c.kind_line, c.first_content))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (1, None, None),
                (2, Some(4), Some(3)),
                (5, None, None),
                (8, Some(10), Some(10)),
                (11, None, Some(11)),
            ]
        );
        assert!(chunks[4].flow);
    }

    #[test]
    fn top_level_keys() {
        assert!(is_top_level_key("kind: Deployment", "kind"));
        assert!(is_top_level_key("kind:", "kind"));
        assert!(is_top_level_key("\"kind\" : x", "kind"));
        assert!(!is_top_level_key("  kind: x", "kind"));
        assert!(!is_top_level_key("kinds: x", "kind"));
        assert!(!is_top_level_key("kind:x", "kind"));
        assert!(is_top_level_key("sops:", "sops"));
    }

    #[test]
    fn parse_errors_carry_file_lines() {
        let f = file("kind: A\n---\nkind: B\nx: [1,\n---\nkind: C\n");
        let chunks = split(&f);
        assert_eq!(chunks.len(), 3);
        assert!(parse(&f.text, &chunks[0]).unwrap().is_some());
        let (line, msg) = parse(&f.text, &chunks[1]).unwrap_err();
        assert!((3..=5).contains(&line), "{line}: {msg}");
        assert!(!msg.is_empty());
        assert_eq!(
            parse(&f.text, &chunks[2]).unwrap(),
            Some(serde_json::json!({"kind": "C"}))
        );
    }

    #[test]
    fn alias_bombs_hit_the_budget() {
        let mut text = String::from("kind: X\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let f = file(&text);
        let chunks = split(&f);
        assert!(parse(&f.text, &chunks[0]).is_err());
    }
}
