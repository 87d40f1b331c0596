//! rustc/ruff-style diagnostics: rule id, severity, message, the source lines with the span
//! underlined, a help line; then one summary line.

use crate::audit::AuditReport;
use crate::finding::{Certainty, Finding, Severity};
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{Buffer, ColorSpec, WriteColor};
use codespan_reporting::term::{self, Styles, StylesWriter};
use std::collections::BTreeMap;
use std::io::Write;

/// Renders all findings and the summary; `color` adds ANSI colours.
pub fn render(report: &AuditReport, color: bool) -> Vec<u8> {
    let mut files = SimpleFiles::new();
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for (path, text) in &report.sources {
        ids.insert(path, files.add(path.clone(), text.as_str()));
    }
    let mut buf = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let styles = Styles::default();
    let config = term::Config::default();
    for f in &report.findings {
        let Some(&id) = ids.get(f.location.path.as_str()) else {
            continue;
        };
        let diagnostic = diagnostic(f, id, &ids);
        let mut writer = StylesWriter::new(&mut buf, &styles);
        if term::emit_to_write_style(&mut writer, &config, &files, &diagnostic).is_err() {
            let _ = writeln!(
                buf,
                "{}:{}: {}",
                f.location.path, f.location.line, f.message
            );
        }
    }
    if let Some(live) = &report.live {
        let _ = writeln!(buf, "live ({}):", live.source);
        for f in &live.findings {
            let object = match &f.namespace {
                Some(ns) => format!("{ns}/{}", f.name),
                None => f.name.clone(),
            };
            let _ = writeln!(
                buf,
                "  {}[{}] {} {object}: {}",
                f.severity.as_str(),
                f.rule,
                f.kind,
                f.message
            );
        }
        for n in &live.not_measured {
            let _ = writeln!(buf, "  not measured: {}: {}", n.kind, n.reason);
        }
        if live.findings.is_empty() && live.not_measured.is_empty() {
            let _ = writeln!(buf, "  no live findings");
        }
    }
    let _ = buf.set_color(ColorSpec::new().set_bold(true));
    let _ = writeln!(buf, "{}", summary_line(report));
    let _ = buf.reset();
    buf.into_inner()
}

fn diagnostic(f: &Finding, file_id: usize, ids: &BTreeMap<&str, usize>) -> Diagnostic<usize> {
    let base = match (f.certainty, f.severity) {
        (Certainty::Unverified, _) => Diagnostic::note(),
        (_, Severity::Error) => Diagnostic::error(),
        (_, Severity::Warning) => Diagnostic::warning(),
        (_, Severity::Info) => Diagnostic::help(),
    };
    let mut labels = vec![Label::primary(file_id, f.location.span.clone())];
    for r in &f.related {
        if let Some(&rid) = ids.get(r.location.path.as_str()) {
            labels.push(
                Label::secondary(rid, r.location.span.clone()).with_message(r.message.clone()),
            );
        }
    }
    let mut notes = Vec::new();
    if let Some(help) = &f.help {
        notes.push(format!("help: {help}"));
    }
    base.with_code(f.rule.clone())
        .with_message(f.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// The closing line: files scanned, findings by severity, skipped files and why, wall time.
pub fn summary_line(report: &AuditReport) -> String {
    let (errors, warnings, infos, unverified) = report.counts();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{} in {}: {}, {}, {} info",
        if report.findings.is_empty() {
            "No findings"
        } else {
            "Audit finished"
        },
        plural(report.files_scanned, "file"),
        plural(errors, "error"),
        plural(warnings, "warning"),
        infos,
    );
    if unverified > 0 {
        line.push_str(&format!(", {unverified} could not be verified"));
    }
    if let Some(applied) = &report.baseline {
        line.push_str(&format!("; {} baselined", applied.baselined));
    }
    if !report.skipped.is_empty() {
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &report.skipped {
            *reasons.entry(s.reason.describe()).or_default() += 1;
        }
        let parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        line.push_str(&format!(
            "; skipped {} ({})",
            report.skipped.len(),
            parts.join(", ")
        ));
    }
    if let Some(live) = &report.live {
        let count = |s: Severity| live.findings.iter().filter(|f| f.severity == s).count();
        line.push_str(&format!(
            "; live: {}, {}",
            plural(count(Severity::Error), "error"),
            plural(count(Severity::Warning), "warning")
        ));
        if !live.not_measured.is_empty() {
            line.push_str(&format!(", {} kinds not measured", live.not_measured.len()));
        }
    }
    line.push_str(&format!("; {} ms", report.elapsed.as_millis()));
    line
}
