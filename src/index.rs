//! Facts gathered from the whole repository before rules run: namespaces and their labels,
//! and each module directory's locals, variable defaults and namespace resources, so rules
//! can evaluate simple expressions (`local.ns`, `var.x`, `kubernetes_namespace.x.metadata[0].name`).

use crate::source::SourceFile;
use crate::syntax::hcl::{self, HclFile};
use hcl_edit::expr::Expression;
use hcl_edit::template::Element;
use hcl_edit::Span;
use std::collections::{BTreeMap, HashMap};

/// A hash map with foldhash's hasher: the module index is rebuilt for every directory and
/// looked up by every rule, and std's SipHash was 2.5% of an audit (callgrind). The keys are
/// the repository's own names; the hasher is still seeded per process.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One parsed HCL file, as the index sees it.
pub struct IndexedFile<'a> {
    /// The file.
    pub file: &'a SourceFile,
    /// Its parse tree.
    pub hcl: &'a HclFile,
}

/// An expression together with the file it came from (needed to read its source text).
#[derive(Clone, Copy)]
pub struct SourcedExpr<'a> {
    /// The file holding the expression.
    pub file: &'a SourceFile,
    /// The expression.
    pub expr: &'a Expression,
}

/// What one module directory declares.
#[derive(Default)]
pub struct ModuleScope<'a> {
    /// `locals { name = expr }`.
    pub locals: FastMap<String, SourcedExpr<'a>>,
    /// `variable "name" { default = expr }` (None when there is no default).
    pub variables: FastMap<String, Option<SourcedExpr<'a>>>,
    /// `resource "kubernetes_namespace" "x" { metadata { name = expr } }` keyed by `TYPE.x`.
    pub namespace_resources: FastMap<String, SourcedExpr<'a>>,
    /// Every `resource "TYPE" "NAME"` keyed by `TYPE.NAME`, and every `module "NAME"` keyed
    /// by `module.NAME`: rules that follow a reference to another file of the module
    /// (a deployment's `claim_name` to its claim) look them up here.
    pub blocks: FastMap<String, SourcedBlock<'a>>,
}

/// A block together with the file it came from.
#[derive(Clone, Copy)]
pub struct SourcedBlock<'a> {
    /// The file holding the block.
    pub file: &'a SourceFile,
    /// The block.
    pub block: &'a hcl_edit::structure::Block,
}

/// A `kubernetes_namespace` declared in the repo.
#[derive(Debug, Clone)]
pub struct NamespaceDecl {
    /// File that declares it.
    pub path: String,
    /// Terraform address.
    pub address: String,
    /// The resource header, for pointing at it from findings in other files.
    pub location: crate::finding::Location,
    /// Labels, or why they could not be evaluated.
    pub labels: Result<BTreeMap<String, String>, String>,
}

/// Whether a namespace carries a label.
#[derive(Debug)]
pub enum LabelMatch<'a> {
    /// Declared with the label.
    Yes(&'a NamespaceDecl),
    /// Not declared in the repository, or declared without the label.
    No,
    /// Declared, but its labels could not be evaluated.
    Unknown(&'a NamespaceDecl, &'a str),
}

/// Repository-wide facts.
#[derive(Default)]
pub struct RepoIndex<'a> {
    modules: FastMap<String, ModuleScope<'a>>,
    /// Namespaces by evaluated name.
    pub namespaces: HashMap<String, Vec<NamespaceDecl>>,
}

/// The result of evaluating an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A known string.
    Known(String),
    /// Not evaluable here; the text says what blocked it.
    Unknown(String),
}

const NAMESPACE_TYPES: &[&str] = &["kubernetes_namespace", "kubernetes_namespace_v1"];
const MAX_DEPTH: usize = 8;

/// Directory part of a repo-relative path (`""` for the root).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

