resource "kubernetes_persistent_volume_claim" "data" { # expect: the job writes next to the data
  wait_until_bound = false
  metadata {
    name = "wiki-data"
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
    name = "wiki-backup"
  }
  spec {
    schedule = "0 3 * * *"
    job_template {
      metadata {}
      spec {
        template {
          metadata {}
          spec {
            container {
              name    = "backup"
              image   = "alpine:3.20"
              command = ["sh", "-c", "cp -a /data/. /data/backup/"]
            }
          }
        }
      }
    }
  }
}
