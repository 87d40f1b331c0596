//! The static audit: walk, parse, index, run rules, apply suppressions, sort.

use crate::config::{Config, CONFIG_FILE};
use crate::finding::{Certainty, Finding, Location, Severity};
use crate::index::{dir_of, IndexedFile, NamespaceDecl, Namespaces, RepoIndex};
use crate::pack;
use crate::rules::{Deferred, Emitter, FileContext, Rule, RuleMeta, BUILTIN_RULES};
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
    /// The repository root, when the caller knows it (`infra-audit test` audits case
    /// directories that sit inside another repository); otherwise found from `path`.
    pub root: Option<PathBuf>,
    /// A configuration built in memory, used instead of any config file.
    pub inline_config: Option<Arc<Config>>,
    /// Only these rules (ids), when non-empty.
    pub select: Vec<String>,
    /// Never these rules.
    pub ignore: Vec<String>,
    /// File contents to use instead of what is on disk (absolute canonical path -> text):
    /// `--fix` audits its pending edits before writing anything.
    pub overlay: Option<Arc<HashMap<PathBuf, String>>>,
    /// Compute complete fixes (for JSON/SARIF reports and `--fix`); human output only needs
    /// to know whether a finding is fixable.
    pub with_fixes: bool,
    /// Results of an earlier run to reuse for directories not marked dirty (`--fix` rounds
    /// re-audit only the directories their edits touched).
    pub reuse: Option<Arc<Reuse>>,
    /// Live objects to check with the rules' live checks (`audit --live`).
    pub live: Option<Arc<crate::live::LiveInventory>>,
    /// A baseline file in use at a non-default path: not audited, like the tool's own
    /// configuration (`<root>/.infra-audit-baseline.json` never is).
    pub baseline_file: Option<PathBuf>,
    /// The change under audit (`--staged`, `--base`, `--commits`): change-scoped rules
    /// (docs-cochange) judge it, and `changed_only` filters by it.
    /// Several change sets (`--commits`) are judged each on its own.
    pub changes: Option<Arc<Vec<crate::git::ChangeSet>>>,
    /// Keep only findings on lines the change added or modified (per-resource findings:
    /// the resource block overlaps them), plus change-scoped findings.
    pub changed_only: bool,
    /// Check only these repository-relative files (`--staged`: the staged files); the
    /// others still feed repository facts.
    pub only_files: Option<Arc<BTreeSet<String>>>,
}

/// A rule broken by a live object (`audit --live`).
#[derive(Debug, Clone, Serialize)]
pub struct LiveFinding {
    /// Rule id.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// API kind.
    pub kind: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

/// The live part of an audit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveSection {
    /// Where the objects came from.
    pub source: String,
    /// Violations, sorted by namespace, kind, name, rule.
    pub findings: Vec<LiveFinding>,
    /// Kinds that could not be read.
    #[serde(skip)]
    pub not_measured: Vec<crate::live::NotMeasured>,
}

/// What a later run may reuse from an earlier one.
#[derive(Default)]
pub struct Reuse {
    outputs: std::sync::Mutex<HashMap<String, DirOutput>>,
    /// Directories whose files changed since the outputs were recorded.
    pub dirty: std::sync::Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for Reuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reuse")
    }
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
    /// Live checks, with `audit --live`.
    pub live: Option<LiveSection>,
    /// What a baseline hid, when one was applied (`audit` with a baseline file).
    pub baseline: Option<crate::baseline::Applied>,
}

