//! The default kubeconfig lookup (`KUBECONFIG`). Alone in its own test binary: it sets a
//! process-wide environment variable, which no other test may see change.

#[path = "support/fake_apiserver.rs"]
mod fake_apiserver;

use fake_apiserver::{serve_fixture, FakeApiServer};
use infra_audit::live::kinds::by_kind;
use infra_audit::live::{from_cluster, ClusterOptions};
use std::time::Duration;

const TOKEN: &str = "tok-env-5e6f7a8b";

#[test]
fn kubeconfig_comes_from_the_environment_when_not_given() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ClusterOptions {
        kinds: vec![by_kind("Namespace").unwrap()],
        timeout: Duration::from_secs(20),
        ..ClusterOptions::default()
    };

    // A broken kubeconfig named by KUBECONFIG is an error, not a fall-back to in-cluster
    // config, and the error does not quote the file.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, format!("users: [{{user: {{token: {TOKEN}}}\n")).unwrap();
    std::env::set_var("KUBECONFIG", &broken);
    let err = format!("{:#}", from_cluster(&opts).unwrap_err());
    assert!(
        err.starts_with("cannot read the kubeconfig from KUBECONFIG or ~/.kube/config: not valid kubeconfig YAML"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "{err}");

    // A KUBECONFIG naming a missing file is an error too.
    std::env::set_var("KUBECONFIG", dir.path().join("missing.yaml"));
    let err = format!("{:#}", from_cluster(&opts).unwrap_err());
    assert!(err.contains("missing.yaml"), "{err}");

    let server = FakeApiServer::start(TOKEN, |req, _| serve_fixture(req));
    std::env::set_var("KUBECONFIG", server.kubeconfig(dir.path(), TOKEN));
    let inv = from_cluster(&opts).unwrap();
    assert_eq!(inv.source, server.url);
    assert_eq!(inv.objects.len(), 3);
}
