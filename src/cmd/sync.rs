//! `tsifra sync`: the first full load, then incremental runs, with progress.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tsifra_amocrm::SyncMode;
use tsifra_amocrm::sync::Progress;
use tsifra_core::Language;
use tsifra_web::{AppState, system_clock};

use crate::cli::SyncArgs;
use crate::{connector, setup};

pub async fn run(args: SyncArgs, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    setup::ensure_data_dir(data_dir)?;
    let loaded = setup::load_config(config, data_dir)?;
    if !loaded.config.amocrm.is_enabled() {
        bail!(tsifra_core::i18n::text_with(
            loaded.config.business.language,
            "amocrm_cli.not_configured",
            &[("file", &data_dir.join("tsifra.toml").display().to_string())]
        ));
    }
    let store = setup::open_store(&loaded.config, data_dir).await?;
    let ws = store.load().await?;
    let state = AppState::with_clock(loaded.config.clone(), ws, data_dir, system_clock());
    let engine = connector::engine(&loaded.config, data_dir, store.clone(), state)?.expect("enabled above");

    // amoCRM gives no totals for lists; a full scan goes up by id, and the
    // highest id says how far it has got: a bar with an ETA per phase then.
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").expect("a valid template"));
    bar.enable_steady_tick(Duration::from_millis(200));
    let shown = Arc::new(bar.clone());
    // Each phase's first report: when, and how far the phase was then (its first
    // page, or where a killed load stopped). The pace is measured from there.
    let phase_started = std::sync::Mutex::new((String::new(), std::time::Instant::now(), 0.0));
    let lang = loaded.config.business.language;
    let progress = move |p: &Progress| {
        let mut phase = phase_started.lock().unwrap_or_else(|e| e.into_inner());
        if phase.0 != p.phase {
            *phase = (p.phase.to_string(), std::time::Instant::now(), p.fraction.unwrap_or(0.0));
        }
        // One line, set in one call: a redraw never mixes two phases.
        shown.set_message(progress_line(lang, p, phase.1.elapsed(), phase.2));
    };
    let mode = if args.full { SyncMode::Full } else { SyncMode::Auto };
    // A task of its own: a bug that panics mid-run is an error that says so
    // (exit 1, what was stored stays), not an abort.
    let run = tokio::spawn({
        let engine = engine.clone();
        async move { engine.run(mode, &progress).await }
    });
    let result = run.await.unwrap_or_else(|e| Err(e.into()));
    bar.finish_and_clear();
    if let Err(tsifra_amocrm::Error::LeaseHeld { holder, expires_in_s }) = &result {
        // Nothing was requested; the other process's run is reading the account.
        bail!(another_sync_running(loaded.config.business.language, holder, *expires_in_s));
    }
    let report = result?;
    store.close().await;
    let lang = loaded.config.business.language;
    println!("{}", summary(lang, &report));
    for line in tsifra_core::model::bad_value_lines(lang, &report.bad_values, report.bad_value_count) {
        println!("{line}");
    }
    Ok(())
}

/// The run in one line, in the workspace's language: what kind, what landed, what it cost.
fn summary(lang: Language, report: &tsifra_amocrm::sync::SyncReport) -> String {
    use tsifra_core::i18n::{count, format_decimal, plural};
    let secs = report.elapsed_ms as f64 / 1000.0;
    let rate = report.requests as f64 / secs.max(0.001);
    let full = report.kind == tsifra_amocrm::sync::RunKind::Full;
    let (records, deletions, requests) = (report.records as i64, report.deletions as i64, report.requests as i64);
    match lang {
        // "сохранена 1 запись, сохранено 5 записей": the verb agrees with the number.
        Language::Ru => format!(
            "{}{}: {} {}, {} {}, {} {} за {}\u{a0}с ({}\u{a0}запроса в секунду){}",
            if full {
                "Полная синхронизация"
            } else {
                "Синхронизация изменений"
            },
            if report.resumed { " (продолжена)" } else { "" },
            plural(records, "сохранена", "сохранено", "сохранено"),
            count(lang, records, ["запись", "записи", "записей"], ["", ""]),
            plural(deletions, "удалена", "удалено", "удалено"),
            count(lang, deletions, ["запись", "записи", "записей"], ["", ""]),
            plural(requests, "отправлен", "отправлено", "отправлено"),
            count(lang, requests, ["запрос", "запроса", "запросов"], ["", ""]),
            format_decimal(lang, secs),
            format_decimal(lang, rate),
            match report.skipped as i64 {
                0 => String::new(),
                n => format!(
                    "; {} {} (см. журнал)",
                    plural(n, "пропущена", "пропущены", "пропущено"),
                    count(lang, n, ["нечитаемая запись", "нечитаемые записи", "нечитаемых записей"], ["", ""])
                ),
            }
        ),
        Language::En => format!(
            "{} sync{}: {} stored, {} deleted, {} sent in {secs:.1} s ({rate:.1} requests/s){}",
            if full { "Full" } else { "Incremental" },
            if report.resumed { " (resumed)" } else { "" },
            count(lang, records, ["", "", ""], ["record", "records"]),
            count(lang, deletions, ["", "", ""], ["record", "records"]),
            count(lang, requests, ["", "", ""], ["request", "requests"]),
            match report.skipped as i64 {
                0 => String::new(),
                n => format!(
                    "; {} skipped (see the log)",
                    count(lang, n, ["", "", ""], ["unreadable record", "unreadable records"])
                ),
            }
        ),
    }
}

