//! The static audit: walk, parse, index, run rules, apply suppressions, sort.

use crate::config::{Config, CONFIG_FILE};
use crate::finding::{Certainty, Finding, Location, Severity};
use crate::index::{IndexedFile, RepoIndex};
use crate::pack;
use crate::rules::{Emitter, FileContext, Rule, RuleMeta, BUILTIN_RULES};
use crate::source::{decode, FileKind, SkipReason, SourceFile};
use crate::suppress;
use crate::syntax::hcl::{self, HclFile, ParseError};
use crate::workspace;
use anyhow::{bail, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Path to audit (the repo root is found from it).
    pub path: PathBuf,
    /// Explicit config file.
    pub config: Option<PathBuf>,
    /// Only these rules (ids), when non-empty.
    pub select: Vec<String>,
    /// Never these rules.
    pub ignore: Vec<String>,
    /// File contents to use instead of what is on disk (absolute canonical path -> text):
    /// `--fix` audits its pending edits before writing anything.
    pub overlay: Option<Arc<HashMap<PathBuf, String>>>,
}

/// A file or directory that was not audited, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    /// Repo-relative path.
    pub path: String,
    /// Why it was skipped.
    pub reason: SkipReason,
    /// Extra detail (an I/O error message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The outcome of an audit, ready for any reporter.
pub struct AuditReport {
    /// Repository root.
    pub root: PathBuf,
    /// Findings after suppression, sorted by path, line, rule.
    pub findings: Vec<Finding>,
    /// What was skipped.
    pub skipped: Vec<Skipped>,
    /// Files audited.
    pub files_scanned: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Every rule that ran (pack rules and enabled built-ins).
    pub rules: Vec<RuleMeta>,
    /// The configuration in force.
    pub config: Config,
    /// Text of every file a finding points into (for excerpts and fingerprints).
    pub sources: BTreeMap<String, String>,
}

impl AuditReport {
    /// Exit code per the documented contract: 1 when a violation reaches `fail_on`, else 3
    /// when something could not be measured (parse errors, unverified findings, unreadable
    /// files), else 0.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        if self
            .findings
            .iter()
            .any(|f| f.rule != "parse-error" && f.fails_at(fail_on))
        {
            1
        } else if self.not_measured() {
            3
        } else {
            0
        }
    }

    /// Whether anything could not be measured.
    pub fn not_measured(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.rule == "parse-error" || f.certainty == Certainty::Unverified)
            || self
                .skipped
                .iter()
                .any(|s| matches!(s.reason, SkipReason::Unreadable | SkipReason::Unparsable))
    }

    /// Count of violations by severity (unverified findings counted apart).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for f in &self.findings {
            match (f.certainty, f.severity) {
                (Certainty::Unverified, _) => c.3 += 1,
                (_, Severity::Error) => c.0 += 1,
                (_, Severity::Warning) => c.1 += 1,
                (_, Severity::Info) => c.2 += 1,
            }
        }
        c
    }
}

struct Loaded {
    file: SourceFile,
    hcl: Option<HclFile>,
    parse_error: Option<ParseError>,
}

/// Loads the config for `root` (explicit path, or `<root>/.infra-audit.toml` if present).
pub fn load_config(root: &Path, explicit: Option<&Path>) -> Result<Config> {
    match explicit {
        Some(p) => Config::load(p),
        None if root.join(CONFIG_FILE).is_file() => Config::load(&root.join(CONFIG_FILE)),
        None => Ok(Config::default()),
    }
}

/// The rules of one run.
pub struct RuleSet {
    /// Rules that run.
    pub rules: Vec<Rule>,
    /// Metadata of every rule that runs, built-ins included.
    pub metas: Vec<RuleMeta>,
    /// Every rule id defined (running or not), built-ins included.
    pub all_ids: BTreeSet<String>,
}

