//! One instance of a Terraform module as an evaluation environment: its locals and variables
//! (defaults from the [`RepoIndex`], overridden by tfvars/inputs for a root module or by the
//! call's arguments for a called module), `path.module`, `file`/`fileset` within the
//! repository, and references to its own resources' attributes
//! (`kubernetes_namespace.x.metadata[0].name`).

use super::body::{instances, resource_val, Instances};
use super::eval::{apply_ops, eval, Bound, Empty, Env, Op};
use super::funcs;
use super::load::{normalize, ParsedDir, ParsedFile, RepoFiles, Unreadable};
use super::value::Val;
use crate::index::RepoIndex;
use crate::syntax::hcl;
use hcl_edit::structure::Block;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

const NAMESPACE_TYPES: &[&str] = &["kubernetes_namespace", "kubernetes_namespace_v1"];

/// A module instance.
pub struct Module<'a> {
    repo: &'a RepoFiles,
    index: &'a RepoIndex<'a>,
    /// The module's directory and files.
    pub dir: &'a ParsedDir,
    vars: BTreeMap<String, Val>,
    sensitive: HashSet<String>,
    path_module: String,
    stack_dir: String,
    locals: RefCell<HashMap<String, Val>>,
    resources: HashMap<String, (&'a ParsedFile, &'a Block)>,
    resource_cache: RefCell<HashMap<String, Val>>,
}

impl<'a> Module<'a> {
    /// An instance of the module in `dir`. `vars` are the values given to its variables
    /// (tfvars and inputs for a root module, the call's arguments for a called one);
    /// `path_module` is `path.module` as Terraform gives it (`.` for the root module),
    /// `stack_dir` the root module's directory (relative file paths resolve against it).
    pub fn new(
        repo: &'a RepoFiles,
        index: &'a RepoIndex<'a>,
        dir: &'a ParsedDir,
        vars: BTreeMap<String, Val>,
        path_module: String,
        stack_dir: &str,
    ) -> Module<'a> {
        let mut resources = HashMap::new();
        let mut sensitive = HashSet::new();
        for f in &dir.files {
            for (ty, name, block) in hcl::resources(&f.hcl.body) {
                resources.insert(format!("{ty}.{name}"), (f, block));
            }
            for block in hcl::blocks(&f.hcl.body, "variable") {
                let is_sensitive = hcl::attr(&block.body, "sensitive")
                    .and_then(|e| e.as_bool())
                    .unwrap_or(false);
                if let (true, Some(name)) = (is_sensitive, block.labels.first()) {
                    sensitive.insert(name.as_str().to_string());
                }
            }
        }
        Module {
            repo,
            index,
            dir,
            vars,
            sensitive,
            path_module,
            stack_dir: stack_dir.to_string(),
            locals: RefCell::new(HashMap::new()),
            resources,
            resource_cache: RefCell::new(HashMap::new()),
        }
    }

    /// `path.module` of this instance.
    pub fn path_module(&self) -> &str {
        &self.path_module
    }

    /// The root module's directory.
    pub fn stack_dir(&self) -> &str {
        &self.stack_dir
    }

    fn local(&self, name: &str, depth: usize) -> Val {
        if let Some(v) = self.locals.borrow().get(name) {
            return v.clone();
        }
        // Marks the local as in progress: a cycle ends here instead of recursing.
        self.locals.borrow_mut().insert(
            name.to_string(),
            Val::unknown(format!("`local.{name}` refers to itself")),
        );
        let v = match self
            .index
            .scope(&self.dir.dir)
            .and_then(|s| s.locals.get(name))
        {
            Some(se) => eval(self, se.expr, depth + 1),
            None => Val::unknown(format!("`local.{name}` is not a local of this module")),
        };
        self.locals.borrow_mut().insert(name.to_string(), v.clone());
        v
    }

    fn var(&self, name: &str, depth: usize) -> Val {
        if self.sensitive.contains(name) {
            return Val::unknown(format!("`var.{name}` is sensitive"));
        }
        if let Some(v) = self.vars.get(name) {
            return v.clone();
        }
        match self
            .index
            .scope(&self.dir.dir)
            .and_then(|s| s.variables.get(name))
        {
            Some(Some(default)) => eval(&Empty, default.expr, depth + 1),
            Some(None) => Val::unknown(format!(
                "`var.{name}` has no default and no value from tfvars, Terragrunt inputs or the module call"
            )),
            None => Val::unknown(format!("`var.{name}` is not a variable of this module")),
        }
    }

    /// A resource of this module, as a value (`TYPE.NAME`, or an instance `TYPE.NAME[key]`);
    /// returns the value and how many of `ops` were used after the name.
    fn resource(&self, ty: &str, ops: &[Op], depth: usize) -> (Val, usize) {
        let Some(Op::Attr(name)) = ops.first() else {
            return (
                Val::unknown(format!("`{ty}` cannot be evaluated statically")),
                0,
            );
        };
        let address = format!("{ty}.{name}");
        let Some((_, block)) = self.resources.get(&address) else {
            return (
                Val::unknown(format!("`{address}` cannot be evaluated statically")),
                1,
            );
        };
        let (suffix, bindings, used) = match instances(self, &block.body, depth + 1) {
            Instances::Single => (String::new(), Vec::new(), 1),
            Instances::Unknown(why) => return (Val::unknown(format!("`{address}`: {why}")), 1),
            Instances::Keyed(keys) => {
                let Some(Op::Index(key)) = ops.get(1) else {
                    return (
                        Val::unknown(format!("`{address}` has several instances")),
                        1,
                    );
                };
                let wanted = match key {
                    Val::Number(_) => key.as_string().map(|k| format!("[{k}]")),
                    other => other
                        .as_string()
                        .map(|k| format!("[{}]", serde_json::Value::String(k))),
                };
                let wanted = match wanted {
                    Ok(w) => w,
                    Err(why) => return (Val::Unknown(why), 2),
                };
                match keys.into_iter().find(|(s, _)| *s == wanted) {
                    Some((s, b)) => (s, b, 2),
                    None => {
                        return (
                            Val::unknown(format!("`{address}{wanted}` is not an instance")),
                            2,
                        )
                    }
                }
            }
        };
        let cache_key = format!("{address}{suffix}");
        let cached = self.resource_cache.borrow().get(&cache_key).cloned();
        let value = match cached {
            Some(v) => v,
            None => {
                self.resource_cache.borrow_mut().insert(
                    cache_key.clone(),
                    Val::unknown(format!("`{cache_key}` refers to itself")),
                );
                let scope = Bound::new(self, bindings);
                let v = resource_val(&scope, &block.body, depth + 1);
                self.resource_cache
                    .borrow_mut()
                    .insert(cache_key, v.clone());
                v
            }
        };
        // A namespace's id is its name.
        if NAMESPACE_TYPES.contains(&ty) && matches!(ops.get(used), Some(Op::Attr(a)) if a == "id")
        {
            let name = apply_ops(
                value,
                &[
                    Op::Attr("metadata".into()),
                    Op::Index(Val::int(0)),
                    Op::Attr("name".into()),
                ],
            );
            return (name, used + 1);
        }
        (value, used)
    }

    fn file(&self, args: &[Val]) -> Val {
        let [path] = args else {
            return Val::unknown("`file` called with unexpected arguments");
        };
        let path = match path.as_string() {
            Ok(p) => p,
            Err(why) => return Val::Unknown(why),
        };
        let Some(rel) = normalize(&self.stack_dir, &path) else {
            return Val::unknown(format!("`file(\"{path}\")` is outside the repository"));
        };
        match self.repo.read(&rel) {
            Ok(f) => Val::String(f.text),
            Err(Unreadable::Missing) => Val::unknown(format!("`{rel}` does not exist")),
            Err(why) => Val::unknown(format!("`{rel}` is {why}")),
        }
    }

    fn fileset(&self, args: &[Val]) -> Val {
        let [path, pattern] = args else {
            return Val::unknown("`fileset` called with unexpected arguments");
        };
        let (path, pattern) = match (path.as_string(), pattern.as_string()) {
            (Ok(p), Ok(g)) => (p, g),
            (Err(why), _) | (_, Err(why)) => return Val::Unknown(why),
        };
        let Some(base) = normalize(&self.stack_dir, &path) else {
            return Val::unknown(format!("`fileset(\"{path}\")` is outside the repository"));
        };
        let glob = match globset::GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
        {
            Ok(g) => g.compile_matcher(),
            Err(e) => return Val::unknown(format!("`fileset` pattern `{pattern}`: {e}")),
        };
        let matched: Vec<Val> = self
            .repo
            .files_under(&base)
            .filter(|f| glob.is_match(f))
            .map(Val::str)
            .collect();
        funcs::set(matched)
    }
}

