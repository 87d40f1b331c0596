//! The Flux layout of a repository: which Flux Kustomizations (`kustomize.toolkit.fluxcd.io`)
//! apply the manifests of a directory, with their `targetNamespace` and post-build
//! variables.
//!
//! A file is applied by the Kustomizations whose `spec.path` is its directory or the
//! nearest ancestor (several when they share that path), or, when it sits in a Kustomize
//! component (`spec.components` of a Flux Kustomization, `components:` of a
//! `kustomization.yaml`), by every Kustomization that includes the component. Paths are
//! taken relative to the repository root (the source the Kustomizations read).

use super::super::load::normalize;
use super::super::Note;
use crate::index::Value;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// How many `kustomization.yaml` component inclusions are followed from one directory.
const MAX_COMPONENT_DEPTH: usize = 8;

/// One Flux Kustomization.
#[derive(Debug, Clone)]
pub struct FluxKustomization {
    /// `metadata.name`.
    pub name: String,
    /// `spec.path`, repo-relative (`""`: the root).
    pub path: String,
    /// `spec.targetNamespace`.
    pub target_namespace: Option<Value>,
    /// `spec.postBuild.substitute`.
    pub substitute: BTreeMap<String, String>,
    /// Whether `spec.postBuild.substituteFrom` names any Secret or ConfigMap.
    pub substitute_from: bool,
    /// `spec.components`, repo-relative.
    pub components: Vec<String>,
}

/// Every Flux Kustomization and Kustomize component inclusion of the repository.
#[derive(Debug, Default)]
pub struct Layout {
    /// Flux Kustomizations, ordered by path, then name.
    pub kustomizations: Vec<FluxKustomization>,
    /// `(including directory, component directory)` from `kustomization.yaml` files.
    pub kustomize_components: Vec<(String, String)>,
}

fn str_at<'j>(v: &'j Json, pointer: &str) -> Option<&'j str> {
    v.pointer(pointer).and_then(Json::as_str)
}

/// Whether a document is a Flux Kustomization.
pub fn is_flux_kustomization(doc: &Json) -> bool {
    str_at(doc, "/kind") == Some("Kustomization")
        && str_at(doc, "/apiVersion").is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"))
}

/// Reads a Flux Kustomization; `Err` with a note's message when its path cannot be placed.
pub fn kustomization(doc: &Json) -> Result<FluxKustomization, String> {
    let name = str_at(doc, "/metadata/name").unwrap_or("").to_string();
    let raw_path = match doc.pointer("/spec/path") {
        None | Some(Json::Null) => "",
        Some(Json::String(p)) => p.as_str(),
        Some(_) => {
            return Err(format!(
                "Flux Kustomization `{name}`: spec.path is not a string"
            ))
        }
    };
    if raw_path.contains("${") {
        return Err(format!(
            "Flux Kustomization `{name}`: spec.path `{raw_path}` holds a placeholder; the files it applies are read without its namespace and variables"
        ));
    }
    let path = normalize("", raw_path.trim_start_matches('/')).ok_or_else(|| {
        format!("Flux Kustomization `{name}`: spec.path `{raw_path}` leaves the repository")
    })?;
    let target_namespace = str_at(doc, "/spec/targetNamespace").map(|ns| {
        if ns.contains("${") {
            Value::Unknown(format!(
                "targetNamespace `{ns}` of the Flux Kustomization `{name}` holds a placeholder"
            ))
        } else {
            Value::Known(ns.to_string())
        }
    });
    let substitute = doc
        .pointer("/spec/postBuild/substitute")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| scalar(v).map(|s| (k.clone(), s)))
                .collect()
        })
        .unwrap_or_default();
    let substitute_from = doc
        .pointer("/spec/postBuild/substituteFrom")
        .and_then(Json::as_array)
        .is_some_and(|a| !a.is_empty());
    Ok(FluxKustomization {
        components: relative_list(doc.pointer("/spec/components"), &path),
        name,
        path,
        target_namespace,
        substitute,
        substitute_from,
    })
}

/// The component directories a `kustomization.yaml` in `dir` includes.
pub fn kustomize_components(doc: &Json, dir: &str) -> Vec<String> {
    relative_list(doc.get("components"), dir)
}

fn relative_list(list: Option<&Json>, base: &str) -> Vec<String> {
    list.and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .filter(|c| !c.contains("${") && !c.contains("://"))
        .filter_map(|c| normalize(base, c))
        .collect()
}

