//! `audit --staged / --base / --commits`: reads the change with [`crate::git`] and turns it
//! into audit options.

use crate::audit::AuditOptions;
use crate::cli::AuditArgs;
use crate::{git, workspace};
use anyhow::{Context, Result};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// Adds the change the flags ask for to `opts` (nothing without --staged/--base/--commits).
pub fn apply(args: &AuditArgs, opts: &mut AuditOptions) -> Result<()> {
    let root = workspace::find_root(&args.path)?;
    let implied = !args.all_findings;
    if args.staged {
        let (changes, texts) =
            git::staged_contents(&root).context("cannot read the staged changes")?;
        let mut overlay: HashMap<PathBuf, String> = HashMap::new();
        for (path, bytes) in texts {
            if let Ok(text) = String::from_utf8(bytes) {
                overlay.insert(root.join(&path), text);
            }
        }
        let only: BTreeSet<String> = changes
            .files
            .iter()
            .filter(|f| f.kind != git::ChangeKind::Deleted)
            .map(|f| f.path.clone())
            .collect();
        opts.overlay = Some(Arc::new(overlay));
        opts.only_files = Some(Arc::new(only));
        opts.changes = Some(Arc::new(vec![changes]));
        opts.changed_only = args.changed_only || implied;
    } else if let Some(base) = &args.base {
        let changes = git::between(&root, base, &args.head)?;
        opts.changes = Some(Arc::new(vec![changes]));
        opts.changed_only = args.changed_only || implied;
    } else if let Some(range) = &args.commits {
        let mut sets = git::each_commit(&root, range)?;
        if args.no_merges {
            sets.retain(|set| set.commits.iter().all(|c| c.parents < 2));
        }
        opts.changes = Some(Arc::new(sets));
        opts.changed_only = args.changed_only;
    } else if args.changed_only {
        anyhow::bail!("--changed-only needs --staged, --base or --commits");
    }
    Ok(())
}
