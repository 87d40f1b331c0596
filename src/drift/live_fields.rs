//! Reading the compared fields out of a live object's JSON.

use crate::inventory::Field;
use crate::live::LiveObject;
use serde_json::Value as Json;

/// Pointer to the pod spec of a workload kind.
fn pod_spec(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

fn container<'a>(obj: &'a LiveObject, list: &str, name: &str) -> Option<&'a Json> {
    let spec = obj.raw.pointer(pod_spec(&obj.kind)?)?;
    spec.get(list)?
        .as_array()?
        .iter()
        .find(|c| c.get("name").and_then(Json::as_str) == Some(name))
}

fn scalar(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The live value of `field`, or `None` when the object does not have it.
pub fn live_value(obj: &LiveObject, field: &Field) -> Option<String> {
    let raw = &obj.raw;
    match field {
        Field::Image { container: c } => container(obj, "containers", c)?
            .get("image")
            .and_then(scalar),
        Field::InitImage { container: c } => container(obj, "initContainers", c)?
            .get("image")
            .and_then(scalar),
        Field::Replicas => raw.pointer("/spec/replicas").and_then(scalar),
        Field::Strategy => match obj.kind.as_str() {
            "StatefulSet" => raw.pointer("/spec/updateStrategy/type").and_then(scalar),
            _ => raw.pointer("/spec/strategy/type").and_then(scalar),
        },
        Field::StorageClass => raw.pointer("/spec/storageClassName").and_then(scalar),
        Field::StorageSize => match obj.kind.as_str() {
            "PersistentVolume" => raw.pointer("/spec/capacity/storage").and_then(scalar),
            _ => raw
                .pointer("/spec/resources/requests/storage")
                .and_then(scalar),
        },
        Field::MountOptions => {
            let ptr = if obj.kind == "StorageClass" {
                "/mountOptions"
            } else {
                "/spec/mountOptions"
            };
            let opts: Vec<String> = raw
                .pointer(ptr)?
                .as_array()?
                .iter()
                .filter_map(scalar)
                .collect();
            Some(opts.join(","))
        }
        Field::Label(k) => obj.labels.get(k).cloned(),
        Field::Annotation(k) => obj.annotations.get(k).cloned(),
        Field::DnsOptions => {
            let spec = obj.raw.pointer(pod_spec(&obj.kind)?)?;
            let mut pairs: Vec<String> = spec
                .pointer("/dnsConfig/options")?
                .as_array()?
                .iter()
                .filter_map(|o| {
                    let name = o.get("name").and_then(scalar)?;
                    Some(match o.get("value").and_then(scalar) {
                        Some(v) => format!("{name}={v}"),
                        None => name,
                    })
                })
                .collect();
            pairs.sort();
            Some(pairs.join(","))
        }
        Field::Env { container: c, name } => container(obj, "containers", c)?
            .get("env")?
            .as_array()?
            .iter()
            .find(|e| e.get("name").and_then(Json::as_str) == Some(name))?
            .get("value")
            .and_then(scalar),
    }
}

/// Whether two values are equal for this field (mount options compare as sets).
pub fn same(field: &Field, declared: &str, live: &str) -> bool {
    match field {
        Field::MountOptions => {
            fn set(s: &str) -> Vec<&str> {
                let mut v: Vec<&str> = s
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .collect();
                v.sort_unstable();
                v
            }
            set(declared) == set(live)
        }
        _ => declared == live,
    }
}

/// A short human name for a field.
pub fn describe(field: &Field) -> String {
    match field {
        Field::Image { container } => format!("container `{container}` image"),
        Field::InitImage { container } => format!("init container `{container}` image"),
        Field::Replicas => "replicas".into(),
        Field::Strategy => "update strategy".into(),
        Field::StorageClass => "storage class".into(),
        Field::StorageSize => "size".into(),
        Field::MountOptions => "mount options".into(),
        Field::Label(k) => format!("label `{k}`"),
        Field::Annotation(k) => format!("annotation `{k}`"),
        Field::Env { container, name } => format!("container `{container}` env `{name}`"),
        Field::DnsOptions => "pod DNS options".into(),
    }
}
