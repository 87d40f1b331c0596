//! The declared inventory: exact objects for fixtures/terragrunt-homelab, and small
//! repositories for tfvars, Terragrunt inputs and var files, encrypted var files, count /
//! for_each, functions, module calls and manifests.

mod common;

use common::Repo;
use globset::GlobSet;
use infra_audit::index::Value;
use infra_audit::inventory::{self, Declared, DeclaredObject, Field};
use std::path::Path;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/terragrunt-homelab");

fn declared(path: &Path) -> Declared {
    inventory::declared(path, &GlobSet::empty()).expect("inventory builds")
}

fn fixture() -> Declared {
    declared(Path::new(FIXTURE))
}

fn known(s: &str) -> Value {
    Value::Known(s.to_string())
}

fn is_unknown_with(v: &Value, text: &str) -> bool {
    matches!(v, Value::Unknown(why) if why.contains(text))
}

/// The object of `kind` named `name` (known name), in namespace `ns` (`None` when
/// cluster-scoped).
fn obj<'a>(d: &'a Declared, kind: &str, ns: Option<&str>, name: &str) -> &'a DeclaredObject {
    let found: Vec<&DeclaredObject> = d
        .objects
        .iter()
        .filter(|o| o.kind == kind && o.name == known(name) && o.namespace == ns.map(known))
        .collect();
    match found.as_slice() {
        [one] => one,
        _ => panic!(
            "expected one {kind} {ns:?}/{name}, found {}; objects: {:#?}",
            found.len(),
            d.objects
                .iter()
                .map(|o| format!("{} {:?} {:?} {}", o.kind, o.namespace, o.name, o.address))
                .collect::<Vec<_>>()
        ),
    }
}

/// `(value, tf_path)` of a field.
fn field(o: &DeclaredObject, f: Field) -> (Value, String) {
    let found = o
        .fields
        .iter()
        .find(|d| d.field == f)
        .unwrap_or_else(|| panic!("{} has no {f:?}: {:#?}", o.address, o.fields));
    (found.value.clone(), found.tf_path.clone())
}

fn image(c: &str) -> Field {
    Field::Image {
        container: c.into(),
    }
}

fn has_field(o: &DeclaredObject, f: &Field) -> bool {
    o.fields.iter().any(|d| &d.field == f)
}

// ---------------------------------------------------------------------------------------
// fixtures/terragrunt-homelab

#[test]
fn fixture_blog_deployments_declare_images_per_container() {
    let d = fixture();
    let blog = obj(&d, "Deployment", Some("blog"), "blog");
    assert_eq!(blog.address, "kubernetes_deployment.blog");
    assert_eq!(
        (blog.location.path.as_str(), blog.location.line),
        ("stacks/blog/main.tf", 15)
    );
    assert_eq!(
        field(blog, image("nginx")),
        (
            known("nginx:1.27-alpine"),
            "spec[0].template[0].spec[0].container[0].image".into()
        )
    );
    assert_eq!(
        field(blog, image("nginx-exporter")),
        (
            known("nginx/nginx-prometheus-exporter:1.4.0"),
            "spec[0].template[0].spec[0].container[1].image".into()
        )
    );
    assert_eq!(
        field(
            blog,
            Field::InitImage {
                container: "content-sync".into()
            }
        ),
        (
            known("alpine/git:2.47.2"),
            "spec[0].template[0].spec[0].init_container[0].image".into()
        )
    );
    assert_eq!(
        field(blog, Field::Replicas),
        (known("2"), "spec[0].replicas".into())
    );
    assert_eq!(
        field(blog, Field::Label("app".into())),
        (known("blog"), "metadata[0].labels[\"app\"]".into())
    );
    assert!(!blog.ignore_all);
    assert!(blog
        .ignore_paths
        .contains(&"spec[0].template[0].spec[0].container[1].image".to_string()));
    assert!(blog
        .ignore_paths
        .contains(&"metadata[0].annotations[\"keel.sh/policy\"]".to_string()));

    // The namespace comes from a local here.
    let comments = obj(&d, "Deployment", Some("blog"), "blog-comments");
    assert_eq!(
        field(comments, image("remark42")).0,
        known("umputun/remark42:v1.14.0")
    );

    // Containers from a dynamic block over a literal map, in key order.
    let renderer = obj(&d, "Deployment", Some("blog"), "blog-renderer");
    assert_eq!(
        field(renderer, image("katex")),
        (
            known("ghcr.io/viktorbarzin/katex-server:0.16.21"),
            "spec[0].template[0].spec[0].container[0].image".into()
        )
    );
    assert_eq!(
        field(renderer, image("mermaid")).1,
        "spec[0].template[0].spec[0].container[1].image"
    );

    // Labels and annotations the resource declares; the Keel opt-out label.
    let drafts = obj(&d, "Deployment", Some("blog"), "blog-drafts");
    assert_eq!(
        field(drafts, Field::Label("keel.sh/policy".into())).0,
        known("never")
    );
    let webhook = obj(&d, "Deployment", Some("blog"), "blog-webhook");
    assert_eq!(webhook.address, "kubernetes_deployment_v1.blog_webhook");
    assert_eq!(
        field(webhook, Field::Annotation("keel.sh/pollSchedule".into())),
        (
            known("@every 6h"),
            "metadata[0].annotations[\"keel.sh/pollSchedule\"]".into()
        )
    );
}

