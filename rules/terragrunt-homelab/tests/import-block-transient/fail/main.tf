import { # expect
  to = kubernetes_namespace.app
  id = "app"
}

resource "kubernetes_namespace" "app" {
  metadata {
    name = "app"
  }
}

# import {
#   to = kubernetes_namespace.old
#   id = "old"
# }
