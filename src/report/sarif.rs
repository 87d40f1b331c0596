//! SARIF 2.1.0 through serde-sarif: every rule with descriptions, default level and help
//! URI; repo-relative URIs under `%SRCROOT%`; regions; partial fingerprints that survive
//! lines moving.

use crate::audit::AuditReport;
use crate::finding::{
    position_in, Applicability, Certainty, Finding, Fix, Location as FindingLocation, Severity,
};
use crate::rules::RuleMeta;
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix as SarifFix, Invocation, Location,
    LogicalLocation, Message, MultiformatMessageString, PhysicalLocation, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultKind, ResultLevel,
    Run, Sarif, Tool, ToolComponent,
};
use std::collections::BTreeMap;

/// Where the project lives (tool `informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/infra-audit/infra-audit";
/// Default base of the rule docs; override with `docs_url` in `.infra-audit.toml`.
pub const DEFAULT_DOCS_URL: &str =
    "https://github.com/infra-audit/infra-audit/blob/main/docs/rules/";
const BASE_ID: &str = "SRCROOT";

/// Renders the report as a SARIF 2.1.0 log.
pub fn render(report: &AuditReport, fail_on: Severity) -> String {
    let docs = report
        .config
        .docs_url
        .clone()
        .unwrap_or_else(|| DEFAULT_DOCS_URL.to_string());
    let rules: Vec<ReportingDescriptor> =
        report.rules.iter().map(|m| descriptor(m, &docs)).collect();
    let index: BTreeMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let mut results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| result(f, index.get(f.rule.as_str()).copied(), report))
        .collect();
    for f in report.live.iter().flat_map(|l| &l.findings) {
        let object = match &f.namespace {
            Some(ns) => format!("{}/{ns}/{}", f.kind, f.name),
            None => format!("{}/{}", f.kind, f.name),
        };
        let mut r = SarifResult::builder()
            .message(Message {
                text: Some(sentence(&format!("Live {object}: {}", f.message))),
                ..Default::default()
            })
            .build();
        r.rule_id = Some(f.rule.clone());
        r.rule_index = index.get(f.rule.as_str()).map(|i| *i as i64);
        r.kind = Some(ResultKind::Fail);
        r.level = Some(level(f.severity));
        r.locations = Some(vec![Location {
            logical_locations: Some(vec![LogicalLocation {
                fully_qualified_name: Some(object.clone()),
                kind: Some("object".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }]);
        r.partial_fingerprints = Some(BTreeMap::from([(
            "infraAuditLive/v1".to_string(),
            crate::finding::stable_hash(&[&f.rule, &object, &f.message]),
        )]));
        results.push(r);
    }
    let mut driver = ToolComponent::builder().name("infra-audit").build();
    driver.version = Some(env!("CARGO_PKG_VERSION").into());
    driver.semantic_version = Some(env!("CARGO_PKG_VERSION").into());
    driver.information_uri = Some(INFORMATION_URI.into());
    driver.rules = Some(rules);
    let exit_code = report.exit_code(fail_on);
    let mut invocation = Invocation::builder()
        .execution_successful(exit_code != 2)
        .build();
    invocation.exit_code = Some(exit_code.into());
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .build();
    run.results = Some(results);
    run.column_kind = Some(json!("unicodeCodePoints"));
    run.original_uri_base_ids = Some(base_ids(&report.root));
    run.invocations = Some(vec![invocation]);
    let mut log = Sarif::builder()
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    log.schema = Some("https://json.schemastore.org/sarif-2.1.0.json".into());
    let mut out = serde_json::to_string_pretty(&log).expect("sarif renders");
    out.push('\n');
    out
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn descriptor(meta: &RuleMeta, docs: &str) -> ReportingDescriptor {
    let mut full = meta.summary.clone();
    if let Some(help) = &meta.help {
        full.push_str(". Fix: ");
        full.push_str(help);
    }
    if !full.ends_with('.') {
        full.push('.');
    }
    let text = |t: String| MultiformatMessageString::builder().text(t).build();
    let mut d = ReportingDescriptor::builder().id(meta.id.clone()).build();
    d.name = Some(pascal_case(&meta.id));
    d.short_description = Some(text(sentence(&meta.summary)));
    d.full_description = Some(text(full));
    d.help = meta.help.as_ref().map(|h| text(sentence(h)));
    d.help_uri = Some(format!("{docs}{}.md", meta.id));
    d.default_configuration = Some(ReportingConfiguration {
        level: Some(json!(level(meta.severity).to_string())),
        ..Default::default()
    });
    d
}

fn sentence(text: &str) -> String {
    let mut s = text.trim().to_string();
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

fn pascal_case(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `originalUriBaseIds` mapping `%SRCROOT%` to the repository root.
pub fn base_ids(root: &std::path::Path) -> BTreeMap<String, ArtifactLocation> {
    let root_uri = format!("{}/", file_uri(&root.display().to_string()));
    BTreeMap::from([(
        BASE_ID.to_string(),
        ArtifactLocation {
            uri: Some(root_uri),
            ..Default::default()
        },
    )])
}

/// A SARIF location for a finding location (repo-relative URI under `%SRCROOT%`).
pub fn location_of(loc: &FindingLocation) -> Location {
    location(loc, None, None)
}

fn location(loc: &FindingLocation, message: Option<&str>, id: Option<i64>) -> Location {
    Location {
        id,
        message: message.map(|m| Message {
            text: Some(sentence(m)),
            ..Default::default()
        }),
        physical_location: Some(PhysicalLocation {
            artifact_location: Some(ArtifactLocation {
                uri: Some(uri_path(&loc.path)),
                uri_base_id: Some(BASE_ID.into()),
                ..Default::default()
            }),
            region: Some(Region {
                start_line: Some(loc.line as i64),
                start_column: Some(loc.column as i64),
                end_line: Some(loc.end_line as i64),
                end_column: Some(loc.end_column as i64),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn result(f: &Finding, rule_index: Option<usize>, report: &AuditReport) -> SarifResult {
    let unverified = f.certainty == Certainty::Unverified;
    let related: Vec<Location> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| location(&r.location, Some(&r.message), Some(i as i64 + 1)))
        .collect();
    let mut text = sentence(&f.message);
    if let Some(help) = &f.help {
        text.push_str(" Fix: ");
        text.push_str(&sentence(help));
    }
    let mut r = SarifResult::builder()
        .message(Message {
            text: Some(text),
            ..Default::default()
        })
        .build();
    r.rule_id = Some(f.rule.clone());
    r.rule_index = rule_index.map(|i| i as i64);
    r.kind = Some(if unverified {
        ResultKind::Review
    } else {
        ResultKind::Fail
    });
    r.level = Some(if unverified {
        ResultLevel::None
    } else {
        level(f.severity)
    });
    r.locations = Some(vec![location(&f.location, None, None)]);
    r.related_locations = (!related.is_empty()).then_some(related);
    r.fixes = f.fix.as_ref().map(|fix| vec![sarif_fix(fix, report)]);
    if let Some(commit) = &f.commit {
        // A change-scoped finding is about a commit as much as a file.
        let mut commit_location = Location {
            id: Some(r.related_locations.as_ref().map_or(0, |v| v.len()) as i64 + 1),
            message: Some(Message {
                text: Some(format!("In commit {commit}.")),
                ..Default::default()
            }),
            logical_locations: Some(vec![LogicalLocation {
                fully_qualified_name: Some(format!("commit/{commit}")),
                name: Some(commit.chars().take(12).collect()),
                kind: Some("object".into()),
                ..Default::default()
            }]),
            ..Default::default()
        };
        commit_location.physical_location = None;
        r.related_locations
            .get_or_insert_with(Vec::new)
            .push(commit_location);
    }
    r.partial_fingerprints = Some(BTreeMap::from([(
        "infraAudit/v1".to_string(),
        crate::fingerprint::of(f, &report.sources),
    )]));
    r
}

/// A finding's fix as a SARIF `fix`: one artifact change per file, regions by line and
/// column (an insertion is an empty region).
fn sarif_fix(fix: &Fix, report: &AuditReport) -> SarifFix {
    let mut by_path: BTreeMap<&str, Vec<Replacement>> = BTreeMap::new();
    for e in &fix.edits {
        let text = report
            .sources
            .get(&e.path)
            .map(String::as_str)
            .unwrap_or("");
        let (start_line, start_column) = position_in(text, e.span.start);
        let (end_line, end_column) = position_in(text, e.span.end);
        let region = Region {
            start_line: Some(start_line as i64),
            start_column: Some(start_column as i64),
            end_line: Some(end_line as i64),
            end_column: Some(end_column as i64),
            ..Default::default()
        };
        let mut replacement = Replacement::builder().deleted_region(region).build();
        replacement.inserted_content = Some(ArtifactContent {
            text: Some(e.replacement.clone()),
            ..Default::default()
        });
        by_path
            .entry(e.path.as_str())
            .or_default()
            .push(replacement);
    }
    let changes = by_path
        .into_iter()
        .map(|(path, replacements)| {
            ArtifactChange::builder()
                .artifact_location(ArtifactLocation {
                    uri: Some(uri_path(path)),
                    uri_base_id: Some(BASE_ID.into()),
                    ..Default::default()
                })
                .replacements(replacements)
                .build()
        })
        .collect::<Vec<_>>();
    let mut out = SarifFix::builder().artifact_changes(changes).build();
    let kind = match fix.applicability {
        Applicability::Safe => "",
        Applicability::Unsafe => " (unsafe: applied only with --unsafe-fixes)",
    };
    out.description = Some(Message {
        text: Some(sentence(&format!("{}{kind}", fix.description))),
        ..Default::default()
    });
    out
}

/// Percent-encodes what URIs forbid in a `/`-separated relative path.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn file_uri(abs: &str) -> String {
    let path = abs.replace('\\', "/");
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    format!("file://{}", uri_path(&path))
}
