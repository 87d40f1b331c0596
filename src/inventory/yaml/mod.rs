//! What a Flux / Kubernetes YAML repository declares: raw manifests of the kinds drift
//! knows, in the namespace a Flux Kustomization's `targetNamespace` gives them, with its
//! post-build variables substituted; Flux HelmReleases by release name.
//!
//! Left out: hidden directories (`.github/`, `.woodpecker/`), Helm charts (a directory
//! with a `Chart.yaml`: templates and values, not manifests), and YAML inside a Terraform
//! module directory that no Flux Kustomization applies (Helm values and manifests
//! Terraform reads itself, declared through Terraform if at all). SOPS-encrypted files are
//! noted, never read. Only documents with a top-level `kind:` are parsed, so CI
//! workflows, compose files and Helm values yield neither objects nor notes.

mod docs;
pub(crate) mod flux;
mod manifest;
pub(crate) mod subst;

use super::load::{dir_of, RepoFiles};
use super::{Declared, Note};
use docs::YamlFile;
use flux::{FluxKustomization, Layout};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// File names Kustomize reads as a `kustomization.yaml`.
const KUSTOMIZE_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml"];

/// The directories of the Helm charts among `files` (repo-relative paths): those holding a
/// `Chart.yaml` (or `Chart.yml`).
pub fn chart_dirs<'a>(files: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    files
        .filter(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            name == "Chart.yaml" || name == "Chart.yml"
        })
        .map(dir_of)
        .collect()
}

/// Whether a repo-relative path is a YAML file that can hold manifests: a `.yaml`/`.yml`
/// file, not hidden or under a hidden directory (`.github/`, `.sops.yaml`), and not inside
/// a Helm chart of `charts` (templates and chart values, not manifests). The inventory and
/// the YAML rules of `audit` read the same files.
pub fn is_manifest_file(path: &str, charts: &[&str]) -> bool {
    docs::is_candidate(path) && !charts.iter().any(|c| flux::within(dir_of(path), c))
}

/// Declares the objects and releases of the repository's YAML manifests; `tf_dirs` are the
/// directories holding `.tf` files.
pub fn declare(repo: &RepoFiles, tf_dirs: &BTreeMap<String, Vec<String>>) -> Declared {
    let charts = chart_dirs(repo.files.iter().map(String::as_str));
    let candidates: Vec<&String> = repo
        .files
        .iter()
        .filter(|f| is_manifest_file(f, &charts))
        .collect();
    let read: Vec<(&str, Result<YamlFile, Note>)> = candidates
        .par_iter()
        .map(|path| {
            let result = if docs::is_sops_name(path) {
                Err(docs::encrypted(path, "SOPS encrypted"))
            } else {
                docs::read(repo, path, is_kustomize_file(path))
            };
            (path.as_str(), result)
        })
        .collect();

    let mut out = Declared::default();
    let terraform_owned = |dir: &str| {
        tf_dirs
            .keys()
            .any(|t| !t.is_empty() && flux::within(dir, t))
    };
    let mut layout = Layout::default();
    for (path, file) in &read {
        let Ok(file) = file else { continue };
        let dir = dir_of(path);
        for doc in &file.docs {
            if flux::is_flux_kustomization(&doc.value) {
                match flux::kustomization(&doc.value) {
                    Ok(k) => layout.kustomizations.push(k),
                    Err(message) if !terraform_owned(dir) => {
                        out.notes.push(flux::note(path, doc.kind_line, message))
                    }
                    Err(_) => {}
                }
            } else if is_kustomize_file(path) {
                for c in flux::kustomize_components(&doc.value, dir) {
                    layout.kustomize_components.push((dir.to_string(), c));
                }
            }
        }
    }
    layout.finish();

    for (path, file) in read {
        let dir = dir_of(path);
        let applying: Vec<&FluxKustomization> = layout
            .applying(dir)
            .into_iter()
            .map(|i| &layout.kustomizations[i])
            .collect();
        if applying.is_empty() && terraform_owned(dir) {
            continue;
        }
        let file = match file {
            Ok(f) => f,
            Err(note) => {
                out.notes.push(note);
                continue;
            }
        };
        out.notes.extend(file.errors);
        for doc in &file.docs {
            manifest::declare(&file.file, doc, &applying, &mut out);
        }
    }
    out
}

fn is_kustomize_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    KUSTOMIZE_FILES.contains(&name)
}
