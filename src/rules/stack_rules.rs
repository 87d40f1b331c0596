//! Rule kinds about where a stack's workloads keep their data and how they are scheduled
//! and exposed (Terragrunt homelab, seeds 000-003):
//! - `workload-not-on-nfs`: named critical services mount no NFS volume
//!   (`critical-service-not-on-nfs`);
//! - `sqlite-not-on-nfs`: a container's SQLite database does not sit on an NFS mount;
//! - `gpu-scheduling`: GPU workloads select GPU nodes by label and tolerate the GPU taint,
//!   never by host name (`gpu-node-selector`);
//! - `backup-cronjob`: a stack with a block-storage claim declares a backup CronJob writing
//!   to the NFS backup directory (`block-pvc-backup-cronjob`);
//! - `ingress-auth-comment`: an `ingress_factory` call that opens a service (`auth = "app"`
//!   or `"none"`) says in a comment right above it what gates the service;
//! - `critical-replicas`: critical-path Deployments run enough replicas and have a
//!   PodDisruptionBudget (`critical-path-replicas`);
//! - `sealed-secret-files`: SealedSecrets live in `sealed-*.yaml` files that the stack loads
//!   with `fileset(path.module, "sealed-*.yaml")` (`sealed-secret-naming`).

use super::claims::{claim_class, NFS_MODULE};
use super::pods::{containers, pod_spec};
use super::{Check, Emitter, FileContext};
use crate::index::{dir_of, Value};
use crate::syntax::hcl::{self, Owner};
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span;
use serde::Deserialize;
use std::collections::HashMap;

fn is_nfs_class(c: &str) -> bool {
    c.starts_with("nfs") || c == NFS_MODULE
}

/// The pod volumes of a workload that are NFS: `(volume name, what makes it NFS, span)`.
fn nfs_volumes(ctx: &FileContext, pod: &Body) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let volumes = hcl::blocks(pod, "volume").map(|v| &v.body).chain(
        hcl::dynamic_blocks(pod, "volume")
            .filter_map(|d| hcl::block(&d.body, "content").map(|c| &c.body)),
    );
    for body in volumes {
        let name = hcl::attr(body, "name")
            .and_then(hcl::literal_str)
            .unwrap_or_default();
        if let Some(nfs) = hcl::block(body, "nfs") {
            out.push((
                name,
                "an inline `nfs {}` volume".into(),
                nfs.ident.span().unwrap_or(0..0),
            ));
        } else if let Some(e) = hcl::block(body, "persistent_volume_claim")
            .and_then(|p| hcl::attr(&p.body, "claim_name"))
        {
            if let Ok(Some((claim, class))) = claim_class(ctx, e, &is_nfs_class) {
                out.push((
                    name,
                    format!("`{claim}` (storage class `{class}`)"),
                    e.span().unwrap_or(0..0),
                ));
            }
        }
    }
    out
}

/// The name a workload goes by: its `metadata.name` when known, else the resource name.
fn workload_name(ctx: &FileContext, resource: &Block) -> String {
    let dir = dir_of(&ctx.file.path);
    hcl::block(&resource.body, "metadata")
        .and_then(|m| hcl::attr(&m.body, "name"))
        .and_then(|e| match ctx.repo.eval(dir, ctx.file, e) {
            Value::Known(n) => Some(n),
            Value::Unknown(_) => None,
        })
        .or_else(|| resource.labels.get(1).map(|l| l.as_str().to_string()))
        .unwrap_or_default()
}

fn matches_service(name: &str, services: &[String]) -> Option<String> {
    let norm = name.replace('_', "-");
    services
        .iter()
        .find(|s| {
            norm.strip_prefix(s.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        })
        .cloned()
}

// ------------------------------------------------------------------ critical services

/// Parameters of `workload-not-on-nfs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotOnNfsParams {
    /// Workload names (exactly; resource names with `_` read as `-`).
    pub services: Vec<String>,
    /// Why, for the message.
    pub reason: String,
}

/// `workload-not-on-nfs`.
pub struct NotOnNfs {
    params: NotOnNfsParams,
}

impl NotOnNfs {
    /// Builds the check.
    pub fn new(params: NotOnNfsParams) -> Self {
        NotOnNfs { params }
    }
}

