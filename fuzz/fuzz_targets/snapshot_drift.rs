//! The kubectl-JSON snapshot reader and the drift comparison: the input is read as a
//! `kubectl get -o json` snapshot file and compared with the declared inventory of the
//! terragrunt-homelab fixture, then every drift report format is rendered and the packs'
//! live checks (`audit --live`) run on the objects.

#![no_main]

mod common;

use infra_audit::drift::{self, report as drift_report, DriftOptions};
use infra_audit::inventory::{self, Declared};
use infra_audit::live::snapshot;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/terragrunt-homelab")
}

fn declared() -> &'static Declared {
    static DECLARED: OnceLock<Declared> = OnceLock::new();
    DECLARED.get_or_init(|| {
        let exclude = infra_audit::workspace::globset(&[]).expect("empty globset");
        inventory::declared(&fixture(), &exclude).expect("fixture inventory")
    })
}

fn rules() -> &'static Vec<infra_audit::rules::Rule> {
    static RULES: OnceLock<Vec<infra_audit::rules::Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        infra_audit::pack::load_rules(&fixture(), &Default::default())
            .expect("default packs")
            .rules
    })
}

fuzz_target!(|data: &[u8]| {
    let path = common::write("snapshot.json", &String::from_utf8_lossy(data));
    let Ok(live) = snapshot::from_snapshots(&[path]) else {
        return;
    };
    let report = drift::compare(declared(), &live, &DriftOptions::default());
    let ctx = drift_report::Context::default();
    let _ = drift_report::human::render(&report, &ctx);
    let _ = drift_report::human::summary(&report);
    let _ = drift_report::json::render(&report, &ctx);
    let _ = drift_report::prometheus::render(&report, &ctx);
    let _ = drift_report::sarif::render(&report, &fixture());
    let _ = drift_report::slack::payload(&report, &ctx);
    let _ = drift::tally(&report);
    let _ = report.exit_code();
    for object in &live.objects {
        for rule in rules() {
            let _ = rule.check.check_live(object);
        }
    }
});
