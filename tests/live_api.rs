//! The live inventory read through kube-rs from a loopback test API server
//! (`support/fake_apiserver.rs`) serving the recorded lists in `fixtures/cluster/api/`.

#[path = "support/fake_apiserver.rs"]
mod fake_apiserver;

use fake_apiserver::{kubeconfig_yaml, serve_fixture, FakeApiServer, Response};
use infra_audit::live::kinds::{by_kind, KindSpec, KINDS};
use infra_audit::live::{from_cluster, ClusterOptions, LiveInventory};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TOKEN: &str = "tok-3f9c2a7e-live-api-test";

/// Values in the Secret and ConfigMap fixtures (plain and base64): none may come out.
const SECRET_VALUES: &[&str] = &[
    "SECRET-VALUE",
    "U0VDUkVULVZBTFVF",
    "CONFIGMAP-VALUE",
    "Q09ORklHTUFQ",
];

const FORBIDDEN_SC: &str = "storageclasses.storage.k8s.io is forbidden: User \
    \"system:serviceaccount:infra:drift\" cannot list resource \"storageclasses\" in API group \
    \"storage.k8s.io\" at the cluster scope";

fn kinds(names: &[&str]) -> Vec<&'static KindSpec> {
    names.iter().map(|k| by_kind(k).unwrap()).collect()
}

fn options(kubeconfig: PathBuf, kinds: Vec<&'static KindSpec>) -> ClusterOptions {
    ClusterOptions {
        kubeconfig: Some(kubeconfig),
        context: None,
        kinds,
        namespaces: Vec::new(),
        timeout: Duration::from_secs(20),
    }
}

fn names(inv: &LiveInventory, kind: &str) -> Vec<String> {
    inv.objects
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| format!("{}/{}", o.namespace.as_deref().unwrap_or("-"), o.name))
        .collect()
}

/// The error with its whole chain, displayed and debugged.
fn everything(err: &anyhow::Error) -> String {
    format!("{err:#}\n{err:?}")
}

