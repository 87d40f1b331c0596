//! Configuration and rule-pack loading: the input is read as `.infra-audit.toml`
//! (`Config::load`) and, separately, as a user rule pack YAML (`pack::parse`, then
//! `pack::load_rules` building every rule from its parameters). Whatever loads is then
//! used for an audit of a small fixed repository, so built rules with odd parameters run.

#![no_main]

mod common;

use infra_audit::config::Config;
use infra_audit::pack;
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

const SAMPLE_TF: &str = r#"resource "kubernetes_deployment" "app" {
  metadata {
    name      = "app"
    namespace = "default"
  }
  spec {
    template {
      spec {
        container {
          image = "nginx:latest"
        }
      }
    }
  }
}
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    common::write("stacks/app/main.tf", SAMPLE_TF);
    // As the configuration file.
    let config_path = common::write("config.toml", text);
    if let Ok(config) = Config::load(&config_path) {
        if let Ok(loaded) = pack::load_rules(common::repo(), &config) {
            drop(loaded);
            let opts = infra_audit::audit::AuditOptions {
                inline_config: Some(Arc::new(config)),
                ..common::options()
            };
            if let Ok(report) = infra_audit::audit::run(&opts) {
                common::render_all(&report);
            }
        }
    }
    // As a user rule pack.
    if pack::parse("fuzz.yaml", text).is_ok() {
        common::write("fuzz-pack.yaml", text);
        let config = Config {
            packs: Some(vec!["fuzz-pack.yaml".into()]),
            ..Config::default()
        };
        if pack::load_rules(common::repo(), &config).is_ok() {
            let opts = infra_audit::audit::AuditOptions {
                inline_config: Some(Arc::new(config)),
                ..common::options()
            };
            if let Ok(report) = infra_audit::audit::run(&opts) {
                common::render_all(&report);
            }
        }
    }
});
