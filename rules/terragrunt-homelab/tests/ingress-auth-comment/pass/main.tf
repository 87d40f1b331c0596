module "api" {
  source = "../../modules/kubernetes/ingress_factory"
  name   = "api"
  # FastAPI's own JWT login gates every route.
  auth   = "app"
}
module "blog" {
  source = "../../modules/kubernetes/ingress_factory"
  name   = "blog"
  # Public, read-only content fronted by Anubis;
  # the admin UI is on a separate required-auth ingress.
  auth   = "none"
}
module "grafana" {
  source = "../../modules/kubernetes/ingress_factory"
  name   = "grafana"
  auth   = "required"
}
