//! Rule kinds (Rust code) and rule instances (data from packs).
//!
//! A *kind* knows how to check something ("resources of type T must ignore path P");
//! an *instance* gives it an id, a severity and parameters. Packs under `rules/` list
//! instances, so users add rules without touching Rust.

pub mod block_pvc;
pub mod claims;
pub mod container_resources;
pub mod docs_cochange;
mod emit;
pub mod exports_fsid;
pub mod forbidden_value;
pub mod image_tag;
pub mod inline_nfs_volume;
pub mod keel_lifecycle;
pub mod lifecycle;
pub mod lifecycle_ignore;
pub mod manifests;
pub mod nfs_mount_options;
pub mod pods;
pub mod rwo_recreate;
pub mod simple;
pub mod stack_rules;
pub mod storage_class;
pub mod yaml_rules;

pub use emit::{Condition, Deferred, Emitter};

use crate::finding::Severity;
use crate::index::RepoIndex;
use crate::source::SourceFile;
use crate::syntax::hcl::HclFile;
use anyhow::{Context as _, Result};
use serde::de::DeserializeOwned;

/// Everything a check may look at for one file.
pub struct FileContext<'a> {
    /// The file being checked.
    pub file: &'a SourceFile,
    /// Its parsed HCL, when it is an HCL file that parsed.
    pub hcl: Option<&'a HclFile>,
    /// Its parsed YAML documents, when it is a YAML file and a rule that runs reads YAML
    /// structure ([`Check::wants_yaml`]).
    pub yaml: Option<&'a crate::syntax::yaml::YamlFile>,
    /// Flux facts of the whole repository (Kustomizations, variables, claims), when YAML
    /// is read.
    pub flux: Option<&'a crate::flux_facts::FluxFacts>,
    /// Facts gathered from the file's module directory (locals, variables, namespaces).
    pub repo: &'a RepoIndex<'a>,
    /// Whether fixes must be complete (re-aligned, minimal) because a report or `--fix`
    /// will show or apply them; otherwise rules attach raw edits, enough to say "fixable".
    pub want_fixes: bool,
    /// The resources' `lifecycle` ignore lists read so far: three rules read the same list
    /// of every workload ([`FileContext::ignore_list`]).
    pub ignore_lists: BlockMemo<lifecycle::IgnoreList>,
    /// The resources' owners worked out so far: most rules report on a resource through its
    /// owner ([`FileContext::owner`]).
    pub owners: BlockMemo<crate::syntax::hcl::Owner>,
}

/// Facts about a file's blocks, each worked out once and shared by the rules that ask, by
/// the block's offset.
pub type BlockMemo<T> = std::cell::RefCell<Vec<(usize, Option<std::rc::Rc<T>>)>>;

/// The fact `compute` gives about `block`, from `memo` when it was worked out before.
fn remembered<T>(
    memo: &BlockMemo<T>,
    block: &hcl_edit::structure::Block,
    compute: impl FnOnce() -> Option<T>,
) -> Option<std::rc::Rc<T>> {
    use hcl_edit::Span;
    let Some(key) = block.span().map(|s| s.start) else {
        return compute().map(std::rc::Rc::new);
    };
    if let Some((_, fact)) = memo.borrow().iter().find(|(k, _)| *k == key) {
        return fact.clone();
    }
    let fact = compute().map(std::rc::Rc::new);
    memo.borrow_mut().push((key, fact.clone()));
    fact
}

