//! Declared objects from one resource instance: `kubernetes_<kind>` resources (and the
//! claims of a stateful set's `volume_claim_template`s), `kubernetes_manifest` objects and
//! `helm_release`s.

use super::body::resource_val;
use super::eval::Env;
use super::fields::{claim_templates, fields, Node, Style};
use super::value::Val;
use super::{Declared, DeclaredBy, DeclaredObject, DeclaredRelease, Note};
use crate::finding::Location;
use crate::index::Value;
use crate::live::kinds::{self, KindSpec};
use crate::rules::lifecycle::IgnoreList;
use crate::source::SourceFile;
use hcl_edit::structure::Block;

/// Where one resource instance is declared.
pub struct Site<'a> {
    /// The file holding the resource block.
    pub file: &'a SourceFile,
    /// The resource block.
    pub block: &'a Block,
    /// Terraform address of the instance, module path included.
    pub address: String,
    /// What findings point at: the resource header, or the module call.
    pub location: Location,
    /// Why the instance's existence is unknown (`count`/`for_each` not evaluable): its
    /// objects are declared with unknown names.
    pub unresolved: Option<String>,
}

impl Site<'_> {
    fn name(&self, evaluated: Value) -> Value {
        match &self.unresolved {
            Some(why) => Value::Unknown(format!("`{}`: {why}", self.address)),
            None => evaluated,
        }
    }

    fn ignore(&self) -> (bool, Vec<String>) {
        match IgnoreList::of(self.file, self.block) {
            Some(list) => (list.all, list.entries.into_iter().map(|(p, _)| p).collect()),
            None => (false, Vec::new()),
        }
    }

    fn note(&self, message: String) -> Note {
        self.origin().note(message)
    }

    fn origin(&self) -> Origin<'_> {
        Origin {
            address: &self.address,
            location: &self.location,
            unresolved: self.unresolved.as_deref(),
            declared_by: DeclaredBy::Terraform,
        }
    }
}

/// Who declares a stateful set (and so its claims): address, location, and why its
/// instances are unknown.
pub struct Origin<'a> {
    /// Address of the declaring resource or object.
    pub address: &'a str,
    /// Where it is declared.
    pub location: &'a Location,
    /// Why the object's existence is unknown, if it is.
    pub unresolved: Option<&'a str>,
    /// What applies it.
    pub declared_by: DeclaredBy,
}

impl Origin<'_> {
    fn note(&self, message: String) -> Note {
        Note {
            path: self.location.path.clone(),
            line: Some(self.location.line),
            address: Some(self.address.to_string()),
            message,
        }
    }
}

/// Declares what resource type `ty` at `site` declares, if it is a Kubernetes object or a
/// Helm release.
pub fn declare(env: &dyn Env, ty: &str, site: &Site, out: &mut Declared) {
    if let Some(spec) = kinds::for_tf_type(ty) {
        provider_object(env, spec, site, out);
    } else if ty == "kubernetes_manifest" {
        manifest_object(env, site, out);
    } else if ty == "helm_release" {
        let val = resource_val(env, &site.block.body, 0);
        out.releases.push(DeclaredRelease {
            name: site.name(val.get("name").to_value()),
            namespace: val
                .field("namespace")
                .map(Val::to_value)
                .unwrap_or_else(|| Value::Known("default".into())),
            address: site.address.clone(),
            location: site.location.clone(),
        });
    }
}

fn namespace_of(spec: Option<&KindSpec>, meta: &Val) -> Option<Value> {
    let given = meta.field("namespace").map(Val::to_value);
    match spec {
        Some(s) if !s.namespaced => None,
        Some(_) => Some(match (given, meta) {
            (Some(ns), _) => ns,
            (None, Val::Unknown(why)) => Value::Unknown(why.clone()),
            (None, _) => Value::Known("default".into()),
        }),
        // A kind drift does not know: namespaced exactly when it names a namespace.
        None => given,
    }
}

