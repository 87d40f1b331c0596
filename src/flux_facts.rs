//! Repository-wide facts about a Flux tree that YAML rules need beyond one file: which Flux
//! Kustomizations apply a directory (directly or through Kustomize components) with their
//! post-build variables, and the PersistentVolumeClaims declared, so that a workload's
//! `claimName: ${VOLSYNC_CLAIM:-${APP}}` resolves to the claim a component creates with
//! `accessModes: ["${VOLSYNC_ACCESSMODES:=ReadWriteOnce}"]` (seed 004's layout).

use crate::index::dir_of;
use crate::inventory::yaml::flux::{self, Layout};
use crate::inventory::yaml::subst::{substitute, Vars};
use crate::source::decode;
use crate::syntax::yaml::{self, Node, NodeKind};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// A claim as declared (names and modes may hold `${VAR}` placeholders).
#[derive(Debug)]
struct ClaimDecl {
    dir: String,
    name: String,
    modes: Vec<String>,
}

/// A database a manifest points at: `(host, database)` from a connection URL
/// (`postgres://u@host:5432/db`, `redis://host:6379/2`) or from a `*_HOST` /
/// `*_DB`-style pair of keys in one mapping or env list.
#[derive(Debug, Clone)]
pub struct DbRef {
    /// The app (`<namespace>/<app>` under `apps/`, else the file's directory).
    pub app: String,
    /// Repo-relative file.
    pub path: String,
    /// Byte range of the value.
    pub span: std::ops::Range<usize>,
    /// Host, lower-cased, without a cluster-domain suffix.
    pub host: String,
    /// Database name or number.
    pub database: String,
}

/// The facts.
#[derive(Debug, Default)]
pub struct FluxFacts {
    layout: Layout,
    claims: Vec<ClaimDecl>,
    /// `configMapGenerator` names per directory (from its kustomization.yaml).
    generated: HashMap<String, Vec<String>>,
    /// Every database reference.
    pub databases: Vec<DbRef>,
}

/// The app a repo-relative path belongs to: `<ns>/<app>` after an `apps/` segment, else its
/// directory.
pub fn app_of(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.iter().position(|p| *p == "apps") {
        Some(i) if parts.len() > i + 3 => format!("{}/{}", parts[i + 1], parts[i + 2]),
        _ => dir_of(path).to_string(),
    }
}

fn normalize_host(host: &str) -> String {
    let h = host.to_ascii_lowercase();
    let h = h
        .trim_end_matches(".cluster.local")
        .trim_end_matches(".svc");
    h.to_string()
}

/// `(host, database)` of a connection URL.
pub fn parse_db_url(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.split_once("://")?;
    let known = [
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "redis",
        "rediss",
        "mongodb",
    ];
    if !known.contains(&scheme.to_ascii_lowercase().as_str()) {
        return None;
    }
    let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    let (authority, path) = rest.split_once('/')?;
    let host = authority
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(authority);
    let db = path.split(['?', '#']).next().unwrap_or_default();
    if host.is_empty()
        || db.is_empty()
        || host.contains("${")
        || db.contains("${")
        || host.contains("{{")
    {
        return None;
    }
    Some((normalize_host(host), db.to_string()))
}

const HOST_KEYS: &[&str] = &["HOST", "HOSTNAME", "SERVER", "DBHOST"];
const DB_KEYS: &[&str] = &["DB", "DATABASE", "NAME", "DBNAME", "DB_NAME"];

/// A `*_HOST` + `*_DB` pair among `(key, value node)` entries sharing a prefix
/// (`POSTGRES_HOST` / `POSTGRES_DB`, `DB_HOST` / `DB_NAME`).
fn db_pairs<'a>(entries: &[(String, &'a Node)]) -> Vec<(&'a Node, String, String)> {
    let mut out = Vec::new();
    for (k, v) in entries {
        let upper = k.to_ascii_uppercase();
        let Some(prefix) = HOST_KEYS
            .iter()
            .find_map(|h| upper.strip_suffix(&format!("_{h}")))
        else {
            continue;
        };
        let Some(host) = v
            .as_str()
            .filter(|h| !h.contains("${") && !h.contains("{{") && !h.is_empty())
        else {
            continue;
        };
        let db = entries.iter().find_map(|(k2, v2)| {
            let u2 = k2.to_ascii_uppercase();
            DB_KEYS
                .iter()
                .any(|d| u2 == format!("{prefix}_{d}"))
                .then(|| v2.as_str())
                .flatten()
                .filter(|d| !d.contains("${") && !d.contains("{{"))
        });
        if let Some(db) = db {
            out.push((*v, normalize_host(host), db.to_string()));
        }
    }
    out
}

