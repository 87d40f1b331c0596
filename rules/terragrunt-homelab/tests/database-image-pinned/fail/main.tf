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
          image = "mysql:8" # expect: a major version floats
        }
        container {
          name  = "redis"
          image = "docker.io/library/redis:latest" # expect
        }
      }
    }
  }
}

resource "kubernetes_deployment" "pg" {
  metadata {
    name = "pg"
  }
  spec {
    template {
      metadata {}
      spec {
        container {
          name  = "postgres"
          image = "postgres" # expect: untagged
        }
      }
    }
  }
}
