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
          image = "app:1.0.0"
          resources {
            requests = {
              cpu    = "25m"
              memory = "128Mi"
            }
            limits = {
              memory = "256Mi"
            }
          }
        }
        # container {
        #   name  = "debug"
        #   image = "busybox:1.36"
        # }
      }
    }
  }
}

# Not a workload: no containers to check.
resource "kubernetes_config_map" "c" {
  metadata {
    name = "c"
  }
  data = {
    "pod.yaml" = <<-EOT
      containers:
        - name: x
          resources: {}
    EOT
  }
}
