//! `infra-audit test`: the shipped packs' own test cases pass (every rule instance against
//! its pass/fail repositories under rules/<pack>/tests/), and a broken case is reported
//! with the reason and exit code 1.

mod common;

use common::binary;
use std::process::Command;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");

fn run(dir: &str) -> (i32, String, String) {
    let out = Command::new(binary()).args(["test", dir]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn shipped_pack_tests_pass() {
    let (code, stdout, stderr) = run(RULES);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for rule in [
        "image-tag-pinned",
        "database-image-pinned",
        "block-pvc-wait-until-bound",
        "block-pvc-autoresizer",
        "rwo-deployment-recreate",
        "helm-release-pinned",
        "kyverno-failure-policy-ignore",
        "vpa-initial-mode",
        "import-block-transient",
        "container-resources-explicit",
        "critical-service-not-on-nfs",
        "sqlite-not-on-nfs",
        "gpu-node-selector",
        "block-pvc-backup-cronjob",
        "ingress-auth-comment",
        "critical-path-replicas",
        "sealed-secret-naming",
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
    ] {
        assert!(
            stdout.contains(&format!(
                "PASS  terragrunt-homelab/{rule}  (pass: 0 findings, fail: "
            )),
            "{rule} not tested: {stdout}"
        );
    }
    for rule in [
        "image-tag-pinned",
        "rwo-deployment-recreate",
        "statefulset-not-recreate",
        "run-as-non-root",
        "drop-all-capabilities",
        "no-raw-secret",
        "no-raw-configmap",
        "no-loadbalancer-service",
        "no-substitutefrom-secret",
        "kustomization-resources-sorted",
        "schema-directive-placement",
        "yaml-document-start",
        "no-namespace-in-app-resources",
        "no-literal-domain",
        "yaml-indentation",
        "no-shared-database",
        "reloader-annotation",
    ] {
        assert!(
            stdout.contains(&format!(
                "PASS  flux-gitops/{rule}  (pass: 0 findings, fail: "
            )),
            "{rule} not tested: {stdout}"
        );
    }
    assert!(stdout.trim_end().ends_with(" passed, 0 failed"), "{stdout}");
}

/// A user's pack with one good rule and one whose cases disagree with it.
fn user_pack(dir: &std::path::Path) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "mine.yaml",
        "name: mine\nrules:\n  - id: pin-helm\n    kind: required-attribute\n    severity: error\n    summary: s\n    params:\n      resource_types: [helm_release]\n      attribute: version\n",
    );
    let unpinned = "resource \"helm_release\" \"a\" {\n  chart = \"a\"\n}\n";
    let pinned = "resource \"helm_release\" \"a\" {\n  chart   = \"a\"\n  version = \"1.0.0\"\n}\n";
    w("mine/tests/pin-helm/fail/main.tf", unpinned);
    w("mine/tests/pin-helm/fail/expected.txt", "main.tf:1\n");
    w("mine/tests/pin-helm/pass/main.tf", pinned);
    // Wrong expectations: the finding is on line 1, and the pass case is not compliant.
    w("mine/tests/wrong/fail/main.tf", unpinned);
    w("mine/tests/wrong/fail/expected.txt", "main.tf:2\n");
}

#[test]
fn failing_cases_are_listed_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    user_pack(dir.path());
    let (code, stdout, _) = run(dir.path().to_str().unwrap());
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("PASS  mine/pin-helm  (pass: 0 findings, fail: 1 of 1)"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL  mine/wrong"), "{stdout}");
    assert!(stdout.contains("the pack defines no such rule"), "{stdout}");
    assert!(stdout.ends_with("1 passed, 1 failed\n"), "{stdout}");

    // Right rule, wrong line: both the missing and the unexpected finding are named.
    let case = dir.path().join("mine/tests/pin-helm/fail/expected.txt");
    std::fs::write(&case, "main.tf:2\n").unwrap();
    let (code, stdout, _) = run(dir.path().to_str().unwrap());
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("fail/: expected a finding at main.tf:2, got none"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fail/: unexpected finding at main.tf:1"),
        "{stdout}"
    );
}

#[test]
fn a_malformed_expected_file_is_a_usage_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    user_pack(dir.path());
    std::fs::write(
        dir.path().join("mine/tests/pin-helm/fail/expected.txt"),
        "# ok\nmain.tf:one\n",
    )
    .unwrap();
    let (code, _, stderr) = run(dir.path().to_str().unwrap());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("expected.txt:2: expected `path:line`"),
        "{stderr}"
    );
}
