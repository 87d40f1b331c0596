//! Thin entry point: parse arguments, call the library, map the outcome to an exit code.

use clap::Parser;
use infra_audit::cli::{Cli, Command};
use infra_audit::commands;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            std::process::exit(code);
        }
    };
    // A bug must still honour the exit-code contract (2 = internal error), not abort with 101.
    let outcome = std::panic::catch_unwind(|| match &cli.command {
        Command::Audit(args) => commands::audit(args),
        Command::Rules(args) => commands::rules(args),
        Command::Drift(args) => commands::drift::run(args),
        Command::Inventory(args) => commands::inventory::run(args),
        Command::Baseline(args) => commands::baseline::run(args),
        Command::Test(args) => infra_audit::packtest::run(&args.dir)
            .map(|results| infra_audit::packtest::report(&results)),
    });
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

/// The system allocator spends a quarter of an audit's time in malloc/free (hcl-edit builds
/// many small nodes); mimalloc is much faster at exactly that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
