//! Change-aware auditing on real temporary git repositories: `--staged`, `--base`,
//! `--commits`, changed-only filtering and the docs-cochange rule. The fixture
//! repositories are built with the `git` command (tests only; the tool reads git with gix).

mod common;

use common::{binary, copy_dir, git, rev_parse};
use std::path::Path;
use std::process::{Command, Output};

/// The terragrunt-homelab fixture as a git repository with one commit on `main`.
fn fixture_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terragrunt-homelab"),
        dir.path(),
    );
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "initial"]);
    dir
}

fn audit(dir: &Path, args: &[&str]) -> (Vec<(String, String, usize)>, Vec<String>, Output) {
    let out = Command::new(binary())
        .arg("audit")
        .args(args)
        .args([
            "--format",
            "json",
            "--select",
            "hardcoded-nfs-server,docs-cochange",
        ])
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("json ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let findings = doc["findings"].as_array().unwrap();
    let tuples = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    let messages = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    (tuples, messages, out)
}

fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let path = dir.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} contains {from}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Branches `feature` off `main` with one commit that replaces the NFS server line of
/// stacks/immich/main.tf with `server_line`, then moves `main` on with a commit that
/// hard-codes the server in stacks/immich/nfs.tf, and leaves `checkout` checked out.
fn diverge(dir: &Path, server_line: &str, message: &str, checkout: &str) {
    git(dir, &["checkout", "-q", "-b", "feature"]);
    edit(
        dir,
        "stacks/immich/main.tf",
        "server = var.nfs_server",
        server_line,
    );
    git(dir, &["commit", "-q", "-am", message]);
    git(dir, &["checkout", "-q", "main"]);
    // A violation on main after the branch point: never part of the feature's change.
    edit(
        dir,
        "stacks/immich/nfs.tf",
        "server = var.nfs_server",
        "server = \"192.168.1.127\"",
    );
    git(dir, &["commit", "-q", "-am", "main: unrelated"]);
    git(dir, &["checkout", "-q", checkout]);
}

fn t(rule: &str, path: &str, line: usize) -> (String, String, usize) {
    (rule.into(), path.into(), line)
}

const IMMICH_DOCS: &str =
    "stacks/immich changed; these docs mention immich: docs/architecture/storage.md";

#[test]
fn staged_audits_the_index_text_and_only_staged_lines() {
    let repo = fixture_repo();
    let dir = repo.path();
    // The whole repository already has a hard-coded server at stacks/immich/nfs.tf:18.
    let (all, _, _) = audit(dir, &[]);
    assert!(all.contains(&t("hardcoded-nfs-server", "stacks/immich/nfs.tf", 18)));

    let original = std::fs::read_to_string(dir.join("stacks/immich/main.tf")).unwrap();
    edit(
        dir,
        "stacks/immich/main.tf",
        "server = var.nfs_server",
        "server = \"192.168.1.127\"",
    );
    git(dir, &["add", "stacks/immich/main.tf"]);
    // The working tree goes back to clean: the staged text is what is audited.
    std::fs::write(dir.join("stacks/immich/main.tf"), original).unwrap();

    let (found, messages, out) = audit(dir, &["--staged"]);
    assert_eq!(
        found,
        vec![
            t("docs-cochange", "stacks/immich/main.tf", 1),
            t("hardcoded-nfs-server", "stacks/immich/main.tf", 79),
        ]
    );
    assert_eq!(messages[0], IMMICH_DOCS);
    // Warnings only: the default --fail-on error passes.
    assert_eq!(out.status.code(), Some(0));

    // --all-findings: every finding of the staged files, not only staged lines.
    let (all_staged, _, _) = audit(dir, &["--staged", "--all-findings"]);
    assert_eq!(all_staged.len(), 2);

    // Staging the doc too satisfies docs-cochange.
    edit(
        dir,
        "docs/architecture/storage.md",
        "immich",
        "immich (library on NFS)",
    );
    git(dir, &["add", "docs/architecture/storage.md"]);
    let (found, _, _) = audit(dir, &["--staged"]);
    assert_eq!(
        found,
        vec![t("hardcoded-nfs-server", "stacks/immich/main.tf", 79)]
    );
}

