variable "redis_host" {
  type = string
}

resource "kubernetes_config_map" "paperless" {
  metadata {
    name = "paperless"
  }
  data = {
    PAPERLESS_REDIS = "redis://${var.redis_host}:6379"
    # the old redis.redis.svc.cluster.local service is gone (a comment, not a value)
  }
}
