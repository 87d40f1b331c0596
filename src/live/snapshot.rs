//! Live inventory from `kubectl get ... -A -o json` files: the offline equal of the API.
//!
//! Each file holds one List: `kind: List` (what kubectl prints, every item carrying its own
//! `kind` and `apiVersion`) or a typed list such as `DeploymentList` (what the API returns,
//! whose items may lack them: they are taken from the list). Several files merge; when the
//! same object (kind, namespace, name) is in more than one, the last file given wins.

use super::{object, LiveInventory};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Reads and merges snapshot files.
///
/// `kinds_read` holds the kinds present in the files: the kinds of their items, plus the
/// kind of every typed list (an empty `PersistentVolumeClaimList` says there are none). A
/// snapshot says nothing about kinds it does not contain, so those are neither read nor
/// "not measured": the caller compares only `kinds_read`. `not_measured` is empty and
/// `source` is the paths, comma-separated.
///
/// Secret and ConfigMap values (`data`, `stringData`, `binaryData`, and the
/// last-applied-configuration annotation) are dropped as each item is read.
///
/// Fails, naming the file, on an unreadable file, invalid JSON (with its line and column),
/// a file that is not a List, or an item without kind, apiVersion or `metadata.name`.
pub fn from_snapshots(paths: &[PathBuf]) -> Result<LiveInventory> {
    let mut inventory = LiveInventory {
        source: paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        ..LiveInventory::default()
    };
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read snapshot {}", path.display()))?;
        read_list(path, &text, &mut inventory)?;
    }
    inventory.normalize();
    Ok(inventory)
}

