//! Publishing an audit to Forgejo (`audit --forgejo`): one review on the pull request
//! (summary body, inline comments on changed lines) that replaces the tool's previous
//! review, and a commit status `infra-audit`. Configuration comes from Woodpecker's
//! variables (`CI_FORGE_URL`, `CI_REPO`, `CI_COMMIT_PULL_REQUEST`, `CI_COMMIT_SHA`,
//! `CI_PIPELINE_URL`) with flags to override, and the token from `FORGEJO_TOKEN`.

pub mod client;
pub mod review;

use crate::audit::AuditReport;
use crate::finding::Severity;
use crate::git::ChangeSet;
use anyhow::{bail, Context, Result};
use client::{Client, CreateReview};
use std::time::Duration;

/// Values given on the command line; each wins over its environment variable.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--forgejo-url` (else `CI_FORGE_URL`).
    pub url: Option<String>,
    /// `--forgejo-repo OWNER/NAME` (else `CI_REPO`).
    pub repo: Option<String>,
    /// `--forgejo-pr N` (else `CI_COMMIT_PULL_REQUEST`).
    pub pr: Option<u64>,
    /// `--forgejo-sha SHA` (else `CI_COMMIT_SHA`).
    pub sha: Option<String>,
}

/// Where and how to publish.
#[derive(Clone)]
pub struct ForgejoConfig {
    /// Base URL of the instance, without a trailing slash (`https://git.example.org`).
    pub url: String,
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// Pull request index; None on a push: only the commit status is posted.
    pub pr: Option<u64>,
    /// The commit audited (the PR head).
    pub sha: String,
    /// API token (secret: never printed; `Debug` hides it).
    pub token: String,
    /// Link for the status and the review (`CI_PIPELINE_URL`).
    pub pipeline_url: Option<String>,
    /// Threshold the run fails at (decides success/failure and the review event).
    pub fail_on: Severity,
    /// Timeout of each request.
    pub timeout: Duration,
}

impl std::fmt::Debug for ForgejoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgejoConfig")
            .field("url", &self.url)
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("pr", &self.pr)
            .field("sha", &self.sha)
            .field("token", &"<redacted>")
            .field("pipeline_url", &self.pipeline_url)
            .field("fail_on", &self.fail_on)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ForgejoConfig {
    /// Builds the configuration from the flags and the process environment (empty
    /// variables count as unset: Woodpecker sets `CI_COMMIT_PULL_REQUEST=""` on pushes).
    pub fn from_env(
        overrides: &Overrides,
        fail_on: Severity,
        timeout: Duration,
    ) -> Result<ForgejoConfig> {
        ForgejoConfig::resolve(overrides, fail_on, timeout, &|name| {
            std::env::var(name).ok()
        })
    }

    /// Builds the configuration from the flags and `env` (a variable lookup).
    pub fn resolve(
        overrides: &Overrides,
        fail_on: Severity,
        timeout: Duration,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ForgejoConfig> {
        let var = |name: &str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let url = overrides
            .url
            .clone()
            .or_else(|| var("CI_FORGE_URL"))
            .context("--forgejo needs the Forgejo URL: set CI_FORGE_URL or pass --forgejo-url")?;
        let url = normalize_url(&url)?;
        let full = overrides.repo.clone().or_else(|| var("CI_REPO")).context(
            "--forgejo needs the repository: set CI_REPO or pass --forgejo-repo OWNER/NAME",
        )?;
        let (owner, repo) = split_repo(&full)?;
        let pr = match overrides.pr {
            Some(pr) => Some(pr),
            None => match var("CI_COMMIT_PULL_REQUEST") {
                Some(v) => Some(v.parse::<u64>().ok().filter(|n| *n > 0).with_context(|| {
                    format!("CI_COMMIT_PULL_REQUEST is `{v}`, not a pull request number")
                })?),
                None => None,
            },
        };
        let sha = overrides
            .sha
            .clone()
            .or_else(|| var("CI_COMMIT_SHA"))
            .context("--forgejo needs the commit: set CI_COMMIT_SHA or pass --forgejo-sha")?;
        if !(7..=64).contains(&sha.len()) || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            bail!("the commit `{sha}` is not a hexadecimal commit id");
        }
        let token = var("FORGEJO_TOKEN").context(
            "--forgejo needs an API token in FORGEJO_TOKEN (scope write:repository); it is never printed",
        )?;
        Ok(ForgejoConfig {
            url,
            owner,
            repo,
            pr,
            sha,
            token,
            pipeline_url: var("CI_PIPELINE_URL"),
            fail_on,
            timeout,
        })
    }
}

