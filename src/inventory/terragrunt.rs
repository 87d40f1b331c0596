//! What Terragrunt passes to Terraform for a stack: `inputs` (as `TF_VAR_` variables) and
//! the `-var-file`s / `-var`s of `terraform { extra_arguments }`, read from the stack's
//! `terragrunt.hcl` and the configurations it `include`s (`find_in_parent_folders()`), with
//! Terragrunt's path functions evaluated.

use super::eval::{eval, Env, Op};
use super::load::{dir_of, normalize, RepoFiles};
use super::value::Val;
use super::Note;
use crate::syntax::hcl;
use hcl_edit::structure::{Block, Body};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// The Terragrunt configuration file name.
pub const CONFIG: &str = "terragrunt.hcl";

/// Terraform commands that take variables (`get_terraform_commands_that_need_vars()`).
const VAR_COMMANDS: &[&str] = &[
    "apply", "console", "destroy", "import", "plan", "push", "refresh",
];

/// One source of variable values from `extra_arguments`, in command-line order.
#[derive(Debug, Clone)]
pub enum VarSource {
    /// `-var-file=<path>` (repo-relative); `optional` for `optional_var_files`.
    File {
        /// Repo-relative path.
        path: String,
        /// Skipped when missing.
        optional: bool,
    },
    /// `-var name=value`.
    Var(String, Val),
    /// Something that could set any variable but could not be evaluated.
    Unknown(String),
}

/// What Terragrunt gives one stack.
#[derive(Debug, Clone)]
pub struct Terragrunt {
    /// Merged `inputs` (a map, or unknown).
    pub inputs: Val,
    /// Var files and vars, in order.
    pub sources: Vec<VarSource>,
    /// Files that could not be read.
    pub notes: Vec<Note>,
}

struct Config {
    dir: String,
    body: Body,
}

/// Reads the stack's `terragrunt.hcl` (and its includes); `None` when there is none.
pub fn load(repo: &RepoFiles, stack_dir: &str) -> Option<Terragrunt> {
    let path = join(stack_dir, CONFIG);
    if !repo.exists(&path) {
        return None;
    }
    let child = match parse(repo, &path) {
        Ok(c) => c,
        Err(why) => return Some(unknowable(path, why)),
    };
    // Includes are found with the child's functions (the include path is evaluated before
    // any parent exists).
    let mut parents: Vec<(Config, String)> = Vec::new();
    {
        let env = TgEnv::new(repo, &child, stack_dir, None);
        for include in hcl::blocks(&child.body, "include") {
            let Some(expr) = hcl::attr(&include.body, "path") else {
                continue;
            };
            let strategy = hcl::attr(&include.body, "merge_strategy")
                .map(|e| eval(&env, e, 0).as_string().unwrap_or_default())
                .unwrap_or_else(|| "shallow".to_string());
            let target = match eval(&env, expr, 0).as_string() {
                Ok(p) if p.starts_with('/') => repo.relative(&p),
                Ok(p) => normalize(stack_dir, &p),
                Err(why) => return Some(unknowable(path, format!("its include: {why}"))),
            };
            let Some(target) = target else {
                return Some(unknowable(
                    path,
                    "it includes a file outside the repository".into(),
                ));
            };
            match parse(repo, &target) {
                Ok(c) => parents.push((c, strategy)),
                Err(why) => return Some(unknowable(target, why)),
            }
        }
    }
    let include_dir = parents.first().map(|(c, _)| c.dir.clone());
    let mut inputs = Val::Map(BTreeMap::new());
    let mut extra: Vec<(String, Val)> = Vec::new();
    for (parent, strategy) in &parents {
        if strategy == "no_merge" {
            continue;
        }
        let env = TgEnv::new(repo, parent, stack_dir, None);
        inputs = merge(inputs, config_inputs(&env, parent), strategy != "shallow");
        for (name, args) in extra_arguments(&env, parent) {
            upsert(&mut extra, name, args);
        }
    }
    let env = TgEnv::new(repo, &child, stack_dir, include_dir);
    inputs = merge(inputs, config_inputs(&env, &child), false);
    for (name, args) in extra_arguments(&env, &child) {
        upsert(&mut extra, name, args);
    }
    let sources = extra
        .into_iter()
        .flat_map(|(name, v)| var_sources(repo, stack_dir, &name, v))
        .collect();
    Some(Terragrunt {
        inputs,
        sources,
        notes: Vec::new(),
    })
}

