//! The cluster side of drift: what the cluster runs, read-only, from the Kubernetes API or
//! from `kubectl get ... -o json` List files (an equal input, so drift runs offline too).
//!
//! Secret values never enter this module's output: Secrets and ConfigMaps are read
//! metadata-only from the API, and their `data`/`stringData`/`binaryData` are dropped from
//! snapshot files on load.

pub mod kinds;

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
