//! `infra-audit test [PACK_DIR]`: runs each rule instance of a pack against the test cases
//! kept beside it, like `kyverno test`, so that people who write their own instances can
//! prove them and the shipped packs are proven the same way in CI.
//!
//! Layout, for a pack file `<PACK_DIR>/<pack>.yaml`:
//!
//! ```text
//! <PACK_DIR>/<pack>/tests/<rule-id>/pass/...         a small repository: no finding expected
//! <PACK_DIR>/<pack>/tests/<rule-id>/fail/...         a small repository that breaks the rule
//! <PACK_DIR>/<pack>/tests/<rule-id>/fail/expected.txt  one `path:line` per expected finding
//! ```
//!
//! Each case directory is audited as a repository root with only that pack loaded and only
//! that rule selected; `expected.txt` is not audited. A case that does not parse fails (a
//! test that cannot be read proves nothing). A case directory holding `from.txt` (one line:
//! a directory, relative to the case) is that directory's repository instead of its own
//! files, so a case can be an existing fixture (the `--fix` goldens) rather than a copy.

use crate::audit::{self, AuditOptions};
use crate::config::Config;
use crate::source::SkipReason;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file in a `fail` case listing the expected findings.
pub const EXPECTED_FILE: &str = "expected.txt";

/// The file in a case directory naming the directory to audit in its place.
pub const FROM_FILE: &str = "from.txt";

/// The outcome of one rule's cases.
#[derive(Debug)]
pub struct RuleResult {
    /// Pack name (file stem).
    pub pack: String,
    /// Rule id (the test directory's name).
    pub rule: String,
    /// Problems found; empty when the rule passed.
    pub failures: Vec<String>,
    /// What was checked, for the report line ("pass: 0 findings, fail: 3 of 3").
    pub summary: String,
}