/// Builds the rule set for a root and options (packs, config, --select/--ignore).
pub fn select_rules(root: &Path, config: &Config, opts: &AuditOptions) -> Result<RuleSet> {
    let loaded = pack::load_rules(root, config)?;
    let rules = loaded.rules;
    let mut all_ids = loaded.all_ids;
    all_ids.extend(BUILTIN_RULES.iter().map(|(id, _, _)| id.to_string()));
    for id in opts.select.iter().chain(&opts.ignore) {
        if !all_ids.contains(id.as_str()) {
            bail!("unknown rule `{id}` (see `infra-audit rules`)");
        }
    }
    let wanted = |id: &str| {
        (opts.select.is_empty() || opts.select.iter().any(|s| s == id))
            && !opts.ignore.iter().any(|s| s == id)
    };
    let rules: Vec<Rule> = rules.into_iter().filter(|r| wanted(&r.meta.id)).collect();
    let mut metas: Vec<RuleMeta> = rules.iter().map(|r| r.meta.clone()).collect();
    for (id, severity, summary) in BUILTIN_RULES {
        let over = config.rules.get(*id);
        if !wanted(id) || over.and_then(|o| o.enabled) == Some(false) {
            continue;
        }
        metas.push(RuleMeta {
            id: id.to_string(),
            kind: "built-in".into(),
            severity: over.and_then(|o| o.severity).unwrap_or(*severity),
            summary: summary.to_string(),
            help: None,
            fixable: false,
        });
    }
    Ok(RuleSet {
        rules,
        metas,
        all_ids,
    })
}

/// Runs the static audit.
pub fn run(opts: &AuditOptions) -> Result<AuditReport> {
    let started = Instant::now();
    let root = workspace::find_root(&opts.path)?;
    let config = load_config(&root, opts.config.as_deref())?;
    let RuleSet {
        rules,
        metas,
        all_ids,
    } = select_rules(&root, &config, opts)?;
    let exclude = workspace::globset(&config.exclude)?;
    let scan = opts.path.canonicalize()?;
    // Walk the whole repository: rules only check files under `scan`, but repository facts
    // (namespaces, labels) come from every HCL file.
    let mut walked = workspace::walk(&root, &root, &exclude);
    let in_scope = |p: &Path| p.starts_with(&scan);
    // The tool's own configuration (the config file and user packs) names forbidden values
    // and paths by design: it is not audited.
    let own = own_config_files(&root, &config);
    walked.files.retain(|f| !own.iter().any(|o| o == f));

    let mut skipped: Vec<Skipped> = walked
        .skipped_dirs
        .iter()
        .filter(|p| in_scope(&root.join(p)))
        .map(|p| Skipped {
            path: p.clone(),
            reason: SkipReason::CacheDirectory,
            detail: None,
        })
        .collect();
    skipped.extend(
        walked
            .errors
            .iter()
            .filter(|(p, _)| in_scope(&root.join(p)))
            .map(|(p, e)| Skipped {
                path: p.clone(),
                reason: SkipReason::Unreadable,
                detail: Some(e.clone()),
            }),
    );

    let loaded: Vec<(bool, Result<Loaded, Skipped>)> = walked
        .files
        .par_iter()
        .filter(|abs| in_scope(abs) || FileKind::from_path(&abs.to_string_lossy()) == FileKind::Hcl)
        .map(|abs| (in_scope(abs), load(&root, abs, opts.overlay.as_deref())))
        .collect();
    let mut files = Vec::with_capacity(loaded.len());
    let mut context_only = Vec::new();
    for (scoped, item) in loaded {
        match (scoped, item) {
            (true, Ok(l)) => files.push(l),
            (false, Ok(l)) => context_only.push(l),
            (true, Err(s)) => skipped.push(s),
            (false, Err(_)) => {}
        }
    }
    if !metas.iter().any(|m| m.id == "parse-error") {
        // Turning the rule off hides the finding, never the fact that a file was not audited.
        skipped.extend(files.iter().filter_map(|l| {
            l.parse_error.as_ref().map(|e| Skipped {
                path: l.file.path.clone(),
                reason: SkipReason::Unparsable,
                detail: Some(format!(
                    "line {}, column {}: {}",
                    e.line, e.column, e.message
                )),
            })
        }));
    }
    skipped.sort();

    let indexed: Vec<IndexedFile> = files
        .iter()
        .chain(&context_only)
        .filter_map(|l| l.hcl.as_ref().map(|hcl| IndexedFile { file: &l.file, hcl }))
        .collect();
    let index = RepoIndex::build(&indexed);

    let known: BTreeSet<String> = metas.iter().map(|m| m.id.clone()).collect();
    let all_known = &all_ids;
    let severity_of = |id: &str| metas.iter().find(|m| m.id == id).map(|m| m.severity);
    let today = time::OffsetDateTime::now_utc().date();

    let mut findings: Vec<Finding> = files
        .par_iter()
        .flat_map_iter(|l| {
            let ctx = FileContext {
                file: &l.file,
                hcl: l.hcl.as_ref(),
                repo: &index,
            };
            let mut found = Vec::new();
            for rule in &rules {
                let mut emitter = Emitter::new(&rule.meta, &l.file);
                rule.check.check(&ctx, &mut emitter);
                found.extend(emitter.findings);
            }
            if let (Some(err), Some(severity)) = (&l.parse_error, severity_of("parse-error")) {
                found.push(parse_error_finding(&l.file, err, severity));
            }
            let comments = l.hcl.as_ref().map(|h| h.comments.as_slice());
            if l.file.kind == FileKind::Hcl && l.hcl.is_none() {
                return found; // unparsed HCL: comments unknown, suppressions not read
            }
            let sups = suppress::collect(&l.file, comments, all_known, today);
            let unused = suppress::apply(&l.file, &sups.items, &mut found, &known);
            for f in unused.into_iter().chain(sups.invalid) {
                if let Some(severity) = severity_of(&f.rule) {
                    found.push(Finding { severity, ..f });
                }
            }
            found
        })
        .collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let wanted: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)))
        .map(|l| l.path.as_str())
        .collect();
    let sources = files
        .iter()
        .filter(|l| wanted.contains(l.file.path.as_str()))
        .map(|l| (l.file.path.clone(), l.file.text.clone()))
        .collect();

    Ok(AuditReport {
        root,
        findings,
        skipped,
        files_scanned: files.len(),
        elapsed: started.elapsed(),
        rules: metas,
        config,
        sources,
    })
}