fn unknowable(path: String, why: String) -> Terragrunt {
    let reason = format!("`{path}` {why}");
    Terragrunt {
        inputs: Val::unknown(reason.clone()),
        sources: vec![VarSource::Unknown(reason.clone())],
        notes: vec![Note::file(&path, why)],
    }
}

fn parse(repo: &RepoFiles, path: &str) -> Result<Config, String> {
    let file = repo.read(path).map_err(|e| format!("is {e}"))?;
    let body = crate::syntax::hcl::parse_body(&file.text)
        .map_err(|e| format!("does not parse: {}", e.message()))?;
    Ok(Config {
        dir: dir_of(path).to_string(),
        body,
    })
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn upsert(list: &mut Vec<(String, Val)>, name: String, value: Val) {
    match list.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => list.push((name, value)),
    }
}

/// Merges `over` into `base`: keys of `over` win; with `deep`, maps merge recursively.
fn merge(base: Val, over: Val, deep: bool) -> Val {
    match (base, over) {
        (Val::Unknown(why), _) | (_, Val::Unknown(why)) => Val::Unknown(why),
        (Val::Map(mut b), Val::Map(o)) => {
            for (k, v) in o {
                let merged = match (b.remove(&k), deep) {
                    (Some(old @ Val::Map(_)), true) if matches!(v, Val::Map(_)) => {
                        merge(old, v, true)
                    }
                    _ => v,
                };
                b.insert(k, merged);
            }
            Val::Map(b)
        }
        (_, over) => over,
    }
}

fn config_inputs(env: &TgEnv, config: &Config) -> Val {
    match hcl::attr(&config.body, "inputs") {
        Some(expr) => match eval(env, expr, 0) {
            v @ (Val::Map(_) | Val::Unknown(_)) => v,
            Val::Null => Val::Map(BTreeMap::new()),
            _ => Val::unknown("`inputs` is not a map"),
        },
        None => Val::Map(BTreeMap::new()),
    }
}

/// `extra_arguments` blocks as (name, evaluated body).
fn extra_arguments(env: &TgEnv, config: &Config) -> Vec<(String, Val)> {
    let mut out = Vec::new();
    for terraform in hcl::blocks(&config.body, "terraform") {
        for block in hcl::blocks(&terraform.body, "extra_arguments") {
            let name = block
                .labels
                .first()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default();
            out.push((name, block_val(env, block)));
        }
    }
    out
}

fn block_val(env: &TgEnv, block: &Block) -> Val {
    Val::Map(
        hcl::attributes(&block.body)
            .map(|a| (a.key.as_str().to_string(), eval(env, &a.value, 0)))
            .collect(),
    )
}

/// The var sources of one evaluated `extra_arguments` block.
fn var_sources(repo: &RepoFiles, stack_dir: &str, name: &str, block: Val) -> Vec<VarSource> {
    let unknown = |why: &str| {
        vec![VarSource::Unknown(format!(
            "extra_arguments \"{name}\": {why}"
        ))]
    };
    match block.field("commands") {
        Some(Val::List(cmds)) => {
            if let Some(why) = cmds.iter().find_map(Val::first_unknown) {
                return unknown(why);
            }
            let applies = cmds
                .iter()
                .any(|c| matches!(c.as_string().as_deref(), Ok("plan" | "apply")));
            if !applies {
                return Vec::new();
            }
        }
        Some(other) => return unknown(other.first_unknown().unwrap_or("commands is not a list")),
        None => return Vec::new(),
    }
    let file = |path: &str, optional: bool| -> VarSource {
        let rel = if path.starts_with('/') {
            repo.relative(path)
        } else {
            normalize(stack_dir, path)
        };
        match rel {
            Some(path) => VarSource::File { path, optional },
            None => VarSource::Unknown(format!("var file `{path}` is outside the repository")),
        }
    };
    let mut out = Vec::new();
    if let Some(args) = block.field("arguments") {
        let Val::List(args) = args else {
            return unknown(args.first_unknown().unwrap_or("arguments is not a list"));
        };
        let mut pending: Option<&str> = None;
        for arg in args {
            let arg = match arg.as_string() {
                Ok(a) => a,
                Err(why) => {
                    out.push(VarSource::Unknown(format!(
                        "extra_arguments \"{name}\": {why}"
                    )));
                    continue;
                }
            };
            let arg = arg.as_str();
            match pending.take() {
                Some("-var-file") => out.push(file(arg, false)),
                Some(_) => out.push(var_arg(arg)),
                None => {
                    if let Some(p) = arg.strip_prefix("-var-file=") {
                        out.push(file(p, false));
                    } else if let Some(v) = arg.strip_prefix("-var=") {
                        out.push(var_arg(v));
                    } else if arg == "-var-file" || arg == "-var" {
                        pending = Some(if arg == "-var" { "-var" } else { "-var-file" });
                    }
                }
            }
        }
    }
    for (key, optional) in [("required_var_files", false), ("optional_var_files", true)] {
        match block.field(key) {
            None => {}
            Some(Val::List(files)) => {
                for f in files {
                    match f.as_string() {
                        Ok(p) => out.push(file(&p, optional)),
                        Err(why) => out.push(VarSource::Unknown(why)),
                    }
                }
            }
            Some(other) => out.extend(unknown(other.first_unknown().unwrap_or("not a list"))),
        }
    }
    out
}

