//! Storage-class rules on declared PVCs: `required-storage-class` (sensitive services on
//! `proxmox-lvm-encrypted`, seed 001) and `explicit-storage-class` (no silent binding to the
//! cluster default `local-path`, seed 003).

use super::{Check, Emitter, FileContext};
use crate::declared::{claims, Claim};
use crate::index::{dir_of, Value};
use hcl_edit::Span;
use serde::Deserialize;

/// Parameters of a `required-storage-class` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredParams {
    /// The class sensitive claims must use.
    pub required_class: String,
    /// Sensitive services: a stack directory / namespace name, or `service/claim-substring`
    /// (e.g. `monitoring/alertmanager`: only claims whose name contains `alertmanager`).
    #[serde(default)]
    pub sensitive_services: Vec<String>,
    /// Directory holding one directory per service.
    #[serde(default = "default_stacks_dir")]
    pub stacks_dir: String,
    /// Claims whose name ends with this suffix must use the required class too.
    #[serde(default)]
    pub name_suffix: Option<String>,
    /// What the cluster default class is (for messages).
    #[serde(default = "default_class")]
    pub default_class: String,
}

fn default_stacks_dir() -> String {
    "stacks".into()
}

fn default_class() -> String {
    "local-path".into()
}

/// The `required-storage-class` check.
pub struct RequiredStorageClass {
    params: RequiredParams,
}

impl RequiredStorageClass {
    /// Builds the check.
    pub fn new(params: RequiredParams) -> Self {
        RequiredStorageClass { params }
    }

    /// The stack directory name of a repo-relative path (`stacks/<name>/...`).
    fn stack_of<'p>(&self, path: &'p str) -> Option<&'p str> {
        let rest = path
            .strip_prefix(&self.params.stacks_dir)?
            .strip_prefix('/')?;
        let (name, _) = rest.split_once('/')?;
        Some(name)
    }

    /// Which sensitive-service entry (if any) a claim falls under; `Err` when that depends on
    /// a name that could not be evaluated.
    fn sensitive_entry(
        &self,
        stack: Option<&str>,
        namespace: Option<&str>,
        name: &Value,
        owner_names: &[String],
    ) -> Result<Option<String>, String> {
        for entry in &self.params.sensitive_services {
            let (service, filter) = match entry.split_once('/') {
                Some((s, f)) => (s, Some(f)),
                None => (entry.as_str(), None),
            };
            if stack != Some(service) && namespace != Some(service) {
                continue;
            }
            let Some(f) = filter else {
                return Ok(Some(service.to_string()));
            };
            // The claim belongs to `f` when its name or its owner's (a stateful set's claims
            // are named after the set) contains it.
            if known(name).is_some_and(|n| n.contains(f))
                || owner_names.iter().any(|n| n.contains(f))
            {
                return Ok(Some(format!("{service} ({f})")));
            }
            if let Value::Unknown(why) = name {
                return Err(format!(
                    "whether it belongs to `{f}` in `{service}` depends on its name ({why})"
                ));
            }
        }
        Ok(None)
    }
}

/// Labels the claim's inner block (a volume_claim_template) on a finding.
fn label_inner(f: &mut crate::finding::Finding, claim: &Claim, file: &crate::source::SourceFile) {
    if let Some(inner) = &claim.inner {
        f.related(file, inner.clone(), "volume_claim_template");
    }
}

fn known(v: &Value) -> Option<&str> {
    match v {
        Value::Known(s) => Some(s),
        Value::Unknown(_) => None,
    }
}

fn describe(claim: &Claim, name: &Value) -> String {
    match (claim.via, known(name)) {
        ("volume_claim_template", Some(n)) => {
            format!("`{}` volume_claim_template `{n}`", claim.owner.address)
        }
        ("volume_claim_template", None) => {
            format!("`{}` volume_claim_template", claim.owner.address)
        }
        (_, Some(n)) => format!("`{}` (claim `{n}`)", claim.owner.address),
        (_, None) => format!("`{}`", claim.owner.address),
    }
}

