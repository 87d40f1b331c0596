//! Live inventory from the Kubernetes API: read-only list calls through kube-rs.
//!
//! Each kind is listed with the dynamic API (no compile-time types), up to
//! [`CONCURRENCY`] list calls at a time, [`PAGE_SIZE`] objects a page, following `continue`
//! tokens until the last page. Secrets and ConfigMaps are listed metadata-only
//! (`PartialObjectMetadataList`), so their values never leave the server.
//!
//! Failures are sorted by what they mean for the run:
//! - 429 and 5xx are retried ([`ATTEMPTS`] attempts in all) with exponential backoff, or
//!   after the delay the server asks for;
//! - 403, 404 and any other HTTP error of one kind (or one kind in one namespace) make that
//!   kind [`NotMeasured`], with the status and the server's message, and the rest goes on;
//!   so do 429/5xx once the attempts are spent;
//! - rejected credentials (401), an unreachable server and the overall timeout end the run
//!   with an error naming the server URL (never a token: the URL is shown without any
//!   user-info, and credentials never enter a message).

use super::kinds::{KindSpec, KINDS};
use super::{object, LiveInventory, LiveObject, NotMeasured};
use anyhow::{bail, Context, Result};
use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

/// List calls in flight at once.
pub const CONCURRENCY: usize = 4;
/// Objects asked for per page (`limit`).
pub const PAGE_SIZE: u32 = 500;
/// Attempts per page when the server answers 429 or 5xx.
pub const ATTEMPTS: u32 = 4;
/// First backoff delay; it doubles after each failed attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Longest wait before a retry, whatever the server asks for.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// What to read from the cluster and how.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Kubeconfig file; `None`: `KUBECONFIG`, else `~/.kube/config`, else in-cluster config.
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context; `None`: the current context.
    pub context: Option<String>,
    /// Kinds to list.
    pub kinds: Vec<&'static KindSpec>,
    /// Namespaces to list namespaced kinds in; empty: all namespaces (one call per kind).
    /// Cluster-scoped kinds are listed whole either way.
    pub namespaces: Vec<String>,
    /// Time allowed for the whole read, configuration included.
    pub timeout: Duration,
}

