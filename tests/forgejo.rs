//! `audit --forgejo` against a loopback Forgejo: the review, inline comments, replacing
//! the previous review, the commit status, the token header, and failures that exit 2
//! with the report still on stdout.

mod common;
#[path = "support/fake_forgejo.rs"]
mod fake_forgejo;

use common::{binary, Repo};
use fake_forgejo::{FakeForgejo, Route};
use infra_audit::forgejo::{self, ForgejoConfig};
use infra_audit::git::{ChangeKind, ChangeSet, ChangedFile};
use serde_json::{json, Value};
use std::process::{Command, Output};
use std::time::Duration;

const TOKEN: &str = "fj-secret-token-0123";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const BOT: &str = "infra-audit-bot";
const MARKER: &str = "<!-- infra-audit -->";
const PIPELINE: &str = "https://ci.example.org/repos/7/pipeline/99";

/// Two literal NFS server addresses (warnings, failing with `--fail-on warning`).
fn violating_repo() -> Repo {
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        r#"variable "nfs_server" {
  default = "192.168.1.127"
}
module "nfs" {
  source     = "../../modules/kubernetes/nfs_volume"
  nfs_server = "192.168.1.127"
}
"#,
    );
    repo
}

fn clean_repo() -> Repo {
    let repo = Repo::new();
    repo.file("stacks/a/main.tf", "locals { a = 1 }\n");
    repo
}

/// Runs `infra-audit audit REPO --select hardcoded-nfs-server --fail-on warning --forgejo
/// EXTRA...` with Woodpecker's variables pointing at `server`.
fn run(repo: &Repo, server_url: &str, token: &str, extra: &[&str]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.arg("audit")
        .arg(repo.path())
        .args([
            "--select",
            "hardcoded-nfs-server",
            "--fail-on",
            "warning",
            "--forgejo",
        ])
        .args(extra)
        .env("NO_COLOR", "1")
        .env("CI_FORGE_URL", server_url)
        .env("CI_REPO", "acme/infra")
        .env("CI_COMMIT_PULL_REQUEST", "42")
        .env("CI_COMMIT_SHA", SHA)
        .env("CI_PIPELINE_URL", PIPELINE)
        .env("FORGEJO_TOKEN", token);
    cmd.output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn server() -> FakeForgejo {
    FakeForgejo::start(TOKEN, "acme/infra", BOT, &[42])
}

const NFS_MESSAGE: &str = "`192.168.1.127` must not be hard-coded: the NFS server is a shared variable (config.tfvars); a literal breaks the next server move";
const NFS_HELP: &str = "use `var.nfs_server` instead of the string literal";

#[test]
fn posts_one_review_replacing_the_previous_one_and_sets_the_status() {
    let fj = server();
    let old = fj.seed_review(
        42,
        BOT,
        "REQUEST_CHANGES",
        &format!("{MARKER}\n**infra-audit** fails: old run"),
    );
    let approval = fj.seed_review(42, "alice", "APPROVED", "Looks good to me");
    let quote = fj.seed_review(
        42,
        "alice",
        "COMMENT",
        &format!("> {MARKER}\n> **infra-audit** fails\n\nI disagree with this one"),
    );
    let other_pr = fj.seed_review(41, BOT, "COMMENT", &format!("{MARKER}\nother PR"));

    let repo = violating_repo();
    let out = run(&repo, &fj.url, TOKEN, &[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Audit finished in 1 file: 0 errors, 2 warnings, 0 info"),
        "{stdout}"
    );

    let requests = fj.requests();
    let lines: Vec<String> = requests.iter().map(|r| r.line()).collect();
    assert_eq!(
        lines,
        vec![
            "GET /api/v1/repos/acme/infra/pulls/42/reviews".to_string(),
            "POST /api/v1/repos/acme/infra/pulls/42/reviews".to_string(),
            format!("DELETE /api/v1/repos/acme/infra/pulls/42/reviews/{old}"),
            format!("POST /api/v1/repos/acme/infra/statuses/{SHA}"),
        ]
    );
    for r in &requests {
        assert_eq!(r.header("authorization"), Some(&*format!("token {TOKEN}")));
    }
    assert_eq!(requests[0].param("page"), Some("1"));
    assert_eq!(requests[0].param("limit"), Some("50"));
    assert_eq!(requests[1].header("content-type"), Some("application/json"));

    let comment = format!("**warning** `hardcoded-nfs-server`: {NFS_MESSAGE}\n\nhelp: {NFS_HELP}");
    assert_eq!(
        requests[1].json(),
        json!({
            "body": format!(
                "{MARKER}\n**infra-audit** fails (findings at or above `warning`): 0 errors, 2 warnings, 0 info in 1 file\n\
                 \nTop findings:\n\
                 - **warning** `hardcoded-nfs-server` at `stacks/a/main.tf:2`: {NFS_MESSAGE}\n\
                 - **warning** `hardcoded-nfs-server` at `stacks/a/main.tf:6`: {NFS_MESSAGE}\n\
                 \n2 inline comments on the lines of the findings.\n\
                 \n[CI pipeline]({PIPELINE})\n"
            ),
            "event": "REQUEST_CHANGES",
            "commit_id": SHA,
            "comments": [
                { "path": "stacks/a/main.tf", "body": comment, "new_position": 2 },
                { "path": "stacks/a/main.tf", "body": comment, "new_position": 6 },
            ],
        })
    );

    assert_eq!(
        requests[3].json(),
        json!({
            "state": "failure",
            "target_url": PIPELINE,
            "description": "failed: 0 errors, 2 warnings, 0 info",
            "context": "infra-audit",
        })
    );
    assert_eq!(fj.statuses().len(), 1);

    // The previous review of the tool is gone; the human reviews (even one quoting the
    // marker) and the other PR's review stay.
    let ids: Vec<u64> = fj.reviews(42).iter().map(|r| r.id).collect();
    let new = fj.reviews(42).last().unwrap().id;
    assert_eq!(ids, vec![approval, quote, new]);
    assert_eq!(fj.reviews(41)[0].id, other_pr);
    assert_eq!(
        stderr.trim_end().lines().last().unwrap(),
        format!("Forgejo: acme/infra#42: posted review {new} with 2 inline comments (replacing 1 earlier review); commit status infra-audit=failure")
    );
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));

    // A second run replaces the review again: still exactly one by the tool.
    let again = run(&repo, &fj.url, TOKEN, &[]);
    assert_eq!(again.status.code(), Some(1));
    let own: Vec<_> = fj
        .reviews(42)
        .into_iter()
        .filter(|r| r.login == BOT)
        .collect();
    assert_eq!(own.len(), 1);
    assert_ne!(own[0].id, new);
}