impl Check for NotOnNfs {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(h) = ctx.hcl else { return };
        for (ty, _, resource) in hcl::resources(&h.body) {
            // The pod spec first: most resources have none, and their owner is not needed.
            let Some(pod) = pod_spec(ty, resource) else {
                continue;
            };
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            // Exact names: `prometheus` must not catch `prometheus-node-exporter`, nor
            // `technitium` the secondary DNS servers.
            let name = workload_name(ctx, resource).replace('_', "-");
            let Some(service) = self.params.services.iter().find(|s| **s == name).cloned() else {
                continue;
            };
            for (volume, what, span) in nfs_volumes(ctx, &pod.block.body) {
                out.violation(
                    span,
                    format!(
                        "`{}` ({service}) mounts volume `{volume}` from {what}: {}",
                        owner.address, self.params.reason
                    ),
                )
                .owned_by(&owner, ctx.file);
            }
            // Stateful-set claim templates on an NFS class.
            if let Some(spec) = hcl::block(&resource.body, "spec") {
                for t in hcl::blocks(&spec.body, "volume_claim_template") {
                    let class = hcl::block(&t.body, "spec")
                        .and_then(|s| hcl::attr(&s.body, "storage_class_name"));
                    if let Some(Value::Known(c)) =
                        class.map(|e| ctx.repo.eval(dir_of(&ctx.file.path), ctx.file, e))
                    {
                        if is_nfs_class(&c) {
                            out.violation(t.ident.span().unwrap_or(owner.header.clone()), format!("`{}` ({service}) claims its volume on NFS storage class `{c}`: {}", owner.address, self.params.reason))
                                .owned_by(&owner, ctx.file);
                        }
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------ sqlite

/// `sqlite-not-on-nfs` takes no parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// `sqlite-not-on-nfs`.
pub struct SqliteNotOnNfs;

/// A SQLite database path in a value: `*.db`, `*.sqlite`, `*.sqlite3`, or `sqlite:` URLs.
fn sqlite_path(value: &str) -> Option<String> {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches('/');
        return Some(format!("/{}", path.split('?').next().unwrap_or(path)));
    }
    let word = v.rsplit(['=', ' ']).next().unwrap_or(v);
    (word.starts_with('/')
        && [".db", ".sqlite", ".sqlite3"]
            .iter()
            .any(|e| word.ends_with(e)))
    .then(|| word.to_string())
}

impl Check for SqliteNotOnNfs {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(h) = ctx.hcl else { return };
        let dir = dir_of(&ctx.file.path);
        for (ty, _, resource) in hcl::resources(&h.body) {
            // The pod spec first: most resources have none, and their owner is not needed.
            let Some(pod) = pod_spec(ty, resource) else {
                continue;
            };
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let nfs = nfs_volumes(ctx, &pod.block.body);
            if nfs.is_empty() {
                continue;
            }
            for c in containers(pod.block) {
                let mut values: Vec<(&Expression, String)> = Vec::new();
                for env in hcl::blocks(c.body, "env") {
                    if let Some(e) = hcl::attr(&env.body, "value") {
                        if let Value::Known(v) = ctx.repo.eval(dir, ctx.file, e) {
                            values.push((e, v));
                        }
                    }
                }
                for key in ["args", "command"] {
                    if let Some(Expression::Array(items)) = hcl::attr(c.body, key) {
                        for item in items.iter() {
                            if let Some(v) = hcl::literal_str(item) {
                                values.push((item, v));
                            }
                        }
                    }
                }
                for (expr, v) in values {
                    let Some(db) = sqlite_path(&v) else { continue };
                    for m in hcl::blocks(c.body, "volume_mount") {
                        let (Some(mount), Some(name)) = (
                            hcl::attr(&m.body, "mount_path").and_then(hcl::literal_str),
                            hcl::attr(&m.body, "name").and_then(hcl::literal_str),
                        ) else {
                            continue;
                        };
                        let under = db.starts_with(&format!("{}/", mount.trim_end_matches('/')));
                        if let (true, Some((_, what, _))) =
                            (under, nfs.iter().find(|(n, _, _)| *n == name))
                        {
                            out.violation(
                                expr.span().unwrap_or(owner.header.clone()),
                                format!("container of `{}` keeps a SQLite database at `{db}`, under mount `{mount}` of volume `{name}` from {what}: SQLite's locking and fsync are not safe on NFS (heuristic: a value ending in .db/.sqlite/.sqlite3 or a sqlite: URL)", owner.address),
                            )
                            .owned_by(&owner, ctx.file);
                        }
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------ GPU

/// Parameters of `gpu-scheduling`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuParams {
    /// The extended resource that marks a GPU workload (`nvidia.com/gpu`).
    pub resource: String,
    /// The node label to select (`nvidia.com/gpu.present`) and its value.
    pub label: String,
    /// Its value (`"true"`).
    pub label_value: String,
    /// The taint key to tolerate (`nvidia.com/gpu`).
    pub toleration: String,
}

/// `gpu-scheduling`.
pub struct Gpu {
    params: GpuParams,
}

impl Gpu {
    /// Builds the check.
    pub fn new(params: GpuParams) -> Self {
        Gpu { params }
    }
}

fn object_keys(body: &Body, section: &str) -> Vec<String> {
    hcl::attr(body, section)
        .map(|e| {
            hcl::object_entries(e)
                .into_iter()
                .filter_map(|(k, _)| k)
                .collect()
        })
        .or_else(|| {
            hcl::block(body, section).map(|b| {
                hcl::attributes(&b.body)
                    .map(|a| a.key.as_str().to_string())
                    .collect()
            })
        })
        .unwrap_or_default()
}

impl Check for Gpu {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(h) = ctx.hcl else { return };
        let p = &self.params;
        let dir = dir_of(&ctx.file.path);
        for (ty, _, resource) in hcl::resources(&h.body) {
            // The pod spec first: most resources have none, and their owner is not needed.
            let Some(pod) = pod_spec(ty, resource) else {
                continue;
            };
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let gpu = containers(pod.block).iter().any(|c| {
                hcl::block(c.body, "resources").is_some_and(|r| {
                    object_keys(&r.body, "limits").contains(&p.resource)
                        || object_keys(&r.body, "requests").contains(&p.resource)
                })
            });
            if !gpu {
                continue;
            }
            let pod_body = &pod.block.body;
            let selector = hcl::attr(pod_body, "node_selector");
            let entries = selector.map(hcl::object_entries).unwrap_or_default();
            let by_label = entries.iter().any(|(k, v)| {
                k.as_deref() == Some(p.label.as_str())
                    && matches!(ctx.repo.eval(dir, ctx.file, v), Value::Known(x) if x == p.label_value)
            });
            let by_host = entries
                .iter()
                .find(|(k, _)| k.as_deref() == Some("kubernetes.io/hostname"));
            // Node affinity on the host name (pod anti-affinity spreading by
            // `topology_key = "kubernetes.io/hostname"` is fine).
            let affinity_host = hcl::block(pod_body, "affinity")
                .and_then(|a| hcl::block(&a.body, "node_affinity"))
                .is_some_and(|a| {
                    ctx.file.text[a.span().unwrap_or(0..0)].contains("kubernetes.io/hostname")
                });
            let tolerates = hcl::blocks(pod_body, "toleration").any(|t| {
                hcl::attr(&t.body, "key")
                    .and_then(hcl::literal_str)
                    .as_deref()
                    == Some(p.toleration.as_str())
            });
            let mut missing = Vec::new();
            if !by_label {
                missing.push(format!(
                    "`node_selector = {{ \"{}\" = \"{}\" }}`",
                    p.label, p.label_value
                ));
            }
            if !tolerates {
                missing.push(format!("a toleration for `{}`", p.toleration));
            }
            if let Some((_, v)) = by_host {
                out.violation(v.span().unwrap_or(owner.header.clone()), format!("GPU workload `{}` is pinned to a host name: select GPU nodes by the `{}` label (set by GPU feature discovery), so it moves with the GPU", owner.address, p.label))
                    .owned_by(&owner, ctx.file);
            } else if affinity_host {
                out.violation(owner.header.clone(), format!("GPU workload `{}` uses node affinity on `kubernetes.io/hostname`: select GPU nodes by the `{}` label instead", owner.address, p.label))
                    .owned_by(&owner, ctx.file);
            }
            if !missing.is_empty() {
                out.violation(
                    owner.header.clone(),
                    format!(
                        "GPU workload `{}` (requests `{}`) lacks {}",
                        owner.address,
                        p.resource,
                        missing.join(" and ")
                    ),
                )
                .owned_by(&owner, ctx.file);
            }
        }
    }
}

// ------------------------------------------------------------------ backup CronJob

/// Parameters of `backup-cronjob`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupParams {
    /// Block storage classes (an entry also covers `<entry>-*`).
    pub storage_classes: Vec<String>,
    /// Backup directory prefixes; a CronJob of the stack must name a path under one of
    /// them ending in `-backup` (`/mnt/main/`, `/srv/nfs/`).
    pub backup_roots: Vec<String>,
    /// The directory holding stacks (`stacks`): the rule runs on `stacks/<name>/` files.
    pub stacks_dir: String,
}

/// `backup-cronjob`.
pub struct BackupCronjob {
    params: BackupParams,
    /// Whether a stack (by directory) has a CronJob writing its backup directory: the
    /// answer is the stack's, not the file's, so it is worked out once per stack (every
    /// file of a stack with block claims asked again: 7% of an audit, callgrind). Rules
    /// are built afresh for every audit run, so a `--fix` round never sees a stale answer.
    stacks: std::sync::Mutex<HashMap<String, bool>>,
}

impl BackupCronjob {
    /// Builds the check.
    pub fn new(params: BackupParams) -> Self {
        BackupCronjob {
            params,
            stacks: Default::default(),
        }
    }

    /// Whether `path` (after one of the backup roots) names a `*-backup` directory.
    fn names_backup_dir(&self, text: &str) -> bool {
        self.params.backup_roots.iter().any(|root| {
            text.match_indices(root.as_str()).any(|(i, _)| {
                let rest = &text[i + root.len()..];
                let end = rest
                    .find(['"', '\'', ' ', '\n', '\r', '\t', ';', '/'])
                    .unwrap_or(rest.len());
                rest[..end].ends_with("-backup")
            })
        })
    }

    /// Whether a CronJob of the stack names the backup directory itself, or mounts a
    /// claim, volume or module (`module.nfs_backup.claim_name`) that does.
    fn cron_writes_backup(&self, scope: &crate::index::ModuleScope) -> bool {
        scope.blocks.iter().any(|(key, b)| {
            if !key.starts_with("kubernetes_cron_job") {
                return false;
            }
            let text = &b.file.text[b.block.span().unwrap_or(0..0)];
            // References `TYPE.NAME...` / `module.NAME...` in the job, looked up by key
            // (searching the text for every block's address was 7% of an audit).
            // Tokens are ASCII: split the bytes (splitting chars decoded UTF-8 first).
            self.names_backup_dir(text)
                || text
                    .as_bytes()
                    .split(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
                    .filter(|token| token.contains(&b'.'))
                    .filter_map(|token| std::str::from_utf8(token).ok())
                    .filter_map(reference_key)
                    .filter_map(|key| scope.blocks.get(key))
                    .any(|ob| self.names_backup_dir(&ob.file.text[ob.block.span().unwrap_or(0..0)]))
        })
    }
}

/// The `TYPE.NAME` (or `module.NAME`) a `TYPE.NAME.attr...` token starts with.
fn reference_key(token: &str) -> Option<&str> {
    let first = token.find('.')?;
    let end = token[first + 1..]
        .find('.')
        .map_or(token.len(), |second| first + 1 + second);
    (end > first + 1).then(|| &token[..end])
}

impl Check for BackupCronjob {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(h) = ctx.hcl else { return };
        let p = &self.params;
        let file = ctx.file;
        let dir = dir_of(&file.path);
        let in_stack = dir
            .strip_prefix(&format!("{}/", p.stacks_dir))
            .is_some_and(|rest| !rest.contains('/'));
        if !in_stack {
            return;
        }
        let Some(scope) = ctx.repo.scope(dir) else {
            return;
        };
        // This file's block-storage claims first: most files have none, and the
        // stack-wide search for a backup job is then skipped (it was 9% of an audit).
        let mut claims = Vec::new();
        for (ty, _, resource) in hcl::resources(&h.body) {
            if !ty.starts_with("kubernetes_persistent_volume_claim") {
                continue;
            }
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let class = hcl::block(&resource.body, "spec")
                .and_then(|s| hcl::attr(&s.body, "storage_class_name"));
            let Some(Value::Known(c)) = class.map(|e| ctx.repo.eval(dir, file, e)) else {
                continue;
            };
            if super::claims::class_in(&c, &p.storage_classes) {
                claims.push((owner, c));
            }
        }
        if claims.is_empty() {
            return;
        }
        let cached = self.stacks.lock().ok().and_then(|m| m.get(dir).copied());
        let cron_writes_backup = cached.unwrap_or_else(|| {
            let found = self.cron_writes_backup(scope);
            if let Ok(mut m) = self.stacks.lock() {
                m.insert(dir.to_string(), found);
            }
            found
        });
        if cron_writes_backup {
            return;
        }
        let app = dir.rsplit('/').next().unwrap_or(dir);
        for (owner, c) in claims {
            out.violation(owner.header.clone(), format!(
                "`{}` holds data on `{c}`, but stack `{app}` declares no backup CronJob writing to `{}{app}-backup/`: block volumes are only backed up by that job",
                owner.address,
                p.backup_roots.first().map(String::as_str).unwrap_or("/mnt/main/")
            ))
            .owned_by(&owner, file);
        }
    }
}

// ------------------------------------------------------------------ ingress auth comment

/// Parameters of `ingress-auth-comment`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthCommentParams {
    /// Module sources that are the ingress factory (matched on the source's last path
    /// segment: `ingress_factory`).
    pub module: String,
    /// `auth` values that open the service and need a comment (`app`, `none`).
    pub modes: Vec<String>,
}

/// `ingress-auth-comment`.
pub struct AuthComment {
    params: AuthCommentParams,
}

impl AuthComment {
    /// Builds the check.
    pub fn new(params: AuthCommentParams) -> Self {
        AuthComment { params }
    }
}

impl Check for AuthComment {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(h) = ctx.hcl else { return };
        let file = ctx.file;
        for block in h.body.iter().filter_map(|s| s.as_block()) {
            if block.ident.as_str() != "module" {
                continue;
            }
            let source = hcl::attr(&block.body, "source")
                .and_then(hcl::literal_str)
                .unwrap_or_default();
            if source.trim_end_matches('/').rsplit('/').next() != Some(self.params.module.as_str())
            {
                continue;
            }
            let Some(auth) = block.body.get_attribute("auth") else {
                continue;
            };
            let Some(mode) = hcl::literal_str(&auth.value) else {
                continue;
            };
            if !self.params.modes.contains(&mode) {
                continue;
            }
            let Some(span) = auth.span() else { continue };
            // The contiguous comment block right above the `auth` line (no blank line
            // between); suppression comments say nothing about the service.
            let line = file.line_of(span.start);
            let mut n = line - 1;
            let mut said = String::new();
            while n >= 1 {
                let t = file.line_text(n).trim();
                let body = t.strip_prefix('#').or_else(|| t.strip_prefix("//"));
                match body {
                    Some(b) => {
                        if !b.contains("infra-audit:ignore") {
                            said.insert_str(0, b.trim_matches(['#', '/', ' ']));
                        }
                        n -= 1;
                    }
                    None => break,
                }
            }
            if said.trim().is_empty() {
                let name = block
                    .labels
                    .first()
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default();
                out.violation(span, format!(
                    "module `{name}` opens its service with `auth = \"{mode}\"` without a comment right above saying what gates it (the backend's own login, Anubis, a native-client API...)"
                ));
            }
        }
    }
}

// ------------------------------------------------------------------ replicas + PDB

/// Parameters of `critical-replicas`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicasParams {
    /// Critical-path services (workload names, `_` read as `-`).
    pub services: Vec<String>,
    /// Replicas they run at least.
    pub min_replicas: u64,
    /// Whether each needs a PodDisruptionBudget in its stack.
    pub require_pdb: bool,
}

/// `critical-replicas`.
pub struct Replicas {
    params: ReplicasParams,
}

impl Replicas {
    /// Builds the check.
    pub fn new(params: ReplicasParams) -> Self {
        Replicas { params }
    }
}

fn owner_note(
    out: &mut Emitter,
    owner: &Owner,
    ctx: &FileContext,
    span: std::ops::Range<usize>,
    message: String,
) {
    out.violation(span, message).owned_by(owner, ctx.file);
}

impl Check for Replicas {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(h) = ctx.hcl else { return };
        let p = &self.params;
        let dir = dir_of(&ctx.file.path);
        for (ty, _, resource) in hcl::resources(&h.body) {
            if !ty.starts_with("kubernetes_deployment") {
                continue;
            }
            let name = workload_name(ctx, resource);
            let Some(service) = matches_service(&name, &p.services) else {
                continue;
            };
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let replicas =
                hcl::block(&resource.body, "spec").and_then(|s| hcl::attr(&s.body, "replicas"));
            match replicas.map(|e| ctx.repo.eval(dir, ctx.file, e)) {
                None => owner_note(out, &owner, ctx, owner.header.clone(), format!("`{}` ({service}, critical path) sets no `replicas`, so it runs 1; run at least {}", owner.address, p.min_replicas)),
                Some(Value::Known(v)) if v.parse::<u64>().is_ok_and(|n| n < p.min_replicas) => owner_note(
                    out, &owner, ctx,
                    replicas.and_then(|e| e.span()).unwrap_or(owner.header.clone()),
                    format!("`{}` ({service}, critical path) runs {v} replica(s); run at least {}", owner.address, p.min_replicas),
                ),
                _ => {}
            }
            if p.require_pdb {
                let has_pdb = ctx.repo.scope(dir).is_some_and(|s| {
                    s.blocks.iter().any(|(key, b)| {
                        key.starts_with("kubernetes_pod_disruption_budget") && {
                            let text = &b.file.text[b.block.span().unwrap_or(0..0)];
                            text.contains(&name) || text.contains(&service)
                        }
                    })
                });
                if !has_pdb {
                    owner_note(out, &owner, ctx, owner.header.clone(), format!("`{}` ({service}, critical path) has no PodDisruptionBudget in its stack: a node drain can take every replica at once", owner.address));
                }
            }
        }
    }
}

// ------------------------------------------------------------------ sealed secrets

/// Parameters of `sealed-secret-files`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedParams {
    /// File name prefix (`sealed-`).
    pub prefix: String,
}

/// `sealed-secret-files`.
pub struct Sealed {
    params: SealedParams,
}

impl Sealed {
    /// Builds the check.
    pub fn new(params: SealedParams) -> Self {
        Sealed { params }
    }
}

impl Check for Sealed {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let file = ctx.file;
        if file.kind != crate::source::FileKind::Yaml {
            return;
        }
        let is_sealed = |l: &str| {
            l.strip_prefix("kind:").map(|v| {
                v.split('#')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .trim_matches(['"', '\''])
            }) == Some("SealedSecret")
        };
        let Some((n, _)) = file.lines().find(|(_, l)| is_sealed(l)) else {
            return;
        };
        let name = file.path.rsplit('/').next().unwrap_or_default();
        let prefix = &self.params.prefix;
        if !name.starts_with(prefix.as_str()) {
            out.violation(file.line_range(n), format!("a SealedSecret in `{name}`: name the file `{prefix}*.yaml` so the stack's `fileset(path.module, \"{prefix}*.yaml\")` loads it"));
            return;
        }
        let dir = dir_of(&file.path);
        let pattern = format!("\"{prefix}*.yaml\"");
        let loaded = ctx.repo.scope(dir).is_some_and(|s| {
            // Each file of the stack once (many blocks share a file).
            let mut files: Vec<&crate::source::SourceFile> =
                s.blocks.values().map(|b| b.file).collect();
            files.sort_by_key(|f| f.path.as_str());
            files.dedup_by_key(|f| f.path.as_str());
            files
                .iter()
                .any(|f| f.text.contains("fileset(path.module") && f.text.contains(&pattern))
        });
        if !loaded && ctx.repo.scope(dir).is_some() {
            out.violation(file.line_range(n), format!("`{name}` holds a SealedSecret, but no file of this stack loads `fileset(path.module, {pattern})`: it is never applied"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches_service;

    #[test]
    fn a_service_matches_its_name_and_dash_suffixed_names_only() {
        let services = vec!["immich".to_string(), "redis".to_string()];
        let m = |name: &str| matches_service(name, &services);
        assert_eq!(m("immich").as_deref(), Some("immich"));
        assert_eq!(m("immich_server").as_deref(), Some("immich"));
        assert_eq!(m("immich-ml").as_deref(), Some("immich"));
        assert_eq!(m("immichx"), None);
        assert_eq!(m("redis-master").as_deref(), Some("redis"));
        assert_eq!(m("my-redis"), None);
        assert_eq!(m(""), None);
    }
}
