//! Terraform's common pure functions over known values: string (`format`, `lower`, `upper`,
//! `replace`, `join`, `split`...), collection (`merge`, `concat`, `lookup`, `toset`...) and
//! encoding (`jsonencode`, `jsondecode`, `yamldecode`) functions. Unknown arguments give
//! unknown results; functions not listed here are unknown.

use super::eval::num;
use super::value::Val;
use std::collections::BTreeMap;

/// Calls function `name` on evaluated arguments.
pub fn call(name: &str, args: &[Val]) -> Val {
    // Structural functions keep unknown parts of their inputs; every other function needs
    // fully known arguments.
    if let Some(v) = structural(name, args) {
        return v;
    }
    if let Some(why) = args.iter().find_map(Val::first_unknown) {
        return Val::unknown(why);
    }
    let result = match name {
        "format" => format(args),
        "lower" => string1(args, |s| s.to_lowercase()),
        "upper" => string1(args, |s| s.to_uppercase()),
        "title" => string1(args, title),
        "trimspace" => string1(args, |s| s.trim().to_string()),
        "trimprefix" => string2(args, |s, p| s.strip_prefix(p).unwrap_or(s).to_string()),
        "trimsuffix" => string2(args, |s, p| s.strip_suffix(p).unwrap_or(s).to_string()),
        "trim" => string2(args, |s, cut| {
            s.trim_matches(|c| cut.contains(c)).to_string()
        }),
        "replace" => replace(args),
        "join" => join(args),
        "split" => split(args),
        "jsonencode" => jsonencode(args),
        "jsondecode" => decode(args, |s| serde_json::from_str(s).map_err(|e| e.to_string())),
        "yamldecode" => decode(args, |s| {
            serde_saphyr::from_str::<serde_json::Value>(s).map_err(|e| e.to_string())
        }),
        "tostring" => match args {
            [Val::Null] => Ok(Val::Null),
            [v] => v.as_string().map(Val::String),
            _ => Err(arity(name)),
        },
        "tonumber" => match args {
            [Val::Null] => Ok(Val::Null),
            [v @ Val::Number(_)] => Ok(v.clone()),
            [Val::String(s)] => s
                .trim()
                .parse::<f64>()
                .map(num)
                .map_err(|_| format!("`{s}` is not a number")),
            _ => Err(arity(name)),
        },
        "tobool" => match args {
            [Val::Null] => Ok(Val::Null),
            [v] => super::eval::truth(v).map(Val::Bool),
            _ => Err(arity(name)),
        },
        "toset" => match args {
            [Val::List(items)] => Ok(set(items.clone())),
            _ => Err(arity(name)),
        },
        "distinct" => match args {
            [Val::List(items)] => {
                let mut out: Vec<Val> = Vec::new();
                for item in items {
                    if !out.contains(item) {
                        out.push(item.clone());
                    }
                }
                Ok(Val::List(out))
            }
            _ => Err(arity(name)),
        },
        "sort" => match args {
            [Val::List(items)] => items
                .iter()
                .map(Val::as_string)
                .collect::<Result<Vec<_>, _>>()
                .map(|mut strings| {
                    strings.sort();
                    Val::List(strings.into_iter().map(Val::String).collect())
                }),
            _ => Err(arity(name)),
        },
        "compact" => match args {
            [Val::List(items)] => Ok(Val::List(
                items
                    .iter()
                    .filter(|v| {
                        !matches!(v, Val::Null) && v.as_string().ok().as_deref() != Some("")
                    })
                    .cloned()
                    .collect(),
            )),
            _ => Err(arity(name)),
        },
        "contains" => match args {
            [Val::List(items), v] => Ok(Val::Bool(items.contains(v))),
            _ => Err(arity(name)),
        },
        "basename" => string1(args, |s| {
            s.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string()
        }),
        "dirname" => string1(args, |s| match s.trim_end_matches('/').rsplit_once('/') {
            Some(("", _)) => "/".to_string(),
            Some((d, _)) => d.to_string(),
            None => ".".to_string(),
        }),
        _ => Err(format!("function `{name}` is not evaluated")),
    };
    result.unwrap_or_else(Val::Unknown)
}

