//! `nfs-mount-options`: NFS persistent volumes and storage classes must pin the NFS version
//! (`nfsvers=4`; NFSv3 is disabled on the server, seed 000 PM-2026-04-14) and should carry
//! the recommended soft-mount options (seed 001).

use super::{Check, Emitter, FileContext};
use crate::declared::{nfs_objects, NfsSource};
use crate::finding::Severity;
use crate::index::{dir_of, Value};
use hcl_edit::expr::Expression;
use hcl_edit::Span;
use serde::Deserialize;

/// Parameters of an `nfs-mount-options` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Required major NFS version (`4` accepts `nfsvers=4`, `vers=4.1`, ...).
    #[serde(default = "default_version")]
    pub version: String,
    /// CSI drivers / provisioners that mean NFS.
    #[serde(default = "default_drivers")]
    pub csi_drivers: Vec<String>,
    /// Recommended options, reported separately at `recommended_severity`.
    #[serde(default)]
    pub recommended: Vec<String>,
    /// Severity of missing recommended options.
    #[serde(default = "default_recommended_severity")]
    pub recommended_severity: Severity,
}

fn default_version() -> String {
    "4".into()
}
fn default_drivers() -> Vec<String> {
    vec!["nfs.csi.k8s.io".into()]
}
fn default_recommended_severity() -> Severity {
    Severity::Warning
}

/// The check.
pub struct NfsMountOptions {
    params: Params,
}

impl NfsMountOptions {
    /// Builds the check.
    pub fn new(params: Params) -> Self {
        NfsMountOptions { params }
    }
}

/// Mount options of an expression: known options, or why they are unknown.
fn options(ctx: &FileContext, expr: &Expression) -> Result<Vec<String>, String> {
    let dir = dir_of(&ctx.file.path);
    let Expression::Array(items) = expr else {
        return match ctx.repo.eval(dir, ctx.file, expr) {
            Value::Known(s) => Ok(split(&s)),
            Value::Unknown(why) => Err(why),
        };
    };
    let mut out = Vec::new();
    for item in items.iter() {
        match ctx.repo.eval(dir, ctx.file, item) {
            Value::Known(s) => out.extend(split(&s)),
            Value::Unknown(why) => return Err(why),
        }
    }
    Ok(out)
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect()
}

impl Check for NfsMountOptions {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        let file = ctx.file;
        let p = &self.params;
        for obj in nfs_objects(&hcl_file.body, &p.csi_drivers) {
            let what = match obj.source {
                NfsSource::PersistentVolumeNfs => "NFS persistent volume",
                NfsSource::PersistentVolumeCsi => "NFS CSI persistent volume",
                NfsSource::StorageClass => "NFS storage class",
            };
            let want = format!("nfsvers={}", p.version);
            let opts = match obj.mount_options.map(|e| options(ctx, e)) {
                None => {
                    out.violation(
                        obj.owner.header.clone(),
                        format!("{what} `{}` sets no mount options: it must set `{want}` (NFSv3 is disabled on the server)", obj.owner.address),
                    )
                    .owned_by(&obj.owner, file)
                    .related(file, obj.anchor.clone(), "NFS source");
                    continue;
                }
                Some(Err(why)) => {
                    out.unverified(
                        obj.owner.header.clone(),
                        format!(
                            "could not verify the mount options of {what} `{}` ({why})",
                            obj.owner.address
                        ),
                    )
                    .owned_by(&obj.owner, file);
                    continue;
                }
                Some(Ok(opts)) => opts,
            };
            let opts_span = obj
                .mount_options
                .and_then(|e| e.span())
                .unwrap_or(obj.anchor.clone());
            let version = opts.iter().find_map(|o| {
                o.strip_prefix("nfsvers=")
                    .or_else(|| o.strip_prefix("vers="))
            });
            match version {
                Some(v) if v == p.version || v.starts_with(&format!("{}.", p.version)) => {}
                Some(v) => {
                    out.violation(
                        obj.owner.header.clone(),
                        format!("{what} `{}` mounts with NFS version {v}: the server only speaks NFSv{}; use `{want}`", obj.owner.address, p.version),
                    )
                    .owned_by(&obj.owner, file)
                    .related(file, opts_span.clone(), "mount options");
                }
                None => {
                    out.violation(
                        obj.owner.header.clone(),
                        format!("{what} `{}` does not set `{want}` in its mount options (NFSv3 is disabled on the server; mounts fail silently)", obj.owner.address),
                    )
                    .owned_by(&obj.owner, file)
                    .related(file, opts_span.clone(), "mount options");
                }
            }
            let missing: Vec<String> = p
                .recommended
                .iter()
                .filter(|want| !opts.iter().any(|o| o == *want))
                .map(|want| {
                    let key = want.split('=').next().unwrap_or(want);
                    match opts.iter().find(|o| o.split('=').next() == Some(key)) {
                        Some(other) => format!("`{want}` (has `{other}`)"),
                        None => format!("`{want}`"),
                    }
                })
                .collect();
            if !missing.is_empty() {
                out.violation(
                    obj.owner.header.clone(),
                    format!(
                        "{what} `{}` lacks recommended mount options: {}",
                        obj.owner.address,
                        missing.join(", ")
                    ),
                )
                .owned_by(&obj.owner, file)
                .severity(p.recommended_severity)
                .related(file, opts_span, "mount options");
            }
        }
    }
}