#[test]
fn push_without_pull_request_sets_only_the_status_and_flags_override_variables() {
    let fj = FakeForgejo::start(TOKEN, "ops/cluster", BOT, &[]);
    let repo = clean_repo();
    let out = Command::new(binary())
        .args(["audit"])
        .arg(repo.path())
        .args([
            "--forgejo",
            "--forgejo-url",
            &format!("{}/", fj.url),
            "--forgejo-repo",
            "ops/cluster",
            "--forgejo-sha",
            "abcdef1234567",
        ])
        .env("NO_COLOR", "1")
        .env("CI_FORGE_URL", "http://127.0.0.1:1")
        .env("CI_REPO", "acme/infra")
        .env("CI_COMMIT_PULL_REQUEST", "")
        .env("CI_COMMIT_SHA", SHA)
        .env_remove("CI_PIPELINE_URL")
        .env("FORGEJO_TOKEN", TOKEN)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("No findings in 1 file"), "{stdout}");
    let lines: Vec<String> = fj.requests().iter().map(|r| r.line()).collect();
    assert_eq!(
        lines,
        vec!["POST /api/v1/repos/ops/cluster/statuses/abcdef1234567".to_string()]
    );
    assert_eq!(
        fj.requests()[0].json(),
        json!({
            "state": "success",
            "target_url": "",
            "description": "passed: 0 errors, 0 warnings, 0 info",
            "context": "infra-audit",
        })
    );
    assert!(
        stderr.contains("Forgejo: no pull request (CI_COMMIT_PULL_REQUEST is unset): posting the commit status only"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Forgejo: ops/cluster: commit status infra-audit=success"),
        "{stderr}"
    );
}

