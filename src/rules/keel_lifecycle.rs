//! `keel-lifecycle`: workloads in Keel-enrolled namespaces must ignore the fields Keel and
//! its Kyverno policy rewrite (seed 002, KYVERNO_LIFECYCLE_V2 / KEEL_IGNORE_IMAGE /
//! KEEL_LIFECYCLE_V1): the keel.sh annotations, each container's image, and the
//! rollout-bookkeeping annotations.

use super::lifecycle::IgnoreList;
use super::{Check, Condition, Emitter, FileContext};
use crate::finding::{Applicability, Edit, Fix};
use crate::fix::text;
use crate::index::{dir_of, Value};
use crate::syntax::hcl;
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span;
use serde::Deserialize;

/// A label (or annotation) key and value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelMatch {
    /// Label key.
    pub key: String,
    /// Label value.
    pub value: String,
}

/// Parameters of a `keel-lifecycle` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Workload resource types the rule applies to.
    pub resource_types: Vec<String>,
    /// Namespace label that enrols a namespace.
    pub enrolled_label: LabelMatch,
    /// Workload label or annotation that opts a workload out.
    pub opt_out: LabelMatch,
    /// Annotations the policy injects on the workload's metadata (ignored as
    /// `metadata[0].annotations["KEY"]`, unless the workload declares them itself).
    #[serde(default)]
    pub annotations: Vec<String>,
    /// Marker comment the fix puts after the last annotation entry.
    #[serde(default)]
    pub annotations_marker: Option<String>,
    /// Other paths enrolled workloads must ignore, in canonical order.
    #[serde(default)]
    pub paths: Vec<PathEntry>,
    /// Require `container[N].image` / `init_container[N].image` per container.
    #[serde(default = "yes")]
    pub container_images: bool,
    /// Marker comment the fix puts after each image entry.
    #[serde(default)]
    pub image_marker: Option<String>,
    /// Path of the pod spec inside the workload.
    #[serde(default = "default_pod_spec")]
    pub pod_spec_path: String,
}

/// A path to ignore, optionally only for some resource types, with the marker the fix
/// writes after it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathEntry {
    /// The `ignore_changes` path.
    pub path: String,
    /// Only for these resource types (all when empty).
    #[serde(default)]
    pub types: Vec<String>,
    /// Marker comment written after the entry by the fix.
    #[serde(default)]
    pub marker: Option<String>,
}

fn yes() -> bool {
    true
}

fn default_pod_spec() -> String {
    "spec[0].template[0].spec[0]".into()
}

/// The check.
pub struct KeelLifecycle {
    params: Params,
}

impl KeelLifecycle {
    /// Builds the check.
    pub fn new(params: Params) -> Self {
        KeelLifecycle { params }
    }
}

/// Whether metadata labels or annotations carry `key = value`.
fn metadata_has(meta: Option<&Block>, key: &str, value: &str) -> bool {
    let Some(meta) = meta else { return false };
    ["labels", "annotations"].iter().any(|map| {
        hcl::attr(&meta.body, map)
            .and_then(|m| hcl::object_get(m, key))
            .and_then(hcl::literal_str)
            .is_some_and(|v| v == value)
    })
}

fn declared_annotation(meta: Option<&Block>, key: &str) -> bool {
    meta.and_then(|m| hcl::attr(&m.body, "annotations"))
        .and_then(|a| hcl::object_get(a, key))
        .is_some()
}

/// Counts `NAME` blocks in a pod spec; `None` when a `dynamic "NAME"` block makes it unknown.
fn count_blocks(pod: &Body, name: &str) -> Option<usize> {
    if hcl::dynamic_blocks(pod, name).next().is_some() {
        return None;
    }
    Some(hcl::blocks(pod, name).count())
}

