//! A loopback stand-in for Forgejo's API, enough for `audit --forgejo`.
//!
//! HTTP comes from `loopback_http.rs` (127.0.0.1, one request per connection). Every
//! request is recorded with its body. It serves, for one repository and the pull requests
//! it is told about, with the request checks and the response shapes of Forgejo's API:
//!
//! - `GET  /api/v1/repos/{owner}/{repo}/pulls/{index}/reviews?page&limit` -> `[PullReview]`
//! - `POST /api/v1/repos/{owner}/{repo}/pulls/{index}/reviews` (`CreatePullReviewOptions`)
//!   -> 200 `PullReview`; 422 on an unknown event, on a COMMENT/REQUEST_CHANGES without
//!   body or comments, on a comment without path or line
//! - `DELETE /api/v1/repos/{owner}/{repo}/pulls/{index}/reviews/{id}` -> 204; 404 when
//!   there is no such review; 403 when another user wrote it
//! - `POST /api/v1/repos/{owner}/{repo}/statuses/{sha}` (`CreateStatusOption`) -> 201
//!   `CommitStatus`; 422 on an unknown state
//!
//! Every request needs `Authorization: token <token>` (401 otherwise); unknown paths,
//! repositories and pull requests get Forgejo's 404 body. [`FakeForgejo::fail`] makes a
//! route answer with an error, [`FakeForgejo::delay`] makes it answer late.
#![allow(dead_code)]

#[path = "loopback_http.rs"]
mod loopback_http;

pub use loopback_http::Request;
use loopback_http::{LoopbackServer, Reply};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Connections served before the server stops by itself.
pub const MAX_CONNECTIONS: usize = 500;
/// Forgejo's default page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 30;

/// The endpoints served, to aim faults at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET .../pulls/{index}/reviews`.
    ListReviews,
    /// `POST .../pulls/{index}/reviews`.
    CreateReview,
    /// `DELETE .../pulls/{index}/reviews/{id}`.
    DeleteReview,
    /// `POST .../statuses/{sha}`.
    CreateStatus,
}

#[derive(Debug, Clone)]
struct Fault {
    route: Route,
    status: Option<(u16, String)>,
    delay: Duration,
}

/// A review stored by the server.
#[derive(Debug, Clone)]
pub struct StoredReview {
    /// Id.
    pub id: u64,
    /// Pull request index.
    pub pr: u64,
    /// Author's login.
    pub login: String,
    /// `COMMENT`, `REQUEST_CHANGES`, ...
    pub state: String,
    /// Body.
    pub body: String,
    /// Commit.
    pub commit_id: String,
    /// The inline comments as sent.
    pub comments: Vec<Value>,
}

struct State {
    owner: String,
    repo: String,
    /// Login of the token's user.
    user: String,
    pulls: BTreeSet<u64>,
    reviews: Vec<StoredReview>,
    statuses: Vec<(String, Value)>,
    next_id: u64,
    faults: Vec<Fault>,
    requests: Vec<Request>,
}

/// A running server.
pub struct FakeForgejo {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The token it accepts.
    pub token: String,
    state: Arc<Mutex<State>>,
    _server: LoopbackServer,
}

impl FakeForgejo {
    /// Serves repository `owner/repo` with pull requests `pulls`; `token` belongs to user
    /// `user`.
    pub fn start(token: &str, owner_repo: &str, user: &str, pulls: &[u64]) -> FakeForgejo {
        let (owner, repo) = owner_repo.split_once('/').expect("owner/repo");
        let state = Arc::new(Mutex::new(State {
            owner: owner.into(),
            repo: repo.into(),
            user: user.into(),
            pulls: pulls.iter().copied().collect(),
            reviews: Vec::new(),
            statuses: Vec::new(),
            next_id: 100,
            faults: Vec::new(),
            requests: Vec::new(),
        }));
        // The server's URL is only known once it listens; answers need it for their links.
        let url_cell: Arc<Mutex<String>> = Arc::default();
        let (state_, token_, url_) = (state.clone(), token.to_string(), url_cell.clone());
        let server = LoopbackServer::start(MAX_CONNECTIONS, move |request| {
            let url = url_.lock().unwrap().clone();
            let ((status, body), delay) = answer(&request, &token_, &url, &state_);
            Reply {
                status,
                content_type: "application/json;charset=utf-8",
                headers: Vec::new(),
                body: body.map(|b| b.to_string()).unwrap_or_default(),
                delay,
            }
        });
        *url_cell.lock().unwrap() = server.url.clone();
        FakeForgejo {
            url: server.url.clone(),
            token: token.to_string(),
            state,
            _server: server,
        }
    }

