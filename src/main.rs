//! `tsifra`: flags in, a validated config and data dir out, then one command.
//! The work lives in the library crates; this file only wires them.

mod cli;
mod cmd;
mod connector;
mod jobs;
mod setup;

use std::process::ExitCode;

use clap::Parser;

// A million-deal workspace is tens of millions of small allocations, and the
// reports make a hundred thousand more per run; glibc's allocator spends much
// of that time consolidating its free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    setup::init_logging(cli.quiet, cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{}: cannot start the async runtime: {e}", setup::error_prefix());
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cmd::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors quote names and cells from the CRM and from files.
            eprintln!("{}: {}", setup::error_prefix(), tsifra_core::i18n::terminal_safe(&format!("{e:#}")));
            ExitCode::from(setup::exit_code(&e))
        }
    }
}
