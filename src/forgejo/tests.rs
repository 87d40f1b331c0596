use super::review::{self, MARKER};
use super::*;
use crate::audit::AuditReport;
use crate::config::Config;
use crate::finding::{Certainty, Finding, Location, Severity};
use crate::git::{ChangeKind, ChangeSet, ChangedFile};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

const WOODPECKER: &[(&str, &str)] = &[
    ("CI_FORGE_URL", "https://git.example.org/"),
    ("CI_REPO", "acme/infra"),
    ("CI_COMMIT_PULL_REQUEST", "42"),
    ("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"),
    (
        "CI_PIPELINE_URL",
        "https://ci.example.org/repos/7/pipeline/99",
    ),
    ("FORGEJO_TOKEN", "s3cr3t-token"),
];

fn resolve(overrides: &Overrides, vars: &[(&str, &str)]) -> Result<ForgejoConfig> {
    ForgejoConfig::resolve(
        overrides,
        Severity::Error,
        Duration::from_secs(5),
        &env(vars),
    )
}

#[test]
fn config_from_woodpecker_variables() {
    let cfg = resolve(&Overrides::default(), WOODPECKER).unwrap();
    assert_eq!(cfg.url, "https://git.example.org");
    assert_eq!((cfg.owner.as_str(), cfg.repo.as_str()), ("acme", "infra"));
    assert_eq!(cfg.pr, Some(42));
    assert_eq!(cfg.sha, "0123456789abcdef0123456789abcdef01234567");
    assert_eq!(cfg.token, "s3cr3t-token");
    assert_eq!(
        cfg.pipeline_url.as_deref(),
        Some("https://ci.example.org/repos/7/pipeline/99")
    );
}

#[test]
fn flags_win_over_variables() {
    let cfg = resolve(
        &Overrides {
            url: Some("http://127.0.0.1:3000/api/v1".into()),
            repo: Some("other/repo.git-x".into()),
            pr: Some(7),
            sha: Some("abcdef1".into()),
        },
        WOODPECKER,
    )
    .unwrap();
    assert_eq!(cfg.url, "http://127.0.0.1:3000");
    assert_eq!(
        (cfg.owner.as_str(), cfg.repo.as_str()),
        ("other", "repo.git-x")
    );
    assert_eq!((cfg.pr, cfg.sha.as_str()), (Some(7), "abcdef1"));
}

#[test]
fn push_events_have_no_pull_request() {
    let mut vars = WOODPECKER.to_vec();
    vars.retain(|(k, _)| *k != "CI_COMMIT_PULL_REQUEST");
    vars.push(("CI_COMMIT_PULL_REQUEST", ""));
    assert_eq!(resolve(&Overrides::default(), &vars).unwrap().pr, None);
}

#[test]
fn missing_or_bad_settings_say_what_to_set() {
    let without = |name: &str| -> String {
        let vars: Vec<(&str, &str)> = WOODPECKER
            .iter()
            .copied()
            .filter(|(k, _)| *k != name)
            .collect();
        format!("{:#}", resolve(&Overrides::default(), &vars).unwrap_err())
    };
    assert!(without("CI_FORGE_URL").contains("set CI_FORGE_URL or pass --forgejo-url"));
    assert!(without("CI_REPO").contains("set CI_REPO or pass --forgejo-repo"));
    assert!(without("CI_COMMIT_SHA").contains("set CI_COMMIT_SHA or pass --forgejo-sha"));
    assert!(without("FORGEJO_TOKEN").contains("FORGEJO_TOKEN"));
    let with = |name: &'static str, value: &'static str| -> String {
        let mut vars: Vec<(&str, &str)> = WOODPECKER
            .iter()
            .copied()
            .filter(|(k, _)| *k != name)
            .collect();
        vars.push((name, value));
        format!("{:#}", resolve(&Overrides::default(), &vars).unwrap_err())
    };
    assert_eq!(
        with("CI_REPO", "acme"),
        "the repository `acme` is not of the form OWNER/NAME"
    );
    assert_eq!(
        with("CI_REPO", "acme/../x"),
        "the repository `acme/../x` is not of the form OWNER/NAME"
    );
    assert_eq!(
        with("CI_COMMIT_PULL_REQUEST", "main"),
        "CI_COMMIT_PULL_REQUEST is `main`, not a pull request number"
    );
    assert_eq!(
        with("CI_COMMIT_SHA", "HEAD"),
        "the commit `HEAD` is not a hexadecimal commit id"
    );
    assert!(with("CI_FORGE_URL", "git.example.org").contains("is not an http(s) URL"));
}

