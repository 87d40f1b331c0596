resource "kubernetes_persistent_volume_claim" "data" { 
  wait_until_bound = false
  metadata {
    name = "vault-data"
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm-encrypted"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
resource "kubernetes_cron_job_v1" "backup" {
  metadata {
    name = "vault-backup"
  }
  spec {
    schedule = "0 3 * * *"
    job_template {
      metadata {}
      spec {
        template {
          metadata {}
          spec {
            volume {
              name = "backup"
              persistent_volume_claim {
                claim_name = module.nfs_backup.claim_name
              }
            }
            container {
              name    = "backup"
              image   = "alpine:3.20"
              command = ["sh", "-c", "cp -a /data/. /backup/"]
              volume_mount {
                name       = "backup"
                mount_path = "/backup"
              }
            }
          }
        }
      }
    }
  }
}

module "nfs_backup" {
  source   = "../../modules/kubernetes/nfs_volume"
  name     = "vault-backup-host"
  nfs_path = "/srv/nfs/vault-backup"
}
