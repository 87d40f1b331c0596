//! Workloads declared in Kubernetes YAML: plain manifests (Deployment, StatefulSet,
//! DaemonSet, Job, CronJob, Pod) and the controllers of a Flux `HelmRelease` of the bjw-s
//! `app-template` chart (`values.controllers.<name>`), as one model, so a rule such as
//! `image-tag-pinned` or `run-as-non-root` is written once for both (seed 004).

use crate::syntax::yaml::{Document, Node};

/// One container of a workload.
pub struct YContainer<'a> {
    /// Container name (the map key for app-template).
    pub name: String,
    /// Whether it is an init container.
    pub init: bool,
    /// The image as `repository[:tag][@digest]`, and the node to point at.
    pub image: Option<(String, &'a Node)>,
    /// `securityContext` of the container.
    pub security: Option<&'a Node>,
    /// Where a finding about the container points: its list item (plain) or its key
    /// (app-template).
    pub node: &'a Node,
    /// The container's mapping.
    pub map: &'a Node,
}

/// A volume claim a workload mounts.
pub struct ClaimUse<'a> {
    /// The claim's name as written (may hold Flux `${VAR}` placeholders); `None` for a claim
    /// the chart creates itself (app-template `type: persistentVolumeClaim`).
    pub name: Option<String>,
    /// For a claim the chart creates: its access mode as written (`None`: the chart's
    /// default, ReadWriteOnce).
    pub access_mode: Option<String>,
    /// Where it is mounted (the volume or persistence entry).
    pub node: &'a Node,
}

/// A workload.
pub struct YWorkload<'a> {
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `CronJob`, `Job` or `Pod`.
    pub kind: String,
    /// Object name or app-template controller name.
    pub name: String,
    /// Declared through an app-template HelmRelease (controller), not a plain manifest.
    pub chart: bool,
    /// Where a finding about the whole workload points (`kind:` or the controller key).
    pub at: &'a Node,
    /// The update strategy type node (`spec.strategy.type`, `spec.updateStrategy.type`,
    /// app-template `strategy`), and the node to point at when it is absent.
    pub strategy: Option<&'a Node>,
    /// Pod-level `securityContext` (app-template: the controller's `pod`, else
    /// `defaultPodOptions`).
    pub pod_security: Option<&'a Node>,
    /// Containers and init containers.
    pub containers: Vec<YContainer<'a>>,
    /// Claims mounted.
    pub claims: Vec<ClaimUse<'a>>,
    /// The workload's own annotations (`metadata.annotations`; app-template: the
    /// controller's `annotations`).
    pub annotations: Option<&'a Node>,
}

const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "CronJob",
    "Job",
    "Pod",
];

/// Whether a HelmRelease installs the app-template chart (`spec.chart.spec.chart`, or a
/// `spec.chartRef` naming an OCIRepository called `app-template`).
pub fn is_app_template(root: &Node) -> bool {
    let chart = root
        .path(&["spec", "chart", "spec", "chart"])
        .and_then(Node::as_str);
    let chart_ref = root
        .path(&["spec", "chartRef", "name"])
        .and_then(Node::as_str);
    chart.is_some_and(|c| c.ends_with("app-template"))
        || chart_ref.is_some_and(|c| c.contains("app-template"))
}

/// Every workload a document declares.
pub fn workloads(doc: &Document) -> Vec<YWorkload<'_>> {
    let Some(root) = doc.root.as_ref() else {
        return Vec::new();
    };
    let Some(kind) = root.get("kind").and_then(Node::as_str) else {
        return Vec::new();
    };
    if WORKLOAD_KINDS.contains(&kind) {
        return plain(root, kind).into_iter().collect();
    }
    if kind == "HelmRelease" && is_app_template(root) {
        return app_template(root);
    }
    Vec::new()
}

