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
          persistent_volume_claim {
            claim_name = module.nfs_library.claim_name
          }
        }
        # volume {
        #   nfs { server = var.nfs_server }
        # }
      }
    }
  }
}
