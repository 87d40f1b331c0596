//! Per-rule-kind tests on small repositories: each asserts the exact findings (rule, file,
//! line) of a violating case and none for its compliant twin, including awkward inputs.

mod common;

use common::{at, messages, Repo};

const KYV: &[&str] = &["kyverno-lifecycle"];

fn deployment(name: &str, lifecycle: &str) -> String {
    format!(
        r##"resource "kubernetes_deployment" "{name}" {{
  metadata {{
    name = "{name}"
  }}
  spec {{
    template {{
      spec {{
        container {{
          name  = "app"
          image = "nginx:1.27"
        }}
      }}
    }}
  }}
{lifecycle}}}
"##
    )
}

#[test]
fn kyverno_lifecycle_violations_and_twins() {
    let repo = Repo::new();
    repo.file("stacks/a/missing.tf", &deployment("missing", ""));
    repo.file(
        "stacks/a/ok.tf",
        &deployment("ok", "  lifecycle {\n    ignore_changes = [spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1\n  }\n"),
    );
    repo.file(
        "stacks/a/ok_own_line.tf",
        &deployment(
            "ok_own_line",
            "  lifecycle {\n    # KYVERNO_LIFECYCLE_V1\n    ignore_changes = [\n      spec[0].template[0].spec[0].dns_config,\n    ]\n  }\n",
        ),
    );
    repo.file(
        "stacks/a/all.tf",
        &deployment("all", "  lifecycle {\n    ignore_changes = all\n  }\n"),
    );
    repo.file(
        "stacks/a/nomarker.tf",
        &deployment(
            "nomarker",
            "  lifecycle {\n    ignore_changes = [spec[0].template[0].spec[0].dns_config]\n  }\n",
        ),
    );
    repo.file(
        "stacks/a/cron.tf",
        r##"resource "kubernetes_cron_job_v1" "wrong" {
  metadata { name = "wrong" }
  lifecycle {
    ignore_changes = [spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}

resource "kubernetes_cron_job_v1" "right" {
  metadata { name = "right" }
  lifecycle {
    ignore_changes = [spec[0].job_template[0].spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}
"##,
    );
    let report = repo.audit(KYV);
    assert_eq!(
        common::tuples(&report),
        vec![
            at("kyverno-lifecycle", "stacks/a/cron.tf", 1),
            at("kyverno-lifecycle", "stacks/a/missing.tf", 1),
            at("kyverno-lifecycle", "stacks/a/nomarker.tf", 1),
        ]
    );
    let m = messages(&report);
    assert!(m[0].contains("wrong path"), "{}", m[0]);
    assert!(m[1].contains("no `lifecycle` block"), "{}", m[1]);
    assert!(m[2].contains("marker"), "{}", m[2]);
}

#[test]
fn kyverno_marker_in_a_string_or_outside_the_block_does_not_count() {
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        r##"# KYVERNO_LIFECYCLE_V1 (a comment outside the block is not the marker)
resource "kubernetes_daemon_set_v1" "ds" {
  metadata {
    name        = "ds"
    annotations = { note = "# KYVERNO_LIFECYCLE_V1" }
  }
  lifecycle {
    ignore_changes = [spec[0].template[0].spec[0].dns_config]
  }
}
"##,
    );
    assert_eq!(
        repo.findings(KYV),
        vec![at("kyverno-lifecycle", "stacks/a/main.tf", 2)]
    );
}

#[test]
fn kyverno_declared_dns_config_is_a_noop_only_with_the_injected_value() {
    let dns = |ndots: &str| {
        format!(
            r##"resource "kubernetes_deployment" "d{ndots}" {{
  metadata {{ name = "d" }}
  spec {{
    template {{
      spec {{
        dns_config {{
          option {{
            name  = "ndots"
            value = "{ndots}"
          }}
        }}
      }}
    }}
  }}
}}
"##
        )
    };
    let repo = Repo::new();
    repo.file("stacks/a/two.tf", &dns("2"));
    repo.file("stacks/a/five.tf", &dns("5"));
    let report = repo.audit(KYV);
    assert_eq!(
        common::tuples(&report),
        vec![at("kyverno-lifecycle", "stacks/a/five.tf", 1)]
    );
    assert!(messages(&report)[0].contains("will rewrite it"));
}

