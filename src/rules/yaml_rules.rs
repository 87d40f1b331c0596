//! Rule kinds for Kubernetes and Flux YAML (the flux-gitops pack, seed 004):
//! - `yaml-document-start`: files start with `---` (safe fix);
//! - `schema-directive`: `# yaml-language-server: $schema=` sits right after every `---`
//!   (safe fix: move it there);
//! - `yaml-forbidden-kind`: objects of given kinds are not committed as plain manifests
//!   (`no-raw-secret`, `no-raw-configmap`);
//! - `yaml-field`: a field of given kinds never holds given values (`no-loadbalancer-service`,
//!   `no-substitutefrom-secret`);
//! - `yaml-workload`: checks on workloads, plain or app-template (`statefulset-not-recreate`,
//!   `run-as-non-root`, `drop-all-capabilities`);
//! - `kustomization-sorted`: `resources:` of a kustomization.yaml in alphabetical order
//!   (safe fix: sort);
//! - `namespace-inheritance`: app resources omit `metadata.namespace`, and Flux
//!   Kustomizations set `spec.targetNamespace` (`no-namespace-in-app-resources`);
//! - `literal-domain`: host names use the `${SECRET_DOMAIN}` placeholder (`no-literal-domain`);
//! - `yaml-indentation`: 2-space indentation.

use super::manifests::{workloads, YWorkload};
use super::{Check, Emitter, FileContext};
use crate::finding::{Applicability, Edit};
use crate::fix::text;
use crate::syntax::yaml::{Document, Node, NodeKind};
use serde::Deserialize;

fn docs<'a>(ctx: &'a FileContext) -> impl Iterator<Item = &'a Document> + 'a {
    ctx.yaml.into_iter().flat_map(|y| y.docs.iter())
}

fn kind_span(doc: &Document) -> Option<std::ops::Range<usize>> {
    doc.root.as_ref()?.get("kind").map(|k| k.span.clone())
}

/// Parameters shared by kinds that take none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

// --------------------------------------------------------------------- document start

/// `yaml-document-start`.
pub struct DocumentStart;

impl Check for DocumentStart {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(yaml) = ctx.yaml else { return };
        let t = ctx.file.text.trim_start_matches('\u{feff}');
        if t.trim().is_empty() || yaml.docs.is_empty() && yaml.errors.is_empty() {
            return;
        }
        let first = t.lines().next().unwrap_or_default().trim_end();
        // The first line that is not blank or a comment: a file whose header comments
        // precede its `---` already starts its document properly.
        let first_content = t
            .lines()
            .map(str::trim_end)
            .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .unwrap_or_default();
        if first_content == "---" || first_content.starts_with("--- ") {
            return;
        }
        let bom = ctx.file.text.len() - t.len();
        let edit = Edit {
            path: ctx.file.path.clone(),
            span: bom..bom,
            replacement: format!("---{}", text::eol(&ctx.file.text)),
        };
        // `---` may not precede a `%YAML` directive: no fix there.
        let edits = if first_content.starts_with('%') {
            Vec::new()
        } else {
            vec![edit]
        };
        let fix = ctx.fix(
            None,
            "start the file with `---`".into(),
            Applicability::Safe,
            edits,
        );
        let end = bom + first.len();
        out.violation(
            bom..end.max(bom + 1).min(ctx.file.text.len()),
            "the file does not start with the document marker `---`",
        )
        .with_fix(fix);
    }
}

// --------------------------------------------------------------------- schema directive

/// `schema-directive`.
pub struct SchemaDirective;

const DIRECTIVE: &str = "# yaml-language-server: $schema=";

