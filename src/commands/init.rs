//! `infra-audit init`: writes a commented `.infra-audit.toml` for the repository it finds
//! (Terragrunt stacks, a Flux tree, or both), so a new user starts from a configuration that
//! names the right packs and shows the knobs they are likely to turn.

use crate::cli::InitArgs;
use crate::config::{Config, CONFIG_FILE};
use crate::detect::{detect, RepoKind};
use crate::workspace;
use anyhow::{bail, Context, Result};

/// Runs `init`; returns the exit code.
pub fn run(args: &InitArgs) -> Result<i32> {
    let root = workspace::find_root(&args.path)?;
    let path = root.join(CONFIG_FILE);
    if path.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to replace it",
            path.display()
        );
    }
    let kind = detect(&root);
    let text = config_text(kind);
    // Never write a configuration the tool itself would reject.
    toml::from_str::<Config>(&text).context("internal error: init wrote an invalid config")?;
    crate::fix::write_atomic_new(&path, &text)?;
    println!(
        "Wrote {} ({}; packs: {})",
        path.display(),
        describe(kind),
        kind.packs().join(", ")
    );
    Ok(0)
}

fn describe(kind: RepoKind) -> &'static str {
    match (kind.terragrunt, kind.flux) {
        (true, true) => "found Terragrunt stacks and a Flux tree",
        (false, true) => "found a Flux tree",
        (true, false) => "found Terragrunt stacks",
        (false, false) => {
            "found neither Terragrunt stacks nor a Flux tree; using the Terragrunt pack"
        }
    }
}

/// The commented configuration for a repository of this kind.
pub fn config_text(kind: RepoKind) -> String {
    let packs = kind
        .packs()
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut t = format!(
        "# infra-audit configuration ({}).\n\
         # Reference: the Configuration section of infra-audit's README; `infra-audit rules` lists\n\
         # the rules of these packs, `infra-audit rules explain ID` shows one.\n\
         \n\
         # Built-in packs (terragrunt-homelab, flux-gitops) or paths to pack files of your own.\n\
         packs = [{packs}]\n\
         \n\
         # Exit 1 only for findings at or above this severity (error, warning, info).\n\
         # fail_on = \"warning\"\n\
         \n\
         # Repository-relative globs never audited.\n\
         # exclude = [\"vendor/**\", \"**/*.generated.tf\"]\n\
         \n\
         # Per-rule overrides: turn a rule off, change its severity, or replace parameters.\n\
         # [rules.{example}]\n\
         # severity = \"error\"\n",
        describe(kind),
        example = if kind.flux {
            "yaml-indentation"
        } else {
            "pvc-storage-class-explicit"
        }
    );
    if kind.flux {
        t.push_str(
            "\n# Your public domain(s), to catch them written literally anywhere in a manifest.\n\
             # [rules.no-literal-domain.params]\n\
             # domains = [\"example.com\"]\n",
        );
    }
    if kind.terragrunt || !kind.flux {
        t.push_str(
            "\n# Services whose data is sensitive (their claims must be on proxmox-lvm-encrypted).\n\
             # [rules.sensitive-storage-class.params]\n\
             # sensitive_services = [\"vaultwarden\", \"dbaas\", \"monitoring/alertmanager\"]\n",
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_gives_a_valid_config_naming_its_packs() {
        for (terragrunt, flux) in [(true, true), (true, false), (false, true), (false, false)] {
            let kind = RepoKind { terragrunt, flux };
            let config: Config = toml::from_str(&config_text(kind)).unwrap();
            assert_eq!(config.packs, Some(kind.packs()));
        }
    }
}
