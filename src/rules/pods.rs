//! Pod templates and containers of Terraform workload resources, shared by the rules that
//! look inside them (image tags, resources, GPU scheduling, update strategy).

use crate::syntax::hcl;
use hcl_edit::structure::{Block, Body};

/// The pod spec of a workload resource and its Terraform path (`spec[0].template[0].spec[0]`).
pub struct PodSpec<'a> {
    /// Path of the pod spec block, as written in `ignore_changes`.
    pub path: &'static str,
    /// The pod spec block.
    pub block: &'a Block,
}

/// The pod spec path of a workload type, or `None` for types without a pod template.
pub fn pod_spec_path(resource_type: &str) -> Option<&'static str> {
    pod_spec_location(resource_type).map(|(path, _)| path)
}

/// The pod spec path of a workload type with the block identifiers along it (what
/// [`super::lifecycle::path_blocks`] gives, written out: splitting the path again for every
/// resource of every rule was 1.5% of an audit, callgrind).
fn pod_spec_location(resource_type: &str) -> Option<(&'static str, &'static [&'static str])> {
    let base = resource_type.strip_suffix("_v1").unwrap_or(resource_type);
    match base {
        "kubernetes_deployment"
        | "kubernetes_stateful_set"
        | "kubernetes_daemon_set"
        | "kubernetes_daemonset"
        | "kubernetes_job"
        | "kubernetes_replication_controller" => {
            Some(("spec[0].template[0].spec[0]", &["spec", "template", "spec"]))
        }
        "kubernetes_cron_job" => Some((
            "spec[0].job_template[0].spec[0].template[0].spec[0]",
            &["spec", "job_template", "spec", "template", "spec"],
        )),
        "kubernetes_pod" => Some(("spec[0]", &["spec"])),
        _ => None,
    }
}

/// The pod spec block of a workload resource, when it has one.
pub fn pod_spec<'a>(resource_type: &str, resource: &'a Block) -> Option<PodSpec<'a>> {
    let (path, blocks) = pod_spec_location(resource_type)?;
    hcl::block_path(&resource.body, blocks).map(|block| PodSpec { path, block })
}

/// One container of a pod spec.
pub struct Container<'a> {
    /// `container` or `init_container`.
    pub kind: &'static str,
    /// Position among the blocks of its kind (`container[N]`); `None` inside a `dynamic`
    /// block, whose count is only known at plan time.
    pub index: Option<usize>,
    /// The block (`container { ... }` or the `dynamic` block).
    pub block: &'a Block,
    /// Where its attributes are: the block's body, or the `dynamic` block's `content`.
    pub body: &'a Body,
}

impl Container<'_> {
    /// The container's `name`, when it is a literal.
    pub fn name(&self) -> Option<String> {
        hcl::attr(self.body, "name").and_then(hcl::literal_str)
    }
}

/// Every container and init container of a pod spec, static and `dynamic`.
pub fn containers(pod: &Block) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    for kind in ["container", "init_container"] {
        for (i, block) in hcl::blocks(&pod.body, kind).enumerate() {
            out.push(Container {
                kind,
                index: Some(i),
                block,
                body: &block.body,
            });
        }
        for block in hcl::dynamic_blocks(&pod.body, kind) {
            if let Some(content) = hcl::block(&block.body, "content") {
                out.push(Container {
                    kind,
                    index: None,
                    block,
                    body: &content.body,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_out_blocks_are_those_of_the_path() {
        for ty in [
            "kubernetes_deployment_v1",
            "kubernetes_cron_job",
            "kubernetes_pod",
        ] {
            let (path, blocks) = pod_spec_location(ty).unwrap();
            assert_eq!(super::super::lifecycle::path_blocks(path), blocks, "{ty}");
        }
        assert!(pod_spec_location("kubernetes_service").is_none());
    }
}
