//! Evaluating HCL expressions to [`Val`]s: literals, collections, templates, references
//! (through an [`Env`]), conditionals, simple operators, `for` expressions and the common
//! functions of [`super::funcs`]. Anything else is unknown, with the reason.

use super::funcs;
use super::value::Val;
use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::Element;
use hcl_edit::Number;
use std::collections::BTreeMap;

/// How deep references may chain (locals referring to locals ...) before giving up.
pub const MAX_DEPTH: usize = 32;

/// One step of a reference, with index expressions already evaluated.
#[derive(Debug, Clone)]
pub enum Op {
    /// `.name`
    Attr(String),
    /// `[value]` (or legacy `.0`)
    Index(Val),
    /// `.*`: applies the attribute steps that follow to every element.
    AttrSplat,
    /// `[*]`: applies every step that follows to every element.
    FullSplat,
}

/// What references and environment-specific functions resolve to.
pub trait Env {
    /// Resolves the reference rooted at the variable `root` (`local`, `var`, `each`, a
    /// resource type...), consuming as many leading `ops` as it needs. Returns the value and
    /// how many operators were consumed; the caller applies the rest.
    fn resolve(&self, root: &str, ops: &[Op], depth: usize) -> (Val, usize);

    /// A function this environment provides (`file`, `fileset`, Terragrunt's functions);
    /// `None` when it does not provide `name`.
    fn call(&self, name: &str, args: &[Val]) -> Option<Val>;
}

/// An environment with some names bound on top of another (`each`, `count`, iterators of
/// `dynamic` blocks and `for` expressions).
pub struct Bound<'a> {
    parent: &'a dyn Env,
    names: Vec<(String, Val)>,
}

impl<'a> Bound<'a> {
    /// Binds `names` over `parent`.
    pub fn new(parent: &'a dyn Env, names: Vec<(String, Val)>) -> Bound<'a> {
        Bound { parent, names }
    }
}

impl Env for Bound<'_> {
    fn resolve(&self, root: &str, ops: &[Op], depth: usize) -> (Val, usize) {
        match self.names.iter().rev().find(|(n, _)| n == root) {
            Some((_, v)) => (v.clone(), 0),
            None => self.parent.resolve(root, ops, depth),
        }
    }

    fn call(&self, name: &str, args: &[Val]) -> Option<Val> {
        self.parent.call(name, args)
    }
}

/// An environment with nothing in it (`.tfvars` files: literal values only).
pub struct Empty;

impl Env for Empty {
    fn resolve(&self, root: &str, _ops: &[Op], _depth: usize) -> (Val, usize) {
        (
            Val::unknown(format!("`{root}` cannot be referenced here")),
            0,
        )
    }

    fn call(&self, _name: &str, _args: &[Val]) -> Option<Val> {
        None
    }
}

