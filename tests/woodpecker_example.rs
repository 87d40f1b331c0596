//! The Woodpecker example (`docs/integrations/woodpecker/infra-audit.yml`) is valid YAML,
//! is the file the guide shows, and every `infra-audit` flag it uses exists in the CLI.

use clap::CommandFactory;
use infra_audit::cli::Cli;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn example() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/integrations/woodpecker/infra-audit.yml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every string under a `commands` key, anywhere in the document.
fn commands(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "commands" {
                    match v {
                        Value::Array(items) => {
                            out.extend(items.iter().filter_map(|i| i.as_str()).map(str::to_string))
                        }
                        Value::String(s) => out.push(s.clone()),
                        _ => {}
                    }
                } else {
                    commands(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| commands(i, out)),
        _ => {}
    }
}

/// The invocations of `infra-audit` in a shell command: (subcommand, `--flags`), up to the
/// next shell operator.
fn invocations(command: &str) -> Vec<(String, Vec<String>)> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if *word != "infra-audit" {
            continue;
        }
        let rest: Vec<&str> = words[i + 1..]
            .iter()
            .copied()
            .take_while(|w| !matches!(*w, "&&" | "||" | ";" | "|"))
            .collect();
        let sub = rest.first().map(|s| s.to_string()).unwrap_or_default();
        let flags = rest
            .iter()
            .filter(|w| w.starts_with("--"))
            .map(|w| w.split('=').next().unwrap_or(w).to_string())
            .collect();
        found.push((sub, flags));
    }
    found
}

/// Long flags of a subcommand, from clap.
fn cli_flags(sub: &str) -> Option<BTreeSet<String>> {
    let cli = Cli::command();
    let cmd = cli.get_subcommands().find(|c| c.get_name() == sub)?;
    let mut flags: BTreeSet<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .collect();
    flags.insert("--help".into());
    Some(flags)
}

#[test]
fn example_is_valid_yaml_with_both_events() {
    let doc: Value = serde_saphyr::from_str(&example()).expect("valid YAML");
    let steps = doc["steps"].as_array().expect("a list of steps");
    assert!(steps.len() >= 2);
    let events: BTreeSet<&str> = doc["when"]
        .as_array()
        .expect("workflow `when` list")
        .iter()
        .filter_map(|w| w["event"].as_str())
        .collect();
    assert_eq!(events, BTreeSet::from(["pull_request", "push"]));
    for step in steps {
        assert!(
            step["name"].is_string() && step["image"].is_string(),
            "{step}"
        );
    }
}

#[test]
fn every_infra_audit_flag_in_the_example_exists() {
    let doc: Value = serde_saphyr::from_str(&example()).expect("valid YAML");
    let mut all = Vec::new();
    commands(&doc, &mut all);
    let calls: Vec<(String, Vec<String>)> = all.iter().flat_map(|c| invocations(c)).collect();
    assert!(calls.len() >= 2, "the example runs infra-audit: {all:?}");
    let mut used = BTreeSet::new();
    for (sub, flags) in &calls {
        let known =
            cli_flags(sub).unwrap_or_else(|| panic!("unknown subcommand `infra-audit {sub}`"));
        for flag in flags {
            used.insert(flag.clone());
            assert!(
                known.contains(flag),
                "`infra-audit {sub}` has no flag {flag} (flags: {known:?})"
            );
        }
    }
    for flag in ["--base", "--format", "--output", "--forgejo"] {
        assert!(used.contains(flag), "the example uses {flag}: {used:?}");
    }
}

#[test]
fn the_guide_shows_the_example_file_verbatim() {
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/integrations/woodpecker.md"),
    )
    .unwrap();
    assert!(
        guide.contains(&format!("```yaml\n{}```", example())),
        "docs/integrations/woodpecker.md must embed docs/integrations/woodpecker/infra-audit.yml unchanged"
    );
}

#[test]
fn the_flag_scanner_sees_unknown_flags() {
    let calls = invocations("cd x && infra-audit audit --format sarif --no-such-flag=1 | tee y");
    assert_eq!(
        calls,
        vec![(
            "audit".to_string(),
            vec!["--format".to_string(), "--no-such-flag".to_string()]
        )]
    );
    let known = cli_flags("audit").unwrap();
    assert!(known.contains("--forgejo-pr") && !known.contains("--no-such-flag"));
}
