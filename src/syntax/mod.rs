//! Parsers that keep spans and comments, and the parsed model of one source file.

pub mod comments;
pub mod hcl;
pub mod hcl_dump;
pub mod hcl_parse;
pub mod yaml;