/// Evaluates `expr` in `env`.
pub fn eval(env: &dyn Env, expr: &Expression, depth: usize) -> Val {
    if depth > MAX_DEPTH {
        return Val::unknown("reference chain too deep (or circular)");
    }
    match expr {
        Expression::Null(_) => Val::Null,
        Expression::Bool(b) => Val::Bool(*b.value()),
        Expression::Number(n) => Val::Number(*n.value()),
        Expression::String(s) => Val::String(s.value().clone()),
        Expression::Array(items) => Val::List(items.iter().map(|e| eval(env, e, depth)).collect()),
        Expression::Object(object) => {
            let mut map = BTreeMap::new();
            for (key, value) in object.iter() {
                let key = match key {
                    ObjectKey::Ident(ident) => ident.as_str().to_string(),
                    ObjectKey::Expression(e) => match eval(env, e, depth + 1).as_string() {
                        Ok(k) => k,
                        Err(why) => return Val::unknown(format!("an object key: {why}")),
                    },
                };
                map.insert(key, eval(env, value.expr(), depth + 1));
            }
            Val::Map(map)
        }
        Expression::StringTemplate(t) => render(env, t.iter(), depth),
        Expression::HeredocTemplate(h) => render(env, h.template.iter(), depth),
        Expression::Parenthesis(p) => eval(env, p.inner(), depth),
        Expression::Variable(v) => {
            let (val, _) = env.resolve(v.as_str(), &[], depth + 1);
            val
        }
        Expression::Traversal(t) => {
            let mut ops = Vec::with_capacity(t.operators.len());
            for op in &t.operators {
                ops.push(match op.value() {
                    TraversalOperator::GetAttr(name) => Op::Attr(name.as_str().to_string()),
                    TraversalOperator::Index(e) => Op::Index(eval(env, e, depth + 1)),
                    TraversalOperator::LegacyIndex(i) => Op::Index(Val::int(*i.value() as i64)),
                    TraversalOperator::AttrSplat(_) => Op::AttrSplat,
                    TraversalOperator::FullSplat(_) => Op::FullSplat,
                });
            }
            let (base, consumed) = match &t.expr {
                Expression::Variable(v) => env.resolve(v.as_str(), &ops, depth + 1),
                other => (eval(env, other, depth + 1), 0),
            };
            apply_ops(base, &ops[consumed.min(ops.len())..])
        }
        Expression::Conditional(c) => match truth(&eval(env, &c.cond_expr, depth + 1)) {
            Ok(true) => eval(env, &c.true_expr, depth + 1),
            Ok(false) => eval(env, &c.false_expr, depth + 1),
            Err(why) => Val::unknown(format!("a condition: {why}")),
        },
        Expression::FuncCall(call) => {
            if call.name.is_namespaced() {
                return Val::unknown("provider functions are not evaluated");
            }
            let name = call.name.name.as_str();
            let mut args: Vec<Val> = call.args.iter().map(|a| eval(env, a, depth + 1)).collect();
            if call.args.expand_final() {
                match args.pop() {
                    Some(Val::List(items)) => args.extend(items),
                    Some(Val::Unknown(why)) => return Val::Unknown(why),
                    _ => return Val::unknown(format!("`{name}(...)` expands a non-list")),
                }
            }
            env.call(name, &args)
                .unwrap_or_else(|| funcs::call(name, &args))
        }
        Expression::UnaryOp(op) => {
            let v = eval(env, &op.expr, depth + 1);
            match (op.operator.value(), v) {
                (_, Val::Unknown(why)) => Val::Unknown(why),
                (UnaryOperator::Not, v) => match truth(&v) {
                    Ok(b) => Val::Bool(!b),
                    Err(why) => Val::Unknown(why),
                },
                (UnaryOperator::Neg, v) => match number(&v) {
                    Some(n) => num(-n),
                    None => Val::unknown("negating a value that is not a number"),
                },
            }
        }
        Expression::BinaryOp(op) => binary(env, op, depth),
        Expression::ForExpr(f) => for_expr(env, f, depth),
    }
}

/// Applies traversal steps to a value.
pub fn apply_ops(mut val: Val, ops: &[Op]) -> Val {
    let mut i = 0;
    while i < ops.len() {
        match &ops[i] {
            Op::Attr(name) => val = val.get(name),
            Op::Index(index) => val = val.index(index),
            Op::AttrSplat | Op::FullSplat => {
                let full = matches!(ops[i], Op::FullSplat);
                let tail_len = if full {
                    ops.len() - i - 1
                } else {
                    ops[i + 1..]
                        .iter()
                        .take_while(|o| matches!(o, Op::Attr(_)))
                        .count()
                };
                let tail = &ops[i + 1..i + 1 + tail_len];
                val = match val {
                    Val::Unknown(why) => Val::Unknown(why),
                    Val::Null => Val::List(Vec::new()),
                    Val::List(items) => {
                        Val::List(items.into_iter().map(|v| apply_ops(v, tail)).collect())
                    }
                    single => Val::List(vec![apply_ops(single, tail)]),
                };
                i += tail_len;
            }
        }
        i += 1;
    }
    val
}

fn render<'e>(env: &dyn Env, elements: impl Iterator<Item = &'e Element>, depth: usize) -> Val {
    let mut out = String::new();
    for element in elements {
        match element {
            Element::Literal(l) => out.push_str(l.value()),
            Element::Interpolation(i) => match eval(env, &i.expr, depth + 1).as_string() {
                Ok(s) => out.push_str(&s),
                Err(why) => return Val::Unknown(why),
            },
            Element::Directive(_) => {
                return Val::unknown("template directives (%{ if }/%{ for }) are not evaluated")
            }
        }
    }
    Val::String(out)
}

/// The boolean a condition evaluates to (Terraform converts `"true"`/`"false"`).
pub fn truth(v: &Val) -> Result<bool, String> {
    match v {
        Val::Bool(b) => Ok(*b),
        Val::String(s) if s == "true" => Ok(true),
        Val::String(s) if s == "false" => Ok(false),
        Val::Unknown(why) => Err(why.clone()),
        _ => Err("a condition that is not a boolean".into()),
    }
}

