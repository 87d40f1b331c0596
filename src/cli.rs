//! Command-line definitions (clap) only.

use crate::finding::Severity;
use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "Exit codes:
  0  clean: no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage, configuration or internal error
  3  something could not be measured (a file that did not parse, an unreadable file,
     a value that could not be resolved) and nothing worse was found";

/// Policy and drift auditor for infrastructure-as-code repositories.
#[derive(Debug, Parser)]
#[command(name = "infra-audit", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a repository against its rule packs.
    #[command(after_help = EXIT_CODES)]
    Audit(AuditArgs),
    /// List the rules, or explain one.
    Rules(RulesArgs),
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Only when writing to a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `infra-audit audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Path to audit; the repo root is found by walking up to .infra-audit.toml or .git.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Config file (default: <root>/.infra-audit.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only run these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,
    /// Do not run these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Lowest severity that makes the run fail (exit 1) [default: error, or fail_on in config].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Colour for human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Apply safe fixes, then report what is left.
    #[arg(long)]
    pub fix: bool,
    /// Print the unified diff of what --fix would change; write nothing.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// With --fix or --diff, also apply fixes that change behaviour.
    #[arg(long)]
    pub unsafe_fixes: bool,
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only errors fail the run.
    Error,
    /// Warnings and errors.
    Warning,
    /// Everything.
    Info,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

/// `infra-audit rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `explain RULE` prints a rule's documentation.
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    /// Config file selecting packs (default: the one of the current repository).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

/// `rules` sub-actions.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Print the documentation page of a rule.
    Explain {
        /// Rule id.
        rule: String,
    },
}
