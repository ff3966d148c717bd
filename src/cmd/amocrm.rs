//! `tsifra amocrm connect | fields` and `tsifra dev fake-amocrm`.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use tsifra_amocrm::fake::{FakeOptions, start};
use tsifra_amocrm::{Client, OAuthApp, list_fields, oauth};

use crate::cli::{AmocrmCommand, DevCommand};
use crate::setup::{self, usage};

pub async fn run(cmd: AmocrmCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    setup::ensure_data_dir(data_dir)?;
    let loaded = setup::load_config(config, data_dir)?;
    let amo = &loaded.config.amocrm;
    if !amo.is_enabled() {
        bail!(
            "set [amocrm] base_url (https://SUBDOMAIN.amocrm.ru) in {} first",
            data_dir.join("tsifra.toml").display()
        );
    }
    match cmd {
        AmocrmCommand::Connect(args) => {
            if amo.client_id.is_empty() {
                return Err(usage(
                    "amocrm connect is for OAuth2: set [amocrm] client_id, client_secret and redirect_uri (or use long_lived_token, which needs no connect)",
                ));
            }
            let state = oauth::new_state();
            println!(
                "1. Open this link as an amoCRM administrator and allow access:\n\n   {}\n",
                oauth::authorize_url(amo.base(), &OAuthApp::from_config(amo), &state)
            );
            println!("2. amoCRM sends the browser to {}?code=...", amo.redirect_uri);
            let input = match args.code {
                Some(code) => code,
                None => {
                    print!("   Paste that address (or just the code) here: ");
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
                bail!("the pasted address belongs to another authorisation attempt (state differs); run connect again");
            }
            oauth::connect(amo, data_dir, &redirect.code).await?;
            println!(
                "Connected. Tokens are stored in {} (readable by this user only).",
                data_dir.join("amocrm-tokens.json").display()
            );
            if let Some(referer) = redirect.referer.filter(|r| !amo.base().contains(r.as_str())) {
                println!("Note: amoCRM says the account lives at {referer}; set [amocrm] base_url to it if it differs.");
            }
            println!("Next: `tsifra sync` for the first load.");
        }
        AmocrmCommand::Fields => {
            let client = Client::from_config(amo, data_dir)?;
            let fields = list_fields(&client).await?;
            println!("{:<10}  {:<8}  {:<14}  name", "id", "entity", "type");
            for f in fields {
                println!(
                    "{:<10}  {:<8}  {:<14}  {}",
                    f.def.id,
                    f.def.entity.as_str(),
                    tsifra_core::i18n::printable(&f.amo_type),
                    tsifra_core::i18n::printable(&f.def.name)
                );
            }
            println!("\nMap business meanings onto these in [fields] of tsifra.toml, by id or exact name, e.g. margin = \"Маржа\".");
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
