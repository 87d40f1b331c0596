resource "kubernetes_deployment" "single" {
  metadata {
    name = "single"
  }
  lifecycle {
    ignore_changes = [metadata[0].annotations["kubernetes.io/change-cause"], spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}

resource "kubernetes_deployment" "multi" {
  metadata {
    name = "multi"
  }
  lifecycle {
    ignore_changes = [
      metadata[0].annotations["kubernetes.io/change-cause"],        # set by kubectl rollout
      metadata[0].annotations["deployment.kubernetes.io/revision"], # managed by the controller, not us
      spec[0].template[0].spec[0].dns_config,                       # KYVERNO_LIFECYCLE_V1
    ]
  }
}

resource "kubernetes_stateful_set_v1" "no_marker" {
  metadata {
    name = "no-marker"
  }
  lifecycle {
    ignore_changes = [spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}

resource "kubernetes_daemon_set_v1" "no_attribute" {
  metadata {
    name = "no-attribute"
  }
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}

resource "kubernetes_cron_job_v1" "wrong_path" {
  metadata {
    name = "wrong-path"
  }
  lifecycle {
    ignore_changes = [spec[0].job_template[0].spec[0].template[0].spec[0].dns_config] # KYVERNO_LIFECYCLE_V1
  }
}
