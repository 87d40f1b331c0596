//! Fingerprints: a finding's identity across runs, for baselines and SARIF.
//!
//! A fingerprint is built from what the finding is about, never from where it is: the rule
//! id, the file's path, the enclosing resource address and the flagged text with whitespace
//! normalized, plus an occurrence index when several findings share all of those. So it
//! survives code moving up or down in the file and edits elsewhere in the same resource,
//! and changes when the file or resource is renamed or the flagged text itself changes.

use crate::finding::{stable_hash, Finding, StableHasher};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// The flagged text with every run of whitespace (line breaks included) collapsed to one
/// space and the ends trimmed, so re-indentation and re-alignment do not count as changes.
pub fn normalize_snippet(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fingerprint of `finding` without an occurrence index: a hash of the rule, path,
/// resource address and normalized primary span of `file_text` (the whole file).
pub fn base(finding: &Finding, file_text: Option<&str>) -> String {
    let mut hash = StableHasher::default();
    for part in [
        &finding.rule,
        &finding.location.path,
        finding.resource.as_deref().unwrap_or(""),
    ] {
        hash.write(part.as_bytes());
        hash.end_part();
    }
    // The normalized snippet (`normalize_snippet`), hashed word by word instead of joined
    // into a string first.
    let snippet = file_text.and_then(|t| t.get(finding.location.span.clone()));
    for (i, word) in snippet
        .into_iter()
        .flat_map(str::split_whitespace)
        .enumerate()
    {
        if i > 0 {
            hash.write(b" ");
        }
        hash.write(word.as_bytes());
    }
    hash.end_part();
    hash.finish()
}

/// The fingerprint of the `index`-th (0-based, in file order) of several findings sharing
/// the base fingerprint `base`: the first keeps `base`, so a unique finding's fingerprint
/// does not depend on the index at all.
pub fn with_occurrence(base: &str, index: usize) -> String {
    if index == 0 {
        base.to_string()
    } else {
        stable_hash(&[base, &index.to_string()])
    }
}

/// Stores the base fingerprint ([`base`]) of each of `findings` that points into `file` in
/// its `fingerprint` field, for [`assign`] to finish. The audit calls this for each file
/// while its text is at hand and on every core; [`assign`] then only hashes what was added
/// later and counts occurrences (the hashing was 1 ms of the serial tail at 150 stacks).
pub fn set_bases(findings: &mut [Finding], file: &crate::source::SourceFile) {
    for f in findings {
        if f.location.path == file.path && f.fingerprint.is_empty() {
            f.fingerprint = base(f, Some(&file.text));
        }
    }
}

/// Sets `fingerprint` on every finding. `findings` must be the complete, sorted result of
/// an audit (before a baseline or any other filter hides some), so that the occurrence
/// index counts every finding with the same base; `sources` holds the text of the files
/// the findings point into. A finding whose `fingerprint` is already set holds its base
/// ([`set_bases`]).
pub fn assign(findings: &mut [Finding], sources: &BTreeMap<String, String>) {
    // The missing hashes in parallel, the occurrence counts in order.
    findings
        .par_iter_mut()
        .filter(|f| f.fingerprint.is_empty())
        .for_each(|f| f.fingerprint = base(f, sources.get(&f.location.path).map(String::as_str)));
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(findings.len());
    let occurrences: Vec<usize> = findings
        .iter()
        .map(|f| {
            let count = seen.entry(f.fingerprint.as_str()).or_default();
            *count += 1;
            *count - 1
        })
        .collect();
    for (f, index) in findings.iter_mut().zip(occurrences) {
        if index > 0 {
            f.fingerprint = with_occurrence(&f.fingerprint, index);
        }
    }
}

/// The fingerprint assigned by [`assign`], or the base fingerprint for a finding that was
/// built outside an audit run and never assigned one.
pub fn of(finding: &Finding, sources: &BTreeMap<String, String>) -> String {
    if finding.fingerprint.is_empty() {
        base(
            finding,
            sources.get(&finding.location.path).map(String::as_str),
        )
    } else {
        finding.fingerprint.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_is_the_hash_of_the_joined_parts() {
        let text = "resource  \"a\"\r\n\t \"b\" {\n  x = 1 # é\u{a0}y\n}\n";
        for span in [0..0, 0..8, 0..text.len(), 3..20, 30..text.len()] {
            for resource in [None, Some("kubernetes_deployment.a")] {
                let f = finding("stacks/a/main.tf", span.clone(), resource);
                let joined = normalize_snippet(&text[span.clone()]);
                let expected = stable_hash(&[
                    &f.rule,
                    &f.location.path,
                    f.resource.as_deref().unwrap_or(""),
                    &joined,
                ]);
                assert_eq!(base(&f, Some(text)), expected, "{span:?}");
            }
        }
        let f = finding("stacks/a/main.tf", 0..500, Some("t.n"));
        assert_eq!(
            base(&f, Some(text)),
            stable_hash(&[&f.rule, &f.location.path, "t.n", ""]),
            "a span outside the text hashes an empty snippet"
        );
        assert_eq!(
            base(&f, None),
            stable_hash(&[&f.rule, &f.location.path, "t.n", ""])
        );
    }
    use crate::finding::{Location, Severity};

    fn finding(path: &str, span: std::ops::Range<usize>, resource: Option<&str>) -> Finding {
        Finding {
            resource: resource.map(str::to_string),
            ..Finding::new(
                "r".into(),
                Severity::Error,
                "m".into(),
                Location {
                    path: path.into(),
                    span,
                    line: 1,
                    column: 1,
                    end_line: 1,
                    end_column: 1,
                },
            )
        }
    }

    #[test]
    fn snippets_are_whitespace_normalized() {
        assert_eq!(
            normalize_snippet("  resource  \"a\"\r\n\t \"b\" "),
            "resource \"a\" \"b\""
        );
    }

    #[test]
    fn base_ignores_position_and_whitespace_but_not_text() {
        let a = "x = \"10.0.0.1\"\n";
        let b = "\n\n\nx = \"10.0.0.1\"\n";
        let fa = finding("f.tf", 5..13, Some("t.n"));
        let fb = finding("f.tf", 8..16, Some("t.n"));
        assert_eq!(base(&fa, Some(a)), base(&fb, Some(b)));
        let other = finding("f.tf", 5..13, Some("t.m"));
        assert_ne!(base(&fa, Some(a)), base(&other, Some(a)));
        assert_ne!(base(&fa, Some(a)), base(&fa, Some("x = \"10.0.0.2\"\n")));
    }

    #[test]
    fn equal_findings_get_distinct_fingerprints_in_file_order() {
        let text = "a = \"h\"\nb = \"h\"\n";
        let mut findings = vec![
            finding("f.tf", 5..6, None),
            finding("f.tf", 13..14, None),
            finding("g.tf", 5..6, None),
        ];
        let sources = BTreeMap::from([
            ("f.tf".to_string(), text.to_string()),
            ("g.tf".to_string(), text.to_string()),
        ]);
        assign(&mut findings, &sources);
        let first = base(&findings[0], Some(text));
        assert_eq!(findings[0].fingerprint, first);
        assert_eq!(findings[1].fingerprint, stable_hash(&[&first, "1"]));
        assert_eq!(
            findings[2].fingerprint,
            base(&findings[2], Some(text)),
            "another file starts its own count"
        );
        assert_ne!(findings[0].fingerprint, findings[2].fingerprint);
        assert_eq!(of(&findings[1], &sources), findings[1].fingerprint);
    }

    #[test]
    fn bases_set_per_file_give_the_same_fingerprints() {
        let text = "x = \"10.0.0.1\"\nx = \"10.0.0.1\"\n";
        let sources = BTreeMap::from([("f.tf".to_string(), text.to_string())]);
        let make = || {
            vec![
                finding("f.tf", 5..13, Some("t.n")),
                finding("f.tf", 21..29, Some("t.n")),
                finding("g.tf", 0..1, None),
            ]
        };
        let mut plain = make();
        assign(&mut plain, &sources);
        let mut early = make();
        let file = crate::source::SourceFile::new("f.tf".into(), "f.tf".into(), text.into());
        set_bases(&mut early, &file);
        assert!(
            early[2].fingerprint.is_empty(),
            "another file's finding is left alone"
        );
        assign(&mut early, &sources);
        let prints = |v: &[Finding]| v.iter().map(|f| f.fingerprint.clone()).collect::<Vec<_>>();
        assert_eq!(prints(&plain), prints(&early));
        assert_ne!(plain[0].fingerprint, plain[1].fingerprint);
    }
}
