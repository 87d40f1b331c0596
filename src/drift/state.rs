//! `--state FILE`: remembers when each drift was first seen, so reports can say how old
//! it is. A small JSON map `{ "<class>/<kind>/<namespace>/<name>": <unix seconds> }`;
//! entries that no longer drift are dropped.

use super::DriftReport;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// First-seen times by drift key.
pub type FirstSeen = BTreeMap<String, u64>;

/// Reads the state (empty when the file does not exist yet).
pub fn load(path: &Path) -> Result<FirstSeen> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("state file {} is not valid", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FirstSeen::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read state file {}", path.display())),
    }
}

/// Merges this run into the state: keeps first-seen times of ongoing drift, adds new drift
/// at `now`, drops what no longer drifts.
pub fn update(previous: &FirstSeen, report: &DriftReport, now: u64) -> FirstSeen {
    report
        .items
        .iter()
        .map(|i| {
            let key = i.key();
            let first = previous.get(&key).copied().unwrap_or(now);
            (key, first)
        })
        .collect()
}

/// Writes the state atomically.
pub fn save(path: &Path, state: &FirstSeen) -> Result<()> {
    let text = serde_json::to_string_pretty(state)? + "\n";
    if !path.exists() {
        std::fs::write(path, &text)
            .with_context(|| format!("cannot write state file {}", path.display()))?;
        return Ok(());
    }
    crate::fix::write_atomic(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{DriftClass, DriftItem};

    fn item(name: &str) -> DriftItem {
        DriftItem {
            class: DriftClass::Changed,
            kind: "Deployment".into(),
            namespace: Some("blog".into()),
            name: name.into(),
            address: None,
            location: None,
            changes: Vec::new(),
            message: String::new(),
        }
    }

    #[test]
    fn keeps_first_seen_and_drops_resolved() {
        let report = DriftReport {
            items: vec![item("a"), item("b")],
            ..Default::default()
        };
        let first = update(&FirstSeen::new(), &report, 100);
        assert_eq!(first.values().copied().collect::<Vec<_>>(), vec![100, 100]);
        let report = DriftReport {
            items: vec![item("b"), item("c")],
            ..Default::default()
        };
        let second = update(&first, &report, 200);
        assert_eq!(second.get("changed/Deployment/blog/b"), Some(&100));
        assert_eq!(second.get("changed/Deployment/blog/c"), Some(&200));
        assert!(!second.contains_key("changed/Deployment/blog/a"));
    }
}
