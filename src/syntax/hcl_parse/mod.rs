//! A fast hand-written HCL parser that builds hcl-edit's syntax tree.
//!
//! hcl-edit's own parser (winnow combinators) was 58% of an audit's instructions and made the
//! audit 3.5x slower than `rg` reading the same files before any rule ran (docs/benchmarks.md).
//! This parser reads the same grammar byte by byte, with no backtracking beyond a peek, and
//! builds the same tree with the same spans, so every rule, the inventory and `--fix` work
//! on it unchanged. It does not build decor (the whitespace and comments around nodes) or
//! formatting hints: infra-audit finds comments by byte offset from the text
//! (`syntax::comments`), never through decor.
//!
//! It declines (returns `None`) whatever it does not handle exactly like hcl-edit: any
//! syntax error, `for` expressions, template directives (`%{ if }`), namespaced function
//! calls, non-ASCII identifiers, deep nesting, and the odd corners listed where they are
//! declined. The caller then parses the file with hcl-edit's parser, which gives the error
//! message or the tree. Declining is always safe; accepting must give hcl-edit's tree, which
//! `tests/hcl_parser_diff.rs`, the `hcl_parse_diff` fuzz target and (in debug builds) every
//! parse in the test suite check (`syntax::hcl::parse_body`).

mod expr;
mod template;

use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use hcl_edit::{Decorated, Ident, SetSpan};
use std::collections::HashSet;

/// hcl-edit rejects nesting deeper than 64 levels; declining from here keeps well clear of it
/// (the depth is counted at the same places as hcl-edit counts it).
const MAX_DEPTH: usize = 48;

/// hcl-edit rejects more than 128 chained binary operators in one expression tree; the fast
/// parser declines above this many binary operators in one attribute value, which bounds the
/// depth hcl-edit checks.
const MAX_OPERATORS: usize = 100;

/// Parses `text` into hcl-edit's tree, or `None` when the fast parser does not handle it (the
/// caller then uses hcl-edit's parser).
pub fn parse_body(text: &str) -> Option<Body> {
    let mut p = Parser {
        src: text,
        b: text.as_bytes(),
        pos: 0,
        depth: 0,
        operators: 0,
        structures: Vec::new(),
    };
    let (structures, end, eof) = p.body_items()?;
    p.skip_ws()?;
    if p.pos != p.b.len() {
        return None;
    }
    let mut body = Body::from_vec_unchecked(structures);
    body.set_prefer_omit_trailing_newline(eof);
    body.set_span(0..end);
    Some(body)
}

/// The parser's position in one text.
struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Nesting depth, counted where hcl-edit's `nested` counts it.
    depth: usize,
    /// Binary operators in the current attribute value.
    operators: usize,
    /// The structures of the bodies being parsed, innermost body last: each body moves its
    /// own into a vector of the right size when it ends. (Growing every body's vector push
    /// by push was 4% of an audit, callgrind.)
    structures: Vec<Structure>,
}

/// Attribute keys seen in one body: hcl-edit rejects a body that defines a key twice.
/// The first keys are kept inline, so most bodies allocate nothing for them.
#[derive(Default)]
struct KeySet<'a> {
    small: [&'a str; 16],
    len: usize,
    large: Option<HashSet<&'a str>>,
}

impl<'a> KeySet<'a> {
    /// Records `key`; false when it was already there.
    fn insert(&mut self, key: &'a str) -> bool {
        if let Some(set) = &mut self.large {
            return set.insert(key);
        }
        if self.small[..self.len].contains(&key) {
            return false;
        }
        if self.len < self.small.len() {
            self.small[self.len] = key;
            self.len += 1;
        } else {
            let mut set: HashSet<&'a str> = self.small.iter().copied().collect();
            set.insert(key);
            self.large = Some(set);
        }
        true
    }
}

