//! Helpers shared by the integration tests: temporary repositories and finding tuples.
#![allow(dead_code)]

use infra_audit::audit::{self, AuditOptions, AuditReport};
use std::path::{Path, PathBuf};

/// A temporary repository with a `.infra-audit.toml` selecting the default pack.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(".infra-audit.toml"),
            "packs = [\"terragrunt-homelab\"]\n",
        )
        .unwrap();
        Repo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating parent directories).
    pub fn file(&self, rel: &str, text: &str) -> &Repo {
        self.bytes(rel, text.as_bytes())
    }

    pub fn bytes(&self, rel: &str, bytes: &[u8]) -> &Repo {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    /// Runs the audit with only `select` rules (all when empty).
    pub fn audit(&self, select: &[&str]) -> AuditReport {
        audit::run(&AuditOptions {
            path: self.dir.path().to_path_buf(),
            select: select.iter().map(|s| s.to_string()).collect(),
            ..AuditOptions::default()
        })
        .expect("audit runs")
    }

    /// `(rule, path, line)` of every finding of the selected rules.
    pub fn findings(&self, select: &[&str]) -> Vec<(String, String, usize)> {
        tuples(&self.audit(select))
    }
}

pub fn tuples(report: &AuditReport) -> Vec<(String, String, usize)> {
    report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.location.path.clone(), f.location.line))
        .collect()
}

/// Shorthand for an expected finding.
pub fn at(rule: &str, path: &str, line: usize) -> (String, String, usize) {
    (rule.to_string(), path.to_string(), line)
}

/// The built binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_infra-audit"))
}

/// Messages of all findings (for asserting wording that distinguishes cases).
pub fn messages(report: &AuditReport) -> Vec<String> {
    report.findings.iter().map(|f| f.message.clone()).collect()
}

/// Runs `git` in `dir` with a fixed test identity and no signing, failing the test with
/// git's stderr when it does not succeed.
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The full commit id `rev` names in the repository at `dir` (`git rev-parse`).
pub fn rev_parse(dir: &Path, rev: &str) -> String {
    let out = std::process::Command::new("git")
        .args(["rev-parse", rev])
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git rev-parse {rev}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Copies the directory tree `from` into `to` byte for byte (creating `to`).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` (relative path -> bytes), to compare trees before and after.
pub fn tree_bytes(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

/// The `rule<TAB>path<TAB>line` block (```tsv) of a fixture's EXPECTED.md: the findings a
/// user should see, as `(rule, path, line)`.
pub fn expected_findings(fixture: &str) -> std::collections::BTreeSet<(String, String, usize)> {
    let text = std::fs::read_to_string(format!("{fixture}/EXPECTED.md")).unwrap();
    let block = text
        .split("```tsv")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('\t').collect();
            (
                parts[0].to_string(),
                parts[1].to_string(),
                parts[2].parse().unwrap(),
            )
        })
        .collect()
}