#[test]
fn heredocs_block_comments_and_commented_out_resources_do_not_confuse_rules() {
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        r##"/* resource "kubernetes_deployment" "ghost" { lifecycle { */
# resource "kubernetes_deployment" "old" {
#   metadata { name = "old" }
# }
resource "kubernetes_config_map" "script" {
  metadata { name = "script" }
  data = {
    "run.sh" = <<-EOT
      if [ -n "$X" ]; then { echo "}"; fi
      resource "kubernetes_deployment" "fake" {
    EOT
    "tpl" = "${format("%s-%s", var.a, "b")} # not a comment"
  }
}
"##,
    );
    assert_eq!(repo.findings(&[]), vec![]);
}

#[test]
fn crlf_files_report_correct_lines() {
    let repo = Repo::new();
    let text = format!("\r\n\r\n{}", deployment("crlf", ""))
        .replace('\n', "\r\n")
        .replace("\r\r\n", "\r\n");
    repo.file("stacks/a/crlf.tf", &text);
    assert_eq!(
        repo.findings(KYV),
        vec![at("kyverno-lifecycle", "stacks/a/crlf.tf", 3)]
    );
}

fn keel_repo() -> Repo {
    let repo = Repo::new();
    repo.file(
        "stacks/blog/ns.tf",
        r##"locals { ns = "blog" }
resource "kubernetes_namespace" "blog" {
  metadata {
    name   = "blog"
    labels = { "keel.sh/enrolled" = "true" }
  }
}
resource "kubernetes_namespace" "plain" {
  metadata { name = "plain" }
}
"##,
    );
    repo
}

const FULL_KEEL: &str = r##"  lifecycle {
    ignore_changes = [
      spec[0].template[0].spec[0].dns_config, # KYVERNO_LIFECYCLE_V1
      metadata[0].annotations["keel.sh/policy"],
      metadata[0].annotations["keel.sh/trigger"],
      metadata[0].annotations["keel.sh/pollSchedule"], # KYVERNO_LIFECYCLE_V2
      spec[0].template[0].spec[0].container[0].image, # KEEL_IGNORE_IMAGE
      spec[0].template[0].spec[0].container[1].image, # KEEL_IGNORE_IMAGE
      spec[0].template[0].spec[0].init_container[0].image, # KEEL_IGNORE_IMAGE
      metadata[0].annotations["kubernetes.io/change-cause"],
      metadata[0].annotations["deployment.kubernetes.io/revision"],
      spec[0].template[0].metadata[0].annotations["keel.sh/update-time"], # KEEL_LIFECYCLE_V1
    ]
  }
"##;

fn keel_deployment(name: &str, namespace: &str, lifecycle: &str) -> String {
    format!(
        r##"resource "kubernetes_deployment" "{name}" {{
  metadata {{
    name      = "{name}"
    namespace = {namespace}
  }}
  spec {{
    template {{
      spec {{
        init_container {{
          name  = "init"
          image = "busybox:1.36"
        }}
        container {{
          name  = "web"
          image = "nginx:1.27"
        }}
        container {{
          name  = "exporter"
          image = "nginx/nginx-prometheus-exporter:1.1"
        }}
      }}
    }}
  }}
{lifecycle}}}
"##
    )
}