/// Every database reference in a document.
fn db_refs(root: &Node, app: &str, path: &str, out: &mut Vec<DbRef>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.kind {
            NodeKind::Scalar { value, .. } => {
                if let Some((host, database)) = parse_db_url(value) {
                    out.push(DbRef {
                        app: app.into(),
                        path: path.into(),
                        span: node.span.clone(),
                        host,
                        database,
                    });
                }
            }
            NodeKind::Seq(items) => {
                // env lists: [{name: X, value: Y}, ...]
                let pairs: Vec<(String, &Node)> = items
                    .iter()
                    .filter_map(|i| Some((i.get("name")?.as_str()?.to_string(), i.get("value")?)))
                    .collect();
                for (n, host, database) in db_pairs(&pairs) {
                    out.push(DbRef {
                        app: app.into(),
                        path: path.into(),
                        span: n.span.clone(),
                        host,
                        database,
                    });
                }
                stack.extend(items.iter());
            }
            NodeKind::Map(entries) => {
                let pairs: Vec<(String, &Node)> = entries
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                    .collect();
                for (n, host, database) in db_pairs(&pairs) {
                    out.push(DbRef {
                        app: app.into(),
                        path: path.into(),
                        span: n.span.clone(),
                        host,
                        database,
                    });
                }
                // app-template env maps: {KEY: value} or {KEY: {value: ...}} are covered above.
                stack.extend(entries.iter().map(|(_, v)| v));
            }
        }
    }
}

/// A YAML node as JSON (for the inventory's Flux readers).
pub fn to_json(node: &Node) -> serde_json::Value {
    match &node.kind {
        NodeKind::Scalar { value, plain } => {
            if *plain {
                if node.is_true() {
                    return serde_json::Value::Bool(true);
                }
                if node.is_false() {
                    return serde_json::Value::Bool(false);
                }
                if value == "null" || value == "~" {
                    return serde_json::Value::Null;
                }
            }
            serde_json::Value::String(value.clone())
        }
        NodeKind::Seq(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), to_json(v))))
                .collect(),
        ),
    }
}

impl FluxFacts {
    /// Reads the YAML files of the repository that can hold a Flux Kustomization, a
    /// Kustomize `components:` list or a claim (a cheap text test first), in parallel;
    /// `files` are `(repo-relative path, absolute path)` of the manifest files (see
    /// `inventory::yaml::is_manifest_file`), `overlay` the texts `--fix` holds in memory.
    /// These files are parsed again when their directory is audited: keeping every tree
    /// until then would hold the whole YAML tree in memory.
    pub fn collect(
        files: &[(String, PathBuf)],
        overlay: Option<&HashMap<PathBuf, String>>,
    ) -> FluxFacts {
        let per_file: Vec<FluxFacts> = files
            .par_iter()
            .map(|(rel, abs)| FluxFacts::of_file(rel, abs, overlay))
            .collect();
        let mut facts = FluxFacts::default();
        for f in per_file {
            facts.databases.extend(f.databases);
            facts.claims.extend(f.claims);
            for (dir, names) in f.generated {
                facts.generated.entry(dir).or_default().extend(names);
            }
            facts.layout.kustomizations.extend(f.layout.kustomizations);
            facts
                .layout
                .kustomize_components
                .extend(f.layout.kustomize_components);
        }
        facts.layout.finish();
        facts
    }

