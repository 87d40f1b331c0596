//! A flat, line-per-node dump of an hcl-edit syntax tree: every node's kind, span and
//! semantic value, and nothing of its formatting.
//!
//! It exists to prove that the fast parser ([`crate::syntax::hcl_parse::parse_body`]) and
//! hcl-edit's own parser build the same tree: the differential test
//! (`tests/hcl_parser_diff.rs`) and the `hcl_parse_diff` fuzz target dump both trees and
//! compare the dumps line by line. hcl-edit's `PartialEq` is no use for that: it ignores
//! spans, and the rules, `--fix` and the suppressions all depend on spans.
//!
//! What a line holds: the node kind, its span (`Span::span()`, printed as `Some(a..b)` or
//! `None`) and its semantic value (identifier names, string and literal text, numbers with
//! their integer/float kind, operators, heredoc delimiters and indents, strip markers,
//! object assignment and terminator kinds, `expand_final`, `trailing_comma`, the body's
//! `prefer_oneline` and `prefer_omit_trailing_newline`). Lines are indented by depth, so a
//! diff of two dumps reads like a diff of two trees.
//!
//! What it leaves out, on purpose: decor (whitespace and comments before and after a node),
//! the raw `trailing` strings and template `preamble`s, and a number's raw representation
//! (`Formatted::as_repr`). The fast parser never sets those (it cannot set a number's
//! representation: `set_repr` is crate-private in hcl-edit); they are formatting, not
//! structure.

use hcl_edit::expr::{
    Array, BinaryOp, BinaryOperator, Conditional, Expression, ForCond, ForExpr, ForIntro, FuncArgs,
    FuncCall, FuncName, Null, Object, ObjectKey, ObjectValue, Parenthesis, Splat, Traversal,
    TraversalOperator, UnaryOp, UnaryOperator,
};
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body};
use hcl_edit::template::{
    Directive, Element, ElseTemplateExpr, EndforTemplateExpr, EndifTemplateExpr, ForDirective,
    ForTemplateExpr, HeredocTemplate, IfDirective, IfTemplateExpr, Interpolation, StringTemplate,
    Template,
};
use hcl_edit::visit::{self, Visit};
use hcl_edit::{Decorated, Formatted, Ident, Number, Span, Spanned};
use std::fmt::{self, Write as _};
use std::ops::Range;

/// Dumps the whole tree under `body`, one line per node (see the module documentation for
/// what a line holds).
///
/// Exists for the differential test of the two HCL parsers and the `hcl_parse_diff` fuzz
/// target: two trees are the same, spans and values included, exactly when their dumps are
/// equal.
pub fn dump_body(body: &Body) -> Vec<String> {
    let mut dumper = Dumper::default();
    dumper.visit_body(body);
    dumper.lines
}

/// The visitor behind [`dump_body`]: the lines so far and the current depth.
#[derive(Default)]
struct Dumper {
    lines: Vec<String>,
    depth: usize,
}

impl Dumper {
    /// Records one line: `kind span value...` at the current depth.
    fn line(&mut self, kind: &str, span: Option<Range<usize>>, value: fmt::Arguments<'_>) {
        let mut line = String::with_capacity(48);
        for _ in 0..self.depth {
            line.push_str("  ");
        }
        let _ = write!(line, "{kind} {span:?}");
        let value = value.to_string();
        if !value.is_empty() {
            line.push(' ');
            line.push_str(&value);
        }
        self.lines.push(line);
    }

    /// Runs `f` (the recursion into a node's children) one level deeper.
    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        self.depth += 1;
        f(self);
        self.depth -= 1;
    }
}

