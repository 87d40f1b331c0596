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

#[test]
fn duplicate_keys_are_declined_before_and_after_the_inline_keys_fill_up() {
    for count in [2, 15, 16, 17, 40] {
        let keys: Vec<String> = (0..count).map(|i| format!("k{i}")).collect();
        let unique: String = keys.iter().map(|k| format!("{k} = 1\n")).collect();
        let fast = parse_body(&unique).expect("handled");
        assert_eq!(
            fast,
            hcl_edit::parser::parse_body(&unique).unwrap(),
            "{count}"
        );
        for dup in [0, count / 2, count - 1] {
            let text = format!("{unique}{} = 2\n", keys[dup]);
            assert!(parse_body(&text).is_none(), "{count} keys, {dup} repeated");
        }
    }
}

#[test]
fn nested_bodies_keep_their_own_structures() {
    let text = "a {\n  b {\n    x = 1\n    y = 2\n  }\n  z = 3\n}\nc = 4\nd {\n}\n";
    let fast = parse_body(text).expect("handled");
    assert_eq!(fast, hcl_edit::parser::parse_body(text).unwrap());
    // A body that fails half-way leaves nothing behind for the rest of the parse: the
    // fast parser declines the whole text.
    assert!(parse_body("a {\n  b {\n    x = 1\n    x = 2\n  }\n}\nc = 4\n").is_none());
}
