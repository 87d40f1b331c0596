//! Reading the repository for the inventory: the walked file list, `.tf` files parsed per
//! module directory, repo-relative path arithmetic, and reading other files (`.tfvars`,
//! YAML) safely (never outside the repository, encrypted files reported as such).

use super::Note;
use crate::source::{decode, SourceFile};
use crate::syntax::hcl::HclFile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository: its root and every file the walk found.
pub struct RepoFiles {
    /// Canonical root directory.
    pub root: PathBuf,
    /// Every walked file, repo-relative, `/`-separated, sorted.
    pub files: Vec<String>,
}

/// One parsed `.tf` file.
pub struct ParsedFile {
    /// The file.
    pub file: SourceFile,
    /// Its parse tree (literal and comment indexes are left empty: nothing here needs them).
    pub hcl: HclFile,
}

/// The `.tf` files of one module directory.
pub struct ParsedDir {
    /// Repo-relative directory (`""` for the root).
    pub dir: String,
    /// Files that parsed, in path order.
    pub files: Vec<ParsedFile>,
    /// Files that could not be read or parsed.
    pub notes: Vec<Note>,
}

/// Why a file's content is not available.
#[derive(Debug, Clone)]
pub enum Unreadable {
    /// It does not exist.
    Missing,
    /// Encrypted, binary or otherwise not text (the reason, e.g. "git-crypt encrypted").
    Opaque(String),
    /// An I/O error.
    Error(String),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Missing => f.write_str("missing"),
            Unreadable::Opaque(why) => f.write_str(why),
            Unreadable::Error(e) => write!(f, "unreadable ({e})"),
        }
    }
}

impl RepoFiles {
    /// Reads a repo-relative file as text; never through a symlink leading out of the
    /// repository.
    pub fn read(&self, rel: &str) -> Result<SourceFile, Unreadable> {
        let abs = self.root.join(rel);
        // `rel` is lexically inside the repository (see `normalize`), but a symlink on the
        // way (`file("leak.txt")` with `leak.txt -> /etc/...`) could still lead out of it,
        // and the inventory printed that file's content. Walked files are never reached
        // through a symlink (the walk does not follow them), so only other paths are
        // resolved. Regression test: tests/hostile.rs `symlinks_never_lead_out_of_the_repo`.
        let walked = self
            .files
            .binary_search_by(|f| Path::new(f.as_str()).cmp(Path::new(rel)))
            .is_ok();
        if !walked {
            match abs.canonicalize() {
                Ok(real) if !real.starts_with(&self.root) => {
                    return Err(Unreadable::Opaque(
                        "a symlink leading out of the repository".into(),
                    ))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Unreadable::Missing)
                }
                Err(e) => return Err(Unreadable::Error(e.to_string())),
                Ok(_) => {}
            }
        }
        let bytes = match std::fs::read(&abs) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unreadable::Missing),
            Err(e) => return Err(Unreadable::Error(e.to_string())),
        };
        match decode(rel, bytes) {
            Ok(text) => Ok(SourceFile::new(rel.to_string(), abs, text)),
            Err(reason) => Err(Unreadable::Opaque(reason.describe().to_string())),
        }
    }

    /// Whether a repo-relative file exists.
    pub fn exists(&self, rel: &str) -> bool {
        self.root.join(rel).is_file()
    }

    /// The absolute form of a repo-relative path, as Terragrunt's functions return it.
    pub fn abs(&self, rel: &str) -> String {
        let abs = if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        };
        abs.to_string_lossy().into_owned()
    }

    /// The repo-relative form of an absolute path; `None` outside the repository.
    pub fn relative(&self, abs: &str) -> Option<String> {
        let rest = Path::new(abs).strip_prefix(&self.root).ok()?;
        let rest = rest.to_string_lossy().replace('\\', "/");
        normalize("", &rest)
    }

    /// The walked files under repo-relative directory `dir` (recursively), found by binary
    /// search: `files` is sorted in path order, which keeps a directory's files together.
    /// Scanning every file instead, once per stack, made the inventory quadratic in the
    /// repository's size (22% of a drift run at 1,500 stacks, callgrind).
    pub fn files_in_tree(&self, dir: &str) -> &[String] {
        if dir.is_empty() {
            return &self.files;
        }
        let base = Path::new(dir);
        let start = self
            .files
            .partition_point(|f| Path::new(f.as_str()) <= base);
        let len = self.files[start..].partition_point(|f| Path::new(f.as_str()).starts_with(base));
        &self.files[start..start + len]
    }

    /// Files under repo-relative directory `dir` (recursively), relative to it.
    pub fn files_under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files_in_tree(dir).iter().filter_map(move |f| {
            if dir.is_empty() {
                Some(f.as_str())
            } else {
                f.strip_prefix(dir).and_then(|r| r.strip_prefix('/'))
            }
        })
    }
}

