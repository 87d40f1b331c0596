//! What the repository declares, as Kubernetes objects with evaluated identities and the
//! fields drift compares: from `kubernetes_<kind>` resources, `kubernetes_manifest`
//! objects, local modules expanded with their inputs, and `helm_release`s.

use crate::finding::Location;
use crate::index::Value;

/// A field drift compares, with where Terraform keeps it (for `ignore_changes`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// Image of the container with this name.
    Image { container: String },
    /// Image of the init container with this name.
    InitImage { container: String },
    /// `spec.replicas`.
    Replicas,
    /// Deployment `spec.strategy.type` / StatefulSet `spec.updateStrategy.type`.
    Strategy,
    /// PVC / PV storage class.
    StorageClass,
    /// PVC requested size / PV capacity.
    StorageSize,
    /// PV / StorageClass mount options, comma-joined in declared order.
    MountOptions,
    /// A label the resource declares.
    Label(String),
    /// An annotation the resource declares.
    Annotation(String),
    /// A literal env value of a container.
    Env { container: String, name: String },
}

/// One declared field.
#[derive(Debug, Clone)]
pub struct DeclaredField {
    /// Which field.
    pub field: Field,
    /// Its evaluated value (unknown values are never compared).
    pub value: Value,
    /// The Terraform attribute path, as `ignore_changes` would name it
    /// (`spec[0].template[0].spec[0].container[1].image`).
    pub tf_path: String,
}

/// A Kubernetes object the repository declares.
#[derive(Debug, Clone)]
pub struct DeclaredObject {
    /// API kind.
    pub kind: String,
    /// Namespace (`None` for cluster-scoped kinds; `default` when a namespaced object sets none).
    pub namespace: Option<Value>,
    /// `metadata.name`.
    pub name: Value,
    /// Terraform address, with the module path when it comes from a module call
    /// (`module.nfs_data.kubernetes_persistent_volume_claim.this`).
    pub address: String,
    /// Where it is declared (the resource header, or the module call).
    pub location: Location,
    /// Compared fields.
    pub fields: Vec<DeclaredField>,
    /// `lifecycle { ignore_changes = all }`.
    pub ignore_all: bool,
    /// Normalized `ignore_changes` paths.
    pub ignore_paths: Vec<String>,
}

/// A `helm_release`: its objects are attributed through Helm's release annotations.
#[derive(Debug, Clone)]
pub struct DeclaredRelease {
    /// Release name.
    pub name: Value,
    /// Release namespace.
    pub namespace: Value,
    /// Terraform address.
    pub address: String,
    /// Where it is declared.
    pub location: Location,
}

/// Everything the repository declares.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// Objects.
    pub objects: Vec<DeclaredObject>,
    /// Helm releases.
    pub releases: Vec<DeclaredRelease>,
}
