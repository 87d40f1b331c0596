//! The subcommands: glue between the CLI, the library and the terminal.

pub mod baseline;
mod changes;
pub mod drift;
pub mod init;
pub mod inventory;

use crate::audit::{self, AuditOptions};
use crate::baseline::Baseline;
use crate::cli::{AuditArgs, ColorChoice, RulesAction, RulesArgs};
use crate::finding::Severity;
use crate::report::{self, Format};
use crate::{docs, fix, forgejo, workspace};
use anyhow::{bail, Context, Result};
use std::io::{IsTerminal, Write};

/// `infra-audit audit`: runs the audit, writes the report, returns the exit code.
pub fn audit(args: &AuditArgs) -> Result<i32> {
    let accepted = load_baseline(args)?;
    let mut opts = AuditOptions {
        path: args.path.clone(),
        config: args.config.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        overlay: None,
        reuse: None,
        live: if args.live {
            Some(std::sync::Arc::new(live_inventory(args)?))
        } else {
            None
        },
        with_fixes: args.format != Format::Human,
        baseline_file: accepted.as_ref().map(|(file, _)| file.clone()),
        ..AuditOptions::default()
    };
    changes::apply(args, &mut opts)?;
    if args.unsafe_fixes && !(args.fix || args.diff) {
        bail!("--unsafe-fixes needs --fix or --diff");
    }
    if args.diff {
        let outcome = fix::run(&opts, args.unsafe_fixes, fix::Mode::Preview)?;
        print!("{}", fix::unified_diff(&outcome.changed));
        for note in &outcome.dropped {
            eprintln!("{note}");
        }
        eprintln!("{}", fix_summary(&outcome));
        return Ok(if outcome.changed.is_empty() { 0 } else { 1 });
    }
    let (mut report, fix_outcome) = if args.fix {
        let outcome = fix::run(&opts, args.unsafe_fixes, fix::Mode::Apply)?;
        (
            outcome.report,
            Some((outcome.changed, outcome.fixed, outcome.dropped)),
        )
    } else {
        (audit::run(&opts)?, None)
    };
    if let Some((file, accepted)) = &accepted {
        let shown = crate::baseline::display_path(&report.root, file);
        accepted.apply(&mut report, shown);
    }
    let fail_on: Severity = args
        .fail_on
        .map(Severity::from)
        .or(report.config.fail_on)
        .unwrap_or(Severity::Error);
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let trace = audit::Trace::new();
    let rendering = std::time::Instant::now();
    emit_report(
        args.output.as_deref(),
        &mut |out: &mut dyn Write| match args.format {
            Format::Human => out.write_all(&report::human::render(&report, color)),
            // Streamed: the JSON report of a large repository is hundreds of megabytes.
            Format::Json => report::json::write(&report, fail_on, out),
            Format::Sarif => out.write_all(report::sarif::render(&report, fail_on).as_bytes()),
        },
    )?;
    trace.mark("report written", rendering);
    if args.output.is_some() && args.format != Format::Human {
        eprintln!("{}", report::human::summary_line(&report));
    }
    if let Some((changed, fixed, dropped)) = fix_outcome {
        for note in &dropped {
            eprintln!("{note}");
        }
        let remaining = &report.findings;
        let unsafe_only = remaining
            .iter()
            .filter(|f| f.fix.is_some() && !f.fixable)
            .count();
        let manual = remaining.iter().filter(|f| f.fix.is_none()).count();
        eprintln!(
            "Fixed {fixed} finding{} in {} file{}; {} remain{} ({manual} not fixable{}){}",
            if fixed == 1 { "" } else { "s" },
            changed.len(),
            if changed.len() == 1 { "" } else { "s" },
            remaining.len(),
            if remaining.len() == 1 { "s" } else { "" },
            if unsafe_only > 0 {
                format!(", {unsafe_only} fixable with --unsafe-fixes")
            } else {
                String::new()
            },
            if dropped.is_empty() {
                String::new()
            } else {
                format!("; {} fix(es) dropped", dropped.len())
            },
        );
        if args.format == Format::Human {
            print_manual_procedures(&report);
        }
    }
    if args.forgejo {
        // The report is out already: a failure to publish (exit 2) never hides it.
        let change = opts
            .changes
            .as_ref()
            .filter(|c| c.len() == 1)
            .map(|c| &c[0]);
        publish_to_forgejo(args, &report, fail_on, change)?;
    }
    let code = report.exit_code(fail_on);
    // The process ends right after this command: freeing every finding and file text one
    // allocation at a time only delays the exit (0.2 s at 15,000 stacks), so the report is
    // left to the operating system.
    std::mem::forget(report);
    Ok(code)
}

