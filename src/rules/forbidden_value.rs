//! `forbidden-value`: a literal (legacy host name, hard-coded address) must not appear in
//! code or configuration, outside comments and prose. Instances: `legacy-postgres-host`,
//! `legacy-redis-host`, `hardcoded-nfs-server` (seeds 000 and 002).

use super::{Check, Emitter, FileContext};
use crate::finding::{Applicability, Edit, Fix};
use crate::fix::text;
use crate::index::dir_of;
use crate::source::{FileKind, SourceFile};
use crate::syntax::comments::hash_comment_start;
use crate::syntax::hcl::{Literal, LiteralContext};
use anyhow::{bail, Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::ops::Range;

/// Parameters of a `forbidden-value` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The forbidden spellings; the longest match wins (list `.svc.cluster.local` forms too).
    pub values: Vec<String>,
    /// What to use instead, e.g. `var.postgresql_host`.
    #[serde(default)]
    pub replacement: Option<String>,
    /// Why the value is forbidden (message tail).
    #[serde(default)]
    pub reason: Option<String>,
    /// When set, only report occurrences in these contexts, matched against the end of the
    /// literal's path (blocks, attribute, object keys; YAML parent key and key): `KEY`, or
    /// `PARENT.KEY` (`nfs.server` is `server` in an `nfs` block or under an `nfs` key).
    #[serde(default)]
    pub contexts: Vec<String>,
    /// In non-HCL files, a line containing one of these words (case-insensitive) is in context.
    #[serde(default)]
    pub context_words: Vec<String>,
    /// Paths (globs, repo-relative) where the value is allowed (where it is defined).
    #[serde(default)]
    pub allow_paths: Vec<String>,
}

/// The check.
pub struct ForbiddenValue {
    params: Params,
    values: Vec<String>,
    /// One substring searcher per value, built once: `str::match_indices` rebuilt its
    /// searcher for every literal of every file (7% of an audit, callgrind).
    finders: Vec<memchr::memmem::Finder<'static>>,
    /// The finders of the values that contain no other value: a text holds some value
    /// exactly when it holds one of these (`postgresql.dbaas` settles the `.svc` forms too).
    minimal: Vec<usize>,
    allow: GlobSet,
}

impl ForbiddenValue {
    /// Builds the check, compiling the allow-list globs.
    pub fn new(params: Params) -> Result<Self> {
        if params.values.iter().any(|v| v.is_empty()) || params.values.is_empty() {
            bail!("`values` must list at least one non-empty value");
        }
        let mut values = params.values.clone();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let mut builder = GlobSetBuilder::new();
        for pattern in &params.allow_paths {
            builder.add(
                Glob::new(pattern)
                    .with_context(|| format!("bad glob `{pattern}` in allow_paths"))?,
            );
        }
        let minimal = (0..values.len())
            .filter(|&i| {
                !values.iter().enumerate().any(|(j, other)| {
                    j != i
                        && values[i].contains(other.as_str())
                        && (other.len() < values[i].len() || j < i)
                })
            })
            .collect();
        Ok(ForbiddenValue {
            allow: builder.build()?,
            minimal,
            finders: values
                .iter()
                .map(|v| memchr::memmem::Finder::new(v.as_bytes()).into_owned())
                .collect(),
            values,
            params,
        })
    }

    /// Occurrences of any value in `text[range]`, on name boundaries, longest first.
    fn find(&self, text: &str, range: Range<usize>) -> Vec<(Range<usize>, &str)> {
        let hay = &text[range.clone()];
        let mut found: Vec<(Range<usize>, &str)> = Vec::new();
        for (value, finder) in self.values.iter().zip(&self.finders) {
            for i in finder.find_iter(hay.as_bytes()) {
                let span = range.start + i..range.start + i + value.len();
                if found
                    .iter()
                    .any(|(s, _)| s.start < span.end && span.start < s.end)
                {
                    continue;
                }
                if on_boundary(text, &span) {
                    found.push((span, value.as_str()));
                }
            }
        }
        found.sort_by_key(|(s, _)| s.start);
        found
    }