impl Check for SchemaDirective {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(yaml) = ctx.yaml else { return };
        let file = ctx.file;
        if !file.text.contains(DIRECTIVE) {
            return;
        }
        let nl = text::eol(&file.text);
        for doc in &yaml.docs {
            let first = file.line_of(doc.span.start);
            let last = file.line_of(doc.span.end.saturating_sub(1).max(doc.span.start));
            let directives: Vec<usize> = (first..=last)
                .filter(|&n| file.line_text(n).trim_start().starts_with(DIRECTIVE))
                .collect();
            let Some(marker) = doc.marker_line else {
                // No `---`: yaml-document-start reports the file; a directive on its first
                // line is then in place once the marker is added.
                for &d in directives.iter().filter(|&&d| d != first) {
                    out.violation(
                        file.line_range(d),
                        "the `$schema` directive is not on the line right after `---`",
                    );
                }
                continue;
            };
            match directives.as_slice() {
                [] => {
                    out.violation(
                        file.line_range(marker),
                        "this document has no `# yaml-language-server: $schema=` line after its `---`, while other documents of the file do: repeat it after every `---`",
                    );
                }
                [d, ..] if *d == marker + 1 => {}
                [d, ..] => {
                    let line = file.line_text(*d).trim().to_string();
                    let from = file.line_range(*d);
                    let mut delete_end = from.end;
                    if file.text[delete_end..].starts_with("\r\n") {
                        delete_end += 2;
                    } else if file.text[delete_end..].starts_with('\n') {
                        delete_end += 1;
                    }
                    let at = file.line_range(marker + 1).start;
                    let edits = vec![
                        Edit {
                            path: file.path.clone(),
                            span: at..at,
                            replacement: format!("{line}{nl}"),
                        },
                        Edit {
                            path: file.path.clone(),
                            span: from.start..delete_end,
                            replacement: String::new(),
                        },
                    ];
                    let fix = ctx.fix(
                        None,
                        "move the directive right after `---`".into(),
                        Applicability::Safe,
                        edits,
                    );
                    out.violation(
                        from,
                        format!("the `$schema` directive must be the line right after `---` (line {marker}); editors only read it there"),
                    )
                    .with_fix(fix);
                }
            }
        }
    }
}

// --------------------------------------------------------------------- forbidden kinds

/// Parameters of `yaml-forbidden-kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForbiddenKindParams {
    /// Object kinds that must not be committed as plain manifests.
    pub kinds: Vec<String>,
    /// What to use instead, for the message.
    pub instead: String,
}

/// `yaml-forbidden-kind`.
pub struct ForbiddenKind {
    params: ForbiddenKindParams,
}

impl ForbiddenKind {
    /// Builds the check.
    pub fn new(params: ForbiddenKindParams) -> Self {
        ForbiddenKind { params }
    }
}

impl Check for ForbiddenKind {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        for doc in docs(ctx) {
            let Some(kind) = doc.kind() else { continue };
            if !self.params.kinds.iter().any(|k| k == kind)
                || doc.api_version().is_some_and(|a| a.contains('/'))
            {
                continue;
            }
            let name = doc.name().unwrap_or("?");
            if let Some(span) = kind_span(doc) {
                out.violation(
                    span,
                    format!(
                        "plain `{kind}` `{name}` committed to git: {}",
                        self.params.instead
                    ),
                );
            }
        }
    }
}

// --------------------------------------------------------------------- field values

/// Parameters of `yaml-field`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldParams {
    /// Object kinds to look at.
    pub kinds: Vec<String>,
    /// Only objects whose `apiVersion` starts with this; empty: any.
    #[serde(default)]
    pub api_version_prefix: String,
    /// Dot path; a `[]` segment means every item of a list (`spec.postBuild.substituteFrom.[].kind`).
    pub path: String,
    /// Values the field must never hold.
    pub forbidden: Vec<String>,
    /// Why, for the message.
    pub reason: String,
}

/// `yaml-field`.
pub struct Field {
    params: FieldParams,
}

impl Field {
    /// Builds the check.
    pub fn new(params: FieldParams) -> Self {
        Field { params }
    }
}

fn select<'a>(node: &'a Node, path: &[&str], out: &mut Vec<&'a Node>) {
    match path.split_first() {
        None => out.push(node),
        Some((&"[]", rest)) => {
            for item in node.items() {
                select(item, rest, out);
            }
        }
        Some((key, rest)) => {
            if let Some(next) = node.get(key) {
                select(next, rest, out);
            }
        }
    }
}

