//! Drift as Prometheus text exposition (for a Pushgateway or a node-exporter textfile):
//! drifted objects by class, kind and namespace; not-measured kinds; unresolved objects;
//! first-seen times and ages from `--state`; the time of the run.

use super::Context;
use crate::drift::{tally, DriftReport};
use std::fmt::Write;

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn metric(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// Renders the report as Prometheus text.
pub fn render(report: &DriftReport, ctx: &Context) -> String {
    let mut out = String::new();
    metric(
        &mut out,
        "infra_audit_drift_objects",
        "Drifted objects by class, kind and namespace.",
    );
    for ((class, kind, ns), n) in tally(report) {
        let _ = writeln!(
            out,
            "infra_audit_drift_objects{{class=\"{}\",kind=\"{}\",namespace=\"{}\"}} {n}",
            class.as_str(),
            escape(&kind),
            escape(&ns)
        );
    }
    metric(
        &mut out,
        "infra_audit_not_measured",
        "Kinds (per namespace when scoped) that could not be read: 1 each.",
    );
    for n in &report.not_measured {
        let _ = writeln!(
            out,
            "infra_audit_not_measured{{kind=\"{}\",namespace=\"{}\"}} 1",
            escape(&n.kind),
            escape(n.namespace.as_deref().unwrap_or(""))
        );
    }
    metric(
        &mut out,
        "infra_audit_unresolved_objects",
        "Declared objects that could not be evaluated (not compared).",
    );
    let _ = writeln!(
        out,
        "infra_audit_unresolved_objects {}",
        report.unresolved.len()
    );
    metric(
        &mut out,
        "infra_audit_compared_objects",
        "Declared objects compared with the cluster.",
    );
    let _ = writeln!(out, "infra_audit_compared_objects {}", report.compared);
    if !ctx.first_seen.is_empty() {
        metric(
            &mut out,
            "infra_audit_drift_first_seen_timestamp_seconds",
            "When each current drift was first seen (from --state).",
        );
        for i in &report.items {
            if let Some(t) = ctx.first_seen.get(&i.key()) {
                let _ = writeln!(
                    out,
                    "infra_audit_drift_first_seen_timestamp_seconds{{{}}} {t}",
                    labels(i)
                );
            }
        }
        metric(
            &mut out,
            "infra_audit_drift_age_seconds",
            "How long each current drift has lasted (from --state).",
        );
        for i in &report.items {
            if let Some(age) = ctx.age(&i.key()) {
                let _ = writeln!(out, "infra_audit_drift_age_seconds{{{}}} {age}", labels(i));
            }
        }
    }
    metric(
        &mut out,
        "infra_audit_last_run_timestamp_seconds",
        "When this drift check ran.",
    );
    let _ = writeln!(out, "infra_audit_last_run_timestamp_seconds {}", ctx.now);
    out
}

fn labels(i: &crate::drift::DriftItem) -> String {
    format!(
        "class=\"{}\",kind=\"{}\",namespace=\"{}\",name=\"{}\"",
        i.class.as_str(),
        escape(&i.kind),
        escape(i.namespace.as_deref().unwrap_or("")),
        escape(&i.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{DriftClass, DriftItem, DriftReport};
    use crate::live::NotMeasured;

    #[test]
    fn output_parses_as_prometheus_text() {
        let item = DriftItem {
            class: DriftClass::Changed,
            kind: "Deployment".into(),
            namespace: Some("blog".into()),
            name: "we\"ird".into(),
            address: None,
            location: None,
            changes: Vec::new(),
            message: String::new(),
        };
        let report = DriftReport {
            items: vec![item.clone()],
            not_measured: vec![NotMeasured {
                kind: "Secret".into(),
                namespace: Some("vault".into()),
                reason: "forbidden".into(),
            }],
            compared: 12,
            ..Default::default()
        };
        let ctx = Context {
            first_seen: [(item.key(), 1_000)].into(),
            now: 4_600,
            ..Default::default()
        };
        let text = render(&report, &ctx);
        let lines = text.lines().map(|l| Ok(l.to_string()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition");
        let value = |name: &str| {
            scrape
                .samples
                .iter()
                .find(|s| s.metric == name)
                .map(|s| match s.value {
                    prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
                    _ => f64::NAN,
                })
        };
        assert_eq!(value("infra_audit_drift_objects"), Some(1.0));
        assert_eq!(value("infra_audit_not_measured"), Some(1.0));
        assert_eq!(value("infra_audit_compared_objects"), Some(12.0));
        assert_eq!(value("infra_audit_drift_age_seconds"), Some(3600.0));
        assert_eq!(
            value("infra_audit_last_run_timestamp_seconds"),
            Some(4600.0)
        );
        let drift = scrape
            .samples
            .iter()
            .find(|s| s.metric == "infra_audit_drift_objects")
            .unwrap();
        assert_eq!(drift.labels.get("class"), Some("changed"));
        let age = scrape
            .samples
            .iter()
            .find(|s| s.metric == "infra_audit_drift_age_seconds")
            .unwrap();
        // The label value is escaped per the exposition format (the parser keeps escapes).
        assert_eq!(age.labels.get("name"), Some("we\\\"ird"));
    }
}