#[test]
fn keel_lifecycle_names_missing_entries_per_container_index() {
    let repo = keel_repo();
    repo.file(
        "stacks/blog/ok.tf",
        &keel_deployment(
            "ok",
            "kubernetes_namespace.blog.metadata[0].name",
            FULL_KEEL,
        ),
    );
    let partial = FULL_KEEL.replace(
        "      spec[0].template[0].spec[0].container[1].image, # KEEL_IGNORE_IMAGE\n",
        "",
    );
    repo.file(
        "stacks/blog/partial.tf",
        &keel_deployment("partial", "local.ns", &partial),
    );
    repo.file(
        "stacks/blog/plain.tf",
        &keel_deployment("plainns", "\"plain\"", ""),
    );
    let report = repo.audit(&["keel-lifecycle"]);
    assert_eq!(
        common::tuples(&report),
        vec![at("keel-lifecycle", "stacks/blog/partial.tf", 1)]
    );
    let m = &messages(&report)[0];
    assert!(
        m.contains("container[1].image") && m.contains("1 entry"),
        "{m}"
    );
}

#[test]
fn keel_lifecycle_opt_out_and_whole_annotation_map() {
    let repo = keel_repo();
    let opted = keel_deployment("opted", "\"blog\"", "").replace(
        "    name      = \"opted\"\n",
        "    name      = \"opted\"\n    labels    = { \"keel.sh/policy\" = \"never\" }\n",
    );
    repo.file("stacks/blog/opted.tf", &opted);
    let map = r##"  lifecycle {
    ignore_changes = [
      metadata[0].annotations,
      spec[0].template[0].spec[0].container[0].image,
      spec[0].template[0].spec[0].container[1].image,
      spec[0].template[0].spec[0].init_container[0].image,
      spec[0].template[0].metadata[0].annotations["keel.sh/update-time"],
    ]
  }
"##;
    repo.file(
        "stacks/blog/map.tf",
        &keel_deployment("map", "\"blog\"", map),
    );
    assert_eq!(repo.findings(&["keel-lifecycle"]), vec![]);
}

#[test]
fn keel_lifecycle_unresolvable_namespace_and_dynamic_containers_are_unverified() {
    let repo = keel_repo();
    repo.file("stacks/blog/vars.tf", "variable \"ns\" {}\n");
    repo.file("stacks/blog/var.tf", &keel_deployment("var", "var.ns", ""));
    let dynamic = keel_deployment("dyn", "\"blog\"", FULL_KEEL).replace(
        "        container {\n          name  = \"exporter\"",
        "        dynamic \"container\" {\n          for_each = toset([\"a\"])\n          content {\n            name = container.value\n          }\n        }\n        container {\n          name  = \"exporter\"",
    );
    repo.file("stacks/blog/dyn.tf", &dynamic);
    let report = repo.audit(&["keel-lifecycle"]);
    let certainty: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.location.path.clone(), f.certainty))
        .collect();
    use infra_audit::finding::Certainty::Unverified;
    assert_eq!(
        certainty,
        vec![
            ("stacks/blog/dyn.tf".to_string(), Unverified),
            ("stacks/blog/var.tf".to_string(), Unverified)
        ]
    );
    assert_eq!(report.exit_code(infra_audit::finding::Severity::Error), 3);
}

fn pvc(name: &str, claim: &str, class: Option<&str>) -> String {
    let class = class
        .map(|c| format!("    storage_class_name = \"{c}\"\n"))
        .unwrap_or_default();
    format!(
        r##"resource "kubernetes_persistent_volume_claim" "{name}" {{
  wait_until_bound = false
  metadata {{
    name = "{claim}"
  }}
  spec {{
    access_modes = ["ReadWriteOnce"]
{class}    resources {{
      requests = {{ storage = "1Gi" }}
    }}
  }}
}}
"##
    )
}

