resource "kubernetes_stateful_set_v1" "mysql" {
  metadata {
    name = "mysql"
  }
  spec {
    service_name = "mysql"
    template {
      metadata {}
      spec {
        container {
          name  = "mysql"
          image = "mysql:8.4"
        }
        container {
          name  = "pg"
          image = "ghcr.io/cloudnative-pg/postgresql:16.4-bookworm"
        }
        container {
          name  = "app"
          image = "nginx:1"
        }
      }
    }
  }
}
