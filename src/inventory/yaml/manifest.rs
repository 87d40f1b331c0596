//! Declared objects from one YAML document: a Kubernetes object of a kind drift knows
//! (and the claims of a stateful set's templates), or a Flux `HelmRelease`; once per Flux
//! Kustomization that applies the file, with its namespace and variables.

use super::super::fields::{fields, Node};
use super::super::objects::{claims, Origin};
use super::super::value::Val;
use super::super::{Declared, DeclaredBy, DeclaredObject, DeclaredRelease};
use super::docs::Doc;
use super::flux::FluxKustomization;
use super::subst::{self, Vars};
use crate::finding::Location;
use crate::index::Value;
use crate::live::kinds::{self, KindSpec};
use crate::source::SourceFile;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Helm's limit on release names; Flux shortens longer composed names with a hash.
const MAX_RELEASE_NAME: usize = 53;

/// The annotation (or label) that turns Flux's substitution off for one object.
const SUBSTITUTE_SWITCH: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// What a document declares.
enum What {
    Object(&'static KindSpec),
    HelmRelease,
}

/// Whether the document is an object the inventory declares: `apiVersion`, `kind` and
/// `metadata.name` set, and a kind drift knows (in its API group) or a Flux HelmRelease.
fn what(doc: &Json) -> Option<(What, &str, &str)> {
    let api = doc.get("apiVersion")?.as_str()?;
    let kind = doc.get("kind")?.as_str()?;
    let name = doc.pointer("/metadata/name")?.as_str()?;
    if kind == "HelmRelease" && api.starts_with("helm.toolkit.fluxcd.io/") {
        return Some((What::HelmRelease, kind, name));
    }
    let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let spec = kinds::by_kind(kind).filter(|s| s.group == group)?;
    Some((What::Object(spec), kind, name))
}

/// Declares what `doc` of `file` declares, once per Kustomization in `applying` (once,
/// with every placeholder unknown, when none applies it).
pub fn declare(file: &SourceFile, doc: &Doc, applying: &[&FluxKustomization], out: &mut Declared) {
    let Some((what, kind, raw_name)) = what(&doc.value) else {
        return;
    };
    let location = Location::new(file, file.line_range(doc.kind_line));
    let substituted = !substitution_disabled(&doc.value);
    let no_vars = BTreeMap::new();
    let one: [Option<&FluxKustomization>; 1] = [None];
    let applying: Vec<Option<&FluxKustomization>> = if applying.is_empty() {
        one.to_vec()
    } else {
        applying.iter().copied().map(Some).collect()
    };
    for ks in applying {
        let (elsewhere, origin) = match ks {
            Some(k) => (
                k.substitute_from.then(|| {
                    format!(
                        "may come from the substituteFrom of the Flux Kustomization `{}` (a Secret or ConfigMap, not read)",
                        k.name
                    )
                }),
                format!("the Flux Kustomization `{}`", k.name),
            ),
            None => (
                Some("is not resolved: no Flux Kustomization applies this file".to_string()),
                String::new(),
            ),
        };
        let vars = Vars {
            values: ks.map(|k| &k.substitute).unwrap_or(&no_vars),
            elsewhere: elsewhere.as_deref(),
            origin: &origin,
        };
        let mut val = Val::from_json(&doc.value);
        if substituted {
            val = subst::apply(val, &vars);
        }
        let address = match ks {
            Some(k) => format!("{kind}/{raw_name} (Flux Kustomization {})", k.name),
            None => format!("{kind}/{raw_name}"),
        };
        let target = ks.and_then(|k| k.target_namespace.clone());
        match what {
            What::Object(spec) => object(spec, &val, target, address, &location, out),
            What::HelmRelease => out.releases.push(DeclaredRelease {
                name: release_name(&val),
                namespace: val
                    .get("spec")
                    .field("targetNamespace")
                    .map(Val::to_value)
                    .unwrap_or_else(|| object_namespace(target, &val.get("metadata"))),
                address,
                location: location.clone(),
            }),
        }
    }
}

fn object(
    spec: &KindSpec,
    val: &Val,
    target: Option<Value>,
    address: String,
    location: &Location,
    out: &mut Declared,
) {
    let name = val.get("metadata").get("name").to_value();
    let namespace = spec
        .namespaced
        .then(|| object_namespace(target, &val.get("metadata")));
    let root = Node::object(val);
    out.objects.push(DeclaredObject {
        kind: spec.kind.to_string(),
        namespace: namespace.clone(),
        name: name.clone(),
        address: address.clone(),
        location: location.clone(),
        fields: fields(spec.kind, &root),
        ignore_all: false,
        ignore_paths: Vec::new(),
        declared_by: DeclaredBy::Manifest,
    });
    if spec.kind == "StatefulSet" {
        let replicas = val
            .get("spec")
            .field("replicas")
            .cloned()
            // The API server's default.
            .unwrap_or(Val::int(1));
        let origin = Origin {
            address: &address,
            location,
            unresolved: None,
            declared_by: DeclaredBy::Manifest,
        };
        claims(
            &origin,
            &root,
            &name,
            namespace,
            &replicas,
            (false, Vec::new()),
            out,
        );
    }
}

/// A namespaced object's namespace: the Kustomization's `targetNamespace` (Flux sets it on
/// every namespaced object, overriding `metadata.namespace`), else `metadata.namespace`,
/// else `default`.
fn object_namespace(target: Option<Value>, meta: &Val) -> Value {
    target
        .or_else(|| meta.field("namespace").map(Val::to_value))
        .unwrap_or_else(|| Value::Known("default".into()))
}

/// Flux's release name: `spec.releaseName`, else `<spec.targetNamespace>-<name>` when the
/// HelmRelease sets a target namespace, else its name.
fn release_name(val: &Val) -> Value {
    let spec = val.get("spec");
    if let Some(given) = spec.field("releaseName") {
        return given.to_value();
    }
    let name = val.get("metadata").get("name").to_value();
    let Some(target) = spec.field("targetNamespace") else {
        return name;
    };
    match (target.to_value(), name) {
        (Value::Known(t), Value::Known(n)) => {
            let composed = format!("{t}-{n}");
            if composed.len() > MAX_RELEASE_NAME {
                Value::Unknown(format!(
                    "Flux shortens the release name `{composed}` (over {MAX_RELEASE_NAME} characters) with a hash"
                ))
            } else {
                Value::Known(composed)
            }
        }
        (Value::Unknown(why), _) | (_, Value::Unknown(why)) => Value::Unknown(why),
    }
}

fn substitution_disabled(doc: &Json) -> bool {
    ["/metadata/annotations", "/metadata/labels"]
        .iter()
        .filter_map(|p| doc.pointer(p))
        .filter_map(|m| m.get(SUBSTITUTE_SWITCH))
        .any(|v| v.as_str() == Some("disabled"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_must_match_their_group() {
        let doc = |api: &str, kind: &str| serde_json::json!({"apiVersion": api, "kind": kind, "metadata": {"name": "x"}});
        assert!(what(&doc("v1", "Service")).is_some());
        assert!(what(&doc("serving.knative.dev/v1", "Service")).is_none());
        assert!(what(&doc("apps/v1", "Deployment")).is_some());
        assert!(what(&doc("helm.toolkit.fluxcd.io/v2", "HelmRelease")).is_some());
        assert!(what(&doc("v1", "Widget")).is_none());
        assert!(what(&serde_json::json!({"apiVersion": "v1", "kind": "Service"})).is_none());
    }

    #[test]
    fn release_names_follow_flux() {
        let hr = |spec: serde_json::Value| {
            Val::from_json(&serde_json::json!({"metadata": {"name": "web"}, "spec": spec}))
        };
        let k = |s: &str| Value::Known(s.into());
        assert_eq!(release_name(&hr(serde_json::json!({}))), k("web"));
        assert_eq!(
            release_name(&hr(serde_json::json!({"targetNamespace": "apps"}))),
            k("apps-web")
        );
        assert_eq!(
            release_name(&hr(
                serde_json::json!({"targetNamespace": "apps", "releaseName": "r"})
            )),
            k("r")
        );
        let long = "n".repeat(50);
        assert!(matches!(
            release_name(&hr(serde_json::json!({ "targetNamespace": long }))),
            Value::Unknown(_)
        ));
    }
}
