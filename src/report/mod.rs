//! Reporters: the same findings for people (human), machines (JSON, SARIF).

pub mod human;
pub mod json;
pub mod sarif;

use clap::ValueEnum;

/// Output format of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with source excerpts.
    Human,
    /// Versioned JSON document (docs/json-output.md).
    Json,
    /// SARIF 2.1.0 for code-scanning UIs.
    Sarif,
}
