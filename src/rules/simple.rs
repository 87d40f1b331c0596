//! Small rule kinds that look at one block or attribute:
//! - `required-attribute`: resources of given types set an attribute (`helm-release-pinned`:
//!   every `helm_release` pins `version`, seed 000);
//! - `manifest-field`: `kubernetes_manifest` objects of given kinds set a field to an allowed
//!   value (`kyverno-failure-policy-ignore`, `vpa-initial-mode`, seed 000);
//! - `import-block`: top-level `import {}` blocks, which are meant to be deleted after the
//!   apply that used them (`import-block-transient`, seed 002).

use super::{Check, Emitter, FileContext};
use crate::index::{dir_of, Value};
use crate::syntax::hcl;
use hcl_edit::expr::Expression;
use hcl_edit::Span;
use serde::Deserialize;

/// Parameters of a `required-attribute` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredAttributeParams {
    /// Resource types held to the rule.
    pub resource_types: Vec<String>,
    /// The top-level argument they must set (to something other than `""` or `null`).
    pub attribute: String,
    /// Why, for the message.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The `required-attribute` check.
pub struct RequiredAttribute {
    params: RequiredAttributeParams,
}

impl RequiredAttribute {
    /// Builds the check.
    pub fn new(params: RequiredAttributeParams) -> Self {
        RequiredAttribute { params }
    }
}

impl Check for RequiredAttribute {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        let p = &self.params;
        let reason = p
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        for (ty, _name, resource) in hcl::resources(&hcl_file.body) {
            if !p.resource_types.iter().any(|t| t == ty) {
                continue;
            }
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let value = hcl::attr(&resource.body, &p.attribute);
            let empty = match value {
                None => true,
                Some(Expression::Null(_)) => true,
                Some(e) => hcl::literal_str(e).is_some_and(|s| s.trim().is_empty()),
            };
            if empty {
                let span = value.and_then(|v| v.span()).unwrap_or(owner.header.clone());
                out.violation(
                    span,
                    format!("`{}` does not set `{}`{reason}", owner.address, p.attribute),
                )
                .owned_by(&owner, ctx.file);
            }
        }
    }
}

/// Parameters of a `manifest-field` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFieldParams {
    /// Object kinds (`manifest.kind`) held to the rule.
    pub kinds: Vec<String>,
    /// Only objects whose `apiVersion` starts with this (`kyverno.io/`); empty: any.
    #[serde(default)]
    pub api_version_prefix: String,
    /// Dot-separated path of the field in the manifest (`spec.failurePolicy`).
    pub field: String,
    /// Accepted values.
    pub allowed: Vec<String>,
    /// The value the API server assumes when the field is absent (a default outside
    /// `allowed` makes an absent field a violation).
    #[serde(default)]
    pub default: Option<String>,
    /// Why, for the message.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The `manifest-field` check.
pub struct ManifestField {
    params: ManifestFieldParams,
}

impl ManifestField {
    /// Builds the check.
    pub fn new(params: ManifestFieldParams) -> Self {
        ManifestField { params }
    }
}

impl Check for ManifestField {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        let p = &self.params;
        let file = ctx.file;
        let dir = dir_of(&file.path);
        let reason = p
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        for (ty, _name, resource) in hcl::resources(&hcl_file.body) {
            if ty != "kubernetes_manifest" {
                continue;
            }
            // Only for files with manifests: every file of a repository used to build it.
            let allowed = p
                .allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let Some(manifest) = hcl::attr(&resource.body, "manifest") else {
                continue;
            };
            let kind = hcl::object_get(manifest, "kind").and_then(hcl::literal_str);
            if !kind.as_ref().is_some_and(|k| p.kinds.contains(k)) {
                continue;
            }
            let kind = kind.unwrap_or_default();
            let api = hcl::object_get(manifest, "apiVersion")
                .and_then(hcl::literal_str)
                .unwrap_or_default();
            if !api.starts_with(&p.api_version_prefix) {
                continue;
            }
            let mut node = Some(manifest);
            for key in p.field.split('.') {
                node = node.and_then(|n| hcl::object_get(n, key));
            }
            match node {
                None => {
                    if p.default.as_ref().is_some_and(|d| !p.allowed.contains(d)) {
                        out.violation(
                            owner.header.clone(),
                            format!(
                                "{kind} `{}` does not set `{}`, so it is `{}`; set it to {allowed}{reason}",
                                owner.address,
                                p.field,
                                p.default.as_deref().unwrap_or_default()
                            ),
                        )
                        .owned_by(&owner, file);
                    }
                }
                Some(expr) => match ctx.repo.eval(dir, file, expr) {
                    Value::Known(v) if p.allowed.contains(&v) => {}
                    Value::Known(v) => {
                        out.violation(
                            expr.span().unwrap_or(owner.header.clone()),
                            format!(
                                "{kind} `{}` sets `{}` to `{v}`; it must be {allowed}{reason}",
                                owner.address, p.field
                            ),
                        )
                        .owned_by(&owner, file);
                    }
                    Value::Unknown(why) => {
                        out.unverified(
                            expr.span().unwrap_or(owner.header.clone()),
                            format!(
                                "could not verify `{}` of {kind} `{}` ({why})",
                                p.field, owner.address
                            ),
                        )
                        .owned_by(&owner, file);
                    }
                },
            }
        }
    }
}

/// `import-block` takes no parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportBlockParams {}

/// The `import-block` check.
pub struct ImportBlock;

impl ImportBlock {
    /// Builds the check.
    pub fn new(_params: ImportBlockParams) -> Self {
        ImportBlock
    }
}

impl Check for ImportBlock {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        for block in hcl_file.body.iter().filter_map(|s| s.as_block()) {
            if block.ident.as_str() != "import" {
                continue;
            }
            let to = hcl::attr(&block.body, "to")
                .and_then(|e| hcl::normalized_text(&ctx.file.text, e))
                .unwrap_or_else(|| "?".into());
            let span = block.ident.span().unwrap_or(0..0);
            out.violation(
                span,
                format!("`import` block for `{to}`: once the apply that adopted it has run (plan shows no changes), delete the block"),
            );
        }
    }

    /// The block's `to = ...` line: it identifies the block in older versions of the file,
    /// so the message can say how long the block (meant to go after one apply) has stayed.
    fn history_line(&self, finding: &crate::finding::Finding, text: &str) -> Option<String> {
        text.lines()
            .skip(finding.location.line)
            .take(20)
            .map(str::trim)
            .find(|l| l.starts_with("to ") || l.starts_with("to="))
            .map(str::to_string)
    }

    fn with_history(
        &self,
        finding: &mut crate::finding::Finding,
        commit: &str,
        date: &str,
        days: i64,
    ) {
        finding.message.push_str(&format!(
            " (in the repository since {date}, {days} day{}, commit {})",
            if days == 1 { "" } else { "s" },
            &commit[..commit.len().min(12)]
        ));
    }
}
