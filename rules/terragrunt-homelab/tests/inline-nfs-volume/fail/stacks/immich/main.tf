resource "kubernetes_deployment" "immich" {
  metadata {
    name = "immich"
  }
  spec {
    template {
      metadata {}
      spec {
        container {
          name  = "server"
          image = "ghcr.io/immich-app/immich-server:v1.132.3"
        }
        volume {
          name = "library"
          nfs { # expect
            server = var.nfs_server
            path   = "/srv/nfs/immich"
          }
        }
        dynamic "volume" {
          for_each = ["thumbs"]
          content {
            name = volume.value
            nfs { # expect: inside a dynamic volume
              server = var.nfs_server
              path   = "/srv/nfs/thumbs"
            }
          }
        }
      }
    }
  }
}