fn plain<'a>(root: &'a Node, kind: &str) -> Option<YWorkload<'a>> {
    let at = root.get("kind")?;
    let spec = root.get("spec");
    let pod = match kind {
        "Pod" => spec,
        "CronJob" => spec.and_then(|s| s.path(&["jobTemplate", "spec", "template", "spec"])),
        _ => spec.and_then(|s| s.path(&["template", "spec"])),
    };
    let strategy = match kind {
        "Deployment" => spec.and_then(|s| s.path(&["strategy", "type"])),
        "StatefulSet" | "DaemonSet" => spec.and_then(|s| s.path(&["updateStrategy", "type"])),
        _ => None,
    };
    let mut containers = Vec::new();
    let mut claims = Vec::new();
    if let Some(pod) = pod {
        for (key, init) in [("containers", false), ("initContainers", true)] {
            for c in pod.get(key).map(Node::items).unwrap_or_default() {
                containers.push(YContainer {
                    name: c
                        .get("name")
                        .and_then(Node::as_str)
                        .unwrap_or("?")
                        .to_string(),
                    init,
                    image: c
                        .get("image")
                        .and_then(|i| i.as_str().map(|s| (s.to_string(), i))),
                    security: c.get("securityContext"),
                    node: c,
                    map: c,
                });
            }
        }
        for v in pod.get("volumes").map(Node::items).unwrap_or_default() {
            if let Some(name) = v
                .path(&["persistentVolumeClaim", "claimName"])
                .and_then(Node::as_str)
            {
                claims.push(ClaimUse {
                    name: Some(name.to_string()),
                    access_mode: None,
                    node: v,
                });
            }
        }
    }
    Some(YWorkload {
        kind: kind.to_string(),
        name: root
            .path(&["metadata", "name"])
            .and_then(Node::as_str)
            .unwrap_or("?")
            .to_string(),
        chart: false,
        at,
        strategy,
        pod_security: pod.and_then(|p| p.get("securityContext")),
        containers,
        claims,
        annotations: root.path(&["metadata", "annotations"]),
    })
}

fn app_template(root: &Node) -> Vec<YWorkload<'_>> {
    let Some(values) = root.path(&["spec", "values"]) else {
        return Vec::new();
    };
    let default_pod = values.path(&["defaultPodOptions", "securityContext"]);
    let persistence = values
        .get("persistence")
        .map(Node::entries)
        .unwrap_or_default();
    let mut out = Vec::new();
    for (key, controller) in values
        .get("controllers")
        .map(Node::entries)
        .unwrap_or_default()
    {
        let Some(cname) = key.as_str() else { continue };
        if controller.get("enabled").is_some_and(Node::is_false) {
            continue;
        }
        let kind = match controller
            .get("type")
            .and_then(Node::as_str)
            .unwrap_or("deployment")
        {
            "statefulset" => "StatefulSet",
            "daemonset" => "DaemonSet",
            "cronjob" => "CronJob",
            "job" => "Job",
            _ => "Deployment",
        };
        let mut containers = Vec::new();
        for (section, init) in [("containers", false), ("initContainers", true)] {
            for (ck, c) in controller
                .get(section)
                .map(Node::entries)
                .unwrap_or_default()
            {
                let image = c.get("image").and_then(|i| {
                    let repo = i.get("repository").and_then(Node::as_str)?;
                    let tag = i.get("tag").and_then(Node::as_str);
                    let text = match tag {
                        Some(t) if t.starts_with("sha256:") => format!("{repo}@{t}"),
                        Some(t) => format!("{repo}:{t}"),
                        None => repo.to_string(),
                    };
                    Some((text, i.get("tag").unwrap_or(i)))
                });
                containers.push(YContainer {
                    name: ck.as_str().unwrap_or("?").to_string(),
                    init,
                    image,
                    security: c.get("securityContext"),
                    node: ck,
                    map: c,
                });
            }
        }
        let mut claims = Vec::new();
        for (pk, p) in persistence {
            if p.get("enabled").is_some_and(Node::is_false) {
                continue;
            }
            // advancedMounts names the controllers that mount it; otherwise every one does.
            if let Some(adv) = p.get("advancedMounts") {
                if adv.get(cname).is_none() && p.get("globalMounts").is_none() {
                    continue;
                }
            }
            let ty = p.get("type").and_then(Node::as_str);
            if let Some(existing) = p.get("existingClaim").and_then(Node::as_str) {
                claims.push(ClaimUse {
                    name: Some(existing.to_string()),
                    access_mode: None,
                    node: pk,
                });
            } else if ty == Some("persistentVolumeClaim") {
                claims.push(ClaimUse {
                    name: None,
                    access_mode: Some(
                        p.get("accessMode")
                            .and_then(Node::as_str)
                            .unwrap_or("ReadWriteOnce")
                            .to_string(),
                    ),
                    node: pk,
                });
            }
        }
        out.push(YWorkload {
            kind: kind.to_string(),
            name: cname.to_string(),
            chart: true,
            at: key,
            strategy: controller.get("strategy"),
            pod_security: controller.path(&["pod", "securityContext"]).or(default_pod),
            containers,
            claims,
            annotations: controller.get("annotations"),
        });
    }
    out
}
