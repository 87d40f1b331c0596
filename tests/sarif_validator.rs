//! Validates the SARIF report with Microsoft's SARIF multitool: zero errors and zero
//! warnings is the bar. `.ci/run` installs the validator; locally the test skips (with a
//! message) when it is not installed, but under CI=true a missing validator fails.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn multitool() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SARIF_MULTITOOL") {
        return Some(PathBuf::from(p));
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".ci/node/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    local.is_file().then_some(local)
}

/// Runs the validator on `sarif` and returns its error- and warning-level results.
fn validation_problems(tool: &std::path::Path, sarif: &std::path::Path) -> Vec<String> {
    let validation = sarif.with_extension("validation.sarif");
    let out = Command::new(tool)
        .arg("validate")
        .arg("-o")
        .arg(&validation)
        .arg(sarif)
        .output()
        .expect("run the SARIF multitool");
    assert!(
        out.status.success(),
        "validator failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&validation).unwrap()).unwrap();
    log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| matches!(r["level"].as_str(), Some("error") | Some("warning") | None))
        .map(|r| r.to_string())
        .collect()
}

#[test]
fn fixture_sarif_passes_the_multitool_validator() {
    let Some(tool) = multitool() else {
        assert!(
            std::env::var("CI").is_err(),
            "SARIF multitool not installed: .ci/run must install it"
        );
        eprintln!("skipped: SARIF multitool not installed (run .ci/run, or set SARIF_MULTITOOL)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("report.sarif");
    let cluster = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cluster/terragrunt-homelab"
    );
    let status = Command::new(common::binary())
        .args([
            "audit",
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/terragrunt-homelab"),
            "--format",
            "sarif",
            "--output",
        ])
        .arg(&sarif)
        // Live findings (results with logical locations only) must validate too.
        .args(["--live", "--snapshot"])
        .args(["core.json", "storage.json", "workloads.json"].map(|f| format!("{cluster}/{f}")))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let problems = validation_problems(&tool, &sarif);
    assert!(
        problems.is_empty(),
        "SARIF validation problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn drift_sarif_passes_the_multitool_validator() {
    let Some(tool) = multitool() else {
        assert!(
            std::env::var("CI").is_err(),
            "SARIF multitool not installed: .ci/run must install it"
        );
        eprintln!("skipped: SARIF multitool not installed (run .ci/run, or set SARIF_MULTITOOL)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("drift.sarif");
    let cluster = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cluster/terragrunt-homelab"
    );
    let status = Command::new(common::binary())
        .args([
            "drift",
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/terragrunt-homelab"),
            "--format",
            "sarif",
            "--output",
        ])
        .arg(&sarif)
        .arg("--snapshot")
        .args(["core.json", "storage.json", "workloads.json"].map(|f| format!("{cluster}/{f}")))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let problems = validation_problems(&tool, &sarif);
    assert!(
        problems.is_empty(),
        "drift SARIF validation problems:\n{}",
        problems.join("\n")
    );
}