fn var_arg(arg: &str) -> VarSource {
    match arg.split_once('=') {
        Some((k, v)) => VarSource::Var(k.trim().to_string(), Val::str(v)),
        None => VarSource::Unknown(format!("`-var {arg}` has no value")),
    }
}

/// Evaluation inside one Terragrunt configuration file.
struct TgEnv<'a> {
    repo: &'a RepoFiles,
    locals: HashMap<&'a str, &'a hcl_edit::expr::Expression>,
    cache: RefCell<HashMap<String, Val>>,
    stack_dir: &'a str,
    config_dir: &'a str,
    include_dir: Option<String>,
}

impl<'a> TgEnv<'a> {
    fn new(
        repo: &'a RepoFiles,
        config: &'a Config,
        stack_dir: &'a str,
        include_dir: Option<String>,
    ) -> TgEnv<'a> {
        let mut locals = HashMap::new();
        for block in hcl::blocks(&config.body, "locals") {
            for attr in hcl::attributes(&block.body) {
                locals.insert(attr.key.as_str(), &attr.value);
            }
        }
        TgEnv {
            repo,
            locals,
            cache: RefCell::new(HashMap::new()),
            stack_dir,
            config_dir: &config.dir,
            include_dir,
        }
    }

    fn find_in_parent_folders(&self, args: &[Val]) -> Val {
        let name = match args.first().map(Val::as_string) {
            None => CONFIG.to_string(),
            Some(Ok(n)) => n,
            Some(Err(why)) => return Val::Unknown(why),
        };
        let mut dir = self.stack_dir;
        while !dir.is_empty() {
            dir = dir_of(dir);
            let candidate = join(dir, &name);
            if self.repo.exists(&candidate) {
                return Val::String(self.repo.abs(&candidate));
            }
        }
        match args.get(1) {
            Some(fallback) => fallback.clone(),
            None => Val::unknown(format!(
                "find_in_parent_folders: no `{name}` above `{}`",
                self.stack_dir
            )),
        }
    }
}

