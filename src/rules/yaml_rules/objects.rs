//! What objects a Flux tree may contain and how they are written: no plain Secrets or
//! ConfigMaps, forbidden field values, namespaces inherited from the Flux Kustomization,
//! host names through the domain placeholder.

use super::*;
use crate::syntax::yaml::{Document, Node, NodeKind};
use serde::Deserialize;

// --------------------------------------------------------------------- forbidden kinds

/// Parameters of `yaml-forbidden-kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForbiddenKindParams {
    /// Object kinds that must not be committed as plain manifests.
    pub kinds: Vec<String>,
    /// What to use instead, for the message.
    pub instead: String,
}

/// `yaml-forbidden-kind`.
pub struct ForbiddenKind {
    params: ForbiddenKindParams,
}

impl ForbiddenKind {
    /// Builds the check.
    pub fn new(params: ForbiddenKindParams) -> Self {
        ForbiddenKind { params }
    }
}

impl Check for ForbiddenKind {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        for doc in docs(ctx) {
            let Some(kind) = doc.kind() else { continue };
            if !self.params.kinds.iter().any(|k| k == kind)
                || doc.api_version().is_some_and(|a| a.contains('/'))
            {
                continue;
            }
            let name = doc.name().unwrap_or("?");
            if let Some(span) = kind_span(doc) {
                out.violation(
                    span,
                    format!(
                        "plain `{kind}` `{name}` committed to git: {}",
                        self.params.instead
                    ),
                );
            }
        }
    }
}

// --------------------------------------------------------------------- field values

/// Parameters of `yaml-field`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldParams {
    /// Object kinds to look at.
    pub kinds: Vec<String>,
    /// Only objects whose `apiVersion` starts with this; empty: any.
    #[serde(default)]
    pub api_version_prefix: String,
    /// Dot path; a `[]` segment means every item of a list (`spec.postBuild.substituteFrom.[].kind`).
    pub path: String,
    /// Values the field must never hold.
    pub forbidden: Vec<String>,
    /// Why, for the message.
    pub reason: String,
}

/// `yaml-field`.
pub struct Field {
    params: FieldParams,
}

impl Field {
    /// Builds the check.
    pub fn new(params: FieldParams) -> Self {
        Field { params }
    }
}

pub(super) fn select<'a>(node: &'a Node, path: &[&str], out: &mut Vec<&'a Node>) {
    match path.split_first() {
        None => out.push(node),
        Some((&"[]", rest)) => {
            for item in node.items() {
                select(item, rest, out);
            }
        }
        Some((key, rest)) => {
            if let Some(next) = node.get(key) {
                select(next, rest, out);
            }
        }
    }
}

impl Check for Field {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let p = &self.params;
        let path: Vec<&str> = p.path.split('.').collect();
        for doc in docs(ctx) {
            let (Some(root), Some(kind)) = (doc.root.as_ref(), doc.kind()) else {
                continue;
            };
            if !p.kinds.iter().any(|k| k == kind)
                || !doc
                    .api_version()
                    .unwrap_or("")
                    .starts_with(&p.api_version_prefix)
            {
                continue;
            }
            let mut found = Vec::new();
            select(root, &path, &mut found);
            for node in found {
                let Some(v) = node.as_str() else { continue };
                if p.forbidden.iter().any(|f| f == v) {
                    out.violation(
                        node.span.clone(),
                        format!(
                            "{kind} `{}` sets `{}` to `{v}`: {}",
                            doc.name().unwrap_or("?"),
                            p.path.replace(".[]", "[]"),
                            p.reason
                        ),
                    );
                }
            }
        }
    }
}

// --------------------------------------------------------------------- namespaces

/// Parameters of `namespace-inheritance`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceParams {
    /// Directory name holding an app's resources (`app`: `kubernetes/apps/<ns>/<app>/app/`).
    #[serde(default = "default_app_dir")]
    pub app_dir: String,
}

fn default_app_dir() -> String {
    "app".into()
}

/// `namespace-inheritance`.
pub struct NamespaceInheritance {
    params: NamespaceParams,
}

impl NamespaceInheritance {
    /// Builds the check.
    pub fn new(params: NamespaceParams) -> Self {
        NamespaceInheritance { params }
    }
}

