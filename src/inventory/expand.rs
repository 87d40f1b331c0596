//! Walking a module instance: its resources (expanded over `count`/`for_each`) and its calls
//! of local modules (`source = "./..."`/`"../..."`), whose directories are walked again with
//! the call's arguments bound to their variables.

use super::body::{instances, unknown_bindings, Instances};
use super::eval::{eval, Bound, Env};
use super::load::{normalize, ParsedDir, RepoFiles};
use super::objects::{declare, Site};
use super::scope::Module;
use super::value::Val;
use super::{Declared, Note};
use crate::finding::Location;
use crate::index::RepoIndex;
use crate::live::kinds;
use crate::syntax::hcl;
use hcl_edit::structure::Block;
use std::collections::{BTreeMap, HashMap};

/// How deep module calls may nest.
const MAX_NESTING: usize = 16;

/// Arguments of a module call that are not variables.
const CALL_META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// What every module instance of one stack shares.
pub struct Walk<'a> {
    /// The repository.
    pub repo: &'a RepoFiles,
    /// Locals and variables of the stack and the modules it calls.
    pub index: &'a RepoIndex<'a>,
    /// Every directory with `.tf` files.
    pub dirs: &'a HashMap<&'a str, &'a ParsedDir>,
}

/// Where a module instance sits.
pub struct Frame<'c> {
    /// Address prefix (`module.x.`, `""` for the root module).
    pub prefix: String,
    /// The top-level module call, where its objects are located.
    pub call: Option<Location>,
    /// Why the instance's existence is unknown, if it is.
    pub unresolved: Option<String>,
    /// Module directories being walked (for cycles).
    pub stack: &'c [String],
}

/// Whether resource type `ty` declares something the inventory keeps.
pub fn is_declaring(ty: &str) -> bool {
    kinds::for_tf_type(ty).is_some() || ty == "kubernetes_manifest" || ty == "helm_release"
}

/// Declares everything a module instance (and the local modules it calls) declares.
pub fn declare_module(walk: &Walk, module: &Module, frame: &Frame, out: &mut Declared) {
    for pf in &module.dir.files {
        for (ty, name, block) in hcl::resources(&pf.hcl.body) {
            if !is_declaring(ty) {
                continue;
            }
            let location = frame.call.clone().unwrap_or_else(|| {
                Location::new(&pf.file, hcl::header_span(block).unwrap_or(0..0))
            });
            let base = format!("{}{ty}.{name}", frame.prefix);
            let site = |address: String, unresolved: Option<String>| Site {
                file: &pf.file,
                block,
                address,
                location: location.clone(),
                unresolved: frame.unresolved.clone().or(unresolved),
            };
            match instances(module, &block.body, 0) {
                Instances::Single => declare(module, ty, &site(base, None), out),
                Instances::Keyed(keys) => {
                    for (suffix, bindings) in keys {
                        let env = Bound::new(module, bindings);
                        declare(&env, ty, &site(format!("{base}{suffix}"), None), out);
                    }
                }
                Instances::Unknown(why) => {
                    let env = Bound::new(module, unknown_bindings(&why));
                    declare(&env, ty, &site(base, Some(why)), out);
                }
            }
        }
        for block in hcl::blocks(&pf.hcl.body, "module") {
            call_module(walk, module, frame, &pf.file, block, out);
        }
    }
}

/// The repo-relative directory a module call's `source` names, when it is local.
pub fn local_source(caller_dir: &str, block: &Block) -> Result<(String, String), String> {
    let source = hcl::attr(&block.body, "source")
        .and_then(hcl::literal_str)
        .ok_or("its source is not a literal string")?;
    if !(source.starts_with("./") || source.starts_with("../")) {
        return Err(format!("`{source}` is not a local module"));
    }
    let dir = normalize(caller_dir, &source)
        .ok_or_else(|| format!("`{source}` is outside the repository"))?;
    Ok((source, dir))
}

fn call_module(
    walk: &Walk,
    module: &Module,
    frame: &Frame,
    file: &crate::source::SourceFile,
    block: &Block,
    out: &mut Declared,
) {
    let Some(name) = block.labels.first().map(|l| l.as_str()) else {
        return;
    };
    let header = Location::new(file, hcl::header_span(block).unwrap_or(0..0));
    let address = format!("{}module.{name}", frame.prefix);
    let note = |message: String| Note {
        path: header.path.clone(),
        line: Some(header.line),
        address: Some(address.clone()),
        message,
    };
    let (source, dir) = match local_source(&module.dir.dir, block) {
        Ok(s) => s,
        Err(why) => {
            out.notes.push(note(format!("not expanded: {why}")));
            return;
        }
    };
    let Some(target) = walk.dirs.get(dir.as_str()) else {
        out.notes.push(note(format!(
            "not expanded: `{dir}` has no readable .tf files"
        )));
        return;
    };
    if frame.stack.contains(&dir) || frame.stack.len() > MAX_NESTING {
        out.notes.push(note(
            "not expanded: module calls nest too deep (or loop)".into(),
        ));
        return;
    }
    let path_module = if module.path_module() == "." {
        source.trim_end_matches('/').to_string()
    } else {
        format!("{}/{}", module.path_module(), source.trim_end_matches('/'))
    };
    let call = frame.call.clone().unwrap_or(header.clone());
    let mut stack = frame.stack.to_vec();
    stack.push(dir.clone());
    let expand = |suffix: &str, env: &dyn Env, unresolved: Option<String>, out: &mut Declared| {
        let args: BTreeMap<String, Val> = hcl::attributes(&block.body)
            .filter(|a| !CALL_META.contains(&a.key.as_str()))
            .map(|a| (a.key.as_str().to_string(), eval(env, &a.value, 0)))
            .collect();
        let child = Module::new(
            walk.repo,
            walk.index,
            target,
            args,
            path_module.clone(),
            module.stack_dir(),
        );
        let child_frame = Frame {
            prefix: format!("{address}{suffix}."),
            call: Some(call.clone()),
            unresolved: frame.unresolved.clone().or(unresolved),
            stack: &stack,
        };
        declare_module(walk, &child, &child_frame, out);
    };
    match instances(module, &block.body, 0) {
        Instances::Single => expand("", module, None, out),
        Instances::Keyed(keys) => {
            for (suffix, bindings) in keys {
                expand(&suffix, &Bound::new(module, bindings), None, out);
            }
        }
        Instances::Unknown(why) => {
            let env = Bound::new(module, unknown_bindings(&why));
            expand("", &env, Some(why), out);
        }
    }
}