    fn hcl_in_context(&self, lit: &LiteralContext) -> bool {
        if self.params.contexts.is_empty() {
            return true;
        }
        self.params.contexts.iter().any(|c| {
            let parts: Vec<&str> = c.split('.').collect();
            lit.path.len() >= parts.len()
                && lit.path[lit.path.len() - parts.len()..]
                    .iter()
                    .zip(&parts)
                    .all(|(a, b)| a == b)
        })
    }

    fn text_in_context(&self, file: &SourceFile, line: usize, code: &str) -> bool {
        if self.params.contexts.is_empty() {
            return true;
        }
        let lower = code.to_ascii_lowercase();
        if self
            .params
            .context_words
            .iter()
            .any(|w| lower.contains(&w.to_ascii_lowercase()))
        {
            return true;
        }
        let Some(key) = line_key(code) else {
            return false;
        };
        self.params
            .contexts
            .iter()
            .any(|c| match c.split_once('.') {
                Some((parent, k)) => k == key && parent_key(file, line).as_deref() == Some(parent),
                None => c == key,
            })
    }

    fn report(
        &self,
        out: &mut Emitter,
        span: Range<usize>,
        value: &str,
        whole_string: bool,
        owner: Option<&crate::syntax::hcl::Owner>,
    ) {
        let p = &self.params;
        let mut message = format!("`{value}` must not be hard-coded");
        if let Some(reason) = &p.reason {
            message.push_str(": ");
            message.push_str(reason);
        }
        let help = p.replacement.as_ref().map(|r| {
            if whole_string {
                format!("use `{r}` instead of the string literal")
            } else {
                format!("use `${{{r}}}` in place of `{value}`")
            }
        });
        let file = out.file();
        let f = out.violation(span, message);
        if let Some(help) = help {
            f.help = Some(help);
        }
        if let Some(owner) = owner {
            f.owned_by(owner, file);
        }
    }
}

impl ForbiddenValue {
    /// Replaces the literal with the variable (`var.x` for a whole string, `${var.x}`
    /// inside a larger one). Only in `.tf` files (tfvars and Terragrunt files cannot refer
    /// to variables) and never in a variable's own default. Safe when the module declares
    /// the variable; otherwise unsafe, adding the declaration (it would not plan without).
    fn fix(
        &self,
        ctx: &FileContext,
        lit: &Literal,
        context: &LiteralContext,
        span: &Range<usize>,
        whole: bool,
    ) -> Option<Fix> {
        let file = ctx.file;
        let var = self.params.replacement.as_deref()?;
        let name = var.strip_prefix("var.")?;
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || !file.path.ends_with(".tf")
            || matches!(
                context.path.first().map(String::as_str),
                Some("variable" | "terraform")
            )
            || (context.path.first().map(String::as_str) == Some("module")
                && matches!(context.attr.as_str(), "source" | "version"))
        {
            // Variable defaults, backend settings and module sources cannot refer to
            // variables: leave those to a person.
            return None;
        }
        let (span, replacement) = if whole && lit.is_key {
            (lit.span.clone(), format!("({var})")) // an object key must be parenthesised
        } else if whole {
            (lit.span.clone(), var.to_string())
        } else {
            (span.clone(), format!("${{{var}}}"))
        };
        let mut edits = vec![Edit {
            path: file.path.clone(),
            span,
            replacement,
        }];
        let declared = ctx.repo.declares_variable(dir_of(&file.path), name);
        let applicability = if declared {
            Applicability::Safe
        } else {
            // Keep the file's line endings, indentation and (missing) final newline.
            let nl = text::eol(&file.text);
            let unit = text::indent_unit(&file.text);
            let ends_with_newline = file.text.ends_with('\n');
            let (lead, tail) = if ends_with_newline || file.text.is_empty() {
                (nl.to_string(), nl)
            } else {
                (format!("{nl}{nl}"), "")
            };
            let end = file.text.len();
            edits.push(Edit {
                path: file.path.clone(),
                span: end..end,
                replacement: format!(
                    "{lead}variable \"{name}\" {{{nl}{unit}type = string{nl}}}{tail}"
                ),
            });
            Applicability::Unsafe
        };
        let description = if declared {
            format!("use `{var}`")
        } else {
            format!("use `{var}` and declare `variable \"{name}\"` (pass its value, e.g. from config.tfvars)")
        };
        // Re-alignment only needs the literal's own top-level block (an appended declaration
        // falls outside it, and then the whole file is re-aligned).
        let scope = context.owner.as_ref().map(|o| o.block.clone());
        let mut fix = ctx.fix(scope, description, applicability, edits)?;
        if !declared {
            fix.declares = Some(format!("{}:var.{name}", dir_of(&file.path)));
        }
        Some(fix)
    }
}

