//! The subcommands: glue between the CLI, the library and the terminal.

use crate::audit::{self, AuditOptions};
use crate::cli::{AuditArgs, ColorChoice, RulesAction, RulesArgs};
use crate::finding::Severity;
use crate::report::{self, Format};
use crate::{docs, workspace};
use anyhow::{bail, Context, Result};
use std::io::{IsTerminal, Write};

/// `infra-audit audit`: runs the audit, writes the report, returns the exit code.
pub fn audit(args: &AuditArgs) -> Result<i32> {
    let opts = AuditOptions {
        path: args.path.clone(),
        config: args.config.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
    };
    let report = audit::run(&opts)?;
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
    let bytes = match args.format {
        Format::Human => report::human::render(&report, color),
        Format::Json => report::json::render(&report, fail_on).into_bytes(),
        Format::Sarif => report::sarif::render(&report, fail_on).into_bytes(),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("cannot write report to {}", path.display()))?;
            if args.format != Format::Human {
                eprintln!("{}", report::human::summary_line(&report));
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a stack trace.
            let _ = out.write_all(&bytes).and_then(|_| out.flush());
        }
    }
    Ok(report.exit_code(fail_on))
}

/// `infra-audit rules [explain RULE]`.
pub fn rules(args: &RulesArgs) -> Result<i32> {
    let root = workspace::find_root(std::path::Path::new("."))?;
    let config = audit::load_config(&root, args.config.as_deref())?;
    let (_, metas) = audit::select_rules(&root, &config, &AuditOptions::default())?;
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
