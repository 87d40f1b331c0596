//! The JSON report (schema in docs/json-output.md).
//!
//! Findings are serialised straight from borrowed views whose fields are declared in
//! alphabetical order, the order the report has always had (it was built as a
//! `serde_json::Value`, whose maps sort their keys). Building that `Value` for every finding
//! first was 8% of an audit of a large repository (callgrind); the small sections still go
//! through `Value`, so their keys stay sorted too. `keys_are_sorted` below guards the order.

use crate::audit::AuditReport;
use crate::finding::{Certainty, Edit, Finding, Fix, Related, Severity};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Renders the report as pretty JSON.
pub fn render(report: &AuditReport, fail_on: Severity) -> String {
    let mut out = Vec::new();
    write(report, fail_on, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes the report as pretty JSON to `out` as it is serialised: at 15,000 stacks the
/// report is about 200 MB, and building it as one string first cost a second copy of it.
///
/// The findings are rendered on all cores, [`CHUNK`] at a time (so memory stays bounded),
/// each at indentation zero and then indented to its place in the array: a JSON string
/// cannot hold a raw newline, so every newline of a rendered finding is structure. The
/// bytes are exactly what `serde_json::to_writer_pretty` writes for the whole document
/// (`output_is_what_serde_json_writes_for_the_whole_document`); rendering on one thread was
/// 7% of an audit's instructions, all of it after the parallel part.
pub fn write(
    report: &AuditReport,
    fail_on: Severity,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    out.write_all(b"{\n  \"findings\": [")?;
    for (chunk_index, chunk) in report.findings.chunks(CHUNK).enumerate() {
        let rendered: Vec<Vec<u8>> = chunk
            .par_iter()
            .map(|f| finding_at_depth_two(&FindingView::new(f, &report.sources)))
            .collect();
        for (i, finding) in rendered.iter().enumerate() {
            let first = chunk_index == 0 && i == 0;
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            out.write_all(finding)?;
        }
    }
    if !report.findings.is_empty() {
        out.write_all(b"\n  ")?;
    }
    out.write_all(b"],")?;
    let rest = serde_json::to_vec_pretty(&rest(report, fail_on))?;
    // `rest` is `{` followed by its fields at depth one: they continue the document.
    out.write_all(&rest[1..])?;
    out.write_all(b"\n")
}

/// How many findings are rendered in parallel before they are written out.
const CHUNK: usize = 4096;

/// One finding as pretty JSON, indented as an element of the top-level `findings` array.
///
/// serde_json's own pretty formatter writes it in place: two levels (the document's `{`
/// and the array's `[`) are opened into a sink first, so it indents as it would inside the
/// whole document. (Rendering at depth zero and re-indenting copied every finding a second
/// time, 10% of the serial tail after the parallel part.)
fn finding_at_depth_two(view: &FindingView<'_>) -> Vec<u8> {
    use serde_json::ser::Formatter;
    let mut formatter = serde_json::ser::PrettyFormatter::new();
    let mut sink = std::io::sink();
    formatter
        .begin_object(&mut sink)
        .and_then(|()| formatter.begin_array(&mut sink))
        .expect("writing to a sink cannot fail");
    let mut out = Vec::with_capacity(1024);
    view.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, formatter,
    ))
    .expect("a finding view serializes");
    out
}

/// Everything in the report but its findings.
fn rest(report: &AuditReport, fail_on: Severity) -> Rest {
    let (errors, warnings, infos, unverified) = report.counts();
    Rest {
        live: report.live.as_ref().map(|l| json!({
            "source": l.source,
            "findings": l.findings,
            "not_measured": l.not_measured.iter().map(|n| json!({ "kind": n.kind, "namespace": n.namespace, "reason": n.reason })).collect::<Vec<_>>(),
        })),
        skipped: serde_json::to_value(&report.skipped).expect("skipped files serialize"),
        summary: json!({
            "files_scanned": report.files_scanned,
            "errors": errors,
            "warnings": warnings,
            "info": infos,
            "unverified": unverified,
            "skipped": report.skipped.len(),
            "baselined": report.baseline.as_ref().map_or(0, |b| b.baselined),
            "baseline": report.baseline.as_ref().map(|b| b.file.as_str()),
            "fail_on": fail_on.as_str(),
            "exit_code": report.exit_code(fail_on),
            "elapsed_ms": report.elapsed.as_millis() as u64,
        }),
        tool: json!({ "name": "infra-audit", "version": env!("CARGO_PKG_VERSION") }),
        version: 1,
    }
}

/// The report's fields after `findings`, in alphabetical order (the document's order).
#[derive(Serialize)]
struct Rest {
    live: Option<Value>,
    skipped: Value,
    summary: Value,
    tool: Value,
    version: u32,
}

/// One finding as the report shows it; fields in alphabetical order.
#[derive(Serialize)]
struct FindingView<'a> {
    certainty: Certainty,
    column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    end_column: usize,
    end_line: usize,
    fingerprint: String,
    fix: Option<FixView<'a>>,
    fixable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    line: usize,
    message: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: Vec<RelatedView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    rule: &'a str,
    severity: Severity,
}

impl<'a> FindingView<'a> {
    fn new(f: &'a Finding, sources: &'a BTreeMap<String, String>) -> Self {
        let l = &f.location;
        FindingView {
            certainty: f.certainty,
            column: l.column,
            commit: f.commit.as_deref(),
            end_column: l.end_column,
            end_line: l.end_line,
            fingerprint: crate::fingerprint::of(f, sources),
            fix: f.fix.as_ref().map(|fix| FixView::new(fix, sources)),
            fixable: f.fixable,
            help: f.help.as_deref(),
            line: l.line,
            message: &f.message,
            path: &l.path,
            related: f.related.iter().map(RelatedView::new).collect(),
            resource: f.resource.as_deref(),
            rule: &f.rule,
            severity: f.severity,
        }
    }
}