fn number(v: &Val) -> Option<f64> {
    match v {
        Val::Number(n) => n.as_f64(),
        Val::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A number value, whole when it can be.
pub fn num(f: f64) -> Val {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Val::int(f as i64)
    } else {
        Number::from_f64(f)
            .map(Val::Number)
            .unwrap_or_else(|| Val::unknown("a number that is not finite"))
    }
}

fn binary(env: &dyn Env, op: &hcl_edit::expr::BinaryOp, depth: usize) -> Val {
    let operator = *op.operator.value();
    let lhs = eval(env, &op.lhs_expr, depth + 1);
    // Short-circuit the logical operators when one side decides.
    if matches!(operator, BinaryOperator::And | BinaryOperator::Or) {
        let rhs = eval(env, &op.rhs_expr, depth + 1);
        let decide = matches!(operator, BinaryOperator::Or);
        return match (truth(&lhs), truth(&rhs)) {
            (Ok(l), _) if l == decide => Val::Bool(decide),
            (_, Ok(r)) if r == decide => Val::Bool(decide),
            (Ok(_), Ok(_)) => Val::Bool(!decide),
            (Err(why), _) | (_, Err(why)) => Val::Unknown(why),
        };
    }
    let rhs = eval(env, &op.rhs_expr, depth + 1);
    if let Some(why) = lhs.first_unknown().or(rhs.first_unknown()) {
        return Val::unknown(why);
    }
    match operator {
        BinaryOperator::Eq => return Val::Bool(lhs == rhs),
        BinaryOperator::NotEq => return Val::Bool(lhs != rhs),
        _ => {}
    }
    let (Some(l), Some(r)) = (number(&lhs), number(&rhs)) else {
        return Val::unknown("arithmetic on values that are not numbers");
    };
    match operator {
        BinaryOperator::Less => Val::Bool(l < r),
        BinaryOperator::LessEq => Val::Bool(l <= r),
        BinaryOperator::Greater => Val::Bool(l > r),
        BinaryOperator::GreaterEq => Val::Bool(l >= r),
        BinaryOperator::Plus => num(l + r),
        BinaryOperator::Minus => num(l - r),
        BinaryOperator::Mul => num(l * r),
        BinaryOperator::Div if r != 0.0 => num(l / r),
        BinaryOperator::Mod if r != 0.0 => num(l % r),
        _ => Val::unknown("division by zero"),
    }
}

fn for_expr(env: &dyn Env, f: &ForExpr, depth: usize) -> Val {
    if f.grouping {
        return Val::unknown("grouping `for` expressions (`...`) are not evaluated");
    }
    let items: Vec<(Val, Val)> = match eval(env, &f.intro.collection_expr, depth + 1) {
        Val::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Val::int(i as i64), v))
            .collect(),
        Val::Map(map) => map.into_iter().map(|(k, v)| (Val::String(k), v)).collect(),
        Val::Unknown(why) => return Val::Unknown(why),
        _ => return Val::unknown("a `for` expression over a value that is not a collection"),
    };
    let mut list = Vec::new();
    let mut map = BTreeMap::new();
    for (key, value) in items {
        let mut names = vec![(f.intro.value_var.as_str().to_string(), value)];
        if let Some(k) = &f.intro.key_var {
            names.push((k.as_str().to_string(), key));
        }
        let scope = Bound::new(env, names);
        if let Some(cond) = &f.cond {
            match truth(&eval(&scope, &cond.expr, depth + 1)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(why) => return Val::Unknown(why),
            }
        }
        let value = eval(&scope, &f.value_expr, depth + 1);
        match &f.key_expr {
            Some(k) => match eval(&scope, k, depth + 1).as_string() {
                Ok(k) => {
                    map.insert(k, value);
                }
                Err(why) => return Val::Unknown(why),
            },
            None => list.push(value),
        }
    }
    if f.key_expr.is_some() {
        Val::Map(map)
    } else {
        Val::List(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(src: &str) -> Val {
        let expr = hcl_edit::parser::parse_expr(src).unwrap();
        eval(&Empty, &expr, 0)
    }

    #[test]
    fn literals_operators_and_for() {
        assert_eq!(ev(r#""a-${1 + 2}""#), Val::str("a-3"));
        assert_eq!(ev("true ? \"x\" : \"y\""), Val::str("x"));
        assert_eq!(ev("[1, 2][1]"), Val::int(2));
        assert_eq!(ev("{a = \"b\"}.a"), Val::str("b"));
        assert_eq!(
            ev("[for s in [\"a\", \"b\"] : upper(s)]"),
            Val::List(vec![Val::str("A"), Val::str("B")])
        );
        assert_eq!(
            ev("{for k, v in {a = 1} : v => k}"),
            Val::Map([("1".to_string(), Val::str("a"))].into())
        );
        assert_eq!(
            ev("[{n = \"a\"}, {n = \"b\"}][*].n"),
            Val::List(vec![Val::str("a"), Val::str("b")])
        );
        assert!(ev("local.x").is_unknown());
        assert!(ev("\"${local.x}-y\"").is_unknown());
        assert_eq!(ev("local.x == null || true"), Val::Bool(true));
        assert!(ev("\"%{ if true }x%{ endif }\"").is_unknown());
    }
}
