//! What a change touched, read from the repository with a Rust git library (never by
//! parsing `git` output): the staged index against HEAD (pre-commit), a PR's
//! merge-base(base, head)..head, or each commit of a range on its own.

mod lines;
mod read;

pub use read::{
    between, each_commit, head_commit, introduced, staged, staged_contents, CommitFiles, History,
    TreeReader,
};

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// New file.
    Added,
    /// Modified file.
    Modified,
    /// Deleted file (its lines are gone: nothing to report on).
    Deleted,
    /// Renamed (possibly modified) file; `path` is the new path.
    Renamed,
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// Repo-relative, `/`-separated path in the new version.
    pub path: String,
    /// Path before a rename.
    pub old_path: Option<String>,
    /// How it changed.
    pub kind: ChangeKind,
    /// 1-based line ranges of the new version that the change added or modified.
    pub lines: Vec<RangeInclusive<usize>>,
}

/// A commit, as change-scoped rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// Subject line.
    pub subject: String,
    /// Whole message.
    pub message: String,
    /// Trailers (`Docs-Not-Needed: reason`), keys as written.
    pub trailers: BTreeMap<String, String>,
    /// Number of parents: 0 for a root commit, 2 or more for a merge.
    pub parents: usize,
}

/// What a change touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Changed files, sorted by path.
    pub files: Vec<ChangedFile>,
    /// The commits of the change (empty for staged changes).
    pub commits: Vec<CommitInfo>,
    /// A description: `staged changes`, `origin/main...HEAD`, a commit id.
    pub label: String,
}

impl ChangeSet {
    /// Whether 1-based `line` of `path` was added or modified.
    pub fn touches(&self, path: &str, line: usize) -> bool {
        self.file(path)
            .is_some_and(|f| f.lines.iter().any(|r| r.contains(&line)))
    }

    /// Whether any line in `first..=last` of `path` was added or modified.
    pub fn touches_range(&self, path: &str, first: usize, last: usize) -> bool {
        self.file(path).is_some_and(|f| {
            f.lines
                .iter()
                .any(|r| *r.start() <= last && first <= *r.end())
        })
    }

    /// Whether any commit of the change carries trailer `key` (case-insensitive), and its
    /// value (the first one found).
    pub fn trailer(&self, key: &str) -> Option<&str> {
        self.commits.iter().find_map(|c| {
            c.trailers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
        })
    }

    /// The changed file at `path`.
    pub fn file(&self, path: &str) -> Option<&ChangedFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touches_lines_and_ranges() {
        let set = ChangeSet {
            files: vec![ChangedFile {
                path: "a.tf".into(),
                old_path: None,
                kind: ChangeKind::Modified,
                lines: vec![3..=5, 10..=10],
            }],
            ..Default::default()
        };
        assert!(set.touches("a.tf", 4) && set.touches("a.tf", 10));
        assert!(!set.touches("a.tf", 6) && !set.touches("b.tf", 4));
        assert!(set.touches_range("a.tf", 6, 12) && !set.touches_range("a.tf", 6, 9));
    }
}
