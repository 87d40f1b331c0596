//! Reading changes with gix: trees, the index, merge bases, commit walks. Read-only.

use super::lines::changed_lines;
use super::{ChangeKind, ChangeSet, ChangedFile, CommitInfo};
use anyhow::{anyhow, bail, Context, Result};
use gix::bstr::ByteSlice;
use gix::ObjectId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// Path -> blob id of every file of a tree (or of the index), repo-relative.
type Files = BTreeMap<String, ObjectId>;

/// The repository [`introduced`] reads, opened ahead: the audit starts this when it starts,
/// so that finding the repository and reading its configuration (about 0.6 ms) overlaps the
/// walk instead of adding to the serial tail. `gix::Repository` may not move between threads
/// (without gix's `parallel` feature), so the repository stays on a thread of its own, which
/// answers [`introduced`]'s queries.
pub struct History(Answerer);

/// Who answers [`introduced`]'s queries.
enum Answerer {
    /// The thread holding the repository: queries go one way, answers the other.
    Thread {
        queries: mpsc::Sender<(Vec<(String, String)>, usize)>,
        answers: mpsc::Receiver<Vec<Option<(String, i64)>>>,
    },
    /// No thread could be started: the repository is opened when asked.
    Here(PathBuf),
}

impl History {
    /// Starts opening the repository holding `root` (outside a git work tree every query is
    /// answered with `None`).
    pub fn open(root: &Path) -> History {
        let (queries, asked) = mpsc::channel::<(Vec<(String, String)>, usize)>();
        let (answer, answers) = mpsc::channel();
        let dir = root.to_path_buf();
        let started = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || {
                let repo = Repo::open(&dir).ok();
                for (queries, limit) in asked {
                    if answer
                        .send(answer_all(repo.as_ref(), &queries, limit))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        History(match started {
            Ok(_) => Answerer::Thread { queries, answers },
            Err(_) => Answerer::Here(root.to_path_buf()),
        })
    }
}

fn answer_all(
    repo: Option<&Repo>,
    queries: &[(String, String)],
    limit: usize,
) -> Vec<Option<(String, i64)>> {
    queries
        .iter()
        .map(|(path, needle)| repo.and_then(|repo| introduced_one(repo, path, needle, limit)))
        .collect()
}

/// An open repository and where the audit root sits in its work tree.
struct Repo {
    repo: gix::Repository,
    /// `/`-terminated path of the audit root inside the work tree (`""` when it is the
    /// work tree itself).
    prefix: String,
}

impl Repo {
    fn open(root: &Path) -> Result<Repo> {
        let repo = gix::discover(root)
            .with_context(|| format!("{} is not inside a git repository", root.display()))?;
        let workdir: PathBuf = repo
            .workdir()
            .ok_or_else(|| anyhow!("the git repository at {} has no work tree", root.display()))?
            .canonicalize()
            .context("cannot resolve the git work tree")?;
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", root.display()))?;
        let rel = root.strip_prefix(&workdir).unwrap_or(Path::new(""));
        let mut prefix = rel.to_string_lossy().replace('\\', "/");
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(Repo { repo, prefix })
    }

    fn resolve(&self, spec: &str) -> Result<ObjectId> {
        let id = self.repo.rev_parse_single(spec).map_err(|e| {
            anyhow!(
                "cannot resolve `{spec}`: {e}{}",
                self.fetch_hint("if it is a remote branch, fetch it (`git fetch origin <branch>`)")
            )
        })?;
        let commit = id
            .object()
            .with_context(|| format!("cannot read `{spec}`"))?
            .peel_to_commit()
            .with_context(|| format!("`{spec}` does not name a commit"))?;
        Ok(commit.id)
    }

    /// Advice to fetch more history, mentioning shallowness when the clone is shallow.
    fn fetch_hint(&self, otherwise: &str) -> String {
        if self.repo.is_shallow().unwrap_or(false) {
            "; this is a shallow clone: fetch more history (`git fetch --deepen=100`, or `git fetch --unshallow`) and the base branch (`git fetch origin <base>`)".into()
        } else {
            format!("; {otherwise}")
        }
    }

    fn commit(&self, id: ObjectId) -> Result<gix::Commit<'_>> {
        self.repo.find_commit(id).map_err(|e| {
            anyhow!(
                "commit {} is not in this repository ({e}){}",
                id.to_hex_with_len(12),
                self.fetch_hint("fetch the missing history")
            )
        })
    }

    fn tree_of(&self, commit: ObjectId) -> Result<Files> {
        let tree = self
            .commit(commit)?
            .tree_id()
            .with_context(|| format!("cannot read the tree of {commit}"))?
            .detach();
        let mut out = Files::new();
        self.walk_tree(tree, "", &mut out)?;
        Ok(self.scoped(out))
    }

    fn walk_tree(&self, id: ObjectId, prefix: &str, out: &mut Files) -> Result<()> {
        let tree = self
            .repo
            .find_tree(id)
            .with_context(|| format!("cannot read tree {id}"))?;
        let decoded = tree
            .decode()
            .with_context(|| format!("cannot decode tree {id}"))?;
        for e in &decoded.entries {
            let name = e.filename.to_str_lossy();
            let path = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            if e.mode.is_tree() {
                self.walk_tree(e.oid.to_owned(), &path, out)?;
            } else if !e.mode.is_commit() {
                out.insert(path, e.oid.to_owned());
            }
        }
        Ok(())
    }

    /// Keeps the files under the audit root, with paths relative to it.
    fn scoped(&self, files: Files) -> Files {
        if self.prefix.is_empty() {
            return files;
        }
        files
            .into_iter()
            .filter_map(|(p, id)| p.strip_prefix(&self.prefix).map(|r| (r.to_string(), id)))
            .collect()
    }

    fn index(&self) -> Result<Files> {
        let index = self
            .repo
            .index_or_empty()
            .context("cannot read the git index")?;
        let mut out = Files::new();
        for entry in index.entries() {
            if entry.stage_raw() != 0 || entry.mode == gix::index::entry::Mode::COMMIT {
                continue;
            }
            out.insert(entry.path(&index).to_str_lossy().into_owned(), entry.id);
        }
        Ok(self.scoped(out))
    }

    fn blob(&self, id: ObjectId) -> Result<Vec<u8>> {
        Ok(self
            .repo
            .find_blob(id)
            .with_context(|| format!("cannot read blob {id}"))?
            .data
            .clone())
    }

    fn head(&self) -> Result<Option<ObjectId>> {
        match self.repo.head_id() {
            Ok(id) => Ok(Some(id.detach())),
            Err(_) if self.repo.head()?.is_unborn() => Ok(None),
            Err(e) => Err(e).context("cannot resolve HEAD"),
        }
    }

    /// The files that differ between `old` and `new`, with changed lines of the new side.
    fn diff(&self, old: &Files, new: &Files) -> Result<Vec<ChangedFile>> {
        let mut files = Vec::new();
        let mut added = Vec::new();
        let mut deleted: Vec<(&String, ObjectId)> = Vec::new();
        for (path, id) in new {
            match old.get(path) {
                Some(old_id) if old_id == id => {}
                Some(old_id) => {
                    let (before, after) = (self.blob(*old_id)?, self.blob(*id)?);
                    files.push(ChangedFile {
                        path: path.clone(),
                        old_path: None,
                        kind: ChangeKind::Modified,
                        lines: changed_lines(Some(&before), &after),
                    });
                }
                None => added.push((path, *id)),
            }
        }
        for (path, id) in old {
            if !new.contains_key(path) {
                deleted.push((path, *id));
            }
        }
        for (path, id) in added {
            // An exact rename: the same content disappeared elsewhere.
            if let Some(i) = deleted.iter().position(|(_, old_id)| *old_id == id) {
                let (old_path, _) = deleted.remove(i);
                files.push(ChangedFile {
                    path: path.clone(),
                    old_path: Some(old_path.clone()),
                    kind: ChangeKind::Renamed,
                    lines: Vec::new(),
                });
                continue;
            }
            files.push(ChangedFile {
                path: path.clone(),
                old_path: None,
                kind: ChangeKind::Added,
                lines: changed_lines(None, &self.blob(id)?),
            });
        }
        for (path, _) in deleted {
            files.push(ChangedFile {
                path: path.clone(),
                old_path: None,
                kind: ChangeKind::Deleted,
                lines: Vec::new(),
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    fn commit_info(&self, id: ObjectId) -> Result<CommitInfo> {
        let commit = self.commit(id)?;
        let raw = commit
            .message_raw()
            .with_context(|| format!("cannot read the message of {id}"))?;
        let message = raw.to_str_lossy().into_owned();
        let parsed = commit
            .message()
            .with_context(|| format!("cannot parse the message of {id}"))?;
        let trailers = parsed
            .body()
            .map(|b| {
                b.trailers()
                    .map(|t| {
                        (
                            t.token.to_str_lossy().into_owned(),
                            t.value.to_str_lossy().into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(CommitInfo {
            id: id.to_string(),
            subject: parsed.summary().to_str_lossy().into_owned(),
            message,
            trailers,
            parents: commit.parent_ids().count(),
        })
    }

    /// Commits reachable from `head` but not from `hidden`, oldest first.
    fn range(&self, head: ObjectId, hidden: Option<ObjectId>) -> Result<Vec<ObjectId>> {
        let walk = self.repo.rev_walk([head]).with_hidden(hidden);
        let mut ids = Vec::new();
        for info in walk.all().context("cannot walk the commit history")? {
            let info = info.map_err(|e| {
                anyhow!(
                    "cannot walk the commit history: {e}{}",
                    self.fetch_hint("the repository may be incomplete")
                )
            })?;
            ids.push(info.id);
        }
        ids.reverse();
        Ok(ids)
    }

    /// The first parent of a commit (`None` for a root commit); a parent missing from a
    /// shallow clone is an error.
    fn first_parent(&self, id: ObjectId) -> Result<Option<ObjectId>> {
        let commit = self.commit(id)?;
        let parent = commit.parent_ids().next().map(|p| p.detach());
        if parent.is_none() && self.is_shallow_boundary(id) {
            bail!(
                "commit {} is the edge of this shallow clone: its parent was not fetched{}",
                id.to_hex_with_len(12),
                self.fetch_hint("")
            );
        }
        if let Some(p) = parent {
            self.commit(p)?;
        }
        Ok(parent)
    }

    fn is_shallow_boundary(&self, id: ObjectId) -> bool {
        self.repo
            .shallow_commits()
            .ok()
            .flatten()
            .is_some_and(|c| c.contains(&id))
    }

    fn tree_or_empty(&self, commit: Option<ObjectId>) -> Result<Files> {
        match commit {
            Some(id) => self.tree_of(id),
            None => Ok(Files::new()),
        }
    }
}

/// The full id of the commit HEAD points at, or `None` outside a repository or before
/// the first commit. Drift reports name the commit they compared against.
pub fn head_commit(root: &Path) -> Option<String> {
    let repo = Repo::open(root).ok()?;
    let id = repo.repo.head_id().ok()?;
    Some(id.detach().to_string())
}

/// For each `(path, needle)` (paths repo-relative to the audit root): the commit that brought
/// `needle` into `path`, following HEAD's first parents back for as long as the file holds
/// it, at most `limit` commits: `(commit id, commit time in seconds since the epoch)`.
/// `None` outside a repository, when HEAD does not hold it (an uncommitted change), or on
/// any read error: the age is a courtesy, never a reason to fail an audit.
pub fn introduced(
    history: &History,
    queries: &[(String, String)],
    limit: usize,
) -> Vec<Option<(String, i64)>> {
    match &history.0 {
        Answerer::Thread {
            queries: ask,
            answers,
        } => {
            // The thread only goes away by panicking: then there is no age to give.
            let none = || vec![None; queries.len()];
            if ask.send((queries.to_vec(), limit)).is_err() {
                return none();
            }
            answers.recv().unwrap_or_else(|_| none())
        }
        Answerer::Here(root) => answer_all(Repo::open(root).ok().as_ref(), queries, limit),
    }
}

fn introduced_one(repo: &Repo, path: &str, needle: &str, limit: usize) -> Option<(String, i64)> {
    let full = format!("{}{path}", repo.prefix);
    let head = repo.repo.head_commit().ok()?;
    let mut oldest = None;
    for info in head.ancestors().first_parent_only().all().ok()?.take(limit) {
        let commit = info.ok()?.object().ok()?;
        let tree = commit.tree().ok()?;
        let holds = tree
            .lookup_entry_by_path(&full)
            .ok()
            .flatten()
            .and_then(|e| e.object().ok())
            .is_some_and(|blob| String::from_utf8_lossy(&blob.data).contains(needle));
        if !holds {
            break;
        }
        oldest = Some((commit.id.to_string(), commit.time().ok()?.seconds));
    }
    oldest
}

/// The staged changes: the index against HEAD (everything is new before the first commit).
pub fn staged(root: &Path) -> Result<ChangeSet> {
    Ok(staged_contents(root)?.0)
}

/// [`staged`], plus the staged text of every added, modified or renamed file (path
/// relative to `root` -> content), for auditing what will be committed rather than the
/// working tree.
pub fn staged_contents(root: &Path) -> Result<(ChangeSet, BTreeMap<String, Vec<u8>>)> {
    let repo = Repo::open(root)?;
    let head = repo.tree_or_empty(repo.head()?)?;
    let index = repo.index()?;
    let files = repo.diff(&head, &index)?;
    let mut texts = BTreeMap::new();
    for f in &files {
        if f.kind != ChangeKind::Deleted {
            if let Some(id) = index.get(&f.path) {
                texts.insert(f.path.clone(), repo.blob(*id)?);
            }
        }
    }
    Ok((
        ChangeSet {
            files,
            commits: Vec::new(),
            label: "staged changes".into(),
        },
        texts,
    ))
}

/// A pull request: what `head` changed since its merge base with `base`, and the commits
/// of `merge-base..head`.
pub fn between(root: &Path, base: &str, head: &str) -> Result<ChangeSet> {
    let repo = Repo::open(root)?;
    let base_id = repo.resolve(base)?;
    let head_id = repo.resolve(head)?;
    let merge_base = repo
        .repo
        .merge_base(base_id, head_id)
        .ok()
        .flatten()
        .map(|id| id.detach())
        .ok_or_else(|| {
            anyhow!(
                "`{base}` and `{head}` have no common ancestor in this repository{}",
                repo.fetch_hint("are they from the same history?")
            )
        })?;
    let files = repo.diff(&repo.tree_of(merge_base)?, &repo.tree_of(head_id)?)?;
    let commits = repo
        .range(head_id, Some(merge_base))?
        .into_iter()
        .map(|id| repo.commit_info(id))
        .collect::<Result<_>>()?;
    Ok(ChangeSet {
        files,
        commits,
        label: format!("{base}...{head}"),
    })
}

/// Each commit of `range` (`A..B`, `HEAD~N..HEAD`, or one revision) on its own, against
/// its first parent, oldest first.
pub fn each_commit(root: &Path, range: &str) -> Result<Vec<ChangeSet>> {
    let repo = Repo::open(root)?;
    if range.contains("...") {
        bail!("`{range}`: use a two-dot range `A..B` (each commit of B not in A)");
    }
    let ids = match range.split_once("..") {
        Some((from, to)) => {
            let from = if from.is_empty() { "HEAD" } else { from };
            let to = if to.is_empty() { "HEAD" } else { to };
            let (from, to) = (repo.resolve(from)?, repo.resolve(to)?);
            repo.range(to, Some(from))?
        }
        None => vec![repo.resolve(range)?],
    };
    let mut sets = Vec::with_capacity(ids.len());
    for id in ids {
        let parent = repo.first_parent(id)?;
        let files = repo.diff(&repo.tree_or_empty(parent)?, &repo.tree_of(id)?)?;
        let info = repo.commit_info(id)?;
        sets.push(ChangeSet {
            files,
            label: format!("{} {}", id.to_hex_with_len(12), info.subject),
            commits: vec![info],
        });
    }
    Ok(sets)
}

/// Reads the files of commits (what a change-scoped rule sees when judging history: the
/// docs and stacks as they were at that commit, not as they are in the working tree).
pub struct TreeReader {
    repo: Repo,
    blobs: std::cell::RefCell<std::collections::HashMap<ObjectId, Option<String>>>,
}

/// The files of one commit, read through a [`TreeReader`].
pub struct CommitFiles<'a> {
    reader: &'a TreeReader,
    files: Files,
}

impl TreeReader {
    /// Opens the repository containing `root` (paths are relative to `root`).
    pub fn open(root: &Path) -> Result<TreeReader> {
        Ok(TreeReader {
            repo: Repo::open(root)?,
            blobs: Default::default(),
        })
    }

    /// The files of commit `id` (full hex, as in [`CommitInfo::id`]).
    pub fn at(&self, id: &str) -> Result<CommitFiles<'_>> {
        let oid = ObjectId::from_hex(id.as_bytes())
            .with_context(|| format!("`{id}` is not a commit id"))?;
        Ok(CommitFiles {
            reader: self,
            files: self.repo.tree_of(oid)?,
        })
    }
}

impl CommitFiles<'_> {
    /// Every path of the commit, sorted.
    pub fn paths(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    /// The text of `path` at the commit (`None`: no such file, or not UTF-8).
    pub fn read(&self, path: &str) -> Option<String> {
        let id = *self.files.get(path)?;
        let mut blobs = self.reader.blobs.borrow_mut();
        blobs
            .entry(id)
            .or_insert_with(|| {
                self.reader
                    .repo
                    .blob(id)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_repository_every_query_is_answered_with_none_on_either_path() {
        let dir = tempfile::tempdir().unwrap();
        let queries = vec![
            ("main.tf".to_string(), "import {".to_string()),
            ("b.tf".to_string(), "x".to_string()),
        ];
        let ahead = History::open(dir.path());
        assert!(matches!(ahead.0, Answerer::Thread { .. }));
        assert_eq!(introduced(&ahead, &queries, 10), vec![None, None]);
        // Asked twice: the thread keeps answering.
        assert_eq!(introduced(&ahead, &queries[..1], 10), vec![None]);
        let here = History(Answerer::Here(dir.path().to_path_buf()));
        assert_eq!(introduced(&here, &queries, 10), vec![None, None]);
    }
}
