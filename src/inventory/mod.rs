//! What the repository declares, as Kubernetes objects with evaluated identities and the
//! fields drift compares: from `kubernetes_<kind>` resources, `kubernetes_manifest`
//! objects, local modules expanded with their inputs, and `helm_release`s.
//!
//! [`declared`] walks the repository, parses every `.tf` file, finds the directories that
//! local module calls point at (those only declare through their calls), and evaluates each
//! remaining directory as a root module: variables from defaults, Terragrunt `inputs` and
//! `extra_arguments` var files, `.tfvars`; then every resource instance and local module
//! call. Values that cannot be evaluated stay [`Value::Unknown`], with the reason.
//!
//! YAML manifests (a Flux repository, or manifests next to Terraform) declare objects too:
//! see the `yaml` module for which files count and how Flux Kustomizations give them
//! their namespace and variables.

mod body;
mod eval;
mod expand;
mod fields;
mod funcs;
mod load;
mod objects;
mod scope;
mod terragrunt;
mod value;
mod vars;
pub(crate) mod yaml;

use crate::finding::Location;
use crate::index::{IndexedFile, RepoIndex, Value};
use crate::workspace;
use anyhow::{bail, Context, Result};
use globset::GlobSet;
use load::{ParsedDir, RepoFiles};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

/// A field drift compares, with where Terraform keeps it (for `ignore_changes`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// Image of the container with this name.
    Image { container: String },
    /// Image of the init container with this name.
    InitImage { container: String },
    /// `spec.replicas`.
    Replicas,
    /// Deployment `spec.strategy.type` / StatefulSet `spec.updateStrategy.type`.
    Strategy,
    /// PVC / PV storage class.
    StorageClass,
    /// PVC requested size / PV capacity.
    StorageSize,
    /// PV / StorageClass mount options, comma-joined in declared order.
    MountOptions,
    /// A label the resource declares.
    Label(String),
    /// An annotation the resource declares.
    Annotation(String),
    /// A literal env value of a container.
    Env { container: String, name: String },
    /// The pod's own `dns_config` options, as sorted `name=value` pairs joined by commas.
    DnsOptions,
}

/// One declared field.
#[derive(Debug, Clone)]
pub struct DeclaredField {
    /// Which field.
    pub field: Field,
    /// Its evaluated value (unknown values are never compared).
    pub value: Value,
    /// The Terraform attribute path, as `ignore_changes` would name it
    /// (`spec[0].template[0].spec[0].container[1].image`).
    pub tf_path: String,
}

/// What applies a declared object to the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredBy {
    /// Terraform (a provider resource, a `kubernetes_manifest`, a module call): every plan
    /// compares it, `ignore_changes` included.
    Terraform,
    /// A YAML manifest (Flux, Kustomize, `kubectl apply`): server-side apply leaves the
    /// fields it does not set alone, so injected fields are not drift.
    Manifest,
}

/// A Kubernetes object the repository declares.
#[derive(Debug, Clone)]
pub struct DeclaredObject {
    /// API kind.
    pub kind: String,
    /// Namespace (`None` for cluster-scoped kinds; `default` when a namespaced object sets none).
    pub namespace: Option<Value>,
    /// `metadata.name`.
    pub name: Value,
    /// Terraform address, with the module path when it comes from a module call
    /// (`module.nfs_data.kubernetes_persistent_volume_claim.this`); for a YAML manifest,
    /// `Kind/name` as written, with the Flux Kustomization that applies it
    /// (`Deployment/${APP} (Flux Kustomization web)`).
    pub address: String,
    /// Where it is declared (the resource header, the module call, or a YAML document's
    /// `kind:` line).
    pub location: Location,
    /// Compared fields.
    pub fields: Vec<DeclaredField>,
    /// `lifecycle { ignore_changes = all }`.
    pub ignore_all: bool,
    /// Normalized `ignore_changes` paths.
    pub ignore_paths: Vec<String>,
    /// What applies it.
    pub declared_by: DeclaredBy,
}