impl Check for Field {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let p = &self.params;
        let path: Vec<&str> = p.path.split('.').collect();
        for doc in docs(ctx) {
            let (Some(root), Some(kind)) = (doc.root.as_ref(), doc.kind()) else {
                continue;
            };
            if !p.kinds.iter().any(|k| k == kind)
                || !doc
                    .api_version()
                    .unwrap_or("")
                    .starts_with(&p.api_version_prefix)
            {
                continue;
            }
            let mut found = Vec::new();
            select(root, &path, &mut found);
            for node in found {
                let Some(v) = node.as_str() else { continue };
                if p.forbidden.iter().any(|f| f == v) {
                    out.violation(
                        node.span.clone(),
                        format!(
                            "{kind} `{}` sets `{}` to `{v}`: {}",
                            doc.name().unwrap_or("?"),
                            p.path.replace(".[]", "[]"),
                            p.reason
                        ),
                    );
                }
            }
        }
    }
}

// --------------------------------------------------------------------- workloads

/// Parameters of `yaml-workload`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadParams {
    /// What to check: `statefulset-not-recreate`, `run-as-non-root` or
    /// `drop-all-capabilities`.
    pub check: WorkloadCheck,
}

/// The checks of `yaml-workload`.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadCheck {
    /// StatefulSets never use `Recreate` (only Deployments support it).
    StatefulsetNotRecreate,
    /// Containers run as a non-root user.
    RunAsNonRoot,
    /// Containers drop all capabilities.
    DropAllCapabilities,
}

/// `yaml-workload`.
pub struct Workload {
    params: WorkloadParams,
}

impl Workload {
    /// Builds the check.
    pub fn new(params: WorkloadParams) -> Self {
        Workload { params }
    }
}

fn who(w: &YWorkload) -> String {
    if w.chart {
        format!("app-template controller `{}` ({})", w.name, w.kind)
    } else {
        format!("{} `{}`", w.kind, w.name)
    }
}

/// `runAsNonRoot: true` or a non-zero `runAsUser` in a security context.
fn non_root(sc: Option<&Node>) -> Option<bool> {
    let sc = sc?;
    // An explicit root user wins: `runAsNonRoot: true` with `runAsUser: 0` fails to start.
    if sc.get("runAsUser").and_then(Node::as_str) == Some("0") {
        return Some(false);
    }
    if sc.get("runAsNonRoot").is_some_and(Node::is_true) {
        return Some(true);
    }
    if sc.get("runAsNonRoot").is_some_and(Node::is_false) {
        return Some(false);
    }
    match sc.get("runAsUser").and_then(Node::as_str) {
        Some("0") => Some(false),
        Some(u) if u.parse::<u64>().is_ok() => Some(true),
        _ => None,
    }
}