#[test]
fn fixture_cron_jobs_daemon_sets_and_services() {
    let d = fixture();
    let sitemap = obj(&d, "CronJob", Some("blog"), "blog-sitemap");
    assert_eq!(
        field(sitemap, image("sitemap")),
        (
            known("ghcr.io/viktorbarzin/blog-tools:3f9c2a1b"),
            "spec[0].job_template[0].spec[0].template[0].spec[0].container[0].image".into()
        )
    );
    assert!(!has_field(sitemap, &Field::Replicas));
    let promtail = obj(&d, "DaemonSet", Some("monitoring"), "promtail");
    assert_eq!(promtail.address, "kubernetes_daemonset.promtail");
    assert_eq!(
        field(promtail, image("promtail")).0,
        known("grafana/promtail:3.4.2")
    );
    let service = obj(&d, "Service", Some("blog"), "blog");
    assert!(service.fields.is_empty());
    let ns = obj(&d, "Namespace", None, "blog");
    assert_eq!(
        field(ns, Field::Label("keel.sh/enrolled".into())).0,
        known("true")
    );
    // Strategy and literal env values.
    let vw = obj(&d, "Deployment", Some("vaultwarden"), "vaultwarden");
    assert_eq!(
        field(vw, Field::Strategy),
        (known("Recreate"), "spec[0].strategy[0].type".into())
    );
    assert_eq!(
        field(
            vw,
            Field::Env {
                container: "vaultwarden".into(),
                name: "SIGNUPS_ALLOWED".into()
            }
        ),
        (
            known("false"),
            "spec[0].template[0].spec[0].container[0].env[1].value".into()
        )
    );
    // A label from a local that uses format() inside a template.
    assert_eq!(
        field(vw, Field::Label("app.kubernetes.io/instance".into())).0,
        known("vaultwarden-server")
    );
    let kuma = obj(&d, "Deployment", Some("uptime-kuma"), "uptime-kuma");
    assert!(kuma.ignore_all);
}

#[test]
fn fixture_claims_with_storage_class_and_size() {
    let d = fixture();
    let pvc = obj(
        &d,
        "PersistentVolumeClaim",
        Some("vaultwarden"),
        "vaultwarden-data-encrypted",
    );
    assert_eq!(
        pvc.address,
        "kubernetes_persistent_volume_claim.data_encrypted"
    );
    assert_eq!(
        (pvc.location.path.as_str(), pvc.location.line),
        ("stacks/vaultwarden/main.tf", 27)
    );
    assert_eq!(
        field(pvc, Field::StorageClass),
        (
            known("proxmox-lvm-encrypted"),
            "spec[0].storage_class_name".into()
        )
    );
    assert_eq!(
        field(pvc, Field::StorageSize),
        (
            known("1Gi"),
            "spec[0].resources[0].requests[\"storage\"]".into()
        )
    );
    assert_eq!(
        field(
            pvc,
            Field::Annotation("resize.topolvm.io/storage_limit".into())
        )
        .0,
        known("5Gi")
    );
    // No storage class declared: no field (the cluster default is not drift).
    let freshrss = obj(
        &d,
        "PersistentVolumeClaim",
        Some("freshrss"),
        "freshrss-data",
    );
    assert!(!has_field(freshrss, &Field::StorageClass));

    // for_each over toset([...]) of a local.
    for key in ["hls", "thumbnails"] {
        let c = obj(
            &d,
            "PersistentVolumeClaim",
            Some("f1-stream"),
            &format!("f1-stream-{key}-proxmox"),
        );
        assert_eq!(
            c.address,
            format!("kubernetes_persistent_volume_claim.cache[\"{key}\"]")
        );
        assert_eq!(field(c, Field::StorageSize).0, known("2Gi"));
    }

    // Stateful-set claim templates: <template>-<set>-<ordinal>, one per replica.
    for i in 0..3 {
        let c = obj(
            &d,
            "PersistentVolumeClaim",
            Some("redis"),
            &format!("data-redis-node-{i}"),
        );
        assert_eq!(c.address, "kubernetes_stateful_set_v1.redis_node");
        assert_eq!(
            field(c, Field::StorageClass),
            (
                known("proxmox-lvm-encrypted"),
                "spec[0].volume_claim_template[0].spec[0].storage_class_name".into()
            )
        );
    }
    assert!(!d
        .objects
        .iter()
        .any(|o| o.name == known("data-redis-node-3")));
    let search = obj(
        &d,
        "PersistentVolumeClaim",
        Some("blog"),
        "index-blog-search-0",
    );
    assert_eq!(field(search, Field::StorageSize).0, known("1Gi"));
}