/// A `helm_release` or a Flux `HelmRelease`: its objects are attributed through Helm's
/// release annotations.
#[derive(Debug, Clone)]
pub struct DeclaredRelease {
    /// Release name.
    pub name: Value,
    /// Release namespace.
    pub namespace: Value,
    /// Terraform address, or `HelmRelease/name` as written for a Flux HelmRelease.
    pub address: String,
    /// Where it is declared.
    pub location: Location,
}

/// Everything the repository declares.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// Objects.
    pub objects: Vec<DeclaredObject>,
    /// Helm releases.
    pub releases: Vec<DeclaredRelease>,
    /// What could not be declared or read, and why (files that did not parse, modules not
    /// expanded, manifests that could not be evaluated, claim templates skipped).
    pub notes: Vec<Note>,
}

/// Something the inventory left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    /// Repo-relative file it concerns.
    pub path: String,
    /// 1-based line, when it concerns one block.
    pub line: Option<usize>,
    /// Terraform address, when it concerns one block.
    pub address: Option<String>,
    /// What happened.
    pub message: String,
}

impl Note {
    /// A note about a whole file.
    pub fn file(path: &str, message: impl Into<String>) -> Note {
        Note {
            path: path.to_string(),
            line: None,
            address: None,
            message: message.into(),
        }
    }
}

/// Builds the declared inventory of the repository at `root` (files matching `exclude`,
/// relative to the root, are left out, as in the audit).
///
/// Terraform objects come first, ordered by root module directory, then file, then
/// position; then YAML objects, by file, document, and applying Flux Kustomization. Notes
/// are sorted.
pub fn declared(root: &Path, exclude: &GlobSet) -> Result<Declared> {
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", root.display()))?;
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let walked = workspace::walk(&root, &root, exclude);
    let repo = RepoFiles {
        files: walked
            .files
            .iter()
            .map(|p| workspace::relative(&root, p))
            .collect(),
        root,
    };
    let tf_dirs = load::tf_dirs(&repo.files);
    // Which directories local module calls point at. Parse trees are dropped as soon as
    // they are read (here, and per stack below) to keep memory flat on large repositories;
    // only the module directories' trees are kept for the whole run.
    // Only files that may hold a `module` block are parsed for this: parsing every file
    // twice made the drift inventory cost twice an audit's parsing (callgrind).
    let calls: HashMap<&str, Vec<String>> = tf_dirs
        .par_iter()
        .map(|(dir, paths)| {
            let parsed = load::parse_dir_where(&repo, dir, paths, may_call_modules);
            (dir.as_str(), module_targets(&parsed, &tf_dirs))
        })
        .collect();
    let module_dirs: HashSet<&str> = calls.values().flatten().map(String::as_str).collect();
    let modules: Vec<ParsedDir> = tf_dirs
        .par_iter()
        .filter(|(dir, _)| module_dirs.contains(dir.as_str()))
        .map(|(dir, paths)| load::parse_dir(&repo, dir, paths))
        .collect();
    let by_dir: HashMap<&str, &ParsedDir> = modules.iter().map(|d| (d.dir.as_str(), d)).collect();
    let cache = vars::VarFileCache::default();
    let outputs: Vec<Declared> = tf_dirs
        .par_iter()
        .filter(|(dir, _)| !module_dirs.contains(dir.as_str()))
        .map(|(dir, paths)| {
            let parsed = load::parse_dir(&repo, dir, paths);
            let mut out = declare_stack(&repo, &cache, &parsed, &by_dir, &calls);
            out.notes.extend(parsed.notes);
            out
        })
        .collect();

    let mut out = Declared::default();
    for d in &modules {
        out.notes.extend(d.notes.iter().cloned());
    }
    out.notes.extend(
        walked
            .errors
            .iter()
            .map(|(path, e)| Note::file(path, format!("not read: {e}"))),
    );
    out.notes.extend(
        walked
            .non_utf8_names
            .iter()
            .map(|path| Note::file(path, "not read: the file name is not UTF-8")),
    );
    let manifests = yaml::declare(&repo, &tf_dirs);
    for o in outputs.into_iter().chain([manifests]) {
        out.objects.extend(o.objects);
        out.releases.extend(o.releases);
        out.notes.extend(o.notes);
    }
    out.notes.sort();
    out.notes.dedup();
    Ok(out)
}

