variable "nfs_server" {
  type = string
}

module "nfs_data" {
  source     = "../../modules/kubernetes/nfs_volume"
  name       = "media-data"
  nfs_server = var.nfs_server
  nfs_path   = "/srv/nfs/media-data"
}

# An unrelated address is fine.
resource "kubernetes_config_map" "dns" {
  metadata {
    name = "dns"
  }
  data = {
    upstream = "192.168.1.1"
  }
}
