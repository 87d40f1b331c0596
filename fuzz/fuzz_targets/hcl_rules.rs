//! HCL parsing and every HCL rule of the default packs: the input is written as a
//! Terraform file and a `terragrunt.hcl` of one stack, then audited (fixes computed,
//! every report format rendered) and read into the declared inventory, as `audit` and
//! `drift`/`inventory` do.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    common::write("stacks/app/main.tf", text);
    common::write("stacks/app/terragrunt.hcl", text);
    common::audit_and_render(&common::options());
    let exclude = infra_audit::workspace::globset(&[]).expect("empty globset");
    let _ = infra_audit::inventory::declared(common::repo(), &exclude);
});
