//! YAML: the input is written as a Kubernetes/Flux manifest and as a `kustomization.yaml`,
//! then audited with the default packs (forbidden values and the other text rules read
//! YAML) and read into the declared inventory (the YAML manifest reader, Flux
//! Kustomizations and post-build substitution).

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    common::write("apps/app.yaml", text);
    common::write("apps/kustomization.yaml", text);
    common::audit_and_render(&common::options());
    let exclude = infra_audit::workspace::globset(&[]).expect("empty globset");
    let _ = infra_audit::inventory::declared(common::repo(), &exclude);
});
