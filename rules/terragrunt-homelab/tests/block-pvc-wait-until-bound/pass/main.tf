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

# NFS and local-path claims bind immediately: waiting is fine.
resource "kubernetes_persistent_volume_claim" "media" {
  metadata {
    name = "media"
  }
  spec {
    access_modes       = ["ReadWriteMany"]
    storage_class_name = "nfs-proxmox"
    resources {
      requests = { storage = "100Gi" }
    }
  }
}

# resource "kubernetes_persistent_volume_claim" "old" {
#   metadata { name = "old" }
#   spec { storage_class_name = "proxmox-lvm" }
# }
