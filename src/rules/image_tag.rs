//! `image-tag` kind: container images carry an explicit tag that is not a moving one
//! (`image-tag-pinned`, seed 000: "`:latest` causes stale pull-through cache"), and chosen
//! images (databases) are pinned to an exact version (`database-image-pinned`, seed 000:
//! "Pin database versions").

use super::pods::{containers, pod_spec};
use super::{Check, Emitter, FileContext};
use crate::index::{dir_of, Value};
use crate::syntax::hcl;
use hcl_edit::Span;
use serde::Deserialize;

fn default_forbidden() -> Vec<String> {
    vec!["latest".into()]
}

/// Parameters of an `image-tag` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Tags that move and so count as no pin (`latest`). An image without a tag runs
    /// `latest` and counts too.
    #[serde(default = "default_forbidden")]
    pub forbidden_tags: Vec<String>,
    /// Only images whose repository's last path segment is one of these (`mysql`,
    /// `postgres`); empty: every image.
    #[serde(default)]
    pub images: Vec<String>,
    /// The tag must start with at least this many dot-separated numbers (2: `16.4`,
    /// `8.4.3`; `16` alone floats); 0: any tag that is not forbidden. A digest always pins.
    #[serde(default)]
    pub min_version_parts: usize,
    /// The same for images in YAML manifests (seed 004: "non-semantic version tags" are
    /// out, while seed 000's own images use 8-character git SHA tags); default:
    /// `min_version_parts`.
    #[serde(default)]
    pub yaml_min_version_parts: Option<usize>,
    /// Skip containers whose image Keel updates: the resource's `ignore_changes` covers
    /// their `container[N].image` (Keel owns the tag; the repo pins nothing).
    #[serde(default)]
    pub skip_keel_owned: bool,
    /// Image references accepted as they are (`bitnami/kubectl:latest`).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Also check YAML manifests: containers of plain workloads and of app-template
    /// HelmReleases (`image.repository` + `image.tag`).
    #[serde(default)]
    pub yaml: bool,
}

/// The check.
pub struct ImageTag {
    params: Params,
}

impl ImageTag {
    /// Builds the check.
    pub fn new(params: Params) -> Self {
        ImageTag { params }
    }
}

/// An image reference split into repository, tag and digest.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// `registry/path/name`.
    pub repository: &'a str,
    /// The tag after `:`, when there is one.
    pub tag: Option<&'a str>,
    /// Whether a `@sha256:...` digest pins it.
    pub digest: bool,
}

/// Splits `[registry[:port]/]path[:tag][@digest]`.
pub fn parse_image(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    match name[last_slash..].rfind(':') {
        Some(i) => ImageRef {
            repository: &name[..last_slash + i],
            tag: Some(&name[last_slash + i + 1..]),
            digest,
        },
        None => ImageRef {
            repository: name,
            tag: None,
            digest,
        },
    }
}

/// How many leading dot-separated numeric parts a tag has (`8.4.3-debian` -> 3, `v16` -> 1).
fn version_parts(tag: &str) -> usize {
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let version = tag.split(['-', '_', '+']).next().unwrap_or_default();
    version
        .split('.')
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .count()
}

impl ImageTag {
    /// What is wrong with an image reference, if anything.
    fn problem(&self, image: &str, min_parts: usize) -> Option<String> {
        let p = &self.params;
        if p.allow.iter().any(|a| a == image) {
            return None;
        }
        let r = parse_image(image);
        let short = r.repository.rsplit('/').next().unwrap_or(r.repository);
        if !p.images.is_empty() && !p.images.iter().any(|i| i == short) {
            return None;
        }
        if r.digest {
            return None;
        }
        match r.tag {
            None => Some(format!(
                "image `{image}` has no tag, so it runs `latest`: a moving tag that the pull-through cache serves stale; pin an explicit tag"
            )),
            Some(t) if p.forbidden_tags.iter().any(|f| f == t) => Some(format!(
                "image `{image}` uses the moving tag `{t}`, which the pull-through cache serves stale; pin an explicit tag (own images: the 8-character git SHA)"
            )),
            Some(t) if min_parts > 0 && version_parts(t) < min_parts => Some(if min_parts == 1 {
                format!(
                    "image `{image}`: tag `{t}` is not a version; pin a release version (e.g. `{}:1.2.3`), optionally with its `@sha256:` digest",
                    r.repository
                )
            } else {
                format!(
                    "image `{image}` is not pinned to an exact version: tag `{t}` floats to new releases; use at least {min_parts} version parts (e.g. `{}:{}`)",
                    r.repository,
                    example_version(min_parts)
                )
            }),
            Some(_) => None,
        }
    }
}

