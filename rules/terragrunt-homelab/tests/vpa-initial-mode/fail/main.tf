resource "kubernetes_manifest" "vpa_auto" {
  manifest = {
    apiVersion = "autoscaling.k8s.io/v1"
    kind       = "VerticalPodAutoscaler"
    metadata = {
      name = "app"
    }
    spec = {
      targetRef = { apiVersion = "apps/v1", kind = "Deployment", name = "app" }
      updatePolicy = {
        updateMode = "Auto" # expect
      }
    }
  }
}

resource "kubernetes_manifest" "vpa_default" { # expect: no updatePolicy means Auto
  manifest = {
    apiVersion = "autoscaling.k8s.io/v1"
    kind       = "VerticalPodAutoscaler"
    metadata = {
      name = "web"
    }
    spec = {
      targetRef = { apiVersion = "apps/v1", kind = "Deployment", name = "web" }
    }
  }
}
