resource "kubernetes_persistent_volume" "media" {
  metadata {
    name = "media-host"
  }
  spec {
    capacity = { storage = "1Ti" }
    access_modes = ["ReadWriteMany"]
    persistent_volume_source {
      nfs {
        server = "192.168.1.127" # expect
        path   = "/srv/nfs/media"
      }
    }
    mount_options = ["nfsvers=4", "soft", "timeo=30", "retrans=3", "actimeo=5"]
  }
}

module "nfs_data" {
  source     = "../../modules/kubernetes/nfs_volume"
  name       = "media-data"
  nfs_server = "192.168.1.127" # expect
  nfs_path   = "/srv/nfs/media-data"
}