#[test]
fn fixture_nfs_volume_module_is_expanded_per_call() {
    let d = fixture();
    let pv = obj(&d, "PersistentVolume", None, "vaultwarden-backup-host");
    assert_eq!(
        pv.address,
        "module.nfs_backup.kubernetes_persistent_volume.this"
    );
    assert_eq!(
        (pv.location.path.as_str(), pv.location.line),
        ("stacks/vaultwarden/main.tf", 50)
    );
    assert_eq!(
        field(pv, Field::MountOptions),
        (
            known("nfsvers=4,soft,timeo=30,retrans=3,actimeo=5"),
            "spec[0].mount_options".into()
        )
    );
    // The module's default storage size.
    assert_eq!(
        field(pv, Field::StorageSize),
        (known("10Gi"), "spec[0].capacity[\"storage\"]".into())
    );
    assert_eq!(field(pv, Field::StorageClass).0, known("nfs-proxmox"));
    let pvc = obj(
        &d,
        "PersistentVolumeClaim",
        Some("vaultwarden"),
        "vaultwarden-backup-host",
    );
    assert_eq!(
        pvc.address,
        "module.nfs_backup.kubernetes_persistent_volume_claim.this"
    );

    // nextcloud passes its own size.
    let pv = obj(&d, "PersistentVolume", None, "nextcloud-data-host");
    assert_eq!(field(pv, Field::StorageSize).0, known("500Gi"));
    assert_eq!(
        (pv.location.path.as_str(), pv.location.line),
        ("stacks/nextcloud/main.tf", 47)
    );
    let pvc = obj(
        &d,
        "PersistentVolumeClaim",
        Some("nextcloud"),
        "nextcloud-data-host",
    );
    assert_eq!(
        field(pvc, Field::StorageSize),
        (
            known("500Gi"),
            "spec[0].resources[0].requests[\"storage\"]".into()
        )
    );

    // Module directories declare nothing on their own.
    assert!(d
        .objects
        .iter()
        .all(|o| !o.location.path.starts_with("modules/")
            && !o.location.path.starts_with("stacks/dbaas/modules/")));
    assert_eq!(
        d.objects
            .iter()
            .filter(|o| o.address.ends_with("kubernetes_persistent_volume.this"))
            .count(),
        2
    );
}

#[test]
fn fixture_manifests_stack_local_module_and_sealed_secrets() {
    let d = fixture();
    let pvc = obj(&d, "PersistentVolumeClaim", Some("dbaas"), "pgdump-scratch");
    assert_eq!(
        pvc.address,
        "module.dbaas.kubernetes_manifest.pgdump_scratch"
    );
    assert_eq!(
        (pvc.location.path.as_str(), pvc.location.line),
        ("stacks/dbaas/main.tf", 13)
    );
    assert_eq!(
        field(pvc, Field::StorageClass),
        (known("local-path"), "manifest.spec.storageClassName".into())
    );
    assert_eq!(
        field(pvc, Field::StorageSize),
        (
            known("20Gi"),
            "manifest.spec.resources.requests[\"storage\"]".into()
        )
    );
    // The rest of the stack-local module, with the module's own namespace reference.
    let pgbouncer = obj(&d, "Deployment", Some("dbaas"), "pgbouncer");
    assert_eq!(
        pgbouncer.address,
        "module.dbaas.kubernetes_deployment.pgbouncer"
    );
    assert_eq!(field(pgbouncer, Field::Replicas).0, known("3"));
    let mysql = obj(
        &d,
        "PersistentVolumeClaim",
        Some("dbaas"),
        "data-mysql-standalone-0",
    );
    assert_eq!(field(mysql, Field::StorageSize).0, known("15Gi"));
    // A sensitive variable's value is never declared.
    let set = obj(&d, "StatefulSet", Some("dbaas"), "mysql-standalone");
    let (password, _) = field(
        set,
        Field::Env {
            container: "mysql".into(),
            name: "MYSQL_ROOT_PASSWORD".into(),
        },
    );
    assert!(is_unknown_with(&password, "sensitive"), "{password:?}");

    // for_each = fileset(path.module, "sealed-*.yaml") with yamldecode(file(...)).
    let sealed = obj(&d, "SealedSecret", Some("freshrss"), "freshrss-oidc");
    assert_eq!(
        sealed.address,
        "kubernetes_manifest.sealed_secrets[\"sealed-freshrss-oidc.yaml\"]"
    );
    assert_eq!(
        field(sealed, Field::Label("app".into())),
        (
            known("freshrss"),
            "manifest.metadata.labels[\"app\"]".into()
        )
    );
}

