//! Runs the binary on fixtures/terragrunt-homelab and asserts the exact (rule, path, line)
//! set listed in its EXPECTED.md, in every output format.

mod common;

use common::binary;
use std::collections::BTreeSet;
use std::process::Command;

type Key = (String, String, usize);

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/terragrunt-homelab");

fn expected() -> BTreeSet<Key> {
    common::expected_findings(FIXTURE)
}

fn run(format: &str) -> (i32, String) {
    let out = Command::new(binary())
        .args(["audit", FIXTURE, "--format", format, "--color", "never"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn json_report_matches_expected_findings() {
    let (code, stdout) = run("json");
    assert_eq!(code, 1, "violations at error severity exit 1");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let findings = doc["findings"].as_array().unwrap();
    let got: Vec<Key> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    let got_set: BTreeSet<Key> = got.iter().cloned().collect();
    assert_eq!(got.len(), got_set.len(), "no duplicate findings");
    assert_eq!(got_set, expected());
    // Sorted by path, then line.
    let order: Vec<(String, usize)> = got.iter().map(|(_, p, l)| (p.clone(), *l)).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    for f in findings {
        for key in [
            "severity",
            "certainty",
            "message",
            "column",
            "end_line",
            "end_column",
            "fixable",
            "fingerprint",
        ] {
            assert!(!f[key].is_null(), "finding lacks `{key}`: {f}");
        }
    }
    let skipped: Vec<(&str, &str)> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("secrets.sops.json", "sops"),
            ("terraform.tfvars", "git-crypt")
        ]
    );
    assert_eq!(doc["summary"]["unverified"], 2);
    assert_eq!(doc["summary"]["exit_code"], 1);
}

#[test]
fn every_rule_fires_on_the_fixture() {
    let ids: BTreeSet<String> = expected().into_iter().map(|(r, _, _)| r).collect();
    for rule in [
        "kyverno-lifecycle",
        "keel-lifecycle",
        "sensitive-storage-class",
        "pvc-storage-class-explicit",
        "nfs-mount-options",
        "inline-nfs-volume",
        "legacy-postgres-host",
        "legacy-redis-host",
        "hardcoded-nfs-server",
        "nfs-export-fsid",
        "unused-suppression",
    ] {
        assert!(ids.contains(rule), "no expected finding for {rule}");
    }
}

#[test]
fn sarif_report_matches_expected_findings() {
    let (code, stdout) = run("sarif");
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| r["helpUri"]
        .as_str()
        .unwrap()
        .ends_with(&format!("{}.md", r["id"].as_str().unwrap()))));
    let got: BTreeSet<Key> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT");
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(got, expected());
}

#[test]
fn human_report_matches_expected_findings() {
    let (code, stdout) = run("human");
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    let mut got = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(open) = line.find('[') else { continue };
        let head = &line[..open];
        if !["error", "warning", "note", "help"].contains(&head) {
            continue;
        }
        let rule = &line[open + 1..line.find("]:").unwrap()];
        let loc = lines[i + 1].split("┌─ ").nth(1).unwrap();
        let mut parts = loc.rsplitn(3, ':');
        let _col = parts.next();
        let line_no: usize = parts.next().unwrap().parse().unwrap();
        let path = parts.next().unwrap();
        got.insert((rule.to_string(), path.to_string(), line_no));
    }
    assert_eq!(got, expected());
    let summary = lines.last().unwrap();
    assert!(
        summary.contains("19 errors, 16 warnings, 1 info, 2 could not be verified"),
        "{summary}"
    );
    assert!(
        summary.contains("skipped 2 (1 SOPS encrypted, 1 git-crypt encrypted)"),
        "{summary}"
    );
}

#[test]
fn kyverno_messages_distinguish_the_cases() {
    let (_, stdout) = run("json");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let msg = |path: &str, line: u64| -> String {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "kyverno-lifecycle" && f["path"] == path && f["line"] == line)
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(msg("stacks/freshrss/main.tf", 50).contains("has no `lifecycle` block"));
    assert!(msg("stacks/technitium/main.tf", 39).contains("does not list"));
    assert!(msg("stacks/nextcloud/main.tf", 74).contains("wrong path for `kubernetes_cron_job_v1`"));
    assert!(msg("stacks/n8n/main.tf", 21).contains("lacks the `# KYVERNO_LIFECYCLE_V1` marker"));
    assert!(msg("stacks/f1-stream/main.tf", 98).contains("declares its own `dns_config`"));
}