impl<'a> RepoIndex<'a> {
    /// Builds the index from every parsed HCL file.
    pub fn build(files: &[IndexedFile<'a>]) -> RepoIndex<'a> {
        let mut index = RepoIndex::default();
        for f in files {
            let scope = index
                .modules
                .entry(dir_of(&f.file.path).to_string())
                .or_default();
            collect_scope(f, scope);
        }
        let mut namespaces: HashMap<String, Vec<NamespaceDecl>> = HashMap::new();
        for f in files {
            for (ty, name, block) in hcl::resources(&f.hcl.body) {
                if !NAMESPACE_TYPES.contains(&ty) {
                    continue;
                }
                let Some(meta) = hcl::block(&block.body, "metadata") else {
                    continue;
                };
                let Some(name_expr) = hcl::attr(&meta.body, "name") else {
                    continue;
                };
                let dir = dir_of(&f.file.path);
                let Value::Known(ns) = index.eval(dir, f.file, name_expr) else {
                    continue;
                };
                let labels = match hcl::attr(&meta.body, "labels") {
                    Some(l) => index.eval_map(dir, f.file, l, 0),
                    None => Ok(BTreeMap::new()),
                };
                namespaces.entry(ns).or_default().push(NamespaceDecl {
                    path: f.file.path.clone(),
                    address: format!("{ty}.{name}"),
                    location: crate::finding::Location::new(
                        f.file,
                        hcl::header_span(block).unwrap_or(0..0),
                    ),
                    labels,
                });
            }
        }
        index.namespaces = namespaces;
        index
    }

    /// What module directory `dir` declares (locals, variables, namespace resources).
    pub fn scope(&self, dir: &str) -> Option<&ModuleScope<'a>> {
        self.modules.get(dir)
    }

    /// Whether module directory `dir` declares `variable "name"`.
    pub fn declares_variable(&self, dir: &str, name: &str) -> bool {
        self.modules
            .get(dir)
            .is_some_and(|s| s.variables.contains_key(name))
    }

    /// Evaluates `expr` (found in `file`, in module directory `dir`) to a string.
    pub fn eval(&self, dir: &str, file: &SourceFile, expr: &Expression) -> Value {
        self.eval_depth(dir, file, expr, 0)
    }

    fn eval_depth(&self, dir: &str, file: &SourceFile, expr: &Expression, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown("reference chain too deep".into());
        }
        if let Some(s) = hcl::literal_str(expr) {
            return Value::Known(s);
        }
        match expr {
            Expression::Number(n) => Value::Known(n.value().to_string()),
            Expression::Bool(b) => Value::Known(b.value().to_string()),
            Expression::StringTemplate(t) => {
                let mut out = String::new();
                for element in t.iter() {
                    match element {
                        Element::Literal(l) => out.push_str(l.value()),
                        Element::Interpolation(i) => {
                            match self.eval_depth(dir, file, &i.expr, depth + 1) {
                                Value::Known(s) => out.push_str(&s),
                                unknown => return unknown,
                            }
                        }
                        Element::Directive(_) => {
                            return Value::Unknown("template directive".into())
                        }
                    }
                }
                Value::Known(out)
            }
            Expression::Traversal(_) | Expression::Variable(_) => {
                let text = hcl::normalized_text(&file.text, expr).unwrap_or_default();
                self.resolve_reference(dir, &text, depth)
            }
            _ => {
                let text = expr
                    .span()
                    .and_then(|s| file.text.get(s))
                    .unwrap_or("expression")
                    .trim();
                Value::Unknown(format!("`{}` is not a literal", shorten(text)))
            }
        }
    }