impl Env for Module<'_> {
    fn resolve(&self, root: &str, ops: &[Op], depth: usize) -> (Val, usize) {
        let attr = match ops.first() {
            Some(Op::Attr(a)) => Some(a.as_str()),
            _ => None,
        };
        match (root, attr) {
            ("local", Some(name)) => (self.local(name, depth), 1),
            ("var", Some(name)) => (self.var(name, depth), 1),
            ("path", Some("module")) => (Val::str(&self.path_module), 1),
            ("path", Some("root")) => (Val::str("."), 1),
            ("each" | "count", _) => (
                Val::unknown(format!("`{root}` is used outside count/for_each")),
                0,
            ),
            ("module", _) => (Val::unknown("module outputs are not evaluated"), 0),
            ("data", _) => (Val::unknown("data sources are only known at plan time"), 0),
            ("path" | "terraform" | "self", _) => (
                Val::unknown(format!("`{root}` cannot be evaluated statically")),
                0,
            ),
            (ty, Some(_)) if ty.contains('_') => {
                let (v, used) = self.resource(ty, ops, depth);
                (v, used)
            }
            _ => (
                Val::unknown(format!("`{root}` cannot be evaluated statically")),
                0,
            ),
        }
    }

    fn call(&self, name: &str, args: &[Val]) -> Option<Val> {
        match name {
            "file" => Some(self.file(args)),
            "fileset" => Some(self.fileset(args)),
            "templatefile" => Some(Val::unknown("`templatefile` is not evaluated")),
            _ => None,
        }
    }
}