fn is_id_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_id_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.b.get(self.pos + offset).copied()
    }

    fn rest(&self) -> &'a [u8] {
        &self.b[self.pos..]
    }

    /// How many bytes from `skip` bytes past the position on satisfy `f`. One pass over a
    /// slice: advancing the position byte by byte through `peek` made whitespace alone 4%
    /// of an audit (callgrind).
    fn run_of(&self, f: impl Fn(u8) -> bool, skip: usize) -> usize {
        let rest = self.b.get(self.pos + skip..).unwrap_or_default();
        rest.iter().position(|&c| !f(c)).unwrap_or(rest.len())
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// Runs `f` one nesting level deeper, like hcl-edit's `nested`.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// An ASCII identifier at the position (`None` if there is none, or if it runs into a
    /// non-ASCII character, which hcl-edit's Unicode identifier rules would judge).
    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !is_id_start(self.peek()?) {
            return None;
        }
        self.pos += 1 + self.run_of(is_id_continue, 1);
        if self.peek().is_some_and(|c| c >= 0x80) {
            return None;
        }
        Some(&self.src[start..self.pos])
    }

    /// An identifier with its span, as hcl-edit's `ident`.
    fn decorated_ident(&mut self) -> Option<Decorated<Ident>> {
        let start = self.pos;
        let name = self.ident()?;
        let mut ident = Decorated::new(Ident::new_unchecked(name));
        ident.set_span(start..self.pos);
        Some(ident)
    }

    /// Whether an identifier may start here; `None` at a non-ASCII byte (declined).
    fn at_ident_start(&self) -> Option<bool> {
        match self.peek() {
            Some(c) if c >= 0x80 => None,
            Some(c) => Some(is_id_start(c)),
            None => Some(false),
        }
    }

    /// `\n` or `\r\n`.
    fn line_ending(&mut self) -> bool {
        match self.rest() {
            [b'\n', ..] => {
                self.pos += 1;
                true
            }
            [b'\r', b'\n', ..] => {
                self.pos += 2;
                true
            }
            _ => false,
        }
    }

    /// The rest of a `#` or `//` comment, up to (not including) its line ending. A lone `\r`
    /// is declined (winnow's `till_line_ending` is strict about it).
    fn skip_to_line_end(&mut self) -> Option<()> {
        let rest = self.rest();
        let n = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
        self.pos += n;
        match self.rest() {
            [b'\r', b'\n', ..] | [b'\n', ..] | [] => Some(()),
            _ => None,
        }
    }

    /// A `/* ... */` comment at the position; declines an unterminated one.
    fn skip_inline_comment(&mut self) -> Option<()> {
        let body = &self.b[self.pos + 2..];
        let end = memchr::memmem::find(body, b"*/")?;
        self.pos += 2 + end + 2;
        Some(())
    }

    /// hcl-edit's `line_comment`: `#...` or `//...`, if one starts here.
    fn line_comment(&mut self) -> Option<bool> {
        match self.rest() {
            [b'#', ..] | [b'/', b'/', ..] => {
                self.skip_to_line_end()?;
                Some(true)
            }
            _ => Some(false),
        }
    }

    /// hcl-edit's `ws`: spaces, tabs, line endings and comments of every kind.
    fn skip_ws(&mut self) -> Option<()> {
        loop {
            self.pos += self.run_of(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'), 0);
            match self.rest() {
                [b'#', ..] | [b'/', b'/', ..] => self.skip_to_line_end()?,
                [b'/', b'*', ..] => self.skip_inline_comment()?,
                _ => return Some(()),
            }
        }
    }

    /// hcl-edit's `sp`: spaces, tabs and `/* */` comments.
    fn skip_sp(&mut self) -> Option<()> {
        loop {
            self.pos += self.run_of(|c| matches!(c, b' ' | b'\t'), 0);
            match self.rest() {
                [b'/', b'*', ..] => self.skip_inline_comment()?,
                _ => return Some(()),
            }
        }
    }

    /// The structures of a body, each ended by a line ending or the end of input. Returns
    /// them, where the last one's line ending ends (the body's span) and whether the last
    /// one ended at the end of input.
    fn body_items(&mut self) -> Option<(Vec<Structure>, usize, bool)> {
        let base = self.structures.len();
        let ends = self.body_items_onto_stack();
        // Also on failure: the stack must not keep a failed body's structures.
        let structures: Vec<Structure> = self.structures.drain(base..).collect();
        ends.map(|(end, eof)| (structures, end, eof))
    }

    /// [`Self::body_items`], leaving the structures on `self.structures`.
    fn body_items_onto_stack(&mut self) -> Option<(usize, bool)> {
        let mut keys = KeySet::default();
        let mut end = self.pos;
        let mut eof = false;
        loop {
            let before = self.pos;
            self.skip_ws()?;
            if !self.at_ident_start()? {
                self.pos = before;
                break;
            }
            let start = self.pos;
            let mut structure = self.structure(&mut keys)?;
            structure.set_span(start..self.pos);
            self.structures.push(structure);
            self.skip_sp()?;
            self.line_comment()?;
            if !self.line_ending() {
                if self.pos != self.b.len() {
                    return None;
                }
                eof = true;
            }
            end = self.pos;
            if eof {
                break;
            }
        }
        Some((end, eof))
    }

    /// One attribute or block (without its span, which the caller sets).
    fn structure(&mut self, keys: &mut KeySet<'a>) -> Option<Structure> {
        let key_start = self.pos;
        let name = self.ident()?;
        let mut ident = Decorated::new(Ident::new_unchecked(name));
        ident.set_span(key_start..self.pos);
        self.skip_sp()?;
        match self.peek()? {
            b'=' => {
                if !keys.insert(name) {
                    return None;
                }
                let value = self.attribute_value()?;
                Some(Structure::Attribute(Attribute::new(ident, value)))
            }
            b'{' => {
                let mut block = Block::new(ident);
                block.body = self.block_body()?;
                Some(Structure::Block(block))
            }
            c if c == b'"' || is_id_start(c) => {
                let labels = self.block_labels()?;
                let mut block = Block::new(ident);
                block.labels = labels;
                block.body = self.block_body()?;
                Some(Structure::Block(block))
            }
            _ => None,
        }
    }

    /// `= expr` of an attribute.
    fn attribute_value(&mut self) -> Option<hcl_edit::expr::Expression> {
        self.expect(b'=')?;
        self.skip_sp()?;
        self.operators = 0;
        self.root_expr()
    }

    /// Block labels: quoted strings (no templates) or identifiers.
    fn block_labels(&mut self) -> Option<Vec<BlockLabel>> {
        let mut labels = Vec::new();
        loop {
            let start = self.pos;
            let label = match self.peek() {
                Some(b'"') => {
                    let mut s = Decorated::new(self.plain_string()?);
                    s.set_span(start..self.pos);
                    BlockLabel::String(s)
                }
                Some(c) if c >= 0x80 => return None,
                Some(c) if is_id_start(c) => BlockLabel::Ident(self.decorated_ident()?),
                _ => return Some(labels),
            };
            labels.push(label);
            self.skip_sp()?;
        }
    }

    /// `{ ... }`: a multi-line body, or a one-line body holding at most one attribute.
    fn block_body(&mut self) -> Option<Body> {
        self.nested(|p| {
            p.expect(b'{')?;
            let open = p.pos;
            p.skip_sp()?;
            p.line_comment()?;
            let newline_at = p.pos;
            if p.line_ending() {
                let (structures, _, _) = p.body_items()?;
                p.skip_ws()?;
                let mut body = Body::from_vec_unchecked(structures);
                body.set_span(newline_at..p.pos);
                p.expect(b'}')?;
                return Some(body);
            }
            p.pos = open;
            p.skip_sp()?;
            let mut body = Body::new();
            body.set_prefer_oneline(true);
            if p.at_ident_start()? {
                let start = p.pos;
                let key = p.decorated_ident()?;
                p.skip_sp()?;
                let value = p.attribute_value()?;
                let mut attr = Attribute::new(key, value);
                attr.set_span(start..p.pos);
                body.push(attr);
                p.skip_sp()?;
            }
            p.expect(b'}')?;
            Some(body)
        })
    }
}

#[cfg(test)]
mod tests;
