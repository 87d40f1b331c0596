resource "helm_release" "traefik" { # expect: no version
  name       = "traefik"
  repository = "https://traefik.github.io/charts"
  chart      = "traefik"
  values = [<<-EOT
    deployment:
      replicas: 3
    version: "this is values text, not the chart version"
  EOT
  ]
}

resource "helm_release" "kyverno" {
  name    = "kyverno"
  chart   = "kyverno"
  version = "" # expect: empty
}
