//! `tsifra import plans FILE|--url URL`: the head of sales' plan spreadsheet
//! into the store, replacing that file's earlier plans in one transaction and
//! saying what changed among the plans in force.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tsifra_core::Language;
use tsifra_core::model::Batch;
use tsifra_import::plans::{PlanSource, parse_plans};

use super::plans;
use crate::cli::ImportCommand;
use crate::setup;

pub async fn run(cmd: ImportCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    let ImportCommand::Plans(args) = cmd;
    // The config first: what goes wrong after it is said in its language.
    let loaded = setup::load_config(config, data_dir)?;
    // The file name is the plan set's identity: importing plans.xlsx again replaces what plans.xlsx brought.
    let (origin, input) = match (&args.file, &args.url) {
        (Some(file), _) => {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string());
            (name, Input::open(file)?)
        }
        (None, Some(url)) => (url.clone(), Input::Bytes(fetch(url, loaded.config.business.language).await?)),
        (None, None) => unreachable!("clap requires FILE or --url"),
    };
    if !data_dir.exists() {
        bail!(tsifra_core::i18n::text_with(
            loaded.config.business.language,
            "cli.no_workspace_for_plans",
            &[("dir", &data_dir.display().to_string())]
        ));
    }
    let store = setup::open_store(&loaded.config, data_dir).await?;
    let ws = store.load().await?;
    let lang = loaded.config.business.language;
    let mut plans = match input {
        Input::Bytes(bytes) => parse_plans(&origin, PlanSource::detect(&origin, &bytes), &ws.users, lang)?,
        Input::Csv(file, len) => {
            let bar = reading_bar(lang, &origin, len);
            let parsed = parse_plans(&origin, PlanSource::CsvReader(Box::new(bar.wrap_read(file))), &ws.users, lang);
            bar.finish_and_clear();
            parsed?
        }
    };
    if plans.is_empty() && !args.allow_empty {
        let stored = ws.plans.iter().filter(|p| p.origin == origin).count();
        if !confirm_empty(lang, &origin, stored)? {
            return Err(setup::usage(empty_refused(lang, &origin, stored)));
        }
    }
    let imported_at = plans::import_time(&ws.plans, chrono::Utc::now());
    for p in &mut plans {
        p.imported_at = Some(imported_at);
    }
    let summary = plans::ImportSummary::of(&ws.plans, &origin, &plans);
    store
        .write_batch(&Batch {
            replace_plan_origins: vec![origin.clone()],
            plans,
            ..Batch::default()
        })
        .await?;
    store.close().await;
    println!("{}", tsifra_core::i18n::printable(&summary.message(lang, &origin)));
    Ok(())
}

/// The plan file as it will be read: a CSV file streamed from disk, or a
/// workbook (or a download) in memory.
enum Input {
    Csv(std::fs::File, u64),
    Bytes(Vec<u8>),
}

impl Input {
    fn open(path: &Path) -> Result<Input> {
        use std::io::Read;
        let cannot = || tsifra_core::i18n::text_with(setup::language(), "cli.cannot_read", &[("file", &path.display().to_string())]);
        let mut file = std::fs::File::open(path).with_context(cannot)?;
        let len = file.metadata().with_context(cannot)?.len();
        let mut magic = Vec::with_capacity(4);
        (&mut file).take(4).read_to_end(&mut magic).with_context(cannot)?;
        let name = path.to_string_lossy();
        if matches!(PlanSource::detect(&name, &magic), PlanSource::Spreadsheet(_)) {
            return Ok(Input::Bytes(std::fs::read(path).with_context(cannot)?));
        }
        use std::io::Seek;
        file.rewind().with_context(cannot)?;
        Ok(Input::Csv(file, len))
    }
}

/// A bar over the file's bytes, on a terminal only (hidden when stderr is a
/// file or a pipe, so scripts and logs get the result line alone).
fn reading_bar(lang: Language, origin: &str, len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let template = match lang {
        Language::Ru => "{msg} {wide_bar} {bytes}/{total_bytes}, осталось {eta}",
        Language::En => "{msg} {wide_bar} {bytes}/{total_bytes}, {eta} left",
    };
    bar.set_style(ProgressStyle::with_template(template).expect("a valid template"));
    bar.set_message(origin.to_string());
    bar
}

/// A file with no plans would take out every plan it brought before: on a
/// terminal the user is asked; elsewhere the import stops (see `--allow-empty`).
fn confirm_empty(lang: Language, origin: &str, stored: usize) -> Result<bool> {
    use std::io::{BufRead, Write};
    if stored == 0 || !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Ok(false);
    }
    let plans = plans_count(lang, stored);
    let question = match lang {
        Language::Ru => format!(
            "{origin}: в файле нет ни одного плана. Убрать {plans}, {} из него раньше? [д/Н] ",
            tsifra_core::i18n::plural(stored as i64, "загруженный", "загруженных", "загруженных")
        ),
        Language::En => format!("{origin}: the file holds no plans. Take out the {plans} it brought before? [y/N] "),
    };
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "д" | "да" | "y" | "yes"))
}

/// "1 план", "3 плана", "5 планов" / "1 plan", "5 plans".
fn plans_count(lang: Language, n: usize) -> String {
    tsifra_core::i18n::count(lang, n as i64, ["план", "плана", "планов"], ["plan", "plans"])
}

fn empty_refused(lang: Language, origin: &str, stored: usize) -> String {
    let n = plans_count(lang, stored);
    let brought = tsifra_core::i18n::plural(stored as i64, "загруженный", "загруженных", "загруженных");
    match (lang, stored) {
        (Language::Ru, 0) => format!(
            "{origin}: в файле нет ни одного плана (только заголовок); ничего не загружено. \
             Если файл и должен быть пустым, повторите с --allow-empty"
        ),
        (Language::Ru, _) => format!(
            "{origin}: в файле нет ни одного плана (только заголовок); ничего не изменено. \
             Импорт пустого файла убрал бы {n}, {brought} из него раньше: \
             если это и нужно, повторите с --allow-empty (или: tsifra plans remove {origin})"
        ),
        (Language::En, 0) => format!(
            "{origin}: the file holds no plans (a header only); nothing imported. \
             If it is meant to be empty, run again with --allow-empty"
        ),
        (Language::En, _) => format!(
            "{origin}: the file holds no plans (a header only); nothing changed. \
             Importing it would take out the {n} it brought before: \
             if that is what you want, run again with --allow-empty (or: tsifra plans remove {origin})"
        ),
    }
}

async fn fetch(url: &str, lang: tsifra_core::Language) -> Result<Vec<u8>> {
    use tsifra_core::i18n::text_with;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!(text_with(lang, "cli.url_not_http", &[("url", url)]));
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build()?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| tsifra_core::i18n::text_with(lang, "cli.cannot_download", &[("url", url)]))?;
    let status = response.status();
    if !status.is_success() {
        bail!(text_with(
            lang,
            "cli.download_failed",
            &[("url", url), ("status", &status.to_string())]
        ));
    }
    Ok(response.bytes().await?.to_vec())
}