/// Whether HCL `text` may hold a `module` block: the word `module`, not part of a longer
/// name, followed by whitespace or a quote (a superset: comments and strings match too).
fn may_call_modules(text: &str) -> bool {
    let bytes = text.as_bytes();
    let name_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    memchr::memmem::find_iter(bytes, b"module").any(|at| {
        (at == 0 || !name_char(bytes[at - 1]))
            && bytes
                .get(at + 6)
                .is_some_and(|&b| b.is_ascii_whitespace() || b == b'"')
    })
}

/// The directories (with `.tf` files) that `dir`'s local module calls point at.
fn module_targets(dir: &ParsedDir, tf_dirs: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for f in &dir.files {
        for block in crate::syntax::hcl::blocks(&f.hcl.body, "module") {
            if let Ok((_, target)) = expand::local_source(&dir.dir, block) {
                if tf_dirs.contains_key(target.as_str()) {
                    out.insert(target);
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Declares what the root module in `dir` (and every local module it calls) declares;
/// `by_dir` holds the module directories.
fn declare_stack(
    repo: &RepoFiles,
    cache: &vars::VarFileCache,
    dir: &ParsedDir,
    by_dir: &HashMap<&str, &ParsedDir>,
    calls: &HashMap<&str, Vec<String>>,
) -> Declared {
    // The stack and every module directory it reaches.
    let mut reached: Vec<&ParsedDir> = vec![dir];
    let mut seen: HashSet<&str> = HashSet::from([dir.dir.as_str()]);
    let mut i = 0;
    while i < reached.len() {
        for target in calls.get(reached[i].dir.as_str()).into_iter().flatten() {
            if let Some(d) = by_dir.get(target.as_str()) {
                if seen.insert(d.dir.as_str()) {
                    reached.push(d);
                }
            }
        }
        i += 1;
    }
    let indexed: Vec<IndexedFile> = reached
        .iter()
        .flat_map(|d| &d.files)
        .map(|f| IndexedFile {
            file: &f.file,
            hcl: &f.hcl,
        })
        .collect();
    let index = RepoIndex::build(&indexed);
    let mut out = Declared::default();
    let terragrunt = terragrunt::load(repo, &dir.dir);
    if let Some(tg) = &terragrunt {
        out.notes.extend(tg.notes.iter().cloned());
    }
    let mut variables: Vec<String> = index
        .scope(&dir.dir)
        .map(|s| s.variables.keys().cloned().collect())
        .unwrap_or_default();
    variables.sort();
    let values = vars::root_vars(repo, cache, &dir.dir, &variables, terragrunt.as_ref());
    let module = scope::Module::new(repo, &index, dir, values, ".".into(), &dir.dir);
    let walk = expand::Walk {
        repo,
        index: &index,
        dirs: by_dir,
    };
    let frame = expand::Frame {
        prefix: String::new(),
        call: None,
        unresolved: None,
        stack: std::slice::from_ref(&dir.dir),
    };
    expand::declare_module(&walk, &module, &frame, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::may_call_modules;

    #[test]
    fn module_blocks_are_never_missed() {
        for text in [
            "module \"db\" {\n  source = \"../m\"\n}\n",
            "locals {}\nmodule\t\"db\" {}\n",
            "module\"db\"{}",
            "  module db {}\r\n",
        ] {
            assert!(may_call_modules(text), "{text:?}");
        }
        for text in [
            "resource \"a\" \"b\" { source = \"../modules/x\" }\n",
            "locals { submodule = 1, module_name = 2 }\n",
            "",
        ] {
            assert!(!may_call_modules(text), "{text:?}");
        }
    }
}