#[test]
fn sensitive_storage_class_by_stack_suffix_and_manifest() {
    let repo = Repo::new();
    repo.file(
        "stacks/vaultwarden/ok.tf",
        &pvc("ok", "vw-data-encrypted", Some("proxmox-lvm-encrypted")),
    );
    repo.file(
        "stacks/vaultwarden/bad.tf",
        &pvc("bad", "vw-data", Some("proxmox-lvm")),
    );
    repo.file(
        "stacks/vaultwarden/modules/inner/none.tf",
        &pvc("none", "vw-cache", None),
    );
    repo.file(
        "stacks/immich/suffix.tf",
        &pvc("suffix", "ml-encrypted", Some("proxmox-lvm")),
    );
    repo.file(
        "stacks/immich/fine.tf",
        &pvc("fine", "ml-cache", Some("proxmox-lvm")),
    );
    repo.file(
        "stacks/dbaas/manifest.tf",
        r##"resource "kubernetes_manifest" "scratch" {
  manifest = {
    apiVersion = "v1"
    kind       = "PersistentVolumeClaim"
    metadata   = { name = "scratch", namespace = "dbaas" }
    spec       = { storageClassName = "local-path", accessModes = ["ReadWriteOnce"] }
  }
}
"##,
    );
    repo.file(
        "stacks/monitoring/sts.tf",
        r##"resource "kubernetes_stateful_set" "prometheus" {
  metadata { name = "prometheus" }
  spec {
    volume_claim_template {
      metadata { name = "prometheus-data" }
      spec { storage_class_name = "proxmox-lvm" }
    }
  }
}
resource "kubernetes_stateful_set" "alertmanager" {
  metadata { name = "alertmanager" }
  spec {
    volume_claim_template {
      metadata { name = "alertmanager-data" }
      spec { storage_class_name = "proxmox-lvm" }
    }
  }
}
"##,
    );
    assert_eq!(
        repo.findings(&["sensitive-storage-class"]),
        vec![
            at("sensitive-storage-class", "stacks/dbaas/manifest.tf", 1),
            at("sensitive-storage-class", "stacks/immich/suffix.tf", 1),
            at("sensitive-storage-class", "stacks/monitoring/sts.tf", 10),
            at("sensitive-storage-class", "stacks/vaultwarden/bad.tf", 1),
            at(
                "sensitive-storage-class",
                "stacks/vaultwarden/modules/inner/none.tf",
                1
            ),
        ]
    );
    assert_eq!(
        repo.findings(&["pvc-storage-class-explicit"]),
        vec![at(
            "pvc-storage-class-explicit",
            "stacks/vaultwarden/modules/inner/none.tf",
            1
        )]
    );
}

#[test]
fn sensitive_storage_class_for_each_and_unresolved_class() {
    let repo = Repo::new();
    repo.file(
        "stacks/nextcloud/main.tf",
        r##"variable "sc" {}
locals { enc = "proxmox-lvm-encrypted" }
resource "kubernetes_persistent_volume_claim" "each" {
  for_each = toset(["a", "b"])
  metadata { name = "nc-${each.key}" }
  spec { storage_class_name = local.enc }
}
resource "kubernetes_persistent_volume_claim" "unknown" {
  metadata { name = "nc-x" }
  spec { storage_class_name = var.sc }
}
"##,
    );
    let report = repo.audit(&["sensitive-storage-class"]);
    assert_eq!(
        common::tuples(&report),
        vec![at("sensitive-storage-class", "stacks/nextcloud/main.tf", 8)]
    );
    assert_eq!(
        report.findings[0].certainty,
        infra_audit::finding::Certainty::Unverified
    );
}

