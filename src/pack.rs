//! Rule packs: YAML files listing rule instances (id, kind, severity, parameters).
//! Built-in packs are compiled in from `rules/`; users may add pack files of their own.

use crate::config::Config;
use crate::finding::Severity;
use crate::rules::{self, Rule, RuleMeta};
use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// Packs shipped inside the binary: `(name, YAML text)`.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    (
        "terragrunt-homelab",
        include_str!("../rules/terragrunt-homelab.yaml"),
    ),
    ("flux-gitops", include_str!("../rules/flux-gitops.yaml")),
];

/// A pack file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    /// Pack name.
    pub name: String,
    /// What the pack is for.
    #[serde(default)]
    pub description: String,
    /// Rule instances.
    pub rules: Vec<Instance>,
    /// Fields admission policies inject into live objects (for drift).
    #[serde(default)]
    pub mutations: Vec<crate::drift::Mutation>,
}

/// One rule instance in a pack.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// Stable id.
    pub id: String,
    /// Rule kind implementing it.
    pub kind: String,
    /// Default severity.
    pub severity: Severity,
    /// One-line summary.
    pub summary: String,
    /// How to fix.
    #[serde(default)]
    pub help: Option<String>,
    /// Whether findings are fixable by `--fix`.
    #[serde(default)]
    pub fixable: bool,
    /// Kind parameters.
    #[serde(default)]
    pub params: serde_json::Value,
}

/// Parses pack YAML; `origin` names the file in errors.
pub fn parse(origin: &str, text: &str) -> Result<Pack> {
    serde_saphyr::from_str::<Pack>(text).map_err(|e| anyhow!("rule pack {origin}: {e}"))
}

/// The rules a configuration enables, and the ids of every rule its packs define (enabled
/// or not: an ignore comment naming a disabled rule is not malformed).
pub struct LoadedRules {
    /// Enabled rules, built.
    pub rules: Vec<Rule>,
    /// Every rule id the selected packs define.
    pub all_ids: BTreeSet<String>,
    /// Admission-policy mutations the selected packs list.
    pub mutations: Vec<crate::drift::Mutation>,
}

/// Loads the packs named by the config (or, without one, those matching the repository
/// kind: [`crate::detect`]) and builds every enabled rule,
/// applying the config's overrides.
pub fn load_rules(root: &Path, config: &Config) -> Result<LoadedRules> {
    let names: Vec<String> = config
        .packs
        .clone()
        .unwrap_or_else(|| crate::detect::detect(root).packs());
    let mut rules = Vec::new();
    let mut mutations = Vec::new();
    let mut seen = BTreeSet::new();
    let mut kinds_by_id: std::collections::BTreeMap<String, String> = Default::default();
    for name in &names {
        let (origin, text) =
            match BUILTIN_PACKS.iter().find(|(n, _)| n == name) {
                Some((n, text)) => (format!("{n} (built in)"), text.to_string()),
                None => {
                    let path = root.join(name);
                    let text =
                        std::fs::read_to_string(&path).with_context(|| {
                            format!(
                        "pack `{name}` is neither a built-in pack ({}) nor a readable file {}",
                        BUILTIN_PACKS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
                        path.display()
                    )
                        })?;
                    (path.display().to_string(), text)
                }
            };
        let pack = parse(&origin, &text)?;
        mutations.extend(pack.mutations);
        let mut in_this_pack = BTreeSet::new();
        for inst in pack.rules {
            if !in_this_pack.insert(inst.id.clone()) {
                bail!("rule pack {origin}: rule id `{}` is defined twice", inst.id);
            }
            if let Some(first) = kinds_by_id.get(&inst.id) {
                // The same id in two packs means the same intent (`image-tag-pinned` in the
                // Terragrunt and the Flux pack): the first pack listed wins.
                if *first != inst.kind {
                    bail!(
                        "rule pack {origin}: rule `{}` has kind `{}` here but `{first}` in an earlier pack",
                        inst.id,
                        inst.kind
                    );
                }
                continue;
            }
            kinds_by_id.insert(inst.id.clone(), inst.kind.clone());
            seen.insert(inst.id.clone());
            let over = config.rules.get(&inst.id);
            if over.and_then(|o| o.enabled) == Some(false) {
                continue;
            }
            let kind = rules::kind(&inst.kind).ok_or_else(|| {
                anyhow!(
                    "rule pack {origin}: rule `{}` uses unknown kind `{}` (known kinds: {})",
                    inst.id,
                    inst.kind,
                    rules::KINDS
                        .iter()
                        .map(|k| k.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let mut params = inst.params;
            if let Some(extra) = over.and_then(|o| o.params.as_ref()) {
                let extra = serde_json::to_value(extra)?;
                match (&mut params, extra) {
                    (serde_json::Value::Object(base), serde_json::Value::Object(extra)) => {
                        base.extend(extra)
                    }
                    (p @ serde_json::Value::Null, extra) => *p = extra,
                    _ => bail!("rule `{}`: params must be a table", inst.id),
                }
            }
            let check = (kind.build)(params).with_context(|| {
                format!(
                    "rule pack {origin}: rule `{}` (kind `{}`)",
                    inst.id, inst.kind
                )
            })?;
            rules.push(Rule {
                meta: RuleMeta {
                    severity: over.and_then(|o| o.severity).unwrap_or(inst.severity),
                    id: inst.id,
                    kind: inst.kind,
                    summary: inst.summary,
                    help: inst.help,
                    fixable: inst.fixable,
                },
                check,
            });
        }
    }
    let known: BTreeSet<&str> = seen
        .iter()
        .map(String::as_str)
        .chain(rules::BUILTIN_RULES.iter().map(|(id, _, _)| *id))
        .collect();
    for id in config.rules.keys() {
        if !known.contains(id.as_str()) {
            let origin = config
                .source
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "config".into());
            bail!("{origin}: [rules.{id}] names a rule that no selected pack defines");
        }
    }
    Ok(LoadedRules {
        rules,
        all_ids: seen,
        mutations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_packs_load() {
        let loaded = load_rules(Path::new("."), &Config::default()).unwrap();
        assert!(loaded
            .rules
            .iter()
            .any(|r| r.meta.id == "kyverno-lifecycle"));
    }

    #[test]
    fn unknown_kind_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("p.yaml"),
            "name: p\nrules:\n  - id: x\n    kind: nope\n    severity: error\n    summary: s\n",
        )
        .unwrap();
        let config = Config {
            packs: Some(vec!["p.yaml".into()]),
            ..Config::default()
        };
        let err = format!("{:#}", load_rules(dir.path(), &config).err().unwrap());
        assert!(err.contains("unknown kind `nope`"), "{err}");
    }

    #[test]
    fn bad_params_name_the_rule() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("p.yaml"),
            "name: p\nrules:\n  - id: x\n    kind: forbidden-value\n    severity: error\n    summary: s\n    params:\n      valeus: [a]\n",
        )
        .unwrap();
        let config = Config {
            packs: Some(vec!["p.yaml".into()]),
            ..Config::default()
        };
        let err = format!("{:#}", load_rules(dir.path(), &config).err().unwrap());
        assert!(err.contains("rule `x`") && err.contains("valeus"), "{err}");
    }
}
