//! Thin entry point: parse arguments, call the library, map the outcome to an exit code.

mod allocator;

use clap::Parser;
use infra_audit::cli::{Cli, Command};
use infra_audit::commands;

fn main() {
    disable_transparent_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            std::process::exit(code);
        }
    };
    // Parsers recurse (hcl-edit up to its 64-level nesting limit, serde for YAML and JSON):
    // 10,000-deep input is rejected by those limits, but input just under them needs more
    // stack than the 2 MiB std gives threads (a 63-deep `[for ...]` nest needs about 3 MiB in
    // a debug build), and running out aborts the process instead of reporting a parse error.
    // So the command runs on a thread with a large stack, and so do rayon's workers; only the
    // pages a thread touches are committed, so this costs nothing on ordinary input.
    // Regression test: tests/hostile.rs `deep_nesting_under_the_parser_limit_does_not_overflow`.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_SIZE)
        .build_global();
    let runner = std::thread::Builder::new()
        .name("main".into())
        .stack_size(STACK_SIZE)
        .spawn(move || {
            // A bug must still honour the exit-code contract (2 = internal error), not abort
            // with 101.
            std::panic::catch_unwind(|| match &cli.command {
                Command::Audit(args) => commands::audit(args),
                Command::Rules(args) => commands::rules(args),
                Command::Drift(args) => commands::drift::run(args),
                Command::Inventory(args) => commands::inventory::run(args),
                Command::Baseline(args) => commands::baseline::run(args),
                Command::Init(args) => commands::init::run(args),
                Command::Test(args) => infra_audit::packtest::run(&args.dir)
                    .map(|results| infra_audit::packtest::report(&results)),
            })
        });
    let outcome = match runner {
        Ok(handle) => handle.join().unwrap_or_else(Err),
        Err(err) => Ok(Err(anyhow::anyhow!(
            "cannot start the worker thread: {err}"
        ))),
    };
    match outcome {
        Ok(Ok(code)) => std::process::exit(code),
        Ok(Err(err)) => {
            eprintln!("error: {err:#}");
            std::process::exit(2);
        }
        Err(_) => {
            eprintln!("error: internal error (a bug in infra-audit; the panic message is above); please report it");
            std::process::exit(2);
        }
    }
}

/// Stack size of the command thread and of rayon's workers (see `main`): five times what
/// the deepest input the parsers accept needs in a debug build.
const STACK_SIZE: usize = 16 * 1024 * 1024;

/// mimalloc (see `allocator`).
#[global_allocator]
static GLOBAL: allocator::MiMalloc = allocator::MiMalloc;

/// Turns transparent huge pages off for this process (what `MIMALLOC_ALLOW_THP=0` does).
/// mimalloc asks for huge pages for its arenas, and every first touch of a 2 MiB page
/// zeroes all of it: a 15,000-stack audit zeroed about 4 GB, 18% of its time in the
/// kernel's `clear_page_erms` (perf). Medians of interleaved runs, JSON report, with and
/// without this call: 150 stacks 62.3 -> 61.3 ms (15 runs), 1,500 stacks 554 -> 546 ms
/// (9 runs), 15,000 stacks 7.23 -> 5.93 s (3 runs). The flag only affects this process; where THP is off it is a no-op.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on the calling process; no memory is
    // touched, and a failure (old kernel) leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