#[test]
fn nfs_mount_options_versions_and_recommended_set() {
    let pv = |name: &str, opts: &str| {
        format!(
            r##"resource "kubernetes_persistent_volume" "{name}" {{
  metadata {{ name = "{name}" }}
  spec {{
    mount_options = [{opts}]
    persistent_volume_source {{
      csi {{
        driver        = "nfs.csi.k8s.io"
        volume_handle = "{name}"
      }}
    }}
  }}
}}
"##
        )
    };
    let repo = Repo::new();
    repo.file(
        "modules/nfs/ok.tf",
        &pv(
            "ok",
            r##""nfsvers=4", "soft", "timeo=30", "retrans=3", "actimeo=5""##,
        ),
    );
    repo.file(
        "modules/nfs/v41.tf",
        &pv(
            "v41",
            r##""vers=4.1", "soft", "timeo=30", "retrans=3", "actimeo=5""##,
        ),
    );
    repo.file(
        "modules/nfs/v3.tf",
        &pv(
            "v3",
            r##""nfsvers=3", "soft", "timeo=30", "retrans=3", "actimeo=5""##,
        ),
    );
    repo.file(
        "modules/nfs/none.tf",
        &pv("none", r##""soft", "timeo=600", "retrans=3", "actimeo=5""##),
    );
    repo.file(
        "stacks/nfs-csi/sc.tf",
        r##"resource "kubernetes_storage_class_v1" "nfs" {
  metadata { name = "nfs-proxmox" }
  storage_provisioner = "nfs.csi.k8s.io"
}
resource "kubernetes_storage_class_v1" "block" {
  metadata { name = "proxmox-lvm" }
  storage_provisioner = "csi.proxmox.sinextra.dev"
}
"##,
    );
    let report = repo.audit(&["nfs-mount-options"]);
    assert_eq!(
        common::tuples(&report),
        vec![
            at("nfs-mount-options", "modules/nfs/none.tf", 1),
            at("nfs-mount-options", "modules/nfs/none.tf", 1),
            at("nfs-mount-options", "modules/nfs/v3.tf", 1),
            at("nfs-mount-options", "stacks/nfs-csi/sc.tf", 1),
        ]
    );
    let m = messages(&report);
    assert!(
        m.iter().any(|x| x.contains("`timeo=30` (has `timeo=600`)")),
        "{m:?}"
    );
    assert!(m.iter().any(|x| x.contains("NFS version 3")), "{m:?}");
    assert!(
        m.iter().any(|x| x.contains("sets no mount options")),
        "{m:?}"
    );
}

#[test]
fn inline_nfs_volume_including_dynamic_blocks() {
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        r##"resource "kubernetes_deployment" "a" {
  spec {
    template {
      spec {
        volume {
          name = "data"
          nfs {
            server = var.nfs_server
            path   = "/srv/nfs/a"
          }
        }
        dynamic "volume" {
          for_each = var.shares
          content {
            name = volume.key
            nfs {
              server = var.nfs_server
              path   = volume.value
            }
          }
        }
        volume {
          name = "ok"
          persistent_volume_claim { claim_name = "a" }
        }
      }
    }
  }
}
resource "kubernetes_persistent_volume" "pv" {
  spec {
    persistent_volume_source {
      nfs {
        server = var.nfs_server
        path   = "/srv/nfs/pv"
      }
    }
  }
}
"##,
    );
    assert_eq!(
        repo.findings(&["inline-nfs-volume"]),
        vec![
            at("inline-nfs-volume", "stacks/a/main.tf", 7),
            at("inline-nfs-volume", "stacks/a/main.tf", 16)
        ]
    );
}

#[test]
fn forbidden_values_in_code_not_in_comments_or_prose() {
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        r##"# host = "postgresql.dbaas"
locals {
  a = "postgresql.dbaas.svc.cluster.local"
  b = "postgres://u@postgresql.dbaas:5432/db"
  c = "pg-cluster-rw.dbaas.svc.cluster.local"
  d = "notpostgresql.dbaas"
  e = "redis://redis.redis.svc.cluster.local:6379"
}
"##,
    );
    repo.file(
        "stacks/a/values.yaml",
        "db:\n  host: postgresql.dbaas.svc # legacy\n  # host: postgresql.dbaas\n",
    );
    repo.file(
        "scripts/x.sh",
        "#!/bin/sh\n# never use postgresql.dbaas\nPGHOST=postgresql.dbaas psql\n",
    );
    repo.file("docs/db.md", "Never use `postgresql.dbaas`.\n");
    let report = repo.audit(&["legacy-postgres-host", "legacy-redis-host"]);
    assert_eq!(
        common::tuples(&report),
        vec![
            at("legacy-postgres-host", "scripts/x.sh", 3),
            at("legacy-postgres-host", "stacks/a/main.tf", 3),
            at("legacy-postgres-host", "stacks/a/main.tf", 4),
            at("legacy-redis-host", "stacks/a/main.tf", 7),
            at("legacy-postgres-host", "stacks/a/values.yaml", 2),
        ]
    );
    let helps: Vec<String> = report
        .findings
        .iter()
        .map(|f| f.help.clone().unwrap())
        .collect();
    assert!(
        helps[1].contains("use `var.postgresql_host` instead"),
        "{}",
        helps[1]
    );
    assert!(helps[2].contains("${var.postgresql_host}"), "{}", helps[2]);
}

