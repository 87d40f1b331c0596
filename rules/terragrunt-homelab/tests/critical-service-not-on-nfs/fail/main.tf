resource "kubernetes_persistent_volume_claim" "media" {
  metadata {
    name = "media"
  }
  spec {
    access_modes       = ["ReadWriteMany"]
    storage_class_name = "nfs-proxmox"
    resources {
      requests = { storage = "10Gi" }
    }
  }
}
resource "kubernetes_deployment" "alertmanager" {
  metadata {
    name = "alertmanager"
  }
  spec {
    template {
      metadata {}
      spec {
        volume {
          name = "data"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.media.metadata[0].name # expect: NFS class
          }
        }
        container {
          name  = "app"
          image = "app:1.0.0"
        }
      }
    }
  }
}
resource "kubernetes_deployment" "technitium_primary" {
  metadata {
    name = "technitium-primary"
  }
  spec {
    template {
      metadata {}
      spec {
        volume {
          name = "config"
          nfs { # expect: inline NFS
            server = var.nfs_server
            path   = "/srv/nfs/technitium"
          }
        }
        container {
          name  = "app"
          image = "app:1.0.0"
        }
      }
    }
  }
}

module "prom_data" {
  source     = "../../modules/kubernetes/nfs_volume"
  name       = "prometheus-data"
  nfs_server = var.nfs_server
  nfs_path   = "/srv/nfs/prometheus"
}
resource "kubernetes_deployment" "prometheus" {
  metadata {
    name = "prometheus"
  }
  spec {
    template {
      metadata {}
      spec {
        volume {
          name = "data"
          persistent_volume_claim {
            claim_name = module.prom_data.claim_name # expect: the nfs_volume module
          }
        }
        container {
          name  = "app"
          image = "app:1.0.0"
        }
      }
    }
  }
}
variable "nfs_server" {
  type = string
}
