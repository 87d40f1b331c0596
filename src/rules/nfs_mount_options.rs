//! `nfs-mount-options`: NFS persistent volumes and storage classes must pin the NFS version
//! (`nfsvers=4`; NFSv3 is disabled on the server, seed 000 PM-2026-04-14) and should carry
//! the recommended soft-mount options (seed 001).

use super::{Check, Emitter, FileContext};
use crate::declared::{nfs_objects, NfsObject, NfsSource};
use crate::finding::Severity;
use crate::finding::{Applicability, Edit, Fix};
use crate::fix::text;
use crate::index::{dir_of, Value};
use crate::syntax::hcl;
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

impl NfsMountOptions {
    /// NFS persistent volumes (nfs source or the NFS CSI driver) and NFS storage classes.
    fn live_options(&self, o: &crate::live::LiveObject) -> Option<Vec<String>> {
        let raw = &o.raw;
        let is_driver = |v: Option<&serde_json::Value>| {
            v.and_then(|d| d.as_str())
                .is_some_and(|d| self.params.csi_drivers.iter().any(|x| x == d))
        };
        let list = |v: Option<&serde_json::Value>| -> Vec<String> {
            v.and_then(|l| l.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .flat_map(split)
                        .collect()
                })
                .unwrap_or_default()
        };
        match o.kind.as_str() {
            "PersistentVolume"
                if raw.pointer("/spec/nfs").is_some()
                    || is_driver(raw.pointer("/spec/csi/driver")) =>
            {
                Some(list(raw.pointer("/spec/mountOptions")))
            }
            "StorageClass" if is_driver(raw.get("provisioner")) => {
                Some(list(raw.get("mountOptions")))
            }
            _ => None,
        }
    }
}

impl Check for NfsMountOptions {
    fn check_live(&self, o: &crate::live::LiveObject) -> Vec<String> {
        let Some(opts) = self.live_options(o) else {
            return Vec::new();
        };
        let want = format!("nfsvers={}", self.params.version);
        let version = opts.iter().find_map(|x| {
            x.strip_prefix("nfsvers=")
                .or_else(|| x.strip_prefix("vers="))
        });
        match version {
            Some(v) if v == self.params.version || v.starts_with(&format!("{}.", self.params.version)) => Vec::new(),
            Some(v) => vec![format!("mounts with NFS version {v} (spec.mountOptions): the server only speaks NFSv{}; use `{want}`", self.params.version)],
            None => vec![format!("spec.mountOptions does not set `{want}` (NFSv3 is disabled on the server)")],
        }
    }

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
                    let fix = obj.options_block.as_ref().and_then(|b| {
                        let line = format!("mount_options = [\"{want}\"]");
                        let edit = text::insert_before_closing_brace(
                            &file.path,
                            &file.text,
                            b,
                            &[line],
                            false,
                        )?;
                        ctx.fix(
                            Some(obj.block.clone()),
                            format!("add `mount_options = [\"{want}\"]`"),
                            Applicability::Safe,
                            vec![edit],
                        )
                    });
                    out.violation(
                        obj.owner.header.clone(),
                        format!("{what} `{}` sets no mount options: it must set `{want}` (NFSv3 is disabled on the server)", obj.owner.address),
                    )
                    .owned_by(&obj.owner, file)
                    .related(file, obj.anchor.clone(), "NFS source")
                    .with_fix(fix);
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
                    let fix = version_fix(ctx, &obj, Some(v), &want);
                    out.violation(
                        obj.owner.header.clone(),
                        format!("{what} `{}` mounts with NFS version {v}: the server only speaks NFSv{}; use `{want}`", obj.owner.address, p.version),
                    )
                    .owned_by(&obj.owner, file)
                    .related(file, opts_span.clone(), "mount options")
                    .with_fix(fix);
                }
                None => {
                    let fix = version_fix(ctx, &obj, None, &want);
                    out.violation(
                        obj.owner.header.clone(),
                        format!("{what} `{}` does not set `{want}` in its mount options (NFSv3 is disabled on the server; mounts fail silently)", obj.owner.address),
                    )
                    .owned_by(&obj.owner, file)
                    .related(file, opts_span.clone(), "mount options")
                    .with_fix(fix);
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

/// Puts `want` (e.g. `nfsvers=4`) into a literal `mount_options` list: replaces a wrong
/// `nfsvers=`/`vers=` element, or adds it as the first element (on its own line in a
/// multi-line list). Lists that are not literal, or versions inside a comma-joined
/// string, are left to a person.
fn version_fix(ctx: &FileContext, obj: &NfsObject, wrong: Option<&str>, want: &str) -> Option<Fix> {
    let file = ctx.file;
    let Expression::Array(items) = obj.mount_options? else {
        return None;
    };
    let quoted = format!("\"{want}\"");
    let edit = match wrong {
        Some(v) => {
            let element = items.iter().find(|e| {
                hcl::literal_str(e)
                    .is_some_and(|s| s == format!("nfsvers={v}") || s == format!("vers={v}"))
            })?;
            Edit {
                path: file.path.clone(),
                span: element.span()?,
                replacement: quoted.clone(),
            }
        }
        None => {
            let array = obj.mount_options?.span()?;
            let first = items.iter().next().and_then(|e| e.span());
            match first {
                Some(f)
                    if file.text[array.clone()].contains('\n')
                        && text::starts_line(&file.text, f.start) =>
                {
                    let at = text::line_start(&file.text, f.start);
                    let indent = text::indent_at(&file.text, f.start);
                    Edit {
                        path: file.path.clone(),
                        span: at..at,
                        replacement: format!("{indent}{quoted},{}", text::eol(&file.text)),
                    }
                }
                Some(f) => Edit {
                    path: file.path.clone(),
                    span: f.start..f.start,
                    replacement: format!("{quoted}, "),
                },
                None => Edit {
                    path: file.path.clone(),
                    span: array.start + 1..array.start + 1,
                    replacement: quoted.clone(),
                },
            }
        }
    };
    ctx.fix(
        Some(obj.block.clone()),
        format!("set `{want}` in mount_options"),
        Applicability::Safe,
        vec![edit],
    )
}
