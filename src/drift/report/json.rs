//! Drift as a versioned JSON document (schema in docs/drift.md).

use super::Context;
use crate::drift::{DriftClass, DriftReport};
use serde_json::json;

/// Renders the report as pretty JSON.
pub fn render(report: &DriftReport, ctx: &Context) -> String {
    let items: Vec<serde_json::Value> = report
        .items
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).expect("items serialize");
            if let Some(first) = ctx.first_seen.get(&i.key()) {
                v["first_seen"] = json!(first);
                v["age_seconds"] = json!(ctx.now.saturating_sub(*first));
            }
            v
        })
        .collect();
    let doc = json!({
        "version": 1,
        "tool": { "name": "infra-audit", "version": env!("CARGO_PKG_VERSION") },
        "source": report.source,
        "commit": report.commit,
        "items": items,
        "unresolved": report.unresolved,
        "not_measured": serde_json::to_value(report).expect("report serializes")["not_measured"],
        "summary": {
            "compared": report.compared,
            "missing": report.count(DriftClass::Missing),
            "unmanaged": report.count(DriftClass::Unmanaged),
            "changed": report.count(DriftClass::Changed),
            "unsuppressed_mutation": report.count(DriftClass::UnsuppressedMutation),
            "unresolved": report.unresolved.len(),
            "not_measured": report.not_measured.len(),
            "exit_code": report.exit_code(),
        },
    });
    serde_json::to_string_pretty(&doc).expect("json renders") + "\n"
}