#[test]
fn hardcoded_nfs_server_only_in_nfs_context() {
    let repo = Repo::new();
    repo.file("config.tfvars", "nfs_server = \"192.168.1.127\"\n");
    repo.file(
        "stacks/a/main.tf",
        r##"variable "nfs_server" {
  default = "192.168.1.127"
}
module "nfs" {
  source     = "../../modules/kubernetes/nfs_volume"
  nfs_server = "192.168.1.127"
}
module "ok" {
  source     = "../../modules/kubernetes/nfs_volume"
  nfs_server = var.nfs_server
}
locals {
  scrape = "192.168.1.127:9100"
}
"##,
    );
    repo.file(
        "stacks/a/values.yaml",
        "nfs:\n  server: 192.168.1.127\nexporter:\n  server: 192.168.1.127\n",
    );
    assert_eq!(
        repo.findings(&["hardcoded-nfs-server"]),
        vec![
            at("hardcoded-nfs-server", "stacks/a/main.tf", 2),
            at("hardcoded-nfs-server", "stacks/a/main.tf", 6),
            at("hardcoded-nfs-server", "stacks/a/values.yaml", 2),
        ]
    );
}

#[test]
fn nfs_export_fsid() {
    let repo = Repo::new();
    repo.file(
        "scripts/pve-nfs-exports",
        "# /srv/nfs *(rw,fsid=0)\n/srv/nfs 10.0.20.0/24(rw,async,insecure,fsid=0,no_subtree_check)\n/srv/nfs-ssd 10.0.20.0/24(rw,fsid=1)\n/srv/nfs/immich *(rw,fsid=0)\n\"/srv/nfs\" 192.168.1.0/24(rw,fsid=root)\n",
    );
    assert_eq!(
        repo.findings(&["nfs-export-fsid"]),
        vec![
            at("nfs-export-fsid", "scripts/pve-nfs-exports", 2),
            at("nfs-export-fsid", "scripts/pve-nfs-exports", 5)
        ]
    );
}

#[test]
fn suppressions_above_at_end_expired_unused_and_invalid() {
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        r##"# infra-audit:ignore[pvc-storage-class-explicit] throwaway cache
resource "kubernetes_persistent_volume_claim" "a" {
  metadata { name = "a" }
}
resource "kubernetes_persistent_volume_claim" "b" { # infra-audit:ignore[pvc-storage-class-explicit] scratch space
  metadata { name = "b" }
}
// infra-audit:ignore[pvc-storage-class-explicit] migrating until=2020-01-01
resource "kubernetes_persistent_volume_claim" "c" {
  metadata { name = "c" }
}
# infra-audit:ignore[pvc-storage-class-explicit] nothing here
locals { x = 1 }
# infra-audit:ignore[pvc-storage-class-explicit]
resource "kubernetes_persistent_volume_claim" "d" {
  metadata { name = "d" }
}
"##,
    );
    assert_eq!(
        repo.findings(&[
            "pvc-storage-class-explicit",
            "unused-suppression",
            "invalid-suppression"
        ]),
        vec![
            at("pvc-storage-class-explicit", "stacks/a/main.tf", 9),
            at("unused-suppression", "stacks/a/main.tf", 12),
            at("invalid-suppression", "stacks/a/main.tf", 14),
            at("pvc-storage-class-explicit", "stacks/a/main.tf", 15),
        ]
    );
}