impl Check for KeelLifecycle {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        let file = ctx.file;
        let p = &self.params;
        let dir = dir_of(&file.path);
        for (ty, _name, resource) in hcl::resources(&hcl_file.body) {
            if !p.resource_types.iter().any(|t| t == ty) {
                continue;
            }
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let meta = hcl::block(&resource.body, "metadata");
            if metadata_has(meta, &p.opt_out.key, &p.opt_out.value) {
                continue;
            }
            let ns_expr = meta.and_then(|m| hcl::attr(&m.body, "namespace"));
            let namespace = match ns_expr {
                None => Value::Known("default".into()),
                Some(e) => ctx.repo.eval(dir, file, e),
            };
            let namespace = match namespace {
                Value::Known(ns) => ns,
                Value::Unknown(why) => {
                    let span = ns_expr
                        .and_then(|e| e.span())
                        .unwrap_or(owner.header.clone());
                    out.unverified(
                        owner.header.clone(),
                        format!(
                            "could not verify `{}`: its namespace could not be resolved ({why}), so whether Keel manages it is unknown",
                            owner.address
                        ),
                    )
                    .owned_by(&owner, file)
                    .related(file, span, "namespace");
                    continue;
                }
            };
            if ctx.repo.namespaces.contains_key(&namespace)
                && matches!(
                    crate::index::label_match(
                        &ctx.repo.namespaces,
                        &namespace,
                        &p.enrolled_label.key,
                        &p.enrolled_label.value
                    ),
                    crate::index::LabelMatch::No
                )
            {
                continue; // declared in this stack without the label: not enrolled
            }
            let enrolled = Condition::NamespaceLabel {
                namespace: namespace.clone(),
                key: p.enrolled_label.key.clone(),
                value: p.enrolled_label.value.clone(),
            };

            let mut required: Vec<(String, Option<String>)> = Vec::new();
            for (i, key) in p.annotations.iter().enumerate() {
                if !declared_annotation(meta, key) {
                    let marker = (i + 1 == p.annotations.len())
                        .then(|| p.annotations_marker.clone())
                        .flatten();
                    required.push((format!("metadata[0].annotations[\"{key}\"]"), marker));
                }
            }
            let mut unknown_counts = Vec::new();
            if p.container_images {
                let pod_path = super::lifecycle::path_blocks(&p.pod_spec_path);
                if let Some(pod) = hcl::block_path(&resource.body, &pod_path) {
                    for kind in ["container", "init_container"] {
                        match count_blocks(&pod.body, kind) {
                            Some(n) => required.extend((0..n).map(|i| {
                                (
                                    format!("{}.{kind}[{i}].image", p.pod_spec_path),
                                    p.image_marker.clone(),
                                )
                            })),
                            None => unknown_counts.push(kind),
                        }
                    }
                }
            }
            for entry in &p.paths {
                if entry.types.is_empty() || entry.types.iter().any(|t| t == ty) {
                    required.push((entry.path.clone(), entry.marker.clone()));
                }
            }

            let shared = ctx.ignore_list(resource);
            let ignore = shared.as_deref();
            let missing: Vec<&(String, Option<String>)> = required
                .iter()
                .filter(|(path, _)| !ignore.as_ref().is_some_and(|l| l.covers(path)))
                .collect();
            if !missing.is_empty() {
                let list = missing
                    .iter()
                    .map(|(m, _)| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let f = out.violation(
                    owner.header.clone(),
                    format!(
                        "`{}` is in Keel-enrolled namespace `{namespace}` but lifecycle.ignore_changes is missing {} entr{}: {list}",
                        owner.address,
                        missing.len(),
                        if missing.len() == 1 { "y" } else { "ies" }
                    ),
                );
                let fix = fix(ctx, resource, ignore, &missing);
                f.owned_by(&owner, file).with_fix(fix);
                if let Some(list) = &ignore {
                    f.related(file, list.ident_span.clone(), "lifecycle block");
                }
                f.help = Some(p_help(&p.opt_out));
                out.condition_last(enrolled.clone(), &ctx.repo.namespaces);
            }
            for kind in unknown_counts {
                let span = hcl::block_path(
                    &resource.body,
                    &super::lifecycle::path_blocks(&p.pod_spec_path),
                )
                .and_then(|pod| hcl::dynamic_blocks(&pod.body, kind).next())
                .and_then(|b| b.span())
                .unwrap_or(owner.header.clone());
                out.unverified(
                    owner.header.clone(),
                    format!(
                        "could not verify the `{kind}[N].image` entries of `{}`: a `dynamic \"{kind}\"` block makes the number of {kind}s unknown",
                        owner.address
                    ),
                )
                .owned_by(&owner, file)
                .related(file, span, format!("dynamic \"{kind}\""))
                .help(format!("list one `{kind}[N].image` entry per {kind} the dynamic block generates, then suppress this note with a reason (`# infra-audit:ignore[keel-lifecycle] ...`)"));
                out.condition_last(enrolled.clone(), &ctx.repo.namespaces);
            }
        }
    }
}

