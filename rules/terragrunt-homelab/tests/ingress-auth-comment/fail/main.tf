module "api" {
  source = "../../modules/kubernetes/ingress_factory"
  name   = "api"
  auth   = "app" # expect: no comment above
}
module "blog" {
  source = "../../modules/kubernetes/ingress_factory"
  name   = "blog"
  # gated by Anubis

  auth   = "none" # expect: a blank line breaks the contiguous comment
}
module "notes" {
  source = "../../modules/kubernetes/ingress_factory"
  name   = "notes"
  #
  auth   = "app" # expect: an empty comment says nothing
}
