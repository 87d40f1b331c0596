//! `audit --fix` / `--diff`: apply the fixes attached to findings, in rounds, verifying
//! every file still parses, and write atomically (or print a unified diff).
//!
//! A round audits the repository as it would be after the previous rounds' edits (held in
//! memory), picks non-overlapping fixes per file, applies them and re-parses the result.
//! Fixes whose edits overlap wait for the next round, which sees fresh offsets. The loop
//! ends when a round has nothing left to apply.

mod align;
pub mod text;
mod write;
pub use write::atomic as write_atomic;
pub use write::atomic_new as write_atomic_new;

use crate::audit::{self, AuditOptions, AuditReport};
use crate::finding::{Applicability, Edit, Finding, Fix};
use crate::source::FileKind;
use crate::source::SourceFile;
use crate::syntax::comments::Comment;
use crate::syntax::hcl;
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

const MAX_ROUNDS: usize = 10;

/// What to do with the fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the fixed files.
    Apply,
    /// Only compute them (for `--diff`).
    Preview,
}

/// The result of a fix run.
pub struct FixOutcome {
    /// The audit of the fixed repository: what remains.
    pub report: AuditReport,
    /// Changed files: repo-relative path -> (original, fixed).
    pub changed: BTreeMap<String, (String, String)>,
    /// Number of findings fixed.
    pub fixed: usize,
    /// Fixes dropped because the result did not parse (internal errors), as messages.
    pub dropped: Vec<String>,
}

/// One file's edits of the latest round, kept until the next audit has re-parsed the file.
struct Pending {
    /// The file's text before the round's edits.
    before: String,
    /// The fixes applied to it.
    chosen: Vec<Finding>,
}

/// Runs the fix rounds; writes files in [`Mode::Apply`].
///
/// Each round's edits are verified by the next round's audit, which parses every changed
/// file anyway: a file that no longer parses is rebuilt from its text before the round
/// with only the fixes that keep it parsable ([`apply_verified`]), so the common case
/// parses each changed file once, not twice.
pub fn run(opts: &AuditOptions, unsafe_fixes: bool, mode: Mode) -> Result<FixOutcome> {
    // Shared with each round's audit without a copy of every fixed file's text; the
    // audit's handle is gone when the round ends, so `make_mut` below never copies.
    let mut overlay: Arc<HashMap<PathBuf, String>> = Arc::default();
    let mut originals: BTreeMap<String, (PathBuf, String)> = BTreeMap::new();
    let mut rejected: BTreeSet<(String, String)> = BTreeSet::new();
    let mut pending: BTreeMap<String, Pending> = BTreeMap::new();
    let mut dropped = Vec::new();
    let mut fixed = 0;
    let mut round = 0;
    let reuse = Arc::new(audit::Reuse::default());
    let trace = audit::Trace::new();
    let started = std::time::Instant::now();
    let report = loop {
        let report = audit::run(&AuditOptions {
            overlay: Some(overlay.clone()),
            with_fixes: true,
            reuse: Some(reuse.clone()),
            ..opts.clone()
        })?;
        round += 1;
        trace.mark(&format!("fix round {round} audit"), started);
        let broken = unparsable(&report, &pending);
        if !broken.is_empty() {
            for path in broken {
                let Some(p) = pending.remove(&path) else {
                    continue;
                };
                let chosen: Vec<&Finding> = p.chosen.iter().collect();
                let (new_text, applied) =
                    apply_verified(&path, &p.before, &chosen, &mut |f, why| {
                        rejected.insert(key(f));
                        dropped.push(format!(
                            "internal error: the {} fix at {}:{} was not applied ({why})",
                            f.rule, f.location.path, f.location.line
                        ));
                    });
                fixed = fixed - chosen.len() + applied;
                mark_dirty(&reuse, &path);
                Arc::make_mut(&mut overlay).insert(report.root.join(&path), new_text);
            }
            pending.clear();
            continue;
        }
        pending.clear();
        let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        let mut declared = BTreeSet::new();
        for f in &report.findings {
            let Some(fix) = &f.fix else { continue };
            let allowed = fix.applicability == Applicability::Safe || unsafe_fixes;
            let one_file = fix.edits.iter().all(|e| e.path == f.location.path);
            let first_declaration = fix
                .declares
                .as_ref()
                .is_none_or(|d| declared.insert(d.clone()));
            if allowed && one_file && first_declaration && !rejected.contains(&key(f)) {
                by_file.entry(f.location.path.as_str()).or_default().push(f);
            }
        }
        if by_file.is_empty() || round > MAX_ROUNDS {
            break report;
        }
        for (path, findings) in by_file {
            let Some(current) = report.sources.get(path) else {
                continue;
            };
            let chosen = non_overlapping(&findings);
            let new_text = text::apply(current, &edits(&chosen));
            mark_dirty(&reuse, path);
            let abs = report.root.join(path);
            originals
                .entry(path.to_string())
                .or_insert_with(|| (abs.clone(), current.clone()));
            Arc::make_mut(&mut overlay).insert(abs, new_text);
            fixed += chosen.len();
            pending.insert(
                path.to_string(),
                Pending {
                    before: current.clone(),
                    chosen: chosen.into_iter().cloned().collect(),
                },
            );
        }
        trace.mark(&format!("fix round {round} apply"), started);
    };
    let mut changed: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut targets: Vec<(PathBuf, String)> = Vec::new();
    for (path, (abs, original)) in originals {
        if let Some(new) = Arc::make_mut(&mut overlay).remove(&abs) {
            if new != original {
                targets.push((abs, path.clone()));
                changed.insert(path, (original, new));
            }
        }
    }
    if mode == Mode::Apply {
        use rayon::prelude::*;
        targets
            .par_iter()
            .try_for_each(|(abs, path)| write::atomic(abs, &changed[path].1))?;
    }
    trace.mark("fix writes", started);
    Ok(FixOutcome {
        report,
        changed,
        fixed,
        dropped,
    })
}