#[test]
fn base_mode_reports_the_pull_request_and_honours_the_trailer() {
    let repo = fixture_repo();
    let dir = repo.path();
    // main moves on after the branch point: only the merge base counts.
    diverge(
        dir,
        "server = \"192.168.1.127\"",
        "immich: inline the server",
        "feature",
    );

    let (found, messages, out) = audit(dir, &["--base", "main"]);
    assert_eq!(
        found,
        vec![
            t("docs-cochange", "stacks/immich/main.tf", 1),
            t("hardcoded-nfs-server", "stacks/immich/main.tf", 79),
        ]
    );
    assert_eq!(messages[0], IMMICH_DOCS);
    // The finding names the commit it is about, in JSON and in SARIF.
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let head = rev_parse(dir, "HEAD");
    assert_eq!(doc["findings"][0]["commit"], head);
    let sarif = Command::new(binary())
        .args([
            "audit",
            "--base",
            "main",
            "--format",
            "sarif",
            "--select",
            "docs-cochange",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0]["logicalLocations"][0];
    assert_eq!(related["fullyQualifiedName"], format!("commit/{}", head));

    git(
        dir,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "note\n\nDocs-Not-Needed: server move is temporary",
        ],
    );
    let (found, _, _) = audit(dir, &["--base", "main", "--head", "HEAD"]);
    assert_eq!(
        found,
        vec![t("hardcoded-nfs-server", "stacks/immich/main.tf", 79)]
    );
}

#[test]
fn commits_mode_judges_each_commit_on_its_own() {
    let repo = fixture_repo();
    let dir = repo.path();
    edit(
        dir,
        "stacks/immich/main.tf",
        "server = var.nfs_server",
        "server = var.nfs_server # a",
    );
    git(dir, &["commit", "-q", "-am", "immich without docs"]);
    edit(
        dir,
        "stacks/immich/nfs.tf",
        "server = var.nfs_server",
        "server = var.nfs_server # b",
    );
    edit(dir, "docs/architecture/storage.md", "immich", "immich (b)");
    git(dir, &["commit", "-q", "-am", "immich with docs"]);

    let (found, messages, _) = audit(dir, &["--commits", "HEAD~2..HEAD", "--changed-only"]);
    assert_eq!(found, vec![t("docs-cochange", "stacks/immich/main.tf", 1)]);
    assert!(messages[0].starts_with(IMMICH_DOCS), "{}", messages[0]);
    assert!(
        messages[0].ends_with("immich without docs)"),
        "{}",
        messages[0]
    );
}

#[test]
fn library_change_sets_lines_and_shallow_clones() {
    let repo = fixture_repo();
    let dir = repo.path();
    edit(
        dir,
        "stacks/immich/main.tf",
        "server = var.nfs_server",
        "server = var.nfs_server # a",
    );
    std::fs::write(dir.join("new.md"), "one\ntwo\n").unwrap();
    git(dir, &["add", "-A"]);
    let set = infra_audit::git::staged(dir).unwrap();
    let files: Vec<(
        String,
        infra_audit::git::ChangeKind,
        Vec<std::ops::RangeInclusive<usize>>,
    )> = set
        .files
        .iter()
        .map(|f| (f.path.clone(), f.kind, f.lines.clone()))
        .collect();
    use infra_audit::git::ChangeKind::{Added, Modified};
    assert_eq!(
        files,
        vec![
            ("new.md".into(), Added, vec![1..=2]),
            ("stacks/immich/main.tf".into(), Modified, vec![79..=79]),
        ]
    );
    git(
        dir,
        &["commit", "-q", "-m", "second\n\nDocs-Not-Needed: test"],
    );
    let sets = infra_audit::git::each_commit(dir, "HEAD~1..HEAD").unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].commits[0].subject, "second");
    assert_eq!(sets[0].trailer("docs-not-needed"), Some("test"));
    assert_eq!(
        infra_audit::git::head_commit(dir).as_deref(),
        Some(sets[0].commits[0].id.as_str())
    );
    let outside = tempfile::tempdir().unwrap();
    assert_eq!(infra_audit::git::head_commit(outside.path()), None);

    // A depth-1 clone has no parent for HEAD: the error says to fetch more history.
    let shallow = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.display());
    git(shallow.path(), &["clone", "-q", "--depth", "1", &url, "c"]);
    let clone = shallow.path().join("c");
    let err = infra_audit::git::each_commit(&clone, "HEAD~1..HEAD").unwrap_err();
    assert!(format!("{err:#}").contains("git fetch --deepen"), "{err:#}");
    let err = infra_audit::git::each_commit(&clone, "HEAD").unwrap_err();
    assert!(format!("{err:#}").contains("git fetch --deepen"), "{err:#}");
}

#[test]
fn staged_fix_repairs_only_staged_lines_in_the_working_tree() {
    let repo = fixture_repo();
    let dir = repo.path();
    let path = dir.join("scripts/pve-nfs-exports");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("/srv/nfs 192.168.1.0/24(rw,fsid=0)\n");
    std::fs::write(&path, &text).unwrap();
    git(dir, &["add", "scripts/pve-nfs-exports"]);

    let out = Command::new(binary())
        .args(["audit", "--staged", "--fix", "--select", "nfs-export-fsid"])
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = fixed.lines().collect();
    // The staged line 20 is fixed; the old fsid=0 on line 10 (not staged) is left alone.
    assert!(lines[19].ends_with("(rw,fsid=3)"), "{}", lines[19]);
    assert!(lines[9].ends_with("fsid=0)"), "{}", lines[9]);
    assert_eq!(fixed.lines().count(), text.lines().count());
}

