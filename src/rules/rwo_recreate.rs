//! `rwo-recreate` kind (`rwo-deployment-recreate`): a Deployment that mounts a claim on a
//! block storage class (ReadWriteOnce, `proxmox-lvm*`) uses `strategy { type = "Recreate" }`
//! (seed 000: "Deployment strategy must be Recreate (RWO volumes)"). A rolling update starts
//! the new pod while the old one still holds the volume, and the new pod never starts.
//!
//! `claim_name` is followed to the claim: a reference to a claim resource of the same
//! module (`kubernetes_persistent_volume_claim.x.metadata[0].name`), a name (literal, or
//! through locals and variable defaults) matching such a claim's `metadata.name`, or a
//! module call (`module.x.<output>`) whose arguments name a block storage class.

use super::{Check, Emitter, FileContext};
use crate::finding::{Applicability, Edit};
use crate::fix::text;
use crate::index::{dir_of, Value};
use crate::syntax::hcl;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use hcl_edit::Span;
use serde::Deserialize;

/// Parameters of a `rwo-recreate` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Block storage classes (an entry also covers `<entry>-*`).
    pub storage_classes: Vec<String>,
    /// Resource types held to the rule.
    #[serde(default = "default_types")]
    pub resource_types: Vec<String>,
    /// Also check YAML Deployments and app-template controllers, whose claims are
    /// ReadWriteOnce by their access mode (resolved through Flux variables).
    #[serde(default)]
    pub yaml: bool,
}

fn default_types() -> Vec<String> {
    vec![
        "kubernetes_deployment".into(),
        "kubernetes_deployment_v1".into(),
    ]
}

/// The check.
pub struct RwoRecreate {
    params: Params,
}

impl RwoRecreate {
    /// Builds the check.
    pub fn new(params: Params) -> Self {
        RwoRecreate { params }
    }

    fn block_class(&self, class: &str) -> bool {
        super::claims::class_in(class, &self.params.storage_classes)
    }
}

/// Every `claim_name` expression under the pod spec's volumes (static and `dynamic`).
fn claim_names(pod: &Body) -> Vec<&Expression> {
    let mut out = Vec::new();
    let volumes = hcl::blocks(pod, "volume").map(|v| &v.body).chain(
        hcl::dynamic_blocks(pod, "volume")
            .filter_map(|d| hcl::block(&d.body, "content").map(|c| &c.body)),
    );
    for body in volumes {
        if let Some(pvc) = hcl::block(body, "persistent_volume_claim") {
            if let Some(e) = hcl::attr(&pvc.body, "claim_name") {
                out.push(e);
            }
        }
    }
    out
}

impl RwoRecreate {
    /// The block storage class of the claim `expr` names (see [`super::claims`]).
    fn claim_class(
        &self,
        ctx: &FileContext,
        expr: &Expression,
    ) -> Result<Option<(String, String)>, String> {
        super::claims::claim_class(ctx, expr, &|c| self.block_class(c))
    }
}

impl Check for RwoRecreate {
    fn wants_yaml(&self) -> bool {
        self.params.yaml
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        if self.params.yaml {
            for doc in ctx.yaml.into_iter().flat_map(|y| y.docs.iter()) {
                for w in super::manifests::workloads(doc) {
                    super::yaml_rules::rwo_recreate(ctx, &w, out);
                }
            }
        }
        let Some(hcl_file) = ctx.hcl else { return };
        let file = ctx.file;
        let text = file.text.as_str();
        for (ty, _name, resource) in hcl::resources(&hcl_file.body) {
            if !self.params.resource_types.iter().any(|t| t == ty) {
                continue;
            }
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let Some(spec) = hcl::block(&resource.body, "spec") else {
                continue;
            };
            let Some(pod) = hcl::block_path(&spec.body, &["template", "spec"]) else {
                continue;
            };
            let strategy = hcl::block(&spec.body, "strategy");
            let type_expr = strategy.and_then(|s| hcl::attr(&s.body, "type"));
            let evaluated = type_expr.map(|e| ctx.repo.eval(dir_of(&file.path), file, e));
            let strategy_type = match &evaluated {
                Some(Value::Known(t)) => Some(t.clone()),
                _ => None,
            };
            if strategy_type.as_deref() == Some("Recreate") {
                continue;
            }
            let mut claim = None;
            for expr in claim_names(&pod.body) {
                match self.claim_class(ctx, expr) {
                    Ok(Some(found)) => {
                        claim = Some(found);
                        break;
                    }
                    Ok(None) => {}
                    Err(why) => {
                        out.unverified(
                            expr.span().unwrap_or(owner.header.clone()),
                            format!("could not verify whether `{}` mounts a ReadWriteOnce block volume ({why})", owner.address),
                        )
                        .owned_by(&owner, file);
                    }
                }
            }
            let Some((claim, class)) = claim else {
                continue;
            };
            let now = match &strategy_type {
                Some(t) => format!("uses strategy `{t}`"),
                None => "sets no strategy, so it rolls (RollingUpdate)".to_string(),
            };
            let has_rolling_update =
                strategy.is_some_and(|s| hcl::block(&s.body, "rolling_update").is_some());
            let edit = if has_rolling_update {
                None
            } else {
                match strategy {
                    Some(s) => match hcl::attr(&s.body, "type").and_then(|e| e.span()) {
                        Some(span) => Some(Edit {
                            path: file.path.clone(),
                            span,
                            replacement: "\"Recreate\"".into(),
                        }),
                        None => s.span().and_then(|b| {
                            text::insert_before_closing_brace(
                                &file.path,
                                text,
                                &b,
                                &["type = \"Recreate\"".into()],
                                false,
                            )
                        }),
                    },
                    None => {
                        let lines = [
                            "strategy {".to_string(),
                            format!("{}type = \"Recreate\"", text::indent_unit(text)),
                            "}".to_string(),
                        ];
                        // After the spec's arguments, above its first nested block.
                        match spec
                            .body
                            .iter()
                            .find_map(|s| s.as_block())
                            .and_then(|b| b.span())
                        {
                            Some(first) => {
                                text::insert_above_line(&file.path, text, first.start, &lines)
                            }
                            None => spec.span().and_then(|b| {
                                text::insert_before_closing_brace(
                                    &file.path, text, &b, &lines, false,
                                )
                            }),
                        }
                    }
                }
            };
            let fix = ctx.fix(
                resource.span(),
                "use `strategy { type = \"Recreate\" }`".into(),
                Applicability::Safe,
                edit.into_iter().collect(),
            );
            let span = strategy
                .and_then(|s| s.ident.span())
                .unwrap_or(owner.header.clone());
            let mut message = format!(
                "`{}` mounts `{claim}` (storage class `{class}`, ReadWriteOnce) but {now}: the new pod cannot attach the volume while the old one holds it; use `strategy {{ type = \"Recreate\" }}`",
                owner.address
            );
            if has_rolling_update {
                message.push_str(" and remove `rolling_update`");
            }
            out.violation(span, message)
                .owned_by(&owner, file)
                .with_fix(fix);
        }
    }
}