impl FileContext<'_> {
    /// The ignore list of `resource`, a block of this file ([`lifecycle::IgnoreList::of`]),
    /// read once for all the rules that ask.
    pub fn ignore_list(
        &self,
        resource: &hcl_edit::structure::Block,
    ) -> Option<std::rc::Rc<lifecycle::IgnoreList>> {
        remembered(&self.ignore_lists, resource, || {
            lifecycle::IgnoreList::of(self.file, resource)
        })
    }

    /// The owner of `resource`, a top-level block of this file
    /// ([`crate::syntax::hcl::owner_of`]), worked out once for all the rules that ask.
    pub fn owner(
        &self,
        resource: &hcl_edit::structure::Block,
    ) -> Option<std::rc::Rc<crate::syntax::hcl::Owner>> {
        remembered(&self.owners, resource, || {
            crate::syntax::hcl::owner_of(resource)
        })
    }

    /// Turns a rule's raw edits into the fix attached to its finding (see
    /// [`crate::fix::finish`]); skips the costly part when nobody will look at the edits.
    pub fn fix(
        &self,
        scope: Option<std::ops::Range<usize>>,
        description: String,
        applicability: crate::finding::Applicability,
        raw: Vec<crate::finding::Edit>,
    ) -> Option<crate::finding::Fix> {
        if raw.is_empty() {
            return None;
        }
        if !self.want_fixes {
            return Some(crate::finding::Fix {
                description,
                applicability,
                edits: raw,
                declares: None,
            });
        }
        crate::fix::finish(self.file, self.hcl, scope, description, applicability, raw)
    }
}

/// The code side of a rule kind: checks one file and emits findings.
pub trait Check: Send + Sync {
    /// Checks `ctx.file`, pushing findings into `out`.
    fn check(&self, ctx: &FileContext, out: &mut Emitter);

    /// Checks one live object (`audit --live`) with the same parameters, returning what is
    /// wrong with it. Most kinds only make sense on source files and keep this default.
    fn check_live(&self, _object: &crate::live::LiveObject) -> Vec<String> {
        Vec::new()
    }

    /// Whether the kind reads YAML documents (Kubernetes and Flux manifests): YAML files are
    /// only parsed, and their syntax errors only reported, when a running rule does.
    fn wants_yaml(&self) -> bool {
        false
    }

    /// Whether the kind judges a change (`--staged`, `--base`, `--commits`) rather than
    /// files: its findings survive `--changed-only` and it only runs when there is a change.
    fn is_change_scoped(&self) -> bool {
        false
    }

    /// A line of `text` (the finding's file) that identifies what `finding` is about in older
    /// versions of the file, for kinds whose findings say since when it has been in the
    /// repository; the audit looks all of them up in git history at once.
    fn history_line(&self, _finding: &crate::finding::Finding, _text: &str) -> Option<String> {
        None
    }

    /// Adds what git history says to a finding whose [`Check::history_line`] was found:
    /// the commit that introduced the line and its age in days.
    fn with_history(
        &self,
        _finding: &mut crate::finding::Finding,
        _commit: &str,
        _date: &str,
        _days: i64,
    ) {
    }

    /// Judges a change set (change-scoped kinds only).
    fn check_change(&self, _ctx: &ChangeContext, _meta: &RuleMeta) -> Vec<crate::finding::Finding> {
        Vec::new()
    }
}

/// What a change-scoped check may look at.
pub struct ChangeContext<'a> {
    /// The change under audit.
    pub changes: &'a crate::git::ChangeSet,
    /// Every file of the repository (repository-relative, sorted): as of the change's last
    /// commit, or the working tree for staged changes.
    pub files: &'a [String],
    /// Reads a repository-relative file: for a change with commits, as of its last commit;
    /// for staged changes, the staged text or the working tree.
    pub read: &'a dyn Fn(&str) -> Option<String>,
}

/// Identity and presentation of a rule instance.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    /// Stable id, e.g. `kyverno-lifecycle`.
    pub id: String,
    /// Kind implementing it, e.g. `lifecycle-ignore`.
    pub kind: String,
    /// Severity after overrides.
    pub severity: Severity,
    /// One-line summary for `rules` and SARIF.
    pub summary: String,
    /// How to fix, shown under each finding.
    pub help: Option<String>,
    /// Whether `--fix` can repair its findings.
    pub fixable: bool,
}

