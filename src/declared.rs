//! Kubernetes objects declared in HCL that several rules inspect: persistent volume claims
//! (plain, stateful-set templates, `kubernetes_manifest`) and NFS-backed volumes and
//! storage classes.

use crate::syntax::hcl::{self, owner_of, Owner};
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use hcl_edit::Span;
use std::ops::Range;

/// A declared PersistentVolumeClaim.
pub struct Claim<'a> {
    /// The resource declaring it.
    pub owner: Owner,
    /// The primary location: the resource header.
    pub span: Range<usize>,
    /// The inner block declaring the claim (a volume_claim_template), as a secondary label.
    pub inner: Option<Range<usize>>,
    /// What declares it, for messages ("volume_claim_template", "kubernetes_manifest").
    pub via: &'static str,
    /// `metadata.name`.
    pub name: Option<&'a Expression>,
    /// `metadata.namespace`.
    pub namespace: Option<&'a Expression>,
    /// `storage_class_name` / `storageClassName`; `None` when absent.
    pub class: Option<&'a Expression>,
    /// The owning workload's `metadata.name` (stateful-set claims are named after it).
    pub workload_name: Option<&'a Expression>,
}

/// All claims declared in a file's top-level resources.
pub fn claims(body: &Body) -> Vec<Claim<'_>> {
    let mut out = Vec::new();
    for (ty, _name, block) in hcl::resources(body) {
        let base = ty.strip_suffix("_v1").unwrap_or(ty);
        // Each arm works out the owner: only of the types it handles (working it out for
        // every resource was 0.6% of an audit, callgrind).
        match base {
            "kubernetes_persistent_volume_claim" => {
                let Some(owner) = owner_of(block) else {
                    continue;
                };
                let meta = hcl::block(&block.body, "metadata");
                let spec = hcl::block(&block.body, "spec");
                out.push(Claim {
                    span: owner.header.clone(),
                    inner: None,
                    owner,
                    via: "resource",
                    name: meta.and_then(|m| hcl::attr(&m.body, "name")),
                    namespace: meta.and_then(|m| hcl::attr(&m.body, "namespace")),
                    class: spec.and_then(|s| hcl::attr(&s.body, "storage_class_name")),
                    workload_name: None,
                });
            }
            "kubernetes_stateful_set" => {
                let Some(owner) = owner_of(block) else {
                    continue;
                };
                let sts_meta = hcl::block(&block.body, "metadata");
                let namespace = sts_meta.and_then(|m| hcl::attr(&m.body, "namespace"));
                let workload_name = sts_meta.and_then(|m| hcl::attr(&m.body, "name"));
                let Some(spec) = hcl::block(&block.body, "spec") else {
                    continue;
                };
                for template in hcl::blocks(&spec.body, "volume_claim_template") {
                    let meta = hcl::block(&template.body, "metadata");
                    let tspec = hcl::block(&template.body, "spec");
                    out.push(Claim {
                        span: owner.header.clone(),
                        inner: template.ident.span(),
                        owner: owner.clone(),
                        via: "volume_claim_template",
                        name: meta.and_then(|m| hcl::attr(&m.body, "name")),
                        namespace,
                        class: tspec.and_then(|s| hcl::attr(&s.body, "storage_class_name")),
                        workload_name,
                    });
                }
            }
            "kubernetes_manifest" => {
                let Some(owner) = owner_of(block) else {
                    continue;
                };
                let Some(manifest) = hcl::attr(&block.body, "manifest") else {
                    continue;
                };
                let kind = hcl::object_get(manifest, "kind").and_then(hcl::literal_str);
                if kind.as_deref() != Some("PersistentVolumeClaim") {
                    continue;
                }
                let meta = hcl::object_get(manifest, "metadata");
                let spec = hcl::object_get(manifest, "spec");
                out.push(Claim {
                    span: owner.header.clone(),
                    inner: None,
                    owner,
                    via: "kubernetes_manifest",
                    name: meta.and_then(|m| hcl::object_get(m, "name")),
                    namespace: meta.and_then(|m| hcl::object_get(m, "namespace")),
                    class: spec.and_then(|s| hcl::object_get(s, "storageClassName")),
                    workload_name: None,
                });
            }
            _ => {}
        }
    }
    out
}

/// What makes a declared object an NFS one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NfsSource {
    /// A PersistentVolume with an `nfs {}` source.
    PersistentVolumeNfs,
    /// A PersistentVolume using the NFS CSI driver.
    PersistentVolumeCsi,
    /// A StorageClass with the NFS provisioner.
    StorageClass,
}

