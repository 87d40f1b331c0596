//! `docs-cochange`: a change to a stack or module must touch the documentation that
//! mentions it. Change-scoped: it judges a change set (`--staged`, `--base`, `--commits`),
//! never a file on its own.

use super::{ChangeContext, Check, Emitter, FileContext, RuleMeta};
use crate::finding::{Finding, Location};
use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// Parameters of the `docs-cochange` kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Globs of infrastructure files (repository-relative).
    #[serde(default = "default_infra")]
    pub infra: Vec<String>,
    /// Globs of documentation files.
    #[serde(default = "default_docs")]
    pub docs: Vec<String>,
    /// Commit trailer that waives the rule for a change (`Docs-Not-Needed: <reason>`).
    #[serde(default = "default_trailer")]
    pub trailer: String,
}

fn default_infra() -> Vec<String> {
    [
        "stacks/**/*.{tf,hcl,tfvars}",
        "modules/**/*.{tf,hcl}",
        "terragrunt.hcl",
        "scripts/pve-nfs-exports",
    ]
    .map(String::from)
    .to_vec()
}

fn default_docs() -> Vec<String> {
    [
        "docs/**/*.md",
        "AGENTS.md",
        ".claude/CLAUDE.md",
        ".claude/reference/*.md",
        "CONTEXT.md",
        "stacks/*/README.md",
    ]
    .map(String::from)
    .to_vec()
}

fn default_trailer() -> String {
    "Docs-Not-Needed".into()
}

/// The check: infra and docs matchers and the waiver trailer.
pub struct DocsCochange {
    infra: GlobSet,
    docs: GlobSet,
    trailer: String,
}

fn globs(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(
            GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .with_context(|| format!("invalid glob `{p}`"))?,
        );
    }
    b.build().context("invalid globs")
}

impl DocsCochange {
    /// Builds the check from its parameters.
    pub fn new(p: Params) -> Result<DocsCochange> {
        Ok(DocsCochange {
            infra: globs(&p.infra).context("parameter `infra`")?,
            docs: globs(&p.docs).context("parameter `docs`")?,
            trailer: p.trailer,
        })
    }
}

/// A changed stack, module or standalone infrastructure file.
struct Unit {
    /// Its name as docs would write it (`immich`, `nfs_volume`, `pve-nfs-exports`).
    name: String,
    /// Directory (or file) path shown in the message.
    path: String,
    /// Changed infrastructure files of the unit, sorted.
    files: Vec<String>,
}

/// The unit a changed infrastructure file belongs to.
fn unit_of(path: &str) -> (String, String) {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["stacks", name, _, ..] => (name.to_string(), format!("stacks/{name}")),
        ["modules", .., dir, _] if parts.len() > 2 => {
            (dir.to_string(), parts[..parts.len() - 1].join("/"))
        }
        _ => {
            let file = parts.last().copied().unwrap_or(path);
            let name = file.split('.').next().unwrap_or(file);
            (name.to_string(), path.to_string())
        }
    }
}

/// `metadata { name = "..." }` literals of Terraform Kubernetes resources (the names
/// docs use for what a stack runs), found with a brace-depth scan.
pub fn metadata_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut depth: i32 = 0;
    let mut metadata_at: Option<i32> = None;
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or("").trim();
        if metadata_at == Some(depth - 1) {
            if let Some(rest) = code.strip_prefix("name") {
                let rest = rest.trim_start();
                if let Some(value) = rest.strip_prefix('=') {
                    let value = value.trim();
                    if let Some(lit) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                        if lit.len() >= 3 && !lit.contains("${") {
                            names.insert(lit.to_string());
                        }
                    }
                }
            }
        }
        if code.starts_with("metadata") && code.ends_with('{') {
            metadata_at = Some(depth);
        }
        depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
        if metadata_at.is_some_and(|m| depth <= m) {
            metadata_at = None;
        }
    }
    names
}

