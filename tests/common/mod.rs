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
