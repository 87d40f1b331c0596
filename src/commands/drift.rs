//! `infra-audit drift`: compares what the repository declares with what the cluster runs
//! (or `kubectl get -o json` snapshots), reports it, optionally posts to Slack.

use crate::cli::{DriftArgs, DriftFormat};
use crate::drift::report::{self as drift_report, Context};
use crate::drift::{self, state, DriftOptions};
use crate::live::{self, kinds};
use crate::{audit, inventory, pack, workspace};
use anyhow::{bail, Context as _, Result};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Runs `drift`; returns the exit code (0 no drift, 1 drift, 3 something not measured).
pub fn run(args: &DriftArgs) -> Result<i32> {
    let root = workspace::find_root(&args.path)?;
    let config = audit::load_config(&root, args.config.as_deref())?;
    let exclude = workspace::globset(&config.exclude)?;
    let loaded = pack::load_rules(&root, &config)?;
    let declared = inventory::declared(&root, &exclude)?;

    let wanted_kinds: Vec<&'static kinds::KindSpec> = if args.kinds.is_empty() {
        kinds::KINDS.iter().collect()
    } else {
        args.kinds
            .iter()
            .map(|k| {
                kinds::KINDS
                    .iter()
                    .find(|s| s.kind.eq_ignore_ascii_case(k))
                    .with_context(|| {
                        format!(
                            "unknown kind `{k}` (known: {})",
                            kinds::KINDS
                                .iter()
                                .map(|s| s.kind)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
            })
            .collect::<Result<_>>()?
    };
    let timeout = Duration::from_secs(args.timeout);
    let live_inventory = if !args.snapshot.is_empty() {
        if args.kubeconfig.is_some() || args.context.is_some() {
            bail!("--snapshot reads files instead of the cluster: drop --kubeconfig/--context");
        }
        live::snapshot::from_snapshots(&args.snapshot)?
    } else {
        live::api::from_cluster(&live::api::ClusterOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            kinds: wanted_kinds.clone(),
            namespaces: args.namespace.clone(),
            timeout,
        })?
    };

    let opts = DriftOptions {
        namespaces: args.namespace.clone(),
        kinds: args.kinds.clone(),
        ignored_namespaces: args.ignore_namespace.clone(),
        only_declared_namespaces: args.only_declared_namespaces,
        mutations: if loaded.mutations.is_empty() {
            drift::mutations::defaults()
        } else {
            loaded.mutations
        },
    };
    let mut report = drift::compare(&declared, &live_inventory, &opts);
    report.commit = commit(&root);

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let first_seen = match &args.state {
        Some(path) => {
            let updated = state::update(&state::load(path)?, &report, now);
            state::save(path, &updated)?;
            updated
        }
        None => Default::default(),
    };
    let ctx = Context {
        first_seen,
        now,
        pipeline_url: std::env::var("CI_PIPELINE_URL").ok(),
        verbose: args.verbose,
    };
    let rendered = match args.format {
        DriftFormat::Human => drift_report::human::render(&report, &ctx),
        DriftFormat::Json => drift_report::json::render(&report, &ctx),
        DriftFormat::Sarif => drift_report::sarif::render(&report, &root),
        DriftFormat::Slack => {
            serde_json::to_string_pretty(&drift_report::slack::payload(&report, &ctx))? + "\n"
        }
        DriftFormat::Prometheus => drift_report::prometheus::render(&report, &ctx),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &rendered)
                .with_context(|| format!("cannot write report to {}", path.display()))?;
            eprintln!("{}", drift_report::human::summary(&report));
        }
        None => print!("{rendered}"),
    }
    let webhook = args
        .slack_webhook
        .clone()
        .or_else(|| std::env::var("SLACK_WEBHOOK").ok())
        .filter(|w| !w.is_empty());
    if let Some(webhook) = webhook {
        if args.slack_always || !report.items.is_empty() || !report.not_measured.is_empty() {
            drift_report::slack::post(
                &webhook,
                &drift_report::slack::payload(&report, &ctx),
                timeout,
            )?;
            eprintln!("posted the drift report to Slack");
        }
    }
    Ok(report.exit_code())
}

/// The commit audited: CI's variable, else HEAD of the repository holding the root (read
/// with gix), shortened to 12 digits.
fn commit(root: &std::path::Path) -> Option<String> {
    if let Ok(sha) = std::env::var("CI_COMMIT_SHA") {
        if !sha.is_empty() {
            return Some(sha.chars().take(12).collect());
        }
    }
    crate::git::head_commit(root).map(|id| id.chars().take(12).collect())
}