impl Check for Workload {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        for doc in docs(ctx) {
            for w in workloads(doc) {
                match self.params.check {
                    WorkloadCheck::StatefulsetNotRecreate => {
                        if w.kind == "StatefulSet"
                            && w.strategy.and_then(Node::as_str) == Some("Recreate")
                        {
                            let at = w.strategy.unwrap_or(w.at);
                            out.violation(at.span.clone(), format!("{} uses strategy `Recreate`: only Deployments support it; StatefulSets handle ReadWriteOnce volumes with `RollingUpdate`", who(&w)));
                        }
                    }
                    WorkloadCheck::RunAsNonRoot => {
                        let pod = non_root(w.pod_security);
                        for c in &w.containers {
                            let ok = match non_root(c.security) {
                                Some(v) => v,
                                None => pod.unwrap_or(false),
                            };
                            if !ok {
                                let at = c
                                    .security
                                    .and_then(|s| {
                                        s.key_node("runAsUser").or(s.key_node("runAsNonRoot"))
                                    })
                                    .or(c.map.key_node("securityContext"))
                                    .unwrap_or(c.node);
                                out.violation(at.span.clone(), format!("container `{}` of {} may run as root: set `runAsNonRoot: true` and a non-zero `runAsUser` (container or pod securityContext)", c.name, who(&w)));
                            }
                        }
                    }
                    WorkloadCheck::DropAllCapabilities => {
                        for c in &w.containers {
                            let drop = c.security.and_then(|s| s.path(&["capabilities", "drop"]));
                            let all = drop.is_some_and(|d| {
                                d.items().iter().any(|i| {
                                    i.as_str().is_some_and(|s| s.eq_ignore_ascii_case("ALL"))
                                })
                            });
                            if !all {
                                let at = c
                                    .security
                                    .and_then(|s| s.get("capabilities"))
                                    .and_then(|caps| caps.key_node("drop"))
                                    .or(c.map.key_node("securityContext"))
                                    .unwrap_or(c.node);
                                out.violation(at.span.clone(), format!("container `{}` of {} does not drop all capabilities: set `securityContext.capabilities.drop: [ALL]`", c.name, who(&w)));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A Deployment (plain, or an app-template controller of type deployment) mounting a
/// ReadWriteOnce claim must use `Recreate`: a rolling update starts the new pod while the
/// old one holds the volume (Multi-Attach error).
pub fn rwo_recreate(ctx: &FileContext, w: &YWorkload, out: &mut Emitter) {
    if w.kind != "Deployment" || w.strategy.and_then(Node::as_str) == Some("Recreate") {
        return;
    }
    let dir = ctx.file.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let rwo = |m: &str| m == "ReadWriteOnce" || m == "ReadWriteOncePod";
    let mut found = None;
    for c in &w.claims {
        match (&c.name, &c.access_mode) {
            (None, Some(mode)) => {
                let mode = ctx
                    .flux
                    .and_then(|f| f.resolve_one(dir, mode))
                    .unwrap_or(mode.clone());
                if rwo(&mode) {
                    found = Some((
                        format!(
                            "the claim the chart creates for `{}`",
                            c.node.as_str().unwrap_or("?")
                        ),
                        mode,
                    ));
                    break;
                }
            }
            (Some(name), _) => {
                if let Some((resolved, modes)) = ctx.flux.and_then(|f| f.claim_modes(dir, name)) {
                    if let Some(m) = modes.iter().find(|m| rwo(m)) {
                        found = Some((format!("claim `{resolved}`"), m.clone()));
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    let Some((claim, mode)) = found else { return };
    let now = match w.strategy.and_then(Node::as_str) {
        Some(s) => format!("uses strategy `{s}`"),
        None => "sets no strategy, so it rolls (RollingUpdate)".into(),
    };
    let at = w.strategy.unwrap_or(w.at);
    out.violation(at.span.clone(), format!("{} mounts {claim} ({mode}) but {now}: the new pod cannot attach the volume while the old one holds it (Multi-Attach error); use `strategy: Recreate`", who(w)));
}

// --------------------------------------------------------------------- shared databases

/// `shared-database`: two apps pointing at the same database (host and database name or
/// number, from connection URLs or `*_HOST` / `*_DB` pairs; see [`crate::flux_facts`]).
pub struct SharedDatabase;

impl Check for SharedDatabase {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(facts) = ctx.flux else { return };
        for r in facts.databases.iter().filter(|r| r.path == ctx.file.path) {
            let other = facts
                .databases
                .iter()
                .find(|o| o.app != r.app && o.host == r.host && o.database == r.database);
            if let Some(o) = other {
                out.violation(
                    r.span.clone(),
                    format!(
                        "app `{}` uses database `{}` on `{}`, which app `{}` also uses ({}): give each app its own database",
                        r.app, r.database, r.host, o.app, o.path
                    ),
                );
            }
        }
    }
}

// --------------------------------------------------------------------- reloader

/// Parameters of `reloader-annotation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloaderParams {
    /// The annotation and its value (`reloader.stakater.com/auto: "true"`).
    pub annotation: String,
    /// Its value.
    pub value: String,
}

/// `reloader-annotation`: workloads that use a ConfigMap generated by their directory's
/// kustomization.yaml carry the Reloader annotation, so a config change rolls them.
pub struct Reloader {
    params: ReloaderParams,
}

impl Reloader {
    /// Builds the check.
    pub fn new(params: ReloaderParams) -> Self {
        Reloader { params }
    }
}

impl Check for Reloader {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let Some(facts) = ctx.flux else { return };
        let dir = ctx.file.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let generated = facts.generated_configmaps(dir);
        if generated.is_empty() {
            return;
        }
        for doc in docs(ctx) {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            let mut all = Vec::new();
            scalars(root, &mut all);
            let Some(used) = generated
                .iter()
                .find(|g| all.iter().any(|n| n.as_str() == Some(g.as_str())))
            else {
                continue;
            };
            for w in workloads(doc) {
                let ok = w
                    .annotations
                    .and_then(|a| a.get(&self.params.annotation))
                    .and_then(Node::as_str)
                    == Some(self.params.value.as_str());
                if !ok {
                    out.violation(
                        w.at.span.clone(),
                        format!(
                            "{} uses the generated ConfigMap `{used}` but lacks the annotation `{}: \"{}\"`: a config change would not restart it",
                            who(&w),
                            self.params.annotation,
                            self.params.value
                        ),
                    );
                }
            }
        }
    }
}

// --------------------------------------------------------------------- kustomization order

/// `kustomization-sorted`.
pub struct KustomizationSorted;

impl Check for KustomizationSorted {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let file = ctx.file;
        let name = file.path.rsplit('/').next().unwrap_or_default();
        if !matches!(name, "kustomization.yaml" | "kustomization.yml") {
            return;
        }
        for doc in docs(ctx) {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            let (Some(key), Some(list)) = (root.key_node("resources"), root.get("resources"))
            else {
                continue;
            };
            let values: Vec<&str> = list.items().iter().filter_map(Node::as_str).collect();
            if values.len() != list.items().len() {
                continue;
            }
            let mut sorted = values.clone();
            sorted.sort_by_key(|v| v.to_ascii_lowercase());
            if sorted == values {
                continue;
            }
            let first_wrong = values
                .iter()
                .zip(&sorted)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let fix = sort_edit(file, list, &sorted);
            let fix = ctx.fix(
                None,
                "sort `resources:` alphabetically".into(),
                Applicability::Safe,
                fix.into_iter().collect(),
            );
            out.violation(
                key.span.clone(),
                format!(
                    "`resources:` is not in alphabetical order (`{}` should come before `{}`)",
                    sorted[first_wrong], values[first_wrong]
                ),
            )
            .with_fix(fix);
        }
    }
}

/// Rewrites a block sequence of one-line scalars in sorted order, when every item is alone
/// on its line (`- x`, no comments between them); otherwise no fix.
fn sort_edit(file: &crate::source::SourceFile, list: &Node, sorted: &[&str]) -> Option<Edit> {
    let items = list.items();
    let first_line = items.first()?.line;
    let last_line = items.last()?.line;
    if last_line - first_line + 1 != items.len() {
        return None;
    }
    let mut by_value: Vec<(String, &str)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let line = file.line_text(first_line + i);
        let trimmed = line.trim_start();
        if !trimmed.starts_with("- ") || line.contains(" #") || item.line != first_line + i {
            return None;
        }
        by_value.push((item.as_str()?.to_string(), line));
    }
    let nl = text::eol(&file.text);
    let mut replacement = String::new();
    for (i, v) in sorted.iter().enumerate() {
        let (_, line) = by_value.iter().find(|(x, _)| x == v)?;
        replacement.push_str(line);
        if i + 1 < sorted.len() {
            replacement.push_str(nl);
        }
    }
    let start = file.line_range(first_line).start;
    let end = file.line_range(last_line).end;
    Some(Edit {
        path: file.path.clone(),
        span: start..end,
        replacement,
    })
}

// --------------------------------------------------------------------- namespaces

/// Parameters of `namespace-inheritance`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceParams {
    /// Directory name holding an app's resources (`app`: `kubernetes/apps/<ns>/<app>/app/`).
    #[serde(default = "default_app_dir")]
    pub app_dir: String,
}

fn default_app_dir() -> String {
    "app".into()
}

/// `namespace-inheritance`.
pub struct NamespaceInheritance {
    params: NamespaceParams,
}

impl NamespaceInheritance {
    /// Builds the check.
    pub fn new(params: NamespaceParams) -> Self {
        NamespaceInheritance { params }
    }
}

impl Check for NamespaceInheritance {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let path = &ctx.file.path;
        let in_app = path
            .split('/')
            .rev()
            .skip(1)
            .any(|d| d == self.params.app_dir);
        for doc in docs(ctx) {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            let kind = doc.kind().unwrap_or_default();
            let flux_ks = kind == "Kustomization"
                && doc
                    .api_version()
                    .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"));
            if flux_ks {
                // Only Kustomizations that apply an app's resources (`spec.path` ends in the
                // app directory): cluster-level ones apply namespaces and other
                // Kustomizations, which carry their own namespaces.
                let applies_app = root
                    .path(&["spec", "path"])
                    .and_then(Node::as_str)
                    .is_some_and(|p| {
                        p.trim_end_matches('/').rsplit('/').next()
                            == Some(self.params.app_dir.as_str())
                    });
                if applies_app && root.path(&["spec", "targetNamespace"]).is_none() {
                    if let Some(span) = kind_span(doc) {
                        out.violation(span, format!("Flux Kustomization `{}` does not set `spec.targetNamespace`: the app's resources omit their namespace and inherit it from here", doc.name().unwrap_or("?")));
                    }
                }
                continue;
            }
            if !in_app || kind == "Kustomization" || kind.is_empty() {
                continue;
            }
            if let Some(ns) = root.path(&["metadata", "namespace"]) {
                out.violation(ns.span.clone(), format!("{kind} `{}` sets `metadata.namespace`: app resources inherit it from the Flux Kustomization's `targetNamespace`", doc.name().unwrap_or("?")));
            }
        }
    }
}

// --------------------------------------------------------------------- literal domains

/// Parameters of `literal-domain`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainParams {
    /// The placeholder to use (`${SECRET_DOMAIN}`).
    pub placeholder: String,
    /// Public domains that must never be written literally (anywhere in a YAML value).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Host names under these suffixes are internal and may be literal (`.svc`,
    /// `.cluster.local`, `.internal`, `.local`).
    #[serde(default)]
    pub internal_suffixes: Vec<String>,
}

/// `literal-domain`.
pub struct LiteralDomain {
    params: DomainParams,
}

impl LiteralDomain {
    /// Builds the check.
    pub fn new(params: DomainParams) -> Self {
        LiteralDomain { params }
    }

    fn host_fields<'a>(&self, doc: &'a Document) -> Vec<&'a Node> {
        let Some(root) = doc.root.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match doc.kind().unwrap_or_default() {
            "HTTPRoute" | "GRPCRoute" => select(root, &["spec", "hostnames", "[]"], &mut out),
            "Ingress" => {
                select(root, &["spec", "rules", "[]", "host"], &mut out);
                select(root, &["spec", "tls", "[]", "hosts", "[]"], &mut out);
            }
            "HelmRelease" => {
                for (_, route) in root
                    .path(&["spec", "values", "route"])
                    .map(Node::entries)
                    .unwrap_or_default()
                {
                    select(route, &["hostnames", "[]"], &mut out);
                }
                for (_, ing) in root
                    .path(&["spec", "values", "ingress"])
                    .map(Node::entries)
                    .unwrap_or_default()
                {
                    select(ing, &["hosts", "[]", "host"], &mut out);
                }
            }
            _ => {}
        }
        out
    }
}

fn scalars<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &n.kind {
            NodeKind::Scalar { .. } => out.push(n),
            NodeKind::Seq(items) => stack.extend(items.iter()),
            NodeKind::Map(entries) => stack.extend(entries.iter().flat_map(|(k, v)| [k, v])),
        }
    }
}