    /// The facts of one file (an unreadable or uninteresting file has none).
    fn of_file(rel: &str, abs: &Path, overlay: Option<&HashMap<PathBuf, String>>) -> FluxFacts {
        let mut facts = FluxFacts::default();
        let text = match overlay.and_then(|o| o.get(abs)) {
            Some(t) => t.clone(),
            None => match std::fs::read(abs).ok().map(|b| decode(rel, b)) {
                Some(Ok(t)) => t,
                _ => return facts,
            },
        };
        let interesting = text.contains("kustomize.toolkit.fluxcd.io")
            || text.contains("components:")
            || text.contains("configMapGenerator")
            || text.contains("PersistentVolumeClaim")
            || text.contains("://")
            || text.contains("_HOST");
        if !interesting {
            return facts;
        }
        let dir = dir_of(rel);
        let is_kustomize = Path::new(rel)
            .file_name()
            .is_some_and(|n| n == "kustomization.yaml" || n == "kustomization.yml");
        for doc in yaml::parse(&text).docs {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            db_refs(root, &app_of(rel), rel, &mut facts.databases);
            let json = to_json(root);
            if is_kustomize {
                for g in root
                    .get("configMapGenerator")
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    if let Some(name) = g.get("name").and_then(Node::as_str) {
                        facts
                            .generated
                            .entry(dir.to_string())
                            .or_default()
                            .push(name.to_string());
                    }
                }
            }
            if flux::is_flux_kustomization(&json) {
                if let Ok(k) = flux::kustomization(&json) {
                    facts.layout.kustomizations.push(k);
                }
            } else if is_kustomize {
                for c in flux::kustomize_components(&json, dir) {
                    facts.layout.kustomize_components.push((dir.to_string(), c));
                }
            } else if doc.kind() == Some("PersistentVolumeClaim") {
                let modes = root
                    .path(&["spec", "accessModes"])
                    .map(|m| {
                        m.items()
                            .iter()
                            .filter_map(Node::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(name) = doc.name() {
                    facts.claims.push(ClaimDecl {
                        dir: dir.to_string(),
                        name: name.to_string(),
                        modes,
                    });
                }
            }
        }
        facts
    }

    /// `text` with the variables of each Kustomization applying `dir` substituted:
    /// `(kustomization index or None, result)`; one entry without index when none applies.
    fn resolve(&self, dir: &str, text: &str) -> Vec<(Option<usize>, Result<String, String>)> {
        let applying = self.layout.applying(dir);
        let empty = BTreeMap::new();
        if applying.is_empty() {
            let vars = Vars {
                values: &empty,
                elsewhere: None,
                origin: "no Flux Kustomization",
            };
            return vec![(None, substitute(text, &vars))];
        }
        applying
            .into_iter()
            .map(|i| {
                let k = &self.layout.kustomizations[i];
                let origin = format!("the Flux Kustomization `{}`", k.name);
                let elsewhere = k
                    .substitute_from
                    .then_some("it may come from `substituteFrom`");
                let vars = Vars {
                    values: &k.substitute,
                    elsewhere,
                    origin: &origin,
                };
                (Some(i), substitute(text, &vars))
            })
            .collect()
    }

    /// The access modes of the claim a workload in `dir` names `claim` (placeholders
    /// resolved by the same Kustomization), when the repository declares it.
    pub fn claim_modes(&self, dir: &str, claim: &str) -> Option<(String, Vec<String>)> {
        for (ks, name) in self.resolve(dir, claim) {
            let Ok(name) = name else { continue };
            for c in &self.claims {
                let applied_by_same = match ks {
                    Some(i) => self.layout.applying(&c.dir).contains(&i),
                    None => c.dir == dir,
                };
                if !applied_by_same {
                    continue;
                }
                let resolved = self.resolve(&c.dir, &c.name);
                let matches = resolved
                    .iter()
                    .any(|(k, n)| (ks.is_none() || *k == ks) && n.as_deref() == Ok(name.as_str()));
                if matches {
                    let modes = c
                        .modes
                        .iter()
                        .map(|m| {
                            self.resolve(&c.dir, m)
                                .into_iter()
                                .find(|(k, _)| ks.is_none() || *k == ks)
                                .and_then(|(_, r)| r.ok())
                                .unwrap_or_else(|| m.clone())
                        })
                        .collect();
                    return Some((name, modes));
                }
            }
        }
        None
    }

    /// ConfigMaps the kustomization.yaml of `dir` generates.
    pub fn generated_configmaps(&self, dir: &str) -> &[String] {
        self.generated
            .get(dir)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// `text` resolved for a file in `dir` when every applying Kustomization agrees.
    pub fn resolve_one(&self, dir: &str, text: &str) -> Option<String> {
        let all = self.resolve(dir, text);
        let first = all.first()?.1.clone().ok()?;
        all.iter()
            .all(|(_, r)| r.as_deref() == Ok(first.as_str()))
            .then_some(first)
    }
}
