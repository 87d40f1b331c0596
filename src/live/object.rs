//! One object's JSON -> [`LiveObject`], with secret and config values removed first.
//!
//! Both inputs (API lists and snapshot files) go through [`from_json`], so the rule "never
//! keep secret values" lives in one place: the `data`, `stringData` and `binaryData` of
//! Secrets and ConfigMaps are dropped, and so is their
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, which repeats the whole
//! object (values included) for anything created with `kubectl apply` and which the API
//! returns even in metadata-only lists.

use super::LiveObject;
use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Top-level fields that hold Secret and ConfigMap values.
const DATA_FIELDS: &[&str] = &["data", "stringData", "binaryData"];

/// The annotation `kubectl apply` writes: a full copy of the applied object.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether objects of `kind` carry values that must never be kept (Secret, ConfigMap).
pub fn holds_values(kind: &str) -> bool {
    matches!(kind, "Secret" | "ConfigMap")
}

/// Builds a [`LiveObject`] from an object's JSON.
///
/// `kind` and `api_version` are the object's type, which the caller knows even when the
/// JSON lacks it (items of typed lists such as `DeploymentList` usually do); they are
/// written into `raw` so every raw object is self-describing. Fails when the JSON is not an
/// object, has no `metadata.name`, or has a label or annotation that is not a string.
pub fn from_json(kind: &str, api_version: &str, value: Value) -> Result<LiveObject> {
    let Value::Object(mut map) = value else {
        bail!("{kind} item is not a JSON object");
    };
    if holds_values(kind) {
        scrub(&mut map);
    }
    map.insert("kind".into(), Value::String(kind.to_string()));
    map.insert("apiVersion".into(), Value::String(api_version.to_string()));

    let metadata = map.get("metadata").and_then(Value::as_object);
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .with_context(|| format!("{kind} item has no metadata.name"))?
        .to_string();
    let field = |key: &str| metadata.and_then(|m| m.get(key));
    let namespace = field("namespace")
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty())
        .map(str::to_string);
    let labels =
        string_map(field("labels")).with_context(|| format!("{kind} {name}: metadata.labels"))?;
    let annotations = string_map(field("annotations"))
        .with_context(|| format!("{kind} {name}: metadata.annotations"))?;
    let owned = field("ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| !refs.is_empty());

    Ok(LiveObject {
        kind: kind.to_string(),
        api_version: api_version.to_string(),
        namespace,
        name,
        labels,
        annotations,
        owned,
        raw: Value::Object(map),
    })
}

/// Removes value-bearing fields and the last-applied annotation from one object.
fn scrub(map: &mut Map<String, Value>) {
    for field in DATA_FIELDS {
        map.remove(*field);
    }
    if let Some(annotations) = map
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        annotations.remove(LAST_APPLIED);
    }
}

/// A `metadata.labels`-style map (absent or `null` is empty).
fn string_map(value: Option<&Value>) -> Result<BTreeMap<String, String>> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let Some(map) = value.as_object() else {
        bail!("not a map");
    };
    map.iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_string())),
            None => bail!("value of {k:?} is not a string"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_identity_labels_annotations_and_owners() {
        let obj = from_json(
            "Job",
            "batch/v1",
            json!({
                "metadata": {
                    "name": "backup-123", "namespace": "db",
                    "labels": {"app": "backup"},
                    "annotations": {"note": "x"},
                    "ownerReferences": [{"kind": "CronJob", "name": "backup"}]
                },
                "spec": {"parallelism": 1}
            }),
        )
        .unwrap();
        assert_eq!(obj.kind, "Job");
        assert_eq!(obj.namespace.as_deref(), Some("db"));
        assert_eq!(obj.labels["app"], "backup");
        assert_eq!(obj.annotations["note"], "x");
        assert!(obj.owned);
        assert_eq!(obj.raw["kind"], "Job");
        assert_eq!(obj.raw["apiVersion"], "batch/v1");
        assert_eq!(obj.raw["spec"]["parallelism"], 1);
    }

    #[test]
    fn drops_values_and_last_applied_from_secrets_and_configmaps() {
        for kind in ["Secret", "ConfigMap"] {
            let obj = from_json(
                kind,
                "v1",
                json!({
                    "metadata": {"name": "creds", "annotations": {
                        LAST_APPLIED: "{\"stringData\":{\"password\":\"hunter2\"}}",
                        "keep": "me"
                    }},
                    "data": {"password": "aHVudGVyMg=="},
                    "stringData": {"password": "hunter2"},
                    "binaryData": {"blob": "AAAA"},
                    "type": "Opaque"
                }),
            )
            .unwrap();
            let text = format!("{obj:?}");
            assert!(!text.contains("hunter2") && !text.contains("aHVudGVyMg=="));
            assert!(!text.contains("AAAA"));
            assert_eq!(obj.annotations.len(), 1);
            assert_eq!(obj.raw["type"], "Opaque");
        }
    }

    #[test]
    fn keeps_data_of_other_kinds_and_cluster_scope() {
        let obj = from_json(
            "Namespace",
            "v1",
            json!({"metadata": {"name": "apps", "namespace": "", "labels": null}, "data": 1}),
        )
        .unwrap();
        assert_eq!(obj.namespace, None);
        assert!(obj.labels.is_empty());
        assert!(!obj.owned);
        assert_eq!(obj.raw["data"], 1);
    }

    #[test]
    fn rejects_bad_items_with_context() {
        let err = from_json("Service", "v1", json!({"metadata": {}})).unwrap_err();
        assert_eq!(err.to_string(), "Service item has no metadata.name");
        let err = from_json("Service", "v1", json!([])).unwrap_err();
        assert!(err.to_string().contains("not a JSON object"));
        let err = from_json(
            "Service",
            "v1",
            json!({"metadata": {"name": "web", "labels": {"n": 1}}}),
        )
        .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "Service web: metadata.labels: value of \"n\" is not a string"
        );
    }
}
