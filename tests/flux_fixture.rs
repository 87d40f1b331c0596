//! The Flux pack on fixtures/flux-home-ops, a repository shaped like seed 004: the exact
//! (rule, path, line) set of its EXPECTED.md (SARIF validated like the other reports),
//! the SOPS files skipped, the pack chosen by detection, `infra-audit init`, and `--fix`.

mod common;

use common::{binary, copy_dir};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

type Key = (String, String, usize);

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/flux-home-ops");

fn expected() -> BTreeSet<Key> {
    common::expected_findings(FIXTURE)
}

fn run(args: &[&str]) -> Output {
    Command::new(binary()).args(args).output().unwrap()
}

fn json(path: &Path) -> (i32, serde_json::Value) {
    let out = run(&["audit", path.to_str().unwrap(), "--format", "json"]);
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn keys(doc: &serde_json::Value) -> BTreeSet<Key> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

#[test]
fn the_flux_pack_reports_exactly_the_expected_findings() {
    let (code, doc) = json(Path::new(FIXTURE));
    assert_eq!(code, 1);
    assert_eq!(keys(&doc), expected());
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        expected().len(),
        "no duplicates"
    );
    let skipped: Vec<(&str, &str)> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "kubernetes/apps/default/paperless-ngx/app/secret.sops.yaml",
                "sops"
            ),
            (
                "kubernetes/components/sops/cluster-secrets.sops.yaml",
                "sops"
            ),
            ("talos/talsecret.sops.yaml", "sops"),
        ]
    );
    // Detection chose the Flux pack alone: no Terragrunt rule ran.
    assert!(keys(&doc)
        .iter()
        .all(|(rule, _, _)| rule != "kyverno-lifecycle"));
}

#[test]
fn sarif_report_has_the_same_findings() {
    let out = run(&["audit", FIXTURE, "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let got: BTreeSet<Key> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
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
fn init_detects_the_flux_tree_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    std::fs::remove_file(dir.path().join(".infra-audit.toml")).unwrap();
    // Without a config the root is the directory given; detection still picks the pack.
    let (code, doc) = json(dir.path());
    assert_eq!((code, keys(&doc)), (1, expected()));

    let out = run(&["init", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("found a Flux tree; packs: flux-gitops"),
        "{stdout}"
    );
    let config = std::fs::read_to_string(dir.path().join(".infra-audit.toml")).unwrap();
    assert!(config.contains("packs = [\"flux-gitops\"]"), "{config}");
    assert!(
        config.contains("# [rules.no-literal-domain.params]"),
        "{config}"
    );
    assert_eq!(keys(&json(dir.path()).1), expected());

    let again = run(&["init", dir.path().to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists; pass --force"));
    assert_eq!(
        run(&["init", dir.path().to_str().unwrap(), "--force"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn a_repository_with_both_kinds_runs_both_packs() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    std::fs::remove_file(dir.path().join(".infra-audit.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join("terraform/dns")).unwrap();
    std::fs::write(
        dir.path().join("terraform/dns/main.tf"),
        "resource \"helm_release\" \"x\" {\n  chart = \"x\"\n}\n",
    )
    .unwrap();
    let (_, doc) = json(dir.path());
    let mut want = expected();
    want.insert((
        "helm-release-pinned".into(),
        "terraform/dns/main.tf".into(),
        1,
    ));
    assert_eq!(keys(&doc), want);
    let out = run(&["init", dir.path().to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(
        "found Terragrunt stacks and a Flux tree; packs: flux-gitops, terragrunt-homelab"
    ));
}

#[test]
fn fix_repairs_order_and_markers_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    let out = run(&["audit", dir.path().to_str().unwrap(), "--fix"]);
    assert_eq!(out.status.code(), Some(1), "errors remain");
    let ks = std::fs::read_to_string(
        dir.path()
            .join("kubernetes/apps/default/paperless-ngx/app/kustomization.yaml"),
    )
    .unwrap();
    assert!(ks.ends_with(
        "resources: # expect: kustomization-resources-sorted\n  - ./configmap.yaml\n  - ./helmrelease.yaml\n  - ./secret.sops.yaml\n"
    ), "{ks}");
    let deploy = std::fs::read_to_string(
        dir.path()
            .join("kubernetes/apps/network/echo/app/deployment.yaml"),
    )
    .unwrap();
    // Round 1 adds `---`; round 2 then moves the `$schema` line right after it.
    assert!(
        deploy.starts_with("---\n# yaml-language-server: $schema=https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/master-standalone-strict/deployment-apps-v1.json # expect: schema-directive-placement\napiVersion: apps/v1"),
        "{deploy}"
    );
    let (_, doc) = json(dir.path());
    let left = keys(&doc);
    for gone in [
        "kustomization-resources-sorted",
        "yaml-document-start",
        "schema-directive-placement",
    ] {
        assert!(
            left.iter().all(|(r, _, _)| r != gone),
            "{gone} left: {left:?}"
        );
    }
    assert_eq!(left.len(), expected().len() - 3);
    let before = common::tree_bytes(dir.path());
    run(&["audit", dir.path().to_str().unwrap(), "--fix"]);
    assert_eq!(
        common::tree_bytes(dir.path()),
        before,
        "a second --fix is a no-op"
    );
}

/// YAML inside a Helm chart (a directory with `Chart.yaml` or `Chart.yml`, found in the
/// walked file list, as the drift inventory finds charts) is not judged by the YAML rules;
/// the same document outside a chart is.
#[test]
fn helm_chart_files_are_not_manifests() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    let service =
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n";
    for (chart, marker) in [("charts/a", "Chart.yaml"), ("charts/b", "Chart.yml")] {
        let templates = dir.path().join(chart).join("templates");
        std::fs::create_dir_all(&templates).unwrap();
        std::fs::write(
            dir.path().join(chart).join(marker),
            "---\nname: a\nversion: 1.0.0\n",
        )
        .unwrap();
        std::fs::write(templates.join("service.yaml"), service).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("kubernetes/apps/lb")).unwrap();
    std::fs::write(dir.path().join("kubernetes/apps/lb/service.yaml"), service).unwrap();
    let (_, doc) = json(dir.path());
    let lb: Vec<Key> = keys(&doc)
        .into_iter()
        .filter(|(rule, _, _)| rule == "no-loadbalancer-service")
        .filter(|(_, path, _)| path.contains("/lb/") || path.starts_with("charts/"))
        .collect();
    assert_eq!(
        lb,
        vec![(
            "no-loadbalancer-service".to_string(),
            "kubernetes/apps/lb/service.yaml".to_string(),
            7
        )]
    );
}

/// The repository-wide facts read the same files as the rules: a Helm chart's values naming
/// an app's database do not make that database shared.
#[test]
fn helm_chart_values_do_not_share_a_database() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    std::fs::create_dir_all(dir.path().join("charts/tool")).unwrap();
    std::fs::write(
        dir.path().join("charts/tool/Chart.yaml"),
        "---\nname: tool\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("charts/tool/values.yaml"),
        "---\ndatabase:\n  url: postgresql://tool@postgres-rw.database.svc:5432/paperless\n",
    )
    .unwrap();
    let (_, doc) = json(dir.path());
    assert_eq!(keys(&doc), expected());
}
