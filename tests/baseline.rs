//! The baseline: fingerprints that survive moving and unrelated edits (temporary repos), and
//! `baseline create|prune|check` with `audit` on a copy of fixtures/terragrunt-homelab.

mod common;

use common::{binary, Repo};
use infra_audit::baseline::{Baseline, BASELINE_FILE};
use infra_audit::fingerprint;
use std::path::Path;
use std::process::{Command, Output};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/terragrunt-homelab");

/// Every finding of the fixture, per rule (EXPECTED.md).
const FIXTURE_ENTRIES: &str =
    "38 entries (block-pvc-backup-cronjob 7, critical-path-replicas 1, hardcoded-nfs-server 3, \
import-block-transient 1, inline-nfs-volume 1, keel-lifecycle 3, kyverno-lifecycle 6, legacy-postgres-host 3, legacy-redis-host 2, \
nfs-export-fsid 1, nfs-mount-options 3, pvc-storage-class-explicit 1, \
sensitive-storage-class 5, unused-suppression 1)";

// ---------------------------------------------------------------------------------------
// Fingerprint properties on small temporary repositories.

const SELECT: &[&str] = &["kyverno-lifecycle", "legacy-postgres-host"];

const DEPLOYMENT: &str = r#"resource "kubernetes_deployment" "app" {
  metadata {
    name = "app"
  }
  spec {
    replicas = 1
    template {
      spec {
        container {
          image = "app:1"
          env {
            name  = "DB_HOST"
            value = "postgresql.dbaas.svc.cluster.local"
          }
        }
      }
    }
  }
}
"#;

/// `(rule, line, fingerprint)` of every finding of the selected rules.
fn prints(repo: &Repo) -> Vec<(String, usize, String)> {
    repo.audit(SELECT)
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.location.line, f.fingerprint.clone()))
        .collect()
}

fn app_repo(text: &str) -> Repo {
    let repo = Repo::new();
    repo.file("stacks/app/main.tf", text);
    repo
}

/// The two findings of [`DEPLOYMENT`]: the resource header (kyverno-lifecycle, no lifecycle
/// block) and the legacy host literal.
fn original() -> Vec<(String, usize, String)> {
    let found = prints(&app_repo(DEPLOYMENT));
    let lines: Vec<(&str, usize)> = found.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
    assert_eq!(
        lines,
        vec![("kyverno-lifecycle", 1), ("legacy-postgres-host", 13)]
    );
    found
}

#[test]
fn fingerprints_survive_moving_a_resource_down_20_lines() {
    let before = original();
    let mut pad = String::from("locals {\n");
    for i in 0..18 {
        pad.push_str(&format!("  pad_{i} = {i}\n"));
    }
    pad.push_str("}\n");
    assert_eq!(pad.lines().count(), 20);
    let after = prints(&app_repo(&format!("{pad}{DEPLOYMENT}")));
    let moved: Vec<(String, usize, String)> = before
        .into_iter()
        .map(|(rule, line, fp)| (rule, line + 20, fp))
        .collect();
    assert_eq!(after, moved);
}

#[test]
fn fingerprints_survive_edits_to_other_attributes_of_the_resource() {
    let before = original();
    let edited = DEPLOYMENT
        .replace("replicas = 1", "replicas = 3")
        .replace("\"app:1\"", "\"app:2\"")
        .replace("  name = \"app\"", "  name = \"app-v2\"");
    assert_ne!(edited, DEPLOYMENT);
    assert_eq!(prints(&app_repo(&edited)), before);
    // Re-indenting or re-aligning the flagged text does not count either.
    let realigned = DEPLOYMENT.replace(
        "value = \"postgresql.dbaas.svc.cluster.local\"",
        "value =    \"postgresql.dbaas.svc.cluster.local\"",
    );
    assert_eq!(prints(&app_repo(&realigned)), before);
}

#[test]
fn a_duplicated_literal_gets_a_distinct_fingerprint_and_the_first_keeps_its_own() {
    let before = original();
    let duplicated = DEPLOYMENT.replace(
        "          }\n        }\n      }\n",
        "          }\n          env {\n            name  = \"DB_HOST_RO\"\n            value = \"postgresql.dbaas.svc.cluster.local\"\n          }\n        }\n      }\n",
    );
    let literal = before[1].2.clone();
    assert_eq!(
        prints(&app_repo(&duplicated)),
        vec![
            before[0].clone(),
            before[1].clone(),
            (
                "legacy-postgres-host".to_string(),
                17,
                fingerprint::with_occurrence(&literal, 1)
            ),
        ]
    );
    assert_ne!(fingerprint::with_occurrence(&literal, 1), literal);
}

