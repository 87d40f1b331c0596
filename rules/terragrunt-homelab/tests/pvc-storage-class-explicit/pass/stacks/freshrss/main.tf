resource "kubernetes_persistent_volume_claim" "data" {
  metadata {
    name = "data"
  }
  spec {
    access_modes = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
