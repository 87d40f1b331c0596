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
    /// Compare what the repository declares with what the cluster runs.
    #[command(after_help = DRIFT_EXIT_CODES)]
    Drift(DriftArgs),
    /// Print what the repository declares (the declared side of drift) as JSON.
    Inventory(InventoryArgs),
    /// Accept the current findings of a legacy repository, and keep that list up to date.
    #[command(after_help = BASELINE_EXIT_CODES)]
    Baseline(BaselineArgs),
    /// Write a commented .infra-audit.toml naming the packs for the repository found.
    Init(InitArgs),
    /// Run the test cases kept beside rule packs (<DIR>/<pack>/tests/<rule-id>/{pass,fail}).
    #[command(after_help = TEST_EXIT_CODES)]
    Test(TestArgs),
}

const TEST_EXIT_CODES: &str = "Exit codes:
  0  every rule's tests passed
  1  a test failed (listed)
  2  usage or internal error, an unreadable pack, or a malformed expected.txt";

/// `infra-audit init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Any path in the repository; the file is written at its root.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Replace an existing .infra-audit.toml.
    #[arg(long)]
    pub force: bool,
}

/// `infra-audit test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directory holding pack files (`<pack>.yaml`) and their tests (`<pack>/tests/`).
    #[arg(default_value = "rules")]
    pub dir: PathBuf,
}

const BASELINE_EXIT_CODES: &str = "Exit codes:
  0  done (check: every baseline entry still occurs)
  1  check: the baseline has stale entries (listed); run `infra-audit baseline prune`
  2  usage, configuration or internal error, or an unreadable baseline file";

/// `infra-audit baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// What to do with the baseline.
    #[command(subcommand)]
    pub action: BaselineAction,
}

/// `baseline` sub-actions.
#[derive(Debug, Subcommand)]
pub enum BaselineAction {
    /// Write the baseline from the current findings (every rule that runs, every severity).
    Create(BaselineTarget),
    /// Drop the entries that no longer occur (the findings were fixed).
    Prune(BaselineTarget),
    /// Exit 1, listing them, when the baseline has entries that no longer occur.
    Check(BaselineTarget),
}