/// Functions that work on collections whose elements may be unknown.
fn structural(name: &str, args: &[Val]) -> Option<Val> {
    if let Some(Val::Unknown(why)) = args.iter().find(|a| a.is_unknown()) {
        return Some(Val::Unknown(why.clone()));
    }
    let v = match (name, args) {
        ("merge", _) => {
            let mut out = BTreeMap::new();
            for arg in args {
                match arg {
                    Val::Map(m) => out.extend(m.clone()),
                    Val::Null => {}
                    _ => return Some(Val::unknown("`merge` of a value that is not a map")),
                }
            }
            Val::Map(out)
        }
        ("concat", _) => {
            let mut out = Vec::new();
            for arg in args {
                match arg {
                    Val::List(items) => out.extend(items.iter().cloned()),
                    _ => return Some(Val::unknown("`concat` of a value that is not a list")),
                }
            }
            Val::List(out)
        }
        ("tolist", [v @ Val::List(_)]) | ("tomap", [v @ Val::Map(_)]) => v.clone(),
        ("keys", [Val::Map(m)]) => Val::List(m.keys().cloned().map(Val::String).collect()),
        ("values", [Val::Map(m)]) => Val::List(m.values().cloned().collect()),
        ("length", [Val::List(items)]) => Val::int(items.len() as i64),
        ("length", [Val::Map(m)]) => Val::int(m.len() as i64),
        ("length", [Val::String(s)]) => Val::int(s.chars().count() as i64),
        ("lookup", [Val::Map(m), key, rest @ ..]) if rest.len() <= 1 => {
            let key = match key.as_string() {
                Ok(k) => k,
                Err(why) => return Some(Val::Unknown(why)),
            };
            match (m.get(&key), rest.first()) {
                (Some(v), _) => v.clone(),
                (None, Some(default)) => default.clone(),
                (None, None) => Val::unknown(format!("`lookup`: no key `{key}`")),
            }
        }
        ("element", [Val::List(items), i]) => match i.as_i64() {
            Some(_) if items.is_empty() => Val::unknown("`element` of an empty list"),
            Some(i) => items[i.rem_euclid(items.len() as i64) as usize].clone(),
            None => Val::unknown("`element` index is not a whole number"),
        },
        ("flatten", [Val::List(items)]) => {
            fn flat(items: &[Val], out: &mut Vec<Val>) {
                for item in items {
                    match item {
                        Val::List(inner) => flat(inner, out),
                        other => out.push(other.clone()),
                    }
                }
            }
            let mut out = Vec::new();
            flat(items, &mut out);
            Val::List(out)
        }
        ("coalesce", _) => {
            for arg in args {
                match arg {
                    Val::Null => continue,
                    Val::String(s) if s.is_empty() => continue,
                    other => return Some(other.clone()),
                }
            }
            Val::unknown("`coalesce`: every argument is null or empty")
        }
        _ => return None,
    };
    Some(v)
}

fn arity(name: &str) -> String {
    format!("`{name}` called with unexpected arguments")
}

fn string1(args: &[Val], f: impl Fn(&str) -> String) -> Result<Val, String> {
    match args {
        [v] => Ok(Val::String(f(&v.as_string()?))),
        _ => Err("unexpected arguments".into()),
    }
}

fn string2(args: &[Val], f: impl Fn(&str, &str) -> String) -> Result<Val, String> {
    match args {
        [a, b] => Ok(Val::String(f(&a.as_string()?, &b.as_string()?))),
        _ => Err("unexpected arguments".into()),
    }
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

fn replace(args: &[Val]) -> Result<Val, String> {
    let [s, sub, rep] = args else {
        return Err(arity("replace"));
    };
    let (s, sub, rep) = (s.as_string()?, sub.as_string()?, rep.as_string()?);
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        return Err("`replace` with a regular expression is not evaluated".into());
    }
    Ok(Val::String(s.replace(&sub, &rep)))
}

fn join(args: &[Val]) -> Result<Val, String> {
    let Some((sep, lists)) = args.split_first() else {
        return Err(arity("join"));
    };
    let sep = sep.as_string()?;
    let mut parts = Vec::new();
    for list in lists {
        let Val::List(items) = list else {
            return Err(arity("join"));
        };
        for item in items {
            parts.push(item.as_string()?);
        }
    }
    Ok(Val::String(parts.join(&sep)))
}

fn split(args: &[Val]) -> Result<Val, String> {
    let [sep, s] = args else {
        return Err(arity("split"));
    };
    let (sep, s) = (sep.as_string()?, s.as_string()?);
    if sep.is_empty() {
        return Err("`split` with an empty separator is not evaluated".into());
    }
    Ok(Val::List(s.split(&sep).map(Val::str).collect()))
}