/// Joins `rel` onto repo-relative directory `base` and resolves `.` and `..` lexically;
/// `None` when the result leaves the repository or `rel` is absolute.
pub fn normalize(base: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Directory part of a repo-relative path (`""` for the root).
pub fn dir_of(path: &str) -> &str {
    crate::index::dir_of(path)
}

/// Groups the walked `.tf` files by directory (Terraform's override files are left out).
pub fn tf_dirs(files: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut dirs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        let name = f.rsplit('/').next().unwrap_or(f);
        if !name.ends_with(".tf") || name == "override.tf" || name.ends_with("_override.tf") {
            continue;
        }
        dirs.entry(dir_of(f).to_string())
            .or_default()
            .push(f.clone());
    }
    dirs
}

/// Reads and parses the `.tf` files of one directory.
pub fn parse_dir(repo: &RepoFiles, dir: &str, paths: &[String]) -> ParsedDir {
    parse_dir_where(repo, dir, paths, |_| true)
}

/// Reads the `.tf` files of one directory and parses those whose text passes `wanted`
/// (the others are left out, without a note).
pub fn parse_dir_where(
    repo: &RepoFiles,
    dir: &str,
    paths: &[String],
    wanted: impl Fn(&str) -> bool,
) -> ParsedDir {
    let mut out = ParsedDir {
        dir: dir.to_string(),
        files: Vec::new(),
        notes: Vec::new(),
    };
    for path in paths {
        let file = match repo.read(path) {
            Ok(f) => f,
            Err(why) => {
                out.notes.push(Note::file(path, format!("not read: {why}")));
                continue;
            }
        };
        if !wanted(&file.text) {
            continue;
        }
        match crate::syntax::hcl::parse_body(&file.text) {
            Ok(body) => out.files.push(ParsedFile {
                file,
                hcl: HclFile {
                    body,
                    literals: Vec::new(),
                    comments: Vec::new(),
                },
            }),
            Err(e) => out.notes.push(Note::file(
                path,
                format!(
                    "does not parse (line {}, column {}): {}",
                    e.location().line(),
                    e.location().column(),
                    e.message()
                ),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_in_a_tree_are_found_by_binary_search() {
        let mut paths: Vec<PathBuf> = [
            "a.tf",
            "stacks/a-b/x.tf",
            "stacks/a/main.tf",
            "stacks/a/sub/v.tf",
            "stacks/a.txt",
            "stacks/ab/y.tf",
            "stacks/a/z.tfvars",
            "stacks/a",
            "t.tf",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        paths.sort(); // as the walk sorts them
        let repo = RepoFiles {
            root: PathBuf::from("/repo"),
            files: paths
                .iter()
                .map(|p| p.to_str().unwrap().to_string())
                .collect(),
        };
        let linear = |dir: &str| -> Vec<&str> {
            repo.files
                .iter()
                .filter(|f| f.starts_with(&format!("{dir}/")))
                .map(String::as_str)
                .collect()
        };
        for dir in [
            "stacks/a",
            "stacks",
            "stacks/a/sub",
            "stacks/ab",
            "nope",
            "stacks/a-b",
        ] {
            let found: Vec<&str> = repo.files_in_tree(dir).iter().map(String::as_str).collect();
            assert_eq!(found, linear(dir), "{dir}");
        }
        assert_eq!(repo.files_in_tree("").len(), repo.files.len());
        assert_eq!(
            repo.files_under("stacks/a").collect::<Vec<_>>(),
            vec!["main.tf", "sub/v.tf", "z.tfvars"]
        );
    }

    #[test]
    fn normalizes_relative_paths() {
        assert_eq!(
            normalize("stacks/blog", "../../modules/x").as_deref(),
            Some("modules/x")
        );
        assert_eq!(
            normalize("stacks/dbaas", "./modules/dbaas").as_deref(),
            Some("stacks/dbaas/modules/dbaas")
        );
        assert_eq!(normalize("stacks", "../../x"), None);
        assert_eq!(normalize("a", "/etc/passwd"), None);
        assert_eq!(normalize("", "a/./b/../c").as_deref(), Some("a/c"));
    }

    #[test]
    fn groups_tf_files() {
        let files: Vec<String> = [
            "a/main.tf",
            "a/override.tf",
            "a/x_override.tf",
            "b/c.tfvars",
            "main.tf",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let dirs = tf_dirs(&files);
        assert_eq!(dirs.get("a").unwrap(), &vec!["a/main.tf".to_string()]);
        assert_eq!(dirs.get("").unwrap(), &vec!["main.tf".to_string()]);
        assert!(!dirs.contains_key("b"));
    }
}
