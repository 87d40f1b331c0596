//! Repository-wide facts about a Flux tree that YAML rules need beyond one file: which Flux
//! Kustomizations apply a directory (directly or through Kustomize components) with their
//! post-build variables, and the PersistentVolumeClaims declared, so that a workload's
//! `claimName: ${VOLSYNC_CLAIM:-${APP}}` resolves to the claim a component creates with
//! `accessModes: ["${VOLSYNC_ACCESSMODES:=ReadWriteOnce}"]` (seed 004's layout).

use crate::inventory::yaml::flux::{self, Layout};
use crate::inventory::yaml::subst::{substitute, Vars};
use crate::source::decode;
use crate::syntax::yaml::{self, Node, NodeKind};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// A claim as declared (names and modes may hold `${VAR}` placeholders).
#[derive(Debug)]
struct ClaimDecl {
    dir: String,
    name: String,
    modes: Vec<String>,
}

/// The facts.
#[derive(Debug, Default)]
pub struct FluxFacts {
    layout: Layout,
    claims: Vec<ClaimDecl>,
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

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

impl FluxFacts {
    /// Reads the YAML files of the repository that can hold a Flux Kustomization, a
    /// Kustomize `components:` list or a claim (a cheap text test first); `files` are
    /// `(repo-relative path, absolute path)`, `overlay` the texts `--fix` holds in memory.
    pub fn collect(
        files: &[(String, PathBuf)],
        overlay: Option<&HashMap<PathBuf, String>>,
    ) -> FluxFacts {
        let mut facts = FluxFacts::default();
        for (rel, abs) in files {
            let text = match overlay.and_then(|o| o.get(abs)) {
                Some(t) => t.clone(),
                None => match std::fs::read(abs).ok().map(|b| decode(rel, b)) {
                    Some(Ok(t)) => t,
                    _ => continue,
                },
            };
            let interesting = text.contains("kustomize.toolkit.fluxcd.io")
                || text.contains("components:")
                || text.contains("PersistentVolumeClaim");
            if !interesting {
                continue;
            }
            let dir = dir_of(rel);
            let is_kustomize = Path::new(rel)
                .file_name()
                .is_some_and(|n| n == "kustomization.yaml" || n == "kustomization.yml");
            for doc in yaml::parse(&text).docs {
                let Some(root) = doc.root.as_ref() else {
                    continue;
                };
                let json = to_json(root);
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
        }
        facts.layout.finish();
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

    /// `text` resolved for a file in `dir` when every applying Kustomization agrees.
    pub fn resolve_one(&self, dir: &str, text: &str) -> Option<String> {
        let all = self.resolve(dir, text);
        let first = all.first()?.1.clone().ok()?;
        all.iter()
            .all(|(_, r)| r.as_deref() == Ok(first.as_str()))
            .then_some(first)
    }
}
