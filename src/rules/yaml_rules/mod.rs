//! Rule kinds for Kubernetes and Flux YAML (the flux-gitops pack, seed 004):
//! - `yaml-document-start`: files start with `---` (safe fix);
//! - `schema-directive`: `# yaml-language-server: $schema=` sits right after every `---`
//!   (safe fix: move it there);
//! - `yaml-forbidden-kind`: objects of given kinds are not committed as plain manifests
//!   (`no-raw-secret`, `no-raw-configmap`);
//! - `yaml-field`: a field of given kinds never holds given values (`no-loadbalancer-service`,
//!   `no-substitutefrom-secret`);
//! - `yaml-workload`: checks on workloads, plain or app-template (`statefulset-not-recreate`,
//!   `run-as-non-root`, `drop-all-capabilities`);
//! - `kustomization-sorted`: `resources:` of a kustomization.yaml in alphabetical order
//!   (safe fix: sort);
//! - `namespace-inheritance`: app resources omit `metadata.namespace`, and Flux
//!   Kustomizations set `spec.targetNamespace` (`no-namespace-in-app-resources`);
//! - `literal-domain`: host names use the `${SECRET_DOMAIN}` placeholder (`no-literal-domain`);
//! - `yaml-indentation`: 2-space indentation (safe fix where it cannot change meaning);
//! - `shared-database`, `reloader-annotation`: facts across files (`crate::flux_facts`).
//!
//! `layout` holds the kinds about how files are written, `objects` those about which
//! objects and values a tree may contain, `workloads` those about workloads.

mod layout;
mod objects;
mod workloads;

pub use layout::*;
pub use objects::*;
pub use workloads::*;

use super::manifests::{workloads, YWorkload};
use super::{Check, Emitter, FileContext};
use crate::syntax::yaml::Document;
use serde::Deserialize;

fn docs<'a>(ctx: &'a FileContext) -> impl Iterator<Item = &'a Document> + 'a {
    ctx.yaml.into_iter().flat_map(|y| y.docs.iter())
}

fn kind_span(doc: &Document) -> Option<std::ops::Range<usize>> {
    doc.root.as_ref()?.get("kind").map(|k| k.span.clone())
}

/// Parameters shared by kinds that take none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}
