resource "kubernetes_persistent_volume_claim" "data" { # expect: sensitive service on proxmox-lvm
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
