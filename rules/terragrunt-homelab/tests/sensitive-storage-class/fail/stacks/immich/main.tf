resource "kubernetes_persistent_volume_claim" "cache-encrypted" { # expect: named *-encrypted
  metadata {
    name = "cache-encrypted"
  }
  spec {
    access_modes = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