/// Whether a match is a whole host/address, not part of a longer name.
fn on_boundary(text: &str, span: &Range<usize>) -> bool {
    let bytes = text.as_bytes();
    let name_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let before_ok = span.start == 0 || {
        let b = bytes[span.start - 1];
        !name_char(b) && b != b'.'
    };
    let after_ok = match bytes.get(span.end) {
        None => true,
        Some(&b) if name_char(b) => false,
        Some(b'.') => !bytes.get(span.end + 1).is_some_and(|&n| name_char(n)),
        Some(_) => true,
    };
    before_ok && after_ok
}

/// The key of a `key: value` / `key = value` line (YAML, INI, shell assignment).
fn line_key(code: &str) -> Option<&str> {
    let t = code.trim_start().trim_start_matches("- ").trim_start();
    let end = t.find([':', '='])?;
    let key = t[..end].trim().trim_matches(['"', '\'']);
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
    .then_some(key)
}

/// The YAML parent key of `line`: the nearest earlier line with less indentation.
fn parent_key(file: &SourceFile, line: usize) -> Option<String> {
    let indent = |s: &str| s.len() - s.trim_start().len();
    let own = indent(file.line_text(line));
    (1..line).rev().map(|l| file.line_text(l)).find_map(|t| {
        if t.trim().is_empty() || t.trim_start().starts_with('#') || indent(t) >= own {
            return None;
        }
        Some(line_key(t).map(str::to_string))
    })?
}

