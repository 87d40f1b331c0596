//! Expressions, following hcl-edit's `parser/expr.rs` decision by decision.
//!
//! hcl-edit keeps one piece of state per expression: whether newlines may appear between its
//! parts. It is switched on by the array and function-call terms of that expression (and
//! then holds for the rest of it), and copied, not shared, into sub-expressions. `nl` below
//! is that flag.

use super::{is_id_start, Parser, MAX_OPERATORS};
use hcl_edit::expr::{
    Array, BinaryOp, BinaryOperator, Conditional, Expression, ForCond, ForExpr, ForIntro, FuncArgs,
    FuncCall, FuncName, Object, ObjectKey, ObjectValue, ObjectValueAssignment,
    ObjectValueTerminator, Parenthesis, Splat, Traversal, TraversalOperator, UnaryOp,
    UnaryOperator,
};
use hcl_edit::{Decorated, Formatted, Ident, Number, SetSpan, Span, Spanned};

impl<'a> Parser<'a> {
    /// Whitespace between the parts of an expression: with newlines or without.
    fn ws_or_sp(&mut self, nl: bool) -> Option<()> {
        if nl {
            self.skip_ws()
        } else {
            self.skip_sp()
        }
    }

    /// An attribute value: an expression that does not count towards the nesting depth.
    pub(super) fn root_expr(&mut self) -> Option<Expression> {
        let mut nl = false;
        self.expr_inner(&mut nl)
    }

    /// hcl-edit's `expr`: a nested expression with its own state.
    pub(super) fn expr(&mut self) -> Option<Expression> {
        self.nested(|p| p.expr_inner(&mut false))
    }

    /// hcl-edit's `multiline_expr`: nested, newlines allowed.
    pub(super) fn multiline_expr(&mut self) -> Option<Expression> {
        self.nested(|p| p.expr_inner(&mut true))
    }

    /// hcl-edit's `expr_with_state`: nested, with a copy of the enclosing state.
    fn expr_with_state(&mut self, nl: bool) -> Option<Expression> {
        let mut nl = nl;
        self.nested(|p| p.expr_inner(&mut nl))
    }

    /// A term, then binary operators and a conditional, if they follow.
    fn expr_inner(&mut self, nl: &mut bool) -> Option<Expression> {
        let start = self.pos;
        let mut expr = self.expr_term(nl)?;
        loop {
            let before = self.pos;
            self.ws_or_sp(*nl)?;
            let rest = self.rest();
            if rest.len() < 2 {
                self.pos = before;
                return Some(expr);
            }
            let (c, d) = (rest[0], rest[1]);
            if c == b'?' {
                let mut cond = self.conditional(expr, *nl)?;
                cond.set_span(start..self.pos);
                return Some(cond);
            }
            let comment = c == b'/' && (d == b'/' || d == b'*');
            if !comment && ((c == b'=' && d == b'=') || b"!<>+-*/%&|".contains(&c)) {
                self.pos = before;
                expr = self.binary_ops(expr, *nl)?;
                expr.set_span(start..self.pos);
            } else {
                self.pos = before;
                return Some(expr);
            }
        }
    }

    /// `? true_expr : false_expr` after the condition.
    fn conditional(&mut self, cond: Expression, nl: bool) -> Option<Expression> {
        self.expect(b'?')?;
        self.ws_or_sp(nl)?;
        let true_expr = self.expr_with_state(nl)?;
        self.ws_or_sp(nl)?;
        self.expect(b':')?;
        self.ws_or_sp(nl)?;
        let false_expr = self.expr_with_state(nl)?;
        Some(Expression::Conditional(Box::new(Conditional::new(
            cond, true_expr, false_expr,
        ))))
    }

    /// A chain of binary operators and terms, folded by precedence (all left-associative).
    fn binary_ops(&mut self, lhs: Expression, nl: bool) -> Option<Expression> {
        let mut chain = Vec::new();
        loop {
            let before = self.pos;
            self.ws_or_sp(nl)?;
            let op_start = self.pos;
            let Some(op) = self.binary_operator() else {
                if chain.is_empty() {
                    return None;
                }
                self.pos = before;
                break;
            };
            let mut op = Decorated::new(op);
            op.set_span(op_start..self.pos);
            self.ws_or_sp(nl)?;
            let mut term_nl = nl;
            let term = self.expr_term(&mut term_nl)?;
            self.operators += 1;
            if self.operators > MAX_OPERATORS {
                return None;
            }
            chain.push((op, term));
        }
        let mut chain = chain.into_iter().peekable();
        Some(fold_binary(lhs, &mut chain, 0))
    }

