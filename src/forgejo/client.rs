//! A small blocking client for the parts of Forgejo's API that publishing uses (pull request
//! reviews and commit statuses), over `ureq` 2. The token travels only in the
//! `Authorization` header; no error message ever contains it.

use anyhow::{anyhow, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A review as Forgejo lists it (`PullReview`; only the fields the tool reads).
#[derive(Debug, Clone, Deserialize)]
pub struct PullReview {
    /// Review id (used to delete it).
    pub id: u64,
    /// Markdown body.
    #[serde(default)]
    pub body: String,
    /// `COMMENT`, `REQUEST_CHANGES`, `APPROVED`, `PENDING`, `REQUEST_REVIEW`.
    #[serde(default)]
    pub state: String,
    /// Who wrote it (absent for team review requests).
    #[serde(default)]
    pub user: Option<User>,
}

/// A Forgejo user (only the login).
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// Login name.
    #[serde(default)]
    pub login: String,
}

/// `CreatePullReviewOptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateReview {
    /// Markdown body.
    pub body: String,
    /// `COMMENT` or `REQUEST_CHANGES`.
    pub event: String,
    /// The commit the review is about (the PR head).
    pub commit_id: String,
    /// Inline comments.
    pub comments: Vec<ReviewComment>,
}

/// `CreatePullReviewComment`: a comment on a line of the new version of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewComment {
    /// Repo-relative path.
    pub path: String,
    /// Markdown body.
    pub body: String,
    /// 1-based line number in the new version of the file.
    pub new_position: u64,
}

/// `CreateStatusOption`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateStatus {
    /// `success`, `failure`, `error` or `pending`.
    pub state: String,
    /// Link shown next to the status (the CI pipeline); empty for none.
    pub target_url: String,
    /// One line.
    pub description: String,
    /// Status name (`infra-audit`).
    pub context: String,
}

/// Reviews asked for per page when listing.
const PAGE_SIZE: usize = 50;
/// Pages read at most when listing reviews (a PR with more than 2,500 reviews is not real).
const MAX_PAGES: usize = 50;

/// A client for one repository of one Forgejo instance.
pub struct Client {
    agent: ureq::Agent,
    /// `https://forgejo.example/api/v1/repos/OWNER/REPO`.
    repo_api: String,
    /// `OWNER/REPO`, for messages.
    repo: String,
    /// Host (and port) of the instance, for messages.
    host: String,
    timeout: Duration,
    authorization: String,
}

impl Client {
    /// A client for `owner/repo` at `base_url` (no trailing slash) with `token`.
    pub fn new(base_url: &str, owner: &str, repo: &str, token: &str, timeout: Duration) -> Client {
        let host = base_url
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or(base_url)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        Client {
            agent: ureq::AgentBuilder::new().timeout(timeout).build(),
            repo_api: format!("{base_url}/api/v1/repos/{owner}/{repo}"),
            repo: format!("{owner}/{repo}"),
            host,
            timeout,
            authorization: format!("token {token}"),
        }
    }

