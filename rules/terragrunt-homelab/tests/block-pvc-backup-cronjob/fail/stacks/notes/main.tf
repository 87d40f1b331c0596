resource "kubernetes_persistent_volume_claim" "data" { # expect: no backup job
  wait_until_bound = false
  metadata {
    name = "notes-data"
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm-encrypted"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
