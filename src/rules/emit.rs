//! Building findings for one rule and one file.

use super::RuleMeta;
use crate::finding::{Applicability, Certainty, Finding, Fix, Location, Related, Severity};
use crate::index::{label_match, LabelMatch, NamespaceDecl};
use crate::source::SourceFile;
use crate::syntax::hcl::Owner;
use std::collections::HashMap;
use std::ops::Range;

/// A fact about the rest of the repository a finding depends on; decided after every
/// directory was read, so files can be checked (and their parse trees dropped) one
/// directory at a time.
#[derive(Debug, Clone)]
pub enum Condition {
    /// Namespace `namespace` is declared with label `key` = `value`.
    NamespaceLabel {
        /// Namespace name.
        namespace: String,
        /// Label key.
        key: String,
        /// Label value.
        value: String,
    },
}

/// A finding that stands only if its condition holds.
#[derive(Debug, Clone)]
pub struct Deferred {
    /// The finding as it would be reported.
    pub finding: Finding,
    /// What must hold.
    pub condition: Condition,
}

impl Deferred {
    /// The finding if its condition holds (with a pointer to the fact), a "could not
    /// verify" finding if the condition could not be evaluated, `None` if it fails.
    pub fn resolve(self, namespaces: &HashMap<String, Vec<NamespaceDecl>>) -> Option<Finding> {
        let Condition::NamespaceLabel {
            namespace,
            key,
            value,
        } = &self.condition;
        let mut finding = self.finding;
        match label_match(namespaces, namespace, key, value) {
            LabelMatch::No => return None,
            LabelMatch::Yes(decl) => finding.related.push(Related {
                location: decl.location.clone(),
                message: format!("namespace `{namespace}` is labelled `{key} = \"{value}\"` here"),
            }),
            LabelMatch::Unknown(decl, why) => {
                finding.message = format!(
                    "could not verify `{}`: the labels of namespace `{namespace}` (`{}` in {}) could not be evaluated ({why})",
                    finding.resource.clone().unwrap_or_default(),
                    decl.address,
                    decl.path
                );
                finding.certainty = Certainty::Unverified;
                finding.fix = None;
                finding.fixable = false;
                finding.help = Some(format!(
                    "give `{}` labels that can be read statically (a literal map, a local, or merge() of those), or suppress with a reason",
                    decl.address
                ));
                finding.related.push(Related {
                    location: decl.location.clone(),
                    message: format!("labels of namespace `{namespace}`"),
                });
            }
        }
        Some(finding)
    }
}

/// Collects the findings one rule reports on one file, filling in the rule's metadata.
pub struct Emitter<'a> {
    meta: &'a RuleMeta,
    file: &'a SourceFile,
    /// What was reported so far.
    pub findings: Vec<Finding>,
    /// Findings waiting on a repository-wide condition.
    pub deferred: Vec<Deferred>,
}

impl<'a> Emitter<'a> {
    /// Starts collecting for `meta` on `file`.
    pub fn new(meta: &'a RuleMeta, file: &'a SourceFile) -> Emitter<'a> {
        Emitter {
            meta,
            file,
            findings: Vec::new(),
            deferred: Vec::new(),
        }
    }

    /// Makes the most recent finding conditional on `condition`: decided now when `local`
    /// declares the namespace (a stack usually declares its own), else after every
    /// directory was read.
    pub fn condition_last(
        &mut self,
        condition: Condition,
        local: &HashMap<String, Vec<NamespaceDecl>>,
    ) {
        let Some(finding) = self.findings.pop() else {
            return;
        };
        let deferred = Deferred { finding, condition };
        let Condition::NamespaceLabel { namespace, .. } = &deferred.condition;
        if local.contains_key(namespace) {
            self.findings.extend(deferred.resolve(local));
        } else {
            self.deferred.push(deferred);
        }
    }

    /// Reports a violation at `span`.
    pub fn violation(&mut self, span: Range<usize>, message: impl Into<String>) -> &mut Finding {
        self.push(span, message.into(), Certainty::Violation)
    }

    /// Reports that the rule could not be verified at `span` (never counted as clean).
    pub fn unverified(&mut self, span: Range<usize>, message: impl Into<String>) -> &mut Finding {
        self.push(span, message.into(), Certainty::Unverified)
    }

    fn push(&mut self, span: Range<usize>, message: String, certainty: Certainty) -> &mut Finding {
        let help = match certainty {
            Certainty::Violation => self.meta.help.clone(),
            Certainty::Unverified => Some(
                "make the value statically resolvable (a literal, a local, or a variable with a default in the same module), or suppress with a reason".into(),
            ),
        };
        self.findings.push(Finding {
            certainty,
            help,
            ..Finding::new(
                self.meta.id.clone(),
                self.meta.severity,
                message,
                Location::new(self.file, span),
            )
        });
        self.findings.last_mut().expect("just pushed")
    }

    /// The file being checked.
    pub fn file(&self) -> &'a SourceFile {
        self.file
    }
}

impl Finding {
    /// Attaches the enclosing resource or module.
    pub fn owned_by(&mut self, owner: &Owner, file: &SourceFile) -> &mut Finding {
        self.resource = Some(owner.address.clone());
        self.resource_line = Some(file.position(owner.header.start).line);
        self.resource_end_line = Some(file.position(owner.block.end.saturating_sub(1)).line);
        self
    }

    /// Adds a secondary location.
    pub fn related(
        &mut self,
        file: &SourceFile,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.related.push(Related {
            location: Location::new(file, span),
            message: message.into(),
        });
        self
    }

    /// Overrides the severity (for a parameter with its own, lower severity).
    pub fn severity(&mut self, severity: Severity) -> &mut Finding {
        self.severity = severity;
        self
    }

    /// Attaches a fix; `fixable` reports whether a safe one exists.
    pub fn with_fix(&mut self, fix: Option<Fix>) -> &mut Finding {
        self.fixable = fix
            .as_ref()
            .is_some_and(|f| f.applicability == Applicability::Safe);
        self.fix = fix;
        self
    }

    /// Replaces the help text.
    pub fn help(&mut self, help: impl Into<String>) -> &mut Finding {
        self.help = Some(help.into());
        self
    }
}
