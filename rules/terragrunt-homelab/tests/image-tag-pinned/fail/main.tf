# Untagged and `latest` images in every place a container can be declared.
resource "kubernetes_deployment" "app" {
  metadata {
    name = "app"
  }
  spec {
    template {
      metadata {}
      spec {
        container {
          name  = "app"
          image = "nginx" # expect: no tag means latest
        }
        container {
          name  = "sidecar"
          image = "busybox:latest" # expect
        }
        init_container {
          name  = "init"
          image = "registry.example.com:5000/tools" # expect: the port is not a tag
        }
      }
    }
  }
}

locals {
  worker_image = "ghcr.io/acme/worker:latest"
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
            dynamic "container" {
              for_each = toset(["a", "b"])
              content {
                name  = container.value
                image = local.worker_image # expect: latest through a local
              }
            }
          }
        }
      }
    }
  }
}
