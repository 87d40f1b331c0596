//! `container-resources` kind (`container-resources-explicit`): every container sets a
//! memory request and a memory limit, and no CPU limit (seed 000: "All CPU limits removed
//! cluster-wide (CFS throttling). Only set CPU requests based on actual usage.").

use super::pods::{containers, pod_spec, Container};
use super::{Check, Emitter, FileContext};
use crate::syntax::hcl;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use hcl_edit::Span;
use serde::Deserialize;

/// Parameters of a `container-resources` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `requests.<name>` every container sets (`memory`).
    #[serde(default)]
    pub required_requests: Vec<String>,
    /// `limits.<name>` every container sets (`memory`).
    #[serde(default)]
    pub required_limits: Vec<String>,
    /// `limits.<name>` no container sets (`cpu`).
    #[serde(default)]
    pub forbidden_limits: Vec<String>,
}

/// The check.
pub struct ContainerResources {
    params: Params,
}

impl ContainerResources {
    /// Builds the check.
    pub fn new(params: Params) -> Self {
        ContainerResources { params }
    }
}

/// The keys of `resources.<section>`, written as an argument (`limits = { memory = ... }`)
/// or, in the provider's older syntax, as a block (`limits { memory = ... }`). `None` when
/// the section is an expression that cannot be read here (`var.limits`).
fn section_keys(resources: &Body, section: &str) -> Option<Vec<String>> {
    if let Some(expr) = hcl::attr(resources, section) {
        return match expr {
            Expression::Object(_) => Some(
                hcl::object_entries(expr)
                    .into_iter()
                    .filter_map(|(k, _)| k)
                    .collect(),
            ),
            _ => None,
        };
    }
    Some(match hcl::block(resources, section) {
        Some(b) => hcl::attributes(&b.body)
            .map(|a| a.key.as_str().to_string())
            .collect(),
        None => Vec::new(),
    })
}

impl ContainerResources {
    fn check_container(
        &self,
        c: &Container,
        owner: &hcl::Owner,
        ctx: &FileContext,
        out: &mut Emitter,
    ) {
        let p = &self.params;
        let who = match c.name() {
            Some(n) => format!("{} `{n}` of `{}`", c.kind, owner.address),
            None => format!("a {} of `{}`", c.kind, owner.address),
        };
        let at = c.block.ident.span().unwrap_or(owner.header.clone());
        let resources = hcl::block(c.body, "resources").or_else(|| {
            hcl::dynamic_blocks(c.body, "resources").find_map(|d| hcl::block(&d.body, "content"))
        });
        let Some(resources) = resources else {
            if !p.required_requests.is_empty() || !p.required_limits.is_empty() {
                out.violation(at, format!("{who} sets no `resources`: without a memory request and limit the scheduler over-commits the node and the OOM killer picks victims at random"))
                    .owned_by(owner, ctx.file);
            }
            return;
        };
        let rspan = resources.ident.span().unwrap_or(at.clone());
        let mut missing = Vec::new();
        let mut unknown = Vec::new();
        for (section, wanted) in [
            ("requests", &p.required_requests),
            ("limits", &p.required_limits),
        ] {
            if wanted.is_empty() {
                continue;
            }
            match section_keys(&resources.body, section) {
                Some(keys) => missing.extend(
                    wanted
                        .iter()
                        .filter(|w| !keys.contains(w))
                        .map(|w| format!("{section}.{w}")),
                ),
                None => unknown.push(section),
            }
        }
        if !missing.is_empty() {
            out.violation(
                rspan.clone(),
                format!(
                    "{who} does not set {}",
                    missing
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .owned_by(owner, ctx.file);
        }
        if !unknown.is_empty() {
            out.unverified(
                rspan.clone(),
                format!(
                    "could not verify the resources of {who}: `{}` is not a literal map",
                    unknown.join("`, `")
                ),
            )
            .owned_by(owner, ctx.file);
        }
        if let Some(keys) = section_keys(&resources.body, "limits") {
            let limits_span = resources
                .body
                .get_attribute("limits")
                .and_then(|a| a.key.span())
                .or_else(|| hcl::block(&resources.body, "limits").and_then(|b| b.ident.span()))
                .unwrap_or(rspan.clone());
            for f in p.forbidden_limits.iter().filter(|f| keys.contains(f)) {
                out.violation(limits_span.clone(), format!("{who} sets `limits.{f}`: CPU limits were removed cluster-wide because CFS throttling stalls pods below their limit; set only `requests.{f}`"))
                    .owned_by(owner, ctx.file);
            }
        }
    }
}

impl Check for ContainerResources {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        for (ty, _name, resource) in hcl::resources(&hcl_file.body) {
            let Some(pod) = pod_spec(ty, resource) else {
                continue;
            };
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            for c in containers(pod.block) {
                self.check_container(&c, &owner, ctx, out);
            }
        }
    }
}