/// Files edited in the previous round that the latest audit could not parse.
fn unparsable(report: &AuditReport, pending: &BTreeMap<String, Pending>) -> Vec<String> {
    let mut broken: BTreeSet<String> = report
        .findings
        .iter()
        .filter(|f| f.rule == "parse-error")
        .map(|f| f.location.path.clone())
        .chain(
            report
                .skipped
                .iter()
                .filter(|s| s.reason == crate::source::SkipReason::Unparsable)
                .map(|s| s.path.clone()),
        )
        .collect();
    broken.retain(|p| pending.contains_key(p));
    broken.into_iter().collect()
}

/// Tells the next round's audit that a directory's files changed.
fn mark_dirty(reuse: &audit::Reuse, path: &str) {
    reuse
        .dirty
        .lock()
        .expect("not poisoned")
        .insert(crate::index::dir_of(path).to_string());
}

/// Identifies a finding across rounds (lines move when earlier fixes add lines).
fn key(f: &Finding) -> (String, String) {
    (f.location.path.clone(), format!("{}:{}", f.rule, f.message))
}

/// Picks fixes whose edits overlap neither each other nor an earlier pick (insertions at
/// the same offset count as overlapping: their order would be arbitrary).
fn non_overlapping<'a>(findings: &[&'a Finding]) -> Vec<&'a Finding> {
    let mut sorted: Vec<&Finding> = findings.to_vec();
    sorted.sort_by_key(|f| {
        f.fix
            .as_ref()
            .and_then(|x| x.edits.iter().map(|e| e.span.start).min())
            .unwrap_or(0)
    });
    let mut taken: Vec<&Edit> = Vec::new();
    let mut chosen = Vec::new();
    for f in sorted {
        let edits = &f.fix.as_ref().expect("only findings with fixes").edits;
        let clashes = edits.iter().any(|e| taken.iter().any(|t| overlaps(e, t)));
        if !clashes {
            taken.extend(edits.iter());
            chosen.push(f);
        }
    }
    chosen
}