/// Canonical paths of the config file and the user pack files it names.
fn own_config_files(root: &Path, config: &Config) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = config.source.iter().cloned().collect();
    for name in config.packs.iter().flatten() {
        if !pack::BUILTIN_PACKS.iter().any(|(n, _)| n == name) {
            files.push(root.join(name));
        }
    }
    files.iter().filter_map(|f| f.canonicalize().ok()).collect()
}

fn load(
    root: &Path,
    abs: &Path,
    overlay: Option<&HashMap<PathBuf, String>>,
) -> Result<Loaded, Skipped> {
    let rel = workspace::relative(root, abs);
    let bytes = match overlay.and_then(|o| o.get(abs)) {
        Some(text) => text.clone().into_bytes(),
        None => std::fs::read(abs).map_err(|e| Skipped {
            path: rel.clone(),
            reason: SkipReason::Unreadable,
            detail: Some(e.to_string()),
        })?,
    };
    let text = decode(&rel, bytes).map_err(|reason| Skipped {
        path: rel.clone(),
        reason,
        detail: None,
    })?;
    let file = SourceFile::new(rel, abs.to_path_buf(), text);
    let (hcl, parse_error) = if file.kind == FileKind::Hcl {
        match hcl::parse(&file.text) {
            Ok(h) => (Some(h), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    Ok(Loaded {
        file,
        hcl,
        parse_error,
    })
}

fn parse_error_finding(file: &SourceFile, err: &ParseError, severity: Severity) -> Finding {
    let start = err.offset.min(file.text.len());
    let end = file.text[start..]
        .char_indices()
        .nth(1)
        .map(|(i, _)| start + i)
        .unwrap_or(file.text.len());
    Finding {
        rule: "parse-error".into(),
        severity,
        certainty: Certainty::Violation,
        message: format!(
            "could not parse HCL: {}; this file was not audited",
            err.message
        ),
        help: Some(
            "fix the syntax error (`terraform fmt` shows it too); no other rule checked this file"
                .into(),
        ),
        location: Location::new(file, start..end),
        resource: None,
        resource_line: None,
        related: Vec::new(),
        fixable: false,
        fix: None,
    }
}