    /// Stores an existing review by `login`; returns its id.
    pub fn seed_review(&self, pr: u64, login: &str, state: &str, body: &str) -> u64 {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        s.reviews.push(StoredReview {
            id,
            pr,
            login: login.into(),
            state: state.into(),
            body: body.into(),
            commit_id: "0000000000000000000000000000000000000000".into(),
            comments: Vec::new(),
        });
        id
    }

    /// The reviews of a pull request, oldest first.
    pub fn reviews(&self, pr: u64) -> Vec<StoredReview> {
        let s = self.state.lock().unwrap();
        s.reviews.iter().filter(|r| r.pr == pr).cloned().collect()
    }

    /// Statuses set, as (sha, CreateStatusOption sent).
    pub fn statuses(&self) -> Vec<(String, Value)> {
        self.state.lock().unwrap().statuses.clone()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Makes `route` answer `status` with Forgejo's error body carrying `message`.
    pub fn fail(&self, route: Route, status: u16, message: &str) {
        self.state.lock().unwrap().faults.push(Fault {
            route,
            status: Some((status, message.into())),
            delay: Duration::ZERO,
        });
    }

    /// Makes `route` answer (normally) only after `delay`.
    pub fn delay(&self, route: Route, delay: Duration) {
        self.state.lock().unwrap().faults.push(Fault {
            route,
            status: None,
            delay,
        });
    }
}

/// An answer: status, JSON body (None: no body, as for 204).
type Answer = (u16, Option<Value>);

fn error(url: &str, status: u16, message: &str) -> Answer {
    (
        status,
        Some(json!({ "message": message, "url": format!("{url}/api/swagger") })),
    )
}

fn not_found(url: &str) -> Answer {
    (
        404,
        Some(
            json!({ "errors": [], "message": "The target couldn't be found.", "url": format!("{url}/api/swagger") }),
        ),
    )
}

fn user_json(login: &str) -> Value {
    json!({
        "id": login.len() as u64, "login": login, "login_name": "", "full_name": "",
        "email": format!("{login}@noreply.example.org"), "avatar_url": "", "html_url": "",
        "language": "", "is_admin": false, "restricted": false, "active": true,
        "prohibit_login": false, "visibility": "public"
    })
}

fn review_json(url: &str, owner: &str, repo: &str, r: &StoredReview) -> Value {
    json!({
        "id": r.id,
        "user": user_json(&r.login),
        "team": null,
        "state": r.state,
        "body": r.body,
        "commit_id": r.commit_id,
        "stale": false,
        "official": false,
        "dismissed": false,
        "comments_count": r.comments.len(),
        "submitted_at": "2026-11-22T01:00:00Z",
        "updated_at": "2026-11-22T01:00:00Z",
        "html_url": format!("{url}/{owner}/{repo}/pulls/{}#issuecomment-{}", r.pr, r.id),
        "pull_request_url": format!("{url}/{owner}/{repo}/pulls/{}", r.pr),
    })
}

fn answer(request: &Request, token: &str, url: &str, state: &Mutex<State>) -> (Answer, Duration) {
    let mut s = state.lock().unwrap();
    s.requests.push(request.clone());
    if request.header("authorization") != Some(&format!("token {token}")) {
        return (
            error(url, 401, "user does not exist [uid: 0, name: ]"),
            Duration::ZERO,
        );
    }
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let (owner, repo) = (s.owner.clone(), s.repo.clone());
    let route = match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["api", "v1", "repos", o, r, "pulls", pr, "reviews"]) => {
            Some((Route::ListReviews, *o, *r, pr.parse::<u64>().ok(), None))
        }
        ("POST", ["api", "v1", "repos", o, r, "pulls", pr, "reviews"]) => {
            Some((Route::CreateReview, *o, *r, pr.parse::<u64>().ok(), None))
        }
        ("DELETE", ["api", "v1", "repos", o, r, "pulls", pr, "reviews", id]) => Some((
            Route::DeleteReview,
            *o,
            *r,
            pr.parse::<u64>().ok(),
            Some(id.to_string()),
        )),
        ("POST", ["api", "v1", "repos", o, r, "statuses", sha]) => {
            Some((Route::CreateStatus, *o, *r, None, Some(sha.to_string())))
        }
        _ => None,
    };
    let Some((route, o, r, pr, extra)) = route else {
        return (not_found(url), Duration::ZERO);
    };
    let delay = s
        .faults
        .iter()
        .filter(|f| f.route == route)
        .map(|f| f.delay)
        .max()
        .unwrap_or_default();
    if let Some((code, message)) = s
        .faults
        .iter()
        .filter(|f| f.route == route)
        .find_map(|f| f.status.clone())
    {
        return (error(url, code, &message), delay);
    }
    if o != owner || r != repo {
        return (not_found(url), delay);
    }
    let pr_known = |pr: Option<u64>| pr.filter(|p| s.pulls.contains(p));
    let answer = match route {
        Route::ListReviews => match pr_known(pr) {
            None => not_found(url),
            Some(pr) => {
                let page: usize = request
                    .param("page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1)
                    .max(1);
                let limit: usize = request
                    .param("limit")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(DEFAULT_LIMIT)
                    .clamp(1, 50);
                let all: Vec<Value> = s
                    .reviews
                    .iter()
                    .filter(|r| r.pr == pr)
                    .map(|r| review_json(url, &owner, &repo, r))
                    .collect();
                let items: Vec<Value> = all
                    .into_iter()
                    .skip((page - 1) * limit)
                    .take(limit)
                    .collect();
                (200, Some(Value::Array(items)))
            }
        },
        Route::CreateReview => match pr_known(pr) {
            None => not_found(url),
            Some(pr) => create_review(&mut s, request, url, pr),
        },
        Route::DeleteReview => {
            let id: Option<u64> = extra.and_then(|id| id.parse().ok());
            match (pr_known(pr), id) {
                (Some(pr), Some(id)) => {
                    match s.reviews.iter().position(|r| r.pr == pr && r.id == id) {
                        None => not_found(url),
                        Some(i) if s.reviews[i].login != s.user => {
                            error(url, 403, "only admin and user itself can delete a review")
                        }
                        Some(i) => {
                            s.reviews.remove(i);
                            (204, None)
                        }
                    }
                }
                _ => not_found(url),
            }
        }
        Route::CreateStatus => create_status(&mut s, request, url, &extra.unwrap_or_default()),
    };
    (answer, delay)
}

