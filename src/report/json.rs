//! The JSON report (schema in docs/json-output.md).

use crate::audit::AuditReport;
use crate::finding::Severity;
use serde_json::json;

/// Renders the report as pretty JSON.
pub fn render(report: &AuditReport, fail_on: Severity) -> String {
    let (errors, warnings, infos, unverified) = report.counts();
    let doc = json!({
        "version": 1,
        "tool": { "name": "infra-audit", "version": env!("CARGO_PKG_VERSION") },
        "findings": report.findings.iter().map(|f| {
            let mut v = serde_json::to_value(f).expect("findings serialize");
            v["fingerprint"] = json!(crate::fingerprint::of(f, &report.sources));
            v["fix"] = match &f.fix {
                Some(fix) => fix.to_json(&report.sources),
                None => serde_json::Value::Null,
            };
            v
        }).collect::<Vec<_>>(),
        "skipped": report.skipped,
        "live": report.live.as_ref().map(|l| json!({
            "source": l.source,
            "findings": l.findings,
            "not_measured": l.not_measured.iter().map(|n| json!({ "kind": n.kind, "namespace": n.namespace, "reason": n.reason })).collect::<Vec<_>>(),
        })),
        "summary": {
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
        }
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("json renders");
    out.push('\n');
    out
}
