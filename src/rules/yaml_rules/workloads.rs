//! Checks on YAML workloads (plain manifests and app-template controllers alike): update
//! strategies, security contexts, ReadWriteOnce volumes, shared databases, Reloader.

use super::*;
use crate::syntax::yaml::Node;
use serde::Deserialize;

// --------------------------------------------------------------------- workloads

/// Parameters of `yaml-workload`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadParams {
    /// What to check: `statefulset-not-recreate`, `run-as-non-root` or
    /// `drop-all-capabilities`.
    pub check: WorkloadCheck,
}

/// The checks of `yaml-workload`.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadCheck {
    /// StatefulSets never use `Recreate` (only Deployments support it).
    StatefulsetNotRecreate,
    /// Containers run as a non-root user.
    RunAsNonRoot,
    /// Containers drop all capabilities.
    DropAllCapabilities,
}

/// `yaml-workload`.
pub struct Workload {
    params: WorkloadParams,
}

impl Workload {
    /// Builds the check.
    pub fn new(params: WorkloadParams) -> Self {
        Workload { params }
    }
}

fn who(w: &YWorkload) -> String {
    if w.chart {
        format!("app-template controller `{}` ({})", w.name, w.kind)
    } else {
        format!("{} `{}`", w.kind, w.name)
    }
}

/// `runAsNonRoot: true` or a non-zero `runAsUser` in a security context.
fn non_root(sc: Option<&Node>) -> Option<bool> {
    let sc = sc?;
    // An explicit root user wins: `runAsNonRoot: true` with `runAsUser: 0` fails to start.
    if sc.get("runAsUser").and_then(Node::as_str) == Some("0") {
        return Some(false);
    }
    if sc.get("runAsNonRoot").is_some_and(Node::is_true) {
        return Some(true);
    }
    if sc.get("runAsNonRoot").is_some_and(Node::is_false) {
        return Some(false);
    }
    match sc.get("runAsUser").and_then(Node::as_str) {
        Some("0") => Some(false),
        Some(u) if u.parse::<u64>().is_ok() => Some(true),
        _ => None,
    }
}

