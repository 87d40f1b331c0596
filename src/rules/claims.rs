//! Following a pod volume's `claim_name` to the claim it names, shared by the rules that
//! care where a workload's data lives (ReadWriteOnce block storage, NFS).

use super::FileContext;
use crate::index::{dir_of, SourcedBlock, Value};
use crate::syntax::hcl;
use hcl_edit::expr::Expression;

/// The class name reported for a claim made by the `nfs_volume` module.
pub const NFS_MODULE: &str = "nfs_volume module";

/// Whether storage class `class` is one of `classes`, or a variant of one (`proxmox-lvm`
/// covers `proxmox-lvm-encrypted`): how the block-storage rules name their classes.
pub fn class_in(class: &str, classes: &[String]) -> bool {
    classes.iter().any(|c| {
        class == c
            || class
                .strip_prefix(c.as_str())
                .is_some_and(|r| r.starts_with('-'))
    })
}

/// Resource types of a PersistentVolumeClaim.
pub const CLAIM_TYPES: &[&str] = &[
    "kubernetes_persistent_volume_claim",
    "kubernetes_persistent_volume_claim_v1",
];

/// The storage class of the claim `expr` (a `claim_name`) names, when `accept` takes it:
/// `(claim address, class)`; `Ok(None)` when the claim is not on such a class or is not
/// declared in this module by name; `Err` when it cannot be told. A module call counts by
/// any `*storage_class*` argument, or as `nfs_volume module` when its source is the
/// `nfs_volume` module.
pub fn claim_class(
    ctx: &FileContext,
    expr: &Expression,
    accept: &dyn Fn(&str) -> bool,
) -> Result<Option<(String, String)>, String> {
    let file = ctx.file;
    let dir = dir_of(&file.path);
    let scope = ctx.repo.scope(dir);
    let text = hcl::normalized_text(&file.text, expr).unwrap_or_default();
    let class_of = |b: &SourcedBlock| -> Result<Option<String>, String> {
        let Some(e) = hcl::block(&b.block.body, "spec")
            .and_then(|s| hcl::attr(&s.body, "storage_class_name"))
        else {
            return Ok(None);
        };
        match ctx.repo.eval(dir_of(&b.file.path), b.file, e) {
            Value::Known(c) => Ok(accept(&c).then_some(c)),
            Value::Unknown(why) => Err(why),
        }
    };
    // A reference: TYPE.NAME.metadata[0].name or module.NAME.output.
    let mut parts = text.splitn(3, '.');
    let (first, second) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if CLAIM_TYPES.contains(&first) || first == "module" {
        let key = format!("{first}.{}", second.split('[').next().unwrap_or_default());
        let Some(b) = scope.and_then(|s| s.blocks.get(&key)) else {
            return Err(format!("`{key}` is not declared in this module"));
        };
        if first == "module" {
            let nfs_module = hcl::attr(&b.block.body, "source")
                .and_then(hcl::literal_str)
                .is_some_and(|s| s.trim_end_matches('/').ends_with("nfs_volume"));
            if nfs_module && accept(NFS_MODULE) {
                return Ok(Some((key, NFS_MODULE.to_string())));
            }
            let class = hcl::attributes(&b.block.body).find_map(|a| {
                if !a.key.as_str().contains("storage_class") {
                    return None;
                }
                match ctx.repo.eval(dir_of(&b.file.path), b.file, &a.value) {
                    Value::Known(c) if accept(&c) => Some(c),
                    _ => None,
                }
            });
            return Ok(class.map(|c| (key, c)));
        }
        return class_of(b).map(|c| c.map(|c| (key, c)));
    }
    // A name: find the claim resource of this module with that metadata.name.
    let Value::Known(name) = ctx.repo.eval(dir, file, expr) else {
        return Ok(None);
    };
    let Some(scope) = scope else { return Ok(None) };
    for (key, b) in &scope.blocks {
        if !CLAIM_TYPES
            .iter()
            .any(|t| key.starts_with(&format!("{t}.")))
        {
            continue;
        }
        let claim_name = hcl::block(&b.block.body, "metadata")
            .and_then(|m| hcl::attr(&m.body, "name"))
            .map(|e| ctx.repo.eval(dir_of(&b.file.path), b.file, e));
        if claim_name == Some(Value::Known(name.clone())) {
            return class_of(b).map(|c| c.map(|c| (key.clone(), c)));
        }
    }
    Ok(None)
}
