//! Flux post-build substitution: `${VAR}`, `${VAR:=default}`, `${VAR:-default}` (and the
//! `=`/`-` forms without the colon) from a Kustomization's `spec.postBuild.substitute`,
//! `$$` for a literal `$`. Whatever cannot be resolved here (variables from
//! `substituteFrom` Secrets and ConfigMaps, variables set nowhere, other forms) makes the
//! value unknown, with the reason: it is never compared.

use super::super::value::Val;
use std::collections::BTreeMap;

/// How deep defaults may nest (`${A:-${B:-${C}}}`).
const MAX_NESTING: usize = 8;

/// The variables one Flux Kustomization substitutes.
pub struct Vars<'a> {
    /// `spec.postBuild.substitute`.
    pub values: &'a BTreeMap<String, String>,
    /// Why a variable not in `values` is unknown rather than unset (its Kustomization reads
    /// `substituteFrom`, or no Kustomization applies the file); `None`: it is unset, and a
    /// default applies.
    pub elsewhere: Option<&'a str>,
    /// Who sets the variables, for reasons (`the Flux Kustomization \`app\``).
    pub origin: &'a str,
}

/// Substitutes every string (and map key) of `val`; a string that cannot be resolved
/// becomes unknown (a map key that cannot be resolved keeps its text, its value unknown).
pub fn apply(val: Val, vars: &Vars) -> Val {
    match val {
        Val::String(s) if s.contains('$') => match substitute(&s, vars) {
            Ok(t) => Val::String(t),
            Err(why) => Val::Unknown(why),
        },
        Val::List(items) => Val::List(items.into_iter().map(|v| apply(v, vars)).collect()),
        Val::Map(map) => Val::Map(
            map.into_iter()
                .map(|(k, v)| {
                    if !k.contains('$') {
                        return (k, apply(v, vars));
                    }
                    match substitute(&k, vars) {
                        Ok(key) => (key, apply(v, vars)),
                        Err(why) => (k, Val::Unknown(why)),
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

/// Substitutes the placeholders of one string; `Err` with the reason when one cannot be
/// resolved.
pub fn substitute(text: &str, vars: &Vars) -> Result<String, String> {
    expand(text, vars, 0)
}

fn expand(text: &str, vars: &Vars, depth: usize) -> Result<String, String> {
    if depth > MAX_NESTING {
        return Err("placeholders nested too deeply".into());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body_on) = after.strip_prefix('{') {
            let end = closing_brace(body_on)
                .ok_or_else(|| format!("an unterminated placeholder in `{}`", clip(text)))?;
            out.push_str(&placeholder(&body_on[..end], vars, depth)?);
            rest = &body_on[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The byte index of the `}` closing a placeholder whose body starts `text`.
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Resolves the body of one `${...}`.
fn placeholder(body: &str, vars: &Vars, depth: usize) -> Result<String, String> {
    let name_len = body
        .char_indices()
        .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map(|(i, _)| i)
        .unwrap_or(body.len());
    let (name, op) = body.split_at(name_len);
    if name.is_empty() {
        return Err(format!("`${{{body}}}` is not a variable"));
    }
    // (default text, whether an empty value takes the default too)
    let default = if let Some(d) = op.strip_prefix(":=").or_else(|| op.strip_prefix(":-")) {
        Some((d, true))
    } else if let Some(d) = op.strip_prefix('=').or_else(|| op.strip_prefix('-')) {
        Some((d, false))
    } else if op.is_empty() {
        None
    } else {
        return Err(format!(
            "`${{{body}}}`: a substitution form that is not evaluated"
        ));
    };
    let value = vars.values.get(name);
    if let (None, Some(why)) = (value, vars.elsewhere) {
        return Err(format!("`${{{name}}}` {why}"));
    }
    match (value, default) {
        (Some(v), Some((d, true))) if v.is_empty() => expand(d, vars, depth + 1),
        (Some(v), _) => Ok(v.clone()),
        (None, Some((d, _))) => expand(d, vars, depth + 1),
        (None, None) => Err(format!("`${{{name}}}` is not set by {}", vars.origin)),
    }
}

fn clip(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(values: &'a BTreeMap<String, String>, elsewhere: Option<&'a str>) -> Vars<'a> {
        Vars {
            values,
            elsewhere,
            origin: "the Flux Kustomization `app`",
        }
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn substitutes_defaults_and_escapes() {
        let m = map(&[("APP", "web"), ("EMPTY", "")]);
        let v = vars(&m, None);
        assert_eq!(substitute("${APP}-data", &v).unwrap(), "web-data");
        assert_eq!(substitute("${CLAIM:-${APP}}", &v).unwrap(), "web");
        assert_eq!(substitute("${CLAIM:=x${APP}y}", &v).unwrap(), "xweby");
        assert_eq!(substitute("${EMPTY:-d}", &v).unwrap(), "d");
        assert_eq!(substitute("${EMPTY-d}", &v).unwrap(), "");
        assert_eq!(substitute("${APP:-d}", &v).unwrap(), "web");
        assert_eq!(substitute("$${APP} $x $", &v).unwrap(), "${APP} $x $");
        let err = substitute("${NOPE}", &v).unwrap_err();
        assert!(err.contains("`${NOPE}` is not set by the Flux Kustomization"));
        assert!(substitute("${APP", &v)
            .unwrap_err()
            .contains("unterminated"));
        assert!(substitute("${APP^^}", &v)
            .unwrap_err()
            .contains("not evaluated"));
        assert!(substitute("${}", &v).is_err());
    }

    #[test]
    fn variables_from_elsewhere_are_unknown_even_with_defaults() {
        let m = map(&[("APP", "web")]);
        let v = vars(&m, Some("may come from substituteFrom"));
        assert_eq!(substitute("${APP}", &v).unwrap(), "web");
        let err = substitute("${CLAIM:-${APP}}", &v).unwrap_err();
        assert_eq!(err, "`${CLAIM}` may come from substituteFrom");
    }

    #[test]
    fn applies_to_values_and_keys() {
        let m = map(&[("APP", "web")]);
        let v = vars(&m, None);
        let val = Val::from_json(&serde_json::json!({
            "name": "${APP}", "n": 2, "list": ["${X}"], "${APP}/k": "v", "${X}/k": "v"
        }));
        let got = apply(val, &v);
        assert_eq!(got.get("name"), Val::str("web"));
        assert!(got.get("list").index(&Val::int(0)).is_unknown());
        assert_eq!(got.get("web/k"), Val::str("v"));
        assert!(got.get("${X}/k").is_unknown());
        assert_eq!(got.get("n"), Val::int(2));
    }
}
