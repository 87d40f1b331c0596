//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real `pre-commit` on a
//! temporary git repository built from the fixture. Needs `pre-commit` on PATH (`.ci/run`
//! installs it from PyPI); skips with a printed reason otherwise.
//!
//! `hooks_block_violations_and_pass_clean_changes` runs the hooks' entries with
//! `language: system` and the binary cargo built (pre-commit's `rust` language would
//! `cargo install` this repository first: minutes). `rust_language_hook_builds_and_runs`
//! is that full path; it is `#[ignore]`d for its build time:
//! `cargo test --test precommit -- --ignored` (needs a committed HEAD and crates.io).

mod common;

use common::{binary, copy_dir, git};
use std::path::Path;
use std::process::{Command, Output};

fn have_pre_commit() -> bool {
    let ok = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: `pre-commit` is not on PATH (pip install pre-commit; .ci/run does)");
    }
    ok
}

/// The hook definitions of `.pre-commit-hooks.yaml`: (id, entry).
fn hook_entries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks: Vec<serde_json::Value> = serde_saphyr::from_str(&text).unwrap();
    hooks
        .iter()
        .map(|h| {
            assert_eq!(h["language"], "rust");
            assert_eq!(h["pass_filenames"], false);
            (
                h["id"].as_str().unwrap().to_string(),
                h["entry"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The fixture as a git repository whose commits go through pre-commit with `config`.
fn hooked_repo(config: &str, home: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terragrunt-homelab"),
        dir.path(),
    );
    std::fs::write(dir.path().join(".pre-commit-config.yaml"), config).unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "initial"]);
    let out = pre_commit(dir.path(), home, &["install"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn pre_commit(dir: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new("pre-commit")
        .args(args)
        .env("PRE_COMMIT_HOME", home)
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .unwrap()
}

/// `git commit` through the installed hook: (succeeded, stdout + stderr).
fn commit(dir: &Path, home: &Path, message: &str) -> (bool, String) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-m",
            message,
        ])
        .env("PRE_COMMIT_HOME", home)
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn append(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    let mut body = std::fs::read_to_string(&path).unwrap();
    body.push_str(text);
    std::fs::write(path, body).unwrap();
}

fn block_then_pass(dir: &Path, home: &Path) {
    // A new /srv/nfs export with fsid=0 (an error) on a staged line blocks the commit; the
    // old fsid=0 on line 10 is not on a staged line and is not reported.
    append(
        dir,
        "scripts/pve-nfs-exports",
        "/srv/nfs 192.168.1.0/24(rw,async,no_subtree_check,fsid=0)\n",
    );
    git(dir, &["add", "scripts/pve-nfs-exports"]);
    let (ok, out) = commit(dir, home, "exports: add the LAN");
    assert!(!ok, "commit must be blocked:\n{out}");
    assert!(out.contains("nfs-export-fsid"), "{out}");
    assert!(out.contains("scripts/pve-nfs-exports:20"), "{out}");
    assert!(!out.contains("scripts/pve-nfs-exports:10"), "{out}");

    // A clean change passes.
    git(dir, &["checkout", "--", "."]);
    git(dir, &["reset", "-q", "--hard"]);
    append(dir, "docs/architecture/storage.md", "\nMore words.\n");
    git(dir, &["add", "docs/architecture/storage.md"]);
    let (ok, out) = commit(dir, home, "docs: more words");
    assert!(ok, "clean commit must pass:\n{out}");
}

#[test]
fn hooks_block_violations_and_pass_clean_changes() {
    if !have_pre_commit() {
        return;
    }
    let entries = hook_entries();
    let ids: Vec<&str> = entries.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["infra-audit", "infra-audit-fix"]);
    let (_, entry) = &entries[0];
    let bin = binary();
    let entry = entry.replacen("infra-audit", &bin.display().to_string(), 1);
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: infra-audit\n        name: infra-audit\n        entry: {entry}\n        language: system\n        pass_filenames: false\n        always_run: true\n"
    );
    let home = tempfile::tempdir().unwrap();
    let repo = hooked_repo(&config, home.path());
    block_then_pass(repo.path(), home.path());
}

#[test]
#[ignore = "pre-commit's rust language runs `cargo install` of this repository (minutes, needs crates.io)"]
fn rust_language_hook_builds_and_runs() {
    if !have_pre_commit() {
        return;
    }
    let here = env!("CARGO_MANIFEST_DIR");
    let rev = common::rev_parse(Path::new(here), "HEAD");
    let config =
        format!("repos:\n  - repo: {here}\n    rev: {rev}\n    hooks:\n      - id: infra-audit\n");
    let home = tempfile::tempdir().unwrap();
    let repo = hooked_repo(&config, home.path());
    block_then_pass(repo.path(), home.path());
}

#[test]
fn fix_hook_repairs_the_staged_line_and_the_restaged_commit_passes() {
    if !have_pre_commit() {
        return;
    }
    let entries = hook_entries();
    let (id, entry) = &entries[1];
    assert_eq!(id, "infra-audit-fix");
    let entry = entry.replacen("infra-audit", &binary().display().to_string(), 1);
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: infra-audit-fix\n        name: infra-audit-fix\n        entry: {entry}\n        language: system\n        pass_filenames: false\n        always_run: true\n"
    );
    let home = tempfile::tempdir().unwrap();
    let repo = hooked_repo(&config, home.path());
    let dir = repo.path();
    let exports = "scripts/pve-nfs-exports";
    let before = std::fs::read_to_string(dir.join(exports)).unwrap();
    append(
        dir,
        exports,
        "/srv/nfs 192.168.1.0/24(rw,async,no_subtree_check,fsid=0)\n",
    );
    git(dir, &["add", exports]);

    // The hook rewrites the working tree; pre-commit fails the commit because a hook
    // modified files, so the fix can be reviewed and re-staged.
    let (ok, out) = commit(dir, home.path(), "exports: add the LAN");
    assert!(!ok, "commit must stop after the fix:\n{out}");
    assert!(out.contains("files were modified by this hook"), "{out}");
    let after = std::fs::read_to_string(dir.join(exports)).unwrap();
    let old_lines: Vec<&str> = before.lines().collect();
    let new_lines: Vec<&str> = after.lines().collect();
    assert_eq!(new_lines.len(), old_lines.len() + 1);
    // Only the staged line changed: the old fsid=0 export on line 10 is left alone.
    assert_eq!(&new_lines[..old_lines.len()], &old_lines[..]);
    let added = new_lines[old_lines.len()];
    assert!(
        added.starts_with("/srv/nfs 192.168.1.0/24(rw,async,no_subtree_check,fsid="),
        "{added}"
    );
    assert!(!added.contains("fsid=0)"), "{added}");

    git(dir, &["add", exports]);
    let (ok, out) = commit(dir, home.path(), "exports: add the LAN");
    assert!(ok, "the fixed commit must pass:\n{out}");
}
