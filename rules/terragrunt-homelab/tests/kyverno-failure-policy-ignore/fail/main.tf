resource "kubernetes_manifest" "inject_ndots" { # expect: failurePolicy not set means Fail
  manifest = {
    apiVersion = "kyverno.io/v1"
    kind       = "ClusterPolicy"
    metadata = {
      name = "inject-ndots"
    }
    spec = {
      rules = []
    }
  }
}

resource "kubernetes_manifest" "strict" {
  manifest = {
    apiVersion = "kyverno.io/v1"
    kind       = "Policy"
    metadata = {
      name      = "strict"
      namespace = "apps"
    }
    spec = {
      failurePolicy = "Fail" # expect
      rules         = []
    }
  }
}
