//! The fields drift compares, read from an evaluated object: either a Terraform
//! kubernetes-provider resource (blocks, `spec[0].template[0]...`, snake_case) or a
//! `kubernetes_manifest` object (`manifest.spec.template...`, camelCase). Each field carries
//! its Terraform path as `ignore_changes` names it.

use super::value::Val;
use super::{DeclaredField, Field};
use crate::index::Value;

/// How the object is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Provider resource: nested blocks, snake_case attributes.
    Blocks,
    /// `kubernetes_manifest`: the API object under `manifest`, camelCase.
    Manifest,
}

/// A position in the object: its value and Terraform path.
#[derive(Clone)]
pub struct Node<'v> {
    val: &'v Val,
    path: String,
    style: Style,
}

impl<'v> Node<'v> {
    /// The root of an evaluated resource body (`Blocks`) or manifest object (`Manifest`).
    pub fn root(val: &'v Val, style: Style) -> Node<'v> {
        let path = match style {
            Style::Blocks => String::new(),
            Style::Manifest => "manifest".to_string(),
        };
        Node { val, path, style }
    }

    /// The root of a Kubernetes object read from a YAML manifest: camelCase names, paths
    /// from the object itself (`spec.replicas`).
    pub fn object(val: &'v Val) -> Node<'v> {
        Node {
            val,
            path: String::new(),
            style: Style::Manifest,
        }
    }

    fn join(&self, part: &str) -> String {
        if self.path.is_empty() {
            part.to_string()
        } else {
            format!("{}.{part}", self.path)
        }
    }

    fn name<'n>(&self, tf: &'n str, k8s: &'n str) -> &'n str {
        match self.style {
            Style::Blocks => tf,
            Style::Manifest => k8s,
        }
    }

    /// A nested single block (`spec[0]`) or object (`.spec`).
    pub fn block(&self, tf: &str, k8s: &str) -> Option<Node<'v>> {
        let name = self.name(tf, k8s);
        let v = self.val.field(name)?;
        match self.style {
            Style::Blocks => match v {
                Val::List(items) => match items.first()? {
                    m @ Val::Map(_) => Some(Node {
                        val: m,
                        path: self.join(&format!("{name}[0]")),
                        style: self.style,
                    }),
                    _ => None,
                },
                _ => None,
            },
            Style::Manifest => match v {
                Val::Map(_) => Some(Node {
                    val: v,
                    path: self.join(name),
                    style: self.style,
                }),
                _ => None,
            },
        }
    }

    /// Repeated blocks (`container[i]`) or list items (`.containers[i]`); `Err` with the
    /// reason for an element (or the whole list) that is unknown.
    pub fn items(&self, tf: &str, k8s: &str) -> Vec<Result<Node<'v>, String>> {
        let name = self.name(tf, k8s);
        match self.val.field(name) {
            None => Vec::new(),
            Some(Val::List(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Val::Map(_) => Ok(Node {
                        val: v,
                        path: self.join(&format!("{name}[{i}]")),
                        style: self.style,
                    }),
                    Val::Unknown(why) => Err(why.clone()),
                    _ => Err(format!("`{name}[{i}]` is not an object")),
                })
                .collect(),
            Some(Val::Unknown(why)) => vec![Err(why.clone())],
            Some(_) => vec![Err(format!("`{name}` is not a list"))],
        }
    }

    /// An attribute and its path.
    pub fn attr(&self, tf: &str, k8s: &str) -> Option<(&'v Val, String)> {
        let name = self.name(tf, k8s);
        self.val.field(name).map(|v| (v, self.join(name)))
    }

    /// The entries of a map attribute (`labels["app"]`); `Err` when the map itself is unknown.
    pub fn entries(&self, tf: &str, k8s: &str) -> Result<Vec<(String, &'v Val, String)>, String> {
        let name = self.name(tf, k8s);
        match self.val.field(name) {
            None => Ok(Vec::new()),
            Some(Val::Map(map)) => Ok(map
                .iter()
                .map(|(k, v)| {
                    let path =
                        self.join(&format!("{name}[{}]", serde_json::Value::String(k.clone())));
                    (k.clone(), v, path)
                })
                .collect()),
            Some(Val::Unknown(why)) => Err(why.clone()),
            Some(_) => Err(format!("`{name}` is not a map")),
        }
    }
}

fn push(out: &mut Vec<DeclaredField>, field: Field, value: Value, tf_path: String) {
    out.push(DeclaredField {
        field,
        value,
        tf_path,
    });
}

