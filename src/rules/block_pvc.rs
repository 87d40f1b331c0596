//! `block-pvc-settings` kind: claims on the block storage classes (`proxmox-lvm*`) carry
//! the settings of seed 000's PVC template: `wait_until_bound = false` (the classes bind on
//! first consumer, so waiting would hang the apply: `block-pvc-wait-until-bound`) and the
//! three `resize.topolvm.io/*` annotations (`block-pvc-autoresizer`). Both have safe fixes
//! that write the template's values.

use super::claims::CLAIM_TYPES;
use super::{Check, Emitter, FileContext};
use crate::finding::{Applicability, Edit};
use crate::fix::text;
use crate::index::{dir_of, Value};
use crate::syntax::hcl;
use hcl_edit::Span;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Parameters of a `block-pvc-settings` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Storage classes this applies to: a class equal to one of these or starting with
    /// `<entry>-` (`proxmox-lvm` covers `proxmox-lvm-encrypted`).
    pub storage_classes: Vec<String>,
    /// Top-level arguments of the claim resource and the literal they must have
    /// (`wait_until_bound: "false"`).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Annotations the claim must carry, with the value the fix writes, in the order the
    /// fix writes them.
    #[serde(default)]
    pub annotations: Vec<Annotation>,
    /// Where the requirement comes from, for messages.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One required annotation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annotation {
    /// Annotation key.
    pub key: String,
    /// The value the fix writes.
    pub value: String,
}

/// The check.
pub struct BlockPvcSettings {
    params: Params,
}

impl BlockPvcSettings {
    /// Builds the check.
    pub fn new(params: Params) -> Self {
        BlockPvcSettings { params }
    }

    fn covers(&self, class: &str) -> bool {
        super::claims::class_in(class, &self.params.storage_classes)
    }
}

impl Check for BlockPvcSettings {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        let file = ctx.file;
        let text = file.text.as_str();
        let dir = dir_of(&file.path);
        let reason = self
            .params
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        for (ty, _name, resource) in hcl::resources(&hcl_file.body) {
            if !CLAIM_TYPES.contains(&ty) {
                continue;
            }
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let meta = hcl::block(&resource.body, "metadata");
            let class_expr = hcl::block(&resource.body, "spec")
                .and_then(|s| hcl::attr(&s.body, "storage_class_name"));
            let class = match class_expr.map(|e| ctx.repo.eval(dir, file, e)) {
                Some(Value::Known(c)) if self.covers(&c) => c,
                Some(Value::Unknown(why)) => {
                    out.unverified(
                        owner.header.clone(),
                        format!(
                            "could not verify whether `{}` is a block-storage claim: its storage class is unknown ({why})",
                            owner.address
                        ),
                    )
                    .owned_by(&owner, file);
                    continue;
                }
                _ => continue,
            };
            let Some(resource_span) = resource.span() else {
                continue;
            };
            for (key, want) in &self.params.attributes {
                let current = resource.body.get_attribute(key);
                // `false` and `"false"` are the same to Terraform; a reference is evaluated.
                let ok = current.is_some_and(|a| {
                    hcl::normalized_text(text, &a.value)
                        .is_some_and(|v| v.trim_matches('"') == want)
                        || ctx.repo.eval(dir, file, &a.value) == Value::Known(want.clone())
                });
                if ok {
                    continue;
                }
                let (span, message, edit) = match current {
                    Some(a) => {
                        let span = a.value.span().unwrap_or(owner.header.clone());
                        let edit = Edit {
                            path: file.path.clone(),
                            span: span.clone(),
                            replacement: want.clone(),
                        };
                        (
                            span,
                            format!("`{}` (storage class `{class}`) sets `{key}` to something else than `{want}`{reason}", owner.address),
                            Some(edit),
                        )
                    }
                    None => (
                        owner.header.clone(),
                        format!(
                            "`{}` (storage class `{class}`) does not set `{key} = {want}`{reason}",
                            owner.address
                        ),
                        text::insert_after_opening_brace(
                            &file.path,
                            text,
                            &resource_span,
                            &[format!("{key} = {want}")],
                        ),
                    ),
                };
                let fix = ctx.fix(
                    Some(resource_span.clone()),
                    format!("set `{key} = {want}`"),
                    Applicability::Safe,
                    edit.into_iter().collect(),
                );
                out.violation(span, message)
                    .owned_by(&owner, file)
                    .with_fix(fix);
            }
            if self.params.annotations.is_empty() {
                continue;
            }
            let annotations = meta.and_then(|m| hcl::attr(&m.body, "annotations"));
            let declared: Vec<String> = annotations
                .map(|a| {
                    hcl::object_entries(a)
                        .into_iter()
                        .filter_map(|(k, _)| k)
                        .collect()
                })
                .unwrap_or_default();
            if annotations.is_some_and(|a| !matches!(a, hcl_edit::expr::Expression::Object(_))) {
                // `annotations = local.x` / merge(...): not readable here.
                if let Some(span) = annotations.and_then(|a| a.span()) {
                    out.unverified(
                        span,
                        format!(
                            "could not verify the annotations of `{}` (not a literal map)",
                            owner.address
                        ),
                    )
                    .owned_by(&owner, file);
                }
                continue;
            }
            let missing: Vec<(&String, &String)> = self
                .params
                .annotations
                .iter()
                .map(|a| (&a.key, &a.value))
                .filter(|(k, _)| !declared.iter().any(|d| d == *k))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let lines: Vec<String> = missing
                .iter()
                .map(|(k, v)| format!("\"{k}\" = \"{v}\""))
                .collect();
            let edit = match (annotations.and_then(|a| a.span()), meta) {
                (Some(obj), _) => {
                    text::insert_before_closing_brace(&file.path, text, &obj, &lines, false)
                }
                (None, Some(m)) => m.span().and_then(|m| {
                    let unit = text::indent_unit(text);
                    let mut block = vec!["annotations = {".to_string()];
                    block.extend(lines.iter().map(|l| format!("{unit}{l}")));
                    block.push("}".into());
                    text::insert_before_closing_brace(&file.path, text, &m, &block, false)
                }),
                (None, None) => None,
            };
            let names = missing
                .iter()
                .map(|(k, _)| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let fix = ctx.fix(
                Some(resource_span.clone()),
                "add the autoresizer annotations with the template's defaults".into(),
                Applicability::Safe,
                edit.into_iter().collect(),
            );
            let span = annotations
                .and_then(|a| a.span())
                .unwrap_or(owner.header.clone());
            out.violation(
                span,
                format!(
                    "`{}` (storage class `{class}`) lacks the annotation{} {names}{reason}",
                    owner.address,
                    if missing.len() == 1 { "" } else { "s" }
                ),
            )
            .owned_by(&owner, file)
            .with_fix(fix);
        }
    }
}
