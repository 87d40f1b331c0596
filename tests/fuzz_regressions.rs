//! Regression tests for what the fuzz targets found (docs/fuzzing.md). Every minimized
//! input lives in `tests/fuzz-regressions/<target>-<short-name>` and is replayed here
//! through the property of its target, with the stable toolchain, by `cargo test`.

mod common;

use common::binary;
use infra_audit::syntax::hcl;
use std::path::{Path, PathBuf};
use std::process::Command;

const INPUTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions");

/// Where `fix_roundtrip` puts its input (the fuzz target uses the same path).
const FIX_PATH: &str = "stacks/app/main.tf";

/// Every regression input, sorted by name.
fn inputs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(INPUTS)
        .expect("tests/fuzz-regressions exists")
        .map(|e| e.expect("readable entry").path())
        .collect();
    files.sort();
    files
}

/// A scratch repository set up as the fuzz targets' (`fuzz/fuzz_targets/common.rs`): a
/// `.git` directory and no `.infra-audit.toml`, so every built-in pack runs, as it did
/// when the input was found.
fn scratch_repo(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let file = dir.path().join(FIX_PATH);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
    dir
}

/// Runs `infra-audit audit --fix` on the repository and returns the fixed file's text.
fn fix(repo: &Path) -> String {
    let out = Command::new(binary())
        .args(["audit", repo.to_str().unwrap(), "--fix"])
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs");
    // Exit 1 (findings left that have no fix) is expected; a crash is not.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "audit --fix failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(repo.join(FIX_PATH)).expect("fixed file readable")
}

/// The `fix_roundtrip` property: the fixed text parses, and fixing it again changes nothing.
/// Returns the text after one fix.
fn assert_fix_roundtrip(input: &Path) -> String {
    let text = std::fs::read_to_string(input).expect("input is UTF-8");
    assert!(
        hcl::parse(&text).is_ok(),
        "{}: input parses",
        input.display()
    );
    let repo = scratch_repo(&text);
    let once = fix(repo.path());
    assert!(
        hcl::parse(&once).is_ok(),
        "{}: fixed text parses:\n{once}",
        input.display()
    );
    let twice = fix(repo.path());
    assert_eq!(
        once,
        twice,
        "{}: fixing twice == fixing once",
        input.display()
    );
    once
}

#[test]
fn every_regression_input_keeps_its_targets_property() {
    let files = inputs();
    assert!(!files.is_empty());
    for file in files {
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        match name.split_once('-').map(|(target, _)| target) {
            Some("fix_roundtrip") => {
                assert_fix_roundtrip(&file);
            }
            _ => panic!("{name}: no property known for this target; add it here"),
        }
    }
}

/// Third fuzzing pass: a PVC whose second label holds `{` and a raw newline. The fix took
/// the label's `{` for the body's and inserted `wait_until_bound = false` into the label,
/// so every run added it again. Now it goes first in the body, once.
#[test]
fn raw_newline_label_gets_wait_until_bound_once_in_the_body() {
    let once = assert_fix_roundtrip(&Path::new(INPUTS).join("fix_roundtrip-raw-newline-label"));
    assert_eq!(once.matches("wait_until_bound = false").count(), 1);
    let lines: Vec<&str> = once.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "resource \"kubernetes_persistent_volume_claim\" \"datata {",
            "   a\" {",
            "  wait_until_bound = false",
        ]
    );
}
