//! `infra-audit baseline create|prune|check`: write, trim and verify the baseline file.

use crate::audit::{self, AuditOptions, AuditReport};
use crate::baseline::{self, Baseline};
use crate::cli::{BaselineAction, BaselineArgs, BaselineTarget};
use crate::source::SkipReason;
use crate::workspace;
use anyhow::Result;
use std::path::PathBuf;

/// Runs a `baseline` action; returns the exit code.
pub fn run(args: &BaselineArgs) -> Result<i32> {
    match &args.action {
        BaselineAction::Create(target) => create(target),
        BaselineAction::Prune(target) => prune(target),
        BaselineAction::Check(target) => check(target),
    }
}

/// The audited repository and where its baseline file is.
struct Context {
    report: AuditReport,
    file: PathBuf,
    shown: String,
}

/// Audits the whole repository holding `target.path` with every configured rule.
fn audit_repository(target: &BaselineTarget) -> Result<Context> {
    let root = workspace::find_root(&target.path)?;
    let file = target
        .baseline
        .clone()
        .unwrap_or_else(|| baseline::default_path(&root));
    let report = audit::run(&AuditOptions {
        path: root.clone(),
        config: target.config.clone(),
        baseline_file: Some(file.clone()),
        ..AuditOptions::default()
    })?;
    let shown = baseline::display_path(&root, &file);
    Ok(Context {
        report,
        file,
        shown,
    })
}

/// `1 entry`, `2 entries`.
fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("{n} {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {word}s"),
    }
}

/// `baseline create`: accept every current finding.
fn create(target: &BaselineTarget) -> Result<i32> {
    let ctx = audit_repository(target)?;
    let previous = ctx.file.is_file().then(|| Baseline::load(&ctx.file));
    let base = Baseline::from_findings(&ctx.report.findings);
    base.save(&ctx.file)?;
    let per_rule: Vec<String> = base
        .counts_by_rule()
        .iter()
        .map(|(rule, n)| format!("{rule} {n}"))
        .collect();
    let replaced = match previous {
        Some(Ok(old)) => format!(", replacing {}", plural(old.entries.len(), "entry")),
        Some(Err(_)) => ", replacing an unreadable file".to_string(),
        None => String::new(),
    };
    println!(
        "Wrote {} with {}{}{replaced}",
        ctx.shown,
        plural(base.entries.len(), "entry"),
        if per_rule.is_empty() {
            String::new()
        } else {
            format!(" ({})", per_rule.join(", "))
        }
    );
    let unaudited = unaudited_files(&ctx.report);
    if unaudited > 0 {
        eprintln!(
            "note: {} could not be audited (unreadable or not parsed, see `infra-audit audit`); findings in them are not in the baseline",
            plural(unaudited, "file")
        );
    }
    Ok(0)
}

/// Files whose rules did not run: unreadable, or HCL that did not parse.
fn unaudited_files(report: &AuditReport) -> usize {
    let mut paths: std::collections::BTreeSet<&str> = report
        .skipped
        .iter()
        .filter(|s| matches!(s.reason, SkipReason::Unreadable | SkipReason::Unparsable))
        .map(|s| s.path.as_str())
        .collect();
    paths.extend(
        report
            .findings
            .iter()
            .filter(|f| f.rule == "parse-error")
            .map(|f| f.location.path.as_str()),
    );
    paths.len()
}

/// `baseline prune`: drop the entries that no longer occur.
fn prune(target: &BaselineTarget) -> Result<i32> {
    let ctx = audit_repository(target)?;
    let mut base = Baseline::load(&ctx.file)?;
    let removed = base.prune(&ctx.report);
    if removed.is_empty() {
        println!(
            "Nothing to prune: no stale entry among {} of {}",
            plural(base.entries.len(), "entry"),
            ctx.shown
        );
        return Ok(0);
    }
    base.save(&ctx.file)?;
    for e in &removed {
        println!("pruned: {}", e.describe());
    }
    println!(
        "Pruned {} from {}; {} left",
        plural(removed.len(), "stale entry"),
        ctx.shown,
        plural(base.entries.len(), "entry"),
    );
    Ok(0)
}

/// `baseline check`: exit 1 when entries no longer occur.
fn check(target: &BaselineTarget) -> Result<i32> {
    let ctx = audit_repository(target)?;
    let base = Baseline::load(&ctx.file)?;
    let stale = base.stale(&ctx.report);
    let unmeasured = base.unmatched(&ctx.report).len() - stale.len();
    let new = base.not_accepted(&ctx.report.findings).len();
    let mut notes = Vec::new();
    if unmeasured > 0 {
        notes.push(format!(
            "{} in files that could not be audited",
            plural(unmeasured, "entry")
        ));
    }
    if new > 0 {
        notes.push(format!(
            "{} not in the baseline: see `infra-audit audit`",
            plural(new, "finding")
        ));
    }
    let new_note = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    if stale.is_empty() {
        println!(
            "Baseline {} is up to date: no stale entry among {}{new_note}",
            ctx.shown,
            plural(base.entries.len(), "entry"),
        );
        return Ok(0);
    }
    for e in &stale {
        println!("stale: {}", e.describe());
    }
    println!(
        "{} of {} in {} no longer occur{}; run `infra-audit baseline prune`{new_note}",
        stale.len(),
        plural(base.entries.len(), "entry"),
        ctx.shown,
        if stale.len() == 1 { "s" } else { "" },
    );
    Ok(1)
}