fn overlaps(a: &Edit, b: &Edit) -> bool {
    if a.span.start == b.span.start {
        return true;
    }
    a.span.start < b.span.end && b.span.start < a.span.end
}

/// Applies the chosen fixes; when the result does not parse, finds the fixes that break it
/// (each one alone), reports them through `reject`, and applies the rest.
fn apply_verified(
    path: &str,
    text: &str,
    chosen: &[&Finding],
    reject: &mut dyn FnMut(&Finding, &str),
) -> (String, usize) {
    let all = text::apply(text, &edits(chosen));
    if parses(path, &all).is_ok() {
        return (all, chosen.len());
    }
    let mut good = Vec::new();
    for f in chosen {
        match parses(path, &text::apply(text, &edits(&[f]))) {
            Ok(()) => good.push(*f),
            Err(why) => reject(f, &why),
        }
    }
    let combined = text::apply(text, &edits(&good));
    if parses(path, &combined).is_ok() {
        return (combined, good.len());
    }
    match good.first() {
        Some(first) => (text::apply(text, &edits(&[first])), 1),
        None => (text.to_string(), 0),
    }
}

fn edits<'a>(findings: &[&'a Finding]) -> Vec<&'a Edit> {
    findings
        .iter()
        .flat_map(|f| {
            f.fix
                .as_ref()
                .expect("only findings with fixes")
                .edits
                .iter()
        })
        .collect()
}

/// Whether a fixed file still parses (only HCL has a parser here).
fn parses(path: &str, text: &str) -> Result<(), String> {
    if FileKind::from_path(path) != FileKind::Hcl {
        return Ok(());
    }
    hcl::parse(text).map(|_| ()).map_err(|e| {
        format!(
            "the result would not parse at line {}: {}",
            e.line, e.message
        )
    })
}

/// Builds a fix from raw edits: applies them, re-aligns the `=` and comment chains they
/// touch (as `terraform fmt` would), and returns the result as one minimal edit, so that
/// `--fix`, `--diff`, JSON and SARIF all show exactly the same change.
///
/// `scope` is the top-level block the edits fall in: alignment runs end at its braces, so
/// only that block is re-parsed.
pub fn finish(
    file: &SourceFile,
    parsed: Option<&hcl::HclFile>,
    scope: Option<Range<usize>>,
    description: String,
    applicability: Applicability,
    raw: Vec<Edit>,
) -> Option<Fix> {
    if raw.is_empty() {
        return None;
    }
    let old = file.text.as_str();
    let mut new = text::apply(old, &raw.iter().collect::<Vec<_>>());
    if file.kind == FileKind::Hcl {
        let delta: isize = raw
            .iter()
            .map(|e| e.replacement.len() as isize - (e.span.end - e.span.start) as isize)
            .sum();
        let inside = |s: &Range<usize>| {
            raw.iter()
                .all(|e| e.span.start >= s.start && e.span.end <= s.end)
        };
        let region = match scope.filter(inside) {
            Some(s) => s.start..(s.end as isize + delta) as usize,
            None => 0..new.len(),
        };
        let local: Vec<Edit> = raw
            .iter()
            .map(|e| Edit {
                path: e.path.clone(),
                span: e.span.start - region.start..e.span.end - region.start,
                replacement: e.replacement.clone(),
            })
            .collect();
        let slice = &new[region.clone()];
        let touched = touched_lines(&local, slice);
        if align::may_need_alignment(slice, &touched) {
            // One edit in a file parsed before it: re-align from that parse if the edit
            // cannot have moved anything else (`align::realign_single_edit`).
            let old_region = region.start..(region.end as isize - delta) as usize;
            let quick = match (parsed, local.as_slice()) {
                (Some(parsed), [edit]) => {
                    let literals: Vec<Range<usize>> = parsed
                        .literals
                        .iter()
                        .filter(|l| {
                            l.span.start >= old_region.start && l.span.end <= old_region.end
                        })
                        .map(|l| l.span.start - old_region.start..l.span.end - old_region.start)
                        .collect();
                    let comments: Vec<Comment> = parsed
                        .comments
                        .iter()
                        .filter(|c| {
                            c.span.start >= old_region.start && c.span.end <= old_region.end
                        })
                        .map(|c| Comment {
                            span: c.span.start - old_region.start..c.span.end - old_region.start,
                        })
                        .collect();
                    align::realign_single_edit(
                        &old[old_region.clone()],
                        &literals,
                        &comments,
                        &edit.span,
                        &edit.replacement,
                        slice,
                        &touched,
                    )
                }
                _ => None,
            };
            match quick {
                Some(aligned) => {
                    // Every debug build (the whole test suite) checks the shortcut against
                    // the re-parse it replaces.
                    debug_assert_eq!(
                        aligned,
                        align::realign(slice, &touched, &|t| hcl::parse(t).ok()),
                        "re-alignment without a re-parse differs from the re-parse"
                    );
                    new.replace_range(region, &aligned);
                }
                None => {
                    let aligned = align::realign(slice, &touched, &|t| hcl::parse(t).ok());
                    new.replace_range(region, &aligned);
                }
            }
        }
    }
    let mut prefix = text::common_prefix(old.as_bytes(), new.as_bytes());
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let mut suffix = text::common_suffix(&old.as_bytes()[prefix..], &new.as_bytes()[prefix..]);
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    if prefix == old.len() && prefix == new.len() {
        return None;
    }
    Some(Fix {
        declares: None,
        description,
        applicability,
        edits: vec![Edit {
            path: file.path.clone(),
            span: prefix..old.len() - suffix,
            replacement: new[prefix..new.len() - suffix].to_string(),
        }],
    })
}