#[test]
fn fixture_unknown_values_stay_unknown() {
    let d = fixture();
    // var.agent_namespace has no default; the root terraform.tfvars is git-crypt encrypted.
    let agent = d
        .objects
        .iter()
        .find(|o| o.address == "kubernetes_deployment.woodpecker_agent")
        .expect("woodpecker agent declared");
    assert_eq!(agent.kind, "Deployment");
    assert_eq!(agent.name, known("woodpecker-agent"));
    let ns = agent.namespace.clone().expect("namespaced");
    assert!(is_unknown_with(&ns, "git-crypt"), "{ns:?}");
    assert_eq!(
        field(agent, image("agent")).0,
        known("woodpeckerci/woodpecker-agent:v3.5.2")
    );
    // var.immich_version has a default, but the encrypted var file passed after it could
    // override it: unknown, not the default.
    let immich = obj(&d, "Deployment", Some("immich"), "immich-server");
    let (img, _) = field(immich, image("immich-server"));
    assert!(is_unknown_with(&img, "terraform.tfvars"), "{img:?}");
    // A stack without Terragrunt: a variable without default is unknown.
    let import = obj(&d, "CronJob", Some("health"), "health-import");
    let (host, _) = field(
        import,
        Field::Env {
            container: "import".into(),
            name: "DB_HOST".into(),
        },
    );
    assert!(is_unknown_with(&host, "no default"), "{host:?}");
    // Every known identity is declared once.
    let mut ids: Vec<String> = d
        .objects
        .iter()
        .filter_map(|o| match (&o.name, &o.namespace) {
            (Value::Known(n), None) => Some(format!("{}//{n}", o.kind)),
            (Value::Known(n), Some(Value::Known(ns))) => Some(format!("{}/{ns}/{n}", o.kind)),
            _ => None,
        })
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "duplicate declared identities");
    assert!(d.notes.is_empty(), "{:#?}", d.notes);
}

#[test]
fn fixture_helm_releases() {
    let d = fixture();
    let mut releases: Vec<(Value, Value, String)> = d
        .releases
        .iter()
        .map(|r| (r.name.clone(), r.namespace.clone(), r.address.clone()))
        .collect();
    releases.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(
        releases,
        vec![
            (
                known("csi-driver-nfs"),
                known("nfs-csi"),
                "helm_release.csi_driver_nfs".into()
            ),
            (known("n8n"), known("n8n"), "helm_release.n8n".into()),
            (
                known("nextcloud"),
                known("nextcloud"),
                "helm_release.nextcloud".into()
            ),
        ]
    );
    let n8n = d.releases.iter().find(|r| r.name == known("n8n")).unwrap();
    assert_eq!(
        (n8n.location.path.as_str(), n8n.location.line),
        ("stacks/n8n/main.tf", 10)
    );
}

// ---------------------------------------------------------------------------------------
// Small repositories

const ROOT_TG: &str = r#"
locals {
  stack = basename(get_terragrunt_dir())
}

terraform {
  extra_arguments "shared_vars" {
    commands = get_terraform_commands_that_need_vars()
    arguments = [
      "-var-file=${get_parent_terragrunt_dir()}/config.tfvars",
    ]
  }
}

inputs = {
  stack_name = local.stack
  tier       = "root"
}
"#;

const INCLUDE: &str = "include {\n  path = find_in_parent_folders()\n}\n";

const APP: &str = r#"
variable "namespace" {}
variable "image_tag" {
  default = "default-tag"
}
variable "stack_name" {}
variable "tier" {}

resource "kubernetes_deployment" "app" {
  metadata {
    name      = "app-${var.stack_name}"
    namespace = var.namespace
    labels = {
      tier = var.tier
    }
  }
  spec {
    template {
      spec {
        container {
          name  = "app"
          image = "registry/app:${var.image_tag}"
        }
      }
    }
  }
}
"#;