impl Default for ClusterOptions {
    /// Every kind in [`KINDS`], all namespaces, default kubeconfig, 30 seconds.
    fn default() -> Self {
        ClusterOptions {
            kubeconfig: None,
            context: None,
            kinds: KINDS.iter().collect(),
            namespaces: Vec::new(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Reads the live inventory from the cluster `opts` points at.
///
/// Blocking: it runs its own single-threaded async runtime, so it must not be called from
/// inside one (that is an error, not a panic). `source` is the API server URL. A kind is in
/// `kinds_read` when at least one of its list calls succeeded; a kind forbidden in one
/// namespace only has a `not_measured` entry naming that namespace (see
/// [`LiveInventory::measured`]). Objects come in (kind, namespace, name) order.
///
/// Errors: no usable configuration, credentials rejected (401), server unreachable, or the
/// timeout expired; each names the server URL and none contains a credential.
pub fn from_cluster(opts: &ClusterOptions) -> Result<LiveInventory> {
    if tokio::runtime::Handle::try_current().is_ok() {
        bail!("from_cluster blocks: call it outside an async runtime");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime for the Kubernetes client")?;
    runtime.block_on(read_cluster(opts))
}

/// The async body of [`from_cluster`].
async fn read_cluster(opts: &ClusterOptions) -> Result<LiveInventory> {
    // Capped so that an absurd timeout cannot overflow the clock.
    let deadline = Instant::now() + opts.timeout.min(Duration::from_secs(365 * 24 * 3600));
    let mut config = tokio::time::timeout_at(deadline, load_config(opts))
        .await
        .with_context(|| {
            format!(
                "timed out after {} loading the Kubernetes configuration",
                seconds(opts.timeout)
            )
        })??;
    let server = server_url(&config);
    // Retries are ours (429 and every 5xx, bounded by the timeout), not kube's default. The
    // overall deadline bounds every call, so kube's own (longer) socket timeouts stay.
    config.default_retry = false;
    let client = Client::try_from(config).with_context(|| {
        format!("cannot build a client for the Kubernetes API server at {server}")
    })?;

    let jobs = jobs(opts);
    // What is not finished yet, for the timeout message.
    let pending: RefCell<BTreeSet<String>> =
        RefCell::new(jobs.iter().map(|(spec, ns)| label(spec, ns)).collect());
    let outcomes = futures::stream::iter(jobs)
        .map(|(spec, namespace)| {
            let (client, server, pending) = (client.clone(), server.as_str(), &pending);
            async move {
                let done = label(spec, &namespace);
                let outcome = list_kind(client, spec, namespace, server).await;
                pending.borrow_mut().remove(&done);
                outcome
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>();
    let outcomes = match tokio::time::timeout_at(deadline, outcomes).await {
        Ok(outcomes) => outcomes?,
        Err(_) => {
            let unfinished: Vec<_> = pending.borrow().iter().cloned().collect();
            bail!(
                "timed out after {} reading from the Kubernetes API server at {server} \
                 (unfinished: {})",
                seconds(opts.timeout),
                unfinished.join(", ")
            );
        }
    };

    let mut inventory = LiveInventory {
        source: server,
        ..LiveInventory::default()
    };
    for outcome in outcomes {
        match outcome {
            Outcome::Read(kind, objects) => {
                inventory.kinds_read.push(kind.to_string());
                inventory.objects.extend(objects);
            }
            Outcome::NotMeasured(nm) => inventory.not_measured.push(nm),
        }
    }
    inventory.normalize();
    Ok(inventory)
}

/// Finds the configuration: the kubeconfig option, else `KUBECONFIG` / `~/.kube/config`,
/// else the in-cluster service account.
async fn load_config(opts: &ClusterOptions) -> Result<Config> {
    let options = KubeConfigOptions {
        context: opts.context.clone(),
        ..KubeConfigOptions::default()
    };
    let (kubeconfig, origin) = match &opts.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .map_err(without_contents)
                .with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
            (kubeconfig, path.display().to_string())
        }
        None => match Kubeconfig::read() {
            Ok(kubeconfig) => (kubeconfig, "KUBECONFIG or ~/.kube/config".to_string()),
            Err(err) if no_kubeconfig(&err) && opts.context.is_none() => {
                return Config::incluster().map_err(|in_cluster| {
                    anyhow::anyhow!(
                        "no Kubernetes configuration: no kubeconfig ({err}; set KUBECONFIG or \
                         pass a kubeconfig file) and not running in a cluster ({in_cluster})"
                    )
                });
            }
            Err(err) => {
                return Err(without_contents(err)
                    .context("cannot read the kubeconfig from KUBECONFIG or ~/.kube/config"))
            }
        },
    };
    Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(without_contents)
        .with_context(|| match &opts.context {
            Some(context) => format!("cannot use context {context:?} of kubeconfig {origin}"),
            None => format!("cannot use the current context of kubeconfig {origin}"),
        })
}

/// A kubeconfig error, without the file's contents: the YAML parser quotes the lines around
/// a syntax error, and a kubeconfig holds tokens and keys. Only the position is kept.
fn without_contents(err: KubeconfigError) -> anyhow::Error {
    match err {
        KubeconfigError::Parse(parse) => {
            let at = parse
                .location()
                .map(|l| format!(" at line {} column {}", l.line(), l.column()))
                .unwrap_or_default();
            anyhow::anyhow!(
                "not valid kubeconfig YAML{at} (details not shown: the file holds credentials)"
            )
        }
        other => anyhow::anyhow!(flatten(&other)),
    }
}

/// An error and its sources as one line, leaving out a source whose message the previous
/// one already ends with (many errors print their source in their own message too).
fn flatten(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut last = text.clone();
    let mut source = err.source();
    while let Some(err) = source {
        let message = err.to_string();
        if !last.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        last = message;
        source = err.source();
    }
    text
}

/// Whether reading the default kubeconfig failed only because there is none (and
/// `KUBECONFIG` does not name one), which is when in-cluster configuration applies.
fn no_kubeconfig(err: &KubeconfigError) -> bool {
    let env_set = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
    match err {
        KubeconfigError::FindPath => true,
        KubeconfigError::ReadConfig(io, _) => !env_set && io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

/// The server URL to show: scheme, host, port and path, never user-info or a query.
fn server_url(config: &Config) -> String {
    let uri = &config.cluster_url;
    let port = uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        uri.scheme_str().unwrap_or("https"),
        uri.host().unwrap_or("unknown-host"),
        uri.path().trim_end_matches('/')
    )
}

/// "2s", "1.5s".
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// The list calls to make: one per kind, or one per kind and namespace for namespaced
/// kinds when namespaces are given.
fn jobs(opts: &ClusterOptions) -> Vec<(&'static KindSpec, Option<String>)> {
    let namespaces: BTreeSet<&String> = opts.namespaces.iter().collect();
    let mut seen = BTreeSet::new();
    let mut jobs = Vec::new();
    for &spec in opts.kinds.iter().filter(|s| seen.insert(s.kind)) {
        if spec.namespaced && !namespaces.is_empty() {
            jobs.extend(namespaces.iter().map(|ns| (spec, Some(ns.to_string()))));
        } else {
            jobs.push((spec, None));
        }
    }
    jobs
}

/// "Deployment", or "Secret in media".
fn label(spec: &KindSpec, namespace: &Option<String>) -> String {
    match namespace {
        Some(ns) => format!("{} in {ns}", spec.kind),
        None => spec.kind.to_string(),
    }
}

/// What one list call (all its pages) came to.
enum Outcome {
    /// The kind was read: its objects.
    Read(&'static str, Vec<LiveObject>),
    /// The kind (in a namespace) could not be read.
    NotMeasured(NotMeasured),
}

/// Lists every page of one kind (in one namespace, or everywhere).
async fn list_kind(
    client: Client,
    spec: &'static KindSpec,
    namespace: Option<String>,
    server: &str,
) -> Result<Outcome> {
    let api_version = match spec.group {
        "" => spec.version.to_string(),
        group => format!("{group}/{}", spec.version),
    };
    let resource = ApiResource {
        group: spec.group.to_string(),
        version: spec.version.to_string(),
        api_version: api_version.clone(),
        kind: spec.kind.to_string(),
        plural: spec.plural.to_string(),
    };
    let api: Api<DynamicObject> = match &namespace {
        Some(ns) => Api::namespaced_with(client, ns, &resource),
        None => Api::all_with(client, &resource),
    };
    let mut params = ListParams::default().limit(PAGE_SIZE);
    let mut objects = Vec::new();
    loop {
        let (items, next) = match with_retry(|| page(&api, spec.metadata_only, &params)).await {
            Ok(page) => page,
            Err((err, attempts)) => return failed(err, attempts, spec, namespace, server),
        };
        for item in items {
            match object::from_json(spec.kind, &api_version, item) {
                Ok(obj) => objects.push(obj),
                Err(err) => {
                    return Ok(Outcome::NotMeasured(NotMeasured {
                        kind: spec.kind.to_string(),
                        namespace,
                        reason: format!("unreadable item: {err:#}"),
                    }))
                }
            }
        }
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(Outcome::Read(spec.kind, objects)),
        }
    }
}

/// One page: its items as JSON, and the `continue` token when there are more.
async fn page(
    api: &Api<DynamicObject>,
    metadata_only: bool,
    params: &ListParams,
) -> kube::Result<(Vec<Value>, Option<String>)> {
    let (items, next) = if metadata_only {
        let list = api.list_metadata(params).await?;
        let items = list
            .items
            .into_iter()
            .map(|item| {
                serde_json::to_value(item.metadata).map(|m| serde_json::json!({ "metadata": m }))
            })
            .collect::<Result<Vec<_>, _>>();
        (items, list.metadata.continue_)
    } else {
        let list = api.list(params).await?;
        let items = list.items.into_iter().map(serde_json::to_value).collect();
        (items, list.metadata.continue_)
    };
    let items = items.map_err(kube::Error::SerdeError)?;
    Ok((items, next.filter(|token| !token.is_empty())))
}

/// Runs `call` until it succeeds, fails with something other than 429/5xx, or has had
/// [`ATTEMPTS`] attempts; the error comes with the number of attempts made.
async fn with_retry<T, F, Fut>(mut call: F) -> Result<T, (kube::Error, u32)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = kube::Result<T>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(kube::Error::Api(status)) if retryable(status.code) && attempt < ATTEMPTS => {
                tokio::time::sleep(retry_delay(&status, backoff)).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                attempt += 1;
            }
            Err(err) => return Err((err, attempt)),
        }
    }
}

/// 429 Too Many Requests and every 5xx are worth another attempt.
fn retryable(code: u16) -> bool {
    code == 429 || (500..600).contains(&code)
}

/// The wait before the next attempt: what the server asks for, else `backoff`.
///
/// kube-rs turns an error response into its `Status` body and drops the headers; the API
/// server sends its `Retry-After` header's value in that body too, as
/// `details.retryAfterSeconds`.
fn retry_delay(status: &kube::core::Status, backoff: Duration) -> Duration {
    status
        .details
        .as_ref()
        .map(|d| d.retry_after_seconds)
        .filter(|&s| s > 0)
        .map_or(backoff, |s| Duration::from_secs(u64::from(s)))
        .min(MAX_BACKOFF)
}

/// What a failed list call means: the kind is not measured, or the whole run stops.
fn failed(
    err: kube::Error,
    attempts: u32,
    spec: &KindSpec,
    namespace: Option<String>,
    server: &str,
) -> Result<Outcome> {
    let reason = match err {
        kube::Error::Api(status) => {
            let message = status.message.trim();
            let what = match status.code {
                401 => bail!(
                    "the Kubernetes API server at {server} rejected the credentials \
                     (401 Unauthorized): {message}"
                ),
                403 => "forbidden (403)".to_string(),
                404 => "not found (404)".to_string(),
                429 => "too many requests (429)".to_string(),
                code @ 500..=599 => format!("server error ({code})"),
                0 => "request failed".to_string(),
                code => format!("HTTP {code}"),
            };
            match attempts {
                1 => format!("{what}: {message}"),
                n => format!("{what} after {n} attempts: {message}"),
            }
        }
        kube::Error::SerdeError(err) => format!("unreadable response: {err}"),
        err @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
            bail!(
                "cannot reach the Kubernetes API server at {server}: {}",
                flatten(&err)
            );
        }
        err => bail!(
            "cannot list {} from the Kubernetes API server at {server}: {}",
            spec.plural,
            flatten(&err)
        ),
    };
    Ok(Outcome::NotMeasured(NotMeasured {
        kind: spec.kind.to_string(),
        namespace,
        reason,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::StatusDetails;
    use kube::core::Status;

    fn options(kinds: &[&str], namespaces: &[&str]) -> ClusterOptions {
        ClusterOptions {
            kinds: kinds
                .iter()
                .map(|k| super::super::kinds::by_kind(k).unwrap())
                .collect(),
            namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
            ..ClusterOptions::default()
        }
    }

    #[test]
    fn plans_one_call_per_kind_or_per_namespace() {
        let all = jobs(&options(&["Namespace", "Deployment", "Deployment"], &[]));
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|(_, ns)| ns.is_none()));
        let some = jobs(&options(&["Namespace", "Secret"], &["b", "a", "b"]));
        let shown: Vec<_> = some
            .iter()
            .map(|(s, ns)| format!("{}:{}", s.kind, ns.as_deref().unwrap_or("-")))
            .collect();
        assert_eq!(shown, ["Namespace:-", "Secret:a", "Secret:b"]);
    }

    #[test]
    fn retries_only_throttling_and_server_errors() {
        assert!(retryable(429) && retryable(500) && retryable(503) && retryable(599));
        assert!(!retryable(400) && !retryable(403) && !retryable(404) && !retryable(410));
    }

    #[test]
    fn retry_delay_prefers_the_server_hint_within_bounds() {
        let backoff = Duration::from_millis(200);
        let mut status = Status::failure("slow down", "TooManyRequests").with_code(429);
        assert_eq!(retry_delay(&status, backoff), backoff);
        status.details = Some(
            serde_json::from_value::<StatusDetails>(serde_json::json!({"retryAfterSeconds": 3}))
                .unwrap(),
        );
        assert_eq!(retry_delay(&status, backoff), Duration::from_secs(3));
        status.details.as_mut().unwrap().retry_after_seconds = 3600;
        assert_eq!(retry_delay(&status, backoff), MAX_BACKOFF);
    }

    #[test]
    fn server_url_hides_user_info() {
        let mut config = Config::new(
            "https://admin:hunter2@k8s.example:6443/prefix/"
                .parse()
                .unwrap(),
        );
        assert_eq!(server_url(&config), "https://k8s.example:6443/prefix");
        config.cluster_url = "http://127.0.0.1".parse().unwrap();
        assert_eq!(server_url(&config), "http://127.0.0.1");
    }

    #[test]
    fn flatten_skips_sources_already_in_the_message() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = KubeconfigError::ReadConfig(io, PathBuf::from("/k"));
        assert_eq!(
            flatten(&err),
            "failed to read kubeconfig from '\"/k\"': no such file"
        );
        let outer = anyhow::Error::msg("inner").context("outer");
        assert_eq!(flatten(outer.as_ref()), "outer: inner");
    }

    #[test]
    fn refuses_to_nest_runtimes() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = runtime.block_on(async { from_cluster(&ClusterOptions::default()) });
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("outside an async runtime"));
    }
}