/// Runs against a server set up by `setup`, expects exit 2, the report on stdout, and
/// returns stderr.
fn failing_run(setup: impl Fn(&FakeForgejo), token: &str, extra: &[&str]) -> (FakeForgejo, String) {
    let fj = server();
    setup(&fj);
    let out = run(&violating_repo(), &fj.url, token, extra);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Audit finished in 1 file: 0 errors, 2 warnings, 0 info"),
        "the report is still on stdout: {stdout}"
    );
    assert!(stdout.contains("hardcoded-nfs-server"), "{stdout}");
    assert!(
        !stdout.contains(token) && !stderr.contains(token),
        "{stderr}"
    );
    (fj, stderr)
}

#[test]
fn rejected_token_401_exits_2_naming_each_operation() {
    let (fj, stderr) = failing_run(|_| {}, "wrong-token-xyz", &[]);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: Forgejo: listing the reviews of acme/infra#42 failed: HTTP 401 Unauthorized (the token was rejected: check FORGEJO_TOKEN); Forgejo said: user does not exist [uid: 0, name: ]\n\
             Forgejo: setting the commit status `infra-audit` on acme/infra 0123456789ab failed: HTTP 401 Unauthorized (the token was rejected: check FORGEJO_TOKEN); Forgejo said: user does not exist [uid: 0, name: ]"
        )
    );
    assert_eq!(
        fj.requests()[0].header("authorization"),
        Some("token wrong-token-xyz")
    );
}

#[test]
fn missing_scope_403_on_the_review_still_sets_the_status() {
    let (fj, stderr) = failing_run(
        |fj| {
            fj.fail(
                Route::CreateReview,
                403,
                "token does not have at least one of required scope(s): [write:repository]",
            )
        },
        TOKEN,
        &[],
    );
    assert_eq!(
        stderr.trim_end(),
        "error: Forgejo: creating the review on acme/infra#42 failed: HTTP 403 Forbidden (the token lacks permission: it needs the write:repository scope and write access to the repository); Forgejo said: token does not have at least one of required scope(s): [write:repository]"
    );
    assert_eq!(fj.statuses().len(), 1);
    assert_eq!(fj.statuses()[0].1["state"], "failure");
}

#[test]
fn unknown_pull_request_404() {
    let (fj, stderr) = failing_run(|_| {}, TOKEN, &["--forgejo-pr", "7"]);
    assert_eq!(
        stderr.trim_end(),
        "error: Forgejo: listing the reviews of acme/infra#7 failed: HTTP 404 Not Found (check the Forgejo URL, the repository, the pull request number and the commit; a token that cannot see a private repository also gets 404); Forgejo said: The target couldn't be found."
    );
    assert!(fj.reviews(7).is_empty());
    assert_eq!(
        fj.statuses().len(),
        1,
        "the status does not depend on the PR"
    );
}

#[test]
fn rejected_review_422_keeps_the_previous_review() {
    let (fj, stderr) = failing_run(
        |fj| {
            fj.seed_review(42, BOT, "COMMENT", &format!("{MARKER}\nold"));
            fj.fail(
                Route::CreateReview,
                422,
                "[CommitID]: commit does not exist",
            );
        },
        TOKEN,
        &[],
    );
    assert_eq!(
        stderr.trim_end(),
        "error: Forgejo: creating the review on acme/infra#42 failed: HTTP 422 Unprocessable Entity (Forgejo rejected the content of the request); Forgejo said: [CommitID]: commit does not exist"
    );
    let reviews = fj.reviews(42);
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].body, format!("{MARKER}\nold"));
    assert!(fj.requests().iter().all(|r| r.method != "DELETE"));
}

#[test]
fn rejected_status_422() {
    let (_fj, stderr) = failing_run(
        |fj| fj.fail(Route::CreateStatus, 422, "[Context]: context is too long"),
        TOKEN,
        &[],
    );
    assert_eq!(
        stderr.trim_end(),
        "error: Forgejo: setting the commit status `infra-audit` on acme/infra 0123456789ab failed: HTTP 422 Unprocessable Entity (Forgejo rejected the content of the request); Forgejo said: [Context]: context is too long"
    );
}