impl Check for NamespaceInheritance {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let path = &ctx.file.path;
        let in_app = path
            .split('/')
            .rev()
            .skip(1)
            .any(|d| d == self.params.app_dir);
        for doc in docs(ctx) {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            let kind = doc.kind().unwrap_or_default();
            let flux_ks = kind == "Kustomization"
                && doc
                    .api_version()
                    .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"));
            if flux_ks {
                // Only Kustomizations that apply an app's resources (`spec.path` ends in the
                // app directory): cluster-level ones apply namespaces and other
                // Kustomizations, which carry their own namespaces.
                let applies_app = root
                    .path(&["spec", "path"])
                    .and_then(Node::as_str)
                    .is_some_and(|p| {
                        p.trim_end_matches('/').rsplit('/').next()
                            == Some(self.params.app_dir.as_str())
                    });
                if applies_app && root.path(&["spec", "targetNamespace"]).is_none() {
                    if let Some(span) = kind_span(doc) {
                        out.violation(span, format!("Flux Kustomization `{}` does not set `spec.targetNamespace`: the app's resources omit their namespace and inherit it from here", doc.name().unwrap_or("?")));
                    }
                }
                continue;
            }
            if !in_app || kind == "Kustomization" || kind.is_empty() {
                continue;
            }
            if let Some(ns) = root.path(&["metadata", "namespace"]) {
                out.violation(ns.span.clone(), format!("{kind} `{}` sets `metadata.namespace`: app resources inherit it from the Flux Kustomization's `targetNamespace`", doc.name().unwrap_or("?")));
            }
        }
    }
}

// --------------------------------------------------------------------- literal domains

/// Parameters of `literal-domain`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainParams {
    /// The placeholder to use (`${SECRET_DOMAIN}`).
    pub placeholder: String,
    /// Public domains that must never be written literally (anywhere in a YAML value).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Host names under these suffixes are internal and may be literal (`.svc`,
    /// `.cluster.local`, `.internal`, `.local`).
    #[serde(default)]
    pub internal_suffixes: Vec<String>,
}

/// `literal-domain`.
pub struct LiteralDomain {
    params: DomainParams,
}

impl LiteralDomain {
    /// Builds the check.
    pub fn new(params: DomainParams) -> Self {
        LiteralDomain { params }
    }

    fn host_fields<'a>(&self, doc: &'a Document) -> Vec<&'a Node> {
        let Some(root) = doc.root.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match doc.kind().unwrap_or_default() {
            "HTTPRoute" | "GRPCRoute" => select(root, &["spec", "hostnames", "[]"], &mut out),
            "Ingress" => {
                select(root, &["spec", "rules", "[]", "host"], &mut out);
                select(root, &["spec", "tls", "[]", "hosts", "[]"], &mut out);
            }
            "HelmRelease" => {
                for (_, route) in root
                    .path(&["spec", "values", "route"])
                    .map(Node::entries)
                    .unwrap_or_default()
                {
                    select(route, &["hostnames", "[]"], &mut out);
                }
                for (_, ing) in root
                    .path(&["spec", "values", "ingress"])
                    .map(Node::entries)
                    .unwrap_or_default()
                {
                    select(ing, &["hosts", "[]", "host"], &mut out);
                }
            }
            _ => {}
        }
        out
    }
}

pub(super) fn scalars<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &n.kind {
            NodeKind::Scalar { .. } => out.push(n),
            NodeKind::Seq(items) => stack.extend(items.iter()),
            NodeKind::Map(entries) => stack.extend(entries.iter().flat_map(|(k, v)| [k, v])),
        }
    }
}

impl Check for LiteralDomain {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let p = &self.params;
        for doc in docs(ctx) {
            let mut reported = Vec::new();
            for host in self.host_fields(doc) {
                let Some(h) = host.as_str() else { continue };
                let internal = p.internal_suffixes.iter().any(|s| h.ends_with(s.as_str()));
                if h.contains("${") || !h.contains('.') || internal {
                    continue;
                }
                reported.push(host.span.start);
                out.violation(host.span.clone(), format!("host name `{h}` is written literally: use the `{}` placeholder (e.g. `app.{}`) so the public domain stays out of git", p.placeholder, p.placeholder));
            }
            if p.domains.is_empty() {
                continue;
            }
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            let mut all = Vec::new();
            scalars(root, &mut all);
            all.sort_by_key(|n| n.span.start);
            for n in all {
                let Some(v) = n.as_str() else { continue };
                if reported.contains(&n.span.start) {
                    continue;
                }
                if let Some(d) = p.domains.iter().find(|d| v.contains(d.as_str())) {
                    out.violation(
                        n.span.clone(),
                        format!(
                            "the public domain `{d}` is written literally: use `{}`",
                            p.placeholder
                        ),
                    );
                }
            }
        }
    }
}