/// Why `tsifra sync` stopped before it began: another process (`tsifra serve`'s
/// schedule, or another `tsifra sync`) is syncing this account, and two at once
/// would break amoCRM's limit of 7 requests per second together.
fn another_sync_running(lang: Language, holder: &str, expires_in_s: u64) -> String {
    // The holder as the lease names it, "pid N on HOST, #…": said in words.
    let process = holder
        .strip_prefix("pid ")
        .and_then(|h| h.split_once(" on "))
        .map(|(pid, rest)| (pid, rest.split(", #").next().unwrap_or(rest)));
    let holder = match (process, lang) {
        (Some((pid, host)), Language::Ru) => format!("процесс {pid} на {host}"),
        (Some((pid, host)), Language::En) => format!("process {pid} on {host}"),
        (None, _) => holder.to_string(),
    };
    match lang {
        Language::Ru => format!(
            "другая синхронизация этого аккаунта amoCRM уже идёт ({holder}); запросов не было. \
             Запустите `tsifra sync` после неё. Процесс этой машины, который убит, сменяется сразу; \
             если тот процесс был на другой машине и убит, его блокировка истечёт через {expires_in_s} с"
        ),
        Language::En => format!(
            "another sync of this amoCRM account is running ({holder}); nothing was requested. \
             Run `tsifra sync` after it ends. A killed process of this machine is taken over at once; \
             if that process was on another machine and was killed, its lock expires in {expires_in_s} s"
        ),
    }
}

/// `[======>     ]  27% leads: 1250 records, 28 requests, ~2m 05s left in this phase`;
/// the bar and the time left only where the phase's share is known. `elapsed`
/// since the phase's first report, which came at share `from`.
fn progress_line(lang: Language, p: &Progress, elapsed: Duration, from: f64) -> String {
    use tsifra_core::i18n::{TEXTS, count, format_int, text};
    if lang == Language::En {
        let total = p.total.map(|t| format!(" of {t}")).unwrap_or_default();
        let counts = format!("{}: {}{} records, {} requests", p.phase, p.done, total, p.requests);
        return match p.fraction {
            None => counts,
            Some(f) => match eta(elapsed, from, f) {
                Some(left) => format!("{} {counts}, ~{} left in this phase", gauge(f), human(left)),
                None => format!("{} {counts}", gauge(f)),
            },
        };
    }
    // The phase in words where it has them (a new phase the table lacks shows its own name).
    let key = format!("sync_phase.{}", p.phase);
    let phase = match TEXTS.iter().any(|t| t.0 == key) {
        true => text(lang, &key),
        false => p.phase,
    };
    let (done, requests) = (p.done as i64, p.requests as i64);
    let records = match p.total {
        Some(t) => format!(
            "{} из {}",
            format_int(lang, done),
            count(lang, t as i64, ["записи", "записей", "записей"], ["", ""])
        ),
        None => count(lang, done, ["запись", "записи", "записей"], ["", ""]),
    };
    let counts = format!(
        "{phase}: {records}, {}",
        count(lang, requests, ["запрос", "запроса", "запросов"], ["", ""])
    );
    match p.fraction {
        None => counts,
        Some(f) => match eta(elapsed, from, f) {
            Some(left) => format!("{} {counts}, до конца этапа ~{}", gauge(f), human_ru(left)),
            None => format!("{} {counts}", gauge(f)),
        },
    }
}

/// [`human`] as Russian writes it: «42 с», «2 мин 05 с», «2 ч 03 мин».
fn human_ru(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    if s >= 3600 {
        format!("{}\u{a0}ч {:02}\u{a0}мин", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}\u{a0}мин {:02}\u{a0}с", s / 60, s % 60)
    } else {
        format!("{s}\u{a0}с")
    }
}

/// A share as a text bar: `[=====>                  ]  25%`.
fn gauge(fraction: f64) -> String {
    const WIDTH: usize = 24;
    let f = fraction.clamp(0.0, 1.0);
    let filled = (f * WIDTH as f64).floor() as usize;
    let bar = "=".repeat(filled) + if filled < WIDTH { ">" } else { "" };
    format!("[{bar:<WIDTH$}] {:>3}%", (f * 100.0).floor() as u32)
}

/// The rate limiter lets a second's requests through together, so pages land
/// in bursts: a pace measured over less than a few seconds says little.
const MIN_PACE: Duration = Duration::from_secs(3);

