//! The command line contract: exit codes, errors that name file and line, `rules`,
//! `--output`, `--select`/`--ignore`, `--fail-on`.

mod common;

use common::{binary, Repo};
use std::process::{Command, Output};

fn run(args: &[&str], cwd: Option<&std::path::Path>) -> Output {
    let mut cmd = Command::new(binary());
    cmd.args(args).env("NO_COLOR", "1");
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn warning_only_repo() -> Repo {
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        "resource \"kubernetes_persistent_volume_claim\" \"c\" {\n  metadata { name = \"c\" }\n}\n",
    );
    repo
}

#[test]
fn clean_repo_exits_0() {
    let repo = Repo::new();
    repo.file("stacks/a/main.tf", "locals { a = 1 }\n");
    let out = run(&["audit", repo.path().to_str().unwrap()], None);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("No findings in 1 file"), "{stdout}");
}

#[test]
fn fail_on_decides_whether_warnings_fail() {
    let repo = warning_only_repo();
    let path = repo.path().to_str().unwrap();
    assert_eq!(run(&["audit", path], None).status.code(), Some(0));
    assert_eq!(
        run(&["audit", path, "--fail-on", "warning"], None)
            .status
            .code(),
        Some(1)
    );
    repo.file(
        ".infra-audit.toml",
        "packs = [\"terragrunt-homelab\"]\nfail_on = \"warning\"\n",
    );
    assert_eq!(run(&["audit", path], None).status.code(), Some(1));
    assert_eq!(
        run(&["audit", path, "--fail-on", "error"], None)
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn select_and_ignore_narrow_the_rules() {
    let repo = warning_only_repo();
    let path = repo.path().to_str().unwrap();
    let out = run(
        &[
            "audit",
            path,
            "--format",
            "json",
            "--ignore",
            "pvc-storage-class-explicit",
        ],
        None,
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    let out = run(&["audit", path, "--select", "no-such-rule"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("unknown rule `no-such-rule`"));
}

#[test]
fn config_errors_exit_2_naming_file_line_and_key() {
    let repo = Repo::new();
    repo.file(
        ".infra-audit.toml",
        "packs = [\"terragrunt-homelab\"]\n\n[rules.kyverno-lifecycle]\nseverty = \"warning\"\n",
    );
    let out = run(&["audit", repo.path().to_str().unwrap()], None);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(".infra-audit.toml")
            && stderr.contains("line 4")
            && stderr.contains("severty"),
        "{stderr}"
    );
}

#[test]
fn unknown_rule_kind_in_a_pack_exits_2() {
    let repo = Repo::new();
    repo.file(
        ".infra-audit.toml",
        "packs = [\"terragrunt-homelab\", \"rules/mine.yaml\"]\n",
    );
    repo.file("rules/mine.yaml", "name: mine\nrules:\n  - id: my-rule\n    kind: telepathy\n    severity: error\n    summary: reads minds\n");
    let out = run(&["audit", repo.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("mine.yaml") && stderr.contains("unknown kind `telepathy`"),
        "{stderr}"
    );
}

#[test]
fn user_pack_adds_a_second_instance_of_a_kind() {
    let repo = Repo::new();
    repo.file(
        ".infra-audit.toml",
        "packs = [\"terragrunt-homelab\", \"rules/mine.yaml\"]\n",
    );
    repo.file(
        "rules/mine.yaml",
        "name: mine\nrules:\n  - id: legacy-mysql-host\n    kind: forbidden-value\n    severity: error\n    summary: Never use the old MySQL cluster\n    params:\n      values: [mysql-cluster.dbaas]\n      replacement: var.mysql_host\n",
    );
    repo.file(
        "stacks/a/main.tf",
        "locals {\n  db = \"mysql-cluster.dbaas\"\n}\n",
    );
    let out = run(
        &["audit", repo.path().to_str().unwrap(), "--format", "json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &doc["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["path"].as_str(), f["line"].as_u64()),
        (Some("legacy-mysql-host"), Some("stacks/a/main.tf"), Some(2))
    );
}

#[test]
fn missing_path_exits_2() {
    let out = run(&["audit", "/definitely/not/here"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("does not exist"));
}

#[test]
fn bad_flag_exits_2() {
    assert_eq!(
        run(&["audit", "--format", "xml"], None).status.code(),
        Some(2)
    );
}

#[test]
fn output_file_receives_the_report_and_stderr_the_summary() {
    let repo = warning_only_repo();
    let report = repo.path().join("out.json");
    let out = run(
        &[
            "audit",
            repo.path().to_str().unwrap(),
            "--format",
            "json",
            "--output",
            report.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(text(&out).1.contains("1 warning"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(doc["findings"][0]["rule"], "pvc-storage-class-explicit");
}

#[test]
fn audit_of_a_subdirectory_reports_root_relative_paths() {
    let repo = warning_only_repo();
    let out = run(
        &["audit", "stacks/a", "--format", "json"],
        Some(repo.path()),
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"][0]["path"], "stacks/a/main.tf");
}

#[test]
fn rules_lists_every_rule_and_explains_one() {
    let out = run(
        &["rules"],
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))),
    );
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    for id in [
        "kyverno-lifecycle",
        "keel-lifecycle",
        "nfs-export-fsid",
        "parse-error",
        "unused-suppression",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(id)),
            "{id} missing from:\n{stdout}"
        );
    }
    let out = run(&["rules", "explain", "kyverno-lifecycle"], None);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("KYVERNO_LIFECYCLE_V1"), "{stdout}");
    assert_eq!(
        run(&["rules", "explain", "nope"], None).status.code(),
        Some(2)
    );
}

#[test]
fn help_documents_exit_codes_and_version_prints() {
    let (stdout, _) = text(&run(&["audit", "--help"], None));
    assert!(
        stdout.contains("3  something could not be measured"),
        "{stdout}"
    );
    let (stdout, _) = text(&run(&["--version"], None));
    assert!(stdout.starts_with("infra-audit "), "{stdout}");
}
