//! The declared inventory of Flux / Kubernetes YAML: a small repository shaped like a Flux
//! home-ops repo (kubernetes/apps/<namespace>/<app>/{ks.yaml, app/*.yaml}, a shared
//! volsync component, SOPS secrets, CI files, a Helm chart, Talos config), and a
//! Terragrunt repository whose YAML is Terraform's own.

mod common;

use common::Repo;
use globset::GlobSet;
use infra_audit::index::Value;
use infra_audit::inventory::{self, Declared, DeclaredBy, DeclaredObject, Field};
use std::path::Path;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/terragrunt-homelab");

fn declared(path: &Path) -> Declared {
    inventory::declared(path, &GlobSet::empty()).expect("inventory builds")
}

fn known(s: &str) -> Value {
    Value::Known(s.to_string())
}

fn show(v: &Value) -> String {
    match v {
        Value::Known(s) => s.clone(),
        Value::Unknown(_) => "?".into(),
    }
}

fn unknown_because(v: &Value, text: &str) -> bool {
    matches!(v, Value::Unknown(why) if why.contains(text))
}

/// `kind ns/name path:line [address]` of every object, in inventory order.
fn objects(d: &Declared) -> Vec<String> {
    d.objects
        .iter()
        .map(|o| {
            format!(
                "{} {}/{} {}:{} [{}]",
                o.kind,
                o.namespace.as_ref().map(show).unwrap_or_default(),
                show(&o.name),
                o.location.path,
                o.location.line,
                o.address
            )
        })
        .collect()
}

fn obj<'a>(d: &'a Declared, kind: &str, address: &str) -> &'a DeclaredObject {
    d.objects
        .iter()
        .find(|o| o.kind == kind && o.address == address)
        .unwrap_or_else(|| panic!("no {kind} {address}: {:#?}", objects(d)))
}

/// `(value, path)` of a field.
fn field(o: &DeclaredObject, f: Field) -> (Value, String) {
    let found = o
        .fields
        .iter()
        .find(|d| d.field == f)
        .unwrap_or_else(|| panic!("{} has no {f:?}: {:#?}", o.address, o.fields));
    (found.value.clone(), found.tf_path.clone())
}

const CLUSTER_KS: &str = "\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: Secret
        name: cluster-secrets
";

const WEB_KS: &str = "\
---
# yaml-language-server: $schema=https://kubernetes-schemas.pages.dev/kustomize.toolkit.fluxcd.io/kustomization_v1.json
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: &app web
  namespace: flux-system
spec:
  targetNamespace: media
  commonMetadata:
    labels:
      app.kubernetes.io/name: *app
  components:
    - ../../../../components/volsync
  path: ./kubernetes/apps/media/web/app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      APP: *app
      VOLSYNC_CAPACITY: 5Gi
";

const WEB_DEPLOYMENT: &str = "\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${APP}
  namespace: somewhere-else
  labels:
    app.kubernetes.io/name: ${APP}
  annotations:
    reloader.stakater.com/auto: \"true\"
spec:
  replicas: 1
  strategy:
    type: Recreate
  template:
    spec:
      dnsConfig:
        options:
          - name: ndots
            value: \"1\"
      containers:
        - name: app
          image: ghcr.io/example/web:1.2.3
          env:
            - name: TZ
              value: Europe/Paris
            - name: PUBLIC_URL
              value: https://${APP}.${SECRET_DOMAIN}
            - name: SHELL_VAR
              value: $${HOME}/data
";

const WEB_PVC: &str = "\
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${APP}-cache
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: openebs-hostpath
  resources:
    requests:
      storage: 2Gi
";

const WEB_HELMRELEASE: &str = "\
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${APP}
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: app-template
  values:
    controllers:
      web:
        containers:
          app:
            image:
              repository: ghcr.io/example/web
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: exporter
spec:
  targetNamespace: observability
  interval: 1h
";

const SOPS_SECRET: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
stringData:
  TOKEN: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]
sops:
  age:
    - recipient: age1xyz
  lastmodified: \"2025-01-01T00:00:00Z\"
  mac: ENC[AES256_GCM,data:xyz,type:str]
  version: 3.9.0
";

/// SOPS metadata in a file whose name does not say so.
const SOPS_UNNAMED: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: other
data:
  k: ENC[AES256_GCM,data:abc]
sops:
  version: 3.9.0
";

const DB_KS: &str = "\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: db
  namespace: flux-system
spec:
  targetNamespace: media
  components:
    - ../../../../components/volsync
  path: ./kubernetes/apps/media/db/app
  postBuild:
    substitute:
      APP: db
    substituteFrom:
      - kind: Secret
        name: cluster-secrets