/// A secondary location; fields in alphabetical order.
#[derive(Serialize)]
struct RelatedView<'a> {
    column: usize,
    end_column: usize,
    end_line: usize,
    line: usize,
    message: &'a str,
    path: &'a str,
}

impl<'a> RelatedView<'a> {
    fn new(r: &'a Related) -> Self {
        let l = &r.location;
        RelatedView {
            column: l.column,
            end_column: l.end_column,
            end_line: l.end_line,
            line: l.line,
            message: &r.message,
            path: &l.path,
        }
    }
}

/// A fix with 1-based positions computed from the edited file's text; fields in
/// alphabetical order.
#[derive(Serialize)]
struct FixView<'a> {
    applicability: crate::finding::Applicability,
    description: &'a str,
    edits: Vec<EditView<'a>>,
}

impl<'a> FixView<'a> {
    /// The view of `fix`; `sources` holds the text of every file the edits touch.
    fn new(fix: &'a Fix, sources: &'a BTreeMap<String, String>) -> Self {
        FixView {
            applicability: fix.applicability,
            description: &fix.description,
            edits: fix
                .edits
                .iter()
                .map(|e| EditView::new(e, sources))
                .collect(),
        }
    }
}

/// One edit of a fix; fields in alphabetical order.
#[derive(Serialize)]
struct EditView<'a> {
    end_byte: usize,
    end_column: usize,
    end_line: usize,
    path: &'a str,
    replacement: &'a str,
    start_byte: usize,
    start_column: usize,
    start_line: usize,
}

impl<'a> EditView<'a> {
    fn new(e: &'a Edit, sources: &'a BTreeMap<String, String>) -> Self {
        let text = sources.get(&e.path).map(String::as_str).unwrap_or("");
        let (start_line, start_column) = crate::finding::position_in(text, e.span.start);
        let (end_line, end_column) = crate::finding::position_in(text, e.span.end);
        EditView {
            end_byte: e.span.end,
            end_column,
            end_line,
            path: &e.path,
            replacement: &e.replacement,
            start_byte: e.span.start,
            start_column,
            start_line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Applicability, Location};

    /// The document in one piece, as `serde_json` writes it: what [`write`]'s parallel,
    /// chunked rendering must reproduce byte for byte.
    #[derive(Serialize)]
    struct Whole<'a> {
        findings: Vec<FindingView<'a>>,
        #[serde(flatten)]
        rest: Rest,
    }

    fn whole(report: &AuditReport) -> String {
        let doc = Whole {
            findings: report
                .findings
                .iter()
                .map(|f| FindingView::new(f, &report.sources))
                .collect(),
            rest: rest(report, Severity::Error),
        };
        serde_json::to_string_pretty(&doc).unwrap() + "\n"
    }

    #[test]
    fn output_is_what_serde_json_writes_for_the_whole_document() {
        let mut report = sample_report();
        assert_eq!(render(&report, Severity::Error), whole(&report));
        let template = report.findings[0].clone();
        report.findings = (0..CHUNK + 3)
            .map(|i| Finding {
                message: format!("m{i}\nwith \"quotes\" and a newline"),
                ..template.clone()
            })
            .collect();
        assert_eq!(render(&report, Severity::Error), whole(&report));
        report.findings.clear();
        let empty = render(&report, Severity::Error);
        assert_eq!(empty, whole(&report));
        assert!(empty.starts_with("{\n  \"findings\": [],\n  \"live\": null,"));
    }

    /// Two findings (one with every optional field) and a skipped file.
    fn sample_report() -> AuditReport {
        let location = |line: usize| Location {
            path: "stacks/a/main.tf".into(),
            span: 0..3,
            line,
            column: 1,
            end_line: line,
            end_column: 4,
        };
        let full = Finding {
            help: Some("do this".into()),
            resource: Some("kubernetes_deployment.a".into()),
            related: vec![Related {
                location: location(2),
                message: "here".into(),
            }],
            fixable: true,
            fix: Some(Fix {
                description: "fix it".into(),
                applicability: Applicability::Safe,
                edits: vec![Edit {
                    path: "stacks/a/main.tf".into(),
                    span: 1..2,
                    replacement: "b".into(),
                }],
                declares: None,
            }),
            commit: Some("abc".into()),
            ..Finding::new("r".into(), Severity::Error, "m".into(), location(1))
        };
        let bare = Finding::new("r".into(), Severity::Warning, "m".into(), location(3));
        AuditReport {
            root: "/repo".into(),
            findings: vec![full, bare],
            skipped: vec![crate::audit::Skipped {
                path: "x.sops.yaml".into(),
                reason: crate::source::SkipReason::Sops,
                detail: Some("encrypted".into()),
            }],
            files_scanned: 1,
            elapsed: std::time::Duration::ZERO,
            rules: Vec::new(),
            config: crate::config::Config::default(),
            sources: BTreeMap::from([("stacks/a/main.tf".to_string(), "abc\n".to_string())]),
            live: None,
            baseline: None,
        }
    }

    /// Every object of the report keeps its keys in alphabetical order: re-serialising the
    /// output through `serde_json::Value` (whose maps sort keys) must not change a byte.
    #[test]
    fn keys_are_sorted() {
        let report = sample_report();
        let out = render(&report, Severity::Error);
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out, serde_json::to_string_pretty(&value).unwrap() + "\n");
        assert_eq!(value["findings"][0]["fix"]["edits"][0]["start_column"], 2);
        assert_eq!(value["findings"][0]["related"][0]["line"], 2);
        assert!(value["findings"][1].get("related").is_none());
    }
}
