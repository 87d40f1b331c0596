//! Structured values of evaluated HCL expressions (strings, numbers, lists, maps), where any
//! part may be unknown. Unknown parts carry why they could not be evaluated.

use crate::index::Value;
use hcl_edit::Number;
use std::collections::BTreeMap;

/// An evaluated expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A tuple, list or set (sets are kept sorted and deduplicated).
    List(Vec<Val>),
    /// An object or map.
    Map(BTreeMap<String, Val>),
    /// Not evaluable statically; the text says what blocked it.
    Unknown(String),
}

impl Val {
    /// An unknown value with a reason.
    pub fn unknown(why: impl Into<String>) -> Val {
        Val::Unknown(why.into())
    }

    /// A known string.
    pub fn str(s: impl Into<String>) -> Val {
        Val::String(s.into())
    }

    /// Whether this value (not looking inside collections) is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Val::Unknown(_))
    }

    /// The first unknown part, deep, with its reason.
    pub fn first_unknown(&self) -> Option<&str> {
        match self {
            Val::Unknown(why) => Some(why),
            Val::List(items) => items.iter().find_map(Val::first_unknown),
            Val::Map(map) => map.values().find_map(Val::first_unknown),
            _ => None,
        }
    }

    /// The string form Terraform gives a primitive in a template (`2`, `true`, `x`);
    /// `Err` with the reason for null, collections and unknowns.
    pub fn as_string(&self) -> Result<String, String> {
        match self {
            Val::String(s) => Ok(s.clone()),
            Val::Number(n) => Ok(n.to_string()),
            Val::Bool(b) => Ok(b.to_string()),
            Val::Null => Err("the value is null".into()),
            Val::List(_) => Err("a list where a string is needed".into()),
            Val::Map(_) => Err("a map where a string is needed".into()),
            Val::Unknown(why) => Err(why.clone()),
        }
    }

    /// The value as the inventory's string [`Value`].
    pub fn to_value(&self) -> Value {
        match self.as_string() {
            Ok(s) => Value::Known(s),
            Err(why) => Value::Unknown(why),
        }
    }

    /// Attribute or map key `key`.
    pub fn get(&self, key: &str) -> Val {
        match self {
            Val::Map(map) => map.get(key).cloned().unwrap_or_else(|| {
                Val::unknown(format!("`{key}` is not set in the configuration"))
            }),
            Val::Unknown(why) => Val::Unknown(why.clone()),
            Val::Null => Val::unknown(format!("`{key}` of a null value")),
            _ => Val::unknown(format!("`{key}` of a value that is not an object")),
        }
    }

    /// Attribute `key` when present and not null.
    pub fn field(&self, key: &str) -> Option<&Val> {
        match self {
            Val::Map(map) => map.get(key).filter(|v| !matches!(v, Val::Null)),
            _ => None,
        }
    }

    /// Element `index` of a list, or key of a map (`x[0]`, `x["k"]`).
    pub fn index(&self, index: &Val) -> Val {
        match (self, index) {
            (Val::Unknown(why), _) | (_, Val::Unknown(why)) => Val::Unknown(why.clone()),
            (Val::List(items), i) => match i.as_string().ok().and_then(|s| s.parse::<usize>().ok())
            {
                Some(i) => items
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| Val::unknown(format!("index {i} is out of range"))),
                None => Val::unknown("a list index that is not a whole number"),
            },
            (Val::Map(_), key) => match key.as_string() {
                Ok(k) => self.get(&k),
                Err(why) => Val::Unknown(why),
            },
            _ => Val::unknown("indexing a value that is not a collection"),
        }
    }

    /// Converts JSON (from `jsondecode`, `yamldecode`, `.tfvars.json`).
    pub fn from_json(json: &serde_json::Value) -> Val {
        match json {
            serde_json::Value::Null => Val::Null,
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => number_from_json(n),
            serde_json::Value::String(s) => Val::String(s.clone()),
            serde_json::Value::Array(items) => {
                Val::List(items.iter().map(Val::from_json).collect())
            }
            serde_json::Value::Object(map) => Val::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Val::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts to JSON; `Err` with the reason when any part is unknown.
    pub fn to_json(&self) -> Result<serde_json::Value, String> {
        Ok(match self {
            Val::Null => serde_json::Value::Null,
            Val::Bool(b) => serde_json::Value::Bool(*b),
            Val::Number(n) => number_to_json(n)?,
            Val::String(s) => serde_json::Value::String(s.clone()),
            Val::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(Val::to_json)
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Val::Map(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), v.to_json()?)))
                    .collect::<Result<serde_json::Map<_, _>, String>>()?,
            ),
            Val::Unknown(why) => return Err(why.clone()),
        })
    }

    /// A number from an integer.
    pub fn int(i: i64) -> Val {
        Val::Number(Number::from(i))
    }

    /// The value as a whole number, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Val::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Val::String(s) => s.parse().ok(),
            _ => None,
        }
    }
}

fn number_to_json(n: &Number) -> Result<serde_json::Value, String> {
    if let Some(i) = n.as_i64() {
        return Ok(serde_json::Value::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Ok(serde_json::Value::from(u));
    }
    n.as_f64()
        .and_then(serde_json::Number::from_f64)
        .map(serde_json::Value::Number)
        .ok_or_else(|| "a number that is not finite".to_string())
}

fn number_from_json(n: &serde_json::Number) -> Val {
    if let Some(i) = n.as_i64() {
        Val::Number(Number::from(i))
    } else if let Some(u) = n.as_u64() {
        Val::Number(Number::from(u))
    } else {
        n.as_f64()
            .and_then(Number::from_f64)
            .map(Val::Number)
            .unwrap_or_else(|| Val::unknown("a number that is not finite"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_and_converts() {
        let v = Val::from_json(&serde_json::json!({"a": [1, "x", true], "m": {"k": "v"}}));
        assert_eq!(
            v.get("a").index(&Val::int(0)).to_value(),
            Value::Known("1".into())
        );
        assert_eq!(
            v.get("a").index(&Val::str("1")).to_value(),
            Value::Known("x".into())
        );
        assert_eq!(v.get("m").index(&Val::str("k")), Val::str("v"));
        assert!(v.get("missing").is_unknown());
        assert!(v.get("a").index(&Val::int(9)).is_unknown());
        assert_eq!(
            v.to_json().unwrap(),
            serde_json::json!({"a": [1, "x", true], "m": {"k": "v"}})
        );
        let partly = Val::List(vec![Val::str("a"), Val::unknown("why")]);
        assert_eq!(partly.first_unknown(), Some("why"));
        assert!(partly.to_json().is_err());
    }
}
