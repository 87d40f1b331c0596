//! `exports-fsid`: in the NFS exports file, an export must not carry a forbidden `fsid`
//! (seed 000, PM-2026-04-14: `fsid=0` on `/srv/nfs` makes it the NFSv4 pseudo-root and
//! breaks subdirectory resolution for every CSI mount).

use super::{Check, Emitter, FileContext};
use serde::Deserialize;

/// Parameters of an `exports-fsid` instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Repo-relative path of the exports file.
    #[serde(default = "default_file")]
    pub file: String,
    /// Export paths the rule protects.
    #[serde(default = "default_exports")]
    pub exports: Vec<String>,
    /// Forbidden fsid values (`0` and its alias `root` designate the pseudo-root).
    #[serde(default = "default_forbidden")]
    pub forbidden: Vec<String>,
}

fn default_file() -> String {
    "scripts/pve-nfs-exports".into()
}
fn default_exports() -> Vec<String> {
    vec!["/srv/nfs".into()]
}
fn default_forbidden() -> Vec<String> {
    vec!["0".into(), "root".into()]
}

/// The check.
pub struct ExportsFsid {
    params: Params,
}

impl ExportsFsid {
    /// Builds the check.
    pub fn new(params: Params) -> Self {
        ExportsFsid { params }
    }
}

impl Check for ExportsFsid {
    fn check(&self, ctx: &FileContext, out: &mut Emitter) {
        let file = ctx.file;
        if file.path != self.params.file {
            return;
        }
        // An export may continue on following lines ending in `\`.
        let mut continued: Option<String> = None;
        let mut fixes = 0;
        for (line, text) in file.lines() {
            let trimmed = text.trim_start();
            let carried = continued.take();
            if carried.is_none() && (trimmed.is_empty() || trimmed.starts_with('#')) {
                continue;
            }
            let (export, options_start) = match carried {
                Some(export) => (export, 0),
                None => {
                    let indent = text.len() - trimmed.len();
                    let (export, rest_at) = if let Some(quoted) = trimmed.strip_prefix('"') {
                        match quoted.find('"') {
                            Some(end) => (&quoted[..end], end + 2),
                            None => continue,
                        }
                    } else {
                        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
                        (&trimmed[..end], end)
                    };
                    (export.trim_end_matches('/').to_string(), indent + rest_at)
                }
            };
            if text.trim_end().ends_with('\\') {
                continued = Some(export.clone());
            }
            if !self
                .params
                .exports
                .iter()
                .any(|e| e.trim_end_matches('/') == export)
            {
                continue;
            }
            let rest = &text[options_start..];
            let rest = &rest[..rest.find('#').unwrap_or(rest.len())];
            for (i, _) in rest.match_indices("fsid=") {
                let value_start = i + "fsid=".len();
                let value: String = rest[value_start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                if !self.params.forbidden.contains(&value) {
                    continue;
                }
                let start = file.line_range(line).start + options_start + i;
                let span = start..start + value_start - i + value.len();
                let fix = self.fix(ctx, span.clone(), fixes);
                fixes += 1;
                out.violation(
                    span,
                    format!(
                        "`{export}` is exported with `fsid={value}`: that makes it the NFSv4 pseudo-root and breaks subdirectory mounts for every CSI volume"
                    ),
                )
                .with_fix(fix);
            }
        }
    }
}

impl ExportsFsid {
    /// Replaces the forbidden fsid with one no other export in the file uses; the `nth`
    /// fix of a run gets the `nth` unused number, so several fixes never share one.
    fn fix(
        &self,
        ctx: &FileContext,
        span: std::ops::Range<usize>,
        nth: u64,
    ) -> Option<crate::finding::Fix> {
        let file = ctx.file;
        let used: Vec<u64> = file
            .lines()
            .map(|(_, l)| &l[..l.find('#').unwrap_or(l.len())])
            .flat_map(|code| {
                code.match_indices("fsid=")
                    .map(move |(i, _)| &code[i + 5..])
            })
            .filter_map(|rest| {
                let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                digits.parse().ok()
            })
            .collect();
        let next = used.iter().max().map(|m| m + 1).unwrap_or(1).max(1) + nth;
        let edit = crate::finding::Edit {
            path: file.path.clone(),
            span,
            replacement: format!("fsid={next}"),
        };
        ctx.fix(
            None,
            format!("use the unused `fsid={next}`"),
            crate::finding::Applicability::Safe,
            vec![edit],
        )
    }
}