/// A Terraform set: deduplicated and sorted (strings lexically, like Terraform's sets of
/// strings); mixed primitive types become strings.
pub fn set(items: Vec<Val>) -> Val {
    let all_numbers = items.iter().all(|v| matches!(v, Val::Number(_)));
    let mut out: Vec<Val> = Vec::new();
    for item in items {
        let item = match (&item, all_numbers) {
            (Val::Number(_), true) | (Val::String(_), _) => item,
            (Val::Number(_) | Val::Bool(_), false) => match item.as_string() {
                Ok(s) => Val::String(s),
                Err(why) => return Val::Unknown(why),
            },
            (Val::Null, _) => continue,
            _ => return Val::List(vec![Val::unknown("a set of collections is not evaluated")]),
        };
        if !out.contains(&item) {
            out.push(item);
        }
    }
    if all_numbers {
        out.sort_by(|a, b| {
            let (x, y) = (a.as_i64().unwrap_or(0), b.as_i64().unwrap_or(0));
            x.cmp(&y)
        });
    } else {
        out.sort_by_key(|v| v.as_string().unwrap_or_default());
    }
    Val::List(out)
}

fn format(args: &[Val]) -> Result<Val, String> {
    let Some((spec, rest)) = args.split_first() else {
        return Err(arity("format"));
    };
    let spec = spec.as_string()?;
    let mut out = String::new();
    let mut next = rest.iter();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'd' | 'v' | 'q')) => {
                let arg = next.next().ok_or("`format`: too few arguments")?;
                match verb {
                    'd' => match arg.as_i64() {
                        Some(i) => out.push_str(&i.to_string()),
                        None => return Err("`format` %d of a value that is not whole".into()),
                    },
                    'q' => out.push_str(&serde_json::Value::String(arg.as_string()?).to_string()),
                    _ => out.push_str(&arg.as_string()?),
                }
            }
            _ => return Err("`format` verbs other than %s, %d, %v, %q are not evaluated".into()),
        }
    }
    Ok(Val::String(out))
}

fn jsonencode(args: &[Val]) -> Result<Val, String> {
    let [v] = args else {
        return Err(arity("jsonencode"));
    };
    let text = v.to_json()?.to_string();
    // Terraform (Go's encoding/json) escapes these for safe embedding in HTML.
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(Val::String(out))
}

fn decode(
    args: &[Val],
    parse: impl Fn(&str) -> Result<serde_json::Value, String>,
) -> Result<Val, String> {
    let [v] = args else {
        return Err("unexpected arguments".into());
    };
    Ok(Val::from_json(&parse(&v.as_string()?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Val {
        Val::str(v)
    }

    #[test]
    fn string_functions() {
        assert_eq!(call("format", &[s("%s-%s"), s("a"), s("b")]), s("a-b"));
        assert_eq!(call("format", &[s("%d%%"), Val::int(5)]), s("5%"));
        assert_eq!(call("lower", &[s("AbC")]), s("abc"));
        assert_eq!(call("upper", &[s("abc")]), s("ABC"));
        assert_eq!(call("replace", &[s("a-b"), s("-"), s("_")]), s("a_b"));
        assert!(call("replace", &[s("a"), s("/a/"), s("b")]).is_unknown());
        assert_eq!(
            call("join", &[s(","), Val::List(vec![s("a"), s("b")])]),
            s("a,b")
        );
        assert_eq!(
            call("split", &[s(","), s("a,b")]),
            Val::List(vec![s("a"), s("b")])
        );
        assert!(call("lower", &[Val::unknown("x")]).is_unknown());
        assert!(call("nosuchfunction", &[]).is_unknown());
    }

    #[test]
    fn collections_and_encoding() {
        let m = |k: &str, v: Val| Val::Map([(k.to_string(), v)].into());
        let merged = call("merge", &[m("a", s("1")), m("b", Val::unknown("x"))]);
        assert_eq!(merged.get("a"), s("1"));
        assert!(merged.get("b").is_unknown());
        assert_eq!(
            call("toset", &[Val::List(vec![s("b"), s("a"), s("b")])]),
            Val::List(vec![s("a"), s("b")])
        );
        assert_eq!(
            call(
                "jsonencode",
                &[Val::Map(
                    [("b".into(), s("<x>")), ("a".into(), Val::int(1))].into()
                )]
            ),
            s(r#"{"a":1,"b":"\u003cx\u003e"}"#)
        );
        assert_eq!(
            call("yamldecode", &[s("a: 1\nb: [x]\n")]),
            Val::Map(
                [
                    ("a".into(), Val::int(1)),
                    ("b".into(), Val::List(vec![s("x")]))
                ]
                .into()
            )
        );
        assert_eq!(call("lookup", &[m("a", s("1")), s("z"), s("d")]), s("d"));
        assert!(call("jsonencode", &[m("a", Val::unknown("x"))]).is_unknown());
    }
}