";

/// A Service, a broken document, a StatefulSet with a claim template.
const DB_MULTI: &str = "\
---
apiVersion: v1
kind: Service
metadata:
  name: ${APP}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: [broken
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${APP}
spec:
  replicas: 2
  updateStrategy:
    type: RollingUpdate
  template:
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        storageClassName: fast
        resources:
          requests:
            storage: 10Gi
";

const VOLSYNC_PVC: &str = "\
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${VOLSYNC_CLAIM:-${APP}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ${VOLSYNC_STORAGECLASS:-openebs-hostpath}
  resources:
    requests:
      storage: ${VOLSYNC_CAPACITY:=1Gi}
";

/// A Flux repository shaped like seed 004.
fn flux_repo() -> Repo {
    let repo = Repo::new();
    repo.file("kubernetes/flux/cluster/ks.yaml", CLUSTER_KS)
        .file(
            "kubernetes/apps/media/kustomization.yaml",
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: media\nresources:\n  - ./namespace.yaml\n  - ./web/ks.yaml\n  - ./db/ks.yaml\n",
        )
        .file(
            "kubernetes/apps/media/namespace.yaml",
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: media\n  labels:\n    goldilocks.fairwinds.com/enabled: \"true\"\n",
        )
        .file("kubernetes/apps/media/web/ks.yaml", WEB_KS)
        .file(
            "kubernetes/apps/media/web/app/kustomization.yaml",
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./deployment.yaml\n  - ./helmrelease.yaml\n  - ./pvc.yaml\n  - ./secret.sops.yaml\n",
        )
        .file("kubernetes/apps/media/web/app/deployment.yaml", WEB_DEPLOYMENT)
        .file("kubernetes/apps/media/web/app/pvc.yaml", WEB_PVC)
        .file("kubernetes/apps/media/web/app/helmrelease.yaml", WEB_HELMRELEASE)
        .file("kubernetes/apps/media/web/app/secret.sops.yaml", SOPS_SECRET)
        .file("kubernetes/apps/media/web/app/other-secret.yaml", SOPS_UNNAMED)
        // Helm values: a list, and a map with a `kind` key but no apiVersion.
        .file(
            "kubernetes/apps/media/web/app/values.yaml",
            "- name: a\n- name: b\n",
        )
        .file(
            "kubernetes/apps/media/web/app/config/values.yaml",
            "kind: DaemonSet\nreplicas: 3\nimage:\n  tag: ${APP}\n",
        )
        .file("kubernetes/apps/media/db/ks.yaml", DB_KS)
        .file("kubernetes/apps/media/db/app/resources.yaml", DB_MULTI)
        .file(
            "kubernetes/components/volsync/kustomization.yaml",
            "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./pvc.yaml\n",
        )
        .file("kubernetes/components/volsync/pvc.yaml", VOLSYNC_PVC)
        // Applied by hand, outside Flux.
        .file(
            "manifests/robot.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: robot\n  namespace: tools\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${NAME}\n",
        )
        // What must yield nothing, and no notes.
        .file(".sops.yaml", "creation_rules:\n  - path_regex: .*\\.sops\\.ya?ml\n    age: age1xyz\n")
        .file(
            ".github/workflows/ci.yaml",
            "on: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.sha }}\n",
        )
        .file(
            ".woodpecker/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ci-only\n",
        )
        .file(
            "docker-compose.yaml",
            "services:\n  web:\n    image: nginx:1.27\n    environment:\n      - A=${A}\n",
        )
        .file(
            "charts/web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        )
        .file(
            "charts/web/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  {{- include \"labels\" . | nindent 2 }}\n",
        )
        .file(
            "talos/talconfig.yaml",
            "clusterName: home\nnodes:\n  - hostname: k8s-0\n",
        )
        .file(
            "talos/patches/extension.yaml",
            "apiVersion: v1alpha1\nkind: ExtensionServiceConfig\nname: tailscale\n",
        )
        .file(
            "docs/example.yaml",
            "# just notes\nsteps:\n  - one\n",
        );
    repo
}

#[test]
fn flux_repo_declares_exact_objects() {
    let repo = flux_repo();
    let d = declared(repo.path());
    let web = "(Flux Kustomization web)";
    let db = "(Flux Kustomization db)";
    let apps = "(Flux Kustomization cluster-apps)";
    assert_eq!(
        objects(&d),
        vec![
            format!("Service media/db kubernetes/apps/media/db/app/resources.yaml:3 [Service/${{APP}} {db}]"),
            format!("StatefulSet media/db kubernetes/apps/media/db/app/resources.yaml:15 [StatefulSet/${{APP}} {db}]"),
            format!("PersistentVolumeClaim media/data-db-0 kubernetes/apps/media/db/app/resources.yaml:15 [StatefulSet/${{APP}} {db}]"),
            format!("PersistentVolumeClaim media/data-db-1 kubernetes/apps/media/db/app/resources.yaml:15 [StatefulSet/${{APP}} {db}]"),
            format!("Namespace /media kubernetes/apps/media/namespace.yaml:3 [Namespace/media {apps}]"),
            format!("Deployment media/web kubernetes/apps/media/web/app/deployment.yaml:3 [Deployment/${{APP}} {web}]"),
            format!("PersistentVolumeClaim media/web-cache kubernetes/apps/media/web/app/pvc.yaml:3 [PersistentVolumeClaim/${{APP}}-cache {web}]"),
            format!("PersistentVolumeClaim media/? kubernetes/components/volsync/pvc.yaml:3 [PersistentVolumeClaim/${{VOLSYNC_CLAIM:-${{APP}}}} {db}]"),
            format!("PersistentVolumeClaim media/web kubernetes/components/volsync/pvc.yaml:3 [PersistentVolumeClaim/${{VOLSYNC_CLAIM:-${{APP}}}} {web}]"),
            "ServiceAccount tools/robot manifests/robot.yaml:2 [ServiceAccount/robot]".to_string(),
            "ConfigMap default/? manifests/robot.yaml:8 [ConfigMap/${NAME}]".to_string(),
        ]
    );
    let releases: Vec<String> = d
        .releases
        .iter()
        .map(|r| {
            format!(
                "{}/{} {}:{} [{}]",
                show(&r.namespace),
                show(&r.name),
                r.location.path,
                r.location.line,
                r.address
            )
        })
        .collect();
    assert_eq!(
        releases,
        vec![
            format!("media/web kubernetes/apps/media/web/app/helmrelease.yaml:3 [HelmRelease/${{APP}} {web}]"),
            format!("observability/observability-exporter kubernetes/apps/media/web/app/helmrelease.yaml:20 [HelmRelease/exporter {web}]"),
        ]
    );
}

#[test]
fn flux_repo_notes_only_what_was_left_out() {
    let repo = flux_repo();
    let d = declared(repo.path());
    let notes: Vec<(String, Option<usize>)> =
        d.notes.iter().map(|n| (n.path.clone(), n.line)).collect();
    assert_eq!(
        notes,
        vec![
            (
                "kubernetes/apps/media/db/app/resources.yaml".into(),
                Some(12)
            ),
            (
                "kubernetes/apps/media/web/app/other-secret.yaml".into(),
                None
            ),
            (
                "kubernetes/apps/media/web/app/secret.sops.yaml".into(),
                None
            ),
        ],
        "{:#?}",
        d.notes
    );
    assert!(
        d.notes[0].message.contains("does not parse"),
        "{:#?}",
        d.notes
    );
    assert!(d.notes[1].message.contains("SOPS"));
    assert!(d.notes[2].message.contains("SOPS encrypted"));
    // Nothing of the encrypted files' content reaches a note.
    assert!(!d.notes.iter().any(|n| n.message.contains("ENC[")));
}

#[test]
fn flux_values_are_substituted_or_unknown() {
    let repo = flux_repo();
    let d = declared(repo.path());
    let deploy = obj(
        &d,
        "Deployment",
        "Deployment/${APP} (Flux Kustomization web)",
    );
    // targetNamespace overrides metadata.namespace, as Flux does.
    assert_eq!(deploy.namespace, Some(known("media")));
    assert!(!deploy.ignore_all && deploy.ignore_paths.is_empty());
    assert_eq!(deploy.declared_by, DeclaredBy::Manifest);
    let image = Field::Image {
        container: "app".into(),
    };
    assert_eq!(
        field(deploy, image),
        (
            known("ghcr.io/example/web:1.2.3"),
            "spec.template.spec.containers[0].image".into()
        )
    );
    assert_eq!(
        field(deploy, Field::Label("app.kubernetes.io/name".into())),
        (
            known("web"),
            "metadata.labels[\"app.kubernetes.io/name\"]".into()
        )
    );
    assert_eq!(
        field(
            deploy,
            Field::Annotation("reloader.stakater.com/auto".into())
        )
        .0,
        known("true")
    );
    assert_eq!(
        field(deploy, Field::Replicas),
        (known("1"), "spec.replicas".into())
    );
    assert_eq!(field(deploy, Field::Strategy).0, known("Recreate"));
    assert_eq!(
        field(deploy, Field::DnsOptions),
        (known("ndots=1"), "spec.template.spec.dnsConfig".into())
    );
    let env = |name: &str| Field::Env {
        container: "app".into(),
        name: name.into(),
    };
    assert_eq!(field(deploy, env("TZ")).0, known("Europe/Paris"));
    assert_eq!(field(deploy, env("SHELL_VAR")).0, known("${HOME}/data"));
    let (url, path) = field(deploy, env("PUBLIC_URL"));
    assert!(
        unknown_because(
            &url,
            "`${SECRET_DOMAIN}` is not set by the Flux Kustomization `web`"
        ),
        "{url:?}"
    );
    assert_eq!(path, "spec.template.spec.containers[0].env[1].value");

    // The shared component, once per Kustomization that includes it.
    let claim = "PersistentVolumeClaim/${VOLSYNC_CLAIM:-${APP}}";
    let web_claim = obj(
        &d,
        "PersistentVolumeClaim",
        &format!("{claim} (Flux Kustomization web)"),
    );
    assert_eq!(web_claim.name, known("web"));
    assert_eq!(
        field(web_claim, Field::StorageSize),
        (known("5Gi"), "spec.resources.requests[\"storage\"]".into())
    );
    assert_eq!(
        field(web_claim, Field::StorageClass).0,
        known("openebs-hostpath")
    );
    // db reads substituteFrom: a variable it does not set inline may come from there.
    let db_claim = obj(
        &d,
        "PersistentVolumeClaim",
        &format!("{claim} (Flux Kustomization db)"),
    );
    assert!(
        unknown_because(&db_claim.name, "substituteFrom"),
        "{:?}",
        db_claim.name
    );
    assert!(unknown_because(
        &field(db_claim, Field::StorageSize).0,
        "substituteFrom"
    ));

    // Claim templates of a YAML stateful set.
    let sts = obj(
        &d,
        "StatefulSet",
        "StatefulSet/${APP} (Flux Kustomization db)",
    );
    assert_eq!(field(sts, Field::Replicas).0, known("2"));
    assert_eq!(field(sts, Field::Strategy).0, known("RollingUpdate"));
    let data = d
        .objects
        .iter()
        .find(|o| o.name == known("data-db-1"))
        .expect("claim of the template");
    assert_eq!(
        field(data, Field::StorageClass),
        (
            known("fast"),
            "spec.volumeClaimTemplates[0].spec.storageClassName".into()
        )
    );

    // Outside any Flux Kustomization, placeholders stay unknown.
    let cm = obj(&d, "ConfigMap", "ConfigMap/${NAME}");
    assert!(unknown_because(
        &cm.name,
        "no Flux Kustomization applies this file"
    ));
    let ns = obj(
        &d,
        "Namespace",
        "Namespace/media (Flux Kustomization cluster-apps)",
    );
    assert_eq!(ns.namespace, None);
    assert_eq!(
        field(ns, Field::Label("goldilocks.fairwinds.com/enabled".into())).0,
        known("true")
    );
}

#[test]
fn substitution_can_be_disabled_and_release_names_from_placeholders() {
    let repo = Repo::new();
    repo.file(
        "apps/ks.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: a\nspec:\n  path: apps/a\n  postBuild:\n    substitute:\n      APP: a\n      NS: team\n",
    )
    .file(
        "apps/a/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw-${APP}\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n",
    )
    .file(
        "apps/a/hr.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2beta2\nkind: HelmRelease\nmetadata:\n  name: ${APP}\n  namespace: flux-system\nspec:\n  releaseName: ${APP}-release\n  targetNamespace: ${NS}\n",
    );
    let d = declared(repo.path());
    assert_eq!(
        objects(&d),
        vec!["ConfigMap default/raw-${APP} apps/a/cm.yaml:2 [ConfigMap/raw-${APP} (Flux Kustomization a)]"]
    );
    assert_eq!(d.releases.len(), 1);
    assert_eq!(d.releases[0].name, known("a-release"));
    assert_eq!(d.releases[0].namespace, known("team"));
    assert!(d.notes.is_empty(), "{:#?}", d.notes);
}

#[test]
fn terraform_directories_keep_their_yaml() {
    let repo = Repo::new();
    repo.file(
        "stacks/app/main.tf",
        "resource \"kubernetes_manifest\" \"d\" {\n  manifest = yamldecode(file(\"${path.module}/manifests/deploy.yaml\"))\n}\n",
    )
    .file(
        "stacks/app/manifests/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: app\n",
    )
    .file(
        "stacks/app/broken.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: [\n",
    )
    .file(
        "kubernetes/sa.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n",
    );
    let d = declared(repo.path());
    // The Deployment once (through Terraform), the raw ServiceAccount once.
    assert_eq!(
        d.objects
            .iter()
            .map(|o| (o.kind.as_str(), show(&o.name), o.address.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("Deployment", "d".to_string(), "kubernetes_manifest.d"),
            ("ServiceAccount", "s".to_string(), "ServiceAccount/s"),
        ]
    );
    assert!(d.notes.is_empty(), "{:#?}", d.notes);
}

#[test]
fn excluded_and_gitignored_yaml_is_not_read() {
    let repo = Repo::new();
    let sa = |n: &str| format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {n}\n");
    repo.file("k/a.yaml", &sa("a"))
        .file("k/skip/b.yaml", &sa("b"))
        .file("k/ignored/c.yml", &sa("c"))
        .file(".gitignore", "ignored/\n");
    let exclude = infra_audit::workspace::globset(&["k/skip/**".to_string()]).unwrap();
    let d = inventory::declared(repo.path(), &exclude).unwrap();
    assert_eq!(
        d.objects.iter().map(|o| show(&o.name)).collect::<Vec<_>>(),
        vec!["a"]
    );
}

#[test]
fn terragrunt_fixture_yaml_yields_nothing() {
    let d = declared(Path::new(FIXTURE));
    let yaml = |p: &str| p.ends_with(".yaml") || p.ends_with(".yml");
    assert!(!d.objects.iter().any(|o| yaml(&o.location.path)));
    assert!(!d.releases.iter().any(|r| yaml(&r.location.path)));
    assert!(d.notes.is_empty(), "{:#?}", d.notes);
    assert!(d
        .objects
        .iter()
        .all(|o| o.declared_by == DeclaredBy::Terraform));
    // The exact inventory is asserted by tests/inventory.rs; its size is pinned here.
    assert_eq!((d.objects.len(), d.releases.len()), (86, 3));
}

#[test]
fn flux_objects_drift_like_terraform_ones_without_plan_mutations() {
    use infra_audit::drift::{self, DriftClass, DriftOptions};
    let repo = flux_repo();
    let live = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [{
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "media",
                "labels": {"app.kubernetes.io/name": "web"},
                // Injected by Keel: not drift for a server-side applied manifest.
                "annotations": {"reloader.stakater.com/auto": "true", "keel.sh/policy": "patch"}
            },
            "spec": {
                "replicas": 1,
                "strategy": {"type": "Recreate"},
                "template": {"spec": {
                    "dnsConfig": {"options": [{"name": "ndots", "value": "1"}]},
                    "containers": [{
                        "name": "app",
                        "image": "ghcr.io/example/web:1.2.4",
                        "env": [
                            {"name": "TZ", "value": "Europe/Paris"},
                            {"name": "PUBLIC_URL", "value": "https://web.example.org"},
                            {"name": "SHELL_VAR", "value": "${HOME}/data"}
                        ]
                    }]
                }}
            }
        }, {
            // A chart object of the `web` HelmRelease.
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "web-config",
                "namespace": "media",
                "annotations": {"meta.helm.sh/release-name": "web", "meta.helm.sh/release-namespace": "media"}
            }
        }]
    });
    let snapshot = repo.path().join("live.json");
    std::fs::write(&snapshot, live.to_string()).unwrap();
    let live = infra_audit::live::from_snapshots(&[snapshot]).unwrap();
    let d = declared(repo.path());
    let report = drift::compare(&d, &live, &DriftOptions::default());
    let items: Vec<(DriftClass, String, String)> = report
        .items
        .iter()
        .map(|i| {
            (
                i.class,
                i.name.clone(),
                i.changes
                    .iter()
                    .map(|c| format!("{}: {} -> {}", c.field, c.declared, c.live))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (
                DriftClass::Changed,
                "web".to_string(),
                "container `app` image: ghcr.io/example/web:1.2.3 -> ghcr.io/example/web:1.2.4"
                    .to_string()
            ),
            // Releases are attributed through Helm's annotations.
            (
                DriftClass::Missing,
                "observability-exporter".to_string(),
                String::new()
            ),
        ],
        "{:#?}",
        report.items
    );
    let item = &report.items[0];
    assert_eq!(
        item.location.as_ref().map(|l| (l.path.as_str(), l.line)),
        Some(("kubernetes/apps/media/web/app/deployment.yaml", 3))
    );
}
