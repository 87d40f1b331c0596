//! Drift as SARIF 2.1.0: one result per drifted object, pointing at the declaring HCL
//! block when there is one (unmanaged objects have no file: their result names the object).

use crate::drift::{DriftClass, DriftReport};
use crate::report::sarif::{location_of, INFORMATION_URI};
use serde_json::json;
use serde_sarif::sarif::{
    Message, MultiformatMessageString, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

const CLASSES: &[(DriftClass, &str)] = &[
    (
        DriftClass::Missing,
        "Declared in the repository, absent from the cluster.",
    ),
    (
        DriftClass::Unmanaged,
        "Live in the cluster, declared nowhere in the repository.",
    ),
    (
        DriftClass::Changed,
        "A compared field differs between the repository and the cluster.",
    ),
    (
        DriftClass::UnsuppressedMutation,
        "An admission policy injected a field the declaring resource does not ignore.",
    ),
];

/// Renders the drift report as SARIF.
pub fn render(report: &DriftReport, root: &std::path::Path) -> String {
    let rules: Vec<ReportingDescriptor> = CLASSES
        .iter()
        .map(|(class, text)| {
            let mut d = ReportingDescriptor::builder()
                .id(format!("drift-{}", class.as_str()))
                .build();
            d.short_description = Some(
                MultiformatMessageString::builder()
                    .text(text.to_string())
                    .build(),
            );
            d.full_description = Some(
                MultiformatMessageString::builder()
                    .text(text.to_string())
                    .build(),
            );
            d.help_uri = Some(format!("{INFORMATION_URI}/blob/main/docs/drift.md"));
            d.default_configuration = Some(ReportingConfiguration {
                level: Some(json!("warning")),
                ..Default::default()
            });
            d
        })
        .collect();
    let results: Vec<SarifResult> = report
        .items
        .iter()
        .map(|i| {
            let name = super::object_name(i.namespace.as_deref(), &i.name);
            let text = format!(
                "{} {} {name}: {}.",
                i.class.as_str(),
                i.kind,
                i.message.trim_end_matches('.')
            );
            let mut r = SarifResult::builder()
                .message(Message {
                    text: Some(text),
                    ..Default::default()
                })
                .build();
            r.rule_id = Some(format!("drift-{}", i.class.as_str()));
            r.rule_index = CLASSES
                .iter()
                .position(|(c, _)| *c == i.class)
                .map(|p| p as i64);
            r.level = Some(ResultLevel::Warning);
            r.locations = i.location.as_ref().map(|l| vec![location_of(l)]);
            r.partial_fingerprints = Some(std::collections::BTreeMap::from([(
                "infraAuditDrift/v1".to_string(),
                crate::finding::stable_hash(&[&i.key()]),
            )]));
            r
        })
        .collect();
    let mut driver = ToolComponent::builder().name("infra-audit").build();
    driver.version = Some(env!("CARGO_PKG_VERSION").into());
    driver.semantic_version = Some(env!("CARGO_PKG_VERSION").into());
    driver.information_uri = Some(INFORMATION_URI.into());
    driver.rules = Some(rules);
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .build();
    run.results = Some(results);
    run.column_kind = Some(json!("unicodeCodePoints"));
    run.original_uri_base_ids = Some(crate::report::sarif::base_ids(root));
    let mut log = Sarif::builder()
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    log.schema = Some("https://json.schemastore.org/sarif-2.1.0.json".into());
    serde_json::to_string_pretty(&log).expect("sarif renders") + "\n"
}
