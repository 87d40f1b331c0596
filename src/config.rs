//! `.infra-audit.toml`: which packs run, severity and parameter overrides, excluded paths.

use crate::finding::Severity;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Name of the config file at the repository root.
pub const CONFIG_FILE: &str = ".infra-audit.toml";

/// The parsed configuration (all fields optional in the file).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Packs to run: a built-in pack name or a path to a YAML pack (relative to the root).
    #[serde(default)]
    pub packs: Option<Vec<String>>,
    /// Default `--fail-on`.
    #[serde(default)]
    pub fail_on: Option<Severity>,
    /// Globs of repo-relative paths never audited.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Base URL of the rule docs (`<base><id>.md`), used for SARIF `helpUri`.
    #[serde(default)]
    pub docs_url: Option<String>,
    /// Per-rule overrides.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleOverride>,
    /// Where the config was read from (not in the file).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// Overrides for one rule instance.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    /// Turn the rule off (or back on).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Replace its severity.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Parameters merged over the pack's (top-level keys replace).
    #[serde(default)]
    pub params: Option<toml::Table>,
}

impl Config {
    /// Reads `path`; errors name the file, line and key.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let mut config: Config = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_line() {
        let err = toml::from_str::<Config>("packs = []\nfial_on = \"error\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2"), "{text}");
        assert!(text.contains("fial_on"), "{text}");
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = toml::from_str::<Config>("[rules.kyverno-lifecycle]\nseverity = \"fatal\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("fatal"), "{err}");
    }
}