impl AuditReport {
    /// Exit code per the documented contract: 1 when a violation reaches `fail_on`, else 3
    /// when something could not be measured (parse errors, unverified findings, unreadable
    /// files), else 0.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        let live_fails = self
            .live
            .as_ref()
            .is_some_and(|l| l.findings.iter().any(|f| f.severity >= fail_on));
        if live_fails
            || self
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
            || self
                .live
                .as_ref()
                .is_some_and(|l| !l.not_measured.is_empty())
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
    yaml: Option<crate::syntax::yaml::YamlFile>,
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
    let root = match &opts.root {
        Some(root) => root.canonicalize()?,
        None => workspace::find_root(&opts.path)?,
    };
    let config = match &opts.inline_config {
        Some(config) => Config::clone(config),
        None => load_config(&root, opts.config.as_deref())?,
    };
    let exclude = workspace::globset(&config.exclude)?;
    let scan = opts.path.canonicalize()?;
    // The repository for the findings' age (`add_history`), opened meanwhile.
    let history = crate::git::History::open(&root);
    // Walk the whole repository: rules only check files under `scan`, but repository facts
    // (namespaces, labels) come from every HCL file. The rule packs are loaded meanwhile
    // (parsing their YAML is 1% of an audit, and the walk mostly waits on the kernel).
    let trace = Trace::new();
    let (selected, mut walked) = rayon::join(
        || {
            let rules = select_rules(&root, &config, opts);
            trace.mark("rule packs", started);
            rules
        },
        || workspace::walk(&root, &root, &exclude),
    );
    let RuleSet {
        rules,
        metas,
        all_ids,
    } = selected?;
    let in_scope = |p: &Path| {
        workspace::strip_base(p, &scan).is_some()
            && opts
                .only_files
                .as_ref()
                .is_none_or(|only| only.contains(&workspace::relative(&root, p)))
    };
    // The tool's own configuration (the config file and user packs) names forbidden values
    // and paths by design: it is not audited.
    let own = own_config_files(&root, &config, opts.baseline_file.as_deref());
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
            .non_utf8_names
            .iter()
            .filter(|p| in_scope(&root.join(p)))
            .map(|p| Skipped {
                path: p.clone(),
                reason: SkipReason::NonUtf8,
                detail: Some("the file name is not UTF-8".into()),
            }),
    );
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

    trace.mark("walk", started);

    // Files are processed one module directory at a time (locals, variables and namespace
    // references resolve within a directory), so each directory's parse trees are dropped
    // as soon as it is checked. Files outside the audited path still feed the facts.
    // Repo-relative names of every walked file, worked out once.
    let rel_files: Vec<String> = walked
        .files
        .iter()
        .map(|abs| workspace::relative(&root, abs))
        .collect();
    let mut dirs: BTreeMap<String, Vec<DirFile>> = BTreeMap::new();
    for (abs, rel) in walked.files.iter().zip(&rel_files) {
        let scoped = in_scope(abs);
        if scoped || FileKind::from_path(rel) == FileKind::Hcl {
            dirs.entry(dir_of(rel).to_string())
                .or_default()
                .push(DirFile {
                    abs: abs.clone(),
                    rel: rel.clone(),
                    scoped,
                });
        }
    }
    let want_yaml = rules.iter().any(|r| r.check.wants_yaml());
    let charts = match want_yaml {
        true => crate::inventory::yaml::chart_dirs(rel_files.iter().map(String::as_str)),
        false => Vec::new(),
    };
    let flux = want_yaml.then(|| {
        let yaml_files: Vec<(String, PathBuf)> = rel_files
            .iter()
            .zip(&walked.files)
            .filter(|(rel, _)| crate::inventory::yaml::is_manifest_file(rel, &charts))
            .map(|(rel, abs)| (rel.clone(), abs.clone()))
            .collect();
        crate::flux_facts::FluxFacts::collect(&yaml_files, opts.overlay.as_deref())
    });
    let env = DirEnv {
        charts: &charts,
        rules: &rules,
        overlay: opts.overlay.as_deref(),
        parse_error_severity: metas
            .iter()
            .find(|m| m.id == "parse-error")
            .map(|m| m.severity),
        all_ids: &all_ids,
        today: time::OffsetDateTime::now_utc().date(),
        want_fixes: opts.with_fixes,
        want_yaml,
        flux: flux.as_ref(),
    };
    let outputs: Vec<DirOutput> = dirs
        .into_par_iter()
        .map(|(dir, files)| match &opts.reuse {
            Some(reuse) => {
                let clean = !reuse.dirty.lock().expect("not poisoned").contains(&dir);
                let cached = clean
                    .then(|| {
                        reuse
                            .outputs
                            .lock()
                            .expect("not poisoned")
                            .get(&dir)
                            .cloned()
                    })
                    .flatten();
                let out = cached.unwrap_or_else(|| audit_dir(&env, &files));
                reuse
                    .outputs
                    .lock()
                    .expect("not poisoned")
                    .insert(dir, out.clone());
                out
            }
            None => audit_dir(&env, &files),
        })
        .collect();
    if let Some(reuse) = &opts.reuse {
        reuse.dirty.lock().expect("not poisoned").clear();
    }
    trace.mark("read+parse+rules", started);

    let mut namespaces = Namespaces::default();
    // Reserved up front: growing these vectors one directory at a time reallocates large
    // blocks over and over (measured: 13% of a `--fix` run went to zeroing fresh pages).
    let mut files: Vec<CheckedFile> =
        Vec::with_capacity(outputs.iter().map(|o| o.files.len()).sum());
    let mut deferred = Vec::with_capacity(outputs.iter().map(|o| o.deferred.len()).sum());
    for out in outputs {
        skipped.extend(out.skipped);
        for (name, decls) in out.namespaces {
            namespaces.0.entry(name).or_default().extend(decls);
        }
        deferred.extend(out.deferred);
        files.extend(out.files);
    }
    trace.mark("merge", started);
    resolve_deferred(deferred, &namespaces, &mut files);
    trace.mark("deferred", started);
    skipped.sort();

    let known: BTreeSet<String> = metas.iter().map(|m| m.id.clone()).collect();
    let severity_of = |id: &str| metas.iter().find(|m| m.id == id).map(|m| m.severity);
    // Suppressions apply file by file, so the files are shared out among the threads: this
    // ran on the main thread alone while the other cores idled (1 to 3 ms at 150 stacks).
    files.par_iter_mut().for_each(|checked| {
        let found = &mut checked.findings;
        let unused = suppress::apply(&checked.file, &checked.suppressions, found, &known);
        for f in unused
            .into_iter()
            .chain(std::mem::take(&mut checked.invalid_suppressions))
        {
            if let Some(severity) = severity_of(&f.rule) {
                found.push(Finding { severity, ..f });
            }
        }
        // Sorted per file while its findings are together in cache: the sort of all of
        // them below then mostly meets runs already in order.
        found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    });
    // Moved once into a vector of the right size (collecting from the parallel pass went
    // through per-thread lists and copied every finding twice).
    let mut findings: Vec<Finding> =
        Vec::with_capacity(files.iter().map(|c| c.findings.len()).sum());
    for checked in &mut files {
        findings.append(&mut checked.findings);
    }
    trace.mark("suppressions", started);
    let change_sources = match &opts.changes {
        Some(sets) => crate::changed::judge(
            &crate::changed::Inputs {
                root: &root,
                rules: &rules,
                walked: &walked.files,
                overlay: opts.overlay.as_deref(),
                sets,
            },
            &mut findings,
        )?,
        None => BTreeMap::new(),
    };
    trace.mark("changes", started);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    trace.mark("sort", started);
    let wanted: std::collections::HashSet<&str> = findings
        .iter()
        .flat_map(|f| std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)))
        .map(|l| l.path.as_str())
        .collect();
    let files_scanned = files.len();
    // The texts move into the report rather than being copied (at 15,000 stacks nearly
    // every file has a finding: 300 MB of copies).
    let mut sources: BTreeMap<String, String> = files
        .into_iter()
        .filter(|c| wanted.contains(c.file.path.as_str()))
        .map(|c| (c.file.path, c.file.text))
        .collect();
    for (path, text) in change_sources {
        sources.entry(path).or_insert(text);
    }
    trace.mark("sources", started);
    crate::fingerprint::assign(&mut findings, &sources);
    trace.mark("fingerprints", started);
    if let (Some(sets), true) = (&opts.changes, opts.changed_only) {
        crate::changed::keep_changed(&rules, sets, &mut findings);
        let still: BTreeSet<&str> = findings
            .iter()
            .flat_map(|f| std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)))
            .map(|l| l.path.as_str())
            .collect();
        sources.retain(|path, _| still.contains(path.as_str()));
    }

    trace.mark("sort+sources", started);
    add_history(&history, &rules, &sources, &mut findings);
    trace.mark("history", started);
    let live = opts
        .live
        .as_ref()
        .map(|inventory| check_live(&rules, inventory));
    Ok(AuditReport {
        root,
        findings,
        skipped,
        files_scanned,
        elapsed: started.elapsed(),
        rules: metas,
        config,
        sources,
        live,
        baseline: None,
    })
}

