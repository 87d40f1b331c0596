//! Rule documentation compiled into the binary, and a small Markdown-to-terminal renderer.

include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));

/// The Markdown page of rule `id`, if one ships with this build.
pub fn page(id: &str) -> Option<&'static str> {
    RULE_DOCS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, text)| *text)
}

/// The body of the `## TITLE` section of a Markdown page.
pub fn section<'a>(markdown: &'a str, title: &str) -> Option<&'a str> {
    let heading = format!("## {title}");
    let start = markdown.find(&heading)? + heading.len();
    let rest = &markdown[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim_start_matches('\n'))
}

/// Renders Markdown for a terminal: headings in bold, code blocks indented, the rest as is.
pub fn render_for_terminal(markdown: &str, color: bool) -> String {
    let (bold, dim, reset) = if color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    let mut out = String::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str(&format!("    {dim}{line}{reset}\n"));
        } else if let Some(h) = line.strip_prefix('#') {
            let title = h.trim_start_matches('#').trim();
            out.push_str(&format!("{bold}{title}{reset}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
