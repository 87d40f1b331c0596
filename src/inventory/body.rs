//! A block body as a value: attributes evaluated, nested blocks as lists of objects (the way
//! Terraform addresses them: `spec[0].template[0]...`), `dynamic` blocks expanded in place
//! when their `for_each` is known. Also the instances a `count` / `for_each` creates.

use super::eval::{eval, Bound, Env};
use super::value::Val;
use hcl_edit::structure::{Block, Body};
use std::collections::BTreeMap;

/// Meta-arguments of resources and module calls: not part of the object.
const META_ATTRS: &[&str] = &["count", "for_each", "provider", "providers", "depends_on"];
/// Meta-blocks of resources: not part of the object.
const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection", "timeouts"];

/// The value of a resource body (meta-arguments and meta-blocks left out).
pub fn resource_val(env: &dyn Env, body: &Body, depth: usize) -> Val {
    body_val(env, body, depth, true)
}

fn body_val(env: &dyn Env, body: &Body, depth: usize, top: bool) -> Val {
    let mut map: BTreeMap<String, Val> = BTreeMap::new();
    for structure in body.iter() {
        if let Some(attr) = structure.as_attribute() {
            let key = attr.key.as_str();
            if top && META_ATTRS.contains(&key) {
                continue;
            }
            map.insert(key.to_string(), eval(env, &attr.value, depth));
        } else if let Some(block) = structure.as_block() {
            let ident = block.ident.as_str();
            if top && META_BLOCKS.contains(&ident) {
                continue;
            }
            if ident == "dynamic" {
                let Some(name) = block.labels.first() else {
                    continue;
                };
                let generated = dynamic(env, block, name.as_str(), depth);
                push_blocks(&mut map, name.as_str(), generated);
            } else {
                let v = body_val(env, &block.body, depth, false);
                push_blocks(&mut map, ident, vec![v]);
            }
        }
    }
    Val::Map(map)
}

fn push_blocks(map: &mut BTreeMap<String, Val>, name: &str, blocks: Vec<Val>) {
    // An attribute of the same name is kept as it is.
    if let Val::List(items) = map
        .entry(name.to_string())
        .or_insert_with(|| Val::List(Vec::new()))
    {
        items.extend(blocks);
    }
}

/// The blocks a `dynamic "name"` block generates; one unknown entry when its `for_each`
/// cannot be evaluated (so later blocks' indices are known to be uncertain).
fn dynamic(env: &dyn Env, block: &Block, name: &str, depth: usize) -> Vec<Val> {
    let iterator = block
        .body
        .get_attribute("iterator")
        .and_then(|a| match &a.value {
            hcl_edit::expr::Expression::Variable(v) => Some(v.as_str().to_string()),
            _ => None,
        })
        .unwrap_or_else(|| name.to_string());
    let Some(content) = crate::syntax::hcl::block(&block.body, "content") else {
        return Vec::new();
    };
    let Some(for_each) = block.body.get_attribute("for_each") else {
        return vec![Val::unknown(format!("dynamic \"{name}\" has no for_each"))];
    };
    let items: Vec<(Val, Val)> = match eval(env, &for_each.value, depth) {
        Val::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Val::int(i as i64), v))
            .collect(),
        Val::Map(map) => map.into_iter().map(|(k, v)| (Val::String(k), v)).collect(),
        Val::Null => Vec::new(),
        Val::Unknown(why) => {
            return vec![Val::unknown(format!(
                "dynamic \"{name}\" blocks could not be expanded: {why}"
            ))]
        }
        _ => {
            return vec![Val::unknown(format!(
                "dynamic \"{name}\": for_each is not a collection"
            ))]
        }
    };
    items
        .into_iter()
        .map(|(key, value)| {
            let it = Val::Map([("key".to_string(), key), ("value".to_string(), value)].into());
            let scope = Bound::new(env, vec![(iterator.clone(), it)]);
            body_val(&scope, &content.body, depth, false)
        })
        .collect()
}

/// The instances a `count` or `for_each` meta-argument creates.
#[derive(Debug, Clone)]
pub enum Instances {
    /// Neither meta-argument: one instance.
    Single,
    /// One entry per instance: the address suffix (`["key"]`, `[0]`) and the names bound
    /// (`each` or `count`).
    Keyed(Vec<(String, Vec<(String, Val)>)>),
    /// The collection or count could not be evaluated.
    Unknown(String),
}

/// The instances of a resource or module call body.
pub fn instances(env: &dyn Env, body: &Body, depth: usize) -> Instances {
    if let Some(attr) = body.get_attribute("for_each") {
        let entries: Vec<(String, Val)> = match eval(env, &attr.value, depth) {
            Val::Map(map) => map.into_iter().collect(),
            // Sets (and fileset's results): key and value are the element.
            Val::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item.as_string() {
                        Ok(s) => out.push((s.clone(), Val::String(s))),
                        Err(why) => return Instances::Unknown(format!("for_each: {why}")),
                    }
                }
                out
            }
            Val::Unknown(why) => return Instances::Unknown(format!("for_each: {why}")),
            _ => return Instances::Unknown("for_each is not a map or set".into()),
        };
        return Instances::Keyed(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let each = Val::Map(
                        [("key".to_string(), Val::str(&k)), ("value".to_string(), v)].into(),
                    );
                    (
                        format!("[{}]", serde_json::Value::String(k)),
                        vec![("each".to_string(), each)],
                    )
                })
                .collect(),
        );
    }
    if let Some(attr) = body.get_attribute("count") {
        let v = eval(env, &attr.value, depth);
        return match v.as_i64() {
            Some(n) if n >= 0 => Instances::Keyed(
                (0..n)
                    .map(|i| {
                        let count = Val::Map([("index".to_string(), Val::int(i))].into());
                        (format!("[{i}]"), vec![("count".to_string(), count)])
                    })
                    .collect(),
            ),
            _ => Instances::Unknown(format!(
                "count: {}",
                v.first_unknown().unwrap_or("not a whole number")
            )),
        };
    }
    Instances::Single
}

/// Names bound when instances are unknown: `each` and `count` are themselves unknown.
pub fn unknown_bindings(why: &str) -> Vec<(String, Val)> {
    vec![
        ("each".to_string(), Val::unknown(why)),
        ("count".to_string(), Val::unknown(why)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::eval::Empty;

    #[test]
    fn blocks_become_lists_and_dynamic_blocks_expand() {
        let body = hcl_edit::parser::parse_body(
            r#"
count = 2
metadata { name = "x" }
spec {
  container { name = "a" }
  dynamic "container" {
    for_each = { b = "img-b", c = "img-c" }
    content {
      name  = container.key
      image = container.value
    }
  }
  dynamic "volume" {
    for_each = local.volumes
    content { name = volume.value }
  }
}
lifecycle { ignore_changes = all }
"#,
        )
        .unwrap();
        let v = resource_val(&Empty, &body, 0);
        assert!(v.field("count").is_none());
        assert!(v.field("lifecycle").is_none());
        assert_eq!(
            v.get("metadata").index(&Val::int(0)).get("name"),
            Val::str("x")
        );
        let spec = v.get("spec").index(&Val::int(0));
        let names: Vec<Val> = match spec.get("container") {
            Val::List(items) => items.iter().map(|c| c.get("name")).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(names, vec![Val::str("a"), Val::str("b"), Val::str("c")]);
        assert!(spec.get("volume").index(&Val::int(0)).is_unknown());
        match instances(&Empty, &body, 0) {
            Instances::Keyed(keys) => {
                assert_eq!(
                    keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>(),
                    ["[0]", "[1]"]
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