/// `https://host/` or `https://host/api/v1` -> `https://host`.
fn normalize_url(url: &str) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/api/v1").unwrap_or(trimmed);
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => {
            Ok(trimmed.to_string())
        }
        _ => bail!("the Forgejo URL `{url}` is not an http(s) URL like https://git.example.org"),
    }
}

/// `owner/name` -> (owner, name); names may hold letters, digits, `-`, `_`, `.`.
fn split_repo(full: &str) -> Result<(String, String)> {
    let valid = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match full.split_once('/') {
        Some((owner, name)) if valid(owner) && valid(name) => {
            Ok((owner.to_string(), name.to_string()))
        }
        _ => bail!("the repository `{full}` is not of the form OWNER/NAME"),
    }
}

/// What [`publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The new review's id (None without a pull request).
    pub review: Option<u64>,
    /// Inline comments posted.
    pub comments: usize,
    /// Earlier reviews of the tool that were deleted.
    pub replaced: usize,
    /// The status state sent (`success` / `failure`).
    pub state: String,
}

impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(id) = self.review {
            write!(
                f,
                "posted review {id} with {} inline comment{}",
                self.comments,
                if self.comments == 1 { "" } else { "s" }
            )?;
            if self.replaced > 0 {
                write!(
                    f,
                    " (replacing {} earlier review{})",
                    self.replaced,
                    if self.replaced == 1 { "" } else { "s" }
                )?;
            }
            write!(f, "; ")?;
        }
        write!(f, "commit status {}={}", review::STATUS_CONTEXT, self.state)
    }
}

/// Publishes `report` to Forgejo: on a pull request, one review (summary body with the
/// hidden marker, inline comments on the lines `changed` added or modified, or on every
/// finding's line when `changed` is None) that replaces the tool's earlier reviews; then
/// the commit status `infra-audit` (success exactly when the run exits 0). The status is
/// attempted even when the review fails; every failure is reported.
pub fn publish(
    cfg: &ForgejoConfig,
    report: &AuditReport,
    changed: Option<&ChangeSet>,
) -> Result<Published> {
    let client = Client::new(&cfg.url, &cfg.owner, &cfg.repo, &cfg.token, cfg.timeout);
    let exit_code = report.exit_code(cfg.fail_on);
    let pipeline = cfg.pipeline_url.as_deref();
    let mut published = Published {
        review: None,
        comments: 0,
        replaced: 0,
        state: String::new(),
    };
    let mut errors = Vec::new();
    if let Some(pr) = cfg.pr {
        match post_review(&client, cfg, pr, report, changed, exit_code) {
            Ok((id, comments, replaced)) => {
                published.review = Some(id);
                published.comments = comments;
                published.replaced = replaced;
            }
            Err(e) => errors.push(e),
        }
    }
    let status = review::status(report, exit_code, pipeline);
    match client.create_status(&cfg.sha, &status) {
        Ok(()) => published.state = status.state,
        Err(e) => errors.push(e),
    }
    match errors.len() {
        0 => Ok(published),
        1 => Err(errors.remove(0)),
        _ => bail!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{e:#}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// Lists the earlier reviews, posts the new one, then deletes the earlier ones of the tool
/// (in that order, so a failed post leaves the old review in place). Returns the new
/// review's id, the inline comments posted and how many reviews were replaced.
fn post_review(
    client: &Client,
    cfg: &ForgejoConfig,
    pr: u64,
    report: &AuditReport,
    changed: Option<&ChangeSet>,
    exit_code: i32,
) -> Result<(u64, usize, usize)> {
    let earlier: Vec<u64> = client
        .list_reviews(pr)?
        .into_iter()
        .filter(|r| review::is_own_review(&r.body))
        .map(|r| r.id)
        .collect();
    let (comments, left_out) = review::inline_comments(report, changed);
    let body = review::body(
        report,
        exit_code,
        cfg.fail_on,
        changed,
        comments.len(),
        left_out,
        cfg.pipeline_url.as_deref(),
    );
    let count = comments.len();
    let id = client.create_review(
        pr,
        &CreateReview {
            body,
            event: review::event(exit_code).to_string(),
            commit_id: cfg.sha.clone(),
            comments,
        },
    )?;
    let mut replaced = 0;
    for old in earlier.into_iter().filter(|old| *old != id) {
        if client.delete_review(pr, old)? {
            replaced += 1;
        }
    }
    Ok((id, count, replaced))
}

#[cfg(test)]
mod tests;