impl Check for LiteralDomain {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let p = &self.params;
        for doc in docs(ctx) {
            let mut reported = Vec::new();
            for host in self.host_fields(doc) {
                let Some(h) = host.as_str() else { continue };
                let internal = p.internal_suffixes.iter().any(|s| h.ends_with(s.as_str()));
                if h.contains("${") || !h.contains('.') || internal {
                    continue;
                }
                reported.push(host.span.start);
                out.violation(host.span.clone(), format!("host name `{h}` is written literally: use the `{}` placeholder (e.g. `app.{}`) so the public domain stays out of git", p.placeholder, p.placeholder));
            }
            if p.domains.is_empty() {
                continue;
            }
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            let mut all = Vec::new();
            scalars(root, &mut all);
            all.sort_by_key(|n| n.span.start);
            for n in all {
                let Some(v) = n.as_str() else { continue };
                if reported.contains(&n.span.start) {
                    continue;
                }
                if let Some(d) = p.domains.iter().find(|d| v.contains(d.as_str())) {
                    out.violation(
                        n.span.clone(),
                        format!(
                            "the public domain `{d}` is written literally: use `{}`",
                            p.placeholder
                        ),
                    );
                }
            }
        }
    }
}

// --------------------------------------------------------------------- indentation

/// Parameters of `yaml-indentation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndentParams {
    /// Spaces per level.
    #[serde(default = "two")]
    pub width: usize,
}