#[test]
fn encrypted_binary_and_non_utf8_files_are_skipped_with_a_note() {
    let repo = Repo::new();
    let mut gitcrypt = b"\0GITCRYPT\0".to_vec();
    gitcrypt.extend([0x8f, 0x00, 0x13, 0xfe]);
    repo.bytes("secrets.tfvars", &gitcrypt);
    repo.file("stacks/a/secret.sops.yaml", "password: ENC[AES256_GCM,data:abc=,type:str]\nsops:\n    mac: ENC[AES256_GCM,data:x]\n    version: 3.8.1\n");
    repo.bytes("stacks/a/logo.png", &[0x89, b'P', b'N', b'G', 0, 0, 1]);
    repo.bytes("stacks/a/latin1.tf", &[b'#', b' ', 0xe9, b'\n']);
    repo.file("stacks/a/.terraform/modules/x.tf", "resource \"x\" {\n");
    let report = repo.audit(&[]);
    let skipped: Vec<(String, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.path.clone(), s.reason.describe()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("secrets.tfvars".to_string(), "git-crypt encrypted"),
            ("stacks/a/.terraform".to_string(), "cache directory"),
            ("stacks/a/latin1.tf".to_string(), "not UTF-8"),
            ("stacks/a/logo.png".to_string(), "binary"),
            ("stacks/a/secret.sops.yaml".to_string(), "SOPS encrypted"),
        ]
    );
    assert!(report.findings.is_empty());
    assert_eq!(report.exit_code(infra_audit::finding::Severity::Error), 0);
}

#[test]
fn parse_errors_are_findings_and_other_files_are_still_audited() {
    let repo = Repo::new();
    repo.file(
        "stacks/a/broken.tf",
        "resource \"kubernetes_deployment\" \"x\" {\n  metadata {\n    name = \n}\n",
    );
    repo.file("stacks/a/good.tf", &deployment("good", ""));
    let report = repo.audit(&["parse-error", "kyverno-lifecycle"]);
    assert_eq!(
        common::tuples(&report),
        vec![
            at("parse-error", "stacks/a/broken.tf", 3),
            at("kyverno-lifecycle", "stacks/a/good.tf", 1)
        ]
    );
    assert_eq!(report.exit_code(infra_audit::finding::Severity::Error), 1);
    let only_broken = Repo::new();
    only_broken.file("stacks/a/broken.tf", "resource \"x\" \"y\" {\n");
    assert_eq!(
        only_broken
            .audit(&[])
            .exit_code(infra_audit::finding::Severity::Error),
        3
    );
}