/// How many commits back [`add_history`] looks.
const HISTORY_COMMITS: usize = 2000;

/// Lets rules add what git history says to their findings ([`Check::history_line`]; today
/// `import-block`, whose blocks should be gone after one apply): every rule's lines are looked
/// up in one walk of the history.
///
/// [`Check::history_line`]: crate::rules::Check::history_line
fn add_history(
    history: &crate::git::History,
    rules: &[Rule],
    sources: &BTreeMap<String, String>,
    findings: &mut [Finding],
) {
    let checks: HashMap<&str, &dyn crate::rules::Check> = rules
        .iter()
        .map(|r| (r.meta.id.as_str(), r.check.as_ref()))
        .collect();
    let check_of = |id: &str| checks.get(id).copied();
    let mut wanted = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let (Some(check), Some(text)) = (check_of(&f.rule), sources.get(&f.location.path)) else {
            continue;
        };
        if let Some(line) = check.history_line(f, text) {
            wanted.push((i, (f.location.path.clone(), line)));
        }
    }
    if wanted.is_empty() {
        return;
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let queries: Vec<(String, String)> = wanted.iter().map(|(_, q)| q.clone()).collect();
    let found = crate::git::introduced(history, &queries, HISTORY_COMMITS);
    for ((i, _), introduced) in wanted.into_iter().zip(found) {
        let Some((commit, at)) = introduced else {
            continue;
        };
        let days = (now - at).max(0) / 86_400;
        let date = time::OffsetDateTime::from_unix_timestamp(at)
            .map(|d| d.date().to_string())
            .unwrap_or_default();
        if let Some(check) = check_of(&findings[i].rule) {
            check.with_history(&mut findings[i], &commit, &date, days);
        }
    }
}