#[test]
fn tfvars_and_terragrunt_var_files_set_variables() {
    let repo = Repo::new();
    repo.file("terragrunt.hcl", ROOT_TG)
        .file(
            "config.tfvars",
            "namespace = \"apps\"\nimage_tag = \"1.2.3\"\n",
        )
        .file("stacks/app/terragrunt.hcl", INCLUDE)
        .file("stacks/app/main.tf", APP);
    let d = declared(repo.path());
    let app = obj(&d, "Deployment", Some("apps"), "app-app");
    assert_eq!(field(app, image("app")).0, known("registry/app:1.2.3"));
    assert_eq!(field(app, Field::Label("tier".into())).0, known("root"));
}

#[test]
fn precedence_defaults_inputs_auto_tfvars_var_files() {
    let repo = Repo::new();
    repo.file("terragrunt.hcl", ROOT_TG)
        // The var file passed by extra_arguments wins over everything.
        .file("config.tfvars", "namespace = \"apps\"\n")
        .file(
            "stacks/app/terragrunt.hcl",
            &format!(
                "{INCLUDE}\ninputs = {{\n  tier = \"child\"\n  namespace = \"from-inputs\"\n}}\n"
            ),
        )
        .file("stacks/app/main.tf", APP)
        // Auto-loaded files beat inputs; *.auto.tfvars beat terraform.tfvars.
        .file(
            "stacks/app/terraform.tfvars",
            "image_tag = \"from-tfvars\"\ntier = \"tfvars\"\n",
        )
        .file("stacks/app/b.auto.tfvars", "image_tag = \"from-auto\"\n");
    let d = declared(repo.path());
    let app = obj(&d, "Deployment", Some("apps"), "app-app");
    assert_eq!(field(app, image("app")).0, known("registry/app:from-auto"));
    assert_eq!(field(app, Field::Label("tier".into())).0, known("tfvars"));
}

#[test]
fn terragrunt_inputs_merge_over_the_included_root() {
    let repo = Repo::new();
    repo.file("terragrunt.hcl", ROOT_TG)
        .file("config.tfvars", "namespace = \"apps\"\n")
        .file(
            "stacks/app/terragrunt.hcl",
            &format!("{INCLUDE}\ninputs = {{\n  tier = upper(\"child\")\n}}\n"),
        )
        .file("stacks/app/main.tf", APP);
    let d = declared(repo.path());
    let app = obj(&d, "Deployment", Some("apps"), "app-app");
    // The child's input overrides the root's; the root's other input stays.
    assert_eq!(field(app, Field::Label("tier".into())).0, known("CHILD"));
    assert_eq!(app.name, known("app-app"));
    // No var file sets image_tag: the default.
    assert_eq!(
        field(app, image("app")).0,
        known("registry/app:default-tag")
    );
}

#[test]
fn encrypted_var_files_make_variables_unknown_not_empty() {
    let mut crypt = b"\0GITCRYPT\0".to_vec();
    crypt.extend_from_slice(&[0x9e, 0x11, 0x42, 0x00, 0xff, 0x13]);
    let repo = Repo::new();
    repo.file(
        "terragrunt.hcl",
        r#"
terraform {
  extra_arguments "vars" {
    commands = ["plan", "apply"]
    arguments = [
      "-var-file=${get_parent_terragrunt_dir()}/config.tfvars",
      "-var-file=${get_parent_terragrunt_dir()}/secrets.tfvars",
    ]
    optional_var_files = ["${get_parent_terragrunt_dir()}/late.tfvars", "${get_parent_terragrunt_dir()}/absent.tfvars"]
  }
}
"#,
    )
    .file("config.tfvars", "namespace = \"apps\"\nimage_tag = \"1.0\"\n")
    .bytes("secrets.tfvars", &crypt)
    // Read after the encrypted file: known again.
    .file("late.tfvars", "stack_name = \"late\"\n")
    .file("stacks/app/terragrunt.hcl", INCLUDE)
    .file("stacks/app/main.tf", APP);
    let d = declared(repo.path());
    let app = d
        .objects
        .iter()
        .find(|o| o.address == "kubernetes_deployment.app")
        .unwrap();
    assert_eq!(app.name, known("app-late"));
    let ns = app.namespace.clone().unwrap();
    assert!(
        is_unknown_with(&ns, "secrets.tfvars") && is_unknown_with(&ns, "git-crypt"),
        "{ns:?}"
    );
    // Even a variable with a default: the encrypted file could set it.
    let (img, _) = field(app, image("app"));
    assert!(is_unknown_with(&img, "git-crypt"), "{img:?}");
}

