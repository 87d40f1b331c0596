//! `lifecycle-ignore`: resources of given types must list a path in
//! `lifecycle.ignore_changes`, tagged with a marker comment inside the lifecycle block.
//! The default pack's `kyverno-lifecycle` instance is this kind for Kyverno's dns_config.

use super::lifecycle::{path_blocks, IgnoreList};
use super::{Check, Emitter, FileContext};
use crate::syntax::hcl::{self, owner_of};
use anyhow::{bail, Result};
use hcl_edit::structure::Block;
use hcl_edit::Span;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Parameters of a `lifecycle-ignore` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Resource types the rule applies to.
    pub resource_types: Vec<String>,
    /// Path that must be ignored.
    pub path: String,
    /// Per-type path overrides (cron jobs nest the pod template deeper).
    #[serde(default)]
    pub path_by_type: BTreeMap<String, String>,
    /// Marker comment that must appear inside the lifecycle block.
    pub marker: String,
    /// Who mutates the field (for messages), e.g. "Kyverno".
    #[serde(default = "default_mutator")]
    pub mutator: String,
    /// An option the mutation injects into the block at `path`; a resource that already
    /// declares the block with this option is compliant (the mutation is a no-op).
    #[serde(default)]
    pub injected_option: Option<InjectedOption>,
}

/// `option { name = NAME value = VALUE }` inside the mutated block.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectedOption {
    /// Option name, e.g. `ndots`.
    pub name: String,
    /// Option value, e.g. `"2"`.
    pub value: String,
}

fn default_mutator() -> String {
    "an admission policy".into()
}

/// The check.
pub struct LifecycleIgnore {
    params: Params,
}

impl LifecycleIgnore {
    /// Builds the check, validating the parameters.
    pub fn new(params: Params) -> Result<Self> {
        if params.resource_types.is_empty() {
            bail!("`resource_types` must not be empty");
        }
        if params.marker.trim().is_empty() {
            bail!("`marker` must not be empty");
        }
        Ok(LifecycleIgnore { params })
    }

    fn required_path(&self, ty: &str) -> &str {
        self.params
            .path_by_type
            .get(ty)
            .map(String::as_str)
            .unwrap_or(&self.params.path)
    }

    /// Whether the resource declares the mutated block itself, and whether it already
    /// carries the injected option.
    fn declared_block(
        &self,
        resource: &Block,
        path: &str,
    ) -> Option<(std::ops::Range<usize>, bool)> {
        let injected = self.params.injected_option.as_ref()?;
        let declared = hcl::block_path(&resource.body, &path_blocks(path))?;
        let carries = hcl::blocks(&declared.body, "option").any(|opt| {
            let name = hcl::attr(&opt.body, "name").and_then(hcl::literal_str);
            let value = hcl::attr(&opt.body, "value").and_then(hcl::literal_str);
            name.as_deref() == Some(injected.name.as_str())
                && value.as_deref() == Some(injected.value.as_str())
        });
        Some((declared.span().unwrap_or(0..0), carries))
    }
}

impl Check for LifecycleIgnore {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        let file = ctx.file;
        let p = &self.params;
        for (ty, _name, resource) in hcl::resources(&hcl_file.body) {
            if !p.resource_types.iter().any(|t| t == ty) {
                continue;
            }
            let Some(owner) = owner_of(resource) else {
                continue;
            };
            let required = self.required_path(ty);
            let ignore = IgnoreList::of(file, resource);
            let covered = ignore.as_ref().is_some_and(|l| l.covers(required));
            if covered {
                let list = ignore.as_ref().expect("covered implies a list");
                if list.all {
                    continue;
                }
                let has_marker = hcl_file.comments.iter().any(|c| {
                    c.span.start >= list.block_span.start
                        && c.span.end <= list.block_span.end
                        && file.text[c.span.clone()].contains(&p.marker)
                });
                if !has_marker {
                    let entry = list
                        .entries
                        .iter()
                        .find(|(e, _)| super::lifecycle::path_covers(e, required))
                        .map(|(_, s)| s.clone())
                        .unwrap_or(list.ident_span.clone());
                    out.violation(
                        owner.header.clone(),
                        format!(
                            "`{}` ignores `{required}` but the lifecycle block lacks the `# {}` marker comment",
                            owner.address, p.marker
                        ),
                    )
                    .owned_by(&owner, file)
                    .related(file, entry, format!("add `# {}` at the end of this line", p.marker));
                }
                continue;
            }
            let declared = self.declared_block(resource, required);
            if let Some((_, true)) = declared {
                continue; // declares the injected value itself: the mutation is a no-op
            }
            let field = required.rsplit('.').next().unwrap_or(required);
            let message = if let Some((span, false)) = declared {
                let opt = p.injected_option.as_ref().expect("declared implies option");
                let f = out.violation(
                    owner.header.clone(),
                    format!(
                        "`{}` declares its own `{field}` without `{} = \"{}\"` and does not ignore it: {} will rewrite it and every plan shows drift",
                        owner.address, opt.name, opt.value, p.mutator
                    ),
                );
                f.owned_by(&owner, file)
                    .related(file, span, format!("declared `{field}`"));
                continue;
            } else {
                match &ignore {
                    None => format!(
                        "`{}` has no `lifecycle` block: {} mutates `{field}`, so every plan shows drift; ignore `{required}`",
                        owner.address, p.mutator
                    ),
                    Some(list) => {
                        let wrong = list.entries.iter().find(|(e, _)| {
                            e != required
                                && (e == &p.path || p.path_by_type.values().any(|v| v == e))
                        });
                        match wrong {
                            Some((entry, _)) => format!(
                                "`{}` ignores `{entry}`, which is the wrong path for `{ty}`: it must ignore `{required}`",
                                owner.address
                            ),
                            None if !list.has_attribute => format!(
                                "`{}` has a lifecycle block without `ignore_changes`: add `{required}`",
                                owner.address
                            ),
                            None => format!(
                                "`{}` lifecycle.ignore_changes does not list `{required}` ({} mutates `{field}`)",
                                owner.address, p.mutator
                            ),
                        }
                    }
                }
            };
            let f = out.violation(owner.header.clone(), message);
            f.owned_by(&owner, file);
            if let Some(list) = &ignore {
                let span = list
                    .entries
                    .iter()
                    .find(|(e, _)| e == &p.path || p.path_by_type.values().any(|v| v == e))
                    .map(|(_, s)| s.clone())
                    .unwrap_or(list.ident_span.clone());
                f.related(file, span, "lifecycle block");
            }
        }
    }
}
