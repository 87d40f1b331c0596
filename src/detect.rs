//! Which kind of repository this is (Terragrunt stacks, a Flux tree, or both), so that the
//! matching packs run when no configuration names them, and `infra-audit init` can write a
//! configuration for what it finds.

use std::path::Path;

/// What a repository holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RepoKind {
    /// Terraform / Terragrunt: `*.tf` files or a `terragrunt.hcl`.
    pub terragrunt: bool,
    /// Flux: a Flux `Kustomization` (`ks.yaml`, or a YAML file naming
    /// `kustomize.toolkit.fluxcd.io`).
    pub flux: bool,
}

/// How deep the detection looks (`kubernetes/apps/<ns>/<app>/ks.yaml` is at depth 5).
const MAX_DEPTH: usize = 6;
/// How many YAML files it opens at most to look for a Flux Kustomization.
const MAX_YAML_READS: usize = 200;

/// Looks at the repository's files (ignoring what `.gitignore` ignores) until both kinds
/// are found or the tree is exhausted.
pub fn detect(root: &Path) -> RepoKind {
    let mut kind = RepoKind::default();
    let mut reads = 0;
    let walk = ignore::WalkBuilder::new(root)
        .hidden(true)
        .max_depth(Some(MAX_DEPTH))
        .require_git(false)
        .build();
    for entry in walk.flatten() {
        if kind.terragrunt && kind.flux {
            break;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if name.ends_with(".tf") || name == "terragrunt.hcl" {
            kind.terragrunt = true;
        } else if name == "ks.yaml" || name == "ks.yml" {
            kind.flux = true;
        } else if !kind.flux
            && (name.ends_with(".yaml") || name.ends_with(".yml"))
            && !name.ends_with(".sops.yaml")
            && reads < MAX_YAML_READS
        {
            reads += 1;
            if std::fs::read(entry.path()).is_ok_and(|b| {
                let head = &b[..b.len().min(8192)];
                String::from_utf8_lossy(head).contains("kustomize.toolkit.fluxcd.io/")
            }) {
                kind.flux = true;
            }
        }
    }
    kind
}

impl RepoKind {
    /// The built-in packs for this kind of repository; the Terragrunt pack when nothing
    /// was recognised (the tool's original audience). The Flux pack comes first in a mixed
    /// repository: rules both packs define (`image-tag-pinned`) take its parameters, which
    /// cover YAML as well as HCL.
    pub fn packs(self) -> Vec<String> {
        let mut packs = Vec::new();
        if self.flux {
            packs.push("flux-gitops".to_string());
        }
        if self.terragrunt || !self.flux {
            packs.push("terragrunt-homelab".to_string());
        }
        packs
    }
}
