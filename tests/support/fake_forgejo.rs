//! A loopback stand-in for Forgejo's API, enough for `audit --forgejo`.
//!
//! Minimal HTTP/1.1 on 127.0.0.1 (an ephemeral port): one request per connection (answered
//! with `Connection: close`), request line, headers and a `Content-Length` body read. Every
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

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Connections served before the server stops by itself.
pub const MAX_CONNECTIONS: usize = 500;
/// Forgejo's default page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 30;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, `DELETE`.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query parameters, in order (not percent-decoded).
    pub query: Vec<(String, String)>,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (Null when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// `METHOD /path` (for asserting the order of calls).
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

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
    stop: Arc<AtomicBool>,
}

impl FakeForgejo {
    /// Serves repository `owner/repo` with pull requests `pulls`; `token` belongs to user
    /// `user`.
    pub fn start(token: &str, owner_repo: &str, user: &str, pulls: &[u64]) -> FakeForgejo {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().unwrap());
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
        let stop = Arc::new(AtomicBool::new(false));
        let (state_, stop_, token_, url_) =
            (state.clone(), stop.clone(), token.to_string(), url.clone());
        thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                if stop_.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (state, token, url) = (state_.clone(), token_.clone(), url_.clone());
                thread::spawn(move || serve(stream, &token, &url, &state));
            }
        });
        FakeForgejo {
            url,
            token: token.to_string(),
            state,
            stop,
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

impl Drop for FakeForgejo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
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

/// Reads one request, answers it, closes the connection.
fn serve(stream: TcpStream, token: &str, url: &str, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream);
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let (answer, delay) = answer(&request, token, url, state);
    thread::sleep(delay);
    let (status, body) = answer;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason_phrase(status),
        body.len()
    );
    let mut stream = reader.into_inner();
    // The client may have given up (timeout test): a failed write is fine.
    let _ = stream
        .write_all(format!("{head}{body}").as_bytes())
        .and_then(|()| stream.flush());
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

/// Request line, headers, and a `Content-Length` body.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let (path, query): (String, Vec<(String, String)>) = (path.to_string(), query);
    let mut headers = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break; // the empty line ending the headers
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut request = Request {
        method,
        path,
        query,
        headers,
        body: String::new(),
    };
    let length: u64 = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = Vec::new();
    reader.take(length).read_to_end(&mut body).ok()?;
    request.body = String::from_utf8_lossy(&body).into_owned();
    Some(request)
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}
