//! Inline suppressions: `# infra-audit:ignore[rule-a,rule-b] reason until=YYYY-MM-DD`
//! (also `//`), at the end of the flagged line or on the line above the flagged line or
//! resource. A reason is required; a suppression that suppresses nothing is reported.

use crate::finding::{Finding, Location, Severity};
use crate::source::{FileKind, SourceFile};
use crate::syntax::comments::{hash_comment_start, Comment};
use std::collections::BTreeSet;
use std::ops::Range;
use time::Date;

const MARKER: &str = "infra-audit:ignore[";

/// One parsed suppression comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// Rules it names.
    pub rules: Vec<String>,
    /// Why (required).
    pub reason: String,
    /// Expiry date, after which it stops suppressing.
    pub until: Option<Date>,
    /// Span of the comment text from the marker on.
    pub span: Range<usize>,
    /// Line the suppression applies to.
    pub target_line: usize,
}

/// Suppressions found in a file and the malformed ones (as findings).
pub struct FileSuppressions {
    /// Well-formed suppressions.
    pub items: Vec<Suppression>,
    /// `invalid-suppression` findings.
    pub invalid: Vec<Finding>,
}

/// Reads the suppression comments of `file`. For HCL, `comments` are the parser-verified
/// comment spans; other code files use line comments; prose is never read.
pub fn collect(
    file: &SourceFile,
    comments: Option<&[Comment]>,
    known_rules: &BTreeSet<String>,
    today: Date,
) -> FileSuppressions {
    let mut items = Vec::new();
    let mut invalid = Vec::new();
    if !file.kind.is_code() || !file.text.contains(MARKER) {
        return FileSuppressions { items, invalid };
    }
    // The first marker of each line that has one (a per-line `str::find` rebuilt its
    // searcher for every line of every file holding a marker).
    let mut previous_line = 0;
    for abs in memchr::memmem::find_iter(file.text.as_bytes(), MARKER.as_bytes()) {
        let line = file.line_of(abs);
        if line == previous_line {
            continue;
        }
        previous_line = line;
        let text = file.line_text(line);
        let line_start = file.line_range(line).start;
        let pos = abs - line_start;
        let comment_start = match comments {
            Some(cs) => match cs.iter().find(|c| c.span.start <= abs && abs < c.span.end) {
                Some(c) => c.span.start,
                None => continue,
            },
            None => {
                let hash = match file.kind {
                    FileKind::Json => None,
                    _ => hash_comment_start(text).map(|p| line_start + p),
                };
                let slashes = text.find("//").map(|p| line_start + p);
                match [hash, slashes]
                    .into_iter()
                    .flatten()
                    .filter(|&s| s <= abs)
                    .min()
                {
                    Some(s) => s,
                    None => continue,
                }
            }
        };
        let span = abs..file.line_range(line).end;
        // A comment may have started on an earlier line (`/* ...` spanning lines).
        let code_before =
            comment_start > line_start && !file.text[line_start..comment_start].trim().is_empty();
        let target_line = if code_before {
            line
        } else {
            next_code_line(file, line)
        };
        match parse_directive(&text[pos + MARKER.len()..], known_rules) {
            Ok((rules, reason, until)) => {
                if until.is_some_and(|d| d < today) {
                    continue; // expired: the findings show again
                }
                items.push(Suppression {
                    rules,
                    reason,
                    until,
                    span,
                    target_line,
                });
            }
            Err(why) => invalid.push(invalid_finding(file, span, why)),
        }
    }
    FileSuppressions { items, invalid }
}

fn next_code_line(file: &SourceFile, after: usize) -> usize {
    for line in after + 1..=file.line_count() {
        let t = file.line_text(line).trim_start();
        let comment_only =
            t.starts_with('#') || t.starts_with("//") || t.starts_with("/*") || t.starts_with('*');
        if !t.is_empty() && !comment_only {
            return line;
        }
    }
    after + 1
}

type Directive = (Vec<String>, String, Option<Date>);

