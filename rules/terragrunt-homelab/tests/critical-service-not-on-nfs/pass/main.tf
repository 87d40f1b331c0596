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
resource "kubernetes_deployment" "immich" {
  metadata {
    name = "immich"
  }
  spec {
    template {
      metadata {}
      spec {
        volume {
          name = "library"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.media.metadata[0].name
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
resource "kubernetes_persistent_volume_claim" "am" {
  wait_until_bound = false
  metadata {
    name = "alertmanager-data-encrypted"
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm-encrypted"
    resources {
      requests = { storage = "1Gi" }
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
            claim_name = kubernetes_persistent_volume_claim.am.metadata[0].name
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
