//! `lifecycle-ignore`: resources of given types must list a path in
//! `lifecycle.ignore_changes`, tagged with a marker comment inside the lifecycle block.
//! The default pack's `kyverno-lifecycle` instance is this kind for Kyverno's dns_config.

use super::lifecycle::{marker_edit, path_blocks, path_covers, IgnoreList};
use super::{Check, Emitter, FileContext};
use crate::finding::{Applicability, Edit, Fix};
use crate::fix::text;
use crate::syntax::hcl;
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

/// What is wrong with one resource.
enum Problem {
    NoLifecycle,
    NoAttribute,
    NotListed,
    WrongPath(String, std::ops::Range<usize>),
    NoMarker(std::ops::Range<usize>),
}

impl LifecycleIgnore {
    fn problem(
        &self,
        ignore: Option<&IgnoreList>,
        required: &str,
        has_marker: bool,
    ) -> Option<Problem> {
        let p = &self.params;
        let Some(list) = ignore else {
            return Some(Problem::NoLifecycle);
        };
        if list.covers(required) {
            if list.all || has_marker {
                return None;
            }
            let entry = list
                .entries
                .iter()
                .find(|(e, _)| path_covers(e, required))
                .map(|(_, s)| s.clone())
                .unwrap_or(list.ident_span.clone());
            return Some(Problem::NoMarker(entry));
        }
        if !list.has_attribute {
            return Some(Problem::NoAttribute);
        }
        let known_paths = || std::iter::once(&p.path).chain(p.path_by_type.values());
        match list
            .entries
            .iter()
            .find(|(e, _)| e != required && known_paths().any(|k| k == e))
        {
            Some((entry, span)) => Some(Problem::WrongPath(entry.clone(), span.clone())),
            None => Some(Problem::NotListed),
        }
    }

    fn message(&self, problem: &Problem, address: &str, ty: &str, required: &str) -> String {
        let p = &self.params;
        let field = required.rsplit('.').next().unwrap_or(required);
        match problem {
            Problem::NoLifecycle => format!(
                "`{address}` has no `lifecycle` block: {} mutates `{field}`, so every plan shows drift; ignore `{required}`",
                p.mutator
            ),
            Problem::NoAttribute => format!("`{address}` has a lifecycle block without `ignore_changes`: add `{required}`"),
            Problem::NotListed => format!(
                "`{address}` lifecycle.ignore_changes does not list `{required}` ({} mutates `{field}`)",
                p.mutator
            ),
            Problem::WrongPath(entry, _) => format!(
                "`{address}` ignores `{entry}`, which is the wrong path for `{ty}`: it must ignore `{required}`"
            ),
            Problem::NoMarker(_) => format!(
                "`{address}` ignores `{required}` but the lifecycle block lacks the `# {}` marker comment",
                p.marker
            ),
        }
    }

    /// The safe fix for a problem, keeping the file's layout.
    fn fix(
        &self,
        ctx: &FileContext,
        resource: &Block,
        list: Option<&IgnoreList>,
        problem: &Problem,
        required: &str,
        has_marker: bool,
    ) -> Option<Fix> {
        let file = ctx.file;
        let comments = &ctx.hcl?.comments;
        let (path, t) = (file.path.as_str(), file.text.as_str());
        let marker = &self.params.marker;
        let unit = text::indent_unit(t);
        let mut edits = Vec::new();
        let description = match problem {
            Problem::NoLifecycle => {
                let lines = vec![
                    "lifecycle {".to_string(),
                    format!("{unit}ignore_changes = [{required}] # {marker}"),
                    "}".to_string(),
                ];
                edits.push(text::insert_before_closing_brace(
                    path,
                    t,
                    &resource.span()?,
                    &lines,
                    true,
                )?);
                format!("add `lifecycle {{ ignore_changes = [{required}] # {marker} }}`")
            }
            Problem::NoAttribute => {
                let lines = vec![format!("ignore_changes = [{required}] # {marker}")];
                edits.push(text::insert_before_closing_brace(
                    path,
                    t,
                    &list?.block_span,
                    &lines,
                    false,
                )?);
                format!("add `ignore_changes = [{required}]` to the lifecycle block")
            }
            Problem::NotListed => {
                let list = list?;
                let array = list.array_span.clone()?;
                let multi_line = t[array.clone()].contains('\n');
                let comment = (!has_marker && multi_line).then(|| marker.clone());
                let entry = text::Entry {
                    text: required.to_string(),
                    comment,
                };
                edits.extend(text::append_to_list(
                    path,
                    t,
                    &array,
                    &list.item_spans(),
                    &[entry],
                    comments,
                ));
                if !has_marker && !multi_line {
                    edits.push(marker_edit(
                        path,
                        t,
                        comments,
                        list,
                        list.attr_span.clone()?.start,
                        marker,
                    )?);
                }
                format!("add `{required}` to lifecycle.ignore_changes")
            }
            Problem::WrongPath(_, span) => {
                edits.push(Edit {
                    path: path.into(),
                    span: span.clone(),
                    replacement: required.to_string(),
                });
                if !has_marker {
                    edits.push(marker_edit(path, t, comments, list?, span.start, marker)?);
                }
                format!("replace the entry with `{required}`")
            }
            Problem::NoMarker(span) => {
                edits.push(marker_edit(path, t, comments, list?, span.start, marker)?);
                format!("add the `# {marker}` marker comment")
            }
        };
        ctx.fix(resource.span(), description, Applicability::Safe, edits)
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
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let required = self.required_path(ty);
            let shared = ctx.ignore_list(resource);
            let ignore = shared.as_deref();
            let has_marker = ignore
                .as_ref()
                .is_some_and(|l| l.has_marker(&file.text, &hcl_file.comments, &p.marker));
            let Some(problem) = self.problem(ignore, required, has_marker) else {
                continue;
            };
            if !matches!(problem, Problem::NoMarker(_)) {
                match self.declared_block(resource, required) {
                    Some((_, true)) => continue, // declares the injected value: the mutation is a no-op
                    Some((span, false)) => {
                        let opt = p.injected_option.as_ref().expect("declared implies option");
                        let field = required.rsplit('.').next().unwrap_or(required);
                        out.violation(
                            owner.header.clone(),
                            format!(
                                "`{}` declares its own `{field}` without `{} = \"{}\"` and does not ignore it: {} will rewrite it and every plan shows drift",
                                owner.address, opt.name, opt.value, p.mutator
                            ),
                        )
                        .owned_by(&owner, file)
                        .related(file, span, format!("declared `{field}`"));
                        continue;
                    }
                    None => {}
                }
            }
            let message = self.message(&problem, &owner.address, ty, required);
            let fix = self.fix(ctx, resource, ignore, &problem, required, has_marker);
            let f = out.violation(owner.header.clone(), message);
            f.owned_by(&owner, file).with_fix(fix);
            if let Some(list) = &ignore {
                let (span, label) = match &problem {
                    Problem::WrongPath(_, s) | Problem::NoMarker(s) => (s.clone(), "this entry"),
                    _ => (list.ident_span.clone(), "lifecycle block"),
                };
                f.related(file, span, label);
            }
        }
    }
}
