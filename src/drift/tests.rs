//! Drift comparison on hand-built inventories.

use super::*;
use crate::finding::Location;
use crate::inventory::{DeclaredBy, DeclaredField, DeclaredObject, DeclaredRelease, Field};
use crate::live::{LiveInventory, LiveObject, NotMeasured};
use serde_json::json;
use std::collections::BTreeMap;

fn loc(line: usize) -> Location {
    Location {
        path: "stacks/blog/main.tf".into(),
        span: 0..0,
        line,
        column: 1,
        end_line: line,
        end_column: 2,
    }
}

fn declared(
    kind: &str,
    ns: Option<&str>,
    name: &str,
    fields: Vec<(Field, &str, &str)>,
) -> DeclaredObject {
    DeclaredObject {
        kind: kind.into(),
        namespace: ns.map(|n| Value::Known(n.into())),
        name: Value::Known(name.into()),
        address: format!("kubernetes_{}.{name}", kind.to_lowercase()),
        location: loc(10),
        fields: fields
            .into_iter()
            .map(|(field, value, tf_path)| DeclaredField {
                field,
                value: Value::Known(value.into()),
                tf_path: tf_path.into(),
            })
            .collect(),
        ignore_all: false,
        ignore_paths: Vec::new(),
        declared_by: DeclaredBy::Terraform,
    }
}

fn live(kind: &str, ns: Option<&str>, name: &str, raw: serde_json::Value) -> LiveObject {
    let map = |p: &str| -> BTreeMap<String, String> {
        raw.pointer(p)
            .and_then(|v| v.as_object())
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    LiveObject {
        kind: kind.into(),
        api_version: "v1".into(),
        namespace: ns.map(String::from),
        name: name.into(),
        labels: map("/metadata/labels"),
        annotations: map("/metadata/annotations"),
        owned: raw.pointer("/metadata/ownerReferences").is_some(),
        raw,
    }
}

fn inventory(objects: Vec<LiveObject>, kinds: &[&str]) -> LiveInventory {
    LiveInventory {
        objects,
        not_measured: Vec::new(),
        kinds_read: kinds.iter().map(|k| k.to_string()).collect(),
        source: "test".into(),
    }
}

const IMAGE_PATH: &str = "spec[0].template[0].spec[0].container[0].image";

fn deployment_json(image: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut v = json!({
        "metadata": { "name": "web", "namespace": "blog", "annotations": {} },
        "spec": { "replicas": 2, "template": { "spec": { "containers": [{ "name": "nginx", "image": image }] } } }
    });
    if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        for (k, val) in extra {
            if k == "dnsConfig" {
                obj["spec"]["template"]["spec"]["dnsConfig"] = val.clone();
            } else if k == "annotations" {
                obj["metadata"]["annotations"] = val.clone();
            }
        }
    }
    v
}

fn web(ignore: &[&str]) -> DeclaredObject {
    let mut d = declared(
        "Deployment",
        Some("blog"),
        "web",
        vec![
            (
                Field::Image {
                    container: "nginx".into(),
                },
                "nginx:1.27.0",
                IMAGE_PATH,
            ),
            (Field::Replicas, "2", "spec[0].replicas"),
        ],
    );
    d.ignore_paths = ignore.iter().map(|s| s.to_string()).collect();
    d
}

#[test]
fn changed_images_are_reported_unless_ignored() {
    let live_inv = inventory(
        vec![live(
            "Deployment",
            Some("blog"),
            "web",
            deployment_json("nginx:1.27.1", json!({})),
        )],
        &["Deployment"],
    );
    let decl = Declared {
        objects: vec![web(&[])],
        releases: Vec::new(),
        ..Default::default()
    };
    let report = compare(&decl, &live_inv, &DriftOptions::default());
    assert_eq!(report.items.len(), 1);
    let item = &report.items[0];
    assert_eq!(item.class, DriftClass::Changed);
    assert_eq!(
        item.changes,
        vec![Change {
            field: "container `nginx` image".into(),
            declared: "nginx:1.27.0".into(),
            live: "nginx:1.27.1".into()
        }]
    );
    assert_eq!(report.exit_code(), 1);

    let decl = Declared {
        objects: vec![web(&["spec[0].template[0].spec[0].container"])],
        releases: Vec::new(),
        ..Default::default()
    };
    assert!(compare(&decl, &live_inv, &DriftOptions::default())
        .items
        .is_empty());
}

#[test]
fn missing_only_when_the_kind_was_read() {
    let decl = Declared {
        objects: vec![web(&[])],
        releases: Vec::new(),
        ..Default::default()
    };
    let report = compare(
        &decl,
        &inventory(Vec::new(), &["Deployment"]),
        &DriftOptions::default(),
    );
    assert_eq!(report.items[0].class, DriftClass::Missing);

    let report = compare(
        &decl,
        &inventory(Vec::new(), &["Service"]),
        &DriftOptions::default(),
    );
    assert!(report.items.is_empty());
    assert_eq!(report.not_measured[0].kind, "Deployment");
    assert_eq!(report.exit_code(), 3);

    let mut forbidden = inventory(Vec::new(), &["Deployment"]);
    forbidden.not_measured.push(NotMeasured {
        kind: "Deployment".into(),
        namespace: None,
        reason: "forbidden (403)".into(),
    });
    let report = compare(&decl, &forbidden, &DriftOptions::default());
    assert!(report.items.is_empty());
    assert_eq!(report.exit_code(), 3);
}