fn two() -> usize {
    2
}

/// `yaml-indentation`.
pub struct Indentation {
    params: IndentParams,
}

impl Indentation {
    /// Builds the check.
    pub fn new(params: IndentParams) -> Self {
        Indentation { params }
    }
}

/// The last line a node's content reaches (its last descendant's end).
fn last_line(file: &crate::source::SourceFile, node: &Node) -> usize {
    let mut n = node;
    loop {
        match &n.kind {
            NodeKind::Map(entries) if !entries.is_empty() => n = &entries[entries.len() - 1].1,
            NodeKind::Seq(items) if !items.is_empty() => n = &items[items.len() - 1],
            _ => return file.line_of(n.span.end.saturating_sub(1).max(n.span.start)),
        }
    }
}

/// Moves lines `first..=last` (a block mapping's subtree) from column `from` to `to`, when
/// that cannot change what the YAML means: every non-blank line is indented at least
/// `from` (so all belong to the subtree), none holds a tab or a block scalar header
/// (`|`, `>`: their content's indentation is significant on its own), and none is a
/// continuation of a multi-line flow collection or quoted scalar. Otherwise no fix.
fn reindent(
    file: &crate::source::SourceFile,
    first: usize,
    last: usize,
    from: usize,
    to: usize,
) -> Option<Edit> {
    let mut out = String::new();
    let nl = text::eol(&file.text);
    for n in first..=last {
        let line = file.line_text(n);
        if line.trim().is_empty() {
            out.push_str(line.trim_end_matches([' ', '\t']));
        } else {
            let indent = line.len() - line.trim_start_matches(' ').len();
            let body = &line[indent..];
            let header = body.split(" #").next().unwrap_or(body).trim_end();
            let block_scalar = header.ends_with('|')
                || header.ends_with('>')
                || ["|-", "|+", ">-", ">+"].iter().any(|h| header.ends_with(h));
            let open_flow = body.matches(['[', '{']).count() != body.matches([']', '}']).count();
            let open_quote = body.matches('"').count() % 2 == 1;
            if indent < from || body.starts_with('\t') || block_scalar || open_flow || open_quote {
                return None;
            }
            out.push_str(&" ".repeat(indent - from + to));
            out.push_str(body);
        }
        if n < last {
            out.push_str(nl);
        }
    }
    let start = file.line_range(first).start;
    let end = file.line_range(last).end;
    Some(Edit {
        path: file.path.clone(),
        span: start..end,
        replacement: out,
    })
}