fn scalar(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether repo-relative `dir` is `base` or inside it.
pub fn within(dir: &str, base: &str) -> bool {
    base.is_empty()
        || dir == base
        || (dir.starts_with(base) && dir.as_bytes().get(base.len()) == Some(&b'/'))
}

impl Layout {
    /// Sorts the Kustomizations (by path, then name) for a stable order.
    pub fn finish(&mut self) {
        self.kustomizations
            .sort_by(|a, b| (&a.path, &a.name).cmp(&(&b.path, &b.name)));
        self.kustomize_components.sort();
        self.kustomize_components.dedup();
    }

    /// The Kustomizations that apply the files of repo-relative directory `dir` (indices
    /// into `kustomizations`, ascending); empty when none does.
    pub fn applying(&self, dir: &str) -> Vec<usize> {
        let mut out = self.applying_at(dir, 0);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn applying_at(&self, dir: &str, depth: usize) -> Vec<usize> {
        // The nearest component directory holding `dir`, if any.
        let component = self
            .kustomizations
            .iter()
            .flat_map(|k| k.components.iter())
            .chain(self.kustomize_components.iter().map(|(_, c)| c))
            .filter(|c| within(dir, c))
            .max_by_key(|c| c.len());
        if let Some(component) = component {
            let mut out: Vec<usize> = self
                .kustomizations
                .iter()
                .enumerate()
                .filter(|(_, k)| k.components.contains(component))
                .map(|(i, _)| i)
                .collect();
            if depth < MAX_COMPONENT_DEPTH {
                for (includer, _) in self
                    .kustomize_components
                    .iter()
                    .filter(|(_, c)| c == component)
                {
                    out.extend(self.applying_at(includer, depth + 1));
                }
            }
            return out;
        }
        let nearest = self
            .kustomizations
            .iter()
            .filter(|k| within(dir, &k.path))
            .map(|k| k.path.len())
            .max();
        match nearest {
            Some(len) => self
                .kustomizations
                .iter()
                .enumerate()
                .filter(|(_, k)| k.path.len() == len && within(dir, &k.path))
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        }
    }
}

/// A note about a Flux Kustomization that could not be placed.
pub fn note(path: &str, line: usize, message: String) -> Note {
    Note {
        path: path.to_string(),
        line: Some(line),
        address: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ks(name: &str, path: &str, components: &[&str]) -> FluxKustomization {
        kustomization(&serde_json::json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {"name": name},
            "spec": {"path": path, "components": components}
        }))
        .unwrap()
    }

    #[test]
    fn nearest_path_and_components_decide() {
        let mut layout = Layout {
            kustomizations: vec![
                ks("apps", "./kubernetes/apps", &[]),
                ks(
                    "web",
                    "./kubernetes/apps/default/web/app",
                    &["../../../../components/volsync"],
                ),
                ks("web-2", "kubernetes/apps/default/web/app/", &[]),
                ks("db", "./kubernetes/apps/default/db/app", &[]),
            ],
            kustomize_components: vec![(
                "kubernetes/apps/default/db/app".into(),
                "kubernetes/components/volsync".into(),
            )],
        };
        layout.finish();
        let names = |dir: &str| -> Vec<&str> {
            layout
                .applying(dir)
                .into_iter()
                .map(|i| layout.kustomizations[i].name.as_str())
                .collect()
        };
        assert_eq!(names("kubernetes/apps/default"), vec!["apps"]);
        assert_eq!(
            names("kubernetes/apps/default/web/app/x"),
            vec!["web", "web-2"]
        );
        assert_eq!(names("kubernetes/components/volsync"), vec!["db", "web"]);
        assert!(names("kubernetes/flux").is_empty());
        assert!(names("kubernetes/apps-other").is_empty());
    }

    #[test]
    fn reads_namespace_and_variables() {
        let k = kustomization(&serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {
                "path": "./a", "targetNamespace": "web",
                "postBuild": {"substitute": {"APP": "web", "N": 2}, "substituteFrom": [{"kind": "Secret", "name": "s"}]}
            }
        }))
        .unwrap();
        assert_eq!(k.path, "a");
        assert_eq!(k.target_namespace, Some(Value::Known("web".into())));
        assert_eq!(k.substitute.get("N").map(String::as_str), Some("2"));
        assert!(k.substitute_from);
        assert!(kustomization(&serde_json::json!({"spec": {"path": "../x"}})).is_err());
        assert!(kustomization(&serde_json::json!({"spec": {"path": "./${X}"}})).is_err());
    }
}
