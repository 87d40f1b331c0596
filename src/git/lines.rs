//! Which lines of a new file version a change added or modified (imara-diff, histogram).

use imara_diff::{Algorithm, Diff, InternedInput};
use std::ops::RangeInclusive;

/// 1-based line ranges of `new` that are added or modified relative to `old` (`None`: the
/// file is new, every line counts). Binary content (a NUL byte) yields no lines.
pub fn changed_lines(old: Option<&[u8]>, new: &[u8]) -> Vec<RangeInclusive<usize>> {
    if new.contains(&0) {
        return Vec::new();
    }
    let count = line_count(new);
    let Some(old) = old else {
        return if count == 0 {
            Vec::new()
        } else {
            vec![1..=count]
        };
    };
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let mut ranges: Vec<RangeInclusive<usize>> = Vec::new();
    for hunk in diff.hunks() {
        if hunk.after.is_empty() {
            continue;
        }
        let (first, last) = (hunk.after.start as usize + 1, hunk.after.end as usize);
        match ranges.last_mut() {
            Some(prev) if *prev.end() + 1 >= first => *prev = *prev.start()..=last,
            _ => ranges.push(first..=last),
        }
    }
    ranges
}

fn line_count(text: &[u8]) -> usize {
    let newlines = text.iter().filter(|b| **b == b'\n').count();
    newlines + usize::from(!text.is_empty() && !text.ends_with(b"\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_modified_and_removed_lines() {
        let old = b"a\nb\nc\nd\n";
        let new = b"a\nB\nc\nx\ny\nd\n";
        assert_eq!(changed_lines(Some(old), new), vec![2..=2, 4..=5]);
        assert_eq!(
            changed_lines(Some(b"a\nb\n"), b"a\n"),
            Vec::<RangeInclusive<usize>>::new()
        );
        assert_eq!(changed_lines(None, b"a\nb"), vec![1..=2]);
        assert_eq!(
            changed_lines(None, b""),
            Vec::<RangeInclusive<usize>>::new()
        );
        assert!(changed_lines(None, b"\0bin").is_empty());
    }
}
