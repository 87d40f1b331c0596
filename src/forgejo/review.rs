//! What gets posted: the review body (summary, top findings, hidden marker), the inline
//! comments (one per changed line that has findings), the commit status. Pure functions of
//! the report, so tests can assert the exact text.

use super::client::{CreateStatus, ReviewComment};
use crate::audit::AuditReport;
use crate::finding::{Certainty, Finding, Severity};
use crate::git::ChangeSet;
use std::collections::BTreeMap;

/// The hidden marker that starts every review the tool writes: how a later run finds the
/// review it replaces.
pub const MARKER: &str = "<!-- infra-audit -->";
/// The commit status context.
pub const STATUS_CONTEXT: &str = "infra-audit";
/// Findings listed in the review body.
pub const TOP_FINDINGS: usize = 10;
/// Inline comments per review at most (a legacy repository audited in full would otherwise
/// bury the pull request); the body says how many were left out.
pub const MAX_INLINE_COMMENTS: usize = 50;
/// Longest status description sent.
const MAX_DESCRIPTION: usize = 140;

/// Whether a review body was written by this tool (it starts with [`MARKER`]; a human
/// quoting it in Markdown does not count).
pub fn is_own_review(body: &str) -> bool {
    body.trim_start().starts_with(MARKER)
}

/// The inline comments: findings on lines `changed` added or modified (every finding when
/// `changed` is None), one comment per (path, line), at most [`MAX_INLINE_COMMENTS`];
/// also returns how many commented lines were left out.
pub fn inline_comments(
    report: &AuditReport,
    changed: Option<&ChangeSet>,
) -> (Vec<ReviewComment>, usize) {
    let mut by_line: BTreeMap<(&str, usize), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        let (path, line) = (f.location.path.as_str(), f.location.line);
        if line == 0 || changed.is_some_and(|c| !c.touches(path, line)) {
            continue;
        }
        by_line.entry((path, line)).or_default().push(f);
    }
    let total = by_line.len();
    let comments = by_line
        .into_iter()
        .take(MAX_INLINE_COMMENTS)
        .map(|((path, line), findings)| ReviewComment {
            path: path.to_string(),
            body: findings
                .iter()
                .map(|f| finding_text(f))
                .collect::<Vec<_>>()
                .join("\n\n"),
            new_position: line as u64,
        })
        .collect::<Vec<_>>();
    let left_out = total - comments.len();
    (comments, left_out)
}

/// One finding as Markdown: severity, rule, message, help.
fn finding_text(f: &Finding) -> String {
    let mut text = format!("**{}** `{}`: {}", label(f), f.rule, f.message);
    if let Some(help) = &f.help {
        text.push_str(&format!("\n\nhelp: {help}"));
    }
    text
}

fn label(f: &Finding) -> &'static str {
    match f.certainty {
        Certainty::Unverified => "could not verify",
        Certainty::Violation => f.severity.as_str(),
    }
}

/// What the run's exit code means, in a few words.
fn verdict(exit_code: i32, fail_on: Severity) -> String {
    match exit_code {
        0 => "passes".to_string(),
        1 => format!("fails (findings at or above `{}`)", fail_on.as_str()),
        _ => "incomplete (something could not be measured)".to_string(),
    }
}

/// `2 errors, 1 warning, 0 info` (+ unverified when any).
fn counts_text(report: &AuditReport) -> String {
    let (errors, warnings, infos, unverified) = report.counts();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut text = format!(
        "{}, {}, {infos} info",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if unverified > 0 {
        text.push_str(&format!(", {unverified} could not be verified"));
    }
    text
}

/// The review body: marker, verdict and counts, the top findings, what was commented
/// inline, a link to the pipeline.
pub fn body(
    report: &AuditReport,
    exit_code: i32,
    fail_on: Severity,
    changed: Option<&ChangeSet>,
    comments: usize,
    left_out: usize,
    pipeline_url: Option<&str>,
) -> String {
    let files = report.files_scanned;
    let mut out = format!(
        "{MARKER}\n**infra-audit** {}: {} in {files} file{}",
        verdict(exit_code, fail_on),
        counts_text(report),
        if files == 1 { "" } else { "s" }
    );
    if let Some(c) = changed {
        out.push_str(&format!(" (change: {})", c.label));
    }
    out.push('\n');
    if let Some(live) = &report.live {
        out.push_str(&format!(
            "\nLive ({}): {} finding{}.\n",
            live.source,
            live.findings.len(),
            if live.findings.len() == 1 { "" } else { "s" }
        ));
    }
    let mut top: Vec<&Finding> = report.findings.iter().collect();
    // Violations before unverified findings, then by severity; the report's order
    // (path, line) within a group.
    top.sort_by_key(|f| {
        (
            f.certainty == Certainty::Unverified,
            std::cmp::Reverse(f.severity),
        )
    });
    if !top.is_empty() {
        out.push_str("\nTop findings:\n");
        for f in top.iter().take(TOP_FINDINGS) {
            out.push_str(&format!(
                "- **{}** `{}` at `{}:{}`: {}\n",
                label(f),
                f.rule,
                f.location.path,
                f.location.line,
                one_line(&f.message)
            ));
        }
        if top.len() > TOP_FINDINGS {
            out.push_str(&format!("- … and {} more\n", top.len() - TOP_FINDINGS));
        }
    }
    let scope = if changed.is_some() {
        "on changed lines"
    } else {
        "on the lines of the findings"
    };
    out.push_str(&format!(
        "\n{comments} inline comment{} {scope}",
        if comments == 1 { "" } else { "s" }
    ));
    if left_out > 0 {
        out.push_str(&format!(
            "; {left_out} more commented line{} left out (at most {MAX_INLINE_COMMENTS} a review)",
            if left_out == 1 { "" } else { "s" }
        ));
    }
    out.push_str(".\n");
    if let Some(url) = pipeline_url {
        out.push_str(&format!("\n[CI pipeline]({url})\n"));
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The commit status: success exactly when the run exits 0.
pub fn status(report: &AuditReport, exit_code: i32, pipeline_url: Option<&str>) -> CreateStatus {
    let state = if exit_code == 0 { "success" } else { "failure" };
    let mut description = format!(
        "{}: {}",
        if exit_code == 0 {
            "passed"
        } else if exit_code == 1 {
            "failed"
        } else {
            "incomplete"
        },
        counts_text(report)
    );
    if description.chars().count() > MAX_DESCRIPTION {
        description = description
            .chars()
            .take(MAX_DESCRIPTION - 1)
            .collect::<String>()
            + "…";
    }
    CreateStatus {
        state: state.to_string(),
        target_url: pipeline_url.unwrap_or_default().to_string(),
        description,
        context: STATUS_CONTEXT.to_string(),
    }
}

/// The review event: request changes when the run fails on a finding, comment otherwise.
pub fn event(exit_code: i32) -> &'static str {
    if exit_code == 1 {
        "REQUEST_CHANGES"
    } else {
        "COMMENT"
    }
}