/// `audit --forgejo`: posts the review and the commit status, says what was done on stderr.
fn publish_to_forgejo(
    args: &AuditArgs,
    report: &audit::AuditReport,
    fail_on: Severity,
    change: Option<&crate::git::ChangeSet>,
) -> Result<()> {
    let overrides = forgejo::Overrides {
        url: args.forgejo_url.clone(),
        repo: args.forgejo_repo.clone(),
        pr: args.forgejo_pr,
        sha: args.forgejo_sha.clone(),
    };
    let cfg = forgejo::ForgejoConfig::from_env(
        &overrides,
        fail_on,
        std::time::Duration::from_secs(args.timeout.max(1)),
    )?;
    if cfg.pr.is_none() {
        eprintln!("Forgejo: no pull request (CI_COMMIT_PULL_REQUEST is unset): posting the commit status only");
    }
    // With --base, inline comments go on the lines the pull request changed.
    let published = forgejo::publish(&cfg, report, change)?;
    let target = match cfg.pr {
        Some(pr) => format!("{}/{}#{pr}", cfg.owner, cfg.repo),
        None => format!("{}/{}", cfg.owner, cfg.repo),
    };
    eprintln!("Forgejo: {target}: {published}");
    Ok(())
}

/// The baseline `audit` applies: `--baseline FILE`, else `<root>/.infra-audit-baseline.json`
/// when it exists, never with `--no-baseline`.
fn load_baseline(args: &AuditArgs) -> Result<Option<(std::path::PathBuf, Baseline)>> {
    if args.no_baseline {
        return Ok(None);
    }
    let file = match &args.baseline {
        Some(file) => file.clone(),
        None => {
            let default = crate::baseline::default_path(&workspace::find_root(&args.path)?);
            if !default.is_file() {
                return Ok(None);
            }
            default
        }
    };
    let accepted = Baseline::load(&file)?;
    Ok(Some((file, accepted)))
}

/// The live objects for `audit --live`: snapshot files, or the cluster.
fn live_inventory(args: &AuditArgs) -> Result<crate::live::LiveInventory> {
    if !args.snapshot.is_empty() {
        return crate::live::snapshot::from_snapshots(&args.snapshot);
    }
    crate::live::api::from_cluster(&crate::live::api::ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        kinds: [
            "PersistentVolume",
            "PersistentVolumeClaim",
            "StorageClass",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "CronJob",
            "Job",
        ]
        .iter()
        .filter_map(|k| crate::live::kinds::by_kind(k))
        .collect(),
        namespaces: Vec::new(),
        timeout: std::time::Duration::from_secs(args.timeout),
    })
}

/// Sends a report to `--output` (created or replaced) or to standard output, through a
/// buffer. A closed standard output (`| head`) is not an error worth a message.
fn emit_report(
    output: Option<&std::path::Path>,
    render: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write report to {}", path.display()))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            render(&mut out)
                .and_then(|_| out.flush())
                .with_context(|| format!("cannot write report to {}", path.display()))?;
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let _ = render(&mut out).and_then(|_| out.flush());
        }
    }
    Ok(())
}

fn fix_summary(outcome: &fix::FixOutcome) -> String {
    format!(
        "{} {} finding{} in {} file{}; {} finding{} would remain",
        "--fix would fix",
        outcome.fixed,
        if outcome.fixed == 1 { "" } else { "s" },
        outcome.changed.len(),
        if outcome.changed.len() == 1 { "" } else { "s" },
        outcome.report.findings.len(),
        if outcome.report.findings.len() == 1 {
            ""
        } else {
            "s"
        },
    )
}

/// For rules whose remaining findings have no automatic fix, prints the manual procedure
/// (the "How to fix" section of the rule's documentation page) once per rule.
fn print_manual_procedures(report: &audit::AuditReport) {
    let mut rules: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.fix.is_none())
        .map(|f| f.rule.as_str())
        .collect();
    rules.sort();
    rules.dedup();
    for rule in rules {
        if let Some(section) = docs::page(rule).and_then(|p| docs::section(p, "How to fix")) {
            println!(
                "\n{rule}: not fixable automatically. How to fix:\n{}",
                section.trim_end()
            );
        }
    }
}

/// `infra-audit rules [explain RULE]`.
pub fn rules(args: &RulesArgs) -> Result<i32> {
    let root = workspace::find_root(std::path::Path::new("."))?;
    let config = audit::load_config(&root, args.config.as_deref())?;
    let metas = audit::select_rules(&root, &config, &AuditOptions::default())?.metas;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match &args.action {
        None => {
            let width = metas.iter().map(|m| m.id.len()).max().unwrap_or(4).max(4);
            println!(
                "{:width$}  {:8}  {:8}  SUMMARY",
                "RULE", "SEVERITY", "FIXABLE"
            );
            for m in &metas {
                println!(
                    "{:width$}  {:8}  {:8}  {}",
                    m.id,
                    m.severity.as_str(),
                    if m.fixable { "yes" } else { "no" },
                    m.summary
                );
            }
            Ok(0)
        }
        Some(RulesAction::Explain { rule }) => {
            let Some(meta) = metas.iter().find(|m| &m.id == rule) else {
                bail!("unknown rule `{rule}` (see `infra-audit rules`)");
            };
            match docs::page(rule) {
                Some(page) => print!("{}", docs::render_for_terminal(page, color)),
                None => {
                    println!(
                        "{} ({}, kind `{}`)\n\n{}",
                        meta.id,
                        meta.severity.as_str(),
                        meta.kind,
                        meta.summary
                    );
                    if let Some(help) = &meta.help {
                        println!("\nFix: {help}");
                    }
                    println!(
                        "\n(no documentation page ships for this rule: it comes from a user pack)"
                    );
                }
            }
            Ok(0)
        }
    }
}
