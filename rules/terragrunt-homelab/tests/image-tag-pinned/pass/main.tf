variable "image_tag" {
  type = string
}

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
          image = "registry.example.com/app:1a2b3c4d"
        }
        container {
          name  = "digest"
          image = "busybox@sha256:3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79"
        }
        container {
          name  = "from-variable"
          image = "registry.example.com/app:${var.image_tag}"
        }
        # container {
        #   name  = "old"
        #   image = "nginx:latest"
        # }
      }
    }
  }
}

# Keel owns this container's tag: the lifecycle block ignores it.
resource "kubernetes_deployment" "keel" {
  metadata {
    name = "keel"
  }
  spec {
    template {
      metadata {}
      spec {
        container {
          name  = "keel"
          image = "registry.example.com/keel-managed:latest"
        }
      }
    }
  }
  lifecycle {
    ignore_changes = [
      spec[0].template[0].spec[0].container[0].image, # KEEL_IGNORE_IMAGE
    ]
  }
}

resource "kubernetes_config_map" "notes" {
  metadata {
    name = "notes"
  }
  data = {
    "compose.yaml" = <<-EOT
      services:
        web: { image: "nginx:latest" }
    EOT
  }
}
