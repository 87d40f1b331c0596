//! `infra-audit drift` on the example repository against the snapshot fixture
//! (fixtures/cluster/terragrunt-homelab, EXPECTED.md lists the drift) and against the
//! loopback test API server serving the same objects.

mod common;
#[path = "support/fake_apiserver.rs"]
mod fake_apiserver;

use common::binary;
use fake_apiserver::{FakeApiServer, Request, Response};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/terragrunt-homelab");
const CLUSTER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/cluster/terragrunt-homelab"
);

fn snapshots() -> Vec<String> {
    ["core.json", "storage.json", "workloads.json"]
        .iter()
        .map(|f| format!("{CLUSTER}/{f}"))
        .collect()
}

fn drift(extra: &[&str]) -> Output {
    let mut args = vec!["drift".to_string(), REPO.to_string(), "--snapshot".into()];
    args.extend(snapshots());
    args.extend(extra.iter().map(|s| s.to_string()));
    Command::new(binary())
        .args(&args)
        .env_remove("SLACK_WEBHOOK")
        .env("CI_COMMIT_SHA", "0123456789abcdef")
        .output()
        .unwrap()
}

/// The tsv block of EXPECTED.md.
fn expected() -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!("{CLUSTER}/EXPECTED.md")).unwrap();
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
        .map(str::to_string)
        .collect()
}