impl Check for ForbiddenValue {
    fn check_live(&self, o: &crate::live::LiveObject) -> Vec<String> {
        // Contexts narrow the NFS-server instance to NFS settings of files; live, only the
        // rules without contexts (host names in env, args, annotations) apply.
        if !self.params.contexts.is_empty() {
            return Vec::new();
        }
        let mut places: Vec<(String, String)> = o
            .annotations
            .iter()
            .map(|(k, v)| (format!("annotation `{k}`"), v.clone()))
            .collect();
        let pod = match o.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => {
                o.raw.pointer("/spec/template/spec")
            }
            "CronJob" => o.raw.pointer("/spec/jobTemplate/spec/template/spec"),
            _ => None,
        };
        for list in ["containers", "initContainers"] {
            for c in pod
                .and_then(|p| p.get(list))
                .and_then(|l| l.as_array())
                .into_iter()
                .flatten()
            {
                let name = c.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                for e in c
                    .get("env")
                    .and_then(|e| e.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let (Some(k), Some(v)) = (
                        e.get("name").and_then(|x| x.as_str()),
                        e.get("value").and_then(|x| x.as_str()),
                    ) {
                        places.push((format!("container `{name}` env `{k}`"), v.to_string()));
                    }
                }
                for field in ["args", "command"] {
                    for a in c
                        .get(field)
                        .and_then(|x| x.as_array())
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_str())
                    {
                        places.push((format!("container `{name}` {field}"), a.to_string()));
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (place, text) in places {
            if let Some((_, value)) = self.find(&text, 0..text.len()).first() {
                out.push(format!(
                    "{place} uses `{value}`{}",
                    self.params
                        .reason
                        .as_ref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ));
            }
        }
        out
    }

    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let file = ctx.file;
        if !file.kind.is_code() || self.allow.is_match(&file.path) {
            return;
        }
        // Most files hold none of the values: one search of the whole text settles that,
        // instead of one per literal or line (3% of an audit, callgrind).
        if !self
            .minimal
            .iter()
            .any(|&i| self.finders[i].find(file.text.as_bytes()).is_some())
        {
            return;
        }
        if let Some(hcl_file) = ctx.hcl {
            for lit in &hcl_file.literals {
                let hits = self.find(&file.text, lit.span.clone());
                if hits.is_empty() {
                    continue;
                }
                let Some(context) = hcl_file.context_of(lit) else {
                    continue;
                };
                if !self.hcl_in_context(&context) {
                    continue;
                }
                for (span, value) in hits {
                    let whole = lit.span.end - lit.span.start == span.end - span.start + 2
                        && lit.kind == crate::syntax::hcl::LiteralKind::String;
                    let fix = self.fix(ctx, lit, &context, &span, whole);
                    self.report(out, span, value, whole, context.owner.as_ref());
                    if let Some(f) = out.findings.last_mut() {
                        f.with_fix(fix);
                    }
                }
            }
            return;
        }
        if file.kind == FileKind::Hcl {
            return; // did not parse: reported as parse-error
        }
        for (line, text) in file.lines() {
            let code = match file.kind {
                FileKind::Json => text,
                _ => &text[..hash_comment_start(text).unwrap_or(text.len())],
            };
            if code.trim().is_empty() {
                continue;
            }
            let start = file.line_range(line).start;
            let hits = self.find(&file.text, start..start + code.len());
            if hits.is_empty() || !self.text_in_context(file, line, code) {
                continue;
            }
            for (span, value) in hits {
                self.report(out, span, value, false, None);
                if let (Some(f), Some(r)) = (out.findings.last_mut(), &self.params.replacement) {
                    f.help = Some(format!(
                        "use the value `{r}` holds instead of the literal (in a file rendered with templatefile(), pass it in as a template variable)"
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_values_without_a_shorter_one_inside_prefilter() {
        let check = |values: &[&str]| {
            ForbiddenValue::new(Params {
                values: values.iter().map(|v| v.to_string()).collect(),
                replacement: None,
                reason: None,
                contexts: Vec::new(),
                context_words: Vec::new(),
                allow_paths: Vec::new(),
            })
            .unwrap()
        };
        let c = check(&[
            "postgresql.dbaas.svc.cluster.local",
            "postgresql.dbaas.svc",
            "postgresql.dbaas",
        ]);
        let minimal: Vec<&str> = c.minimal.iter().map(|&i| c.values[i].as_str()).collect();
        assert_eq!(minimal, ["postgresql.dbaas"]);
        let c = check(&["a.example", "b.example", "a.example"]);
        let minimal: Vec<&str> = c.minimal.iter().map(|&i| c.values[i].as_str()).collect();
        assert_eq!(
            minimal,
            ["a.example", "b.example"],
            "a repeated value counts once"
        );
    }

    #[test]
    fn boundaries() {
        let t =
            "a postgresql.dbaas:5432 xpostgresql.dbaas postgresql.dbaas.example postgresql.dbaas.";
        let ok = |s: usize, e: usize| on_boundary(t, &(s..e));
        assert!(ok(2, 18));
        assert!(!ok(25, 41));
        assert!(!ok(42, 58));
        assert!(ok(67, 83));
        let ip = "192.168.1.127:/srv 192.168.1.1270";
        assert!(on_boundary(ip, &(0..13)));
        assert!(!on_boundary(ip, &(19..32)));
    }

    #[test]
    fn keys_and_parents() {
        assert_eq!(line_key("  server: 1.2.3.4"), Some("server"));
        assert_eq!(line_key("- host=x"), Some("host"));
        assert_eq!(line_key("NFS_SERVER=1.2.3.4"), Some("NFS_SERVER"));
        let f = SourceFile::new(
            "v.yaml".into(),
            "v.yaml".into(),
            "nfs:\n  server: 1.2.3.4\n".into(),
        );
        assert_eq!(parent_key(&f, 2).as_deref(), Some("nfs"));
    }
}