/// The variant name of an expression, for its `Expr` line.
fn expr_kind(expr: &Expression) -> &'static str {
    match expr {
        Expression::Null(_) => "Null",
        Expression::Bool(_) => "Bool",
        Expression::Number(_) => "Number",
        Expression::String(_) => "String",
        Expression::Array(_) => "Array",
        Expression::Object(_) => "Object",
        Expression::StringTemplate(_) => "StringTemplate",
        Expression::HeredocTemplate(_) => "HeredocTemplate",
        Expression::Parenthesis(_) => "Parenthesis",
        Expression::Variable(_) => "Variable",
        Expression::ForExpr(_) => "ForExpr",
        Expression::Conditional(_) => "Conditional",
        Expression::FuncCall(_) => "FuncCall",
        Expression::UnaryOp(_) => "UnaryOp",
        Expression::BinaryOp(_) => "BinaryOp",
        Expression::Traversal(_) => "Traversal",
    }
}

/// The variant name of a traversal operator.
fn operator_kind(op: &TraversalOperator) -> &'static str {
    match op {
        TraversalOperator::AttrSplat(_) => "AttrSplat",
        TraversalOperator::FullSplat(_) => "FullSplat",
        TraversalOperator::GetAttr(_) => "GetAttr",
        TraversalOperator::Index(_) => "Index",
        TraversalOperator::LegacyIndex(_) => "LegacyIndex",
    }
}

/// A number with its kind: `Number(1)` alone does not say whether it is a `u64`, an `i64` or
/// an `f64` (hcl-primitives normalises integral floats, but the dump should not rely on it).
fn number_value(n: &Number) -> String {
    let kind = if n.is_u64() {
        "u64"
    } else if n.is_i64() {
        "i64"
    } else {
        "f64"
    };
    format!("{n:?} {kind}")
}

impl Visit for Dumper {
    fn visit_body(&mut self, node: &Body) {
        self.line(
            "Body",
            node.span(),
            format_args!(
                "len={} prefer_oneline={} prefer_omit_trailing_newline={}",
                node.len(),
                node.prefer_oneline(),
                node.prefer_omit_trailing_newline()
            ),
        );
        self.nested(|v| visit::visit_body(v, node));
    }

    fn visit_attr(&mut self, node: &Attribute) {
        self.line("Attribute", node.span(), format_args!(""));
        self.nested(|v| visit::visit_attr(v, node));
    }

    fn visit_block(&mut self, node: &Block) {
        self.line(
            "Block",
            node.span(),
            format_args!("labels={}", node.labels.len()),
        );
        self.nested(|v| visit::visit_block(v, node));
    }

    fn visit_block_label(&mut self, node: &BlockLabel) {
        let kind = match node {
            BlockLabel::String(_) => "BlockLabel::String",
            BlockLabel::Ident(_) => "BlockLabel::Ident",
        };
        self.line(kind, node.span(), format_args!(""));
        self.nested(|v| visit::visit_block_label(v, node));
    }

    fn visit_ident(&mut self, node: &Decorated<Ident>) {
        self.line("Ident", node.span(), format_args!("{:?}", node.as_str()));
    }

    fn visit_null(&mut self, node: &Decorated<Null>) {
        self.line("Null", node.span(), format_args!(""));
    }

    fn visit_bool(&mut self, node: &Decorated<bool>) {
        self.line("Bool", node.span(), format_args!("{}", node.value()));
    }

    fn visit_u64(&mut self, node: &Decorated<u64>) {
        self.line("U64", node.span(), format_args!("{}", node.value()));
    }

    fn visit_number(&mut self, node: &Formatted<Number>) {
        let value = number_value(node.value());
        self.line("Number", node.span(), format_args!("{value}"));
    }

    fn visit_string(&mut self, node: &Decorated<String>) {
        self.line("String", node.span(), format_args!("{:?}", node.value()));
    }

    fn visit_splat(&mut self, node: &Decorated<Splat>) {
        self.line("Splat", node.span(), format_args!(""));
    }

    fn visit_literal(&mut self, node: &Spanned<String>) {
        self.line("Literal", node.span(), format_args!("{:?}", node.value()));
    }

    fn visit_unary_operator(&mut self, node: &Spanned<UnaryOperator>) {
        self.line(
            "UnaryOperator",
            node.span(),
            format_args!("{:?}", node.value()),
        );
    }

    fn visit_binary_operator(&mut self, node: &Decorated<BinaryOperator>) {
        self.line(
            "BinaryOperator",
            node.span(),
            format_args!("{:?}", node.value()),
        );
    }

