//! The Kubernetes kinds drift knows: API group, version, plural, scope, and the Terraform
//! resource types that declare them.

/// One API kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    /// Kind, e.g. `Deployment`.
    pub kind: &'static str,
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// Version, e.g. `v1`.
    pub version: &'static str,
    /// Plural resource name, e.g. `deployments`.
    pub plural: &'static str,
    /// Namespaced (`false` for cluster-scoped kinds).
    pub namespaced: bool,
    /// Read metadata only (Secrets, ConfigMaps: their data is never fetched).
    pub metadata_only: bool,
    /// Terraform kubernetes-provider resource type stems (`kubernetes_<stem>` and `_v1`).
    pub tf_stems: &'static [&'static str],
}

/// Every kind drift compares.
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "Namespace",
        group: "",
        version: "v1",
        plural: "namespaces",
        namespaced: false,
        metadata_only: false,
        tf_stems: &["namespace"],
    },
    KindSpec {
        kind: "Deployment",
        group: "apps",
        version: "v1",
        plural: "deployments",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["deployment"],
    },
    KindSpec {
        kind: "StatefulSet",
        group: "apps",
        version: "v1",
        plural: "statefulsets",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["stateful_set"],
    },
    KindSpec {
        kind: "DaemonSet",
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["daemon_set", "daemonset"],
    },
    KindSpec {
        kind: "CronJob",
        group: "batch",
        version: "v1",
        plural: "cronjobs",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["cron_job"],
    },
    KindSpec {
        kind: "Job",
        group: "batch",
        version: "v1",
        plural: "jobs",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["job"],
    },
    KindSpec {
        kind: "Service",
        group: "",
        version: "v1",
        plural: "services",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["service"],
    },
    KindSpec {
        kind: "Ingress",
        group: "networking.k8s.io",
        version: "v1",
        plural: "ingresses",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["ingress"],
    },
    KindSpec {
        kind: "PersistentVolume",
        group: "",
        version: "v1",
        plural: "persistentvolumes",
        namespaced: false,
        metadata_only: false,
        tf_stems: &["persistent_volume"],
    },
    KindSpec {
        kind: "PersistentVolumeClaim",
        group: "",
        version: "v1",
        plural: "persistentvolumeclaims",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["persistent_volume_claim"],
    },
    KindSpec {
        kind: "StorageClass",
        group: "storage.k8s.io",
        version: "v1",
        plural: "storageclasses",
        namespaced: false,
        metadata_only: false,
        tf_stems: &["storage_class"],
    },
    KindSpec {
        kind: "ConfigMap",
        group: "",
        version: "v1",
        plural: "configmaps",
        namespaced: true,
        metadata_only: true,
        tf_stems: &["config_map"],
    },
    KindSpec {
        kind: "Secret",
        group: "",
        version: "v1",
        plural: "secrets",
        namespaced: true,
        metadata_only: true,
        tf_stems: &["secret"],
    },
    KindSpec {
        kind: "ServiceAccount",
        group: "",
        version: "v1",
        plural: "serviceaccounts",
        namespaced: true,
        metadata_only: false,
        tf_stems: &["service_account"],
    },
];

/// The kind a Terraform resource type declares (`kubernetes_deployment_v1` -> Deployment).
pub fn for_tf_type(resource_type: &str) -> Option<&'static KindSpec> {
    let stem = resource_type.strip_prefix("kubernetes_")?;
    let stem = stem.strip_suffix("_v1").unwrap_or(stem);
    KINDS.iter().find(|k| k.tf_stems.contains(&stem))
}

/// The spec of `kind`.
pub fn by_kind(kind: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_terraform_types() {
        assert_eq!(
            for_tf_type("kubernetes_deployment_v1").unwrap().kind,
            "Deployment"
        );
        assert_eq!(
            for_tf_type("kubernetes_daemonset").unwrap().kind,
            "DaemonSet"
        );
        assert_eq!(
            for_tf_type("kubernetes_persistent_volume_claim")
                .unwrap()
                .kind,
            "PersistentVolumeClaim"
        );
        assert!(for_tf_type("kubernetes_manifest").is_none());
        assert!(!by_kind("StorageClass").unwrap().namespaced);
    }
}