#[test]
fn debug_never_shows_the_token() {
    let cfg = resolve(&Overrides::default(), WOODPECKER).unwrap();
    let text = format!("{cfg:?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
}

fn finding(rule: &str, severity: Severity, path: &str, line: usize, message: &str) -> Finding {
    Finding::new(
        rule.into(),
        severity,
        message.into(),
        Location {
            path: path.into(),
            span: 0..0,
            line,
            column: 1,
            end_line: line,
            end_column: 2,
        },
    )
}

fn report(findings: Vec<Finding>) -> AuditReport {
    AuditReport {
        root: PathBuf::from("/repo"),
        findings,
        skipped: Vec::new(),
        files_scanned: 3,
        elapsed: Duration::from_millis(12),
        rules: Vec::new(),
        config: Config::default(),
        sources: BTreeMap::new(),
        live: None,
        baseline: None,
    }
}

fn sample() -> AuditReport {
    let mut help = finding("rule-b", Severity::Error, "stacks/a/main.tf", 6, "second");
    help.help = Some("do this".into());
    let mut unverified = finding("rule-c", Severity::Error, "stacks/b/main.tf", 1, "maybe");
    unverified.certainty = Certainty::Unverified;
    report(vec![
        finding("rule-a", Severity::Warning, "stacks/a/main.tf", 2, "first"),
        help,
        finding(
            "rule-a",
            Severity::Warning,
            "stacks/a/main.tf",
            6,
            "same\nline",
        ),
        unverified,
    ])
}

fn changes() -> ChangeSet {
    ChangeSet {
        files: vec![ChangedFile {
            path: "stacks/a/main.tf".into(),
            old_path: None,
            kind: ChangeKind::Modified,
            lines: vec![5..=7],
        }],
        commits: Vec::new(),
        label: "origin/main...HEAD".into(),
    }
}

#[test]
fn inline_comments_only_on_changed_lines_one_per_line() {
    let report = sample();
    let (comments, left_out) = review::inline_comments(&report, Some(&changes()));
    assert_eq!(left_out, 0);
    assert_eq!(
        comments,
        vec![client::ReviewComment {
            path: "stacks/a/main.tf".into(),
            body: "**error** `rule-b`: second\n\nhelp: do this\n\n**warning** `rule-a`: same\nline"
                .into(),
            new_position: 6,
        }]
    );
    let (all, _) = review::inline_comments(&report, None);
    let places: Vec<(&str, u64)> = all
        .iter()
        .map(|c| (c.path.as_str(), c.new_position))
        .collect();
    assert_eq!(
        places,
        vec![
            ("stacks/a/main.tf", 2),
            ("stacks/a/main.tf", 6),
            ("stacks/b/main.tf", 1)
        ]
    );
    assert_eq!(all[2].body, "**could not verify** `rule-c`: maybe");
}

#[test]
fn inline_comments_are_capped() {
    let many: Vec<Finding> = (1..=60)
        .map(|l| finding("rule-a", Severity::Warning, "a.tf", l, "x"))
        .collect();
    let (comments, left_out) = review::inline_comments(&report(many), None);
    assert_eq!(
        (comments.len(), left_out),
        (review::MAX_INLINE_COMMENTS, 10)
    );
}

#[test]
fn review_body_is_summary_top_findings_and_marker() {
    let sample = sample();
    let body = review::body(
        &sample,
        1,
        Severity::Error,
        Some(&changes()),
        1,
        0,
        Some("https://ci.example.org/p/9"),
    );
    assert_eq!(
        body,
        format!(
            "{MARKER}\n**infra-audit** fails (findings at or above `error`): 1 error, 2 warnings, 0 info, 1 could not be verified in 3 files (change: origin/main...HEAD)\n\
             \nTop findings:\n\
             - **error** `rule-b` at `stacks/a/main.tf:6`: second\n\
             - **warning** `rule-a` at `stacks/a/main.tf:2`: first\n\
             - **warning** `rule-a` at `stacks/a/main.tf:6`: same line\n\
             - **could not verify** `rule-c` at `stacks/b/main.tf:1`: maybe\n\
             \n1 inline comment on changed lines.\n\
             \n[CI pipeline](https://ci.example.org/p/9)\n"
        )
    );
    assert!(review::is_own_review(&body));
    assert!(!review::is_own_review(&format!("> {body}")));
    let clean = review::body(&report(Vec::new()), 0, Severity::Error, None, 0, 0, None);
    assert_eq!(
        clean,
        format!(
            "{MARKER}\n**infra-audit** passes: 0 errors, 0 warnings, 0 info in 3 files\n\
             \n0 inline comments on the lines of the findings.\n"
        )
    );
}

#[test]
fn status_and_event_follow_the_exit_code() {
    let report = sample();
    let failing = review::status(&report, 1, Some("https://ci/p/1"));
    assert_eq!(
        failing,
        client::CreateStatus {
            state: "failure".into(),
            target_url: "https://ci/p/1".into(),
            description: "failed: 1 error, 2 warnings, 0 info, 1 could not be verified".into(),
            context: "infra-audit".into(),
        }
    );
    assert_eq!(review::status(&report, 3, None).state, "failure");
    assert_eq!(review::status(&report, 3, None).target_url, "");
    assert_eq!(review::status(&report, 0, None).state, "success");
    assert_eq!(review::event(1), "REQUEST_CHANGES");
    assert_eq!(review::event(0), "COMMENT");
    assert_eq!(review::event(3), "COMMENT");
}

#[test]
fn published_says_what_happened() {
    let p = Published {
        review: Some(12),
        comments: 1,
        replaced: 2,
        state: "failure".into(),
    };
    assert_eq!(
        p.to_string(),
        "posted review 12 with 1 inline comment (replacing 2 earlier reviews); commit status infra-audit=failure"
    );
}