/// Runs every rule's live check on every live object.
fn check_live(rules: &[Rule], inventory: &crate::live::LiveInventory) -> LiveSection {
    let mut findings: Vec<LiveFinding> = inventory
        .objects
        .par_iter()
        .flat_map_iter(|o| {
            rules.iter().flat_map(move |r| {
                r.check
                    .check_live(o)
                    .into_iter()
                    .map(move |message| LiveFinding {
                        rule: r.meta.id.clone(),
                        severity: r.meta.severity,
                        kind: o.kind.clone(),
                        namespace: o.namespace.clone(),
                        name: o.name.clone(),
                        message,
                    })
            })
        })
        .collect();
    findings.sort_by(|a, b| {
        (&a.namespace, &a.kind, &a.name, &a.rule).cmp(&(&b.namespace, &b.kind, &b.name, &b.rule))
    });
    LiveSection {
        source: inventory.source.clone(),
        findings,
        not_measured: inventory.not_measured.clone(),
    }
}

/// What every directory's audit shares.
struct DirEnv<'a> {
    rules: &'a [Rule],
    overlay: Option<&'a HashMap<PathBuf, String>>,
    parse_error_severity: Option<Severity>,
    all_ids: &'a BTreeSet<String>,
    today: time::Date,
    want_fixes: bool,
    want_yaml: bool,
    /// Helm chart directories: their YAML files are not manifests.
    charts: &'a [&'a str],
    flux: Option<&'a crate::flux_facts::FluxFacts>,
}

