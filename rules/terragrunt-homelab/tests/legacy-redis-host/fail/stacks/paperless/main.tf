variable "redis_host" {
  type = string
}

locals {
  broker = "redis://redis.redis.svc.cluster.local:6379" # expect: inside a larger string
}

resource "kubernetes_config_map" "paperless" {
  metadata {
    name = "paperless"
  }
  data = {
    PAPERLESS_REDIS = local.broker
    CACHE_HOST      = "redis.redis.svc.cluster.local" # expect
  }
}