    /// hcl-edit's `binary_operator`; `None` where it would backtrack.
    fn binary_operator(&mut self) -> Option<BinaryOperator> {
        let c = self.peek()?;
        let next = self.peek_at(1);
        let (op, len) = match (c, next) {
            (b'=', Some(b'=')) => (BinaryOperator::Eq, 2),
            (b'!', Some(b'=')) => (BinaryOperator::NotEq, 2),
            (b'<', Some(b'=')) => (BinaryOperator::LessEq, 2),
            (b'<', _) => (BinaryOperator::Less, 1),
            (b'>', Some(b'=')) => (BinaryOperator::GreaterEq, 2),
            (b'>', _) => (BinaryOperator::Greater, 1),
            (b'+', _) => (BinaryOperator::Plus, 1),
            (b'-', _) => (BinaryOperator::Minus, 1),
            (b'*', _) => (BinaryOperator::Mul, 1),
            (b'/', Some(b'/' | b'*')) => return None,
            (b'/', _) => (BinaryOperator::Div, 1),
            (b'%', _) => (BinaryOperator::Mod, 1),
            (b'&', Some(b'&')) => (BinaryOperator::And, 2),
            (b'|', Some(b'|')) => (BinaryOperator::Or, 2),
            _ => return None,
        };
        self.pos += len;
        Some(op)
    }

    /// hcl-edit's `expr_term_inner`: one term, then any traversal.
    fn expr_term(&mut self, nl: &mut bool) -> Option<Expression> {
        let start = self.pos;
        let mut expr = match self.peek()? {
            b'"' => self.stringlike()?,
            b'[' => self.array(nl)?,
            b'{' => self.object(nl)?,
            b'0'..=b'9' => Expression::Number(Formatted::new(self.number()?)),
            b'<' => self.heredoc()?,
            b'-' => match self.neg_number() {
                Some(n) => n,
                None => {
                    self.pos = start;
                    self.unary_op(*nl)?
                }
            },
            b'!' => self.unary_op(*nl)?,
            b'(' => self.parenthesis()?,
            c if is_id_start(c) => self.identlike(nl)?,
            _ => return None,
        };
        expr.set_span(start..self.pos);

        let before = self.pos;
        self.ws_or_sp(*nl)?;
        let rest = self.rest();
        if rest.len() >= 2 && rest[..2] != *b".." && (rest[0] == b'.' || rest[0] == b'[') {
            expr = self.traversal(expr, *nl)?;
            expr.set_span(start..self.pos);
        } else {
            self.pos = before;
        }
        Some(expr)
    }

