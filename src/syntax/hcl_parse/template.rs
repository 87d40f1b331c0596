//! Quoted strings, string templates and heredocs, following hcl-edit's `parser/string.rs` and
//! `parser/template.rs`. Template directives (`%{ if }`, `%{ for }`) are declined.

use super::{is_id_continue, Parser};
use hcl_edit::expr::Expression;
use hcl_edit::template::{
    Element, HeredocTemplate, Interpolation, StringTemplate, Strip, Template,
};
use hcl_edit::{Decorated, Ident, SetSpan, Span, Spanned};

/// What ended a run of literal text in a template.
enum LiteralEnd {
    /// The closing quote of a quoted string, or the line ending before a heredoc's closing
    /// delimiter.
    Close,
    /// `${`.
    Interpolation,
    /// The end of the input (heredocs only).
    EndOfInput,
}

impl<'a> Parser<'a> {
    /// A quoted string without interpolation (block labels, and object keys through
    /// [`Parser::stringlike`]). Declines templates.
    pub(super) fn plain_string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let mut text = String::new();
        match self.quoted_literal(&mut text)? {
            LiteralEnd::Close => {
                self.pos += 1;
                Some(text)
            }
            _ => None,
        }
    }

    /// `"..."`: a plain string, or a string template when it holds `${...}`.
    pub(super) fn stringlike(&mut self) -> Option<Expression> {
        self.expect(b'"')?;
        let mut elements = Vec::new();
        let mut interpolated = false;
        loop {
            let start = self.pos;
            let mut text = String::new();
            let end = self.quoted_literal(&mut text)?;
            if !interpolated && matches!(end, LiteralEnd::Close) {
                // No interpolation: hcl-edit's `string` parser, a value without elements.
                self.pos += 1;
                return Some(Expression::String(Decorated::new(text)));
            }
            if self.pos > start {
                let mut literal = Spanned::new(text);
                literal.set_span(start..self.pos);
                elements.push(Element::Literal(literal));
            }
            match end {
                LiteralEnd::Close => break,
                _ => {
                    interpolated = true;
                    elements.push(self.interpolation()?);
                }
            }
        }
        self.pos += 1;
        Some(Expression::StringTemplate(StringTemplate::from(elements)))
    }

    /// Literal text of a quoted string up to its closing quote or `${` (not consumed),
    /// unescaped into `out`. Declines a raw newline (hcl-edit accepts one; declining is
    /// safe), an unknown escape, a directive and an unterminated string.
    fn quoted_literal(&mut self, out: &mut String) -> Option<LiteralEnd> {
        loop {
            let start = self.pos;
            self.pos += self.run_of(|c| !matches!(c, b'"' | b'\\' | b'\n' | b'$' | b'%'), 0);
            out.push_str(&self.src[start..self.pos]);
            match self.rest() {
                [b'"', ..] => return Some(LiteralEnd::Close),
                [b'\\', ..] => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                [b'$', b'$', b'{', ..] => {
                    out.push_str("${");
                    self.pos += 3;
                }
                [b'%', b'%', b'{', ..] => {
                    out.push_str("%{");
                    self.pos += 3;
                }
                [b'$', b'{', ..] => return Some(LiteralEnd::Interpolation),
                [b'%', b'{', ..] => return None,
                [c @ (b'$' | b'%'), ..] => {
                    out.push(char::from(*c));
                    self.pos += 1;
                }
                _ => return None,
            }
        }
    }

    /// The character of an escape sequence after its backslash.
    fn escape(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(match c {
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'\\' => '\\',
            b'"' => '"',
            b'u' => self.hex_escape(4)?,
            b'U' => self.hex_escape(8)?,
            _ => return None,
        })
    }

    /// Exactly `digits` hex digits naming a Unicode scalar value.
    fn hex_escape(&mut self, digits: usize) -> Option<char> {
        let hex = self.b.get(self.pos..self.pos + digits)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let value = u32::from_str_radix(&self.src[self.pos..self.pos + digits], 16).ok()?;
        self.pos += digits;
        char::from_u32(value)
    }

    /// `${ expr }` with its strip markers, as a template element.
    fn interpolation(&mut self) -> Option<Element> {
        let start = self.pos;
        self.pos += 2;
        let strip_start = self.eat(b'~');
        self.skip_ws()?;
        let expr = self.multiline_expr()?;
        self.skip_ws()?;
        let strip_end = self.eat(b'~');
        self.expect(b'}')?;
        let mut interpolation = Interpolation::new(expr);
        interpolation.strip = Strip::from((strip_start, strip_end));
        interpolation.set_span(start..self.pos);
        Some(Element::Interpolation(interpolation))
    }

    /// `<<DELIM` or `<<-DELIM`, the template lines, and the closing delimiter.
    pub(super) fn heredoc(&mut self) -> Option<Expression> {
        if !self.rest().starts_with(b"<<") {
            return None;
        }
        self.pos += 2;
        let indented = self.eat(b'-');
        let delim = self.ident()?;
        if !self.line_ending() {
            return None;
        }
        let template_start = self.pos;
        let template = match self.heredoc_elements(delim)? {
            Some(template) => template,
            None => {
                // hcl-edit's `opt(...)`: no delimiter line ends the text, so the template is
                // empty and the delimiter must follow at once.
                self.pos = template_start;
                let mut template = Template::default();
                template.set_span(template_start..template_start);
                template
            }
        };
        while let Some(b' ' | b'\t') = self.peek() {
            self.pos += 1;
        }
        if !self.rest().starts_with(delim.as_bytes()) {
            return None;
        }
        self.pos += delim.len();
        match self.peek() {
            Some(c) if c >= 0x80 || is_id_continue(c) => return None,
            _ => {}
        }
        let mut heredoc = HeredocTemplate::new(Ident::new_unchecked(delim), template);
        if indented {
            heredoc.dedent();
        }
        Some(Expression::HeredocTemplate(Box::new(heredoc)))
    }

    /// The template of a heredoc: elements up to the line ending before the closing
    /// delimiter, that line ending included in the last literal. `Some(None)` when the text
    /// runs to the end of input without a delimiter line (hcl-edit then takes an empty
    /// template); `None` on what is declined.
    fn heredoc_elements(&mut self, delim: &str) -> Option<Option<Template>> {
        let start = self.pos;
        let mut elements: Vec<Element> = Vec::new();
        loop {
            let lit_start = self.pos;
            let mut text = String::new();
            let end = self.heredoc_literal(delim, &mut text)?;
            if self.pos > lit_start {
                let mut literal = Spanned::new(text);
                literal.set_span(lit_start..self.pos);
                elements.push(Element::Literal(literal));
            }
            match end {
                LiteralEnd::Close => break,
                LiteralEnd::Interpolation => elements.push(self.interpolation()?),
                LiteralEnd::EndOfInput => return Some(None),
            }
        }
        let newline_start = self.pos;
        if !self.line_ending() {
            return None;
        }
        let newline = &self.src[newline_start..self.pos];
        match elements.last_mut() {
            Some(Element::Literal(literal)) => {
                let span_start = literal.span().map_or(newline_start, |s| s.start);
                literal.push_str(newline);
                literal.set_span(span_start..self.pos);
            }
            _ => {
                let mut literal = Spanned::new(newline.to_string());
                literal.set_span(newline_start..self.pos);
                elements.push(Element::Literal(literal));
            }
        }
        let mut template = Template::from(elements);
        template.set_span(start..self.pos);
        Some(Some(template))
    }

    /// Heredoc text up to `${`, the line ending before the closing delimiter or the end of
    /// input (none consumed), with `$${` and `%%{` unescaped. `None` at a directive.
    fn heredoc_literal(&mut self, delim: &str, out: &mut String) -> Option<LiteralEnd> {
        loop {
            let rest = self.rest();
            let Some(n) = memchr::memchr3(b'\n', b'$', b'%', rest) else {
                out.push_str(&self.src[self.pos..]);
                self.pos = self.b.len();
                return Some(LiteralEnd::EndOfInput);
            };
            let n = match memchr::memchr(b'\r', &rest[..n]) {
                Some(r) => r,
                None => n,
            };
            out.push_str(&self.src[self.pos..self.pos + n]);
            self.pos += n;
            let rest = self.rest();
            match rest {
                [b'$', b'$', b'{', ..] => {
                    out.push_str("${");
                    self.pos += 3;
                }
                [b'%', b'%', b'{', ..] => {
                    out.push_str("%{");
                    self.pos += 3;
                }
                [b'$', b'{', ..] => return Some(LiteralEnd::Interpolation),
                [b'%', b'{', ..] => return None,
                [b'\r' | b'\n', ..] => {
                    if self.at_heredoc_end(delim)? {
                        return Some(LiteralEnd::Close);
                    }
                    out.push(char::from(rest[0]));
                    self.pos += 1;
                }
                [c, ..] => {
                    out.push(char::from(*c));
                    self.pos += 1;
                }
                [] => return Some(LiteralEnd::EndOfInput),
            }
        }
    }

    /// Whether a line ending, optional spaces and the closing delimiter (not followed by an
    /// identifier character) start here. `None` at a non-ASCII byte after the delimiter.
    fn at_heredoc_end(&self, delim: &str) -> Option<bool> {
        let rest = self.rest();
        let after_newline = match rest {
            [b'\n', ..] => 1,
            [b'\r', b'\n', ..] => 2,
            _ => return Some(false),
        };
        let mut i = after_newline;
        while let Some(b' ' | b'\t') = rest.get(i) {
            i += 1;
        }
        if !rest[i..].starts_with(delim.as_bytes()) {
            return Some(false);
        }
        match rest.get(i + delim.len()) {
            Some(c) if *c >= 0x80 => None,
            Some(c) => Some(!is_id_continue(*c)),
            None => Some(true),
        }
    }
}