fn parse_directive(rest: &str, known: &BTreeSet<String>) -> Result<Directive, String> {
    let close = rest.find(']').ok_or("missing `]` after the rule list")?;
    let rules: Vec<String> = rest[..close]
        .split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if rules.is_empty() {
        return Err("names no rule".into());
    }
    if let Some(unknown) = rules.iter().find(|r| !known.contains(*r)) {
        return Err(format!("names unknown rule `{unknown}`"));
    }
    let mut until = None;
    let mut reason_words = Vec::new();
    for word in rest[close + 1..].split_whitespace() {
        if let Some(date) = word.strip_prefix("until=") {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            until = Some(
                Date::parse(date, &format)
                    .map_err(|_| format!("`until={date}` is not a YYYY-MM-DD date"))?,
            );
        } else if word != "*/" {
            reason_words.push(word);
        }
    }
    let reason = reason_words.join(" ");
    if reason.is_empty() {
        return Err("gives no reason (write why after the `]`)".into());
    }
    Ok((rules, reason, until))
}

fn invalid_finding(file: &SourceFile, span: Range<usize>, why: String) -> Finding {
    Finding {
        help: Some(
            "write `# infra-audit:ignore[rule-id] reason` (optionally `until=YYYY-MM-DD`)".into(),
        ),
        ..Finding::new(
            "invalid-suppression".into(),
            Severity::Warning,
            format!("this infra-audit:ignore comment {why}, so it suppresses nothing"),
            Location::new(file, span),
        )
    }
}

/// Removes suppressed findings and returns `unused-suppression` findings for suppressions
/// that matched nothing (only for rules that ran, so `--select` does not make them unused).
pub fn apply(
    file: &SourceFile,
    sups: &[Suppression],
    findings: &mut Vec<Finding>,
    active: &BTreeSet<String>,
) -> Vec<Finding> {
    let mut used = vec![false; sups.len()];
    findings.retain(|f| {
        let hit = sups.iter().position(|s| {
            s.rules.contains(&f.rule)
                && (f.location.line == s.target_line || f.resource_line == Some(s.target_line))
        });
        match hit {
            Some(i) => {
                used[i] = true;
                false
            }
            None => true,
        }
    });
    sups.iter()
        .zip(used)
        .filter(|(s, used)| !used && s.rules.iter().all(|r| active.contains(r)))
        .map(|(s, _)| Finding {
            help: Some(
                "delete the comment, or move it onto/above the flagged line or resource".into(),
            ),
            ..Finding::new(
                "unused-suppression".into(),
                Severity::Warning,
                format!(
                    "suppression of `{}` matches no finding on line {}",
                    s.rules.join(", "),
                    s.target_line
                ),
                Location::new(file, s.span.clone()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn known() -> BTreeSet<String> {
        ["a-rule".to_string(), "b-rule".to_string()].into()
    }

    #[test]
    fn parses_rules_reason_and_date() {
        let (rules, reason, until) =
            parse_directive("a-rule, b-rule] cache only until=2030-01-02", &known()).unwrap();
        assert_eq!(rules, vec!["a-rule", "b-rule"]);
        assert_eq!(reason, "cache only");
        assert_eq!(until, Some(date!(2030 - 01 - 02)));
    }

    #[test]
    fn rejects_missing_reason_unknown_rule_and_bad_date() {
        assert!(parse_directive("a-rule]", &known())
            .unwrap_err()
            .contains("no reason"));
        assert!(parse_directive("zzz] why", &known())
            .unwrap_err()
            .contains("unknown rule"));
        assert!(parse_directive("a-rule] why until=soon", &known())
            .unwrap_err()
            .contains("until=soon"));
    }

    #[test]
    fn targets_end_of_line_or_next_code_line() {
        let text = "# infra-audit:ignore[a-rule] why\n# more comment\n\nx = 1 # infra-audit:ignore[b-rule] because\n";
        let f = SourceFile::new("x.sh".into(), "x.sh".into(), text.into());
        let s = collect(&f, None, &known(), date!(2026 - 01 - 01));
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].target_line, 4);
        assert_eq!(s.items[1].target_line, 4);
    }

    #[test]
    fn expired_suppressions_do_not_apply() {
        let text = "x = 1 # infra-audit:ignore[a-rule] why until=2020-01-01\n";
        let f = SourceFile::new("x.sh".into(), "x.sh".into(), text.into());
        assert!(collect(&f, None, &known(), date!(2026 - 01 - 01))
            .items
            .is_empty());
    }
}
