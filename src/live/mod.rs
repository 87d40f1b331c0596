//! The cluster side of drift: what the cluster runs, read-only, from the Kubernetes API or
//! from `kubectl get ... -o json` List files (an equal input, so drift runs offline too).
//!
//! Secret values never enter this module's output: Secrets and ConfigMaps are read
//! metadata-only from the API, and their `data`/`stringData`/`binaryData` are dropped from
//! snapshot files on load.

pub mod api;
pub mod kinds;
mod object;
pub mod snapshot;

pub use api::{from_cluster, ClusterOptions};
pub use snapshot::from_snapshots;

use std::collections::BTreeMap;

/// One live object, with the parts drift compares.
#[derive(Debug, Clone)]
pub struct LiveObject {
    /// API kind, e.g. `Deployment`.
    pub kind: String,
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// Namespace; `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// Whether `metadata.ownerReferences` is non-empty (created by a controller).
    pub owned: bool,
    /// The object as JSON, without secret or config data.
    pub raw: serde_json::Value,
}

/// A kind (optionally in one namespace) that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NotMeasured {
    /// API kind.
    pub kind: String,
    /// Namespace, when the failure was namespace-scoped.
    pub namespace: Option<String>,
    /// What went wrong (HTTP status and message, timeout, ...), never a token or URL secret.
    pub reason: String,
}

/// Everything read from the cluster (or snapshots).
#[derive(Debug, Clone, Default)]
pub struct LiveInventory {
    /// Objects read.
    pub objects: Vec<LiveObject>,
    /// Kinds or namespaces that could not be read.
    pub not_measured: Vec<NotMeasured>,
    /// Kinds that were read successfully (so "absent" can be told from "not read").
    pub kinds_read: Vec<String>,
    /// Where it came from: the API server URL (without credentials) or the snapshot paths.
    pub source: String,
}

impl LiveInventory {
    /// Whether objects of `kind` in `namespace` (`None`: cluster-scoped, or every namespace)
    /// were read: the kind is in `kinds_read` and no `not_measured` entry covers it. An object
    /// absent from `objects` is absent from the cluster only when this is true.
    ///
    /// An inventory read with [`ClusterOptions::namespaces`] holds only those namespaces; it
    /// does not record them, so the caller narrows the declared side to the same namespaces.
    pub fn measured(&self, kind: &str, namespace: Option<&str>) -> bool {
        self.kinds_read.iter().any(|k| k == kind)
            && !self.not_measured.iter().any(|nm| {
                nm.kind == kind
                    && (nm.namespace.is_none()
                        || namespace.is_none()
                        || nm.namespace.as_deref() == namespace)
            })
    }

    /// Puts objects in (kind, namespace, name) order, keeping the last of duplicates, and
    /// sorts and deduplicates `kinds_read` and `not_measured`, so output is deterministic.
    fn normalize(&mut self) {
        let mut by_key = BTreeMap::new();
        for obj in std::mem::take(&mut self.objects) {
            by_key.insert(
                (obj.kind.clone(), obj.namespace.clone(), obj.name.clone()),
                obj,
            );
        }
        self.objects = by_key.into_values().collect();
        self.kinds_read.sort();
        self.kinds_read.dedup();
        self.not_measured.sort();
        self.not_measured.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nm(kind: &str, namespace: Option<&str>) -> NotMeasured {
        NotMeasured {
            kind: kind.into(),
            namespace: namespace.map(str::to_string),
            reason: "forbidden (403): no".into(),
        }
    }

    #[test]
    fn measured_honours_kinds_read_and_not_measured_scope() {
        let inv = LiveInventory {
            kinds_read: vec!["Deployment".into(), "Secret".into()],
            not_measured: vec![nm("Secret", Some("media")), nm("StorageClass", None)],
            ..LiveInventory::default()
        };
        assert!(inv.measured("Deployment", Some("apps")));
        assert!(inv.measured("Deployment", None));
        assert!(inv.measured("Secret", Some("apps")));
        assert!(!inv.measured("Secret", Some("media")));
        assert!(!inv.measured("Secret", None));
        assert!(!inv.measured("StorageClass", None));
        assert!(!inv.measured("Ingress", Some("apps")));
    }
}
