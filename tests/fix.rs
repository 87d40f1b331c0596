//! `audit --fix` and `--diff`: golden before/after trees under fixtures/fix/, idempotence,
//! safety (unparsable files untouched, modes kept), and the whole example repo checked with
//! HashiCorp's parser and formatter.

mod common;

use common::binary;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fix");

fn run(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Every file under `dir`, relative path -> bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let p = to.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(GOLDEN)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn fix_args(case: &Path, repo: &Path) -> Vec<String> {
    let mut args = vec![
        "audit".to_string(),
        repo.to_str().unwrap().to_string(),
        "--fix".into(),
    ];
    if case.join("UNSAFE").exists() {
        args.push("--unsafe-fixes".into());
    }
    args
}

fn fixable_left(repo: &Path) -> Vec<String> {
    let out = run(&["audit", repo.to_str().unwrap(), "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fixable"] == true)
        .map(|f| format!("{}:{}:{}", f["rule"], f["path"], f["line"]))
        .collect()
}

#[test]
fn golden_cases_fix_exactly_and_idempotently() {
    assert!(cases().len() >= 8);
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&case.join("before"), dir.path());
        let args = fix_args(&case, dir.path());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert!(
            out.status.code() != Some(2),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = tree(&case.join("after"));
        let got = tree(dir.path());
        for (path, bytes) in &expected {
            assert_eq!(
                String::from_utf8_lossy(got.get(path).unwrap_or(&Vec::new())),
                String::from_utf8_lossy(bytes),
                "{name}: {path} differs from the golden output"
            );
        }
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{name}: file set"
        );
        // Idempotent: a second run changes nothing and nothing fixable is left.
        run(&args);
        assert_eq!(tree(dir.path()), got, "{name}: second --fix changed files");
        assert_eq!(
            fixable_left(dir.path()),
            Vec::<String>::new(),
            "{name}: fixable findings left"
        );
    }
}

#[test]
fn diff_prints_the_change_and_writes_nothing() {
    let case = Path::new(GOLDEN).join("kyverno-lists");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&case.join("before"), dir.path());
    let before = tree(dir.path());
    let out = run(&["audit", dir.path().to_str().unwrap(), "--diff"]);
    let diff = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        diff.contains("--- a/stacks/vaultwarden/main.tf")
            && diff.contains("+++ b/stacks/vaultwarden/main.tf"),
        "{diff}"
    );
    assert!(diff.contains("+    ignore_changes        = [spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1"), "{diff}");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn unsafe_fixes_need_the_flag() {
    let case = Path::new(GOLDEN).join("values-unsafe");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&case.join("before"), dir.path());
    let before = tree(dir.path());
    let out = run(&["audit", dir.path().to_str().unwrap(), "--fix"]);
    assert_eq!(tree(dir.path()), before);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 fixable with --unsafe-fixes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unparsable_files_are_never_written_and_modes_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".infra-audit.toml"),
        "packs = [\"terragrunt-homelab\"]\n",
    )
    .unwrap();
    let broken =
        "resource \"kubernetes_deployment\" \"x\" {\n  metadata { name = \"postgresql.dbaas\" \n";
    std::fs::create_dir_all(dir.path().join("stacks/a")).unwrap();
    std::fs::write(dir.path().join("stacks/a/broken.tf"), broken).unwrap();
    let good = dir.path().join("stacks/a/good.tf");
    std::fs::write(
        &good,
        "resource \"kubernetes_deployment\" \"y\" {\n  metadata {\n    name = \"y\"\n  }\n}\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let out = run(&["audit", dir.path().to_str().unwrap(), "--fix"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("stacks/a/broken.tf")).unwrap(),
        broken
    );
    assert!(std::fs::read_to_string(&good)
        .unwrap()
        .contains("# KYVERNO_LIFECYCLE_V1"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&good).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    assert_eq!(
        out.status.code(),
        Some(3),
        "only the parse error remains: could not measure"
    );
}