#[test]
fn per_resource_findings_are_kept_when_the_block_overlaps_changed_lines() {
    let repo = fixture_repo();
    let dir = repo.path();
    let path = dir.join("stacks/nextcloud/main.tf");
    let original = std::fs::read_to_string(&path).unwrap();
    let select = |dir: &Path| {
        let out = Command::new(binary())
            .args([
                "audit",
                "--staged",
                "--format",
                "json",
                "--select",
                "kyverno-lifecycle",
            ])
            .current_dir(dir)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };

    // A comment inside the cron job (header line 74, closing brace line 112): the finding on
    // the header is reported although its own line did not change.
    let mut lines: Vec<&str> = original.lines().collect();
    lines.insert(90, "  # tuned");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    git(dir, &["add", "stacks/nextcloud/main.tf"]);
    assert_eq!(
        select(dir),
        vec![("stacks/nextcloud/main.tf".to_string(), 74)]
    );

    // A line after the block: nothing.
    std::fs::write(&path, format!("{original}# end\n")).unwrap();
    git(dir, &["add", "stacks/nextcloud/main.tf"]);
    assert_eq!(select(dir), Vec::<(String, u64)>::new());
}

#[test]
fn history_is_judged_by_the_docs_of_each_commit() {
    let repo = fixture_repo();
    let dir = repo.path();
    edit(
        dir,
        "stacks/immich/main.tf",
        "server = var.nfs_server",
        "server = var.nfs_server # a",
    );
    git(dir, &["commit", "-q", "-am", "immich one"]);
    // The docs stop mentioning immich (a docs-only commit)...
    let doc = dir.join("docs/architecture/storage.md");
    let text = std::fs::read_to_string(&doc).unwrap();
    std::fs::write(&doc, text.replace("immich", "photos")).unwrap();
    git(dir, &["commit", "-q", "-am", "docs: rename"]);
    // ...so a later immich change has nothing to update.
    edit(
        dir,
        "stacks/immich/nfs.tf",
        "server = var.nfs_server",
        "server = var.nfs_server # b",
    );
    git(dir, &["commit", "-q", "-am", "immich two"]);

    let (found, messages, _) = audit(dir, &["--commits", "HEAD~3..HEAD"]);
    let cochange: Vec<_> = found
        .iter()
        .filter(|f| f.0 == "docs-cochange")
        .cloned()
        .collect();
    assert_eq!(
        cochange,
        vec![t("docs-cochange", "stacks/immich/main.tf", 1)]
    );
    assert!(
        messages.iter().any(|m| m.ends_with("immich one)")),
        "{messages:?}"
    );
}

#[test]
fn a_merge_commit_is_judged_against_its_first_parent() {
    let repo = fixture_repo();
    let dir = repo.path();
    diverge(
        dir,
        "server = var.nfs_server # moved",
        "immich without docs",
        "main",
    );
    git(
        dir,
        &["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"],
    );

    // HEAD~1..HEAD is the merge and the feature commit: both carry the stack change
    // (the merge against main, its first parent), so both are reported, each named.
    let (found, messages, _) = audit(dir, &["--commits", "HEAD~1..HEAD", "--changed-only"]);
    assert_eq!(
        found,
        vec![
            t("docs-cochange", "stacks/immich/main.tf", 1),
            t("docs-cochange", "stacks/immich/main.tf", 1),
        ]
    );
    let mut endings: Vec<&str> = messages
        .iter()
        .map(|m| m.rsplit_once(' ').map_or("", |(_, last)| last))
        .collect();
    endings.sort();
    assert_eq!(endings, vec!["docs)", "feature)"], "{messages:?}");

    // --no-merges leaves the feature commit alone.
    let (found, _, out) = audit(
        dir,
        &["--commits", "HEAD~1..HEAD", "--changed-only", "--no-merges"],
    );
    assert_eq!(found, vec![t("docs-cochange", "stacks/immich/main.tf", 1)]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"][0]["commit"], rev_parse(dir, "feature"));

    // The merge alone (one revision) is judged against main: the stack change is in it,
    // and the finding names the merge commit.
    let (found, messages, out) = audit(dir, &["--commits", "HEAD", "--changed-only"]);
    assert_eq!(found, vec![t("docs-cochange", "stacks/immich/main.tf", 1)]);
    assert_eq!(messages, vec![IMMICH_DOCS.to_string()]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"][0]["commit"], rev_parse(dir, "HEAD"));
}
