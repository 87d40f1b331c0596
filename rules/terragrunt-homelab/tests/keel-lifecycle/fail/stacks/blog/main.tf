resource "kubernetes_namespace" "blog" {
  metadata {
    name = "blog"
    labels = {
      "keel.sh/enrolled" = "true"
    }
  }
}

resource "kubernetes_deployment" "blog" {
  metadata {
    name      = "blog"
    namespace = kubernetes_namespace.blog.metadata[0].name
  }
  spec {
    template {
      spec {
        init_container {
          name  = "fetch"
          image = "alpine/git:2.45.2"
        }
        container {
          name  = "nginx"
          image = "nginx:1.27.0"
        }
        container {
          name  = "nginx-exporter"
          image = "nginx/nginx-prometheus-exporter:1.1.0"
        }
      }
    }
  }
  lifecycle {
    ignore_changes = [
      spec[0].template[0].spec[0].dns_config, # KYVERNO_LIFECYCLE_V1
      metadata[0].annotations["keel.sh/policy"],
      metadata[0].annotations["keel.sh/trigger"],
      metadata[0].annotations["keel.sh/pollSchedule"], # KYVERNO_LIFECYCLE_V2
      spec[0].template[0].spec[0].container[0].image,  # KEEL_IGNORE_IMAGE
    ]
  }
}

resource "kubernetes_deployment" "preview" {
  metadata {
    name      = "preview"
    namespace = kubernetes_namespace.blog.metadata[0].name
  }
  spec {
    template {
      spec {
        container {
          name  = "preview"
          image = "nginx:1.27.0"
        }
      }
    }
  }
  lifecycle {
    ignore_changes = [spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}

resource "kubernetes_stateful_set" "search" {
  metadata {
    name      = "search"
    namespace = "blog"
  }
  spec {
    template {
      spec {
        container {
          name  = "meilisearch"
          image = "getmeili/meilisearch:v1.8.3"
        }
      }
    }
  }
}
