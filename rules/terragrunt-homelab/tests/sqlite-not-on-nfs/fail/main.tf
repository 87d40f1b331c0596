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
resource "kubernetes_deployment" "app" {
  metadata {
    name = "app"
  }
  spec {
    template {
      metadata {}
      spec {
        volume {
          name = "data"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.media.metadata[0].name
          }
        }
        container {
          name  = "app"
          image = "app:1.0.0"
          env {
            name  = "DATABASE_URL"
            value = "sqlite:////data/app.db" # expect
          }
          args = ["--db", "/data/cache.sqlite3"] # expect
          volume_mount {
            name       = "data"
            mount_path = "/data"
          }
        }
      }
    }
  }
}
