resource "kubernetes_manifest" "vpa" {
  manifest = {
    apiVersion = "autoscaling.k8s.io/v1"
    kind       = "VerticalPodAutoscaler"
    metadata = {
      name = "app"
    }
    spec = {
      targetRef    = { apiVersion = "apps/v1", kind = "Deployment", name = "app" }
      updatePolicy = { updateMode = "Initial" }
    }
  }
}

resource "kubernetes_manifest" "vpa_off" {
  manifest = {
    apiVersion = "autoscaling.k8s.io/v1"
    kind       = "VerticalPodAutoscaler"
    metadata = {
      name = "web"
    }
    spec = {
      targetRef    = { apiVersion = "apps/v1", kind = "Deployment", name = "web" }
      updatePolicy = { updateMode = "Off" }
    }
  }
}
