resource "kubernetes_persistent_volume_claim" "cache" {
  metadata {
    name = "cache"
  }
  spec {
    access_modes = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
