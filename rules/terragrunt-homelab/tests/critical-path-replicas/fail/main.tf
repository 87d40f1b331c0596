resource "kubernetes_deployment" "traefik" {
  metadata {
    name = "traefik"
  }
  spec {
    replicas = 2 # expect: too few
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
resource "kubernetes_deployment" "authentik_server" { # expect: no replicas (runs 1) # expect: no PDB
  metadata {
    name = "authentik"
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

resource "kubernetes_pod_disruption_budget_v1" "traefik" {
  metadata {
    name = "traefik"
  }
  spec {
    min_available = 2
    selector {
      match_labels = { app = "traefik" }
    }
  }
}