fn provider_object(env: &dyn Env, spec: &KindSpec, site: &Site, out: &mut Declared) {
    let val = resource_val(env, &site.block.body, 0);
    let meta = val.get("metadata").index(&Val::int(0));
    let name = match (meta.field("name"), meta.field("generate_name")) {
        (Some(n), _) => n.to_value(),
        (None, Some(_)) => Value::Unknown("the name is generated (generate_name)".into()),
        (None, None) => Value::Unknown(
            meta.first_unknown()
                .unwrap_or("metadata has no name")
                .to_string(),
        ),
    };
    let namespace = namespace_of(Some(spec), &meta);
    let root = Node::root(&val, Style::Blocks);
    let (ignore_all, ignore_paths) = site.ignore();
    let object = DeclaredObject {
        kind: spec.kind.to_string(),
        namespace: namespace.clone(),
        name: site.name(name.clone()),
        address: site.address.clone(),
        location: site.location.clone(),
        fields: fields(spec.kind, &root),
        ignore_all,
        ignore_paths: ignore_paths.clone(),
        declared_by: DeclaredBy::Terraform,
    };
    out.objects.push(object);
    if spec.kind == "StatefulSet" {
        let replicas = val
            .get("spec")
            .index(&Val::int(0))
            .field("replicas")
            .cloned()
            // The provider's default.
            .unwrap_or(Val::int(1));
        claims(
            &site.origin(),
            &root,
            &name,
            namespace,
            &replicas,
            (ignore_all, ignore_paths),
            out,
        );
    }
}

/// Declares the claims a stateful set's templates create: `<template>-<set>-<ordinal>`.
pub fn claims(
    site: &Origin,
    root: &Node,
    set_name: &Value,
    namespace: Option<Value>,
    replicas: &Val,
    (ignore_all, ignore_paths): (bool, Vec<String>),
    out: &mut Declared,
) {
    let templates = claim_templates(root);
    if templates.is_empty() {
        return;
    }
    let count = match (replicas.as_i64(), site.unresolved) {
        (_, Some(why)) => {
            out.notes.push(site.note(format!(
                "volume claim templates not declared: the stateful set's instances are unknown ({why})"
            )));
            return;
        }
        (Some(n), None) if n >= 0 => n,
        _ => {
            out.notes.push(site.note(format!(
                "volume claim templates not declared: replicas is not a literal ({})",
                replicas.first_unknown().unwrap_or("not a whole number")
            )));
            return;
        }
    };
    for template in templates {
        let template = match template {
            Ok(t) => t,
            Err(why) => {
                out.notes.push(site.note(format!(
                    "a volume claim template could not be evaluated: {why}"
                )));
                continue;
            }
        };
        for ordinal in 0..count {
            let name = match (&template.name, set_name) {
                (Value::Known(t), Value::Known(s)) => Value::Known(format!("{t}-{s}-{ordinal}")),
                (Value::Unknown(why), _) | (_, Value::Unknown(why)) => Value::Unknown(why.clone()),
            };
            out.objects.push(DeclaredObject {
                kind: "PersistentVolumeClaim".into(),
                namespace: namespace.clone(),
                name,
                address: site.address.to_string(),
                location: site.location.clone(),
                fields: template.fields.clone(),
                ignore_all,
                ignore_paths: ignore_paths.clone(),
                declared_by: site.declared_by,
            });
        }
    }
}

fn manifest_object(env: &dyn Env, site: &Site, out: &mut Declared) {
    let val = resource_val(env, &site.block.body, 0);
    let manifest = val.get("manifest");
    if let Val::Unknown(why) = &manifest {
        out.notes
            .push(site.note(format!("manifest could not be evaluated: {why}")));
        return;
    }
    let kind = match manifest.get("kind").as_string() {
        Ok(k) => k,
        Err(why) => {
            out.notes
                .push(site.note(format!("manifest kind could not be evaluated: {why}")));
            return;
        }
    };
    let spec = kinds::by_kind(&kind);
    let meta = manifest.get("metadata");
    let (ignore_all, ignore_paths) = site.ignore();
    let root = Node::root(&manifest, Style::Manifest);
    let name = site.name(meta.get("name").to_value());
    let namespace = namespace_of(spec, &meta);
    out.objects.push(DeclaredObject {
        kind: kind.clone(),
        namespace: namespace.clone(),
        name: name.clone(),
        address: site.address.clone(),
        location: site.location.clone(),
        fields: fields(&kind, &root),
        ignore_all,
        ignore_paths: ignore_paths.clone(),
        declared_by: DeclaredBy::Terraform,
    });
    if kind == "StatefulSet" {
        let replicas = manifest
            .get("spec")
            .field("replicas")
            .cloned()
            .unwrap_or(Val::int(1));
        claims(
            &site.origin(),
            &root,
            &name,
            namespace,
            &replicas,
            (ignore_all, ignore_paths),
            out,
        );
    }
}
