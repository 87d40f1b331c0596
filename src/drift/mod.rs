//! Drift: what the repository declares compared with what the cluster runs.
//!
//! Classes: `missing` (declared, absent live), `unmanaged` (live, declared nowhere, created by
//! hand), `changed` (a compared field differs), `unsuppressed-mutation` (an admission policy
//! injected a field the declaring resource does not ignore), plus `unresolved` (declared
//! objects that could not be evaluated) and `not-measured` (kinds that could not be read),
//! which are never called drift.

mod live_fields;
pub mod mutations;
pub mod report;
pub mod state;

use crate::finding::Location;
use crate::index::Value;
use crate::inventory::{Declared, DeclaredObject};
use crate::live::{LiveInventory, LiveObject, NotMeasured};
use crate::rules::lifecycle::path_covers;
pub use mutations::Mutation;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftClass {
    /// Declared, absent live.
    Missing,
    /// Live, declared nowhere, not created by a controller, Helm, Kyverno or Flux.
    Unmanaged,
    /// A compared field differs.
    Changed,
    /// An admission policy injected a field the declaring resource does not ignore.
    UnsuppressedMutation,
}

impl DriftClass {
    /// The class name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftClass::Missing => "missing",
            DriftClass::Unmanaged => "unmanaged",
            DriftClass::Changed => "changed",
            DriftClass::UnsuppressedMutation => "unsuppressed-mutation",
        }
    }
}

/// One field that differs, `declared -> live`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What (`container \`web\` image`).
    pub field: String,
    /// Declared value.
    pub declared: String,
    /// Live value (`(absent)` when the object lacks it).
    pub live: String,
}

/// One drifted object.
#[derive(Debug, Clone, Serialize)]
pub struct DriftItem {
    /// Class.
    pub class: DriftClass,
    /// API kind.
    pub kind: String,
    /// Namespace (`None`: cluster-scoped).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Declaring Terraform address, when declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Declaring file and line, when declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The fields that differ (changed) or were injected (mutation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// One sentence saying what differs.
    pub message: String,
}

impl DriftItem {
    /// A key stable across runs (for `--state` and fingerprints): class, kind, namespace, name.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.class.as_str(),
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }
}

/// A declared object that could not be compared, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unresolved {
    /// API kind.
    pub kind: String,
    /// Terraform address.
    pub address: String,
    /// Where it is declared.
    pub location: Location,
    /// What could not be evaluated.
    pub reason: String,
}

/// The result of a drift comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DriftReport {
    /// Drifted objects, sorted by namespace, kind, name, class.
    pub items: Vec<DriftItem>,
    /// Declared objects that could not be compared.
    pub unresolved: Vec<Unresolved>,
    /// What could not be read.
    #[serde(serialize_with = "serialize_not_measured")]
    pub not_measured: Vec<NotMeasured>,
    /// Number of declared objects compared.
    pub compared: usize,
    /// Where the live side came from.
    pub source: String,
    /// The commit audited, when known.
    pub commit: Option<String>,
}

fn serialize_not_measured<S: serde::Serializer>(
    v: &[NotMeasured],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for n in v {
        seq.serialize_element(
            &serde_json::json!({ "kind": n.kind, "namespace": n.namespace, "reason": n.reason }),
        )?;
    }
    seq.end()
}

impl DriftReport {
    /// Exit code: 1 drift, else 3 when something could not be measured, else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.items.is_empty() {
            1
        } else if !self.not_measured.is_empty() {
            3
        } else {
            0
        }
    }

    /// Number of items of a class.
    pub fn count(&self, class: DriftClass) -> usize {
        self.items.iter().filter(|i| i.class == class).count()
    }
}

/// What to compare.
#[derive(Debug, Clone)]
pub struct DriftOptions {
    /// Only these namespaces (all when empty).
    pub namespaces: Vec<String>,
    /// Only these kinds (all when empty).
    pub kinds: Vec<String>,
    /// Namespaces whose live objects are never called unmanaged.
    pub ignored_namespaces: Vec<String>,
    /// Only call objects unmanaged in namespaces where some declared object lives.
    pub only_declared_namespaces: bool,
    /// Known admission-policy mutations (pack data).
    pub mutations: Vec<Mutation>,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            namespaces: Vec::new(),
            kinds: Vec::new(),
            ignored_namespaces: vec![
                "kube-system".into(),
                "kube-public".into(),
                "kube-node-lease".into(),
            ],
            only_declared_namespaces: false,
            mutations: mutations::defaults(),
        }
    }
}

type Key = (String, Option<String>, String);

fn known(v: &Value) -> Result<String, String> {
    match v {
        Value::Known(s) => Ok(s.clone()),
        Value::Unknown(why) => Err(why.clone()),
    }
}