/// One audited file after its parse tree is gone.
#[derive(Clone)]
struct CheckedFile {
    file: SourceFile,
    findings: Vec<Finding>,
    suppressions: Vec<suppress::Suppression>,
    invalid_suppressions: Vec<Finding>,
}

/// What auditing one directory produced.
#[derive(Default, Clone)]
struct DirOutput {
    files: Vec<CheckedFile>,
    skipped: Vec<Skipped>,
    namespaces: HashMap<String, Vec<NamespaceDecl>>,
    deferred: Vec<(String, Deferred)>,
}

/// A file of a directory to audit.
#[derive(Clone)]
struct DirFile {
    abs: PathBuf,
    /// Repo-relative, `/`-separated.
    rel: String,
    /// Inside the audited path (the others only contribute facts).
    scoped: bool,
}

/// Reads, parses and checks the files of one directory (`scoped` marks files inside the
/// audited path; the others only contribute facts).
fn audit_dir(env: &DirEnv, files: &[DirFile]) -> DirOutput {
    let mut out = DirOutput::default();
    let mut loaded = Vec::with_capacity(files.len());
    for f in files {
        match (load(env, &f.abs, f.rel.clone()), &f.scoped) {
            (Ok(l), _) => loaded.push((l, f.scoped)),
            (Err(s), true) => out.skipped.push(s),
            (Err(_), false) => {}
        }
    }
    let indexed: Vec<IndexedFile> = loaded
        .iter()
        .filter_map(|(l, _)| l.hcl.as_ref().map(|hcl| IndexedFile { file: &l.file, hcl }))
        .collect();
    let index = RepoIndex::build(&indexed);
    for (l, scoped) in &loaded {
        if !scoped {
            continue;
        }
        let ctx = FileContext {
            file: &l.file,
            hcl: l.hcl.as_ref(),
            yaml: l.yaml.as_ref(),
            flux: env.flux,
            repo: &index,
            want_fixes: env.want_fixes,
            ignore_lists: Default::default(),
            owners: Default::default(),
        };
        let mut findings = Vec::new();
        for rule in env.rules {
            let mut emitter = Emitter::new(&rule.meta, &l.file);
            rule.check.check(&ctx, &mut emitter);
            findings.extend(emitter.findings);
            out.deferred.extend(
                emitter
                    .deferred
                    .into_iter()
                    .map(|d| (l.file.path.clone(), d)),
            );
        }
        if let Some(err) = &l.parse_error {
            match env.parse_error_severity {
                Some(severity) => findings.push(parse_error_finding(&l.file, err, severity)),
                // Turning the rule off hides the finding, never the fact that a file was
                // not audited.
                None => out.skipped.push(Skipped {
                    path: l.file.path.clone(),
                    reason: SkipReason::Unparsable,
                    detail: Some(format!(
                        "line {}, column {}: {}",
                        err.line, err.column, err.message
                    )),
                }),
            }
        }
        crate::fingerprint::set_bases(&mut findings, &l.file);
        let parsed_or_not_hcl = l.file.kind != FileKind::Hcl || l.hcl.is_some();
        let sups = if parsed_or_not_hcl {
            let comments = l.hcl.as_ref().map(|h| h.comments.as_slice());
            suppress::collect(&l.file, comments, env.all_ids, env.today)
        } else {
            suppress::FileSuppressions {
                items: Vec::new(),
                invalid: Vec::new(),
            }
        };
        out.files.push(CheckedFile {
            file: SourceFile::new(l.file.path.clone(), l.file.abs_path.clone(), String::new()),
            findings,
            suppressions: sups.items,
            invalid_suppressions: sups.invalid,
        });
    }
    for (name, decls) in index.namespaces {
        out.namespaces.entry(name).or_default().extend(decls);
    }
    // Keep each scoped file's text (for excerpts and fixes), drop the parse trees.
    let mut texts: HashMap<String, SourceFile> = loaded
        .into_iter()
        .filter(|(_, scoped)| *scoped)
        .map(|(l, _)| (l.file.path.clone(), l.file))
        .collect();
    for checked in &mut out.files {
        if let Some(file) = texts.remove(&checked.file.path) {
            checked.file = file;
        }
    }
    out
}