    fn visit_expr(&mut self, node: &Expression) {
        // `Expression` forwards its span to the variant, so this line repeats the span of the
        // line below it; it is here for the variant (`Variable` vs any other identifier,
        // `String` vs a block label).
        self.line("Expr", node.span(), format_args!("{}", expr_kind(node)));
        self.nested(|v| visit::visit_expr(v, node));
    }

    fn visit_array(&mut self, node: &Array) {
        self.line(
            "Array",
            node.span(),
            format_args!(
                "len={} trailing_comma={}",
                node.len(),
                node.trailing_comma()
            ),
        );
        self.nested(|v| visit::visit_array(v, node));
    }

    fn visit_object(&mut self, node: &Object) {
        self.line("Object", node.span(), format_args!("len={}", node.len()));
        self.nested(|v| visit::visit_object(v, node));
    }

    fn visit_object_key(&mut self, node: &ObjectKey) {
        let kind = match node {
            ObjectKey::Ident(_) => "ObjectKey::Ident",
            ObjectKey::Expression(_) => "ObjectKey::Expression",
        };
        self.line(kind, node.span(), format_args!(""));
        self.nested(|v| visit::visit_object_key(v, node));
    }

    fn visit_object_value(&mut self, node: &ObjectValue) {
        // `ObjectValue` has no span of its own (its expression has).
        self.line(
            "ObjectValue",
            None,
            format_args!(
                "assignment={:?} terminator={:?}",
                node.assignment(),
                node.terminator()
            ),
        );
        self.nested(|v| visit::visit_object_value(v, node));
    }

    fn visit_parenthesis(&mut self, node: &Parenthesis) {
        self.line("Parenthesis", node.span(), format_args!(""));
        self.nested(|v| visit::visit_parenthesis(v, node));
    }

    fn visit_conditional(&mut self, node: &Conditional) {
        self.line("Conditional", node.span(), format_args!(""));
        self.nested(|v| visit::visit_conditional(v, node));
    }

    fn visit_unary_op(&mut self, node: &UnaryOp) {
        self.line("UnaryOp", node.span(), format_args!(""));
        self.nested(|v| visit::visit_unary_op(v, node));
    }

    fn visit_binary_op(&mut self, node: &BinaryOp) {
        self.line("BinaryOp", node.span(), format_args!(""));
        self.nested(|v| visit::visit_binary_op(v, node));
    }

    fn visit_traversal(&mut self, node: &Traversal) {
        // Not `visit::visit_traversal`: it hands each operator on as a bare
        // `&TraversalOperator`, which loses the span of its `Decorated` wrapper (the span of
        // `.name`, `[0]`, `.*`, `[*]`, `.0` including the punctuation).
        self.line(
            "Traversal",
            node.span(),
            format_args!("operators={}", node.operators.len()),
        );
        self.nested(|v| {
            v.visit_expr(&node.expr);
            for op in &node.operators {
                v.line("Operator", op.span(), format_args!(""));
                v.nested(|v| v.visit_traversal_operator(op));
            }
        });
    }

    fn visit_traversal_operator(&mut self, node: &TraversalOperator) {
        self.line(
            "TraversalOperator",
            node.span(),
            format_args!("{}", operator_kind(node)),
        );
        self.nested(|v| visit::visit_traversal_operator(v, node));
    }

    fn visit_func_call(&mut self, node: &FuncCall) {
        self.line("FuncCall", node.span(), format_args!(""));
        self.nested(|v| visit::visit_func_call(v, node));
    }

    fn visit_func_name(&mut self, node: &FuncName) {
        // `FuncName` has no span of its own (its identifiers have).
        self.line(
            "FuncName",
            None,
            format_args!("namespace={}", node.namespace.len()),
        );
        self.nested(|v| visit::visit_func_name(v, node));
    }