#[test]
fn slow_instance_times_out() {
    let (fj, stderr) = failing_run(
        |fj| fj.delay(Route::ListReviews, Duration::from_secs(4)),
        TOKEN,
        &["--timeout", "1"],
    );
    let host = fj.url.trim_start_matches("http://");
    assert_eq!(
        stderr.trim_end(),
        format!("error: Forgejo: listing the reviews of acme/infra#42 failed: no answer from {host} within 1 s (timed out; raise --timeout if the instance is slow)")
    );
    assert_eq!(fj.statuses().len(), 1);
}

#[test]
fn unreachable_instance_and_missing_token() {
    // A port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(
        &violating_repo(),
        &format!("http://127.0.0.1:{port}"),
        TOKEN,
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.contains("2 warnings"), "{stdout}");
    assert!(
        stderr.starts_with(&format!("error: Forgejo: listing the reviews of acme/infra#42 failed: cannot connect to 127.0.0.1:{port} (unreachable or refused")),
        "{stderr}"
    );

    let out = run(&violating_repo(), "http://127.0.0.1:1", "", &[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.contains("2 warnings"), "{stdout}");
    assert_eq!(
        stderr.trim_end(),
        "error: --forgejo needs an API token in FORGEJO_TOKEN (scope write:repository); it is never printed"
    );
}

#[test]
fn forgejo_flags_need_forgejo() {
    let out = Command::new(binary())
        .args(["audit", ".", "--forgejo-pr", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--forgejo"));
}

#[test]
fn library_publish_comments_only_on_changed_lines() {
    let fj = server();
    let repo = violating_repo();
    let report = repo.audit(&["hardcoded-nfs-server"]);
    let cfg = ForgejoConfig {
        url: fj.url.clone(),
        owner: "acme".into(),
        repo: "infra".into(),
        pr: Some(42),
        sha: SHA.into(),
        token: TOKEN.into(),
        pipeline_url: None,
        fail_on: infra_audit::finding::Severity::Error,
        timeout: Duration::from_secs(5),
    };
    let changed = ChangeSet {
        files: vec![ChangedFile {
            path: "stacks/a/main.tf".into(),
            old_path: None,
            kind: ChangeKind::Modified,
            lines: vec![4..=7],
        }],
        commits: Vec::new(),
        label: "origin/main...HEAD".into(),
    };
    let published = forgejo::publish(&cfg, &report, Some(&changed)).unwrap();
    assert_eq!((published.comments, published.replaced), (1, 0));
    assert_eq!(
        published.state, "success",
        "warnings do not fail at `error`"
    );
    let sent: Value = fj.requests()[1].json();
    assert_eq!(sent["event"], "COMMENT");
    let comments = sent["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["path"], "stacks/a/main.tf");
    assert_eq!(comments[0]["new_position"], 6);
    assert_eq!(
        sent["body"],
        format!(
            "{MARKER}\n**infra-audit** passes: 0 errors, 2 warnings, 0 info in 1 file (change: origin/main...HEAD)\n\
             \nTop findings:\n\
             - **warning** `hardcoded-nfs-server` at `stacks/a/main.tf:2`: {NFS_MESSAGE}\n\
             - **warning** `hardcoded-nfs-server` at `stacks/a/main.tf:6`: {NFS_MESSAGE}\n\
             \n1 inline comment on changed lines.\n"
        )
    );
}

#[test]
fn earlier_review_on_a_later_page_is_found() {
    let fj = server();
    for i in 0..60 {
        fj.seed_review(42, "alice", "COMMENT", &format!("comment {i}"));
    }
    let old = fj.seed_review(42, BOT, "COMMENT", &format!("{MARKER}\nold"));
    let out = run(&clean_repo(), &fj.url, TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let lists: Vec<Option<String>> = fj
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.param("page").map(str::to_string))
        .collect();
    assert_eq!(lists, vec![Some("1".to_string()), Some("2".to_string())]);
    let reviews = fj.reviews(42);
    assert_eq!(reviews.len(), 61);
    assert!(reviews.iter().all(|r| r.id != old));
    let new = reviews.last().unwrap();
    assert_eq!((new.login.as_str(), new.state.as_str()), (BOT, "COMMENT"));
    assert_eq!(
        new.body,
        format!("{MARKER}\n**infra-audit** passes: 0 errors, 0 warnings, 0 info in 1 file\n\n0 inline comments on the lines of the findings.\n\n[CI pipeline]({PIPELINE})\n")
    );
}
