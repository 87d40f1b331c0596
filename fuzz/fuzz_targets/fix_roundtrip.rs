//! `audit --fix` as a property: when the input parses as HCL, the fix pipeline (audit with
//! fixes, rounds of non-overlapping edits, re-parse) run on it must produce text that
//! still parses, and fixing that text again must change nothing (fix twice == fix once).

#![no_main]

mod common;

use infra_audit::fix::{self, Mode};
use infra_audit::syntax::hcl;
use libfuzzer_sys::fuzz_target;

const PATH: &str = "stacks/app/main.tf";

/// Runs `audit --fix` (safe fixes, preview) on the scratch repository; the fixed text of
/// the file, when it changed.
fn fix_once(text: &str) -> Option<String> {
    common::write(PATH, text);
    let outcome = fix::run(&common::options(), false, Mode::Preview).expect("fix run");
    common::render_all(&outcome.report);
    let _ = fix::unified_diff(&outcome.changed);
    outcome.changed.get(PATH).map(|(_, fixed)| fixed.clone())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if hcl::parse(text).is_err() {
        return;
    }
    let Some(once) = fix_once(text) else {
        return;
    };
    // `FUZZ_VERBOSE=1` shows which inputs the fixes changed (to check the property is
    // exercised when replaying a corpus with `-runs=0`).
    if std::env::var_os("FUZZ_VERBOSE").is_some() {
        eprintln!("fix_roundtrip: fixes changed a {}-byte input", text.len());
    }
    if let Err(e) = hcl::parse(&once) {
        panic!("fixed text does not parse ({e:?}):\n--- input\n{text}\n--- fixed\n{once}");
    }
    if let Some(twice) = fix_once(&once) {
        panic!("fixing twice changed the text again:\n--- once\n{once}\n--- twice\n{twice}");
    }
});
