//! Findings: what a rule reports, with enough location data for every reporter.

use crate::source::SourceFile;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// How serious a finding is; `--fail-on` compares against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a run by default.
    Info,
    /// Should be fixed.
    Warning,
    /// Breaks a house rule.
    Error,
}

impl Severity {
    /// Lower-case name as used in reports and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning or info)"
            )),
        }
    }
}

/// A place in a file: byte range plus its 1-based line/column start and end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Repo-relative, `/`-separated path.
    pub path: String,
    /// Byte range in the file.
    #[serde(skip)]
    pub span: Range<usize>,
    /// 1-based start line.
    pub line: usize,
    /// 1-based start column (characters).
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// 1-based end column (exclusive, characters).
    pub end_column: usize,
}

impl Location {
    /// Resolves a byte span of `file` into a location.
    pub fn new(file: &SourceFile, span: Range<usize>) -> Location {
        let start = file.position(span.start);
        let end = file.position(span.end.max(span.start));
        Location {
            path: file.path.clone(),
            span,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        }
    }
}

/// A secondary location with its own label ("the lifecycle block is here").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// Where.
    #[serde(flatten)]
    pub location: Location,
    /// What this place has to do with the finding.
    pub message: String,
}

/// Whether the rule proved a violation or could not decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Certainty {
    /// The rule is broken.
    Violation,
    /// The rule could not be verified (an unresolvable value): never reported as clean,
    /// never counted as a violation; the run exits 3 if nothing worse is found.
    Unverified,
}

/// Whether applying a fix keeps behaviour (safe) or may change it (unsafe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Applied by `--fix`.
    Safe,
    /// Applied only with `--fix --unsafe-fixes`.
    Unsafe,
}

/// Replace `span` of the file at `path` with `replacement` (an insertion when the span is
/// empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// Repo-relative path of the file to edit.
    pub path: String,
    /// Byte range replaced.
    #[serde(skip)]
    pub span: Range<usize>,
    /// New text.
    pub replacement: String,
}

/// A repair for a finding: edits applied together or not at all.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    /// What the fix does, in one sentence.
    pub description: String,
    /// Safe or unsafe.
    pub applicability: Applicability,
    /// The edits, non-overlapping.
    pub edits: Vec<Edit>,
    /// Something the fix declares (`<module dir>:var.<name>`): `--fix` applies one fix per
    /// declaration per round, so two files of a module never both add the same variable.
    #[serde(skip)]
    pub declares: Option<String>,
}

/// One result of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Rule id, e.g. `kyverno-lifecycle`.
    pub rule: String,
    /// Severity after config overrides.
    pub severity: Severity,
    /// Violation or could-not-verify.
    pub certainty: Certainty,
    /// One-sentence description of what is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Primary location.
    #[serde(flatten)]
    pub location: Location,
    /// Terraform address `TYPE.NAME` of the enclosing resource (or `module.NAME`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// 1-based line of the enclosing resource/module header, for suppression matching.
    #[serde(skip)]
    pub resource_line: Option<usize>,
    /// 1-based last line of the enclosing resource/module block (closing brace), for
    /// changed-only filtering (`audit --staged`/`--base`).
    #[serde(skip)]
    pub resource_end_line: Option<usize>,
    /// Secondary locations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// Whether `--fix` can repair it (a safe fix is attached).
    pub fixable: bool,
    /// The repair, when the rule knows one.
    #[serde(skip)]
    pub fix: Option<Fix>,
    /// Identity across runs (16 hex digits), assigned by the audit once every finding is
    /// known (see [`crate::fingerprint`]); empty until then. Reporters add it explicitly.
    #[serde(skip)]
    pub fingerprint: String,
    /// The commit a change-scoped finding is about (`docs-cochange` with `--base` or
    /// `--commits`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Finding {
    /// A proven violation of `rule` at `location` with nothing else attached; rules add
    /// help, resource, related locations and fixes with struct-update syntax
    /// (`Finding { help, ..Finding::new(..) }`). The fingerprint is assigned later, once
    /// all findings of the run are known.
    pub fn new(rule: String, severity: Severity, message: String, location: Location) -> Finding {
        Finding {
            rule,
            severity,
            certainty: Certainty::Violation,
            message,
            help: None,
            location,
            resource: None,
            resource_line: None,
            resource_end_line: None,
            related: Vec::new(),
            fixable: false,
            fix: None,
            fingerprint: String::new(),
            commit: None,
        }
    }

    /// Sort key for deterministic output: path, line, column, rule, message.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (
            &self.location.path,
            self.location.line,
            self.location.column,
            &self.rule,
            &self.message,
        )
    }

    /// Whether this finding fails the run at `threshold`.
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.certainty == Certainty::Violation && self.severity >= threshold
    }
}

/// 1-based (line, column in characters) of byte `offset` in `text`.
pub fn position_in(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text.as_bytes()[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map(|i| i + 1).unwrap_or(0);
    (line, text[line_start..offset].chars().count() + 1)
}

/// A stable 64-bit FNV-1a hash, hex-encoded: fingerprints must not change between runs or
/// builds (std's hasher is randomly seeded).
pub fn stable_hash(parts: &[&str]) -> String {
    let mut hash = StableHasher::default();
    for part in parts {
        hash.write(part.as_bytes());
        hash.end_part();
    }
    hash.finish()
}

/// The FNV-1a hash behind [`stable_hash`], fed piece by piece: a part can be hashed from
/// several slices without first being joined into one string.
pub struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl StableHasher {
    /// Adds bytes to the current part.
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Ends the current part (parts are separated by a byte no UTF-8 text holds).
    pub fn end_part(&mut self) {
        self.write(&[0xff]);
    }

    /// The hash as 16 hex digits.
    pub fn finish(&self) -> String {
        format!("{:016x}", self.0)
    }
}
