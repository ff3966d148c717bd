//! One module per subcommand.

mod amocrm;
mod bench;
mod calendar;
pub mod config;
mod demo;
mod explore;
mod import;
mod plans;
mod report;
mod serve;
mod sync;

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> Result<()> {
    let data_dir = |default: &str| cli.data_dir.clone().unwrap_or_else(|| PathBuf::from(default));
    match cli.command {
        Command::Demo(args) => demo::run(args, &data_dir("tsifra-demo"), cli.config.as_deref()).await,
        Command::Serve(args) => serve::run(args, &data_dir("tsifra-data"), cli.config.as_deref()).await,
        Command::Report(args) => report::run(*args, &data_dir("tsifra-data"), cli.config.as_deref()).await,
        Command::Import(cmd) => import::run(cmd, &data_dir("tsifra-data"), cli.config.as_deref()).await,
        Command::Plans(cmd) => plans::run(cmd, &data_dir("tsifra-data"), cli.config.as_deref()).await,
        Command::Config(cmd) => config::run(cmd, &data_dir("tsifra-data"), cli.config.as_deref()).await,
        Command::Calendar(cmd) => calendar::run(cmd, &data_dir("tsifra-data"), cli.config.as_deref()).await,
        Command::Bench(args) => bench::run(args, cli.config.as_deref()).await,
        Command::Sync(args) => sync::run(args, &data_dir("tsifra-data"), cli.config.as_deref()).await,
        Command::Amocrm(cmd) => amocrm::run(cmd, &data_dir("tsifra-data"), cli.config.as_deref()).await,
        Command::Dev(cmd) => amocrm::dev(cmd, &data_dir("tsifra-demo"), cli.config.as_deref()).await,
    }
}
