resource "kubernetes_persistent_volume_claim" "data-encrypted" {
  metadata {
    name = "data-encrypted"
  }
  spec {
    access_modes = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm-encrypted"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