/// Runs every test of every pack under `pack_dir`.
pub fn run(pack_dir: &Path) -> Result<Vec<RuleResult>> {
    if !pack_dir.is_dir() {
        bail!("{} is not a directory of rule packs", pack_dir.display());
    }
    let mut packs: Vec<PathBuf> = std::fs::read_dir(pack_dir)
        .with_context(|| format!("cannot read {}", pack_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    packs.sort();
    let mut results = Vec::new();
    for pack_file in packs {
        let stem = pack_file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let tests = pack_dir.join(&stem).join("tests");
        if !tests.is_dir() {
            continue;
        }
        let text = std::fs::read_to_string(&pack_file)
            .with_context(|| format!("cannot read {}", pack_file.display()))?;
        let pack = crate::pack::parse(&pack_file.display().to_string(), &text)?;
        let mut rule_dirs: Vec<PathBuf> = std::fs::read_dir(&tests)
            .with_context(|| format!("cannot read {}", tests.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        rule_dirs.sort();
        for dir in rule_dirs {
            let rule = dir
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let result = if pack.rules.iter().any(|r| r.id == rule) {
                run_rule(&pack_file, &rule, &dir)?
            } else {
                RuleResult {
                    pack: stem.clone(),
                    rule: rule.clone(),
                    failures: vec![format!(
                        "{} has tests for `{rule}`, but the pack defines no such rule",
                        dir.display()
                    )],
                    summary: String::new(),
                }
            };
            results.push(RuleResult {
                pack: stem.clone(),
                ..result
            });
        }
    }
    Ok(results)
}

fn run_rule(pack_file: &Path, rule: &str, dir: &Path) -> Result<RuleResult> {
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    let (pass, fail) = (dir.join("pass"), dir.join("fail"));
    if !pass.is_dir() && !fail.is_dir() {
        failures.push(format!("{} has neither pass/ nor fail/", dir.display()));
    }
    if pass.is_dir() {
        let got = audit_case(pack_file, rule, &pass, &mut failures)?;
        if !got.is_empty() {
            failures.push(format!(
                "pass/: expected no finding, got {}",
                got.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        summary.push(format!("pass: {} findings", got.values().sum::<usize>()));
    }
    if fail.is_dir() {
        let expected = read_expected(&fail.join(EXPECTED_FILE))?;
        let got = audit_case(pack_file, rule, &fail, &mut failures)?;
        let total: usize = expected.values().sum();
        if expected.is_empty() {
            failures.push(format!(
                "fail/: {EXPECTED_FILE} lists no finding (a fail case must expect at least one)"
            ));
        }
        let mut matched = 0;
        for (at, n) in &expected {
            let g = got.get(at).copied().unwrap_or(0);
            matched += g.min(*n);
            if g < *n {
                failures.push(format!("fail/: expected a finding at {at}, got none"));
            }
        }
        for (at, n) in &got {
            if expected.get(at).copied().unwrap_or(0) < *n {
                failures.push(format!("fail/: unexpected finding at {at}"));
            }
        }
        summary.push(format!("fail: {matched} of {total}"));
    }
    Ok(RuleResult {
        pack: String::new(),
        rule: rule.to_string(),
        failures,
        summary: summary.join(", "),
    })
}

/// Audits one case with only `rule`, returning `path:line -> count` of its findings.
fn audit_case(
    pack_file: &Path,
    rule: &str,
    case: &Path,
    failures: &mut Vec<String>,
) -> Result<BTreeMap<String, usize>> {
    let tree = case_tree(case)?;
    let config = Config {
        packs: Some(vec![pack_file.canonicalize()?.display().to_string()]),
        exclude: vec![EXPECTED_FILE.to_string(), FROM_FILE.to_string()],
        ..Config::default()
    };
    let report = audit::run(&AuditOptions {
        path: tree.clone(),
        root: Some(tree),
        inline_config: Some(Arc::new(config)),
        select: vec![rule.to_string()],
        ..AuditOptions::default()
    })
    .with_context(|| format!("auditing test case {}", case.display()))?;
    let case_name = case.file_name().and_then(|s| s.to_str()).unwrap_or("case");
    for s in &report.skipped {
        if matches!(s.reason, SkipReason::Unparsable | SkipReason::Unreadable) {
            failures.push(format!(
                "{case_name}/{}: could not be read or parsed ({})",
                s.path,
                s.detail.as_deref().unwrap_or("no detail")
            ));
        }
    }
    let mut got = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.rule == rule) {
        *got.entry(format!("{}:{}", f.location.path, f.location.line))
            .or_insert(0) += 1;
    }
    Ok(got)
}

/// The repository a case stands for: the case directory, or the directory its `from.txt`
/// names (relative to the case; `#` comments and blank lines ignored).
fn case_tree(case: &Path) -> Result<PathBuf> {
    let from = case.join(FROM_FILE);
    let text = match std::fs::read_to_string(&from) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(case.to_path_buf()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", from.display())),
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or_default().trim()))
        .filter(|(_, l)| !l.is_empty());
    let Some((line, dir)) = lines.next() else {
        bail!("{}: names no directory", from.display());
    };
    if let Some((extra, _)) = lines.next() {
        bail!("{}:{extra}: one directory only", from.display());
    }
    let tree = case.join(dir);
    if !tree.is_dir() {
        bail!("{}:{line}: `{dir}` is not a directory", from.display());
    }
    Ok(tree)
}

/// Reads `expected.txt`: one `path:line` per line; blank lines and `#` comments ignored.
fn read_expected(path: &Path) -> Result<BTreeMap<String, usize>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let valid = line
            .rsplit_once(':')
            .is_some_and(|(p, n)| !p.is_empty() && n.parse::<usize>().is_ok_and(|n| n > 0));
        if !valid {
            bail!(
                "{}:{}: expected `path:line` (e.g. `main.tf:12`), got `{line}`",
                path.display(),
                i + 1
            );
        }
        *out.entry(line.to_string()).or_insert(0) += 1;
    }
    Ok(out)
}

/// Prints one line per rule and the totals; returns the exit code (1 on any failure).
pub fn report(results: &[RuleResult]) -> i32 {
    let mut failed = 0;
    for r in results {
        if r.failures.is_empty() {
            println!("PASS  {}/{}  ({})", r.pack, r.rule, r.summary);
        } else {
            failed += 1;
            println!("FAIL  {}/{}", r.pack, r.rule);
            for f in &r.failures {
                println!("      {f}");
            }
        }
    }
    let passed = results.len() - failed;
    println!("{passed} passed, {failed} failed");
    i32::from(failed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_txt_names_the_tree_to_audit() {
        let dir = tempfile::tempdir().unwrap();
        let case = dir.path().join("fail");
        std::fs::create_dir_all(case.join("../tree/stacks")).unwrap();
        std::fs::create_dir_all(&case).unwrap();
        assert_eq!(
            case_tree(&case).unwrap(),
            case,
            "no from.txt: the case itself"
        );
        std::fs::write(
            case.join(FROM_FILE),
            "# the shared tree
../tree
",
        )
        .unwrap();
        assert_eq!(case_tree(&case).unwrap(), case.join("../tree"));
        std::fs::write(
            case.join(FROM_FILE),
            "../nowhere
",
        )
        .unwrap();
        let err = case_tree(&case).unwrap_err().to_string();
        assert!(
            err.ends_with("from.txt:1: `../nowhere` is not a directory"),
            "{err}"
        );
        std::fs::write(
            case.join(FROM_FILE),
            "../tree
../tree
",
        )
        .unwrap();
        let err = case_tree(&case).unwrap_err().to_string();
        assert!(err.ends_with("from.txt:2: one directory only"), "{err}");
    }

    #[test]
    fn expected_lines_are_counted_and_validated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(EXPECTED_FILE);
        std::fs::write(
            &p,
            "# two on one line\nmain.tf:3\nmain.tf:3\n\nsub/x.tf:10 # why\n",
        )
        .unwrap();
        let got = read_expected(&p).unwrap();
        assert_eq!(got.get("main.tf:3"), Some(&2));
        assert_eq!(got.get("sub/x.tf:10"), Some(&1));
        std::fs::write(&p, "main.tf\n").unwrap();
        let err = read_expected(&p).unwrap_err().to_string();
        assert!(err.ends_with(":1: expected `path:line` (e.g. `main.tf:12`), got `main.tf`"));
    }
}