impl Check for RequiredStorageClass {
    fn check_live(&self, o: &crate::live::LiveObject) -> Vec<String> {
        if o.kind != "PersistentVolumeClaim" {
            return Vec::new();
        }
        let p = &self.params;
        let class = o
            .raw
            .pointer("/spec/storageClassName")
            .and_then(|c| c.as_str())
            .unwrap_or(&p.default_class);
        // A claim bound to a named NFS volume is a static NFS volume (what the nfs_volume
        // module makes): allowed for backups and media, as in the static rule.
        let static_nfs = o.raw.pointer("/spec/volumeName").is_some() && class.contains("nfs");
        if class == p.required_class || static_nfs {
            return Vec::new();
        }
        let sensitive = self
            .sensitive_entry(
                None,
                o.namespace.as_deref(),
                &Value::Known(o.name.clone()),
                &[],
            )
            .ok()
            .flatten();
        let suffix = p.name_suffix.as_deref().filter(|s| o.name.ends_with(s));
        match (sensitive, suffix) {
            (Some(service), _) => vec![format!("is bound on storage class `{class}`, but it holds data of sensitive service `{service}`: it must use `{}`", p.required_class)],
            (None, Some(s)) => vec![format!("is named `*{s}` but bound on storage class `{class}`, not `{}`", p.required_class)],
            (None, None) => Vec::new(),
        }
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        let file = ctx.file;
        let dir = dir_of(&file.path);
        let p = &self.params;
        let stack = self.stack_of(&file.path);
        for claim in claims(&hcl_file.body) {
            let eval = |e: Option<&hcl_edit::expr::Expression>| match e {
                Some(e) => ctx.repo.eval(dir, file, e),
                None => Value::Unknown("not set".into()),
            };
            let name = eval(claim.name);
            let namespace = eval(claim.namespace);
            let class = claim.class.map(|c| ctx.repo.eval(dir, file, c));
            let what = describe(&claim, &name);
            let mut owner_names = vec![claim.owner.address.clone()];
            if let Some(Value::Known(w)) = claim.workload_name.map(|e| ctx.repo.eval(dir, file, e))
            {
                owner_names.push(w);
            }
            let sensitive =
                match self.sensitive_entry(stack, known(&namespace), &name, &owner_names) {
                    Ok(s) => s,
                    Err(why) => {
                        out.unverified(
                            claim.span.clone(),
                            format!("could not verify {what}: {why}"),
                        )
                        .owned_by(&claim.owner, file);
                        continue;
                    }
                };
            let suffix = p
                .name_suffix
                .as_deref()
                .filter(|s| known(&name).is_some_and(|n| n.ends_with(s)));
            let reason = match (&sensitive, suffix) {
                (Some(service), _) => format!("it stores data of sensitive service `{service}`"),
                (None, Some(s)) => format!("its name ends in `{s}`"),
                (None, None) => continue,
            };
            let class_span = claim
                .class
                .and_then(|c| c.span())
                .unwrap_or(claim.span.clone());
            match class {
                None => {
                    let f = out.violation(
                        claim.span.clone(),
                        format!(
                            "{what} sets no storage class, so it binds to the cluster default `{}`; {reason}, so it must use `{}`",
                            p.default_class, p.required_class
                        ),
                    );
                    f.owned_by(&claim.owner, file);
                    label_inner(f, &claim, file);
                }
                Some(Value::Known(c)) if c == p.required_class => {}
                Some(Value::Known(c)) => {
                    out.violation(
                        claim.span.clone(),
                        format!(
                            "{what} uses storage class `{c}`; {reason}, so it must use `{}`",
                            p.required_class
                        ),
                    )
                    .owned_by(&claim.owner, file)
                    .related(file, class_span, format!("storage class `{c}`"));
                }
                Some(Value::Unknown(why)) => {
                    out.unverified(
                        claim.span.clone(),
                        format!("could not verify the storage class of {what} ({why}); {reason}, so it must be `{}`", p.required_class),
                    )
                    .owned_by(&claim.owner, file)
                    .related(file, class_span, "storage class");
                }
            }
        }
    }
}

/// Parameters of an `explicit-storage-class` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitParams {
    /// The cluster default class an unset claim binds to (for messages).
    #[serde(default = "default_class")]
    pub default_class: String,
}

/// The `explicit-storage-class` check.
pub struct ExplicitStorageClass {
    params: ExplicitParams,
}

impl ExplicitStorageClass {
    /// Builds the check.
    pub fn new(params: ExplicitParams) -> Self {
        ExplicitStorageClass { params }
    }
}

impl Check for ExplicitStorageClass {
    fn check_live(&self, o: &crate::live::LiveObject) -> Vec<String> {
        if o.kind != "PersistentVolumeClaim" {
            return Vec::new();
        }
        match o
            .raw
            .pointer("/spec/storageClassName")
            .and_then(|c| c.as_str())
        {
            Some(c) if c != self.params.default_class => Vec::new(),
            _ => vec![format!(
                "is bound on the cluster default `{}` (node-local, outside the backup pipeline)",
                self.params.default_class
            )],
        }
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(hcl_file) = ctx.hcl else { return };
        let file = ctx.file;
        let dir = dir_of(&file.path);
        for claim in claims(&hcl_file.body) {
            if claim.class.is_some() {
                continue;
            }
            let name = match claim.name {
                Some(e) => ctx.repo.eval(dir, file, e),
                None => Value::Unknown("not set".into()),
            };
            let what = describe(&claim, &name);
            let f = out.violation(
                claim.span.clone(),
                format!(
                    "{what} sets no storage class: it silently binds to the cluster default `{}` (node-local, outside the backup pipeline)",
                    self.params.default_class
                ),
            );
            f.owned_by(&claim.owner, file);
            label_inner(f, &claim, file);
        }
    }
}