/// Compares the declared inventory with the live one.
pub fn compare(declared: &Declared, live: &LiveInventory, opts: &DriftOptions) -> DriftReport {
    let wanted_kind =
        |k: &str| opts.kinds.is_empty() || opts.kinds.iter().any(|x| x.eq_ignore_ascii_case(k));
    let wanted_ns = |ns: Option<&str>| {
        opts.namespaces.is_empty() || ns.is_some_and(|n| opts.namespaces.iter().any(|x| x == n))
    };
    let mut report = DriftReport {
        source: live.source.clone(),
        not_measured: live.not_measured.clone(),
        ..Default::default()
    };

    let live_index: HashMap<Key, &LiveObject> = live
        .objects
        .iter()
        .map(|o| ((o.kind.clone(), o.namespace.clone(), o.name.clone()), o))
        .collect();
    let read: BTreeSet<&str> = live.kinds_read.iter().map(String::as_str).collect();
    let not_measured = |kind: &str, ns: Option<&str>| {
        !read.contains(kind)
            || live
                .not_measured
                .iter()
                .any(|n| n.kind == kind && (n.namespace.is_none() || n.namespace.as_deref() == ns))
    };

    let mut matched: BTreeSet<Key> = BTreeSet::new();
    let mut declared_namespaces: BTreeSet<String> = BTreeSet::new();
    let mut unmeasured_kinds: BTreeSet<String> = BTreeSet::new();
    for obj in &declared.objects {
        if !wanted_kind(&obj.kind) {
            continue;
        }
        let ns = match obj.namespace.as_ref().map(known).transpose() {
            Ok(ns) => ns,
            Err(why) => {
                report
                    .unresolved
                    .push(unresolved(obj, format!("namespace: {why}")));
                continue;
            }
        };
        let name = match known(&obj.name) {
            Ok(n) => n,
            Err(why) => {
                report
                    .unresolved
                    .push(unresolved(obj, format!("name: {why}")));
                continue;
            }
        };
        // A namespace filter leaves out cluster-scoped objects too (wanted_ns(None) is false).
        if !wanted_ns(ns.as_deref()) {
            continue;
        }
        if let Some(n) = &ns {
            declared_namespaces.insert(n.clone());
        }
        let key = (obj.kind.clone(), ns.clone(), name.clone());
        matched.insert(key.clone());
        if not_measured(&obj.kind, ns.as_deref()) {
            unmeasured_kinds.insert(obj.kind.clone());
            continue;
        }
        report.compared += 1;
        match live_index.get(&key) {
            None => report.items.push(item(
                DriftClass::Missing,
                obj,
                ns,
                name,
                Vec::new(),
                "declared, but absent from the cluster".into(),
            )),
            Some(live_obj) => {
                let changes = changed_fields(obj, live_obj);
                if !changes.is_empty() {
                    let msg = changes
                        .iter()
                        .map(|c| format!("{}: {} -> {}", c.field, c.declared, c.live))
                        .collect::<Vec<_>>()
                        .join("; ");
                    report.items.push(item(
                        DriftClass::Changed,
                        obj,
                        ns.clone(),
                        name.clone(),
                        changes,
                        msg,
                    ));
                }
                let injected = mutations::unsuppressed(&opts.mutations, obj, live_obj);
                if !injected.is_empty() {
                    let msg = format!(
                        "{} not ignored by the resource: every plan shows it as drift",
                        injected
                            .iter()
                            .map(|c| c.field.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    report.items.push(item(
                        DriftClass::UnsuppressedMutation,
                        obj,
                        ns,
                        name,
                        injected,
                        msg,
                    ));
                }
            }
        }
    }
    for kind in unmeasured_kinds {
        if !report.not_measured.iter().any(|n| n.kind == kind) {
            report.not_measured.push(NotMeasured {
                kind,
                namespace: None,
                reason: "not in the live input (not read)".into(),
            });
        }
    }

    let sts_claims = statefulset_claim_prefixes(live);
    for o in &live.objects {
        let key = (o.kind.clone(), o.namespace.clone(), o.name.clone());
        if matched.contains(&key) || !wanted_kind(&o.kind) || !wanted_ns(o.namespace.as_deref()) {
            continue;
        }
        if let Some(ns) = &o.namespace {
            if opts.ignored_namespaces.contains(ns)
                || (opts.only_declared_namespaces && !declared_namespaces.contains(ns))
            {
                continue;
            }
        }
        if managed_elsewhere(o, &sts_claims) {
            continue;
        }
        report.items.push(DriftItem {
            class: DriftClass::Unmanaged,
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
            address: None,
            location: None,
            changes: Vec::new(),
            message: "live, but declared nowhere in the repository (created by hand?)".into(),
        });
    }
    for r in &declared.releases {
        let (Ok(name), Ok(ns)) = (known(&r.name), known(&r.namespace)) else {
            report.unresolved.push(Unresolved {
                kind: "HelmRelease".into(),
                address: r.address.clone(),
                location: r.location.clone(),
                reason: "release name or namespace could not be evaluated".into(),
            });
            continue;
        };
        let present = live
            .objects
            .iter()
            .any(|o| helm_release_of(o) == Some((name.as_str(), ns.as_str())));
        if !present
            && !live.objects.is_empty()
            && wanted_ns(Some(&ns))
            && wanted_kind("HelmRelease")
        {
            report.items.push(DriftItem {
                class: DriftClass::Missing,
                kind: "HelmRelease".into(),
                namespace: Some(ns),
                name,
                address: Some(r.address.clone()),
                location: Some(r.location.clone()),
                changes: Vec::new(),
                message:
                    "declared Helm release, but no live object carries its release annotations"
                        .into(),
            });
        }
    }
    report.items.sort_by(|a, b| {
        (&a.namespace, &a.kind, &a.name, a.class).cmp(&(&b.namespace, &b.kind, &b.name, b.class))
    });
    report.not_measured.sort();
    report
}

fn unresolved(obj: &DeclaredObject, reason: String) -> Unresolved {
    Unresolved {
        kind: obj.kind.clone(),
        address: obj.address.clone(),
        location: obj.location.clone(),
        reason,
    }
}

fn item(
    class: DriftClass,
    obj: &DeclaredObject,
    ns: Option<String>,
    name: String,
    changes: Vec<Change>,
    message: String,
) -> DriftItem {
    DriftItem {
        class,
        kind: obj.kind.clone(),
        namespace: ns,
        name,
        address: Some(obj.address.clone()),
        location: Some(obj.location.clone()),
        changes,
        message,
    }
}

/// Whether Terraform would ignore a field of `obj` (its path is in ignore_changes).
pub fn ignored(obj: &DeclaredObject, tf_path: &str) -> bool {
    obj.ignore_all || obj.ignore_paths.iter().any(|p| path_covers(p, tf_path))
}

fn changed_fields(obj: &DeclaredObject, live: &LiveObject) -> Vec<Change> {
    let mut out = Vec::new();
    for f in &obj.fields {
        let Value::Known(declared) = &f.value else {
            continue;
        };
        if ignored(obj, &f.tf_path) {
            continue;
        }
        let live_value = live_fields::live_value(live, &f.field);
        let same = live_value
            .as_deref()
            .is_some_and(|l| live_fields::same(&f.field, declared, l));
        if !same {
            out.push(Change {
                field: live_fields::describe(&f.field),
                declared: declared.clone(),
                live: live_value.unwrap_or_else(|| "(absent)".into()),
            });
        }
    }
    out
}

fn helm_release_of(o: &LiveObject) -> Option<(&str, &str)> {
    Some((
        o.annotations.get("meta.helm.sh/release-name")?,
        o.annotations.get("meta.helm.sh/release-namespace")?,
    ))
}

/// `(namespace, "<template>-<statefulset>-")` for every live stateful set's claim templates:
/// their PVCs are created by the controller without owner references.
fn statefulset_claim_prefixes(live: &LiveInventory) -> BTreeSet<(Option<String>, String)> {
    let mut out = BTreeSet::new();
    for o in live.objects.iter().filter(|o| o.kind == "StatefulSet") {
        let templates = o
            .raw
            .pointer("/spec/volumeClaimTemplates")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        for t in templates {
            if let Some(n) = t.pointer("/metadata/name").and_then(|v| v.as_str()) {
                out.insert((o.namespace.clone(), format!("{n}-{}-", o.name)));
            }
        }
    }
    out
}

/// Whether something other than a person created the object: a controller (owner
/// references), Helm, Kyverno, Flux, a CSI provisioner, the stateful-set controller, or
/// Kubernetes itself (default service accounts, the root CA config map).
fn managed_elsewhere(o: &LiveObject, sts_claims: &BTreeSet<(Option<String>, String)>) -> bool {
    let label = |k: &str| o.labels.get(k).map(String::as_str);
    let managed_by = label("app.kubernetes.io/managed-by").unwrap_or("");
    o.owned
        || managed_by.eq_ignore_ascii_case("helm")
        || managed_by.eq_ignore_ascii_case("kyverno")
        || helm_release_of(o).is_some()
        || o.labels.keys().any(|k| {
            k.starts_with("generate.kyverno.io/")
                || k.starts_with("kustomize.toolkit.fluxcd.io/")
                || k.starts_with("helm.toolkit.fluxcd.io/")
        })
        || label("owner") == Some("helm")
        || o.annotations
            .contains_key("pv.kubernetes.io/provisioned-by")
        || (o.kind == "PersistentVolumeClaim"
            && sts_claims
                .iter()
                .any(|(ns, p)| ns == &o.namespace && o.name.starts_with(p.as_str())))
        || (o.kind == "ServiceAccount" && o.name == "default")
        || (o.kind == "ConfigMap" && o.name == "kube-root-ca.crt")
        || (o.kind == "Namespace"
            && ["default", "kube-system", "kube-public", "kube-node-lease"]
                .contains(&o.name.as_str()))
        || o.raw
            .pointer("/type")
            .and_then(|t| t.as_str())
            .is_some_and(|t| {
                t == "kubernetes.io/service-account-token" || t.starts_with("helm.sh/")
            })
}

/// Counts per (class, kind, namespace), for metrics.
pub fn tally(report: &DriftReport) -> BTreeMap<(DriftClass, String, String), usize> {
    let mut out = BTreeMap::new();
    for i in &report.items {
        *out.entry((
            i.class,
            i.kind.clone(),
            i.namespace.clone().unwrap_or_default(),
        ))
        .or_default() += 1;
    }
    out
}

#[cfg(test)]
mod tests;
