variable "postgresql_host" {
  type = string
}

resource "kubernetes_deployment" "health" {
  metadata {
    name = "health"
  }
  spec {
    template {
      spec {
        container {
          name  = "health"
          image = "viktorbarzin/apple-health-data:9e1d7c44"
          env {
            name  = "DB_HOST"
            value = var.postgresql_host
          }
          env {
            name  = "DATABASE_URL"
            value = "postgres://health@${var.postgresql_host}:5432/health"
          }
          command = ["/bin/sh", "-c", <<-EOT
            until pg_isready -h ${var.postgresql_host}; do sleep 2; done
            exec /app/server
          EOT
          ]
        }
      }
    }
  }
  lifecycle {
    ignore_changes = [spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}
