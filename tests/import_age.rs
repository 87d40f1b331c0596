//! `import-block-transient` says how long an `import {}` block has been in the repository,
//! from git history (the commit that brought its `to = ...` line), and stays quiet about it
//! outside git or for an uncommitted block.

mod common;

use common::{git, Repo};
use std::process::Command;

const IMPORT: &str = "import {\n  to = kubernetes_namespace.app\n  id = \"app\"\n}\n\nresource \"kubernetes_namespace\" \"app\" {\n  metadata {\n    name = \"app\"\n  }\n}\n";

fn commit_at(dir: &std::path::Path, date: &str, message: &str) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(["commit", "-qam", message, "--allow-empty"])
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn import_message(repo: &Repo) -> String {
    let report = repo.audit(&["import-block-transient"]);
    assert_eq!(report.findings.len(), 1);
    report.findings[0].message.clone()
}

#[test]
fn the_age_comes_from_the_commit_that_added_the_block() {
    let repo = Repo::new();
    repo.file("stacks/app/main.tf", "# nothing yet\n");
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "-A"]);
    commit_at(repo.path(), "2025-01-01T00:00:00Z", "start");
    repo.file("stacks/app/main.tf", IMPORT);
    commit_at(repo.path(), "2025-03-01T12:00:00Z", "adopt the namespace");
    // Later commits that keep the block do not make it younger.
    repo.file("stacks/app/main.tf", &format!("{IMPORT}\n# a comment\n"));
    commit_at(repo.path(), "2025-06-01T00:00:00Z", "unrelated edit");
    let message = import_message(&repo);
    assert!(
        message.contains("(in the repository since 2025-03-01, "),
        "{message}"
    );
    assert!(message.contains(" days, commit "), "{message}");
}

#[test]
fn no_age_outside_git_or_before_the_block_is_committed() {
    let repo = Repo::new();
    repo.file("stacks/app/main.tf", IMPORT);
    assert!(!import_message(&repo).contains("in the repository since"));
    git(repo.path(), &["init", "-q"]);
    repo.file("README.md", "x\n");
    git(repo.path(), &["add", "README.md"]);
    commit_at(repo.path(), "2025-01-01T00:00:00Z", "start");
    assert!(!import_message(&repo).contains("in the repository since"));
}