#[test]
fn encrypted_stack_tfvars_is_auto_loaded_as_unknown() {
    let mut crypt = b"\0GITCRYPT\0".to_vec();
    crypt.extend_from_slice(&[1, 2, 3]);
    let repo = Repo::new();
    repo.file(
        "stacks/app/main.tf",
        r#"
variable "ns" {
  default = "apps"
}
resource "kubernetes_namespace" "ns" {
  metadata { name = var.ns }
}
resource "kubernetes_config_map" "cm" {
  metadata {
    name      = "settings"
    namespace = "fixed"
  }
}
"#,
    )
    .bytes("stacks/app/terraform.tfvars", &crypt);
    let d = declared(repo.path());
    let ns = d.objects.iter().find(|o| o.kind == "Namespace").unwrap();
    assert!(is_unknown_with(&ns.name, "git-crypt"), "{:?}", ns.name);
    obj(&d, "ConfigMap", Some("fixed"), "settings");
}

#[test]
fn count_and_for_each_over_literal_collections_expand() {
    let repo = Repo::new();
    repo.file(
        "stacks/x/main.tf",
        r#"
locals {
  apps = {
    web = { image = "nginx:1", replicas = 2 }
    api = { image = "api:7", replicas = 1 }
  }
}
variable "flags" {}

resource "kubernetes_deployment" "apps" {
  for_each = local.apps
  metadata {
    name      = each.key
    namespace = "x"
  }
  spec {
    replicas = each.value.replicas
    template {
      spec {
        container {
          name  = each.key
          image = each.value.image
        }
      }
    }
  }
}

resource "kubernetes_service_account" "workers" {
  count = 2
  metadata {
    name      = "worker-${count.index}"
    namespace = "x"
  }
}

resource "kubernetes_config_map" "maybe" {
  count = var.flags ? 1 : 0
  metadata {
    name      = "maybe"
    namespace = "x"
  }
}

resource "kubernetes_secret" "none" {
  count = 0
  metadata {
    name = "never"
  }
}
"#,
    );
    let d = declared(repo.path());
    let web = obj(&d, "Deployment", Some("x"), "web");
    assert_eq!(web.address, "kubernetes_deployment.apps[\"web\"]");
    assert_eq!(field(web, Field::Replicas).0, known("2"));
    assert_eq!(field(web, image("web")).0, known("nginx:1"));
    let api = obj(&d, "Deployment", Some("x"), "api");
    assert_eq!(field(api, image("api")).0, known("api:7"));
    let w1 = obj(&d, "ServiceAccount", Some("x"), "worker-1");
    assert_eq!(w1.address, "kubernetes_service_account.workers[1]");
    obj(&d, "ServiceAccount", Some("x"), "worker-0");
    // Unknown count: declared once, its name unknown (it may not exist).
    let maybe = d
        .objects
        .iter()
        .find(|o| o.address == "kubernetes_config_map.maybe")
        .unwrap();
    assert!(is_unknown_with(&maybe.name, "count"), "{:?}", maybe.name);
    assert!(!d.objects.iter().any(|o| o.kind == "Secret"));
}