/// 0-based lines of `new` covered by the edits' replacements, plus their neighbours (an
/// inserted line can split or join an aligned run).
fn touched_lines(raw: &[Edit], new: &str) -> Vec<usize> {
    let mut sorted: Vec<&Edit> = raw.iter().collect();
    sorted.sort_by_key(|e| e.span.start);
    // The edits come in order, so newlines are counted on from the previous offset rather
    // than from the start of the file for every edit (back to the start only if edits
    // overlap); memchr's counting iterator counts a block of bytes at a time.
    let mut counted = (0usize, 0usize); // (offset, newlines before it)
    let mut line_of = |offset: usize| {
        let offset = offset.min(new.len());
        if offset < counted.0 {
            counted = (0, 0);
        }
        counted.1 += memchr::memchr_iter(b'\n', &new.as_bytes()[counted.0..offset]).count();
        counted.0 = offset;
        counted.1
    };
    let mut delta: isize = 0;
    let mut lines = Vec::new();
    for e in sorted {
        let start = (e.span.start as isize + delta) as usize;
        let end = start + e.replacement.len();
        let (first, last) = (line_of(start), line_of(end));
        lines.extend(first.saturating_sub(1)..=last + 1);
        delta += e.replacement.len() as isize - (e.span.end - e.span.start) as isize;
    }
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// A unified diff of every changed file, `a/` and `b/` prefixed like `git diff`.
pub fn unified_diff(changed: &BTreeMap<String, (String, String)>) -> String {
    let mut out = String::new();
    for (path, (old, new)) in changed {
        out.push_str(&file_diff(path, old, new));
    }
    out
}

/// Lines of context around each change, as `git diff` shows.
const CONTEXT: usize = 3;

/// The unified diff of one file, as `similar` renders it for the whole texts, computed on
/// the lines between the common leading and trailing lines (keeping `CONTEXT` of them on
/// each side) with the hunk headers moved back: a fix changes a few lines of a file, and
/// diffing whole files (hashing every line first) was 7% of `audit --diff` (callgrind).
fn file_diff(path: &str, old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let common_lead = old_lines
        .iter()
        .zip(&new_lines)
        .take_while(|(a, b)| a == b)
        .count();
    let max_trail = old_lines.len().min(new_lines.len()) - common_lead;
    let common_trail = old_lines
        .iter()
        .rev()
        .zip(new_lines.iter().rev())
        .take(max_trail)
        .take_while(|(a, b)| a == b)
        .count();
    let skip = common_lead.saturating_sub(CONTEXT);
    let cut = common_trail.saturating_sub(CONTEXT);
    let old_mid = old_lines[skip..old_lines.len() - cut].concat();
    let new_mid = new_lines[skip..new_lines.len() - cut].concat();
    let diff = similar::TextDiff::from_lines(&old_mid, &new_mid)
        .unified_diff()
        .context_radius(CONTEXT)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    if skip == 0 {
        return diff;
    }
    diff.split_inclusive('\n')
        .map(|line| match line.strip_prefix("@@ ") {
            Some(rest) => shift_hunk_header(rest, skip),
            None => line.to_string(),
        })
        .collect()
}

/// `@@ -a[,b] +c[,d] @@` (given without its leading `@@ `) with `a` and `c` moved down by
/// `by` lines.
fn shift_hunk_header(rest: &str, by: usize) -> String {
    let shift = |range: &str, sign: char| -> String {
        let range = range.trim_start_matches(sign);
        let (start, len) = match range.split_once(',') {
            Some((s, l)) => (s, Some(l)),
            None => (range, None),
        };
        let start = start
            .parse::<usize>()
            .map_or_else(|_| start.to_string(), |n| (n + by).to_string());
        match len {
            Some(l) => format!("{sign}{start},{l}"),
            None => format!("{sign}{start}"),
        }
    };
    let mut parts = rest.splitn(3, ' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(old), Some(new), Some(tail)) => {
            format!("@@ {} {} {tail}", shift(old, '-'), shift(new, '+'))
        }
        _ => format!("@@ {rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, Severity};

    #[test]
    fn touched_lines_counts_on_across_edits_in_any_order() {
        let edit = |span: Range<usize>, replacement: &str| Edit {
            path: "a.tf".into(),
            span,
            replacement: replacement.into(),
        };
        // Old text "a\nb\nc\nd\ne\n": "X\n" inserted before `d` (offset 6) and `b` replaced
        // by "B" (offset 2), given out of order. New text: "a\nB\nc\nX\nd\ne\n".
        let new = "a\nB\nc\nX\nd\ne\n";
        let edits = [edit(6..6, "X\n"), edit(2..3, "B")];
        assert_eq!(touched_lines(&edits, new), vec![0, 1, 2, 3, 4, 5]);
        // Overlapping edits make the second offset fall before the first one's end: the
        // count starts again from the top and still gives the right lines.
        let overlapping = [edit(0..6, "a\nb\nc\n"), edit(2..2, "")];
        assert_eq!(
            touched_lines(&overlapping, "a\nb\nc\nd\n"),
            vec![0, 1, 2, 3, 4]
        );
    }

    /// The trimmed diff equals `similar`'s diff of the whole texts, for edits at the start,
    /// middle and end of a file, close together and far apart, with and without a final
    /// newline, and for insertions and deletions.
    #[test]
    fn trimmed_diffs_equal_whole_file_diffs() {
        let whole = |old: &str, new: &str| {
            similar::TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(CONTEXT)
                .header("a/f", "b/f")
                .to_string()
        };
        let base: Vec<String> = (0..40).map(|i| format!("line {i}\n")).collect();
        let mut cases: Vec<(String, String)> = Vec::new();
        for at in [0, 1, 3, 4, 5, 10, 20, 34, 36, 38, 39] {
            let old = base.concat();
            let mut replaced = base.clone();
            replaced[at] = format!("changed {at}\n");
            cases.push((old.clone(), replaced.concat()));
            let mut inserted = base.clone();
            inserted.insert(at, "new\n".into());
            cases.push((old.clone(), inserted.concat()));
            let mut removed = base.clone();
            removed.remove(at);
            cases.push((old.clone(), removed.concat()));
            let mut two = base.clone();
            two[at] = "x\n".into();
            two[(at + 7) % 40] = "y\n".into();
            cases.push((old.clone(), two.concat()));
            let no_newline = old.trim_end().to_string();
            let mut edited = replaced.concat();
            edited.pop();
            cases.push((no_newline.clone(), edited));
            cases.push((no_newline.clone(), format!("{no_newline}\n")));
        }
        cases.push((String::new(), "a\n".into()));
        cases.push(("a\n".into(), String::new()));
        for (old, new) in &cases {
            assert_eq!(
                file_diff("f", old, new),
                whole(old, new),
                "{old:?} -> {new:?}"
            );
        }
    }

    fn finding_with(path: &str, edit: Edit) -> Finding {
        Finding {
            fixable: true,
            fix: Some(Fix {
                declares: None,
                description: "d".into(),
                applicability: Applicability::Safe,
                edits: vec![edit],
            }),
            ..Finding::new(
                "r".into(),
                Severity::Error,
                "m".into(),
                Location {
                    path: path.into(),
                    span: 0..0,
                    line: 1,
                    column: 1,
                    end_line: 1,
                    end_column: 1,
                },
            )
        }
    }

    #[test]
    fn a_fix_that_breaks_the_file_is_dropped_and_the_others_kept() {
        let text = "a = 1\nb = 2\n";
        let bad = finding_with(
            "x.tf",
            Edit {
                path: "x.tf".into(),
                span: 0..0,
                replacement: "{".into(),
            },
        );
        let good = finding_with(
            "x.tf",
            Edit {
                path: "x.tf".into(),
                span: 10..11,
                replacement: "3".into(),
            },
        );
        let mut rejected = Vec::new();
        let (out, applied) = apply_verified("x.tf", text, &[&bad, &good], &mut |f, why| {
            rejected.push((f.rule.clone(), why.to_string()))
        });
        assert_eq!(out, "a = 1\nb = 3\n");
        assert_eq!(applied, 1);
        assert_eq!(rejected.len(), 1);
        assert!(rejected[0].1.contains("would not parse"));
    }

    #[test]
    fn files_edited_last_round_that_no_longer_parse_are_found() {
        let broken = finding_with(
            "a.tf",
            Edit {
                path: "a.tf".into(),
                span: 0..0,
                replacement: String::new(),
            },
        );
        let parse_error = |path: &str| Finding {
            fix: None,
            rule: "parse-error".into(),
            ..finding_with(
                path,
                Edit {
                    path: path.into(),
                    span: 0..0,
                    replacement: String::new(),
                },
            )
        };
        let report = AuditReport {
            root: PathBuf::from("/repo"),
            // a.tf was edited and broke; old.tf was already broken before any fix.
            findings: vec![parse_error("a.tf"), parse_error("old.tf")],
            skipped: vec![audit::Skipped {
                path: "b.tf".into(),
                reason: crate::source::SkipReason::Unparsable,
                detail: None,
            }],
            files_scanned: 3,
            elapsed: std::time::Duration::ZERO,
            rules: Vec::new(),
            config: crate::config::Config::default(),
            sources: BTreeMap::new(),
            live: None,
            baseline: None,
        };
        let pending: BTreeMap<String, Pending> = ["a.tf", "b.tf", "c.tf"]
            .into_iter()
            .map(|p| {
                (
                    p.to_string(),
                    Pending {
                        before: String::new(),
                        chosen: vec![broken.clone()],
                    },
                )
            })
            .collect();
        assert_eq!(unparsable(&report, &pending), ["a.tf", "b.tf"]);
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_round() {
        let a = finding_with(
            "x.tf",
            Edit {
                path: "x.tf".into(),
                span: 4..4,
                replacement: "x".into(),
            },
        );
        let b = finding_with(
            "x.tf",
            Edit {
                path: "x.tf".into(),
                span: 4..4,
                replacement: "y".into(),
            },
        );
        let c = finding_with(
            "x.tf",
            Edit {
                path: "x.tf".into(),
                span: 8..9,
                replacement: "z".into(),
            },
        );
        assert_eq!(non_overlapping(&[&a, &b, &c]).len(), 2);
    }
}
