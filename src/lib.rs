//! infra-audit: a policy and drift auditor for infrastructure-as-code repositories.
//!
//! Data flows one way: files -> parsed sources -> repository index -> rules -> findings
//! -> suppressions -> reports. A rule never reads files or prints; a reporter never parses.

pub mod audit;
pub mod baseline;
pub mod changed;
pub mod cli;
pub mod commands;
pub mod config;
pub mod declared;
pub mod detect;
pub mod docs;
pub mod drift;
pub mod finding;
pub mod fingerprint;
pub mod fix;
pub mod flux_facts;
pub mod forgejo;
pub mod git;
pub mod index;
pub mod inventory;
pub mod live;
pub mod pack;
pub mod packtest;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod syntax;
pub mod workspace;