impl Env for TgEnv<'_> {
    fn resolve(&self, root: &str, ops: &[Op], depth: usize) -> (Val, usize) {
        match (root, ops.first()) {
            ("local", Some(Op::Attr(name))) => {
                if let Some(v) = self.cache.borrow().get(name) {
                    return (v.clone(), 1);
                }
                self.cache.borrow_mut().insert(
                    name.clone(),
                    Val::unknown(format!("`local.{name}` refers to itself")),
                );
                let v = match self.locals.get(name.as_str()) {
                    Some(expr) => eval(self, expr, depth + 1),
                    None => Val::unknown(format!("`local.{name}` is not a Terragrunt local")),
                };
                self.cache.borrow_mut().insert(name.clone(), v.clone());
                (v, 1)
            }
            _ => (
                Val::unknown(format!(
                    "`{root}` is not evaluated in Terragrunt configurations"
                )),
                0,
            ),
        }
    }

    fn call(&self, name: &str, args: &[Val]) -> Option<Val> {
        let v = match name {
            "get_terragrunt_dir" | "get_original_terragrunt_dir" => {
                Val::String(self.repo.abs(self.stack_dir))
            }
            "get_parent_terragrunt_dir" => Val::String(
                self.repo
                    .abs(self.include_dir.as_deref().unwrap_or(self.config_dir)),
            ),
            "get_repo_root" => Val::String(self.repo.abs("")),
            "find_in_parent_folders" => self.find_in_parent_folders(args),
            "path_relative_to_include" => {
                let base = self.include_dir.as_deref().unwrap_or(self.config_dir);
                relative_from(base, self.stack_dir)
            }
            "path_relative_from_include" => {
                let base = self.include_dir.as_deref().unwrap_or(self.config_dir);
                match relative_from(base, self.stack_dir) {
                    Val::String(rel) if rel == "." => Val::str("."),
                    Val::String(rel) => {
                        Val::String(rel.split('/').map(|_| "..").collect::<Vec<_>>().join("/"))
                    }
                    other => other,
                }
            }
            "get_terraform_commands_that_need_vars" => {
                Val::List(VAR_COMMANDS.iter().map(|c| Val::str(*c)).collect())
            }
            "get_env"
            | "run_cmd"
            | "read_terragrunt_config"
            | "sops_decrypt_file"
            | "get_aws_account_id"
            | "get_terraform_command"
            | "get_terraform_cli_args" => {
                Val::unknown(format!("`{name}()` depends on the environment it runs in"))
            }
            _ => return None,
        };
        Some(v)
    }
}

fn relative_from(base: &str, dir: &str) -> Val {
    if base == dir {
        return Val::str(".");
    }
    let rest = if base.is_empty() {
        Some(dir)
    } else {
        dir.strip_prefix(base).and_then(|r| r.strip_prefix('/'))
    };
    match rest {
        Some(r) => Val::str(r),
        None => Val::unknown("the stack is not below the included configuration"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn strs(items: &[&str]) -> Val {
        Val::List(items.iter().map(|s| Val::str(*s)).collect())
    }

    #[test]
    fn reads_var_files_and_vars_from_arguments() {
        let repo = RepoFiles {
            root: PathBuf::from("/repo"),
            files: Vec::new(),
        };
        let block = Val::Map(
            [
                ("commands".to_string(), strs(&["plan", "apply"])),
                (
                    "arguments".to_string(),
                    strs(&[
                        "-var-file=/repo/config.tfvars",
                        "-var-file",
                        "local.tfvars",
                        "-var=env=prod",
                        "-lock-timeout=5m",
                        "-var-file=/elsewhere/x.tfvars",
                    ]),
                ),
                (
                    "optional_var_files".to_string(),
                    strs(&["/repo/opt.tfvars"]),
                ),
            ]
            .into(),
        );
        let got: Vec<String> = var_sources(&repo, "stacks/a", "vars", block)
            .into_iter()
            .map(|s| match s {
                VarSource::File { path, optional } => format!("file {path} {optional}"),
                VarSource::Var(k, v) => format!("var {k}={v:?}"),
                VarSource::Unknown(why) => format!("unknown {why}"),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                "file config.tfvars false".to_string(),
                "file stacks/a/local.tfvars false".to_string(),
                "var env=String(\"prod\")".to_string(),
                "unknown var file `/elsewhere/x.tfvars` is outside the repository".to_string(),
                "file opt.tfvars true".to_string(),
            ]
        );
        // Blocks for other commands pass nothing.
        let other = Val::Map([("commands".to_string(), strs(&["init"]))].into());
        assert!(var_sources(&repo, "stacks/a", "init", other).is_empty());
    }

    #[test]
    fn merges_inputs_shallow_or_deep() {
        let map = |pairs: &[(&str, Val)]| {
            Val::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            )
        };
        let base = map(&[("a", Val::str("1")), ("m", map(&[("x", Val::str("1"))]))]);
        let over = map(&[("m", map(&[("y", Val::str("2"))]))]);
        let shallow = merge(base.clone(), over.clone(), false);
        assert_eq!(shallow.get("m"), map(&[("y", Val::str("2"))]));
        assert_eq!(shallow.get("a"), Val::str("1"));
        let deep = merge(base, over, true);
        assert_eq!(
            deep.get("m"),
            map(&[("x", Val::str("1")), ("y", Val::str("2"))])
        );
        assert!(merge(Val::unknown("x"), Val::Map(Default::default()), false).is_unknown());
    }
}
