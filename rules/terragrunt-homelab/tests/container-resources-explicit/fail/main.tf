resource "kubernetes_deployment" "app" {
  metadata {
    name = "app"
  }
  spec {
    template {
      metadata {}
      spec {
        container { # expect: no resources at all
          name  = "app"
          image = "app:1.0.0"
        }
        container {
          name  = "sidecar"
          image = "sidecar:1.0.0"
          resources { # expect: no memory limit
            requests = {
              cpu    = "10m"
              memory = "32Mi"
            }
          }
        }
        init_container {
          name  = "init"
          image = "init:1.0.0"
          resources {
            limits { # expect: the older block syntax, with a CPU limit
              cpu    = "500m"
              memory = "64Mi"
            }
            requests {
              memory = "64Mi"
            }
          }
        }
      }
    }
  }
}

resource "kubernetes_cron_job_v1" "job" {
  metadata {
    name = "job"
  }
  spec {
    schedule = "0 * * * *"
    job_template {
      metadata {}
      spec {
        template {
          metadata {}
          spec {
            dynamic "container" { # expect: a dynamic container without resources
              for_each = toset(["a"])
              content {
                name  = container.value
                image = "job:1.0.0"
              }
            }
          }
        }
      }
    }
  }
}
