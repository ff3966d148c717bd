//! `tsifra config check | sample`.

use std::path::Path;

use anyhow::Result;
use tsifra_core::config::SAMPLE_CONFIG;

use crate::cli::ConfigCommand;
use crate::setup;

pub fn run(cmd: ConfigCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    match cmd {
        ConfigCommand::Sample => {
            print!("{SAMPLE_CONFIG}");
            Ok(())
        }
        ConfigCommand::Check => {
            let loaded = setup::load_config(config, data_dir)?;
            let c = &loaded.config;
            match &loaded.file {
                Some(f) => println!("{}: OK", f.display()),
                None => println!(
                    "no config file ({} not found): built-in defaults, OK",
                    data_dir.join("tsifra.toml").display()
                ),
            }
            println!("  language   {}", c.business.language.code());
            println!("  time zone  {}", c.business.time_zone);
            println!("  currency   {}", c.business.currency);
            println!("  bind       {}", c.server.bind);
            println!("  store      {}", tsifra_store::redact_url(&setup::store_url(c, data_dir)));
            Ok(())
        }
    }
}