/// Keeps the deferred findings whose condition holds (with a pointer to the fact), turns
/// those whose condition could not be evaluated into "could not verify", drops the rest.
fn resolve_deferred(
    deferred: Vec<(String, Deferred)>,
    namespaces: &Namespaces,
    files: &mut [CheckedFile],
) {
    let mut by_path: HashMap<String, usize> = HashMap::new();
    for (i, f) in files.iter().enumerate() {
        by_path.insert(f.file.path.clone(), i);
    }
    for (path, d) in deferred {
        if let (Some(finding), Some(&i)) = (d.resolve(&namespaces.0), by_path.get(&path)) {
            files[i].findings.push(finding);
        }
    }
}

/// Canonical paths of the config file, the user pack files it names and the baseline file.
fn own_config_files(root: &Path, config: &Config, baseline: Option<&Path>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = config.source.iter().cloned().collect();
    files.push(crate::baseline::default_path(root));
    files.extend(baseline.map(Path::to_path_buf));
    for name in config.packs.iter().flatten() {
        if !pack::BUILTIN_PACKS.iter().any(|(n, _)| n == name) {
            files.push(root.join(name));
        }
    }
    files.iter().filter_map(|f| f.canonicalize().ok()).collect()
}

fn load(env: &DirEnv, abs: &Path, rel: String) -> Result<Loaded, Skipped> {
    let bytes = match env.overlay.and_then(|o| o.get(abs)) {
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
    let (yaml, parse_error) = if env.want_yaml
        && file.kind == FileKind::Yaml
        && crate::inventory::yaml::is_manifest_file(&file.path, env.charts)
    {
        let mut parsed = crate::syntax::yaml::parse(&file.text);
        // The first broken document is reported; the others are still checked.
        let error = (!parsed.errors.is_empty()).then(|| {
            let e = parsed.errors.remove(0);
            ParseError {
                message: format!("YAML document does not parse: {}", e.message),
                line: e.line,
                column: e.column,
                offset: e.offset,
            }
        });
        (Some(parsed), error.or(parse_error))
    } else {
        (None, parse_error)
    };
    Ok(Loaded {
        file,
        hcl,
        yaml,
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
        help: Some(
            "fix the syntax error (`terraform fmt` shows it too); no other rule checked this file"
                .into(),
        ),
        ..Finding::new(
            "parse-error".into(),
            severity,
            if file.kind == FileKind::Yaml {
                format!(
                    "could not parse YAML: {}; that document was not audited (the others were)",
                    err.message
                        .trim_start_matches("YAML document does not parse: ")
                )
            } else {
                format!(
                    "could not parse HCL: {}; this file was not audited",
                    err.message
                )
            },
            Location::new(file, start..end),
        )
    }
}

/// The process's minor page faults so far (first touches of fresh memory), for the trace.
fn minor_faults() -> i64 {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage only writes the struct it is given.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } == 0 {
            // SAFETY: initialised by the successful call above.
            return unsafe { usage.assume_init() }.ru_minflt;
        }
    }
    -1
}

/// Phase timings on stderr when `INFRA_AUDIT_TRACE` is set (for profiling; off by default).
pub(crate) struct Trace(bool);

impl Trace {
    /// Reads `INFRA_AUDIT_TRACE`.
    pub(crate) fn new() -> Trace {
        Trace(std::env::var_os("INFRA_AUDIT_TRACE").is_some())
    }

    /// Prints the time since `started` for a finished phase.
    pub(crate) fn mark(&self, phase: &str, started: Instant) {
        if self.0 {
            eprintln!(
                "trace: {phase} done at {:.1} ms, {} page faults so far",
                started.elapsed().as_secs_f64() * 1000.0,
                minor_faults()
            );
        }
    }
}