/// Node and the @cdktf packages, when installed (`.ci/run` installs them under .ci/node).
fn hcl_checker() -> Option<(PathBuf, PathBuf)> {
    let modules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/node/node_modules");
    let node = which("node")?;
    modules
        .join("@cdktf/hcl2json")
        .is_dir()
        .then_some((node, modules))
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(cmd))
        .find(|p| p.is_file())
}

fn check_with_hashicorp(files: &[PathBuf]) -> serde_json::Value {
    let (node, modules) = hcl_checker().expect("checked by caller");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/hcl_check.js");
    let out = Command::new(node)
        .arg(script)
        .args(files)
        .env("NODE_PATH", modules)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn fixing_the_example_repo_keeps_hashicorp_parser_and_formatter_happy() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/terragrunt-homelab");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture, dir.path());
    let before = tree(dir.path());
    let out = run(&["audit", dir.path().to_str().unwrap(), "--fix"]);
    assert_eq!(out.status.code(), Some(1), "unfixable errors remain");
    let after = tree(dir.path());
    let changed: Vec<PathBuf> = after
        .iter()
        .filter(|(p, b)| before.get(*p) != Some(b))
        .map(|(p, _)| dir.path().join(p))
        .collect();
    assert!(changed.len() >= 8, "only {} files changed", changed.len());
    assert_eq!(fixable_left(dir.path()), Vec::<String>::new());
    run(&["audit", dir.path().to_str().unwrap(), "--fix"]);
    assert_eq!(tree(dir.path()), after, "second --fix changed files");

    let Some(_) = hcl_checker() else {
        assert!(
            std::env::var("CI").is_err(),
            "@cdktf/hcl2json not installed: .ci/run must install it"
        );
        eprintln!("skipped the HashiCorp parser/formatter check: run .ci/run to install @cdktf/hcl2json and @cdktf/hcl-tools");
        return;
    };
    let hcl_files: Vec<PathBuf> = changed
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    let originals: Vec<PathBuf> = {
        let orig = tempfile::tempdir().unwrap().keep();
        copy_tree(&fixture, &orig);
        hcl_files
            .iter()
            .map(|p| orig.join(p.strip_prefix(dir.path()).unwrap()))
            .collect()
    };
    let after_check = check_with_hashicorp(&hcl_files);
    let before_check = check_with_hashicorp(&originals);
    for (fixed, original) in hcl_files.iter().zip(&originals) {
        let a = &after_check[fixed.to_str().unwrap()];
        let b = &before_check[original.to_str().unwrap()];
        assert_eq!(a["parses"], true, "{}: {}", fixed.display(), a["error"]);
        if b["formatted"] == true {
            assert_eq!(
                a["formatted"],
                true,
                "{} was terraform-fmt clean before the fix, not after",
                fixed.display()
            );
        }
    }
}

#[test]
fn golden_outputs_parse_and_stay_fmt_clean_with_hashicorp_tools() {
    if hcl_checker().is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "@cdktf packages not installed: .ci/run must install them"
        );
        eprintln!("skipped: @cdktf/hcl2json and @cdktf/hcl-tools are not installed (run .ci/run)");
        return;
    }
    let mut befores = Vec::new();
    let mut afters = Vec::new();
    for case in cases() {
        for (rel, _) in tree(&case.join("after")) {
            if rel.ends_with(".tf") {
                befores.push(case.join("before").join(&rel));
                afters.push(case.join("after").join(&rel));
            }
        }
    }
    let b = check_with_hashicorp(&befores);
    let a = check_with_hashicorp(&afters);
    for (before, after) in befores.iter().zip(&afters) {
        let (bb, aa) = (&b[before.to_str().unwrap()], &a[after.to_str().unwrap()]);
        assert_eq!(aa["parses"], true, "{}: {}", after.display(), aa["error"]);
        if bb["formatted"] == true {
            assert_eq!(
                aa["formatted"],
                true,
                "{} is not terraform-fmt clean",
                after.display()
            );
        }
    }
}
