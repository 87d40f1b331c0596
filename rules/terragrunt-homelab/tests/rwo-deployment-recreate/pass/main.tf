resource "kubernetes_persistent_volume_claim" "data" {
  wait_until_bound = false
  metadata {
    name = "app-data"
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}

resource "kubernetes_persistent_volume_claim" "shared" {
  metadata {
    name = "shared"
  }
  spec {
    access_modes       = ["ReadWriteMany"]
    storage_class_name = "nfs-proxmox"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}

resource "kubernetes_deployment" "recreate" {
  metadata {
    name = "recreate"
  }
  spec {
    strategy {
      type = "Recreate"
    }
    template {
      metadata {}
      spec {
        container {
          name  = "app"
          image = "app:1.0.0"
        }
        volume {
          name = "data"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.data.metadata[0].name
          }
        }
      }
    }
  }
}

# RWX on NFS may roll.
resource "kubernetes_deployment" "nfs" {
  metadata {
    name = "nfs"
  }
  spec {
    template {
      metadata {}
      spec {
        container {
          name  = "app"
          image = "app:1.0.0"
        }
        volume {
          name = "shared"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.shared.metadata[0].name
          }
        }
      }
    }
  }
}

# Stateful sets are not Deployments.
resource "kubernetes_stateful_set" "db" {
  metadata {
    name = "db"
  }
  spec {
    service_name = "db"
    template {
      metadata {}
      spec {
        container {
          name  = "db"
          image = "db:1.0.0"
        }
        volume {
          name = "data"
          persistent_volume_claim {
            claim_name = "app-data"
          }
        }
      }
    }
  }
}
