//! `infra-audit inventory`: what the repository declares, as drift sees it (Kubernetes
//! objects with evaluated names and fields, Helm releases, and what was left out).

use crate::cli::InventoryArgs;
use crate::index::Value;
use crate::inventory::{self, DeclaredBy, Field};
use crate::{audit, workspace};
use anyhow::Result;
use serde_json::{json, Value as Json};

fn value(v: &Value) -> Json {
    match v {
        Value::Known(s) => json!(s),
        Value::Unknown(why) => json!({ "unknown": why }),
    }
}

fn field_name(f: &Field) -> String {
    match f {
        Field::Image { container } => format!("image[{container}]"),
        Field::InitImage { container } => format!("init_image[{container}]"),
        Field::Replicas => "replicas".into(),
        Field::Strategy => "strategy".into(),
        Field::StorageClass => "storage_class".into(),
        Field::StorageSize => "storage_size".into(),
        Field::MountOptions => "mount_options".into(),
        Field::Label(k) => format!("label[{k}]"),
        Field::Annotation(k) => format!("annotation[{k}]"),
        Field::Env { container, name } => format!("env[{container}][{name}]"),
        Field::DnsOptions => "dns_options".into(),
    }
}

/// Prints the declared inventory as JSON.
pub fn run(args: &InventoryArgs) -> Result<i32> {
    let root = workspace::find_root(&args.path)?;
    let config = audit::load_config(&root, args.config.as_deref())?;
    let declared = inventory::declared(&root, &workspace::globset(&config.exclude)?)?;
    let objects: Vec<Json> = declared
        .objects
        .iter()
        .map(|o| {
            json!({
                "kind": o.kind,
                "namespace": o.namespace.as_ref().map(value),
                "name": value(&o.name),
                "address": o.address,
                "path": o.location.path,
                "line": o.location.line,
                "fields": o.fields.iter().map(|f| json!({ "field": field_name(&f.field), "value": value(&f.value), "tf_path": f.tf_path })).collect::<Vec<_>>(),
                "ignore_all": o.ignore_all,
                "ignore_changes": o.ignore_paths,
                "declared_by": match o.declared_by {
                    DeclaredBy::Terraform => "terraform",
                    DeclaredBy::Manifest => "manifest",
                },
            })
        })
        .collect();
    let releases: Vec<Json> = declared
        .releases
        .iter()
        .map(|r| json!({ "name": value(&r.name), "namespace": value(&r.namespace), "address": r.address, "path": r.location.path, "line": r.location.line }))
        .collect();
    let notes: Vec<Json> = declared
        .notes
        .iter()
        .map(|n| json!({ "path": n.path, "line": n.line, "address": n.address, "message": n.message }))
        .collect();
    let doc = json!({ "version": 1, "objects": objects, "releases": releases, "notes": notes });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(0)
}
