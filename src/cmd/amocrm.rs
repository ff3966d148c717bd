//! `tsifra amocrm connect | fields` and `tsifra dev fake-amocrm`.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use tsifra_amocrm::fake::{FakeOptions, start};
use tsifra_amocrm::{Client, OAuthApp, list_fields, oauth};

use crate::cli::{AmocrmCommand, DevCommand};
use crate::setup::{self, usage};
use tsifra_core::i18n::text_with;

pub async fn run(cmd: AmocrmCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    setup::ensure_data_dir(data_dir)?;
    let loaded = setup::load_config(config, data_dir)?;
    let amo = &loaded.config.amocrm;
    let lang = loaded.config.business.language;
    let say = |key: &str, values: &[(&str, &str)]| text_with(lang, &format!("amocrm_cli.{key}"), values);
    if !amo.is_enabled() {
        bail!(say("no_base_url", &[("file", &data_dir.join("tsifra.toml").display().to_string())]));
    }
    match cmd {
        AmocrmCommand::Connect(args) => {
            if amo.client_id.is_empty() {
                return Err(usage(say("oauth_only", &[])));
            }
            let state = oauth::new_state();
            let link = oauth::authorize_url(amo.base(), &OAuthApp::from_config(amo), &state);
            println!("{}\n\n   {link}\n", say("step_open", &[]));
            println!("{}", say("step_redirect", &[("uri", &amo.redirect_uri)]));
            let input = match args.code {
                Some(code) => code,
                None => {
                    print!("   {} ", say("paste", &[]));
                    std::io::stdout().flush()?;
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line
                }
            };
            let redirect = oauth::parse_redirect(&input)?;
            if let Some(got) = redirect.state.as_deref()
                && got != state
            {
                bail!(say("state_differs", &[]));
            }
            oauth::connect(amo, data_dir, &redirect.code).await?;
            let tokens = data_dir.join("amocrm-tokens.json").display().to_string();
            println!("{}", say("connected", &[("file", &tokens)]));
            if let Some(referer) = redirect.referer.filter(|r| !amo.base().contains(r.as_str())) {
                println!("{}", say("referer", &[("referer", &referer)]));
            }
            println!("{}", say("next", &[]));
        }
        AmocrmCommand::Fields => {
            let client = Client::from_config(amo, data_dir)?;
            let fields = list_fields(&client).await?;
            let head = |key: &str| tsifra_core::i18n::text(lang, key);
            println!(
                "{:<10}  {:<8}  {:<14}  {}",
                "id",
                head("amocrm_cli.col_entity"),
                head("amocrm_cli.col_type"),
                head("amocrm_cli.col_name")
            );
            for f in fields {
                println!(
                    "{:<10}  {:<8}  {:<14}  {}",
                    f.def.id,
                    f.def.entity.as_str(),
                    tsifra_core::i18n::printable(&f.amo_type),
                    tsifra_core::i18n::printable(&f.def.name)
                );
            }
            println!("\n{}", say("map_fields", &[]));
        }
    }
    Ok(())
}

pub async fn dev(cmd: DevCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    let DevCommand::FakeAmocrm(args) = cmd;
    if !data_dir.join("tsifra.db").exists() {
        bail!(
            "no workspace in {} to serve: run `tsifra demo --no-serve` first (or pass --data-dir)",
            data_dir.display()
        );
    }
    let loaded = setup::load_config(config, data_dir)?;
    let store = setup::open_store(&loaded.config, data_dir).await?;
    let ws = store.load().await?;
    store.close().await;
    let bind = args
        .bind
        .parse()
        .with_context(|| format!("--bind: expected an address such as 127.0.0.1:8090, got {:?}", args.bind))?;
    let options = FakeOptions {
        bind,
        rate_limit: (args.rate_limit > 0).then_some(args.rate_limit),
        stage_events: !args.no_stage_events,
        ..FakeOptions::default()
    };
    let fake = start(ws, options).await?;
    // Whoever reads this may stop reading (a script taking the snippet): the fake must keep serving.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "A fake amoCRM serves {} on http://{}/ (Ctrl-C to stop).",
        data_dir.display(),
        fake.addr()
    );
    let _ = writeln!(
        out,
        "To sync from it, put this in another data dir's tsifra.toml and run `tsifra sync` there:\n\n{}",
        fake.config_snippet()
    );
    let _ = out.flush();
    drop(out);
    tsifra_web::shutdown_signal().await;
    fake.shutdown().await;
    Ok(())
}
