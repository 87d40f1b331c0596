//! Auditing a change (`--staged`, `--base`, `--commits`): change-scoped rules judge each
//! change set, and changed-only runs keep the findings on what the change added or modified.

use crate::finding::Finding;
use crate::git::{ChangeKind, ChangeSet, TreeReader};
use crate::rules::{ChangeContext, Rule};
use crate::workspace;
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// What judging a change needs from the audit run.
pub struct Inputs<'a> {
    /// Repository root.
    pub root: &'a Path,
    /// The rules of the run.
    pub rules: &'a [Rule],
    /// Every file the walk found (absolute).
    pub walked: &'a [PathBuf],
    /// Pending or staged texts (absolute path -> text).
    pub overlay: Option<&'a HashMap<PathBuf, String>>,
    /// The change sets, each judged on its own.
    pub sets: &'a [ChangeSet],
}

/// Adds the change-scoped findings to `findings`. Returns the text of the files the new
/// findings point into (for excerpts and fingerprints).
pub fn judge(inputs: &Inputs, findings: &mut Vec<Finding>) -> Result<BTreeMap<String, String>> {
    let Inputs {
        root,
        rules,
        walked,
        overlay,
        sets,
    } = *inputs;
    let mut change_sources = BTreeMap::new();
    let read_worktree = |rel: &str| -> Option<String> {
        let abs = root.join(rel);
        overlay
            .and_then(|o| o.get(&abs).cloned())
            .or_else(|| std::fs::read_to_string(&abs).ok())
    };
    let mut worktree_files: Vec<String> = walked
        .iter()
        .map(|f| workspace::relative(root, f))
        .collect();
    worktree_files.sort();
    let history = if sets.iter().any(|s| !s.commits.is_empty()) {
        Some(TreeReader::open(root)?)
    } else {
        None
    };
    for changes in sets.iter() {
        // A change with commits is judged against the repository as of its last commit.
        let at = match (&history, changes.commits.last()) {
            (Some(reader), Some(last)) => Some(reader.at(&last.id)?),
            _ => None,
        };
        let at_paths = at.as_ref().map(|a| a.paths());
        let read_at = |rel: &str| match &at {
            Some(a) => a.read(rel),
            None => read_worktree(rel),
        };
        let ctx = ChangeContext {
            changes,
            files: at_paths.as_deref().unwrap_or(&worktree_files),
            read: &read_at,
        };
        for rule in rules.iter().filter(|r| r.check.is_change_scoped()) {
            for mut f in rule.check.check_change(&ctx, &rule.meta) {
                if sets.len() > 1 {
                    f.message = format!("{} (commit {})", f.message, changes.label);
                }
                change_sources
                    .entry(f.location.path.clone())
                    .or_insert_with(|| read_at(&f.location.path).unwrap_or_default());
                findings.push(f);
            }
        }
    }
    Ok(change_sources)
}

/// For changed-only runs: drops the findings off the lines the change sets added or
/// modified, keeping every finding of a change-scoped rule. Runs after fingerprints are
/// assigned, so a finding keeps the fingerprint (occurrence index included) it has in a
/// full audit and a baseline matches it the same way in both.
pub fn keep_changed(rules: &[Rule], sets: &[ChangeSet], findings: &mut Vec<Finding>) {
    let scoped: BTreeSet<&str> = rules
        .iter()
        .filter(|r| r.check.is_change_scoped())
        .map(|r| r.meta.id.as_str())
        .collect();
    findings.retain(|f| {
        scoped.contains(f.rule.as_str()) || sets.iter().any(|c| on_changed_lines(f, c))
    });
}

/// Whether a finding sits on what the change added or modified: its primary location
/// overlaps changed lines, or its resource block does; a parse error counts when its file
/// changed at all.
fn on_changed_lines(f: &Finding, changes: &ChangeSet) -> bool {
    let path = f.location.path.as_str();
    if f.rule == "parse-error" {
        return changes
            .file(path)
            .is_some_and(|c| c.kind != ChangeKind::Deleted);
    }
    if changes.touches_range(
        path,
        f.location.line,
        f.location.end_line.max(f.location.line),
    ) {
        return true;
    }
    match (f.resource_line, f.resource_end_line) {
        (Some(first), Some(last)) => changes.touches_range(path, first, last.max(first)),
        (Some(first), None) => changes.touches(path, first),
        _ => false,
    }
}
