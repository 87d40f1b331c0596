//! One file of the audited repository as text, with the line index every report needs.

use std::ops::Range;
use std::path::PathBuf;

/// What kind of text a file holds; decides which parser and which rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Terraform / Terragrunt HCL: `.tf`, `.hcl`, `.tfvars`.
    Hcl,
    /// YAML: `.yaml`, `.yml`.
    Yaml,
    /// JSON: `.json` (no comments).
    Json,
    /// Shell, Python, INI, templates and other code or config with `#`-style comments.
    HashComments,
    /// Markdown and other prose: never scanned for forbidden values.
    Prose,
    /// Any other text file (read by rules that name it explicitly, such as the exports file).
    Other,
}

impl FileKind {
    /// Classifies a file by its name.
    pub fn from_path(path: &str) -> FileKind {
        let name = path.rsplit('/').next().unwrap_or(path);
        let Some((_, ext)) = name.rsplit_once('.') else {
            return FileKind::Other;
        };
        // Compared without case, without lower-casing a copy of every name.
        let is = |names: &[&str]| names.iter().any(|n| ext.eq_ignore_ascii_case(n));
        if is(&["tf", "hcl", "tfvars"]) {
            FileKind::Hcl
        } else if is(&["yaml", "yml"]) {
            FileKind::Yaml
        } else if is(&["json"]) {
            FileKind::Json
        } else if is(&[
            "sh",
            "bash",
            "zsh",
            "py",
            "ini",
            "cfg",
            "conf",
            "tpl",
            "tmpl",
            "env",
            "toml",
            "properties",
            "rb",
            "pl",
        ]) {
            FileKind::HashComments
        } else if is(&["md", "markdown", "txt", "rst", "adoc"]) {
            FileKind::Prose
        } else {
            FileKind::Other
        }
    }

    /// Whether this kind holds code or configuration (as opposed to prose).
    pub fn is_code(self) -> bool {
        !matches!(self, FileKind::Prose)
    }
}

/// A UTF-8 source file with a precomputed line index.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    /// Absolute path on disk (for `--fix` and error messages).
    pub abs_path: PathBuf,
    /// The file's text, exactly as read.
    pub text: String,
    /// What kind of file this is.
    pub kind: FileKind,
    line_starts: Vec<usize>,
}

/// A 1-based line/column position; columns count Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl SourceFile {
    /// Wraps already-read text; `path` must be repo-relative.
    pub fn new(path: String, abs_path: PathBuf, text: String) -> SourceFile {
        let kind = FileKind::from_path(&path);
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile {
            path,
            abs_path,
            text,
            kind,
            line_starts,
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The 1-based position of byte `offset` (clamped to the text).
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        Position { line, column }
    }

    /// Number of lines (a final newline does not start a new line).
    pub fn line_count(&self) -> usize {
        if self.text.ends_with('\n') {
            self.line_starts.len() - 1
        } else {
            self.line_starts.len()
        }
    }

    /// Byte range of 1-based `line`, without its line terminator (`\n` or `\r\n`).
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let start = self.line_starts[line - 1];
        let mut end = self
            .line_starts
            .get(line)
            .map(|next| next - 1)
            .unwrap_or(self.text.len());
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }

    /// Text of 1-based `line`, without its line terminator.
    pub fn line_text(&self, line: usize) -> &str {
        &self.text[self.line_range(line)]
    }

    /// Iterates `(line_number, text)` over all lines.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &str)> {
        (1..=self.line_count()).map(move |l| (l, self.line_text(l)))
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// Why a file was not audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Starts with git-crypt's `\0GITCRYPT\0` header.
    GitCrypt,
    /// A SOPS-encrypted file (carries `sops` metadata).
    Sops,
    /// Holds NUL bytes: not text.
    Binary,
    /// Not valid UTF-8.
    NonUtf8,
    /// Could not be read (permissions, I/O error): counts as "could not measure".
    Unreadable,
    /// A Terraform or Terragrunt cache directory (`.terraform/`, `.terragrunt-cache/`).
    CacheDirectory,
    /// Did not parse, and the `parse-error` rule is turned off: still "could not measure".
    Unparsable,
}

impl SkipReason {
    /// Human wording used in summaries.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::GitCrypt => "git-crypt encrypted",
            SkipReason::Sops => "SOPS encrypted",
            SkipReason::Binary => "binary",
            SkipReason::NonUtf8 => "not UTF-8",
            SkipReason::Unreadable => "unreadable",
            SkipReason::CacheDirectory => "cache directory",
            SkipReason::Unparsable => "did not parse",
        }
    }
}