/// Labels and annotations of `metadata`.
pub fn metadata_fields(root: &Node, out: &mut Vec<DeclaredField>) {
    let Some(meta) = root.block("metadata", "metadata") else {
        return;
    };
    for (key, val, path) in meta.entries("labels", "labels").unwrap_or_default() {
        push(out, Field::Label(key), val.to_value(), path);
    }
    for (key, val, path) in meta
        .entries("annotations", "annotations")
        .unwrap_or_default()
    {
        push(out, Field::Annotation(key), val.to_value(), path);
    }
}

/// The compared fields of an object of `kind` (metadata labels and annotations included).
pub fn fields(kind: &str, root: &Node) -> Vec<DeclaredField> {
    let mut out = Vec::new();
    metadata_fields(root, &mut out);
    let spec = root.block("spec", "spec");
    match kind {
        "Deployment" | "StatefulSet" => {
            let Some(spec) = spec else { return out };
            if let Some((v, path)) = spec.attr("replicas", "replicas") {
                push(&mut out, Field::Replicas, v.to_value(), path);
            }
            let strategy = if kind == "Deployment" {
                spec.block("strategy", "strategy")
            } else {
                spec.block("update_strategy", "updateStrategy")
            };
            if let Some((v, path)) = strategy.as_ref().and_then(|s| s.attr("type", "type")) {
                push(&mut out, Field::Strategy, v.to_value(), path);
            }
            if let Some(pod) = pod_spec(&spec, false) {
                pod_fields(&pod, &mut out);
            }
        }
        "DaemonSet" | "Job" => {
            if let Some(pod) = spec.as_ref().and_then(|s| pod_spec(s, false)) {
                pod_fields(&pod, &mut out);
            }
        }
        "CronJob" => {
            if let Some(pod) = spec.as_ref().and_then(|s| pod_spec(s, true)) {
                pod_fields(&pod, &mut out);
            }
        }
        "PersistentVolumeClaim" => {
            if let Some(spec) = spec {
                claim_fields(&spec, &mut out);
            }
        }
        "PersistentVolume" => {
            let Some(spec) = spec else { return out };
            if let Some((v, path)) = spec.attr("storage_class_name", "storageClassName") {
                push(&mut out, Field::StorageClass, v.to_value(), path);
            }
            if let Ok(entries) = spec.entries("capacity", "capacity") {
                for (key, v, path) in entries {
                    if key == "storage" {
                        push(&mut out, Field::StorageSize, v.to_value(), path);
                    }
                }
            }
            mount_options(&spec, &mut out);
        }
        "StorageClass" => mount_options(root, &mut out),
        _ => {}
    }
    out
}

/// Storage class and requested size of a claim spec.
pub fn claim_fields(spec: &Node, out: &mut Vec<DeclaredField>) {
    if let Some((v, path)) = spec.attr("storage_class_name", "storageClassName") {
        push(out, Field::StorageClass, v.to_value(), path);
    }
    if let Some(resources) = spec.block("resources", "resources") {
        if let Ok(entries) = resources.entries("requests", "requests") {
            for (key, v, path) in entries {
                if key == "storage" {
                    push(out, Field::StorageSize, v.to_value(), path);
                }
            }
        }
    }
}

fn mount_options(node: &Node, out: &mut Vec<DeclaredField>) {
    let Some((v, path)) = node.attr("mount_options", "mountOptions") else {
        return;
    };
    let value = match v {
        Val::List(items) => match items
            .iter()
            .map(Val::as_string)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(parts) => Value::Known(parts.join(",")),
            Err(why) => Value::Unknown(why),
        },
        other => match other.as_string() {
            Ok(_) => Value::Unknown("mount options that are not a list".into()),
            Err(why) => Value::Unknown(why),
        },
    };
    push(out, Field::MountOptions, value, path);
}

/// The pod spec of a workload spec (`template[0].spec[0]`; cron jobs nest it under
/// `job_template[0].spec[0]`).
pub fn pod_spec<'v>(spec: &Node<'v>, cron: bool) -> Option<Node<'v>> {
    let spec = if cron {
        spec.block("job_template", "jobTemplate")?
            .block("spec", "spec")?
    } else {
        spec.clone()
    };
    spec.block("template", "template")?.block("spec", "spec")
}

/// Container images (by container name), init container images, literal env values and
/// the pod's own DNS options.
pub fn pod_fields(pod: &Node, out: &mut Vec<DeclaredField>) {
    containers(pod, "container", "containers", false, out);
    containers(pod, "init_container", "initContainers", true, out);
    if let Some(dns) = pod.block("dns_config", "dnsConfig") {
        let mut pairs = Vec::new();
        let mut unknown = None;
        for item in dns.items("option", "options") {
            match item {
                Ok(opt) => {
                    let name = opt.attr("name", "name").map(|(v, _)| v.to_value());
                    let value = opt.attr("value", "value").map(|(v, _)| v.to_value());
                    match (name, value) {
                        (Some(Value::Known(n)), Some(Value::Known(v))) => {
                            pairs.push(format!("{n}={v}"))
                        }
                        (Some(Value::Known(n)), None) => pairs.push(n),
                        _ => unknown = Some("a DNS option that cannot be evaluated".to_string()),
                    }
                }
                Err(why) => unknown = Some(why),
            }
        }
        pairs.sort();
        let value = match unknown {
            Some(why) => Value::Unknown(why),
            None => Value::Known(pairs.join(",")),
        };
        push(out, Field::DnsOptions, value, dns.path.clone());
    }
}

