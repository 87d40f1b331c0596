resource "kubernetes_manifest" "inject_ndots" {
  manifest = {
    apiVersion = "kyverno.io/v1"
    kind       = "ClusterPolicy"
    metadata = {
      name = "inject-ndots"
    }
    spec = {
      failurePolicy = "Ignore"
      rules         = []
    }
  }
}

# Not Kyverno: another ClusterPolicy kind.
resource "kubernetes_manifest" "other" {
  manifest = {
    apiVersion = "policy.example.com/v1"
    kind       = "ClusterPolicy"
    metadata = {
      name = "other"
    }
    spec = {}
  }
}
