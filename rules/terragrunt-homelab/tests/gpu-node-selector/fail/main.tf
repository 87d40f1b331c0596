resource "kubernetes_deployment" "frigate" { # expect: no label, no toleration
  metadata {
    name = "frigate"
  }
  spec {
    template {
      metadata {}
      spec {
        node_selector = {
          "kubernetes.io/hostname" = "k8s-node1" # expect: pinned to a host
        }
        container {
          name  = "app"
          image = "app:1.0.0"
          resources {
            limits = {
              "nvidia.com/gpu" = 1
            }
          }
        }
      }
    }
  }
}
resource "kubernetes_deployment" "immich_ml" { # expect: no toleration
  metadata {
    name = "immich-ml"
  }
  spec {
    template {
      metadata {}
      spec {
        node_selector = {
          "nvidia.com/gpu.present" = "true"
        }
        container {
          name  = "app"
          image = "app:1.0.0"
          resources {
            limits = {
              "nvidia.com/gpu" = 1
            }
          }
        }
      }
    }
  }
}
