resource "kubernetes_deployment" "immich_ml" {
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
        toleration {
          key      = "nvidia.com/gpu"
          operator = "Exists"
          effect   = "NoSchedule"
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
resource "kubernetes_deployment" "web" {
  metadata {
    name = "web"
  }
  spec {
    template {
      metadata {}
      spec {
        node_selector = {
          "kubernetes.io/hostname" = "k8s-node2"
        }
        container {
          name  = "app"
          image = "app:1.0.0"
        }
      }
    }
  }
}