/// Decides whether raw bytes are auditable text; returns the text or why not.
pub fn decode(path: &str, bytes: Vec<u8>) -> Result<String, SkipReason> {
    if bytes.starts_with(b"\0GITCRYPT\0") {
        return Err(SkipReason::GitCrypt);
    }
    let probe = &bytes[..bytes.len().min(8192)];
    if memchr::memchr(0, probe).is_some() {
        return Err(SkipReason::Binary);
    }
    let text = String::from_utf8(bytes).map_err(|_| SkipReason::NonUtf8)?;
    if is_sops(path, &text) {
        return Err(SkipReason::Sops);
    }
    Ok(text)
}

/// Whether `text` holds SOPS's encrypted-value marker or a `"mac"` / `mac:` key: every file
/// of a repository is tested, so this is one memchr search per marker (`str::contains` three
/// times over every file was 1.3% of an audit's instructions, callgrind).
fn has_sops_meta(text: &str) -> bool {
    static ENC: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"ENC[AES256_GCM,"));
    static MAC: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"mac"));
    let bytes = text.as_bytes();
    ENC.find(bytes).is_some()
        || MAC.find_iter(bytes).any(|i| match bytes.get(i + 3) {
            Some(b':') => true,
            Some(b'"') => i > 0 && bytes[i - 1] == b'"',
            _ => false,
        })
}

/// SOPS writes its metadata under a top-level `sops` key with `mac` and `version` fields.
fn is_sops(path: &str, text: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if !has_sops_meta(text) {
        return false;
    }
    let yaml_style = text.lines().any(|l| l == "sops:");
    let json_style = text.contains("\"sops\":") || text.contains("\"sops\" :");
    let dotenv_style = text.lines().any(|l| l.starts_with("sops_mac="));
    yaml_style || json_style || dotenv_style || name.contains(".sops.") && text.contains("ENC[")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("a.tf".into(), PathBuf::from("a.tf"), text.into())
    }

    #[test]
    fn kinds_by_extension_in_any_case() {
        for (path, kind) in [
            ("a/main.tf", FileKind::Hcl),
            ("MAIN.TF", FileKind::Hcl),
            ("x.Tfvars", FileKind::Hcl),
            ("k/app.YML", FileKind::Yaml),
            ("p.json", FileKind::Json),
            ("s.Sh", FileKind::HashComments),
            ("README.md", FileKind::Prose),
            ("Makefile", FileKind::Other),
            ("dir.tf/file", FileKind::Other),
            ("a.tf.bak", FileKind::Other),
        ] {
            assert_eq!(FileKind::from_path(path), kind, "{path}");
        }
    }

    #[test]
    fn sops_markers_are_found_where_contains_found_them() {
        let old =
            |t: &str| t.contains("ENC[AES256_GCM,") || t.contains("\"mac\"") || t.contains("mac:");
        for text in [
            "",
            "mac",
            "\"mac\"",
            "x\"mac\": 1",
            "mac:",
            "  mac: ENC[AES256_GCM,data:abc]",
            "machine: x",
            "\"mac",
            "mac\"",
            "imac: 1",
            "a = \"ENC[AES256_GCM\"",
            "ENC[AES256_GCM,",
        ] {
            assert_eq!(has_sops_meta(text), old(text), "{text:?}");
        }
    }

    #[test]
    fn positions_and_crlf_lines() {
        let f = file("ab\r\ncd\r\n");
        assert_eq!(f.line_count(), 2);
        assert_eq!(f.line_text(1), "ab");
        assert_eq!(f.line_text(2), "cd");
        assert_eq!(f.position(4), Position { line: 2, column: 1 });
        assert_eq!(f.position(5), Position { line: 2, column: 2 });
    }

    #[test]
    fn columns_count_characters() {
        let f = file("é = \"x\"\n");
        assert_eq!(f.position(5).column, 5);
    }

    #[test]
    fn no_final_newline() {
        let f = file("a\nb");
        assert_eq!(f.line_count(), 2);
        assert_eq!(f.line_text(2), "b");
    }

    #[test]
    fn detects_encrypted_and_binary() {
        assert_eq!(
            decode("x.tfvars", b"\0GITCRYPT\0abc".to_vec()),
            Err(SkipReason::GitCrypt)
        );
        assert_eq!(decode("x.bin", vec![1, 0, 2]), Err(SkipReason::Binary));
        assert_eq!(
            decode("x.txt", vec![0xff, 0xfe, 0x41]),
            Err(SkipReason::NonUtf8)
        );
        let sops = "data: ENC[AES256_GCM,data:abc]\nsops:\n    mac: ENC[AES256_GCM,x]\n";
        assert_eq!(
            decode("s.sops.yaml", sops.as_bytes().to_vec()),
            Err(SkipReason::Sops)
        );
        assert!(decode("ok.yaml", b"a: b\n".to_vec()).is_ok());
    }
}
