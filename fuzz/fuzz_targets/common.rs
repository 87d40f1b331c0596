//! Helpers shared by the fuzz targets: a scratch repository created once per process.

#![allow(dead_code)]

use infra_audit::audit::{self, AuditOptions, AuditReport};
use infra_audit::finding::Severity;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A temporary repository root (canonical, with a `.git` directory so the root is found),
/// alive for the whole fuzzing process.
pub fn repo() -> &'static Path {
    static REPO: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &REPO
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let root = dir.path().canonicalize().expect("canonical temp dir");
            std::fs::create_dir_all(root.join(".git")).expect("mkdir .git");
            (dir, root)
        })
        .1
}

/// Writes `text` to `rel` under the scratch repository, creating directories.
pub fn write(rel: &str, text: &str) -> PathBuf {
    let abs = repo().join(rel);
    std::fs::create_dir_all(abs.parent().expect("has parent")).expect("mkdir");
    std::fs::write(&abs, text).expect("write");
    abs
}

/// Audit options for the whole scratch repository (default config: every built-in pack).
pub fn options() -> AuditOptions {
    AuditOptions {
        path: repo().to_path_buf(),
        root: Some(repo().to_path_buf()),
        with_fixes: true,
        ..AuditOptions::default()
    }
}

/// Renders a report in every format the CLI offers (reporters must not panic either).
pub fn render_all(report: &AuditReport) {
    let _ = infra_audit::report::human::render(report, false);
    let _ = infra_audit::report::human::summary_line(report);
    let _ = infra_audit::report::json::render(report, Severity::Warning);
    let _ = infra_audit::report::sarif::render(report, Severity::Warning);
    let _ = report.exit_code(Severity::Warning);
}

/// Runs the audit and renders it; an audit of a readable repository never fails.
pub fn audit_and_render(opts: &AuditOptions) {
    let report = audit::run(opts).expect("audit of a readable scratch repository");
    render_all(&report);
}
