//! `tsifra config check | sample`.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use tsifra_core::config::SAMPLE_CONFIG;
use tsifra_core::i18n::{Language, text};
use tsifra_core::{Config, mapping};

use crate::cli::ConfigCommand;
use crate::setup;

pub async fn run(cmd: ConfigCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    match cmd {
        ConfigCommand::Sample => {
            print_out(SAMPLE_CONFIG);
            Ok(())
        }
        ConfigCommand::Check => {
            let loaded = setup::load_config(config, data_dir)?;
            let c = &loaded.config;
            let lang = c.business.language;
            let mut out = String::new();
            match &loaded.file {
                Some(f) => out.push_str(&format!("{}: OK\n", f.display())),
                None => out.push_str(&format!(
                    "{}\n",
                    tsifra_core::i18n::text_with(
                        lang,
                        "cli.config_none",
                        &[("file", &data_dir.join("tsifra.toml").display().to_string())]
                    )
                )),
            }
            let store = tsifra_store::redact_url(&setup::store_url(c, data_dir));
            for (key, value) in [
                ("cli.config_language", c.business.language.code()),
                ("cli.config_time_zone", c.business.time_zone.as_str()),
                ("cli.config_currency", c.business.currency.as_str()),
                ("cli.config_bind", c.server.bind.as_str()),
                ("cli.config_store", store.as_str()),
            ] {
                out.push_str(&format!("  {}{value}\n", text(lang, key)));
            }
            let names = check_names(c, data_dir).await?;
            out.push_str(&format!("  {}\n", names.line));
            print_out(&out);
            match names.problems.is_empty() {
                true => Ok(()),
                false => Err(setup::usage(names.problems.join("\n"))),
            }
        }
    }
}

/// What the store says of the config's field, pipeline and stage names.
pub struct NameCheck {
    /// One line for the summary: checked and fine, not checkable yet, or how many are wrong.
    pub line: String,
    /// One message per unknown name, with the closest existing names.
    pub problems: Vec<String>,
}

/// Checks `[fields]` and the `[hygiene]` rules against the fields, pipelines
/// and stages the store holds. A store that does not exist yet is not created.
pub async fn check_names(config: &Config, data_dir: &Path) -> Result<NameCheck> {
    let lang = config.business.language;
    let exists = !config.store.url.is_empty() || data_dir.join("tsifra.db").exists();
    if !exists {
        return Ok(NameCheck {
            line: text(lang, "cli.names_no_store").to_string(),
            problems: Vec::new(),
        });
    }
    let store = setup::open_store(config, data_dir).await?;
    let ws = store.load().await?;
    store.close().await;
    Ok(names_in(&ws, config, lang))
}

/// The same check against a workspace already in memory (`serve` at start).
pub fn names_in(ws: &tsifra_core::Workspace, config: &Config, lang: Language) -> NameCheck {
    if !mapping::can_check(ws) {
        return NameCheck {
            line: text(lang, "cli.names_empty_store").to_string(),
            problems: Vec::new(),
        };
    }
    let problems: Vec<String> = mapping::check(ws, config).iter().map(|p| p.message(lang)).collect();
    let line = match problems.len() {
        0 => text(lang, "cli.names_ok").to_string(),
        n => tsifra_core::i18n::text_with(lang, "cli.names_wrong", &[("n", &n.to_string())]),
    };
    NameCheck { line, problems }
}

/// Prints to stdout; a reader that went away (`| head`) is not an error.
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let text = tsifra_core::i18n::terminal_safe(text);
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
