//! Suppression comments: the input is read as HCL (comments from the parser) and as a
//! hash-comment file (comments found line by line), its suppressions collected and
//! applied to a finding on every line, as the audit does.

#![no_main]

use infra_audit::finding::{Finding, Location, Severity};
use infra_audit::source::SourceFile;
use infra_audit::suppress;
use infra_audit::syntax::hcl;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn check(file: &SourceFile, comments: Option<&[infra_audit::syntax::comments::Comment]>) {
    let known: BTreeSet<String> = ["kyverno-lifecycle", "image-tag-pinned", "parse-error"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let today = time::macros::date!(2026 - 01 - 01);
    let sups = suppress::collect(file, comments, &known, today);
    let mut findings: Vec<Finding> = (1..=file.line_count().min(200))
        .flat_map(|line| {
            let span = file.line_range(line);
            ["kyverno-lifecycle", "image-tag-pinned"].map(|rule| {
                Finding::new(
                    rule.into(),
                    Severity::Error,
                    "fuzz".into(),
                    Location::new(file, span.clone()),
                )
            })
        })
        .collect();
    let unused = suppress::apply(file, &sups.items, &mut findings, &known);
    for f in sups.invalid.iter().chain(&unused) {
        assert!(
            f.location.span.end <= file.text.len(),
            "finding span inside the file"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tf = SourceFile::new("main.tf".into(), PathBuf::from("/r/main.tf"), text.into());
    if let Ok(parsed) = hcl::parse(text) {
        check(&tf, Some(&parsed.comments));
    }
    let sh = SourceFile::new("run.sh".into(), PathBuf::from("/r/run.sh"), text.into());
    check(&sh, None);
    let yaml = SourceFile::new("app.yaml".into(), PathBuf::from("/r/app.yaml"), text.into());
    check(&yaml, None);
});
