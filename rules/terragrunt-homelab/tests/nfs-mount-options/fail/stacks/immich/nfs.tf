resource "kubernetes_persistent_volume" "thumbs" {
  metadata {
    name = "immich-thumbs"
  }
  spec {
    capacity = {
      storage = "100Gi"
    }
    access_modes  = ["ReadWriteMany"]
    mount_options = ["nfsvers=3", "soft", "timeo=30", "retrans=3", "actimeo=5"]
    persistent_volume_source {
      nfs {
        server = var.nfs_server
        path   = "/srv/nfs/immich/thumbs"
      }
    }
  }
}

resource "kubernetes_persistent_volume" "library" {
  metadata {
    name = "immich-library"
  }
  spec {
    capacity = {
      storage = "1Ti"
    }
    access_modes = ["ReadWriteMany"]
    mount_options = [
      "soft",
      "timeo=30",
      "retrans=3",
      "actimeo=5",
    ]
    persistent_volume_source {
      csi {
        driver        = "nfs.csi.k8s.io"
        volume_handle = "immich-library"
      }
    }
  }
}

resource "kubernetes_persistent_volume" "models" {
  metadata {
    name = "immich-models"
  }
  spec {
    capacity = {
      storage = "20Gi"
    }
    access_modes = ["ReadWriteMany"]
    persistent_volume_source {
      csi {
        driver        = "nfs.csi.k8s.io"
        volume_handle = "immich-models"
      }
    }
  }
}

resource "kubernetes_storage_class_v1" "nfs" {
  metadata {
    name = "nfs-proxmox"
  }
  storage_provisioner = "nfs.csi.k8s.io"
  reclaim_policy      = "Retain"
  mount_options       = ["soft", "timeo=30", "retrans=3", "actimeo=5"]
}
