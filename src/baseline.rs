//! The baseline: findings accepted when adopting infra-audit on a legacy repository.
//!
//! `.infra-audit-baseline.json` at the repository root lists findings by fingerprint (see
//! [`crate::fingerprint`]). An audit hides the findings it lists and counts them; entries
//! that match no finding any more are stale (`baseline check`) and can be dropped
//! (`baseline prune`). The file is sorted by rule, path and fingerprint and pretty-printed
//! one field per line, so adding or removing a finding is a small, readable diff.

use crate::audit::AuditReport;
use crate::finding::Finding;
use crate::workspace;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Name of the baseline file at the repository root.
pub const BASELINE_FILE: &str = ".infra-audit-baseline.json";

/// Version of the baseline file format this build reads and writes.
pub const VERSION: u32 = 1;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// Rule id.
    pub rule: String,
    /// Repo-relative path of the finding's file.
    pub path: String,
    /// Address of the enclosing resource, when there is one (for people; matching uses
    /// the fingerprint, which includes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The finding's fingerprint (16 hexadecimal digits).
    pub fingerprint: String,
    /// The finding's message when it was baselined (for people; not used for matching).
    #[serde(default)]
    pub message: String,
}

impl Entry {
    /// The entry that accepts `finding` (whose fingerprint must be assigned).
    pub fn from_finding(finding: &Finding) -> Entry {
        Entry {
            rule: finding.rule.clone(),
            path: finding.location.path.clone(),
            resource: finding.resource.clone(),
            fingerprint: finding.fingerprint.clone(),
            message: finding.message.clone(),
        }
    }

    /// What matching compares: rule, path, fingerprint.
    fn key(&self) -> (&str, &str, &str) {
        (&self.rule, &self.path, &self.fingerprint)
    }

    /// One line for listings: `rule path (resource) [fingerprint]: message`.
    pub fn describe(&self) -> String {
        let resource = self
            .resource
            .as_ref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        format!(
            "{} {}{resource} [{}]: {}",
            self.rule, self.path, self.fingerprint, self.message
        )
    }
}

fn finding_key(finding: &Finding) -> (&str, &str, &str) {
    (&finding.rule, &finding.location.path, &finding.fingerprint)
}

/// The contents of a baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// File format version, [`VERSION`].
    pub version: u32,
    /// Accepted findings, sorted by rule, path, fingerprint, without duplicates.
    pub entries: Vec<Entry>,
}

/// What applying a baseline to an audit did (reported in the summary line and in JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The baseline file, repo-relative when it is inside the repository.
    pub file: String,
    /// Findings hidden because the baseline lists them.
    pub baselined: usize,
}

impl Baseline {
    /// A baseline accepting every one of `findings` (fingerprints assigned).
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        Baseline::from_entries(findings.iter().map(Entry::from_finding).collect())
    }

    /// A baseline of `entries`, sorted and deduplicated.
    pub fn from_entries(mut entries: Vec<Entry>) -> Baseline {
        entries.sort_by(|a, b| a.key().cmp(&b.key()).then_with(|| a.cmp(b)));
        entries.dedup_by(|a, b| a.key() == b.key());
        Baseline {
            version: VERSION,
            entries,
        }
    }

    /// Parses a baseline file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Baseline> {
        let value: serde_json::Value =
            serde_json::from_str(text).with_context(|| format!("{origin} is not valid JSON"))?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => bail!(
                "{origin} has baseline format version {v}; this infra-audit reads version {VERSION}"
            ),
            None => bail!("{origin} is not an infra-audit baseline: no integer `version` field"),
        }
        // Parsed again from the text, so errors name a line and column.
        let parsed: Baseline = serde_json::from_str(text)
            .with_context(|| format!("{origin} is not a valid infra-audit baseline"))?;
        Ok(Baseline::from_entries(parsed.entries))
    }

    /// Reads and parses the baseline file at `path`.
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read baseline file {}", path.display()))?;
        Baseline::parse(&text, &format!("baseline file {}", path.display()))
    }

    /// The file's text: pretty JSON, entries sorted, with a final newline.
    pub fn render(&self) -> String {
        let sorted = Baseline::from_entries(self.entries.clone());
        let mut text = serde_json::to_string_pretty(&sorted).expect("a baseline serializes");
        text.push('\n');
        text
    }

    /// Writes the file at `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.render())
            .with_context(|| format!("cannot write baseline file {}", path.display()))
    }

    /// Whether the baseline accepts `finding` (one look-up; [`Baseline::apply`] and
    /// [`Baseline::not_accepted`] index the entries once instead).
    pub fn contains(&self, finding: &Finding) -> bool {
        let key = finding_key(finding);
        self.entries.iter().any(|e| e.key() == key)
    }

    /// The findings of `findings` the baseline does not accept.
    pub fn not_accepted<'f>(&self, findings: &'f [Finding]) -> Vec<&'f Finding> {
        let keys = self.keys();
        findings
            .iter()
            .filter(|f| !keys.contains(&finding_key(f)))
            .collect()
    }

    fn keys(&self) -> BTreeSet<(&str, &str, &str)> {
        self.entries.iter().map(Entry::key).collect()
    }

    /// Removes the findings the baseline accepts from `report` and records how many in
    /// `report.baseline`; `file` is how the summary names the baseline file. The report's
    /// fingerprints must have been assigned over the complete audit (as `audit::run` does).
    pub fn apply(&self, report: &mut AuditReport, file: String) {
        let before = report.findings.len();
        let keys = self.keys();
        report.findings.retain(|f| !keys.contains(&finding_key(f)));
        report.baseline = Some(Applied {
            file,
            baselined: before - report.findings.len(),
        });
    }

    /// Entries that match no finding of `report`, which must be a complete audit of the
    /// repository. Entries for files that could not be audited (skipped, or not parsed) are
    /// never stale: their findings were not measured, not fixed.
    pub fn stale(&self, report: &AuditReport) -> Vec<&Entry> {
        let unmeasured = unmeasured_paths(report);
        self.unmatched(report)
            .into_iter()
            .filter(|e| {
                !unmeasured
                    .iter()
                    .any(|p| e.path == *p || e.path.starts_with(&format!("{p}/")))
            })
            .collect()
    }

    /// Entries that match no finding of `report`: the stale ones, and those of files that
    /// could not be audited.
    pub fn unmatched(&self, report: &AuditReport) -> Vec<&Entry> {
        let found: BTreeSet<(&str, &str, &str)> = report.findings.iter().map(finding_key).collect();
        self.entries
            .iter()
            .filter(|e| !found.contains(&e.key()))
            .collect()
    }

    /// Drops the stale entries (see [`Baseline::stale`]) and returns them.
    pub fn prune(&mut self, report: &AuditReport) -> Vec<Entry> {
        let stale: BTreeSet<Entry> = self.stale(report).into_iter().cloned().collect();
        self.entries.retain(|e| !stale.contains(e));
        stale.into_iter().collect()
    }

    /// Number of entries per rule, for summaries.
    pub fn counts_by_rule(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for e in &self.entries {
            *counts.entry(e.rule.as_str()).or_default() += 1;
        }
        counts
    }
}

