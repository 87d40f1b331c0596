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
resource "kubernetes_persistent_volume_claim" "db" {
  wait_until_bound = false
  metadata {
    name = "db"
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
resource "kubernetes_deployment" "app" {
  metadata {
    name = "app"
  }
  spec {
    template {
      metadata {}
      spec {
        volume {
          name = "media"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.media.metadata[0].name
          }
        }
        volume {
          name = "db"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.db.metadata[0].name
          }
        }
        container {
          name  = "app"
          image = "app:1.0.0"
          env {
            name  = "DATABASE_URL"
            value = "sqlite:////var/lib/app/app.db"
          }
          env {
            name  = "MEDIA"
            value = "/media/library.db.txt"
          }
          volume_mount {
            name       = "db"
            mount_path = "/var/lib/app"
          }
          volume_mount {
            name       = "media"
            mount_path = "/media"
          }
        }
      }
    }
  }
}