/// A declared NFS persistent volume or storage class.
pub struct NfsObject<'a> {
    /// The resource declaring it.
    pub owner: Owner,
    /// Which kind of NFS object.
    pub source: NfsSource,
    /// `mount_options` / `mountOptions`, when present.
    pub mount_options: Option<&'a Expression>,
    /// Span to point at besides the header (the nfs/csi block or provisioner).
    pub anchor: Range<usize>,
    /// The whole resource block.
    pub block: Range<usize>,
    /// The block a missing `mount_options` attribute belongs in (the PV's `spec`, the storage
    /// class resource); `None` for `kubernetes_manifest` objects.
    pub options_block: Option<Range<usize>>,
}

/// NFS volumes and storage classes declared in a file. `csi_drivers` names the NFS CSI
/// drivers/provisioners (e.g. `nfs.csi.k8s.io`).
pub fn nfs_objects<'a>(body: &'a Body, csi_drivers: &[String]) -> Vec<NfsObject<'a>> {
    let is_nfs_driver = |e: Option<&Expression>| {
        e.and_then(hcl::literal_str)
            .is_some_and(|d| csi_drivers.contains(&d))
    };
    let mut out = Vec::new();
    for (ty, _name, block) in hcl::resources(body) {
        let base = ty.strip_suffix("_v1").unwrap_or(ty);
        // As in `claims`, the owner only of the types handled.
        match base {
            "kubernetes_persistent_volume" => {
                let Some(owner) = owner_of(block) else {
                    continue;
                };
                let Some(spec) = hcl::block(&block.body, "spec") else {
                    continue;
                };
                let Some(source) = hcl::block(&spec.body, "persistent_volume_source") else {
                    continue;
                };
                let mount_options = hcl::attr(&spec.body, "mount_options");
                if let Some(nfs) = hcl::block(&source.body, "nfs") {
                    out.push(NfsObject {
                        anchor: nfs.ident.span().unwrap_or(owner.header.clone()),
                        block: block.span().unwrap_or(owner.header.clone()),
                        options_block: spec.span(),
                        owner,
                        source: NfsSource::PersistentVolumeNfs,
                        mount_options,
                    });
                } else if let Some(csi) = hcl::block(&source.body, "csi") {
                    if is_nfs_driver(hcl::attr(&csi.body, "driver")) {
                        out.push(NfsObject {
                            anchor: csi.ident.span().unwrap_or(owner.header.clone()),
                            block: block.span().unwrap_or(owner.header.clone()),
                            options_block: spec.span(),
                            owner,
                            source: NfsSource::PersistentVolumeCsi,
                            mount_options,
                        });
                    }
                }
            }
            "kubernetes_storage_class" => {
                let Some(owner) = owner_of(block) else {
                    continue;
                };
                let provisioner = hcl::attr(&block.body, "storage_provisioner");
                if is_nfs_driver(provisioner) {
                    out.push(NfsObject {
                        anchor: provisioner
                            .and_then(|p| p.span())
                            .unwrap_or(owner.header.clone()),
                        block: block.span().unwrap_or(owner.header.clone()),
                        options_block: block.span(),
                        owner,
                        source: NfsSource::StorageClass,
                        mount_options: hcl::attr(&block.body, "mount_options"),
                    });
                }
            }
            "kubernetes_manifest" => {
                let Some(owner) = owner_of(block) else {
                    continue;
                };
                let Some(manifest) = hcl::attr(&block.body, "manifest") else {
                    continue;
                };
                let kind = hcl::object_get(manifest, "kind").and_then(hcl::literal_str);
                match kind.as_deref() {
                    Some("PersistentVolume") => {
                        let Some(spec) = hcl::object_get(manifest, "spec") else {
                            continue;
                        };
                        let source = if let Some(nfs) = hcl::object_get(spec, "nfs") {
                            Some((NfsSource::PersistentVolumeNfs, nfs))
                        } else {
                            hcl::object_get(spec, "csi")
                                .filter(|csi| is_nfs_driver(hcl::object_get(csi, "driver")))
                                .map(|csi| (NfsSource::PersistentVolumeCsi, csi))
                        };
                        if let Some((source, expr)) = source {
                            out.push(NfsObject {
                                anchor: expr.span().unwrap_or(owner.header.clone()),
                                block: block.span().unwrap_or(owner.header.clone()),
                                options_block: None,
                                owner,
                                source,
                                mount_options: hcl::object_get(spec, "mountOptions"),
                            });
                        }
                    }
                    Some("StorageClass") => {
                        let provisioner = hcl::object_get(manifest, "provisioner");
                        if is_nfs_driver(provisioner) {
                            out.push(NfsObject {
                                anchor: provisioner
                                    .and_then(|p| p.span())
                                    .unwrap_or(owner.header.clone()),
                                block: block.span().unwrap_or(owner.header.clone()),
                                options_block: None,
                                owner,
                                source: NfsSource::StorageClass,
                                mount_options: hcl::object_get(manifest, "mountOptions"),
                            });
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}