#[test]
fn renaming_the_resource_or_changing_the_flagged_text_changes_the_fingerprint() {
    let before = original();
    let renamed = prints(&app_repo(&DEPLOYMENT.replace(
        "\"kubernetes_deployment\" \"app\"",
        "\"kubernetes_deployment\" \"web\"",
    )));
    assert_eq!(renamed.len(), 2);
    assert_ne!(renamed[0].2, before[0].2);
    assert_ne!(renamed[1].2, before[1].2);
    let other_form = prints(&app_repo(
        &DEPLOYMENT.replace("postgresql.dbaas.svc.cluster.local", "postgresql.dbaas.svc"),
    ));
    assert_eq!(other_form[0], before[0]);
    assert_eq!(other_form[1].1, 13);
    assert_ne!(other_form[1].2, before[1].2);
}

// ---------------------------------------------------------------------------------------
// The command line on a copy of the fixture.

fn run(args: &[&str], repo: &Path) -> Output {
    Command::new(binary())
        .args(args)
        .arg(repo)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A temporary copy of the fixture repository, bytes exact.
fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(Path::new(FIXTURE), dir.path());
    dir
}

fn edit(repo: &Path, rel: &str, from: &str, to: &str) {
    let path = repo.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} does not contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn json(repo: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["audit", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args, repo);
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

/// `(rule, path, line)` of every finding of a JSON report.
fn found(doc: &serde_json::Value) -> Vec<(String, String, u64)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn create(repo: &Path) {
    let out = run(&["baseline", "create"], repo);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        stdout(&out),
        format!("Wrote {BASELINE_FILE} with {FIXTURE_ENTRIES}\n")
    );
}