    fn visit_func_args(&mut self, node: &FuncArgs) {
        self.line(
            "FuncArgs",
            node.span(),
            format_args!(
                "len={} expand_final={} trailing_comma={}",
                node.len(),
                node.expand_final(),
                node.trailing_comma()
            ),
        );
        self.nested(|v| visit::visit_func_args(v, node));
    }

    fn visit_for_expr(&mut self, node: &ForExpr) {
        self.line(
            "ForExpr",
            node.span(),
            format_args!(
                "key_expr={} grouping={} cond={}",
                node.key_expr.is_some(),
                node.grouping,
                node.cond.is_some()
            ),
        );
        self.nested(|v| visit::visit_for_expr(v, node));
    }

    fn visit_for_intro(&mut self, node: &ForIntro) {
        self.line(
            "ForIntro",
            node.span(),
            format_args!("key_var={}", node.key_var.is_some()),
        );
        self.nested(|v| visit::visit_for_intro(v, node));
    }

    fn visit_for_cond(&mut self, node: &ForCond) {
        self.line("ForCond", node.span(), format_args!(""));
        self.nested(|v| visit::visit_for_cond(v, node));
    }

    fn visit_string_template(&mut self, node: &StringTemplate) {
        // A `StringTemplate`'s span is its inner `Template`'s (hcl-edit reaches the field
        // through `Deref`), so the `Template` line below repeats it.
        self.line("StringTemplate", node.span(), format_args!(""));
        self.nested(|v| {
            let template: &Template = node;
            v.visit_template(template);
        });
    }

    fn visit_heredoc_template(&mut self, node: &HeredocTemplate) {
        self.line(
            "HeredocTemplate",
            node.span(),
            format_args!(
                "delimiter={:?} indent={:?}",
                node.delimiter.as_str(),
                node.indent()
            ),
        );
        self.nested(|v| visit::visit_heredoc_template(v, node));
    }

    fn visit_template(&mut self, node: &Template) {
        self.line("Template", node.span(), format_args!("len={}", node.len()));
        self.nested(|v| visit::visit_template(v, node));
    }

    fn visit_element(&mut self, node: &Element) {
        // Every element kind has its own line (`Literal`, `Interpolation`, `IfDirective`,
        // `ForDirective`), with the same span as the element.
        visit::visit_element(self, node);
    }

    fn visit_interpolation(&mut self, node: &Interpolation) {
        self.line(
            "Interpolation",
            node.span(),
            format_args!("strip={:?}", node.strip),
        );
        self.nested(|v| visit::visit_interpolation(v, node));
    }

    fn visit_directive(&mut self, node: &Directive) {
        visit::visit_directive(self, node);
    }

    fn visit_if_directive(&mut self, node: &IfDirective) {
        self.line(
            "IfDirective",
            node.span(),
            format_args!("else={}", node.else_expr.is_some()),
        );
        self.nested(|v| visit::visit_if_directive(v, node));
    }

    fn visit_for_directive(&mut self, node: &ForDirective) {
        self.line("ForDirective", node.span(), format_args!(""));
        self.nested(|v| visit::visit_for_directive(v, node));
    }

    fn visit_if_template_expr(&mut self, node: &IfTemplateExpr) {
        // The `%{ if }`, `%{ else }`, `%{ endif }`, `%{ for }` and `%{ endfor }` parts have no
        // span in hcl-edit; their strip markers are what they hold.
        self.line(
            "IfTemplateExpr",
            None,
            format_args!("strip={:?}", node.strip),
        );
        self.nested(|v| visit::visit_if_template_expr(v, node));
    }

    fn visit_else_template_expr(&mut self, node: &ElseTemplateExpr) {
        self.line(
            "ElseTemplateExpr",
            None,
            format_args!("strip={:?}", node.strip),
        );
        self.nested(|v| visit::visit_else_template_expr(v, node));
    }

    fn visit_endif_template_expr(&mut self, node: &EndifTemplateExpr) {
        self.line(
            "EndifTemplateExpr",
            None,
            format_args!("strip={:?}", node.strip),
        );
    }