/// A rule instance ready to run.
pub struct Rule {
    /// Its metadata.
    pub meta: RuleMeta,
    /// Its check.
    pub check: Box<dyn Check>,
}

/// A rule kind: its name, what it does, and how to build it from parameters.
pub struct Kind {
    /// Name used in packs (`kind:`).
    pub name: &'static str,
    /// What the kind checks.
    pub description: &'static str,
    /// Builds a check from the instance's parameters.
    pub build: fn(serde_json::Value) -> Result<Box<dyn Check>>,
}

/// Every rule kind this build knows.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "lifecycle-ignore",
        description: "resources of given types must list a path in lifecycle.ignore_changes, tagged with a marker comment",
        build: |p| Ok(Box::new(lifecycle_ignore::LifecycleIgnore::new(params(p)?)?)),
    },
    Kind {
        name: "keel-lifecycle",
        description: "workloads in Keel-enrolled namespaces must ignore the fields Keel rewrites",
        build: |p| Ok(Box::new(keel_lifecycle::KeelLifecycle::new(params(p)?))),
    },
    Kind {
        name: "required-storage-class",
        description: "PVCs of listed services (or with a name suffix) must use a given storage class",
        build: |p| Ok(Box::new(storage_class::RequiredStorageClass::new(params(p)?))),
    },
    Kind {
        name: "explicit-storage-class",
        description: "PVCs must name their storage class instead of binding to the cluster default",
        build: |p| Ok(Box::new(storage_class::ExplicitStorageClass::new(params(p)?))),
    },
    Kind {
        name: "nfs-mount-options",
        description: "NFS persistent volumes and storage classes must set the NFS version (and recommended options)",
        build: |p| Ok(Box::new(nfs_mount_options::NfsMountOptions::new(params(p)?))),
    },
    Kind {
        name: "inline-nfs-volume",
        description: "pod specs must not declare inline nfs {} volumes",
        build: |p| Ok(Box::new(inline_nfs_volume::InlineNfsVolume::new(params(p)?))),
    },
    Kind {
        name: "forbidden-value",
        description: "a literal value (host name, address) must not appear in code or config",
        build: |p| Ok(Box::new(forbidden_value::ForbiddenValue::new(params(p)?)?)),
    },
    Kind {
        name: "exports-fsid",
        description: "an NFS exports file must not give a forbidden fsid to an export",
        build: |p| Ok(Box::new(exports_fsid::ExportsFsid::new(params(p)?))),
    },
    Kind {
        name: "docs-cochange",
        description: "a change to a stack or module must also touch the docs that mention it (change-scoped)",
        build: |p| Ok(Box::new(docs_cochange::DocsCochange::new(params(p)?)?)),
    },
    Kind {
        name: "image-tag",
        description: "container images carry an explicit, non-moving tag (optionally an exact version for chosen images)",
        build: |p| Ok(Box::new(image_tag::ImageTag::new(params(p)?))),
    },
    Kind {
        name: "block-pvc-settings",
        description: "claims on block storage classes set given arguments and annotations",
        build: |p| Ok(Box::new(block_pvc::BlockPvcSettings::new(params(p)?))),
    },
    Kind {
        name: "rwo-recreate",
        description: "deployments mounting a ReadWriteOnce block-storage claim use the Recreate strategy",
        build: |p| Ok(Box::new(rwo_recreate::RwoRecreate::new(params(p)?))),
    },
    Kind {
        name: "required-attribute",
        description: "resources of given types set an argument",
        build: |p| Ok(Box::new(simple::RequiredAttribute::new(params(p)?))),
    },
    Kind {
        name: "manifest-field",
        description: "kubernetes_manifest objects of given kinds set a field to an allowed value",
        build: |p| Ok(Box::new(simple::ManifestField::new(params(p)?))),
    },
    Kind {
        name: "container-resources",
        description: "containers set required resource requests and limits, and no forbidden limits",
        build: |p| Ok(Box::new(container_resources::ContainerResources::new(params(p)?))),
    },
    Kind {
        name: "yaml-document-start",
        description: "YAML files start with the document marker `---`",
        build: |p| {
            params::<yaml_rules::NoParams>(p)?;
            Ok(Box::new(yaml_rules::DocumentStart))
        },
    },
    Kind {
        name: "schema-directive",
        description: "`# yaml-language-server: $schema=` sits on the line right after every `---`",
        build: |p| {
            params::<yaml_rules::NoParams>(p)?;
            Ok(Box::new(yaml_rules::SchemaDirective))
        },
    },
    Kind {
        name: "yaml-forbidden-kind",
        description: "objects of given kinds are not committed as plain YAML manifests",
        build: |p| Ok(Box::new(yaml_rules::ForbiddenKind::new(params(p)?))),
    },
    Kind {
        name: "yaml-field",
        description: "a field of objects of given kinds never holds given values",
        build: |p| Ok(Box::new(yaml_rules::Field::new(params(p)?))),
    },
    Kind {
        name: "yaml-workload",
        description: "checks on YAML workloads, plain manifests and app-template controllers alike",
        build: |p| Ok(Box::new(yaml_rules::Workload::new(params(p)?))),
    },
    Kind {
        name: "kustomization-sorted",
        description: "`resources:` of a kustomization.yaml is in alphabetical order",
        build: |p| {
            params::<yaml_rules::NoParams>(p)?;
            Ok(Box::new(yaml_rules::KustomizationSorted))
        },
    },
    Kind {
        name: "namespace-inheritance",
        description: "app resources omit metadata.namespace; Flux Kustomizations set spec.targetNamespace",
        build: |p| Ok(Box::new(yaml_rules::NamespaceInheritance::new(params(p)?))),
    },
    Kind {
        name: "literal-domain",
        description: "host names use the domain placeholder instead of the literal public domain",
        build: |p| Ok(Box::new(yaml_rules::LiteralDomain::new(params(p)?))),
    },
    Kind {
        name: "shared-database",
        description: "no two apps point at the same database (host and database, from URLs or host/db pairs)",
        build: |p| {
            params::<yaml_rules::NoParams>(p)?;
            Ok(Box::new(yaml_rules::SharedDatabase))
        },
    },
    Kind {
        name: "reloader-annotation",
        description: "workloads using a generated ConfigMap carry the Reloader annotation",
        build: |p| Ok(Box::new(yaml_rules::Reloader::new(params(p)?))),
    },
    Kind {
        name: "yaml-indentation",
        description: "block mappings are indented by a fixed width",
        build: |p| Ok(Box::new(yaml_rules::Indentation::new(params(p)?))),
    },
    Kind {
        name: "workload-not-on-nfs",
        description: "named services mount no NFS volume",
        build: |p| Ok(Box::new(stack_rules::NotOnNfs::new(params(p)?))),
    },
    Kind {
        name: "sqlite-not-on-nfs",
        description: "a container's SQLite database path is not under an NFS mount (heuristic)",
        build: |p| {
            params::<stack_rules::NoParams>(p)?;
            Ok(Box::new(stack_rules::SqliteNotOnNfs))
        },
    },
    Kind {
        name: "gpu-scheduling",
        description: "GPU workloads select GPU nodes by label, tolerate the GPU taint, and are not pinned to a host",
        build: |p| Ok(Box::new(stack_rules::Gpu::new(params(p)?))),
    },
    Kind {
        name: "backup-cronjob",
        description: "a stack with a block-storage claim declares a backup CronJob writing to the backup directory",
        build: |p| Ok(Box::new(stack_rules::BackupCronjob::new(params(p)?))),
    },
    Kind {
        name: "ingress-auth-comment",
        description: "an ingress factory call that opens a service says in a comment right above what gates it",
        build: |p| Ok(Box::new(stack_rules::AuthComment::new(params(p)?))),
    },
    Kind {
        name: "critical-replicas",
        description: "critical-path Deployments run enough replicas and have a PodDisruptionBudget",
        build: |p| Ok(Box::new(stack_rules::Replicas::new(params(p)?))),
    },
    Kind {
        name: "sealed-secret-files",
        description: "SealedSecrets live in sealed-*.yaml files that the stack loads with fileset()",
        build: |p| Ok(Box::new(stack_rules::Sealed::new(params(p)?))),
    },
    Kind {
        name: "import-block",
        description: "reports import {} blocks, which are deleted after the apply that used them",
        build: |p| Ok(Box::new(simple::ImportBlock::new(params(p)?))),
    },
];

