//! Embeds every docs/rules/<id>.md page so `infra-audit rules explain` works from any
//! directory; the list is generated, never maintained by hand.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    println!("cargo:rerun-if-changed={}", docs.display());
    let mut pages: Vec<(String, String)> = std::fs::read_dir(&docs)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .map(|p| {
                    println!("cargo:rerun-if-changed={}", p.display());
                    let id = p.file_stem().unwrap().to_string_lossy().into_owned();
                    (id, p.display().to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    let mut out = String::from("/// Rule documentation pages: `(rule id, markdown)`.\npub static RULE_DOCS: &[(&str, &str)] = &[\n");
    for (id, path) in pages {
        writeln!(out, "    ({id:?}, include_str!({path:?})),").unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("rule_docs.rs");
    std::fs::write(dest, out).unwrap();
}
