//! Drift for people: a summary line, then one line per drifted object, grouped by namespace.

use super::{human_age, Context};
use crate::drift::{DriftClass, DriftReport};
use std::fmt::Write;

/// The summary line.
pub fn summary(report: &DriftReport) -> String {
    let mut s = format!(
        "Drift: {} changed, {} missing, {} unmanaged, {} unsuppressed mutation{} ({} declared objects compared)",
        report.count(DriftClass::Changed),
        report.count(DriftClass::Missing),
        report.count(DriftClass::Unmanaged),
        report.count(DriftClass::UnsuppressedMutation),
        if report.count(DriftClass::UnsuppressedMutation) == 1 { "" } else { "s" },
        report.compared,
    );
    if !report.unresolved.is_empty() {
        let _ = write!(s, "; {} unresolved (not compared)", report.unresolved.len());
    }
    if !report.not_measured.is_empty() {
        let kinds: Vec<String> = report
            .not_measured
            .iter()
            .map(|n| match &n.namespace {
                Some(ns) => format!("{} in {ns}", n.kind),
                None => n.kind.clone(),
            })
            .collect();
        let _ = write!(s, "; not measured: {}", kinds.join(", "));
    }
    if let Some(c) = &report.commit {
        let _ = write!(s, "; commit {c}");
    }
    s
}

/// The whole report.
pub fn render(report: &DriftReport, ctx: &Context) -> String {
    let mut out = String::new();
    let mut current: Option<Option<&str>> = None;
    for item in &report.items {
        let ns = item.namespace.as_deref();
        if current != Some(ns) {
            let _ = writeln!(out, "{}", ns.unwrap_or("(cluster-scoped)"));
            current = Some(ns);
        }
        let place = item
            .location
            .as_ref()
            .map(|l| format!("  ({}:{})", l.path, l.line))
            .unwrap_or_default();
        let age = ctx
            .age(&item.key())
            .map(|a| format!("  [for {}]", human_age(a)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<22} {} {}: {}{place}{age}",
            item.class.as_str(),
            item.kind,
            item.name,
            item.message
        );
    }
    if !report.not_measured.is_empty() {
        let _ = writeln!(out, "not measured (never reported as drift or as clean):");
        for n in &report.not_measured {
            let scope = n
                .namespace
                .as_deref()
                .map(|ns| format!(" in {ns}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}{scope}: {}", n.kind, n.reason);
        }
    }
    if ctx.verbose && !report.unresolved.is_empty() {
        let _ = writeln!(
            out,
            "unresolved (declared, could not be evaluated, not compared):"
        );
        for u in &report.unresolved {
            let _ = writeln!(
                out,
                "  {} {} ({}:{}): {}",
                u.kind, u.address, u.location.path, u.location.line, u.reason
            );
        }
    }
    let _ = writeln!(out, "{}; source: {}", summary(report), report.source);
    out
}