/// Paths whose findings were not measured in `report`: skipped files and directories, and
/// files with a `parse-error` finding.
fn unmeasured_paths(report: &AuditReport) -> Vec<&str> {
    report
        .skipped
        .iter()
        .map(|s| s.path.as_str())
        .chain(
            report
                .findings
                .iter()
                .filter(|f| f.rule == "parse-error")
                .map(|f| f.location.path.as_str()),
        )
        .collect()
}

/// The default baseline file of the repository at `root`.
pub fn default_path(root: &Path) -> PathBuf {
    root.join(BASELINE_FILE)
}

/// How reports name `file` (which need not exist yet): repo-relative when it is inside
/// `root` (canonical), else as given.
pub fn display_path(root: &Path, file: &Path) -> String {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (parent.canonicalize(), file.file_name()) {
        (Ok(dir), Some(name)) if dir.starts_with(root) => {
            workspace::relative(root, &dir.join(name))
        }
        _ => file.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rule: &str, path: &str, fingerprint: &str) -> Entry {
        Entry {
            rule: rule.into(),
            path: path.into(),
            resource: None,
            fingerprint: fingerprint.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn entries_are_sorted_and_deduplicated() {
        let b = Baseline::from_entries(vec![
            entry("b", "x.tf", "02"),
            entry("a", "y.tf", "01"),
            entry("a", "x.tf", "03"),
            entry("a", "x.tf", "01"),
            entry("a", "x.tf", "01"),
        ]);
        let keys: Vec<(&str, &str, &str)> = b.entries.iter().map(Entry::key).collect();
        assert_eq!(
            keys,
            vec![
                ("a", "x.tf", "01"),
                ("a", "x.tf", "03"),
                ("a", "y.tf", "01"),
                ("b", "x.tf", "02"),
            ]
        );
    }

    #[test]
    fn renders_one_field_per_line_and_parses_back() {
        let mut e = entry("r", "x.tf", "00000000000000ab");
        e.resource = Some("t.n".into());
        let b = Baseline::from_entries(vec![e, entry("r", "y.tf", "00000000000000cd")]);
        let text = b.render();
        assert_eq!(
            text,
            r#"{
  "version": 1,
  "entries": [
    {
      "rule": "r",
      "path": "x.tf",
      "resource": "t.n",
      "fingerprint": "00000000000000ab",
      "message": "m"
    },
    {
      "rule": "r",
      "path": "y.tf",
      "fingerprint": "00000000000000cd",
      "message": "m"
    }
  ]
}
"#
        );
        assert_eq!(Baseline::parse(&text, "test").unwrap(), b);
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        let err = |text: &str| format!("{:#}", Baseline::parse(text, "f").unwrap_err());
        assert_eq!(
            err("{\"version\": 2, \"entries\": []}"),
            "f has baseline format version 2; this infra-audit reads version 1"
        );
        assert_eq!(
            err("[]"),
            "f is not an infra-audit baseline: no integer `version` field"
        );
        assert_eq!(
            err("{"),
            "f is not valid JSON: EOF while parsing an object at line 1 column 1"
        );
        assert_eq!(
            err("{\"version\": 1, \"entries\": [{\"rule\": 1}]}"),
            "f is not a valid infra-audit baseline: invalid type: integer `1`, expected a string at line 1 column 37"
        );
        assert_eq!(
            err("{\"version\": 1}"),
            "f is not a valid infra-audit baseline: missing field `entries` at line 1 column 14"
        );
    }
}
