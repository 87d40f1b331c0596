resource "helm_release" "traefik" {
  name       = "traefik"
  repository = "https://traefik.github.io/charts"
  chart      = "traefik"
  version    = "34.4.1"
}

variable "kyverno_version" {
  type = string
}

resource "helm_release" "kyverno" {
  for_each = toset(["kyverno"])
  name     = each.key
  chart    = "kyverno"
  version  = var.kyverno_version
}
