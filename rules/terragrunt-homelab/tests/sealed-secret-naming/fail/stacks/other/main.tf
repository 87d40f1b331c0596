resource "kubernetes_namespace" "other" {
  metadata {
    name = "other"
  }
}
