resource "kubernetes_deployment" "cloudflared" {
  metadata {
    name = "cloudflared"
  }
  spec {
    replicas = 3
    template {
      metadata {}
      spec {
        container {
          name  = "app"
          image = "app:1.0.0"
        }
      }
    }
  }
}

resource "kubernetes_pod_disruption_budget_v1" "cloudflared" {
  metadata {
    name = "cloudflared"
  }
  spec {
    min_available = 2
    selector {
      match_labels = { app = "cloudflared" }
    }
  }
}
resource "kubernetes_deployment" "whoami" {
  metadata {
    name = "whoami"
  }
  spec {
    template {
      metadata {}
      spec {
        container {
          name  = "app"
          image = "app:1.0.0"
        }
      }
    }
  }
}