/// Looks up a kind by name.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// Ids of the rules the engine itself reports (not from packs).
pub const BUILTIN_RULES: &[(&str, Severity, &str)] = &[
    (
        "parse-error",
        Severity::Error,
        "a file could not be parsed, so it could not be audited",
    ),
    (
        "unused-suppression",
        Severity::Warning,
        "an infra-audit:ignore comment suppresses nothing",
    ),
    (
        "invalid-suppression",
        Severity::Warning,
        "an infra-audit:ignore comment is malformed (no reason, unknown rule, bad date)",
    ),
];

fn params<T: DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    let value = if value.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        value
    };
    serde_json::from_value(value).context("invalid rule parameters")
}

/// Resource types that carry a pod template (workloads).
pub fn is_workload_type(resource_type: &str) -> bool {
    pods::pod_spec_path(resource_type).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{IndexedFile, RepoIndex};
    use crate::source::SourceFile;
    use crate::syntax::hcl;

    #[test]
    fn each_resource_ignore_list_and_owner_are_worked_out_once_and_are_its_own() {
        let text = "resource \"kubernetes_deployment\" \"a\" {\n  lifecycle {\n    ignore_changes = [spec[0].replicas]\n  }\n}\nresource \"kubernetes_deployment\" \"b\" {\n}\n";
        let file = SourceFile::new("m.tf".into(), "m.tf".into(), text.into());
        let parsed = hcl::parse(text).unwrap();
        let index = RepoIndex::build(&[IndexedFile {
            file: &file,
            hcl: &parsed,
        }]);
        let ctx = FileContext {
            file: &file,
            hcl: Some(&parsed),
            yaml: None,
            flux: None,
            repo: &index,
            want_fixes: false,
            ignore_lists: Default::default(),
            owners: Default::default(),
        };
        let resources: Vec<_> = hcl::resources(&parsed.body).map(|(_, _, b)| b).collect();
        let a = ctx
            .ignore_list(resources[0])
            .expect("a has a lifecycle block");
        assert!(std::rc::Rc::ptr_eq(
            &a,
            &ctx.ignore_list(resources[0]).unwrap()
        ));
        assert_eq!(
            a.entries,
            lifecycle::IgnoreList::of(&file, resources[0])
                .unwrap()
                .entries
        );
        assert_eq!(a.entries[0].0, "spec[0].replicas");
        assert!(ctx.ignore_list(resources[1]).is_none());
        assert!(ctx.ignore_list(resources[1]).is_none());
        assert_eq!(ctx.ignore_lists.borrow().len(), 2);
        let owner = ctx.owner(resources[1]).expect("a resource has an owner");
        assert!(std::rc::Rc::ptr_eq(
            &owner,
            &ctx.owner(resources[1]).unwrap()
        ));
        assert_eq!(owner.address, "kubernetes_deployment.b");
        assert_eq!(owner.header, hcl::owner_of(resources[1]).unwrap().header);
        assert_eq!(
            ctx.owner(resources[0]).unwrap().address,
            "kubernetes_deployment.a"
        );
        assert_eq!(ctx.owners.borrow().len(), 2);
    }
}