#[test]
fn create_then_audit_exits_0_with_every_finding_baselined() {
    let dir = fixture_copy();
    let repo = dir.path();
    let (code, before) = json(repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(found(&before).len(), 38);
    assert_eq!(before["summary"]["baselined"], 0);
    assert_eq!(before["summary"]["baseline"], serde_json::Value::Null);
    create(repo);

    let file = Baseline::load(&repo.join(BASELINE_FILE)).unwrap();
    let fingerprints: Vec<&str> = before["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    for fp in &fingerprints {
        assert!(file.entries.iter().any(|e| e.fingerprint == *fp), "{fp}");
    }
    assert_eq!(file.entries.len(), 38);

    let (code, after) = json(repo, &[]);
    assert_eq!(code, 0, "{after}");
    assert_eq!(found(&after), vec![]);
    assert_eq!(after["summary"]["baselined"], 38);
    assert_eq!(after["summary"]["baseline"], BASELINE_FILE);
    assert_eq!(after["summary"]["exit_code"], 0);
    assert_eq!(
        after["summary"]["files_scanned"], before["summary"]["files_scanned"],
        "the baseline file itself is not audited"
    );

    let human = run(&["audit"], repo);
    assert_eq!(human.status.code(), Some(0));
    let text = stdout(&human);
    let files = before["summary"]["files_scanned"].as_u64().unwrap();
    assert!(
        text.starts_with(&format!(
            "No findings in {files} files: 0 errors, 0 warnings, 0 info; 38 baselined; skipped 2 ("
        )),
        "{text}"
    );

    // A sub-directory uses the root's baseline: only its own findings are counted.
    let (code, immich) = json(&repo.join("stacks/immich"), &[]);
    assert_eq!((code, found(&immich)), (0, vec![]));
    assert_eq!(immich["summary"]["baselined"], 7);
    assert_eq!(immich["summary"]["baseline"], BASELINE_FILE);

    // --no-baseline shows everything again; an explicit --baseline file works anywhere.
    let (code, all) = json(repo, &["--no-baseline"]);
    assert_eq!((code, found(&all)), (1, found(&before)));
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("accepted.json");
    std::fs::rename(repo.join(BASELINE_FILE), &moved).unwrap();
    let (code, explicit) = json(repo, &["--baseline", moved.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(explicit["summary"]["baselined"], 38);
    assert_eq!(explicit["summary"]["baseline"], moved.to_str().unwrap());
    let (code, none) = json(repo, &[]);
    assert_eq!((code, found(&none).len()), (1, 38));
}

#[test]
fn a_new_violation_fails_and_only_it_is_reported() {
    let dir = fixture_copy();
    let repo = dir.path();
    create(repo);
    // The same legacy host a second time in the same file: a new finding, with its own
    // fingerprint, while the first stays baselined.
    let script = "scripts/pg-restore-check.sh";
    let text = std::fs::read_to_string(repo.join(script)).unwrap();
    let added = "if [[ \"${3:-}\" == \"--older\" ]]; then\n  PGHOST=\"postgresql.dbaas.svc\"\nfi\n";
    std::fs::write(repo.join(script), format!("{text}{added}")).unwrap();
    let new_line = text.lines().count() as u64 + 2;
    // And a new file.
    std::fs::write(
        repo.join("scripts/redis-flush.py"),
        "REDIS = \"redis.redis.svc.cluster.local\"\n",
    )
    .unwrap();

    let (code, doc) = json(repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&doc),
        vec![
            (
                "legacy-postgres-host".to_string(),
                script.to_string(),
                new_line
            ),
            (
                "legacy-redis-host".to_string(),
                "scripts/redis-flush.py".to_string(),
                1
            ),
        ]
    );
    assert_eq!(doc["summary"]["baselined"], 38);
    assert_eq!(doc["summary"]["errors"], 1);
    assert_eq!(doc["summary"]["warnings"], 1);

    // Only the warning: the run passes at the default threshold, fails at --fail-on warning.
    edit(repo, script, added, "");
    let (code, doc) = json(repo, &[]);
    assert_eq!((code, found(&doc).len()), (0, 1));
    let (code, _) = json(repo, &["--fail-on", "warning"]);
    assert_eq!(code, 1);
}

#[test]
fn a_pull_request_repeating_a_baselined_literal_is_still_reported() {
    // PR mode keeps only findings on changed lines. The occurrence index of a repeated
    // literal must still count the unchanged first occurrence, or the new one would take
    // its fingerprint and hide behind its baseline entry.
    let dir = fixture_copy();
    let repo = dir.path();
    create(repo);
    common::git(repo, &["init", "-q", "-b", "main"]);
    common::git(repo, &["add", "-A"]);
    common::git(repo, &["commit", "-q", "-m", "adopt infra-audit"]);
    common::git(repo, &["checkout", "-q", "-b", "feature"]);
    let script = "scripts/pg-restore-check.sh";
    let text = std::fs::read_to_string(repo.join(script)).unwrap();
    let added = "if [[ \"${3:-}\" == \"--older\" ]]; then\n  PGHOST=\"postgresql.dbaas.svc\"\nfi\n";
    std::fs::write(repo.join(script), format!("{text}{added}")).unwrap();
    let new_line = text.lines().count() as u64 + 2;
    common::git(repo, &["commit", "-q", "-am", "older restore path"]);

    let (code, doc) = json(repo, &["--base", "main"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(
        found(&doc),
        vec![(
            "legacy-postgres-host".to_string(),
            script.to_string(),
            new_line
        )]
    );
    // The same fingerprint as in a full audit of the branch.
    let (_, full) = json(repo, &[]);
    let in_full: Vec<&serde_json::Value> = full["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["line"] == new_line && f["path"] == script)
        .collect();
    assert_eq!(in_full.len(), 1);
    assert_eq!(doc["findings"][0]["fingerprint"], in_full[0]["fingerprint"]);
}

#[test]
fn check_names_stale_entries_and_prune_removes_them() {
    let dir = fixture_copy();
    let repo = dir.path();
    create(repo);
    let check = run(&["baseline", "check"], repo);
    assert_eq!(check.status.code(), Some(0));
    assert_eq!(
        stdout(&check),
        format!("Baseline {BASELINE_FILE} is up to date: no stale entry among 38 entries\n")
    );

    let fixed_path = "scripts/redis-key-audit.py";
    let base = Baseline::load(&repo.join(BASELINE_FILE)).unwrap();
    let entry = base
        .entries
        .iter()
        .find(|e| e.path == fixed_path)
        .unwrap()
        .clone();
    edit(
        repo,
        fixed_path,
        "os.environ.get(\"REDIS_HOST\", \"redis.redis.svc.cluster.local\")",
        "os.environ.get(\"REDIS_HOST\", \"redis-master.redis\")",
    );

    let check = run(&["baseline", "check"], repo);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        stdout(&check),
        format!(
            "stale: legacy-redis-host {fixed_path} [{}]: {}\n\
             1 of 38 entries in {BASELINE_FILE} no longer occurs; run `infra-audit baseline prune`\n",
            entry.fingerprint, entry.message
        )
    );
    // The audit itself still passes: a stale entry hides nothing.
    let (code, doc) = json(repo, &[]);
    assert_eq!((code, doc["summary"]["baselined"].as_u64()), (0, Some(37)));

    let prune = run(&["baseline", "prune"], repo);
    assert_eq!(prune.status.code(), Some(0));
    assert_eq!(
        stdout(&prune),
        format!(
            "pruned: legacy-redis-host {fixed_path} [{}]: {}\n\
             Pruned 1 stale entry from {BASELINE_FILE}; 37 entries left\n",
            entry.fingerprint, entry.message
        )
    );
    let pruned = Baseline::load(&repo.join(BASELINE_FILE)).unwrap();
    let mut expected = base.entries.clone();
    expected.retain(|e| e != &entry);
    assert_eq!(pruned.entries, expected);

    let check = run(&["baseline", "check"], repo);
    assert_eq!(check.status.code(), Some(0));
    assert_eq!(
        stdout(&check),
        format!("Baseline {BASELINE_FILE} is up to date: no stale entry among 37 entries\n")
    );
    let prune = run(&["baseline", "prune"], repo);
    assert_eq!(
        stdout(&prune),
        format!("Nothing to prune: no stale entry among 37 entries of {BASELINE_FILE}\n")
    );
}

#[test]
fn moving_code_and_editing_resources_keeps_findings_baselined() {
    let dir = fixture_copy();
    let repo = dir.path();
    create(repo);
    let pad: String = (0..20)
        .map(|i| format!("# moved down, line {i}\n"))
        .collect();
    // kyverno-lifecycle on the freshrss deployment header, line 50 -> 70.
    edit(
        repo,
        "stacks/freshrss/main.tf",
        "resource \"kubernetes_deployment\" \"freshrss\" {",
        &format!("{pad}resource \"kubernetes_deployment\" \"freshrss\" {{"),
    );
    // legacy-postgres-host inside the health deployment, line 63 -> 83, and other
    // attributes of that deployment changed.
    let health = "stacks/health/main.tf";
    let text = std::fs::read_to_string(repo.join(health)).unwrap();
    std::fs::write(repo.join(health), format!("{pad}{text}")).unwrap();
    edit(repo, health, "replicas = 1", "replicas = 2");
    edit(
        repo,
        health,
        "viktorbarzin/apple-health-data:9e1d7c44",
        "viktorbarzin/apple-health-data:0a1b2c3d",
    );

    let (code, doc) = json(repo, &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(found(&doc), vec![]);
    assert_eq!(doc["summary"]["baselined"], 38);
    let (_, all) = json(repo, &["--no-baseline"]);
    let lines = found(&all);
    assert!(lines.contains(&(
        "kyverno-lifecycle".to_string(),
        "stacks/freshrss/main.tf".to_string(),
        70
    )));
    assert!(lines.contains(&("legacy-postgres-host".to_string(), health.to_string(), 83)));
    let check = run(&["baseline", "check"], repo);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

#[test]
fn a_broken_baseline_file_is_a_usage_error() {
    let dir = fixture_copy();
    let repo = dir.path();
    std::fs::write(
        repo.join(BASELINE_FILE),
        "{\"version\": 7, \"entries\": []}",
    )
    .unwrap();
    let out = run(&["audit"], repo);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        format!(
            "error: baseline file {}/{BASELINE_FILE} has baseline format version 7; this infra-audit reads version 1\n",
            repo.canonicalize().unwrap().display()
        )
    );
    assert_eq!(
        run(&["audit", "--no-baseline"], repo).status.code(),
        Some(1)
    );
    let both = run(&["audit", "--no-baseline", "--baseline", "b.json"], repo);
    assert_eq!(both.status.code(), Some(2));
    let missing = run(
        &["baseline", "check", "--baseline", "/nonexistent/b.json"],
        repo,
    );
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn entries_of_a_file_that_no_longer_parses_are_not_stale() {
    let dir = fixture_copy();
    let repo = dir.path();
    create(repo);
    let health = "stacks/health/main.tf";
    let text = std::fs::read_to_string(repo.join(health)).unwrap();
    std::fs::write(repo.join(health), format!("{text}resource \"x\" {{\n")).unwrap();
    let check = run(&["baseline", "check"], repo);
    assert_eq!(check.status.code(), Some(0));
    assert_eq!(
        stdout(&check),
        format!(
            "Baseline {BASELINE_FILE} is up to date: no stale entry among 38 entries \
             (2 entries in files that could not be audited; \
             1 finding not in the baseline: see `infra-audit audit`)\n"
        )
    );
    let prune = run(&["baseline", "prune"], repo);
    assert_eq!(
        stdout(&prune),
        format!("Nothing to prune: no stale entry among 38 entries of {BASELINE_FILE}\n")
    );
    let (code, doc) = json(repo, &[]);
    assert_eq!(code, 3, "the parse error is new: could not measure");
    assert_eq!(
        found(&doc),
        vec![(
            "parse-error".to_string(),
            health.to_string(),
            text.lines().count() as u64 + 1
        )]
    );
    assert_eq!(doc["summary"]["baselined"], 36);
}
