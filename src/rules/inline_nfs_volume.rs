//! `inline-nfs-volume`: no `volume { nfs {} }` in pod specs (seed 001, CRITICAL): inline NFS
//! volumes default to `hard,timeo=600` and cannot carry mount options.

use super::{Check, Emitter, FileContext};
use crate::syntax::hcl;
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span;
use serde::Deserialize;

/// `inline-nfs-volume` takes no parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// The check.
pub struct InlineNfsVolume;

impl InlineNfsVolume {
    /// Builds the check.
    pub fn new(_params: Params) -> Self {
        InlineNfsVolume
    }
}

/// Walks `body` inside `resource`, whose owner is only worked out when there is something
/// to report (most resources mount no NFS).
fn walk(body: &Body, in_volume: bool, resource: &Block, ctx: &FileContext, out: &mut Emitter) {
    for block in body.iter().filter_map(|s| s.as_block()) {
        let ident = block.ident.as_str();
        let dynamic_nfs =
            ident == "dynamic" && block.labels.first().map(|l| l.as_str()) == Some("nfs");
        if (ident == "nfs" || dynamic_nfs) && in_volume {
            let Some(owner) = ctx.owner(resource) else {
                return;
            };
            let span = block.ident.span().unwrap_or(owner.header.clone());
            out.violation(
                span,
                format!(
                    "`{}` mounts NFS with an inline `nfs {{}}` volume: it defaults to `hard,timeo=600` (10-minute hangs) and cannot set mount options",
                    owner.address
                ),
            )
            .owned_by(&owner, ctx.file)
            .related(ctx.file, owner.header.clone(), "in this resource");
            continue;
        }
        let dynamic_volume =
            ident == "dynamic" && block.labels.first().map(|l| l.as_str()) == Some("volume");
        let next = if ident == "volume" || dynamic_volume {
            true
        } else {
            in_volume && ident == "content"
        };
        walk(&block.body, next, resource, ctx, out);
    }
}

impl Check for InlineNfsVolume {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        for (_ty, _name, resource) in hcl::resources(&hcl_file.body) {
            walk(&resource.body, false, resource, ctx, out);
        }
    }
}