    /// `OWNER/REPO`.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// Every review of pull request `pr` (all pages).
    pub fn list_reviews(&self, pr: u64) -> Result<Vec<PullReview>> {
        let op = format!("listing the reviews of {}#{pr}", self.repo);
        let url = format!("{}/pulls/{pr}/reviews", self.repo_api);
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let request = self
                .request("GET", &url)
                .query("page", &page.to_string())
                .query("limit", &PAGE_SIZE.to_string());
            let response = self.send(&op, request, None)?;
            let batch: Vec<PullReview> = read_json(&op, response, "a list of reviews")?;
            let last = batch.len() < PAGE_SIZE;
            all.extend(batch);
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// Creates (and submits) a review on pull request `pr`; returns its id.
    pub fn create_review(&self, pr: u64, review: &CreateReview) -> Result<u64> {
        let op = format!("creating the review on {}#{pr}", self.repo);
        let url = format!("{}/pulls/{pr}/reviews", self.repo_api);
        let body = serde_json::to_string(review)?;
        let response = self.send(&op, self.request("POST", &url), Some(&body))?;
        let created: PullReview = read_json(&op, response, "a review")?;
        Ok(created.id)
    }

    /// Deletes review `id` of pull request `pr`; false when it was already gone (404: a
    /// concurrent run deleted it first).
    pub fn delete_review(&self, pr: u64, id: u64) -> Result<bool> {
        let op = format!("deleting the earlier review {id} on {}#{pr}", self.repo);
        let url = format!("{}/pulls/{pr}/reviews/{id}", self.repo_api);
        match self.request("DELETE", &url).call() {
            Ok(_) => Ok(true),
            Err(ureq::Error::Status(404, _)) => Ok(false),
            Err(e) => Err(self.describe(&op, e)),
        }
    }

    /// Sets a commit status on `sha`.
    pub fn create_status(&self, sha: &str, status: &CreateStatus) -> Result<()> {
        let short = &sha[..sha.len().min(12)];
        let op = format!(
            "setting the commit status `{}` on {} {short}",
            status.context, self.repo
        );
        let url = format!("{}/statuses/{sha}", self.repo_api);
        let body = serde_json::to_string(status)?;
        self.send(&op, self.request("POST", &url), Some(&body))?;
        Ok(())
    }

    fn request(&self, method: &str, url: &str) -> ureq::Request {
        self.agent
            .request(method, url)
            .set("Authorization", &self.authorization)
            .set("Accept", "application/json")
    }

    /// Sends a request; turns every failure into a message naming the operation and the
    /// HTTP status or transport problem.
    fn send(&self, op: &str, request: ureq::Request, body: Option<&str>) -> Result<ureq::Response> {
        let outcome = match body {
            Some(b) => request
                .set("Content-Type", "application/json")
                .send_string(b),
            None => request.call(),
        };
        outcome.map_err(|e| self.describe(op, e))
    }

    /// A message naming the operation and the HTTP status or transport problem.
    fn describe(&self, op: &str, error: ureq::Error) -> anyhow::Error {
        match error {
            ureq::Error::Status(code, response) => {
                let text = response.into_string().unwrap_or_default();
                anyhow!(
                    "Forgejo: {op} failed: HTTP {code}{}{}",
                    status_hint(code),
                    server_message(&text)
                        .map(|m| format!("; Forgejo said: {m}"))
                        .unwrap_or_default()
                )
            }
            ureq::Error::Transport(t) => {
                anyhow!("Forgejo: {op} failed: {}", self.transport_problem(&t))
            }
        }
    }

    fn transport_problem(&self, t: &ureq::Transport) -> String {
        let host = &self.host;
        if is_timeout(t) {
            return format!(
                "no answer from {host} within {} s (timed out; raise --timeout if the instance is slow)",
                self.timeout.as_secs_f64()
            );
        }
        match t.kind() {
            ureq::ErrorKind::Dns => {
                format!("cannot resolve the host {host} (check CI_FORGE_URL / --forgejo-url)")
            }
            ureq::ErrorKind::ConnectionFailed => {
                format!("cannot connect to {host} (unreachable or refused; check CI_FORGE_URL / --forgejo-url)")
            }
            ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
                "the Forgejo URL is not a valid http(s) URL".to_string()
            }
            kind => format!("could not talk to {host} ({kind})"),
        }
    }
}

/// Parses a JSON answer; a body that is not `what` is an error naming the operation.
fn read_json<T: serde::de::DeserializeOwned>(
    op: &str,
    response: ureq::Response,
    what: &str,
) -> Result<T> {
    let text = response
        .into_string()
        .map_err(|e| anyhow!("Forgejo: {op}: could not read the answer: {e}"))?;
    serde_json::from_str(&text).map_err(|e| anyhow!("Forgejo: {op}: the answer is not {what}: {e}"))
}

/// What a status code usually means for these calls.
fn status_hint(code: u16) -> &'static str {
    match code {
        401 => " Unauthorized (the token was rejected: check FORGEJO_TOKEN)",
        403 => " Forbidden (the token lacks permission: it needs the write:repository scope and write access to the repository)",
        404 => " Not Found (check the Forgejo URL, the repository, the pull request number and the commit; a token that cannot see a private repository also gets 404)",
        409 => " Conflict",
        422 => " Unprocessable Entity (Forgejo rejected the content of the request)",
        429 => " Too Many Requests (rate limited)",
        500..=599 => " (server error on the Forgejo side)",
        _ => "",
    }
}

/// The `message` of a Forgejo `APIError` body (`{"message": "...", "url": "..."}`), or the
/// start of a non-JSON body; at most 300 characters.
fn server_message(text: &str) -> Option<String> {
    let message = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => v
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)?,
        Err(_) => text.trim().to_string(),
    };
    let message: String = message.chars().take(300).collect();
    (!message.is_empty()).then_some(message)
}

/// Whether a transport error is a timeout (ureq reports them as I/O errors of kind
/// `TimedOut`).
fn is_timeout(t: &ureq::Transport) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(t);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) {
                return true;
            }
        }
        source = e.source();
    }
    t.message().is_some_and(|m| m.contains("timed out"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_message_reads_forgejo_errors_and_plain_text() {
        assert_eq!(
            server_message(r#"{"message":"token is required","url":"https://f/api/swagger"}"#),
            Some("token is required".into())
        );
        assert_eq!(
            server_message("  Bad Gateway \n"),
            Some("Bad Gateway".into())
        );
        assert_eq!(server_message(r#"{"url":"x"}"#), None);
        assert_eq!(server_message(""), None);
        assert_eq!(server_message(&"x".repeat(1000)).unwrap().len(), 300);
    }

    #[test]
    fn host_is_taken_from_the_base_url() {
        let c = Client::new(
            "https://git.example.org:3000/sub",
            "acme",
            "infra",
            "t",
            Duration::from_secs(1),
        );
        assert_eq!(c.host, "git.example.org:3000");
        assert_eq!(
            c.repo_api,
            "https://git.example.org:3000/sub/api/v1/repos/acme/infra"
        );
    }
}