fn p_help(opt_out: &LabelMatch) -> String {
    format!(
        "add the missing lines to ignore_changes (canonical block in AGENTS.md), or opt the workload out with `{} = \"{}\"` in its metadata labels",
        opt_out.key, opt_out.value
    )
}

/// Adds the missing entries, in canonical order with their markers: a whole lifecycle
/// block when there is none, an `ignore_changes` attribute when the block has none, new
/// lines in a multi-line list, and a single-line list is opened up into one line per entry.
fn fix(
    ctx: &FileContext,
    resource: &Block,
    list: Option<&IgnoreList>,
    missing: &[&(String, Option<String>)],
) -> Option<Fix> {
    let file = ctx.file;
    let comments = &ctx.hcl?.comments;
    let (path, t) = (file.path.as_str(), file.text.as_str());
    let unit = text::indent_unit(t);
    let line = |(p, marker): &(String, Option<String>), indent: &str| match marker {
        Some(m) => format!("{indent}{p}, # {m}"),
        None => format!("{indent}{p},"),
    };
    let attribute = |indent: &str| -> Vec<String> {
        let mut lines = vec![format!("{indent}ignore_changes = [")];
        lines.extend(missing.iter().map(|m| line(m, &format!("{indent}{unit}"))));
        lines.push(format!("{indent}]"));
        lines
    };
    let edits = match list {
        None => {
            let mut lines = vec!["lifecycle {".to_string()];
            lines.extend(attribute(unit));
            lines.push("}".to_string());
            vec![text::insert_before_closing_brace(
                path,
                t,
                &resource.span()?,
                &lines,
                true,
            )?]
        }
        Some(list) if !list.has_attribute => {
            vec![text::insert_before_closing_brace(
                path,
                t,
                &list.block_span,
                &attribute(""),
                false,
            )?]
        }
        Some(list) => {
            let array = list.array_span.clone()?;
            if t[array.clone()].contains('\n') {
                let entries: Vec<text::Entry> = missing
                    .iter()
                    .map(|(p, m)| text::Entry {
                        text: p.clone(),
                        comment: m.clone(),
                    })
                    .collect();
                text::append_to_list(path, t, &array, &list.item_spans(), &entries, comments)
            } else {
                if t[array.clone()].contains("/*") {
                    return None;
                }
                let nl = text::eol(t);
                let indent = text::indent_at(t, list.attr_span.clone()?.start);
                let inner = format!("{indent}{unit}");
                // A comment after `]` (a marker such as KYVERNO_LIFECYCLE_V1) belongs to the
                // entries already there: keep it on the first of them.
                let after = array.end..text::line_end(t, array.end);
                let trailing = comments
                    .iter()
                    .find(|c| c.span.start >= after.start && c.span.start < after.end)
                    .filter(|c| t[after.start..c.span.start].trim().is_empty());
                let span = match trailing {
                    Some(c) => array.start..c.span.end,
                    None => array.clone(),
                };
                let mut body = format!("[{nl}");
                for (i, (_, entry)) in list.entries.iter().enumerate() {
                    body.push_str(&format!("{inner}{},", &t[entry.clone()]));
                    if let (0, Some(c)) = (i, trailing) {
                        body.push(' ');
                        body.push_str(&t[c.span.clone()]);
                    }
                    body.push_str(nl);
                }
                for m in missing {
                    body.push_str(&line(m, &inner));
                    body.push_str(nl);
                }
                body.push_str(&format!("{indent}]"));
                if let (true, Some(c)) = (list.entries.is_empty(), trailing) {
                    body.push(' ');
                    body.push_str(&t[c.span.clone()]);
                }
                vec![Edit {
                    path: path.into(),
                    span,
                    replacement: body,
                }]
            }
        }
    };
    let description = format!(
        "add {} lifecycle.ignore_changes entr{}",
        missing.len(),
        if missing.len() == 1 { "y" } else { "ies" }
    );
    ctx.fix(resource.span(), description, Applicability::Safe, edits)
}
