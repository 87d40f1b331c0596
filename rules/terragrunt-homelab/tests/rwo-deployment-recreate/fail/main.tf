# The claim is declared in pvc.tf: the rule follows the reference across files.
resource "kubernetes_deployment" "by_reference" { # expect: no strategy
  metadata {
    name = "by-reference"
  }
  spec {
    replicas = 1
    template {
      metadata {}
      spec {
        container {
          name  = "app"
          image = "app:1.0.0"
        }
        volume {
          name = "data"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.data.metadata[0].name
          }
        }
      }
    }
  }
}

resource "kubernetes_deployment_v1" "by_name" {
  metadata {
    name = "by-name"
  }
  spec {
    strategy { # expect: RollingUpdate
      type = "RollingUpdate"
    }
    template {
      metadata {}
      spec {
        container {
          name  = "app"
          image = "app:1.0.0"
        }
        dynamic "volume" {
          for_each = ["data"]
          content {
            name = volume.value
            persistent_volume_claim {
              claim_name = "app-data"
            }
          }
        }
      }
    }
  }
}

module "block" {
  source        = "./modules/pvc"
  storage_class = "proxmox-lvm-encrypted"
}

resource "kubernetes_deployment" "by_module" { # expect: claim from a module on a block class
  metadata {
    name = "by-module"
  }
  spec {
    template {
      metadata {}
      spec {
        container {
          name  = "app"
          image = "app:1.0.0"
        }
        volume {
          name = "data"
          persistent_volume_claim {
            claim_name = module.block.claim_name
          }
        }
      }
    }
  }
}