/// Adds the items of one List file to `inventory`.
fn read_list(path: &Path, text: &str, inventory: &mut LiveInventory) -> Result<()> {
    let shown = path.display();
    // PowerShell's `Out-File -Encoding utf8` starts the file with a byte order mark, which
    // serde_json rejects as "expected value at line 1 column 1" on a file that looks fine.
    // Regression test: tests/hostile.rs `snapshot_that_is_not_a_list_exits_2`.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "{shown}:{}:{}: snapshot is not valid JSON: {e}",
            e.line(),
            e.column()
        )
    })?;
    let list_kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    let items = value.get("items").and_then(Value::as_array);
    let (true, Some(items)) = (list_kind.ends_with("List"), items) else {
        bail!(
            "{shown}: not a Kubernetes List (kind {list_kind:?}{}); expected the output of \
             `kubectl get ... -o json`",
            if items.is_none() { ", no items" } else { "" }
        );
    };
    // `DeploymentList` -> `Deployment`; a plain `List` names no kind.
    let item_kind = list_kind.strip_suffix("List").filter(|k| !k.is_empty());
    let list_api_version = value.get("apiVersion").and_then(Value::as_str);
    if let Some(kind) = item_kind {
        inventory.kinds_read.push(kind.to_string());
    }
    for (i, item) in items.iter().enumerate() {
        let field = |key: &str| item.get(key).and_then(Value::as_str);
        let kind = field("kind")
            .or(item_kind)
            .with_context(|| format!("{shown}: item {i} has no kind"))?;
        let api_version = field("apiVersion")
            .or(item_kind.and(list_api_version))
            .with_context(|| format!("{shown}: item {i} ({kind}) has no apiVersion"))?;
        let obj = object::from_json(kind, api_version, item.clone())
            .with_context(|| format!("{shown}: item {i}"))?;
        inventory.kinds_read.push(obj.kind.clone());
        inventory.objects.push(obj);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Writes each text to its own file in a temporary directory.
    fn files(texts: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let paths = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let path = dir.path().join(format!("snap{i}.json"));
                std::fs::File::create(&path)
                    .and_then(|mut f| f.write_all(text.as_bytes()))
                    .unwrap();
                path
            })
            .collect();
        (dir, paths)
    }

    const TYPED: &str = r#"{
      "apiVersion": "apps/v1", "kind": "DeploymentList",
      "metadata": {"resourceVersion": "42"},
      "items": [
        {"metadata": {"name": "web", "namespace": "apps", "labels": {"app": "web"}},
         "spec": {"replicas": 2}},
        {"metadata": {"name": "api", "namespace": "apps"}}
      ]
    }"#;

    const MIXED: &str = r#"{
      "apiVersion": "v1", "kind": "List", "metadata": {},
      "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}},
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "db", "namespace": "apps", "annotations": {
           "kubectl.kubernetes.io/last-applied-configuration": "{\"stringData\":{\"pw\":\"plain-pw\"}}"}},
         "type": "Opaque", "data": {"pw": "c2VjcmV0LXB3"}, "stringData": {"pw": "plain-pw"}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "cfg", "namespace": "apps"}, "data": {"k": "cfg-value"},
         "binaryData": {"b": "YmluYXJ5"}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "namespace": "apps"}, "spec": {"replicas": 3}}
      ]
    }"#;

    #[test]
    fn reads_typed_lists_deriving_kind_and_api_version() {
        let (_dir, paths) = files(&[TYPED]);
        let inv = from_snapshots(&paths).unwrap();
        assert_eq!(inv.kinds_read, ["Deployment"]);
        assert_eq!(inv.objects.len(), 2);
        let web = &inv.objects[1];
        assert_eq!(
            (web.kind.as_str(), web.name.as_str()),
            ("Deployment", "web")
        );
        assert_eq!(web.api_version, "apps/v1");
        assert_eq!(web.namespace.as_deref(), Some("apps"));
        assert_eq!(web.labels["app"], "web");
        assert_eq!(web.raw["kind"], "Deployment");
        assert_eq!(inv.source, paths[0].display().to_string());
        assert!(inv.not_measured.is_empty());
    }

    #[test]
    fn merges_files_later_wins_and_drops_secret_values() {
        let (_dir, paths) = files(&[TYPED, MIXED]);
        let inv = from_snapshots(&paths).unwrap();
        assert_eq!(
            inv.kinds_read,
            ["ConfigMap", "Deployment", "Namespace", "Secret"]
        );
        let names: Vec<_> = inv
            .objects
            .iter()
            .map(|o| format!("{}/{}", o.kind, o.name))
            .collect();
        assert_eq!(
            names,
            [
                "ConfigMap/cfg",
                "Deployment/api",
                "Deployment/web",
                "Namespace/apps",
                "Secret/db"
            ]
        );
        // The second file's web (3 replicas) replaced the first's.
        assert_eq!(inv.objects[2].raw["spec"]["replicas"], 3);
        let text = format!("{inv:?}");
        for value in ["plain-pw", "c2VjcmV0LXB3", "cfg-value", "YmluYXJ5"] {
            assert!(!text.contains(value), "{value} leaked");
        }
        assert_eq!(inv.objects[4].raw["type"], "Opaque");
        assert!(inv.source.contains(", "));
    }

    #[test]
    fn an_empty_typed_list_counts_as_read() {
        let (_dir, paths) =
            files(&[r#"{"apiVersion":"v1","kind":"PersistentVolumeClaimList","items":[]}"#]);
        let inv = from_snapshots(&paths).unwrap();
        assert_eq!(inv.kinds_read, ["PersistentVolumeClaim"]);
        assert!(inv.measured("PersistentVolumeClaim", Some("apps")));
        assert!(!inv.measured("Deployment", Some("apps")));
    }

    #[test]
    fn rejects_a_file_that_is_not_a_list() {
        let (_dir, paths) =
            files(&[r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}"#]);
        let err = from_snapshots(&paths).unwrap_err().to_string();
        assert!(err.starts_with(&paths[0].display().to_string()), "{err}");
        assert!(
            err.contains("not a Kubernetes List (kind \"Deployment\", no items)"),
            "{err}"
        );
        let (_dir, paths) = files(&["[1, 2]"]);
        let err = from_snapshots(&paths).unwrap_err().to_string();
        assert!(err.contains("not a Kubernetes List"), "{err}");
    }

    #[test]
    fn invalid_json_names_file_line_and_column() {
        let (_dir, paths) = files(&[TYPED, "{\n  \"kind\": \"List\",\n  \"items\": [,]\n}"]);
        let err = from_snapshots(&paths).unwrap_err().to_string();
        let expected = format!("{}:3:13: snapshot is not valid JSON", paths[1].display());
        assert!(err.starts_with(&expected), "{err}");
    }

    #[test]
    fn items_need_kind_api_version_and_name() {
        let (_dir, paths) =
            files(&[r#"{"kind":"List","items":[{"apiVersion":"v1","metadata":{"name":"x"}}]}"#]);
        let err = from_snapshots(&paths).unwrap_err().to_string();
        assert!(err.ends_with(": item 0 has no kind"), "{err}");
        let (_dir, paths) =
            files(&[r#"{"kind":"List","items":[{"kind":"Service","metadata":{"name":"x"}}]}"#]);
        let err = from_snapshots(&paths).unwrap_err().to_string();
        assert!(
            err.ends_with(": item 0 (Service) has no apiVersion"),
            "{err}"
        );
        let (_dir, paths) =
            files(&[r#"{"kind":"ServiceList","apiVersion":"v1","items":[{"metadata":{}}]}"#]);
        let err = format!("{:#}", from_snapshots(&paths).unwrap_err());
        assert!(
            err.ends_with(": item 0: Service item has no metadata.name"),
            "{err}"
        );
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let err = from_snapshots(&[PathBuf::from("/nonexistent/snap.json")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read snapshot /nonexistent/snap.json"
        );
    }
}