    /// Traversal operators after a term (at least one).
    fn traversal(&mut self, expr: Expression, nl: bool) -> Option<Expression> {
        let mut operators = Vec::new();
        loop {
            let before = self.pos;
            self.ws_or_sp(nl)?;
            if self.rest().starts_with(b"..") {
                self.pos = before;
                break;
            }
            let op_start = self.pos;
            let op = match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    self.skip_ws()?;
                    self.dot_operator()?
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.skip_ws()?;
                    let op = if self.peek() == Some(b'*') {
                        let mut splat = Decorated::new(Splat);
                        splat.set_span(self.pos..self.pos + 1);
                        self.pos += 1;
                        TraversalOperator::FullSplat(splat)
                    } else {
                        TraversalOperator::Index(self.multiline_expr()?)
                    };
                    self.skip_ws()?;
                    self.expect(b']')?;
                    op
                }
                _ => {
                    self.pos = before;
                    break;
                }
            };
            let mut op = Decorated::new(op);
            op.set_span(op_start..self.pos);
            operators.push(op);
        }
        if operators.is_empty() {
            return None;
        }
        Some(Expression::Traversal(Box::new(Traversal::new(
            expr, operators,
        ))))
    }

    /// What follows a `.`: `*`, a legacy index or an attribute name.
    fn dot_operator(&mut self) -> Option<TraversalOperator> {
        let start = self.pos;
        match self.peek()? {
            b'*' => {
                self.pos += 1;
                let mut splat = Decorated::new(Splat);
                splat.set_span(start..self.pos);
                Some(TraversalOperator::AttrSplat(splat))
            }
            b'0'..=b'9' => {
                let digits = self.digits();
                // Leading zeros and overflow: winnow's `dec_uint` corners, declined.
                if digits.len() > 1 && digits.starts_with('0') {
                    return None;
                }
                let index: u64 = digits.parse().ok()?;
                let mut index = Decorated::new(index);
                index.set_span(start..self.pos);
                Some(TraversalOperator::LegacyIndex(index))
            }
            c if is_id_start(c) => Some(TraversalOperator::GetAttr(self.decorated_ident()?)),
            _ => None,
        }
    }

    /// `[0-9]+` at the position.
    fn digits(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// hcl-edit's `number`: a float (fraction and/or exponent), else an integer, else (too
    /// big for a u64) the digits as a float.
    fn number(&mut self) -> Option<Number> {
        let start = self.pos;
        let int_digits = self.digits();
        let mut is_float = false;
        if self.peek() == Some(b'.') && matches!(self.peek_at(1), Some(b'0'..=b'9')) {
            self.pos += 1;
            self.digits();
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            let mark = self.pos;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits().is_empty() {
                // hcl-edit cuts here with an error ("digit").
                self.pos = mark;
                return None;
            }
            is_float = true;
        }
        if is_float {
            let value: f64 = self.src[start..self.pos].parse().ok()?;
            return Number::from_f64(value);
        }
        match int_digits.parse::<u64>() {
            Ok(n) => Some(Number::from(n)),
            Err(_) => Number::from_f64(int_digits.parse::<f64>().ok()?),
        }
    }

    /// `-` and a number (spaces and `/* */` between them allowed).
    fn neg_number(&mut self) -> Option<Expression> {
        self.expect(b'-')?;
        self.skip_sp()?;
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return None;
        }
        let n = self.number()?;
        Some(Expression::Number(Formatted::new(-n)))
    }

    /// `-term` or `!term`.
    fn unary_op(&mut self, nl: bool) -> Option<Expression> {
        let start = self.pos;
        let op = match self.peek()? {
            b'-' => UnaryOperator::Neg,
            b'!' => UnaryOperator::Not,
            _ => return None,
        };
        self.pos += 1;
        let mut op = Spanned::new(op);
        op.set_span(start..self.pos);
        self.skip_sp()?;
        let operand = self.nested(|p| p.expr_term(&mut nl.clone()))?;
        Some(Expression::UnaryOp(Box::new(UnaryOp::new(op, operand))))
    }

    /// `( expr )`.
    fn parenthesis(&mut self) -> Option<Expression> {
        self.expect(b'(')?;
        self.skip_ws()?;
        let inner = self.multiline_expr()?;
        self.skip_ws()?;
        self.expect(b')')?;
        Some(Expression::Parenthesis(Box::new(Parenthesis::new(inner))))
    }

    /// Whether a `for` expression starts after the `[` or `{`: hcl-edit peeks for `for` and
    /// one of space, tab, `#`, `/` or `\n`. `None` (declined) for `for` and `\r`, which
    /// hcl-edit reads as an item named `for`.
    fn at_for_expr(&mut self) -> Option<bool> {
        let before = self.pos;
        self.skip_ws()?;
        let rest = self.rest();
        let found = match (rest.starts_with(b"for"), rest.get(3)) {
            (true, Some(b' ' | b'\t' | b'#' | b'/' | b'\n')) => Some(true),
            (true, Some(b'\r')) => None,
            _ => Some(false),
        };
        self.pos = before;
        found
    }

    /// `for k, v in collection :` with its span (`for` through `:`).
    fn for_intro(&mut self) -> Option<ForIntro> {
        self.skip_ws()?;
        let start = self.pos;
        if !self.rest().starts_with(b"for") {
            return None;
        }
        self.pos += 3;
        self.skip_ws()?;
        let first = self.decorated_ident()?;
        self.skip_ws()?;
        let second = if self.eat(b',') {
            self.skip_ws()?;
            let second = self.decorated_ident()?;
            self.skip_ws()?;
            Some(second)
        } else {
            None
        };
        if !self.rest().starts_with(b"in") {
            return None;
        }
        self.pos += 2;
        self.skip_ws()?;
        let collection = self.expr()?;
        self.skip_ws()?;
        self.expect(b':')?;
        let mut intro = match second {
            Some(value) => {
                let mut intro = ForIntro::new(value, collection);
                intro.key_var = Some(first);
                intro
            }
            None => ForIntro::new(first, collection),
        };
        intro.set_span(start..self.pos);
        Some(intro)
    }

    /// An optional `if cond` of a `for` expression. Its span runs from `if` through the
    /// whitespace after the condition, as hcl-edit's does; like hcl-edit, `if` needs no word
    /// boundary after it.
    fn for_cond(&mut self, nl: bool) -> Option<Option<ForCond>> {
        let before = self.pos;
        self.skip_ws()?;
        if !self.rest().starts_with(b"if") {
            self.pos = before;
            return Some(None);
        }
        let start = self.pos;
        self.pos += 2;
        self.skip_ws()?;
        let expr = self.expr_with_state(nl)?;
        self.skip_ws()?;
        let mut cond = ForCond::new(expr);
        cond.set_span(start..self.pos);
        Some(Some(cond))
    }

    /// `[for ... : value if cond]` after the `[`.
    fn for_list_expr(&mut self) -> Option<Expression> {
        let intro = self.for_intro()?;
        self.skip_ws()?;
        let value = self.expr_with_state(true)?;
        self.skip_ws()?;
        let mut expr = ForExpr::new(intro, value);
        expr.cond = self.for_cond(true)?;
        Some(Expression::ForExpr(Box::new(expr)))
    }

    /// `{for ... : key => value... if cond}` after the `{`.
    fn for_object_expr(&mut self, nl: &mut bool) -> Option<Expression> {
        *nl = true;
        let intro = self.for_intro()?;
        self.skip_ws()?;
        let key = self.expr()?;
        self.skip_ws()?;
        if !self.rest().starts_with(b"=>") {
            return None;
        }
        self.pos += 2;
        self.skip_ws()?;
        let value = self.expr()?;
        self.skip_ws()?;
        let grouping = self.rest().starts_with(b"...");
        if grouping {
            self.pos += 3;
            self.skip_ws()?;
        }
        let mut expr = ForExpr::new(intro, value);
        expr.key_expr = Some(key);
        expr.grouping = grouping;
        expr.cond = self.for_cond(true)?;
        Some(Expression::ForExpr(Box::new(expr)))
    }

    /// `[ items ]`.
    fn array(&mut self, nl: &mut bool) -> Option<Expression> {
        *nl = true;
        self.expect(b'[')?;
        if self.at_for_expr()? {
            let expr = self.for_list_expr()?;
            self.expect(b']')?;
            return Some(expr);
        }
        let mut values = Vec::new();
        let before = self.pos;
        self.skip_ws()?;
        if self.peek() == Some(b']') {
            self.pos = before;
        } else {
            values.push(self.expr_with_state(true)?);
            self.skip_ws()?;
            while self.peek() == Some(b',') {
                let comma = self.pos;
                self.pos += 1;
                self.skip_ws()?;
                if self.peek() == Some(b']') {
                    self.pos = comma;
                    break;
                }
                values.push(self.expr_with_state(true)?);
                self.skip_ws()?;
            }
        }
        let trailing_comma = self.eat(b',');
        self.skip_ws()?;
        self.expect(b']')?;
        let mut array = Array::from(values);
        array.set_trailing_comma(trailing_comma);
        Some(Expression::Array(array))
    }

    /// `{ key = value ... }`.
    fn object(&mut self, nl: &mut bool) -> Option<Expression> {
        self.expect(b'{')?;
        if self.at_for_expr()? {
            let expr = self.for_object_expr(nl)?;
            self.expect(b'}')?;
            return Some(expr);
        }
        let mut object = Object::new();
        loop {
            self.skip_ws()?;
            if self.peek()? == b'}' {
                break;
            }
            let key = self.object_key()?;
            if object.contains_key(&key) {
                return None;
            }
            let assignment = match self.peek()? {
                b'=' => ObjectValueAssignment::Equals,
                b':' => ObjectValueAssignment::Colon,
                _ => return None,
            };
            self.pos += 1;
            self.skip_sp()?;
            let mut value = ObjectValue::new(self.expr()?);
            value.set_assignment(assignment);
            self.skip_sp()?;
            let terminator = match self.peek()? {
                b'}' => ObjectValueTerminator::None,
                b'\r' | b'\n' => {
                    if !self.line_ending() {
                        return None;
                    }
                    ObjectValueTerminator::Newline
                }
                b',' => {
                    self.pos += 1;
                    ObjectValueTerminator::Comma
                }
                b'#' | b'/' => {
                    if !self.line_comment()? || !self.line_ending() {
                        return None;
                    }
                    ObjectValueTerminator::Newline
                }
                _ => return None,
            };
            value.set_terminator(terminator);
            object.insert(key, value);
            if terminator == ObjectValueTerminator::None {
                break;
            }
        }
        self.expect(b'}')?;
        Some(Expression::Object(object))
    }

    /// An object key: any expression; a bare variable becomes an identifier key. (The
    /// caller's duplicate check compares keys without decor: where hcl-edit's comparison also
    /// looks at formatting, this declines more than hcl-edit rejects, never less.)
    fn object_key(&mut self) -> Option<ObjectKey> {
        let start = self.pos;
        let expr = self.expr()?;
        let end = self.pos;
        self.skip_sp()?;
        let mut key = match expr {
            Expression::Variable(var) => ObjectKey::Ident(Decorated::new(var.into_value())),
            other => ObjectKey::Expression(other),
        };
        key.set_span(start..end);
        Some(key)
    }

    /// An identifier: a function call, `null`, `true`, `false` or a variable.
    fn identlike(&mut self, nl: &mut bool) -> Option<Expression> {
        let start = self.pos;
        let name = self.ident()?;
        let end = self.pos;
        self.ws_or_sp(*nl)?;
        let rest = self.rest();
        if rest.len() >= 2 && rest.starts_with(b"::") {
            // Namespaced functions (`provider::p::f()`): declined.
            return None;
        }
        if rest.len() >= 2 && rest[0] == b'(' {
            let mut ident = Decorated::new(Ident::new_unchecked(name));
            ident.set_span(start..end);
            let args = self.func_args(nl)?;
            return Some(Expression::FuncCall(Box::new(FuncCall::new(
                FuncName::from(ident),
                args,
            ))));
        }
        self.pos = end;
        Some(match name {
            "null" => Expression::null(),
            "true" => Expression::from(true),
            "false" => Expression::from(false),
            var => Expression::from(Ident::new_unchecked(var)),
        })
    }

    /// `( args )` of a function call, with a trailing comma or a final `...`.
    fn func_args(&mut self, nl: &mut bool) -> Option<FuncArgs> {
        *nl = true;
        self.expect(b'(')?;
        let starts_arg = |p: &Self| !matches!(p.peek(), None | Some(b',' | b'.' | b')'));
        let mut args = Vec::new();
        let mut trailing_comma = false;
        let mut expand_final = false;
        let before = self.pos;
        self.skip_ws()?;
        if !starts_arg(self) {
            self.pos = before;
        } else {
            args.push(self.expr_with_state(true)?);
            self.skip_ws()?;
            while self.peek() == Some(b',') {
                let comma = self.pos;
                self.pos += 1;
                self.skip_ws()?;
                if !starts_arg(self) {
                    self.pos = comma;
                    break;
                }
                args.push(self.expr_with_state(true)?);
                self.skip_ws()?;
            }
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    trailing_comma = true;
                }
                Some(b'.') => {
                    if !self.rest().starts_with(b"...") {
                        return None;
                    }
                    self.pos += 3;
                    expand_final = true;
                }
                _ => {}
            }
        }
        self.skip_ws()?;
        self.expect(b')')?;
        let mut args = FuncArgs::from(args);
        args.set_trailing_comma(trailing_comma);
        args.set_expand_final(expand_final);
        Some(args)
    }
}

/// Folds `lhs (op term)*` into binary operations by precedence, left-associative, with each
/// operation spanning its operands (what hcl-edit's Pratt parser builds).
fn fold_binary(
    mut lhs: Expression,
    chain: &mut std::iter::Peekable<std::vec::IntoIter<(Decorated<BinaryOperator>, Expression)>>,
    min_precedence: u8,
) -> Expression {
    while let Some((op, _)) = chain.peek() {
        let precedence = op.value().precedence();
        if precedence < min_precedence {
            break;
        }
        let (op, mut rhs) = chain.next().expect("peeked");
        while let Some((next, _)) = chain.peek() {
            if next.value().precedence() > precedence {
                rhs = fold_binary(rhs, chain, precedence + 1);
            } else {
                break;
            }
        }
        let span = match (lhs.span(), rhs.span()) {
            (Some(l), Some(r)) => Some(l.start..r.end),
            _ => None,
        };
        let mut expr = Expression::BinaryOp(Box::new(BinaryOp::new(lhs, op, rhs)));
        if let Some(span) = span {
            expr.set_span(span);
        }
        lhs = expr;
    }
    lhs
}
