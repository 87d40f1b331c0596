//! Atomic file replacement: a temporary file in the same directory, the original's
//! permissions, then a rename, so a crash of this process never leaves a half-written file.
//! (No fsync: like formatters and linters, we trade power-loss durability for speed; the
//! files are under version control.)

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Replaces `path` with `text` atomically, keeping its permissions.
pub fn atomic(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().context("file has no parent directory")?;
    let permissions = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".infra-audit-fix")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// Creates (or replaces) `path` with `text` through a temporary file renamed into place, so
/// an interrupted run never leaves a half-written file.
pub fn atomic_new(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().context("file has no parent directory")?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".infra-audit-new")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keeps_mode_and_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.sh");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o751)).unwrap();
        atomic(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o751
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