    fn resolve_reference(&self, dir: &str, reference: &str, depth: usize) -> Value {
        let scope = self.modules.get(dir);
        let unknown = |why: &str| Value::Unknown(format!("`{reference}` {why}"));
        if let Some(name) = reference.strip_prefix("local.") {
            return match scope.and_then(|s| s.locals.get(name)) {
                Some(se) => self.eval_depth(dir, se.file, se.expr, depth + 1),
                None => unknown("is not a local of this module"),
            };
        }
        if let Some(name) = reference.strip_prefix("var.") {
            return match scope.and_then(|s| s.variables.get(name)) {
                Some(Some(se)) => self.eval_depth(dir, se.file, se.expr, depth + 1),
                Some(None) => unknown("has no default (set by the caller or tfvars)"),
                None => unknown("is not a variable of this module"),
            };
        }
        for ty in NAMESPACE_TYPES {
            if let Some(rest) = reference.strip_prefix(ty).and_then(|r| r.strip_prefix('.')) {
                let Some((name, path)) = rest.split_once('.') else {
                    break;
                };
                if path != "metadata[0].name" && path != "id" {
                    break;
                }
                return match scope
                    .and_then(|s| s.namespace_resources.get(&[ty, ".", name].concat()))
                {
                    Some(se) => self.eval_depth(dir, se.file, se.expr, depth + 1),
                    None => unknown("names no namespace resource in this module"),
                };
            }
        }
        unknown("cannot be evaluated statically")
    }

    /// Evaluates a map of strings: an object literal, a reference to one (local, variable
    /// default), or `merge(...)` of those.
    pub fn eval_map(
        &self,
        dir: &str,
        file: &SourceFile,
        expr: &Expression,
        depth: usize,
    ) -> Result<BTreeMap<String, String>, String> {
        if depth > MAX_DEPTH {
            return Err("reference chain too deep".into());
        }
        match expr {
            Expression::Object(_) => {
                let mut out = BTreeMap::new();
                for (k, v) in hcl::object_entries(expr) {
                    let Some(k) = k else {
                        return Err("a computed key".into());
                    };
                    match self.eval_depth(dir, file, v, depth + 1) {
                        Value::Known(v) => out.insert(k, v),
                        Value::Unknown(why) => return Err(why),
                    };
                }
                Ok(out)
            }
            Expression::Parenthesis(p) => self.eval_map(dir, file, p.inner(), depth + 1),
            Expression::FuncCall(call) if call.name.name.as_str() == "merge" => {
                let mut out = BTreeMap::new();
                for arg in call.args.iter() {
                    out.extend(self.eval_map(dir, file, arg, depth + 1)?);
                }
                Ok(out)
            }
            Expression::Traversal(_) | Expression::Variable(_) => {
                let reference = hcl::normalized_text(&file.text, expr).unwrap_or_default();
                let scope = self.modules.get(dir);
                let target = if let Some(name) = reference.strip_prefix("local.") {
                    scope.and_then(|s| s.locals.get(name)).copied()
                } else if let Some(name) = reference.strip_prefix("var.") {
                    scope.and_then(|s| s.variables.get(name)).copied().flatten()
                } else {
                    None
                };
                match target {
                    Some(se) => self.eval_map(dir, se.file, se.expr, depth + 1),
                    None => Err(format!("`{reference}` cannot be evaluated statically")),
                }
            }
            _ => Err(format!(
                "`{}` is not a literal map",
                shorten(
                    expr.span()
                        .and_then(|s| file.text.get(s))
                        .unwrap_or("expression")
                )
            )),
        }
    }
}

/// Every namespace declared in the repository, by name: the one fact rules need from
/// outside a file's own module directory (built after all directories were read).
#[derive(Default)]
pub struct Namespaces(pub HashMap<String, Vec<NamespaceDecl>>);

impl Namespaces {
    /// Whether namespace `name` is declared with label `key` = `value`.
    pub fn namespace_label(&self, name: &str, key: &str, value: &str) -> LabelMatch<'_> {
        label_match(&self.0, name, key, value)
    }
}