fn example_version(parts: usize) -> String {
    ["8", "4", "3", "0"][..parts.clamp(1, 4)].join(".")
}

impl ImageTag {
    /// The YAML extractor: plain manifests and app-template controllers.
    fn check_yaml(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(yaml) = ctx.yaml else { return };
        for doc in &yaml.docs {
            for w in super::manifests::workloads(doc) {
                for c in &w.containers {
                    let Some((image, node)) = &c.image else {
                        continue;
                    };
                    // Flux substitutes `${VAR}` at apply time: decided elsewhere.
                    if image.contains("${") {
                        continue;
                    }
                    let min = self
                        .params
                        .yaml_min_version_parts
                        .unwrap_or(self.params.min_version_parts);
                    if let Some(message) = self.problem(image, min) {
                        let what = if w.chart {
                            "app-template controller"
                        } else {
                            w.kind.as_str()
                        };
                        out.violation(
                            node.span.clone(),
                            format!("container `{}` of {what} `{}`: {message}", c.name, w.name),
                        );
                    }
                }
            }
        }
    }
}

impl Check for ImageTag {
    fn wants_yaml(&self) -> bool {
        self.params.yaml
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        if self.params.yaml {
            self.check_yaml(ctx, out);
        }
        let Some(hcl_file) = ctx.hcl else { return };
        let file = ctx.file;
        let dir = dir_of(&file.path);
        for (ty, _name, resource) in hcl::resources(&hcl_file.body) {
            let Some(pod) = pod_spec(ty, resource) else {
                continue;
            };
            let Some(owner) = ctx.owner(resource) else {
                continue;
            };
            let ignore = ctx.ignore_list(resource);
            for c in containers(pod.block) {
                let Some(expr) = hcl::attr(c.body, "image") else {
                    continue;
                };
                if self.params.skip_keel_owned {
                    if let (Some(i), Some(list)) = (c.index, &ignore) {
                        if list.covers(&format!("{}.{}[{i}].image", pod.path, c.kind)) {
                            continue;
                        }
                    }
                }
                // Images built from variables without defaults are decided at plan time.
                let Value::Known(image) = ctx.repo.eval(dir, file, expr) else {
                    continue;
                };
                if let Some(message) = self.problem(&image, self.params.min_version_parts) {
                    let span = expr.span().unwrap_or(owner.header.clone());
                    let who = match c.name() {
                        Some(n) => format!("{} `{n}` of `{}`", c.kind, owner.address),
                        None => format!("a {} of `{}`", c.kind, owner.address),
                    };
                    out.violation(span, format!("{who}: {message}"))
                        .owned_by(&owner, file);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split() {
        let r = parse_image("registry.example:5000/team/app:1a2b3c4d");
        assert_eq!(r.repository, "registry.example:5000/team/app");
        assert_eq!(r.tag, Some("1a2b3c4d"));
        assert_eq!(parse_image("registry.example:5000/app").tag, None);
        assert!(parse_image("mysql@sha256:abc").digest);
        assert_eq!(version_parts("8.4.3-debian"), 3);
        assert_eq!(version_parts("v16"), 1);
        assert_eq!(version_parts("alpine"), 0);
    }
}
