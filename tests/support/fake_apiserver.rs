//! A loopback stand-in for kube-apiserver, enough for read-only list calls.
//!
//! HTTP comes from `loopback_http.rs` (127.0.0.1, one request per connection, a thread per
//! connection, so a slow answer holds up no other). Each request needs `Authorization: Bearer <token>` (401 `Status` otherwise) and is
//! recorded; the test's handler decides the answer, usually through [`serve_fixture`],
//! which behaves like the API server on the recorded lists in `fixtures/cluster/api/`.
//! The server stops when dropped, and after [`MAX_CONNECTIONS`] connections in any case.
#![allow(dead_code)]

#[path = "loopback_http.rs"]
mod loopback_http;

pub use loopback_http::Request;
use loopback_http::{LoopbackServer, Reply};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Connections served before the server stops by itself.
pub const MAX_CONNECTIONS: usize = 1000;
/// Most items a page holds when the client passes `limit`: the API server may return fewer
/// items than asked for, and two a page makes small fixtures span several pages.
pub const SERVER_PAGE: usize = 2;

impl Request {
    /// The resource plural and namespace of a list path: `/api/v1/secrets`,
    /// `/apis/apps/v1/namespaces/immich/deployments`, ...
    pub fn resource(&self) -> Option<(String, Option<String>)> {
        let segments: Vec<&str> = self.path.trim_matches('/').split('/').collect();
        let rest = match segments.as_slice() {
            ["api", _version, rest @ ..] => rest,
            ["apis", _group, _version, rest @ ..] => rest,
            _ => return None,
        };
        match rest {
            [plural] => Some((plural.to_string(), None)),
            ["namespaces", ns, plural] => Some((plural.to_string(), Some(ns.to_string()))),
            _ => None,
        }
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: Value,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Response {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Response {
        Response {
            status: 200,
            headers: Vec::new(),
            body,
            delay: Duration::ZERO,
        }
    }

    /// An error as the API server sends it: a `Status` object.
    pub fn status(code: u16, reason: &str, message: &str) -> Response {
        Response {
            status: code,
            body: json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": message, "reason": reason, "code": code
            }),
            ..Response::ok(Value::Null)
        }
    }

    /// 429 with `Retry-After` (header and `details.retryAfterSeconds`, as the API server does).
    pub fn too_many_requests(retry_after_seconds: u32) -> Response {
        let mut response = Response::status(
            429,
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later",
        );
        response.body["details"] = json!({ "retryAfterSeconds": retry_after_seconds });
        response
            .headers
            .push(("Retry-After".into(), retry_after_seconds.to_string()));
        response
    }

    /// The same answer, `delay` later.
    pub fn after(mut self, delay: Duration) -> Response {
        self.delay = delay;
        self
    }
}

/// Decides the answer to an authenticated request; the second argument counts the earlier
/// requests to the same path (0 for the first).
pub type Handler = dyn Fn(&Request, usize) -> Response + Send + Sync;

/// A running server.
pub struct FakeApiServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The bearer token it accepts.
    pub token: String,
    requests: Arc<Mutex<Vec<Request>>>,
    _server: LoopbackServer,
}

impl FakeApiServer {
    /// Starts a server accepting `token`, answering with `handler`.
    pub fn start(
        token: &str,
        handler: impl Fn(&Request, usize) -> Response + Send + Sync + 'static,
    ) -> FakeApiServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (token_, requests_) = (token.to_string(), requests.clone());
        let server = LoopbackServer::start(MAX_CONNECTIONS, move |request| {
            let response = answer(&request, &token_, &requests_, &handler);
            Reply {
                status: response.status,
                content_type: "application/json",
                headers: response.headers,
                body: response.body.to_string(),
                delay: response.delay,
            }
        });
        FakeApiServer {
            url: server.url.clone(),
            token: token.to_string(),
            requests,
            _server: server,
        }
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests for a path.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Writes a kubeconfig for this server to `dir` (context `fake`, a token user) and
    /// returns its path. `token` is the one the client will send.
    pub fn kubeconfig(&self, dir: &Path, token: &str) -> PathBuf {
        let path = dir.join("kubeconfig.yaml");
        std::fs::write(
            &path,
            kubeconfig_yaml(&[("fake", &self.url)], "fake", token),
        )
        .unwrap();
        path
    }
}

/// A kubeconfig with one context per (name, server), all using one token user.
pub fn kubeconfig_yaml(contexts: &[(&str, &str)], current: &str, token: &str) -> String {
    let mut clusters = String::new();
    let mut ctxs = String::new();
    for (name, server) in contexts {
        clusters.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: {server}\n"
        ));
        ctxs.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: tester\n"
        ));
    }
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{ctxs}\
         current-context: {current}\nusers:\n- name: tester\n  user:\n    token: {token}\n"
    )
}

/// Checks the bearer token (401 `Status` otherwise), records the request, and asks the
/// handler, telling it how many earlier requests went to the same path.
fn answer(
    request: &Request,
    token: &str,
    requests: &Mutex<Vec<Request>>,
    handler: &Handler,
) -> Response {
    if request.header("authorization") != Some(&format!("Bearer {token}")) {
        return Response::status(401, "Unauthorized", "Unauthorized");
    }
    let earlier = {
        let mut all = requests.lock().unwrap();
        let earlier = all.iter().filter(|r| r.path == request.path).count();
        all.push(request.clone());
        earlier
    };
    handler(request, earlier)
}

/// The directory of recorded list responses.
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cluster/api")
}

/// Answers a list request as the API server would from `fixtures/cluster/api/<plural>.json`:
/// 404 when there is no such file; items of other namespaces left out on a namespaced
/// path; pages of at most [`SERVER_PAGE`] items with a `continue` token when `limit` is
/// passed; a `PartialObjectMetadataList` when the `Accept` header asks for one.
pub fn serve_fixture(request: &Request) -> Response {
    let Some((plural, namespace)) = request.resource() else {
        return not_found();
    };
    let Ok(text) = std::fs::read_to_string(fixture_dir().join(format!("{plural}.json"))) else {
        return not_found();
    };
    let mut list: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let mut items = std::mem::take(list["items"].as_array_mut().expect("fixture has items"));
    if let Some(ns) = &namespace {
        items.retain(|item| item["metadata"]["namespace"] == ns.as_str());
    }
    if let Some(limit) = request.param("limit").and_then(|l| l.parse::<usize>().ok()) {
        let start: usize = match request.param("continue") {
            Some(token) => match token.strip_prefix("page-").and_then(|s| s.parse().ok()) {
                Some(start) => start,
                None => return Response::status(400, "BadRequest", "invalid continue token"),
            },
            None => 0,
        };
        let end = (start + limit.min(SERVER_PAGE)).min(items.len());
        if end < items.len() {
            list["metadata"]["continue"] = json!(format!("page-{end}"));
            list["metadata"]["remainingItemCount"] = json!(items.len() - end);
        }
        items = items.get(start..end).unwrap_or_default().to_vec();
    }
    let accept = request.header("accept").unwrap_or("");
    if accept.contains("as=PartialObjectMetadataList") {
        list["kind"] = json!("PartialObjectMetadataList");
        list["apiVersion"] = json!("meta.k8s.io/v1");
        items = items
            .into_iter()
            .map(|item| {
                json!({
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": item["metadata"]
                })
            })
            .collect();
    }
    list["items"] = Value::Array(items);
    Response::ok(list)
}

/// What the API server answers for a resource it does not serve.
pub fn not_found() -> Response {
    Response::status(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}