/// Whether namespace `name` is declared in `decls` with label `key` = `value`.
pub fn label_match<'a>(
    decls: &'a HashMap<String, Vec<NamespaceDecl>>,
    name: &str,
    key: &str,
    value: &str,
) -> LabelMatch<'a> {
    let Some(decls) = decls.get(name) else {
        return LabelMatch::No;
    };
    let mut unknown = None;
    for decl in decls {
        match &decl.labels {
            Ok(labels) if labels.get(key).map(String::as_str) == Some(value) => {
                return LabelMatch::Yes(decl)
            }
            Ok(_) => {}
            Err(why) => unknown = Some((decl, why.as_str())),
        }
    }
    match unknown {
        Some((decl, why)) => LabelMatch::Unknown(decl, why),
        None => LabelMatch::No,
    }
}

fn collect_scope<'a>(f: &IndexedFile<'a>, scope: &mut ModuleScope<'a>) {
    for structure in f.hcl.body.iter() {
        let Some(block) = structure.as_block() else {
            continue;
        };
        match block.ident.as_str() {
            "locals" => {
                for attr in hcl::attributes(&block.body) {
                    scope.locals.insert(
                        attr.key.as_str().to_string(),
                        SourcedExpr {
                            file: f.file,
                            expr: &attr.value,
                        },
                    );
                }
            }
            "variable" => {
                if let Some(name) = block.labels.first() {
                    let default = hcl::attr(&block.body, "default")
                        .map(|expr| SourcedExpr { file: f.file, expr });
                    scope.variables.insert(name.as_str().to_string(), default);
                }
            }
            "module" => {
                if let Some(name) = block.labels.first() {
                    scope.blocks.insert(
                        ["module.", name.as_str()].concat(),
                        SourcedBlock {
                            file: f.file,
                            block,
                        },
                    );
                }
            }
            "resource" => {
                if let [ty, name] = block.labels.as_slice() {
                    scope.blocks.insert(
                        [ty.as_str(), ".", name.as_str()].concat(),
                        SourcedBlock {
                            file: f.file,
                            block,
                        },
                    );
                    if NAMESPACE_TYPES.contains(&ty.as_str()) {
                        if let Some(expr) = hcl::block(&block.body, "metadata")
                            .and_then(|m| hcl::attr(&m.body, "name"))
                        {
                            scope.namespace_resources.insert(
                                [ty.as_str(), ".", name.as_str()].concat(),
                                SourcedExpr { file: f.file, expr },
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn shorten(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        let cut: String = one_line.chars().take(57).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn sf(path: &str, text: &str) -> SourceFile {
        SourceFile::new(path.into(), PathBuf::from(path), text.into())
    }

    #[test]
    fn resolves_locals_vars_and_namespace_references() {
        let a = sf(
            "stacks/blog/main.tf",
            r#"
locals { ns = "blog" }
variable "other" { default = "x-${local.ns}" }
variable "nodefault" {}
resource "kubernetes_namespace" "blog" {
  metadata {
    name = local.ns
    labels = { "keel.sh/enrolled" = "true" }
  }
}
"#,
        );
        let parsed = hcl::parse(&a.text).unwrap();
        let files = [IndexedFile {
            file: &a,
            hcl: &parsed,
        }];
        let index = RepoIndex::build(&files);
        let eval = |src: &str| {
            let e = hcl_edit::parser::parse_expr(src).unwrap();
            let probe = sf("stacks/blog/x.tf", src);
            index.eval("stacks/blog", &probe, &e)
        };
        assert_eq!(
            eval("kubernetes_namespace.blog.metadata[0].name"),
            Value::Known("blog".into())
        );
        assert_eq!(eval("var.other"), Value::Known("x-blog".into()));
        assert!(matches!(eval("var.nodefault"), Value::Unknown(_)));
        assert!(matches!(eval("module.x.name"), Value::Unknown(_)));
        let namespaces = Namespaces(index.namespaces.clone());
        assert!(matches!(
            namespaces.namespace_label("blog", "keel.sh/enrolled", "true"),
            LabelMatch::Yes(_)
        ));
    }
}