    fn visit_for_template_expr(&mut self, node: &ForTemplateExpr) {
        // Not `visit::visit_for_template_expr`: hcl-edit 0.10's skips `collection_expr`.
        self.line(
            "ForTemplateExpr",
            None,
            format_args!("key_var={} strip={:?}", node.key_var.is_some(), node.strip),
        );
        self.nested(|v| {
            if let Some(key_var) = &node.key_var {
                v.visit_ident(key_var);
            }
            v.visit_ident(&node.value_var);
            v.visit_expr(&node.collection_expr);
            v.visit_template(&node.template);
        });
    }

    fn visit_endfor_template_expr(&mut self, node: &EndforTemplateExpr) {
        self.line(
            "EndforTemplateExpr",
            None,
            format_args!("strip={:?}", node.strip),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::dump_body;

    fn dump(text: &str) -> Vec<String> {
        let body = hcl_edit::parser::parse_body(text).expect("test input parses");
        dump_body(&body)
    }

    #[test]
    fn dumps_a_small_file() {
        let text = "a = 1\nb \"x\" {\n  c = [true, -2.5]\n}\n";
        let expected = [
            "Body Some(0..35) len=2 prefer_oneline=false prefer_omit_trailing_newline=false",
            "  Attribute Some(0..5)",
            "    Ident Some(0..1) \"a\"",
            "    Expr Some(4..5) Number",
            "      Number Some(4..5) Number(1) u64",
            "  Block Some(6..34) labels=1",
            "    Ident Some(6..7) \"b\"",
            "    BlockLabel::String Some(8..11)",
            "      String Some(8..11) \"x\"",
            "    Body Some(13..33) len=1 prefer_oneline=false prefer_omit_trailing_newline=false",
            "      Attribute Some(16..32)",
            "        Ident Some(16..17) \"c\"",
            "        Expr Some(20..32) Array",
            "          Array Some(20..32) len=2 trailing_comma=false",
            "            Expr Some(21..25) Bool",
            "              Bool Some(21..25) true",
            "            Expr Some(27..31) Number",
            "              Number Some(27..31) Number(-2.5) f64",
        ];
        assert_eq!(dump(text), expected);
    }

    #[test]
    fn covers_templates_traversals_and_directives() {
        let text = concat!(
            "x = \"${a.b[0].*.c} %{ for k, v in m ~}${k}%{ endfor }\"\n",
            "y = <<-EOT\n  ${f(1, [2]...)}\n  EOT\n",
            "z = { \"k\" : 1, j = 2 }\n",
        );
        let lines = dump(text);
        for needle in [
            "Operator Some(8..10)",
            "TraversalOperator Some(9..10) GetAttr",
            "TraversalOperator Some(14..15) AttrSplat",
            "ForTemplateExpr None key_var=true strip=End",
            "Expr Some(34..35) Variable",
            "HeredocTemplate Some(59..89) delimiter=\"EOT\" indent=Some(2)",
            // hcl-edit leaves `FuncArgs` without a span.
            "FuncArgs None len=2 expand_final=true trailing_comma=false",
            "ObjectKey::Expression Some(96..99)",
            "ObjectValue None assignment=Colon terminator=Comma",
            "ObjectValue None assignment=Equals terminator=None",
        ] {
            assert!(
                lines.iter().any(|l| l.trim_start() == needle),
                "no line {needle:?} in:\n{}",
                lines.join("\n")
            );
        }
    }

    #[test]
    fn two_parses_of_the_same_text_dump_equal() {
        let text = "locals {\n  a = var.x ? [for i in l : i if i != \"\"] : {}\n}\n";
        assert_eq!(dump(text), dump(text));
    }

    #[test]
    fn a_different_span_or_value_changes_the_dump() {
        let base = dump("a = b.c\n");
        // Same tree shape and values, one space more: spans move.
        assert_ne!(base, dump("a =  b.c\n"));
        // Same spans, another value.
        assert_ne!(base, dump("a = b.d\n"));
        // Decor is not part of the dump: a comment after the attribute changes nothing.
        let with_comment = dump("a = b.c # note\n");
        assert_eq!(base[1..], with_comment[1..]);
    }
}