/// The repository and baseline file a `baseline` action works on.
#[derive(Debug, Args)]
pub struct BaselineTarget {
    /// Any path in the repository; the whole repository (found by walking up to
    /// .infra-audit.toml or .git) is audited.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Baseline file [default: <root>/.infra-audit-baseline.json].
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Config file (default: <root>/.infra-audit.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `infra-audit inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Repository path.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Config file (default: <root>/.infra-audit.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

const DRIFT_EXIT_CODES: &str = "Exit codes:
  0  no drift
  1  drift (missing, unmanaged, changed, unsuppressed-mutation)
  2  usage or configuration error, or the cluster could not be reached
  3  something could not be measured (a kind that was forbidden or not in the snapshots)
     and no drift in what was measured";

/// Output format of `drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// One line per drifted object, grouped by namespace.
    Human,
    /// Versioned JSON document (docs/drift.md).
    Json,
    /// SARIF 2.1.0, results on the declaring HCL block.
    Sarif,
    /// Slack Block Kit payload (what --slack-webhook posts).
    Slack,
    /// Prometheus text exposition.
    Prometheus,
}

/// `infra-audit drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Repository path; the root is found by walking up to .infra-audit.toml or .git.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Read `kubectl get ... -A -o json` List files instead of the API.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub snapshot: Vec<PathBuf>,
    /// Only these namespaces.
    #[arg(long, value_delimiter = ',', value_name = "NS")]
    pub namespace: Vec<String>,
    /// Only these kinds (e.g. Deployment,PersistentVolumeClaim).
    #[arg(long, value_delimiter = ',', value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Namespaces whose live objects are never called unmanaged.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NS",
        default_value = "kube-system,kube-public,kube-node-lease"
    )]
    pub ignore_namespace: Vec<String>,
    /// Only call objects unmanaged in namespaces where the repository declares something.
    #[arg(long)]
    pub only_declared_namespaces: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = DriftFormat::Human)]
    pub format: DriftFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Post the Slack report to this incoming webhook (or set SLACK_WEBHOOK).
    #[arg(long, value_name = "URL")]
    pub slack_webhook: Option<String>,
    /// Post to Slack even when there is no drift and everything was measured.
    #[arg(long)]
    pub slack_always: bool,
    /// State file remembering when each drift was first seen (for drift age).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Timeout in seconds for the cluster (and Slack).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Config file (default: <root>/.infra-audit.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// List unresolved objects one by one.
    #[arg(short, long)]
    pub verbose: bool,
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
    /// Also check what the cluster runs with the rules' live checks (NFS mount options,
    /// storage classes of claims, legacy hosts in env/args/annotations).
    #[arg(long)]
    pub live: bool,
    /// With --live: kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, value_name = "FILE", requires = "live")]
    pub kubeconfig: Option<PathBuf>,
    /// With --live: kubeconfig context.
    #[arg(long, value_name = "NAME", requires = "live")]
    pub context: Option<String>,
    /// With --live: read `kubectl get -A -o json` List files instead of the API.
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "live")]
    pub snapshot: Vec<PathBuf>,
    /// Timeout in seconds for the cluster (--live) and for each Forgejo request (--forgejo).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// After writing the report, post it to Forgejo: a review on the pull request (replacing
    /// the previous one) and the commit status `infra-audit`. Reads CI_FORGE_URL, CI_REPO,
    /// CI_COMMIT_PULL_REQUEST, CI_COMMIT_SHA, CI_PIPELINE_URL and the token FORGEJO_TOKEN;
    /// a failure to publish exits 2.
    #[arg(long, conflicts_with = "diff")]
    pub forgejo: bool,
    /// With --forgejo: base URL of the instance [default: CI_FORGE_URL].
    #[arg(long, value_name = "URL", requires = "forgejo")]
    pub forgejo_url: Option<String>,
    /// With --forgejo: repository as OWNER/NAME [default: CI_REPO].
    #[arg(long, value_name = "OWNER/NAME", requires = "forgejo")]
    pub forgejo_repo: Option<String>,
    /// With --forgejo: pull request number [default: CI_COMMIT_PULL_REQUEST; none: status only].
    #[arg(long, value_name = "N", requires = "forgejo", value_parser = clap::value_parser!(u64).range(1..))]
    pub forgejo_pr: Option<u64>,
    /// With --forgejo: commit the review and status are about [default: CI_COMMIT_SHA].
    #[arg(long, value_name = "SHA", requires = "forgejo")]
    pub forgejo_sha: Option<String>,
    /// Hide the findings this baseline file accepts [default: <root>/.infra-audit-baseline.json
    /// when it exists].
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Ignore the baseline file: report every finding.
    #[arg(long, conflicts_with = "baseline")]
    pub no_baseline: bool,
    /// Audit what is staged (the index against HEAD; the staged text, not the working
    /// tree): only the staged files, only findings on staged lines (pre-commit).
    #[arg(long, conflicts_with_all = ["base", "commits", "live"])]
    pub staged: bool,
    /// Audit a pull request: what --head changed since its merge base with REF.
    #[arg(long, value_name = "REF", conflicts_with = "commits")]
    pub base: Option<String>,
    /// With --base: the pull request's head.
    #[arg(long, value_name = "REF", default_value = "HEAD", requires = "base")]
    pub head: String,
    /// Judge each commit of RANGE (`A..B`, `HEAD~N..HEAD`) on its own, against its first
    /// parent (pre-push, history audits).
    #[arg(long, value_name = "RANGE")]
    pub commits: Option<String>,
    /// With --commits: skip merge commits (a merge's change against its first parent
    /// repeats what the merged branch's own commits changed).
    #[arg(long, requires = "commits")]
    pub no_merges: bool,
    /// Report only findings on lines the change added or modified (plus change-scoped
    /// rules such as docs-cochange); implied by --staged and --base.
    #[arg(long)]
    pub changed_only: bool,
    /// With --staged or --base: report every finding, not only those on changed lines.
    #[arg(long, conflicts_with = "changed_only")]
    pub all_findings: bool,
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
