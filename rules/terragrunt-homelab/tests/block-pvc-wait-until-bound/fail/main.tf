resource "kubernetes_persistent_volume_claim" "data" { # expect: no wait_until_bound
  metadata {
    name      = "app-data"
    namespace = "app"
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = "proxmox-lvm"
    resources {
      requests = { storage = "1Gi" }
    }
  }
}

locals {
  class = "proxmox-lvm-encrypted"
}

resource "kubernetes_persistent_volume_claim_v1" "secret" {
  wait_until_bound = true # expect: true waits for a consumer that comes later
  metadata {
    name = "app-secret-encrypted"
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = local.class
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