/// Whether `term` occurs in `text` as a word (not inside a longer identifier).
pub fn mentions(text: &str, term: &str) -> bool {
    if term.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = text[from..].find(term) {
        let start = from + i;
        let end = start + term.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return true;
        }
        from = start + term.chars().next().map_or(1, char::len_utf8);
    }
    false
}

impl Check for DocsCochange {
    fn check(&self, _ctx: &FileContext, _out: &mut Emitter) {}

    fn check_change(&self, ctx: &ChangeContext, meta: &RuleMeta) -> Vec<Finding> {
        if ctx.changes.trailer(&self.trailer).is_some() {
            return Vec::new();
        }
        let touched_docs: BTreeSet<&str> = ctx
            .changes
            .files
            .iter()
            .filter(|f| self.docs.is_match(&f.path))
            .map(|f| f.path.as_str())
            .collect();
        let mut units: BTreeMap<String, Unit> = BTreeMap::new();
        for f in &ctx.changes.files {
            if !self.infra.is_match(&f.path) || self.docs.is_match(&f.path) {
                continue;
            }
            let (name, path) = unit_of(&f.path);
            units
                .entry(path.clone())
                .or_insert_with(|| Unit {
                    name,
                    path,
                    files: Vec::new(),
                })
                .files
                .push(f.path.clone());
        }
        if units.is_empty() {
            return Vec::new();
        }
        let docs: Vec<(&String, String)> = ctx
            .files
            .iter()
            .filter(|p| self.docs.is_match(p.as_str()))
            .filter_map(|p| (ctx.read)(p).map(|t| (p, t)))
            .collect();
        let mut findings = Vec::new();
        for unit in units.values() {
            let mut terms: BTreeSet<String> = BTreeSet::from([unit.name.clone()]);
            if unit.path.starts_with("stacks/") || unit.path.starts_with("modules/") {
                let prefix = format!("{}/", unit.path);
                for p in ctx
                    .files
                    .iter()
                    .filter(|p| p.starts_with(&prefix) && p.ends_with(".tf"))
                {
                    if let Some(text) = (ctx.read)(p) {
                        terms.extend(metadata_names(&text));
                    }
                }
            }
            let mentioning: Vec<&str> = docs
                .iter()
                .filter(|(_, text)| terms.iter().any(|t| mentions(text, t)))
                .map(|(p, _)| p.as_str())
                .collect();
            if mentioning.is_empty() || mentioning.iter().any(|d| touched_docs.contains(d)) {
                continue;
            }
            let first = &unit.files[0];
            findings.push(Finding {
                help: meta.help.clone(),
                commit: ctx.changes.commits.last().map(|c| c.id.clone()),
                ..Finding::new(
                    meta.id.clone(),
                    meta.severity,
                    format!(
                        "{} changed; these docs mention {}: {}",
                        unit.path,
                        unit.name,
                        mentioning.join(", ")
                    ),
                    Location {
                        path: first.clone(),
                        span: 0..0,
                        line: 1,
                        column: 1,
                        end_line: 1,
                        end_column: 1,
                    },
                )
            });
        }
        findings
    }

    fn is_change_scoped(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_names_and_mentions() {
        assert_eq!(
            unit_of("stacks/immich/main.tf"),
            ("immich".into(), "stacks/immich".into())
        );
        assert_eq!(
            unit_of("modules/kubernetes/nfs_volume/main.tf"),
            ("nfs_volume".into(), "modules/kubernetes/nfs_volume".into())
        );
        assert_eq!(
            unit_of("scripts/pve-nfs-exports"),
            ("pve-nfs-exports".into(), "scripts/pve-nfs-exports".into())
        );
        assert!(mentions("see immich-server", "immich"));
        assert!(!mentions("immich_ml only", "immich"));
        assert!(mentions("(immich)", "immich"));
        assert!(!mentions("ünïcode", ""));
        assert!(mentions("ü immich", "immich"));
        let names = metadata_names(
            "resource \"x\" \"y\" {\n  metadata {\n    name = \"immich-server\"\n  }\n  spec {\n    name = \"http\"\n  }\n}\n",
        );
        assert_eq!(names, BTreeSet::from(["immich-server".to_string()]));
    }
}
