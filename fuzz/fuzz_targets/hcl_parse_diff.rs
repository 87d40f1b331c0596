//! The fast HCL parser against hcl-edit's: for UTF-8 text the fast parser does not decline,
//! hcl-edit's parser must accept it too and build the same tree, spans and values included
//! (compared through `infra_audit::syntax::hcl_dump::dump_body`, as `tests/hcl_parser_diff.rs`
//! does for the fixtures).

#![no_main]

use infra_audit::syntax::hcl_dump::dump_body;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(fast) = infra_audit::syntax::hcl_parse::parse_body(text) else {
        return;
    };
    let slow = match hcl_edit::parser::parse_body(text) {
        Ok(slow) => slow,
        Err(err) => panic!("the fast parser accepted an input hcl-edit rejects:\n{err}"),
    };
    let (fast, slow) = (dump_body(&fast), dump_body(&slow));
    if fast != slow {
        let slow: Vec<&str> = slow.iter().map(String::as_str).collect();
        let fast: Vec<&str> = fast.iter().map(String::as_str).collect();
        let diff = similar::TextDiff::from_slices(&slow, &fast);
        panic!(
            "the trees differ (- hcl-edit, + fast parser):\n{}",
            diff.unified_diff().context_radius(3)
        );
    }
});