impl Check for Workload {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        for doc in docs(ctx) {
            for w in workloads(doc) {
                match self.params.check {
                    WorkloadCheck::StatefulsetNotRecreate => {
                        if w.kind == "StatefulSet"
                            && w.strategy.and_then(Node::as_str) == Some("Recreate")
                        {
                            let at = w.strategy.unwrap_or(w.at);
                            out.violation(at.span.clone(), format!("{} uses strategy `Recreate`: only Deployments support it; StatefulSets handle ReadWriteOnce volumes with `RollingUpdate`", who(&w)));
                        }
                    }
                    WorkloadCheck::RunAsNonRoot => {
                        let pod = non_root(w.pod_security);
                        for c in &w.containers {
                            let ok = match non_root(c.security) {
                                Some(v) => v,
                                None => pod.unwrap_or(false),
                            };
                            if !ok {
                                let at = c
                                    .security
                                    .and_then(|s| {
                                        s.key_node("runAsUser").or(s.key_node("runAsNonRoot"))
                                    })
                                    .or(c.map.key_node("securityContext"))
                                    .unwrap_or(c.node);
                                out.violation(at.span.clone(), format!("container `{}` of {} may run as root: set `runAsNonRoot: true` and a non-zero `runAsUser` (container or pod securityContext)", c.name, who(&w)));
                            }
                        }
                    }
                    WorkloadCheck::DropAllCapabilities => {
                        for c in &w.containers {
                            let drop = c.security.and_then(|s| s.path(&["capabilities", "drop"]));
                            let all = drop.is_some_and(|d| {
                                d.items().iter().any(|i| {
                                    i.as_str().is_some_and(|s| s.eq_ignore_ascii_case("ALL"))
                                })
                            });
                            if !all {
                                let at = c
                                    .security
                                    .and_then(|s| s.get("capabilities"))
                                    .and_then(|caps| caps.key_node("drop"))
                                    .or(c.map.key_node("securityContext"))
                                    .unwrap_or(c.node);
                                out.violation(at.span.clone(), format!("container `{}` of {} does not drop all capabilities: set `securityContext.capabilities.drop: [ALL]`", c.name, who(&w)));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A Deployment (plain, or an app-template controller of type deployment) mounting a
/// ReadWriteOnce claim must use `Recreate`: a rolling update starts the new pod while the
/// old one holds the volume (Multi-Attach error).
pub fn rwo_recreate(ctx: &FileContext, w: &YWorkload, out: &mut Emitter) {
    if w.kind != "Deployment" || w.strategy.and_then(Node::as_str) == Some("Recreate") {
        return;
    }
    let dir = crate::index::dir_of(&ctx.file.path);
    let rwo = |m: &str| m == "ReadWriteOnce" || m == "ReadWriteOncePod";
    let mut found = None;
    for c in &w.claims {
        match (&c.name, &c.access_mode) {
            (None, Some(mode)) => {
                let mode = ctx
                    .flux
                    .and_then(|f| f.resolve_one(dir, mode))
                    .unwrap_or(mode.clone());
                if rwo(&mode) {
                    found = Some((
                        format!(
                            "the claim the chart creates for `{}`",
                            c.node.as_str().unwrap_or("?")
                        ),
                        mode,
                    ));
                    break;
                }
            }
            (Some(name), _) => {
                if let Some((resolved, modes)) = ctx.flux.and_then(|f| f.claim_modes(dir, name)) {
                    if let Some(m) = modes.iter().find(|m| rwo(m)) {
                        found = Some((format!("claim `{resolved}`"), m.clone()));
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    let Some((claim, mode)) = found else { return };
    let now = match w.strategy.and_then(Node::as_str) {
        Some(s) => format!("uses strategy `{s}`"),
        None => "sets no strategy, so it rolls (RollingUpdate)".into(),
    };
    let at = w.strategy.unwrap_or(w.at);
    out.violation(at.span.clone(), format!("{} mounts {claim} ({mode}) but {now}: the new pod cannot attach the volume while the old one holds it (Multi-Attach error); use `strategy: Recreate`", who(w)));
}

// --------------------------------------------------------------------- shared databases

/// `shared-database`: two apps pointing at the same database (host and database name or
/// number, from connection URLs or `*_HOST` / `*_DB` pairs; see [`crate::flux_facts`]).
pub struct SharedDatabase;

impl Check for SharedDatabase {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(facts) = ctx.flux else { return };
        for r in facts.databases.iter().filter(|r| r.path == ctx.file.path) {
            let other = facts
                .databases
                .iter()
                .find(|o| o.app != r.app && o.host == r.host && o.database == r.database);
            if let Some(o) = other {
                out.violation(
                    r.span.clone(),
                    format!(
                        "app `{}` uses database `{}` on `{}`, which app `{}` also uses ({}): give each app its own database",
                        r.app, r.database, r.host, o.app, o.path
                    ),
                );
            }
        }
    }
}

// --------------------------------------------------------------------- reloader

/// Parameters of `reloader-annotation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloaderParams {
    /// The annotation and its value (`reloader.stakater.com/auto: "true"`).
    pub annotation: String,
    /// Its value.
    pub value: String,
}

/// `reloader-annotation`: workloads that use a ConfigMap generated by their directory's
/// kustomization.yaml carry the Reloader annotation, so a config change rolls them.
pub struct Reloader {
    params: ReloaderParams,
}

impl Reloader {
    /// Builds the check.
    pub fn new(params: ReloaderParams) -> Self {
        Reloader { params }
    }
}

impl Check for Reloader {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(facts) = ctx.flux else { return };
        let dir = crate::index::dir_of(&ctx.file.path);
        let generated = facts.generated_configmaps(dir);
        if generated.is_empty() {
            return;
        }
        for doc in docs(ctx) {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            let mut all = Vec::new();
            scalars(root, &mut all);
            let Some(used) = generated
                .iter()
                .find(|g| all.iter().any(|n| n.as_str() == Some(g.as_str())))
            else {
                continue;
            };
            for w in workloads(doc) {
                let ok = w
                    .annotations
                    .and_then(|a| a.get(&self.params.annotation))
                    .and_then(Node::as_str)
                    == Some(self.params.value.as_str());
                if !ok {
                    out.violation(
                        w.at.span.clone(),
                        format!(
                            "{} uses the generated ConfigMap `{used}` but lacks the annotation `{}: \"{}\"`: a config change would not restart it",
                            who(&w),
                            self.params.annotation,
                            self.params.value
                        ),
                    );
                }
            }
        }
    }
}
