resource "kubernetes_persistent_volume_claim" "data" { # expect: no annotations at all
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

resource "kubernetes_persistent_volume_claim" "partial" {
  wait_until_bound = false
  metadata {
    name = "app-partial-encrypted"
    annotations = { # expect: storage_limit missing
      "resize.topolvm.io/threshold" = "80%"
      "resize.topolvm.io/increase"  = "100%"
    }
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm-encrypted"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