#[test]
fn unmanaged_excludes_controllers_helm_flux_kyverno_and_system_objects() {
    let objects = vec![
        live(
            "Deployment",
            Some("blog"),
            "by-hand",
            json!({ "metadata": {} }),
        ),
        live(
            "Deployment",
            Some("blog"),
            "owned",
            json!({ "metadata": { "ownerReferences": [{}] } }),
        ),
        live(
            "Deployment",
            Some("blog"),
            "helm",
            json!({ "metadata": { "labels": { "app.kubernetes.io/managed-by": "Helm" } } }),
        ),
        live(
            "Deployment",
            Some("blog"),
            "flux",
            json!({ "metadata": { "labels": { "kustomize.toolkit.fluxcd.io/name": "x" } } }),
        ),
        live(
            "ConfigMap",
            Some("blog"),
            "kube-root-ca.crt",
            json!({ "metadata": {} }),
        ),
        live(
            "Deployment",
            Some("kube-system"),
            "coredns",
            json!({ "metadata": {} }),
        ),
        live(
            "StatefulSet",
            Some("blog"),
            "db",
            json!({ "metadata": { "ownerReferences": [] }, "spec": { "volumeClaimTemplates": [{ "metadata": { "name": "data" } }] } }),
        ),
        live(
            "PersistentVolumeClaim",
            Some("blog"),
            "data-db-0",
            json!({ "metadata": {} }),
        ),
    ];
    let mut objects = objects;
    objects[6].owned = true;
    let report = compare(
        &Declared::default(),
        &inventory(
            objects,
            &[
                "Deployment",
                "ConfigMap",
                "StatefulSet",
                "PersistentVolumeClaim",
            ],
        ),
        &DriftOptions::default(),
    );
    let names: Vec<&str> = report.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, vec!["by-hand"]);
    assert_eq!(report.items[0].class, DriftClass::Unmanaged);
}

#[test]
fn injected_dns_config_and_keel_annotations_are_unsuppressed_mutations() {
    let raw = deployment_json(
        "nginx:1.27.0",
        json!({ "dnsConfig": { "options": [{ "name": "ndots", "value": "2" }] }, "annotations": { "keel.sh/policy": "patch" } }),
    );
    let live_inv = inventory(
        vec![live("Deployment", Some("blog"), "web", raw)],
        &["Deployment"],
    );
    let report = compare(
        &Declared {
            objects: vec![web(&[])],
            releases: Vec::new(),
            ..Default::default()
        },
        &live_inv,
        &DriftOptions::default(),
    );
    assert_eq!(report.items.len(), 1);
    assert_eq!(report.items[0].class, DriftClass::UnsuppressedMutation);
    assert_eq!(report.items[0].changes.len(), 2);

    let ignoring = web(&[
        "spec[0].template[0].spec[0].dns_config",
        "metadata[0].annotations",
    ]);
    let report = compare(
        &Declared {
            objects: vec![ignoring],
            releases: Vec::new(),
            ..Default::default()
        },
        &live_inv,
        &DriftOptions::default(),
    );
    assert!(report.items.is_empty(), "{:?}", report.items);

    // A YAML manifest (server-side applied by Flux) does not fight injected fields.
    let mut manifest = web(&[]);
    manifest.declared_by = DeclaredBy::Manifest;
    let report = compare(
        &Declared {
            objects: vec![manifest],
            ..Default::default()
        },
        &live_inv,
        &DriftOptions::default(),
    );
    assert!(report.items.is_empty(), "{:?}", report.items);
}

#[test]
fn unknown_identities_are_unresolved_not_drift() {
    let mut d = web(&[]);
    d.namespace = Some(Value::Unknown("`var.ns` has no default".into()));
    let report = compare(
        &Declared {
            objects: vec![d],
            releases: Vec::new(),
            ..Default::default()
        },
        &inventory(Vec::new(), &["Deployment"]),
        &DriftOptions::default(),
    );
    assert!(report.items.is_empty());
    assert_eq!(report.unresolved.len(), 1);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn helm_releases_attribute_their_objects() {
    let release = DeclaredRelease {
        name: Value::Known("kured".into()),
        namespace: Value::Known("kured".into()),
        address: "helm_release.kured".into(),
        location: loc(3),
    };
    let obj = live(
        "DaemonSet",
        Some("kured"),
        "kured",
        json!({ "metadata": { "annotations": { "meta.helm.sh/release-name": "kured", "meta.helm.sh/release-namespace": "kured" } } }),
    );
    let decl = Declared {
        objects: Vec::new(),
        releases: vec![release],
        ..Default::default()
    };
    assert!(compare(
        &decl,
        &inventory(vec![obj], &["DaemonSet"]),
        &DriftOptions::default()
    )
    .items
    .is_empty());
    let other = live(
        "DaemonSet",
        Some("x"),
        "y",
        json!({ "metadata": { "ownerReferences": [{}] } }),
    );
    let mut inv = inventory(vec![other], &["DaemonSet"]);
    inv.objects[0].owned = true;
    let report = compare(&decl, &inv, &DriftOptions::default());
    assert_eq!(report.items[0].class, DriftClass::Missing);
    assert_eq!(report.items[0].kind, "HelmRelease");
}