impl Check for Indentation {
    fn wants_yaml(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let file = ctx.file;
        let col = |n: &Node| file.position(n.span.start).column - 1;
        for doc in docs(ctx) {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            // Block mappings nested in block mappings: the child keys sit `width` deeper
            // than the parent key (flow collections and scalars are not checked).
            let mut stack = vec![root];
            let mut reported = false;
            while let Some(node) = stack.pop() {
                for (k, v) in node.entries() {
                    let child = match &v.kind {
                        NodeKind::Map(entries) => entries.first().map(|(ck, _)| ck),
                        NodeKind::Seq(items) => {
                            stack.extend(items.iter());
                            None
                        }
                        _ => None,
                    };
                    if let Some(ck) = child {
                        let flow = file.text[v.span.start..].starts_with('{');
                        if !flow
                            && ck.line > k.line
                            && col(ck) != col(k) + self.params.width
                            && !reported
                        {
                            reported = true;
                            let want = col(k) + self.params.width;
                            let edit = reindent(file, ck.line, last_line(file, v), col(ck), want);
                            let fix = ctx.fix(
                                None,
                                format!(
                                    "indent the mapping under `{}` by {} spaces",
                                    k.as_str().unwrap_or("?"),
                                    self.params.width
                                ),
                                Applicability::Safe,
                                edit.into_iter().collect(),
                            );
                            out.violation(
                                ck.span.clone(),
                                format!("indented {} spaces under `{}`, not {}: the repo uses {}-space indentation", col(ck).saturating_sub(col(k)), k.as_str().unwrap_or("?"), self.params.width, self.params.width),
                            )
                            .with_fix(fix);
                        }
                        stack.push(v);
                    }
                }
            }
        }
    }
}