/// Time left at the pace so far: `elapsed` took the phase from `from` to
/// `fraction` (from its first report, whose page came before the clock
/// started); once that is 2% of the phase over a few seconds, the rest goes at
/// the same pace.
fn eta(elapsed: Duration, from: f64, fraction: f64) -> Option<Duration> {
    let moved = fraction - from;
    (moved >= 0.02 && elapsed >= MIN_PACE && fraction < 1.0).then(|| elapsed.mul_f64((1.0 - fraction) / moved))
}

/// A duration for the eye, rounded up: "~0s left" would say it is over.
fn human(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_at_the_pace_so_far() {
        assert_eq!(eta(Duration::from_secs(30), 0.0, 0.25), Some(Duration::from_secs(90)));
        // The clock starts at the first page's report: 30 s took it from 25% to 50%.
        assert_eq!(eta(Duration::from_secs(30), 0.25, 0.5), Some(Duration::from_secs(60)));
        // A resumed load that stopped at half: 10 s for the next quarter.
        assert_eq!(eta(Duration::from_secs(10), 0.5, 0.75), Some(Duration::from_secs(10)));
        assert_eq!(eta(Duration::from_secs(30), 0.0, 0.01), None, "too early to tell");
        assert_eq!(eta(Duration::ZERO, 0.25, 0.25), None, "only the first page so far");
        assert_eq!(eta(Duration::from_millis(200), 0.0, 0.5), None, "one burst of pages");
        assert_eq!(eta(Duration::from_secs(30), 0.5, 1.0), None, "done");
        assert_eq!(human(Duration::from_secs(42)), "42s");
        assert_eq!(human(Duration::from_millis(300)), "1s");
        assert_eq!(human(Duration::from_secs(125)), "2m 05s");
        assert_eq!(human(Duration::from_secs(7_380)), "2h 03m");
    }

    #[test]
    fn a_bar_and_the_time_left_only_where_the_share_is_known() {
        assert_eq!(gauge(0.0), "[>                       ]   0%");
        assert_eq!(gauge(0.5), "[============>           ]  50%");
        assert_eq!(gauge(0.999), "[=======================>]  99%");
        assert_eq!(gauge(1.0), "[========================] 100%");
        let leads = |fraction| Progress {
            phase: "leads",
            done: 1250,
            total: None,
            requests: 28,
            fraction,
        };
        assert_eq!(
            progress_line(Language::En, &leads(Some(0.25)), Duration::from_secs(30), 0.0),
            "[======>                 ]  25% leads: 1250 records, 28 requests, ~1m 30s left in this phase"
        );
        assert_eq!(
            progress_line(Language::En, &leads(Some(0.25)), Duration::from_secs(1), 0.0),
            "[======>                 ]  25% leads: 1250 records, 28 requests"
        );
        assert_eq!(
            progress_line(Language::En, &leads(None), Duration::from_secs(30), 0.0),
            "leads: 1250 records, 28 requests"
        );
        assert_eq!(
            progress_line(Language::Ru, &leads(Some(0.25)), Duration::from_secs(30), 0.0),
            "[======>                 ]  25% сделки: 1\u{a0}250\u{a0}записей, 28\u{a0}запросов, до конца этапа ~1\u{a0}мин 30\u{a0}с"
        );
        let notes = Progress {
            phase: "notes_leads",
            done: 21,
            total: Some(101),
            requests: 1,
            fraction: None,
        };
        assert_eq!(
            progress_line(Language::Ru, &notes, Duration::ZERO, 0.0),
            "примечания сделок: 21 из 101\u{a0}записи, 1\u{a0}запрос"
        );
    }
}

#[cfg(test)]
mod summary_tests {
    use super::*;
    use tsifra_amocrm::sync::{RunKind, SyncReport};

    fn report(records: u64, deletions: u64, requests: u64, skipped: u64) -> SyncReport {
        SyncReport {
            kind: RunKind::Full,
            resumed: false,
            watermark: 0,
            records,
            deletions,
            requests,
            elapsed_ms: 2_000,
            skipped,
            bad_values: Vec::new(),
            bad_value_count: 0,
            filter_fallback: false,
        }
    }

    /// Every number has its unit, in the form its number asks for.
    #[test]
    fn the_summary_says_each_number_with_its_noun() {
        assert_eq!(
            summary(Language::Ru, &report(1_021, 2, 14, 5)),
            "Полная синхронизация: сохранена 1\u{a0}021\u{a0}запись, удалено 2\u{a0}записи, \
             отправлено 14\u{a0}запросов за 2,0\u{a0}с (7,0\u{a0}запроса в секунду); \
             пропущено 5\u{a0}нечитаемых записей (см. журнал)"
        );
        assert_eq!(
            summary(Language::En, &report(1, 0, 2, 1)),
            "Full sync: 1 record stored, 0 records deleted, 2 requests sent in 2.0 s (1.0 requests/s); \
             1 unreadable record skipped (see the log)"
        );
    }
}
