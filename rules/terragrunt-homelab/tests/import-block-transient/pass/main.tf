# Imported and applied: the import block was deleted, as it should be.
resource "kubernetes_namespace" "app" {
  metadata {
    name = "app"
  }
}

resource "kubernetes_config_map" "doc" {
  metadata {
    name = "doc"
  }
  data = {
    "howto.md" = <<-EOT
      import {
        to = kubernetes_namespace.app
      }
    EOT
  }
}
