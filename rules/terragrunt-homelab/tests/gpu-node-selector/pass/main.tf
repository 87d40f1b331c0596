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

# Spreading replicas by host name (pod anti-affinity) is not pinning to a host.
resource "kubernetes_deployment" "ml" {
  metadata {
    name = "ml"
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
        }
        affinity {
          pod_anti_affinity {
            preferred_during_scheduling_ignored_during_execution {
              weight = 100
              pod_affinity_term {
                topology_key = "kubernetes.io/hostname"
                label_selector {
                  match_labels = { app = "ml" }
                }
              }
            }
          }
        }
        container {
          name  = "ml"
          image = "ml:1.0.0"
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
