resource "kubernetes_persistent_volume_claim" "data" { # expect: binds to local-path
  metadata {
    name = "data"
  }
  spec {
    access_modes = ["ReadWriteOnce"]
    resources {
      requests = { storage = "1Gi" }
    }
  }
}
