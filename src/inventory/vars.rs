//! The values a root module's variables get, in Terraform's order of precedence (later wins):
//! variable defaults, Terragrunt `inputs` (passed as `TF_VAR_*`), the stack's
//! `terraform.tfvars[.json]`, `*.auto.tfvars[.json]`, then `-var-file`s and `-var`s from
//! Terragrunt's `extra_arguments`. A var file that cannot be read (git-crypt, SOPS) could
//! set any variable: every variable it could override becomes unknown, never empty.

use super::eval::{eval, Empty};
use super::load::{dir_of, RepoFiles, Unreadable};
use super::terragrunt::{Terragrunt, VarSource};
use super::value::Val;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The variables a var file sets, or why it could not be read.
pub type VarFile = Result<BTreeMap<String, Val>, Unreadable>;

/// Var files already read (shared by every stack: the root `config.tfvars` is read once).
#[derive(Default)]
pub struct VarFileCache(Mutex<HashMap<String, Arc<VarFile>>>);

impl VarFileCache {
    /// Reads (or recalls) a repo-relative var file.
    pub fn get(&self, repo: &RepoFiles, path: &str) -> Arc<VarFile> {
        if let Some(v) = self.lock().get(path) {
            return v.clone();
        }
        let v = Arc::new(read_var_file(repo, path));
        self.lock().insert(path.to_string(), v.clone());
        v
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<VarFile>>> {
        // A panic while holding the lock cannot leave the map half-written: recover it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Parses a `.tfvars` (HCL, literal values) or `.tfvars.json` file.
pub fn read_var_file(repo: &RepoFiles, path: &str) -> VarFile {
    let file = repo.read(path)?;
    if path.ends_with(".json") {
        let json: serde_json::Value = serde_json::from_str(&file.text)
            .map_err(|e| Unreadable::Error(format!("not valid JSON: {e}")))?;
        return match Val::from_json(&json) {
            Val::Map(map) => Ok(map),
            _ => Err(Unreadable::Error("not a JSON object".into())),
        };
    }
    let body = crate::syntax::hcl::parse_body(&file.text).map_err(|e| {
        Unreadable::Error(format!(
            "does not parse (line {}): {}",
            e.location().line(),
            e.message()
        ))
    })?;
    Ok(crate::syntax::hcl::attributes(&body)
        .map(|a| (a.key.as_str().to_string(), eval(&Empty, &a.value, 0)))
        .collect())
}

/// The values given to the root module in `stack_dir` whose variables are `declared`
/// (variables without an entry keep their defaults).
pub fn root_vars(
    repo: &RepoFiles,
    cache: &VarFileCache,
    stack_dir: &str,
    declared: &[String],
    terragrunt: Option<&Terragrunt>,
) -> BTreeMap<String, Val> {
    let mut values: BTreeMap<String, Val> = BTreeMap::new();
    let set_all = |values: &mut BTreeMap<String, Val>, why: &str| {
        for name in declared {
            values.insert(name.clone(), Val::unknown(why));
        }
    };
    if let Some(tg) = terragrunt {
        match &tg.inputs {
            Val::Map(inputs) => values.extend(inputs.clone()),
            other => set_all(
                &mut values,
                &format!(
                    "Terragrunt inputs could not be evaluated: {}",
                    other.first_unknown().unwrap_or("not a map")
                ),
            ),
        }
    }
    for path in auto_var_files(repo, stack_dir) {
        apply_file(&mut values, declared, &path, false, &cache.get(repo, &path));
    }
    for source in terragrunt.map(|t| t.sources.as_slice()).unwrap_or_default() {
        match source {
            VarSource::File { path, optional } => apply_file(
                &mut values,
                declared,
                path,
                *optional,
                &cache.get(repo, path),
            ),
            VarSource::Var(name, value) => {
                values.insert(name.clone(), value.clone());
            }
            VarSource::Unknown(why) => set_all(&mut values, why),
        }
    }
    values
}

/// The stack's automatically loaded var files, in load order.
fn auto_var_files(repo: &RepoFiles, stack_dir: &str) -> Vec<String> {
    let in_dir: Vec<&String> = repo
        .files_in_tree(stack_dir)
        .iter()
        .filter(|f| dir_of(f) == stack_dir)
        .collect();
    let name = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
    let mut out: Vec<String> = ["terraform.tfvars", "terraform.tfvars.json"]
        .iter()
        .filter_map(|n| in_dir.iter().find(|f| name(f) == *n).map(|f| f.to_string()))
        .collect();
    let mut auto: Vec<String> = in_dir
        .iter()
        .filter(|f| {
            let n = name(f);
            n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
        })
        .map(|f| f.to_string())
        .collect();
    auto.sort();
    out.extend(auto);
    out
}

fn apply_file(
    values: &mut BTreeMap<String, Val>,
    declared: &[String],
    path: &str,
    optional: bool,
    file: &VarFile,
) {
    let why = match file {
        Ok(vars) => {
            values.extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
            return;
        }
        Err(Unreadable::Missing) if optional => return,
        Err(Unreadable::Missing) => format!("var file `{path}` does not exist"),
        Err(why) => format!("may be set in `{path}`, which is {why}"),
    };
    for name in declared {
        values.insert(name.clone(), Val::unknown(&why));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hcl_and_json_var_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.tfvars"),
            "x = \"1\"\nl = [\"a\", \"b\"]\nref = var.y\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("b.tfvars.json"), "{\"x\": 2}").unwrap();
        std::fs::write(dir.path().join("c.tfvars"), "x = \n").unwrap();
        let repo = RepoFiles {
            root: dir.path().to_path_buf(),
            files: Vec::new(),
        };
        let a = read_var_file(&repo, "a.tfvars").unwrap();
        assert_eq!(a["x"], Val::str("1"));
        assert_eq!(a["l"], Val::List(vec![Val::str("a"), Val::str("b")]));
        assert!(a["ref"].is_unknown());
        assert_eq!(
            read_var_file(&repo, "b.tfvars.json").unwrap()["x"],
            Val::int(2)
        );
        assert!(matches!(
            read_var_file(&repo, "c.tfvars"),
            Err(Unreadable::Error(_))
        ));
        assert!(matches!(
            read_var_file(&repo, "none.tfvars"),
            Err(Unreadable::Missing)
        ));
    }
}