fn containers(pod: &Node, tf: &str, k8s: &str, init: bool, out: &mut Vec<DeclaredField>) {
    // Once an element is unknown (a dynamic block that could not be expanded), the indices
    // of the containers after it are unknown too: their paths cannot be matched against
    // ignore_changes, so their values are not compared.
    let mut uncertain: Option<String> = None;
    for item in pod.items(tf, k8s) {
        let c = match item {
            Ok(c) => c,
            Err(why) => {
                uncertain.get_or_insert(why);
                continue;
            }
        };
        let Some(Ok(name)) = c.attr("name", "name").map(|(v, _)| v.as_string()) else {
            continue;
        };
        let value = |v: &Val| match &uncertain {
            Some(why) => Value::Unknown(format!(
                "container position unknown (an earlier container: {why})"
            )),
            None => v.to_value(),
        };
        if let Some((v, path)) = c.attr("image", "image") {
            let field = if init {
                Field::InitImage {
                    container: name.clone(),
                }
            } else {
                Field::Image {
                    container: name.clone(),
                }
            };
            push(out, field, value(v), path);
        }
        for env in c.items("env", "env").into_iter().flatten() {
            let Some(Ok(var)) = env.attr("name", "name").map(|(v, _)| v.as_string()) else {
                continue;
            };
            if let Some((v, path)) = env.attr("value", "value") {
                push(
                    out,
                    Field::Env {
                        container: name.clone(),
                        name: var,
                    },
                    value(v),
                    path,
                );
            }
        }
    }
}

/// A stateful set's volume claim template: the claim name prefix and its fields.
pub struct ClaimTemplate {
    /// `metadata.name` of the template.
    pub name: Value,
    /// Storage class, size, labels and annotations, with paths inside the stateful set.
    pub fields: Vec<DeclaredField>,
}

/// The volume claim templates of a stateful set.
pub fn claim_templates(root: &Node) -> Vec<Result<ClaimTemplate, String>> {
    let Some(spec) = root.block("spec", "spec") else {
        return Vec::new();
    };
    spec.items("volume_claim_template", "volumeClaimTemplates")
        .into_iter()
        .map(|t| {
            let t = t?;
            let mut fields = Vec::new();
            metadata_fields(&t, &mut fields);
            if let Some(s) = t.block("spec", "spec") {
                claim_fields(&s, &mut fields);
            }
            let name = t
                .block("metadata", "metadata")
                .and_then(|m| m.attr("name", "name"))
                .map(|(v, _)| v.to_value())
                .unwrap_or_else(|| Value::Unknown("volume claim template without a name".into()));
            Ok(ClaimTemplate { name, fields })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Val {
        Val::from_json(&serde_json::json!({
            "kind": "Deployment",
            "metadata": {"name": "x", "labels": {"app": "x"}},
            "spec": {
                "replicas": 2,
                "strategy": {"type": "Recreate"},
                "template": {"spec": {"containers": [
                    {"name": "a", "image": "a:1", "env": [{"name": "E", "value": "v"}]}
                ]}}
            }
        }))
    }

    #[test]
    fn manifest_paths_are_camel_case_under_manifest() {
        let v = manifest();
        let got: Vec<(Field, Value, String)> =
            fields("Deployment", &Node::root(&v, Style::Manifest))
                .into_iter()
                .map(|f| (f.field, f.value, f.tf_path))
                .collect();
        let k = |s: &str| Value::Known(s.into());
        assert_eq!(
            got,
            vec![
                (
                    Field::Label("app".into()),
                    k("x"),
                    "manifest.metadata.labels[\"app\"]".into()
                ),
                (Field::Replicas, k("2"), "manifest.spec.replicas".into()),
                (
                    Field::Strategy,
                    k("Recreate"),
                    "manifest.spec.strategy.type".into()
                ),
                (
                    Field::Image {
                        container: "a".into()
                    },
                    k("a:1"),
                    "manifest.spec.template.spec.containers[0].image".into()
                ),
                (
                    Field::Env {
                        container: "a".into(),
                        name: "E".into()
                    },
                    k("v"),
                    "manifest.spec.template.spec.containers[0].env[0].value".into()
                ),
            ]
        );
    }
}
