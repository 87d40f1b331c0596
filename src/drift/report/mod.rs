//! Drift reporters: people (human), machines (JSON, SARIF), chat (Slack Block Kit) and
//! monitoring (Prometheus text exposition).

pub mod human;
pub mod json;
pub mod prometheus;
pub mod sarif;
pub mod slack;

use super::state::FirstSeen;

/// What a reporter may add to the comparison itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// First-seen times from `--state` (key -> unix seconds).
    pub first_seen: FirstSeen,
    /// Now, in unix seconds.
    pub now: u64,
    /// CI pipeline URL (`CI_PIPELINE_URL`), linked from Slack.
    pub pipeline_url: Option<String>,
    /// List unresolved objects one by one.
    pub verbose: bool,
}

impl Context {
    /// Seconds since the drift with `key` was first seen, when the state knows it.
    pub fn age(&self, key: &str) -> Option<u64> {
        self.first_seen
            .get(key)
            .map(|t| self.now.saturating_sub(*t))
    }
}

/// `3d 4h`, `2h 5m`, `40s`.
pub fn human_age(seconds: u64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// `namespace/name` or `name` for cluster-scoped objects.
pub fn object_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}