fn create_review(s: &mut State, request: &Request, url: &str, pr: u64) -> Answer {
    let Ok(opts) = serde_json::from_str::<Value>(&request.body) else {
        return error(url, 422, "[]: invalid JSON");
    };
    let event = opts["event"].as_str().unwrap_or("");
    let state = match event {
        "APPROVED" | "REQUEST_CHANGES" | "COMMENT" => event,
        "" | "PENDING" => "PENDING",
        other => return error(url, 422, &format!("unknown review event: {other}")),
    };
    let body = opts["body"].as_str().unwrap_or("");
    let comments: Vec<Value> = opts["comments"].as_array().cloned().unwrap_or_default();
    if matches!(state, "COMMENT" | "REQUEST_CHANGES")
        && body.trim().is_empty()
        && comments.is_empty()
    {
        return error(
            url,
            422,
            &format!("review event {state} requires a body or a comment"),
        );
    }
    for c in &comments {
        let path_ok = c["path"].as_str().is_some_and(|p| !p.is_empty());
        let line = |k: &str| c[k].as_i64().unwrap_or(0);
        if !path_ok || (line("new_position") <= 0 && line("old_position") <= 0) {
            return error(
                url,
                422,
                "comment needs a path and a new_position or old_position",
            );
        }
    }
    s.next_id += 1;
    let review = StoredReview {
        id: s.next_id,
        pr,
        login: s.user.clone(),
        state: state.into(),
        body: body.into(),
        commit_id: opts["commit_id"].as_str().unwrap_or("").into(),
        comments,
    };
    let json = review_json(url, &s.owner, &s.repo, &review);
    s.reviews.push(review);
    (200, Some(json))
}

fn create_status(s: &mut State, request: &Request, url: &str, sha: &str) -> Answer {
    let Ok(opts) = serde_json::from_str::<Value>(&request.body) else {
        return error(url, 422, "[]: invalid JSON");
    };
    let state = opts["state"].as_str().unwrap_or("");
    if !matches!(
        state,
        "pending" | "success" | "error" | "failure" | "warning"
    ) {
        return error(
            url,
            422,
            &format!("[State]: invalid commit status state `{state}`"),
        );
    }
    s.statuses.push((sha.to_string(), opts.clone()));
    let id = s.statuses.len();
    (
        201,
        Some(json!({
            "id": id,
            "status": state,
            "target_url": opts["target_url"],
            "description": opts["description"],
            "url": format!("{url}/api/v1/repos/{}/{}/statuses/{sha}", s.owner, s.repo),
            "context": opts["context"],
            "creator": user_json(&s.user),
            "created_at": "2026-11-22T01:00:00Z",
            "updated_at": "2026-11-22T01:00:00Z",
        })),
    )
}
