//! Fields admission policies inject into live objects (Kyverno's ndots dnsConfig, Keel's
//! annotations, Goldilocks' namespace label). The list is pack data (`mutations:` in a
//! rule pack); a declaring resource that neither ignores nor declares such a field shows
//! drift on every plan: the live evidence for kyverno-lifecycle / keel-lifecycle.

use super::Change;
use crate::inventory::{DeclaredBy, DeclaredObject, Field};
use crate::live::LiveObject;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One injected field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutation {
    /// Who injects what, for messages (`Kyverno dnsConfig (ndots)`).
    pub name: String,
    /// Kinds it applies to.
    pub kinds: Vec<String>,
    /// JSON pointer of the injected field in the live object.
    pub live_pointer: String,
    /// Per-kind pointer overrides (cron jobs nest the pod template deeper).
    #[serde(default)]
    pub live_pointer_by_kind: BTreeMap<String, String>,
    /// The Terraform path that must be ignored.
    pub tf_path: String,
    /// Per-kind Terraform path overrides.
    #[serde(default)]
    pub tf_path_by_kind: BTreeMap<String, String>,
}

/// The mutations the built-in pack lists.
pub fn defaults() -> Vec<Mutation> {
    crate::pack::BUILTIN_PACKS
        .iter()
        .filter_map(|(name, text)| crate::pack::parse(name, text).ok())
        .flat_map(|p| p.mutations)
        .collect()
}

/// The injected fields `live` carries that `declared` neither ignores nor declares (only
/// for objects Terraform applies: server-side apply from a YAML manifest leaves fields it
/// does not set alone).
pub fn unsuppressed(
    mutations: &[Mutation],
    declared: &DeclaredObject,
    live: &LiveObject,
) -> Vec<Change> {
    let mut out = Vec::new();
    if declared.declared_by != DeclaredBy::Terraform {
        return out;
    }
    for m in mutations.iter().filter(|m| m.kinds.contains(&live.kind)) {
        let pointer = m
            .live_pointer_by_kind
            .get(&live.kind)
            .unwrap_or(&m.live_pointer);
        let Some(value) = live.raw.pointer(pointer) else {
            continue;
        };
        let tf_path = m.tf_path_by_kind.get(&live.kind).unwrap_or(&m.tf_path);
        let declares_itself = declared.fields.iter().any(|f| {
            crate::rules::lifecycle::path_covers(tf_path, &f.tf_path)
                || matches!(&f.field, Field::Annotation(k) | Field::Label(k) if tf_path.ends_with(&format!("[\"{k}\"]")))
        });
        if super::ignored(declared, tf_path) || declares_itself {
            continue;
        }
        let shown = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push(Change {
            field: format!("{} (`{tf_path}`)", m.name),
            declared: "(not declared, not ignored)".into(),
            live: shown,
        });
    }
    out
}
