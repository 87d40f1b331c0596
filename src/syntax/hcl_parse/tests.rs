//! Unit tests of the fast parser: it declines what it must, and builds hcl-edit's spans.

use super::parse_body;
use hcl_edit::Span;

#[test]
fn parses_a_block_with_spans_like_hcl_edit() {
    let text = "resource \"a\" \"b\" {\n  x = 1\n}\n";
    let fast = parse_body(text).expect("handled");
    let slow = hcl_edit::parser::parse_body(text).unwrap();
    assert_eq!(fast, slow);
    let block = fast.get(0).unwrap().as_block().unwrap();
    let slow_block = slow.get(0).unwrap().as_block().unwrap();
    assert_eq!(block.span(), Some(0..28));
    assert_eq!(block.span(), slow_block.span());
    assert_eq!(block.body.span(), slow_block.body.span());
}

#[test]
fn declines_what_hcl_edit_rejects() {
    for text in [
        "a = 1\na = 2\n",
        "a = { b = 1, b = 2 }\n",
        "a {\n",
        "a = 1 }\n",
        "a = \"x\n",
        "a = <<EOF\nx\n",
        "/* open",
        "a = 1e\n",
        "a { b {} }\n",
    ] {
        assert!(parse_body(text).is_none(), "{text:?}");
        assert!(hcl_edit::parser::parse_body(text).is_err(), "{text:?}");
    }
}

#[test]
fn declines_directives_namespaced_calls_and_unicode_identifiers() {
    for text in [
        "a = \"%{ if x }y%{ endif }\"\n",
        "a = <<EOF\n%{ for x in y }${x}%{ endfor }\nEOF\n",
        "a = provider::p::f(1)\n",
        "é = 1\n",
    ] {
        assert!(parse_body(text).is_none(), "{text:?}");
        assert!(hcl_edit::parser::parse_body(text).is_ok(), "{text:?}");
    }
}