#[test]
fn auditing_a_subdirectory_still_sees_namespaces_declared_elsewhere() {
    let repo = Repo::new();
    repo.file(
        "stacks/namespaces/main.tf",
        "resource \"kubernetes_namespace\" \"web\" {\n  metadata {\n    name   = \"web\"\n    labels = { \"keel.sh/enrolled\" = \"true\" }\n  }\n}\n",
    );
    repo.file("stacks/app/main.tf", &keel_deployment("app", "\"web\"", ""));
    let report = infra_audit::audit::run(&infra_audit::audit::AuditOptions {
        path: repo.path().join("stacks/app"),
        select: vec!["keel-lifecycle".into()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        common::tuples(&report),
        vec![at("keel-lifecycle", "stacks/app/main.tf", 1)]
    );
    assert_eq!(report.files_scanned, 1);
}

#[test]
fn review_regressions() {
    // A suppression marker inside a multi-line block comment must not crash the run.
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        "/* notes\n   infra-audit:ignore[kyverno-lifecycle] old\n*/\nlocals { a = 1 }\n",
    );
    let report = repo.audit(&[]);
    assert!(report.findings.iter().all(|f| f.rule != "parse-error"));

    // Disabling a rule does not make suppressions naming it malformed.
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        "# infra-audit:ignore[kyverno-lifecycle, pvc-storage-class-explicit] scratch\nresource \"kubernetes_persistent_volume_claim\" \"c\" {\n  metadata { name = \"c\" }\n}\n",
    );
    assert_eq!(
        repo.findings(&[
            "pvc-storage-class-explicit",
            "invalid-suppression",
            "unused-suppression"
        ]),
        vec![]
    );

    // Turning parse-error off still reports the file as not measured (exit 3).
    let repo = Repo::new();
    repo.file("stacks/a/broken.tf", "resource \"x\" \"y\" {\n");
    let report = repo.audit(&["kyverno-lifecycle"]);
    assert!(report.findings.is_empty());
    assert_eq!(
        report.skipped[0].reason,
        infra_audit::source::SkipReason::Unparsable
    );
    assert_eq!(report.exit_code(infra_audit::finding::Severity::Error), 3);

    // Namespace labels through locals and merge(); unevaluable labels are unverified.
    let repo = Repo::new();
    repo.file(
        "stacks/ns/main.tf",
        "locals { common = { team = \"web\" } }\nvariable \"extra\" {}\nresource \"kubernetes_namespace\" \"a\" {\n  metadata {\n    name   = \"a\"\n    labels = merge(local.common, { \"keel.sh/enrolled\" = \"true\" })\n  }\n}\nresource \"kubernetes_namespace\" \"b\" {\n  metadata {\n    name   = \"b\"\n    labels = var.extra\n  }\n}\n",
    );
    repo.file("stacks/app/a.tf", &keel_deployment("in_a", "\"a\"", ""));
    repo.file("stacks/app/b.tf", &keel_deployment("in_b", "\"b\"", ""));
    let report = repo.audit(&["keel-lifecycle"]);
    let got: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.location.path.as_str(), f.certainty))
        .collect();
    use infra_audit::finding::Certainty::*;
    assert_eq!(
        got,
        vec![
            ("stacks/app/a.tf", Violation),
            ("stacks/app/b.tf", Unverified)
        ]
    );

    // Alertmanager's claim is matched through its stateful set, whatever the template name.
    let repo = Repo::new();
    repo.file(
        "stacks/monitoring/am.tf",
        "resource \"kubernetes_stateful_set\" \"am\" {\n  metadata { name = \"alertmanager\" }\n  spec {\n    volume_claim_template {\n      metadata { name = \"storage\" }\n      spec { storage_class_name = \"proxmox-lvm\" }\n    }\n  }\n}\n",
    );
    assert_eq!(
        repo.findings(&["sensitive-storage-class"]),
        vec![at("sensitive-storage-class", "stacks/monitoring/am.tf", 1)]
    );

    // dynamic "nfs" blocks, NFS servers inside manifests and dynamic content.
    let repo = Repo::new();
    repo.file(
        "stacks/a/main.tf",
        r##"resource "kubernetes_deployment" "d" {
  spec {
    template {
      spec {
        volume {
          name = "x"
          dynamic "nfs" {
            for_each = [1]
            content {
              server = "192.168.1.127"
              path   = "/srv/nfs/x"
            }
          }
        }
      }
    }
  }
}
resource "kubernetes_manifest" "pv" {
  manifest = {
    kind = "PersistentVolume"
    spec = { nfs = { server = "192.168.1.127", path = "/srv/nfs/y" } }
  }
}
"##,
    );
    assert_eq!(
        repo.findings(&["inline-nfs-volume", "hardcoded-nfs-server"]),
        vec![
            at("inline-nfs-volume", "stacks/a/main.tf", 7),
            at("hardcoded-nfs-server", "stacks/a/main.tf", 10),
            at("hardcoded-nfs-server", "stacks/a/main.tf", 22),
        ]
    );

    // Exports continuation lines; a marker must be the whole word.
    let repo = Repo::new();
    repo.file(
        "scripts/pve-nfs-exports",
        "/srv/nfs 10.0.0.0/8(rw) \\\n    192.168.1.0/24(rw,fsid=0)\n",
    );
    repo.file(
        "stacks/a/main.tf",
        &deployment("d", "  lifecycle {\n    ignore_changes = [spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V10\n  }\n"),
    );
    assert_eq!(
        repo.findings(&["nfs-export-fsid", "kyverno-lifecycle"]),
        vec![
            at("nfs-export-fsid", "scripts/pve-nfs-exports", 2),
            at("kyverno-lifecycle", "stacks/a/main.tf", 1)
        ]
    );
}