fn items(doc: &Value) -> BTreeSet<String> {
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let place = match i["location"].as_object() {
                Some(l) => format!("{}:{}", l["path"].as_str().unwrap(), l["line"]),
                None => "-".into(),
            };
            format!(
                "{}\t{}\t{}\t{}\t{place}",
                i["class"].as_str().unwrap(),
                i["kind"].as_str().unwrap(),
                i["namespace"].as_str().unwrap_or("-"),
                i["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn snapshot_drift_matches_expected() {
    let out = drift(&["--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items(&doc), expected());
    let not_measured: Vec<&str> = doc["not_measured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(not_measured, vec!["ConfigMap", "SealedSecret"]);
    assert_eq!(
        doc["unresolved"][0]["address"],
        "kubernetes_deployment.woodpecker_agent"
    );
    assert_eq!(doc["commit"], "0123456789ab");
    let vaultwarden = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "vaultwarden")
        .unwrap();
    assert_eq!(
        vaultwarden["changes"][0],
        json!({ "field": "container `vaultwarden` image", "declared": "vaultwarden/server:1.33.2", "live": "vaultwarden/server:1.34.1" })
    );
}

#[test]
fn other_formats_and_filters() {
    let human = String::from_utf8(drift(&["-v"]).stdout).unwrap();
    assert!(
        human.contains("unmanaged              Deployment debug-shell"),
        "{human}"
    );
    assert!(
        human.contains("Drift: 4 changed, 2 missing, 1 unmanaged, 4 unsuppressed mutations"),
        "{human}"
    );
    assert!(
        human.contains("kubernetes_deployment.woodpecker_agent"),
        "-v lists unresolved objects"
    );

    let prom = String::from_utf8(drift(&["--format", "prometheus"]).stdout).unwrap();
    let scrape = prometheus_parse::Scrape::parse(prom.lines().map(|l| Ok(l.to_string()))).unwrap();
    let total: f64 = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "infra_audit_drift_objects")
        .map(|s| match s.value {
            prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum();
    assert_eq!(total, 11.0);

    let slack: Value = serde_json::from_slice(&drift(&["--format", "slack"]).stdout).unwrap();
    assert!(slack["blocks"].as_array().unwrap().len() <= 50);
    assert!(slack.to_string().contains("commit `0123456789ab`"));

    let sarif: Value = serde_json::from_slice(&drift(&["--format", "sarif"]).stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 11);

    let only: Value =
        serde_json::from_slice(&drift(&["--format", "json", "--namespace", "freshrss"]).stdout)
            .unwrap();
    assert_eq!(only["items"].as_array().unwrap().len(), 2);
    let pvcs: Value = serde_json::from_slice(
        &drift(&["--format", "json", "--kinds", "PersistentVolumeClaim"]).stdout,
    )
    .unwrap();
    assert_eq!(pvcs["items"].as_array().unwrap().len(), 2);
}

#[test]
fn state_remembers_first_seen() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let first = drift(&["--format", "json", "--state", state.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(1));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved.as_object().unwrap().len(), 11);
    let doc: Value = serde_json::from_slice(
        &drift(&["--format", "json", "--state", state.to_str().unwrap()]).stdout,
    )
    .unwrap();
    assert!(doc["items"][0]["age_seconds"].as_u64().is_some());
}

#[test]
fn bad_snapshots_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"kind\": \"Deployment\", \"metadata\": {}}").unwrap();
    let out = Command::new(binary())
        .args(["drift", REPO, "--snapshot"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
}

/// Serves the snapshot fixture's objects as the API server would; Secrets and ConfigMaps
/// are forbidden.
fn serve_snapshot(request: &Request, _: usize) -> Response {
    let Some((plural, namespace)) = request.resource() else {
        return fake_apiserver::not_found();
    };
    if plural == "secrets" || plural == "configmaps" {
        return Response::status(
            403,
            "Forbidden",
            &format!("{plural} is forbidden: User cannot list resource"),
        );
    }
    let Some(spec) = infra_audit::live::kinds::KINDS
        .iter()
        .find(|k| k.plural == plural)
    else {
        return fake_apiserver::not_found();
    };
    let mut items = Vec::new();
    for file in snapshots() {
        let list: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for item in list["items"].as_array().unwrap() {
            let ns_ok = namespace
                .as_deref()
                .is_none_or(|ns| item["metadata"]["namespace"] == ns);
            if item["kind"] == spec.kind && ns_ok {
                items.push(item.clone());
            }
        }
    }
    Response::ok(
        json!({ "apiVersion": "v1", "kind": format!("{}List", spec.kind), "metadata": { "resourceVersion": "42" }, "items": items }),
    )
}

#[test]
fn api_drift_matches_the_snapshot_and_reports_forbidden_kinds() {
    let server = FakeApiServer::start("drift-token", serve_snapshot);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig: PathBuf = server.kubeconfig(dir.path(), "drift-token");
    let out = Command::new(binary())
        .args(["drift", REPO, "--format", "json", "--kubeconfig"])
        .arg(&kubeconfig)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items(&doc), expected());
    let not_measured: Vec<(String, String)> = doc["not_measured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_string(),
                n["reason"].as_str().unwrap().chars().take(15).collect(),
            )
        })
        .collect();
    assert!(
        not_measured.contains(&("ConfigMap".into(), "forbidden (403)".into())),
        "{not_measured:?}"
    );
    assert!(
        not_measured.contains(&("Secret".into(), "forbidden (403)".into())),
        "{not_measured:?}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("drift-token"));
}

#[test]
fn audit_live_applies_the_rules_to_live_objects() {
    let mut args = vec![
        "audit".to_string(),
        REPO.to_string(),
        "--format".into(),
        "json".into(),
        "--live".into(),
        "--snapshot".into(),
    ];
    args.extend(snapshots());
    let out = Command::new(binary()).args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: BTreeSet<String> = doc["live"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}/{}",
                f["rule"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f["namespace"].as_str().unwrap_or("-"),
                f["name"].as_str().unwrap()
            )
        })
        .collect();
    let want: BTreeSet<String> = [
        "nfs-mount-options PersistentVolume -/immich-thumbs-host",
        "nfs-mount-options StorageClass -/nfs-truenas",
        "pvc-storage-class-explicit PersistentVolumeClaim dbaas/pgdump-scratch",
        "sensitive-storage-class PersistentVolumeClaim dbaas/pgdump-scratch",
        "pvc-storage-class-explicit PersistentVolumeClaim freshrss/freshrss-favicon-cache",
        "legacy-postgres-host Deployment health/health",
        "sensitive-storage-class PersistentVolumeClaim immich/immich-ml-cache-encrypted",
        "sensitive-storage-class PersistentVolumeClaim monitoring/alertmanager-data-alertmanager-0",
        "legacy-redis-host Deployment paperless-ngx/paperless-ngx",
        "sensitive-storage-class PersistentVolumeClaim redis/redis-backup",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, want);
    // Static NFS claims of the nfs_volume module (bound to their PV) are allowed, as statically.
    assert!(!got
        .iter()
        .any(|g| g.contains("vaultwarden-backup-host") || g.contains("nextcloud-data-host")));
}