#[test]
fn reads_every_kind_following_pages_retries_and_forbidden() {
    let server = FakeApiServer::start(TOKEN, |req, earlier| {
        match req.resource().map(|(plural, _)| plural).as_deref() {
            Some("storageclasses") => Response::status(403, "Forbidden", FORBIDDEN_SC),
            Some("services") if earlier == 0 => {
                Response::status(500, "InternalError", "etcdserver: request timed out")
            }
            _ => serve_fixture(req),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = options(server.kubeconfig(dir.path(), TOKEN), KINDS.iter().collect());
    let inv = from_cluster(&opts).unwrap();

    assert_eq!(inv.source, server.url);
    let read = [
        "ConfigMap",
        "CronJob",
        "Deployment",
        "Job",
        "Namespace",
        "PersistentVolumeClaim",
        "Secret",
        "Service",
    ];
    assert_eq!(inv.kinds_read, read);
    let counts: Vec<usize> = read.iter().map(|k| names(&inv, k).len()).collect();
    assert_eq!(counts, [2, 1, 5, 1, 3, 2, 3, 2]);

    // Five deployments at two a page: three requests, following `continue`.
    let pages = server.requests_to("/apis/apps/v1/deployments");
    let tokens: Vec<_> = pages.iter().map(|r| r.param("continue")).collect();
    assert_eq!(tokens, [None, Some("page-2"), Some("page-4")]);
    assert_eq!(
        names(&inv, "Deployment"),
        [
            "immich/immich-machine-learning",
            "immich/immich-server",
            "monitoring/debug-shell",
            "monitoring/grafana",
            "vaultwarden/vaultwarden"
        ]
    );
    assert!(server.requests().iter().all(|r| r.method == "GET"));
    assert!(server
        .requests()
        .iter()
        .all(|r| r.param("limit") == Some("500")));

    // Forbidden and unserved kinds are not measured, with the reason; the rest went on.
    let not_measured: Vec<_> = inv
        .not_measured
        .iter()
        .map(|nm| {
            (
                nm.kind.as_str(),
                nm.namespace.as_deref(),
                nm.reason.as_str(),
            )
        })
        .collect();
    let not_found = "not found (404): the server could not find the requested resource";
    assert_eq!(
        not_measured,
        [
            ("DaemonSet", None, not_found),
            ("Ingress", None, not_found),
            ("PersistentVolume", None, not_found),
            ("ServiceAccount", None, not_found),
            ("StatefulSet", None, not_found),
            (
                "StorageClass",
                None,
                &*format!("forbidden (403): {FORBIDDEN_SC}")
            ),
        ]
    );

    // The 500 was retried and the second answer read.
    assert_eq!(server.requests_to("/api/v1/services").len(), 2);
    assert_eq!(
        names(&inv, "Service"),
        ["immich/immich-server", "monitoring/grafana"]
    );

    // Secrets and ConfigMaps were asked for as metadata only; nothing else was.
    for req in server.requests() {
        let metadata_only = req
            .header("accept")
            .is_some_and(|a| a.contains("as=PartialObjectMetadataList"));
        let expect = req.path.ends_with("/secrets") || req.path.ends_with("/configmaps");
        assert_eq!(
            metadata_only,
            expect,
            "{} {:?}",
            req.path,
            req.header("accept")
        );
    }
    let admin = inv
        .objects
        .iter()
        .find(|o| o.name == "vaultwarden-admin")
        .unwrap();
    assert_eq!(
        (admin.kind.as_str(), admin.api_version.as_str()),
        ("Secret", "v1")
    );
    assert_eq!(admin.raw["kind"], "Secret");
    assert_eq!(admin.labels["app"], "vaultwarden");
    assert_eq!(
        admin.annotations.keys().collect::<Vec<_>>(),
        ["reloader.stakater.com/match"]
    );
    let everything = format!("{inv:?}");
    for value in SECRET_VALUES {
        assert!(!everything.contains(value), "{value} leaked");
    }

    // Identity and ownership come through.
    let job = inv.objects.iter().find(|o| o.kind == "Job").unwrap();
    assert!(job.owned);
    assert_eq!(job.api_version, "batch/v1");
    let grafana = inv.objects.iter().find(|o| o.name == "grafana").unwrap();
    assert!(!grafana.owned);
    assert_eq!(grafana.annotations["meta.helm.sh/release-name"], "grafana");
    assert_eq!(
        grafana.raw["spec"]["template"]["spec"]["containers"][0]["image"],
        "grafana/grafana:11.3.0"
    );
    let ns = inv.objects.iter().find(|o| o.kind == "Namespace").unwrap();
    assert_eq!(ns.namespace, None);
}

#[test]
fn lists_namespaced_kinds_per_namespace() {
    let server = FakeApiServer::start(TOKEN, |req, _| match req.resource() {
        Some((plural, Some(ns))) if plural == "secrets" && ns == "vaultwarden" => Response::status(
            403,
            "Forbidden",
            "secrets is forbidden: User \"drift\" cannot list resource \"secrets\" in API \
                 group \"\" in the namespace \"vaultwarden\"",
        ),
        _ => serve_fixture(req),
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(
        server.kubeconfig(dir.path(), TOKEN),
        kinds(&["Namespace", "Deployment", "Secret"]),
    );
    opts.namespaces = vec!["vaultwarden".into(), "immich".into()];
    let inv = from_cluster(&opts).unwrap();

    assert_eq!(
        names(&inv, "Deployment"),
        [
            "immich/immich-machine-learning",
            "immich/immich-server",
            "vaultwarden/vaultwarden"
        ]
    );
    assert_eq!(
        names(&inv, "Namespace").len(),
        3,
        "cluster-scoped: listed whole"
    );
    assert_eq!(names(&inv, "Secret"), ["immich/immich-db"]);
    assert_eq!(inv.kinds_read, ["Deployment", "Namespace", "Secret"]);
    assert_eq!(inv.not_measured.len(), 1);
    let nm = &inv.not_measured[0];
    assert_eq!(
        (nm.kind.as_str(), nm.namespace.as_deref()),
        ("Secret", Some("vaultwarden"))
    );
    assert!(nm
        .reason
        .starts_with("forbidden (403): secrets is forbidden"));
    assert!(inv.measured("Secret", Some("immich")));
    assert!(!inv.measured("Secret", Some("vaultwarden")));

    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    for path in [
        "/api/v1/namespaces",
        "/apis/apps/v1/namespaces/immich/deployments",
        "/apis/apps/v1/namespaces/vaultwarden/deployments",
        "/api/v1/namespaces/immich/secrets",
        "/api/v1/namespaces/vaultwarden/secrets",
    ] {
        assert!(
            paths.iter().any(|p| p == path),
            "{path} not requested: {paths:?}"
        );
    }
    assert!(!paths.iter().any(|p| p == "/apis/apps/v1/deployments"));
}

#[test]
fn throttling_is_retried_after_the_delay_the_server_asks_for() {
    let server = FakeApiServer::start(TOKEN, |req, earlier| {
        if req.path.ends_with("/deployments") && earlier == 0 {
            Response::too_many_requests(1)
        } else {
            serve_fixture(req)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = options(server.kubeconfig(dir.path(), TOKEN), kinds(&["Deployment"]));
    let inv = from_cluster(&opts).unwrap();

    assert_eq!(names(&inv, "Deployment").len(), 5);
    assert!(inv.not_measured.is_empty());
    let requests = server.requests_to("/apis/apps/v1/deployments");
    assert_eq!(requests.len(), 4, "the 429, then three pages");
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}"
    );
}

#[test]
fn server_errors_and_bad_answers_make_the_kind_not_measured() {
    let server = FakeApiServer::start(TOKEN, |req, _| {
        if req.path.ends_with("/services") {
            Response::status(503, "ServiceUnavailable", "apiserver is shutting down")
        } else if req.path.ends_with("/persistentvolumeclaims") {
            Response::ok(serde_json::json!({
                "kind": "PersistentVolumeClaimList", "apiVersion": "v1", "metadata": {},
                "items": [{"metadata": {"namespace": "immich"}}]
            }))
        } else {
            serve_fixture(req)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = options(
        server.kubeconfig(dir.path(), TOKEN),
        kinds(&["Service", "Namespace", "PersistentVolumeClaim"]),
    );
    let inv = from_cluster(&opts).unwrap();

    assert_eq!(server.requests_to("/api/v1/services").len(), 4);
    assert_eq!(inv.kinds_read, ["Namespace"]);
    let reasons: Vec<_> = inv
        .not_measured
        .iter()
        .map(|nm| (nm.kind.as_str(), nm.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "PersistentVolumeClaim",
                "unreadable item: PersistentVolumeClaim item has no metadata.name"
            ),
            (
                "Service",
                "server error (503) after 4 attempts: apiserver is shutting down"
            ),
        ]
    );
}

#[test]
fn a_slow_server_is_an_error_within_the_timeout() {
    let server = FakeApiServer::start(TOKEN, |req, _| {
        let response = serve_fixture(req);
        if req.path.ends_with("/cronjobs") {
            response.after(Duration::from_secs(4))
        } else {
            response
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(
        server.kubeconfig(dir.path(), TOKEN),
        kinds(&["Namespace", "CronJob"]),
    );
    opts.namespaces = vec!["vaultwarden".into()];
    opts.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = from_cluster(&opts).unwrap_err();
    let elapsed = started.elapsed();

    assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
    let text = everything(&err);
    assert!(
        text.contains(&format!(
            "timed out after 1s reading from the Kubernetes API server at {} (unfinished: CronJob in vaultwarden)",
            server.url
        )),
        "{text}"
    );
    assert!(!text.contains(TOKEN));
}

#[test]
fn rejected_credentials_are_an_error_that_shows_no_token() {
    let server = FakeApiServer::start(TOKEN, |req, _| serve_fixture(req));
    let dir = tempfile::tempdir().unwrap();
    let wrong = "wrong-token-91b2c3d4e5";
    let opts = options(
        server.kubeconfig(dir.path(), wrong),
        kinds(&["Namespace", "Deployment"]),
    );
    let err = from_cluster(&opts).unwrap_err();

    let text = everything(&err);
    assert!(
        text.starts_with(&format!(
            "the Kubernetes API server at {} rejected the credentials (401 Unauthorized)",
            server.url
        )),
        "{text}"
    );
    assert!(!text.contains(wrong) && !text.contains(TOKEN), "{text}");
    assert!(
        server.requests().is_empty(),
        "unauthenticated requests are not handled"
    );
}

#[test]
fn an_unreachable_server_is_an_error_naming_it() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        kubeconfig_yaml(&[("gone", &url)], "gone", TOKEN),
    )
    .unwrap();
    let mut opts = options(kubeconfig, kinds(&["Namespace"]));
    opts.timeout = Duration::from_secs(5);
    let started = Instant::now();
    let err = from_cluster(&opts).unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(5));
    let text = everything(&err);
    assert!(
        text.starts_with(&format!(
            "cannot reach the Kubernetes API server at {url}: "
        )),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "{text}");
}

#[test]
fn the_context_option_picks_the_cluster() {
    let server = FakeApiServer::start(TOKEN, |req, _| serve_fixture(req));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let contexts = [
        ("other", "http://127.0.0.1:9"),
        ("fake", server.url.as_str()),
    ];
    std::fs::write(&kubeconfig, kubeconfig_yaml(&contexts, "other", TOKEN)).unwrap();
    let mut opts = options(kubeconfig.clone(), kinds(&["Namespace"]));
    opts.context = Some("fake".into());
    let inv = from_cluster(&opts).unwrap();
    assert_eq!(inv.source, server.url);
    assert_eq!(names(&inv, "Namespace").len(), 3);

    opts.context = Some("nope".into());
    let text = everything(&from_cluster(&opts).unwrap_err());
    assert!(
        text.starts_with(&format!(
            "cannot use context \"nope\" of kubeconfig {}",
            kubeconfig.display()
        )),
        "{text}"
    );
}

#[test]
fn an_unreadable_kubeconfig_is_an_error_naming_it() {
    let opts = options(
        PathBuf::from("/nonexistent/kubeconfig"),
        kinds(&["Namespace"]),
    );
    let text = everything(&from_cluster(&opts).unwrap_err());
    assert!(
        text.starts_with("cannot read kubeconfig /nonexistent/kubeconfig: "),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("kubeconfig");
    std::fs::write(
        &broken,
        format!("users:\n- name: x\n  user: {{token: {TOKEN}\n"),
    )
    .unwrap();
    let opts = options(broken.clone(), kinds(&["Namespace"]));
    let text = everything(&from_cluster(&opts).unwrap_err());
    assert!(
        text.starts_with(&format!(
            "cannot read kubeconfig {}: not valid kubeconfig YAML at line 3 column 9 (details not \
             shown: the file holds credentials)",
            broken.display()
        )),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "{text}");
}