#[test]
fn common_functions_and_default_namespace() {
    let repo = Repo::new();
    repo.file(
        "stacks/f/main.tf",
        r#"
locals {
  app    = "Shop"
  common = { team = "web" }
}
resource "kubernetes_deployment" "shop" {
  metadata {
    name = lower(format("%s-%s", local.app, "API"))
    labels = merge(local.common, {
      app = lower(local.app)
    })
    annotations = {
      "example.com/config" = jsonencode({ b = [1, 2], a = "<x>" })
      "example.com/upper"  = upper("${local.app}-v${1 + 1}")
    }
  }
  spec {
    template {
      spec {
        container {
          name  = "api"
          image = "shop:${replace("1-2", "-", ".")}"
        }
      }
    }
  }
}
resource "kubernetes_storage_class" "fast" {
  metadata { name = "fast" }
  storage_provisioner = "x.csi"
  mount_options       = ["nfsvers=4", "soft"]
}
"#,
    );
    let d = declared(repo.path());
    let shop = obj(&d, "Deployment", Some("default"), "shop-api");
    assert_eq!(field(shop, Field::Label("team".into())).0, known("web"));
    assert_eq!(field(shop, Field::Label("app".into())).0, known("shop"));
    assert_eq!(
        field(shop, Field::Annotation("example.com/config".into())).0,
        known(r#"{"a":"\u003cx\u003e","b":[1,2]}"#)
    );
    assert_eq!(
        field(shop, Field::Annotation("example.com/upper".into())).0,
        known("SHOP-V2")
    );
    assert_eq!(field(shop, image("api")).0, known("shop:1.2"));
    let sc = obj(&d, "StorageClass", None, "fast");
    assert_eq!(
        field(sc, Field::MountOptions),
        (known("nfsvers=4,soft"), "mount_options".into())
    );
}

#[test]
fn module_calls_bind_arguments_and_nest() {
    let repo = Repo::new();
    repo.file(
        "modules/app/main.tf",
        r#"
variable "name" {}
variable "namespace" {
  default = "default-ns"
}
variable "replicas" {
  default = 1
}
resource "kubernetes_deployment" "this" {
  metadata {
    name      = var.name
    namespace = var.namespace
  }
  spec {
    replicas = var.replicas
    template {
      spec {
        container {
          name  = "main"
          image = "img:${var.name}"
        }
      }
    }
  }
}
module "config" {
  source    = "../config"
  name      = "${var.name}-config"
  namespace = var.namespace
}
"#,
    )
    .file(
        "modules/config/main.tf",
        r#"
variable "name" {}
variable "namespace" {}
resource "kubernetes_manifest" "cm" {
  manifest = yamldecode(file("${path.module}/cm.yaml"))
}
resource "kubernetes_config_map" "this" {
  metadata {
    name      = var.name
    namespace = var.namespace
  }
}
"#,
    )
    .file(
        "modules/config/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n  namespace: shared\n",
    )
    .file(
        "stacks/s/main.tf",
        r#"
locals {
  ns = "team"
}
module "apps" {
  for_each  = toset(["a", "b"])
  source    = "../../modules/app"
  name      = "app-${each.key}"
  namespace = local.ns
  replicas  = 3
}
module "single" {
  source = "../../modules/app/"
  name   = "solo"
}
module "remote" {
  source = "git::https://example.com/modules.git//x"
}
"#,
    );
    let d = declared(repo.path());
    let a = obj(&d, "Deployment", Some("team"), "app-a");
    assert_eq!(a.address, "module.apps[\"a\"].kubernetes_deployment.this");
    assert_eq!(
        (a.location.path.as_str(), a.location.line),
        ("stacks/s/main.tf", 5)
    );
    assert_eq!(field(a, Field::Replicas).0, known("3"));
    assert_eq!(field(a, image("main")).0, known("img:app-a"));
    obj(&d, "Deployment", Some("team"), "app-b");
    let solo = obj(&d, "Deployment", Some("default-ns"), "solo");
    assert_eq!(field(solo, Field::Replicas).0, known("1"));
    // Nested module, located at the top-level call.
    let cm = obj(&d, "ConfigMap", Some("team"), "app-b-config");
    assert_eq!(
        cm.address,
        "module.apps[\"b\"].module.config.kubernetes_config_map.this"
    );
    assert_eq!(cm.location.line, 5);
    // file() relative to path.module inside a module; one object per module instance.
    let yaml: Vec<&DeclaredObject> = d
        .objects
        .iter()
        .filter(|o| o.name == known("from-yaml"))
        .collect();
    assert_eq!(yaml.len(), 3);
    assert!(yaml.iter().all(|o| o.namespace == Some(known("shared"))));
    // Module directories are not roots.
    assert!(!d
        .objects
        .iter()
        .any(|o| o.address == "kubernetes_deployment.this"));
    // A remote module is noted, not expanded.
    assert!(d
        .notes
        .iter()
        .any(|n| n.address.as_deref() == Some("module.remote")
            && n.message.contains("not a local module")));
}

#[test]
fn manifests_from_files_and_what_cannot_be_read() {
    let mut crypt = b"\0GITCRYPT\0".to_vec();
    crypt.extend_from_slice(&[7, 7]);
    let repo = Repo::new();
    repo.file(
        "stacks/m/main.tf",
        r#"
resource "kubernetes_manifest" "sealed" {
  for_each = fileset(path.module, "sealed-*.yaml")
  manifest = yamldecode(file("${path.module}/${each.value}"))
}
resource "kubernetes_manifest" "secret" {
  manifest = yamldecode(file("${path.module}/secret.yaml"))
}
resource "kubernetes_manifest" "sts" {
  manifest = {
    apiVersion = "apps/v1"
    kind       = "StatefulSet"
    metadata   = { name = "db", namespace = "m" }
    spec = {
      replicas = 2
      template = { spec = { containers = [{ name = "db", image = "pg:16" }] } }
      volumeClaimTemplates = [{
        metadata = { name = "data" }
        spec     = { storageClassName = "fast", resources = { requests = { storage = "1Gi" } } }
      }]
    }
  }
}
"#,
    )
    .file(
        "stacks/m/sealed-a.yaml",
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: a\n  namespace: m\n",
    )
    .file(
        "stacks/m/sealed-b.yaml",
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: b\n",
    )
    .file("stacks/m/other.yaml", "kind: ConfigMap\n")
    .bytes("stacks/m/secret.yaml", &crypt);
    let d = declared(repo.path());
    let a = obj(&d, "SealedSecret", Some("m"), "a");
    assert_eq!(a.address, "kubernetes_manifest.sealed[\"sealed-a.yaml\"]");
    // A kind drift does not know, without a namespace: cluster-scoped as far as we know.
    obj(&d, "SealedSecret", None, "b");
    assert_eq!(
        d.objects
            .iter()
            .filter(|o| o.kind == "SealedSecret")
            .count(),
        2
    );
    // The encrypted manifest is noted, not declared.
    assert!(
        d.notes.iter().any(
            |n| n.address.as_deref() == Some("kubernetes_manifest.secret")
                && n.message.contains("git-crypt")
        ),
        "{:#?}",
        d.notes
    );
    // A manifest stateful set declares its claims too.
    let sts = obj(&d, "StatefulSet", Some("m"), "db");
    assert_eq!(
        field(sts, image("db")).1,
        "manifest.spec.template.spec.containers[0].image"
    );
    let claim = obj(&d, "PersistentVolumeClaim", Some("m"), "data-db-1");
    assert_eq!(
        field(claim, Field::StorageClass),
        (
            known("fast"),
            "manifest.spec.volumeClaimTemplates[0].spec.storageClassName".into()
        )
    );
}

#[test]
fn unknown_replicas_and_dynamic_blocks_are_not_guessed() {
    let repo = Repo::new();
    repo.file(
        "stacks/u/main.tf",
        r#"
variable "replicas" {}
variable "sidecars" {}
resource "kubernetes_stateful_set" "db" {
  metadata {
    name      = "db"
    namespace = "u"
  }
  spec {
    replicas = var.replicas
    template {
      spec {
        dynamic "container" {
          for_each = var.sidecars
          content {
            name  = container.key
            image = container.value
          }
        }
        container {
          name  = "db"
          image = "pg:16"
        }
      }
    }
    volume_claim_template {
      metadata { name = "data" }
      spec {
        storage_class_name = "fast"
      }
    }
  }
}
"#,
    );
    let d = declared(repo.path());
    let db = obj(&d, "StatefulSet", Some("u"), "db");
    assert!(matches!(field(db, Field::Replicas).0, Value::Unknown(_)));
    // The container's index depends on the unexpanded dynamic block before it.
    let (img, path) = field(db, image("db"));
    assert!(is_unknown_with(&img, "position unknown"), "{img:?}");
    assert_eq!(path, "spec[0].template[0].spec[0].container[1].image");
    assert!(!d.objects.iter().any(|o| o.kind == "PersistentVolumeClaim"));
    assert!(d
        .notes
        .iter()
        .any(|n| n.message.contains("replicas is not a literal")));
}

#[test]
fn exclusions_and_unparsable_files() {
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        "resource \"kubernetes_namespace\" \"a\" {\n  metadata { name = \"a\" }\n}\n",
    )
    .file(
        "stacks/b/main.tf",
        "resource \"kubernetes_namespace\" \"b\" {\n  metadata { name = \"b\" }\n}\n",
    )
    .file("stacks/c/main.tf", "resource \"x\" {\n");
    let exclude = infra_audit::workspace::globset(&["stacks/b/**".to_string()]).unwrap();
    let d = inventory::declared(repo.path(), &exclude).unwrap();
    obj(&d, "Namespace", None, "a");
    assert!(!d.objects.iter().any(|o| o.name == known("b")));
    assert!(d
        .notes
        .iter()
        .any(|n| n.path == "stacks/c/main.tf" && n.message.contains("does not parse")));
    assert!(inventory::declared(&repo.path().join("missing"), &exclude).is_err());
}

#[test]
fn circular_references_end_unknown() {
    let repo = Repo::new();
    repo.file(
        "stacks/c/main.tf",
        r#"
locals {
  a = "${local.b}-x"
  b = "${local.a}-y"
}
resource "kubernetes_config_map" "loop" {
  metadata {
    name      = local.a
    namespace = kubernetes_config_map.loop.metadata[0].labels.ns
    labels = {
      ns   = kubernetes_config_map.loop.metadata[0].namespace
      self = "${kubernetes_config_map.loop.metadata[0].name}${kubernetes_config_map.loop.metadata[0].name}"
    }
  }
}
"#,
    );
    let d = declared(repo.path());
    let cm = d.objects.iter().find(|o| o.kind == "ConfigMap").unwrap();
    assert!(
        is_unknown_with(&cm.name, "refers to itself"),
        "{:?}",
        cm.name
    );
    assert!(matches!(cm.namespace, Some(Value::Unknown(_))));
}
