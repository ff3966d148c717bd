//! `tsifra plans list|remove`: what plan files are loaded and which of their
//! plans are in force, and taking one file's plans out again. Of the plans for
//! one manager, period and metric the latest import is in force, so removing a
//! file brings back what it had overridden.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result, bail};
use tsifra_core::i18n::{count, format_int, plural};
use tsifra_core::model::{Batch, Id, Metric, Plan, plans_in_force};
use tsifra_core::{Config, Instant, Language, Period};

use crate::cli::PlansCommand;
use crate::setup;

pub async fn run(cmd: PlansCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    let loaded = setup::load_config(config, data_dir)?;
    let config = loaded.config;
    let lang = config.business.language;
    if !data_dir.exists() {
        bail!(tsifra_core::i18n::text_with(
            lang,
            "cli.no_workspace",
            &[("dir", &data_dir.display().to_string())]
        ));
    }
    let store = setup::open_store(&config, data_dir).await?;
    let ws = store.load().await?;
    match cmd {
        PlansCommand::List => print!("{}", tsifra_core::i18n::terminal_safe(&list(&ws.plans, &config))),
        PlansCommand::Remove { file } => {
            let origin = origin_of(&file, &ws.plans, lang)?;
            let mine = ws.plans.iter().filter(|p| p.origin == origin).count();
            let others: Vec<Plan> = ws.plans.iter().filter(|p| p.origin != origin).cloned().collect();
            // Plans of other files that the removed one had overridden are in force again.
            let id = |p: &Plan| (p.origin.clone(), p.manager_id, p.period, p.metric);
            let before: BTreeSet<_> = plans_in_force(&ws.plans).into_iter().map(id).collect();
            let restored = plans_in_force(&others).into_iter().filter(|p| !before.contains(&id(p))).count();
            store
                .write_batch(&Batch {
                    replace_plan_origins: vec![origin.clone()],
                    ..Batch::default()
                })
                .await
                .with_context(|| format!("removing the plans of {origin}"))?;
            println!("{}", tsifra_core::i18n::printable(&removed_message(lang, &origin, mine, restored)));
        }
    }
    store.close().await;
    Ok(())
}

/// The loaded origin `file` names: as given (a file name or URL), or the file name of a path.
fn origin_of(file: &str, plans: &[Plan], lang: Language) -> Result<String> {
    let origins: BTreeSet<&str> = plans.iter().map(|p| p.origin.as_str()).collect();
    let name = Path::new(file).file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(found) = [Some(file.to_string()), name]
        .into_iter()
        .flatten()
        .find(|o| origins.contains(o.as_str()))
    {
        return Ok(found);
    }
    let known = if origins.is_empty() {
        tsifra_core::i18n::text(lang, "cli.no_plan_files").to_string()
    } else {
        origins.into_iter().collect::<Vec<_>>().join(", ")
    };
    Err(setup::usage(tsifra_core::i18n::text_with(
        lang,
        "cli.no_plans_from",
        &[("file", file), ("known", &known)],
    )))
}

/// One line per loaded file: when imported, how many plans, which periods, how
/// many are in force and how many overridden by later imports.
fn list(plans: &[Plan], config: &Config) -> String {
    let lang = config.business.language;
    if plans.is_empty() {
        return match lang {
            Language::Ru => "Планы не загружены: tsifra import plans ФАЙЛ\n",
            Language::En => "No plans loaded: tsifra import plans FILE\n",
        }
        .to_string();
    }
    let in_force: BTreeSet<*const Plan> = plans_in_force(plans).into_iter().map(|p| p as *const Plan).collect();
    struct File<'a> {
        imported_at: Option<Instant>,
        plans: usize,
        in_force: usize,
        periods: BTreeSet<Period>,
        origin: &'a str,
    }
    let mut files: HashMap<&str, File> = HashMap::new();
    for p in plans {
        let f = files.entry(&p.origin).or_insert(File {
            imported_at: p.imported_at,
            plans: 0,
            in_force: 0,
            periods: BTreeSet::new(),
            origin: &p.origin,
        });
        f.imported_at = f.imported_at.max(p.imported_at);
        f.plans += 1;
        f.in_force += usize::from(in_force.contains(&(p as *const Plan)));
        f.periods.insert(p.period);
    }
    let mut files: Vec<File> = files.into_values().collect();
    files.sort_by(|a, b| (a.imported_at, a.origin).cmp(&(b.imported_at, b.origin)));

    let tz = config.time_zone().ok();
    let when = |at: Option<Instant>| match (at, tz) {
        (Some(at), Some(tz)) => at.with_timezone(&tz).format(time_format(lang)).to_string(),
        (Some(at), None) => at.format(time_format(lang)).to_string(),
        (None, _) => "—".to_string(),
    };
    let header: [&str; 6] = match lang {
        Language::Ru => ["Файл", "Загружен", "Планов", "Действуют", "Перекрыты", "Периоды"],
        Language::En => ["File", "Imported", "Plans", "In force", "Overridden", "Periods"],
    };
    let mut rows: Vec<[String; 6]> = vec![header.map(String::from)];
    for f in &files {
        rows.push([
            f.origin.to_string(),
            when(f.imported_at),
            format_int(lang, f.plans as i64),
            format_int(lang, f.in_force as i64),
            format_int(lang, (f.plans - f.in_force) as i64),
            periods(&f.periods, lang),
        ]);
    }
    let mut out = table(&rows);
    out.push_str(match lang {
        Language::Ru => {
            "Где файлы пересекаются, действует план из загруженного последним.\n\
             tsifra plans remove ФАЙЛ убирает файл и возвращает перекрытые им планы.\n"
        }
        Language::En => {
            "Where files overlap, the plan from the latest import is in force.\n\
             tsifra plans remove FILE takes a file out and brings back the plans it overrode.\n"
        }
    });
    out
}

fn time_format(lang: Language) -> &'static str {
    match lang {
        Language::Ru => "%d.%m.%Y %H:%M:%S",
        Language::En => "%Y-%m-%d %H:%M:%S",
    }
}

/// `ноябрь 2026, декабрь 2026` for a few periods; `ноябрь 2025 … декабрь 2026 (14)` for many.
fn periods(periods: &BTreeSet<Period>, lang: Language) -> String {
    let keys: Vec<String> = periods.iter().map(|p| p.label(lang)).collect();
    match keys.as_slice() {
        [] => String::new(),
        [first, .., last] if keys.len() > 3 => format!("{first} … {last} ({})", keys.len()),
        all => all.join(", "),
    }
}

/// Columns padded to their widest cell, counted in characters (Cyrillic is two bytes).
fn table(rows: &[[String; 6]]) -> String {
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..6).map(width).collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                let pad = " ".repeat(w - cell.chars().count());
                // Counts right-aligned, text left-aligned.
                if (2..=4).contains(&c) {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn removed_message(lang: Language, origin: &str, removed: usize, restored: usize) -> String {
    let plans = |n: usize| count(lang, n as i64, ["план", "плана", "планов"], ["plan", "plans"]);
    let (n, m) = (removed as i64, restored as i64);
    match lang {
        Language::Ru => format!(
            "{origin}: {} {}; снова {} {} других файлов.",
            plans(removed),
            plural(n, "удалён", "удалены", "удалены"),
            plural(m, "действует", "действуют", "действуют"),
            plans(restored)
        ),
        Language::En => format!(
            "{origin}: {} removed; {} of other files {} in force again.",
            plans(removed),
            plans(restored),
            if restored == 1 { "is" } else { "are" }
        ),
    }
}

/// What an import did to the plans in force: per manager, period and metric,
/// the new plan replaced one with another target, matched it, or is new; and
/// plans the file had before but no longer has.
#[derive(Debug, Default, PartialEq)]
pub struct ImportSummary {
    pub replaced: usize,
    pub unchanged: usize,
    pub added: usize,
    pub dropped: usize,
}

impl ImportSummary {
    pub fn of(before: &[Plan], origin: &str, new: &[Plan]) -> ImportSummary {
        type Key = (Option<Id>, Period, Metric);
        let key = |p: &Plan| -> Key { (p.manager_id, p.period, p.metric) };
        let in_force: HashMap<Key, i64> = plans_in_force(before).into_iter().map(|p| (key(p), p.target)).collect();
        let mut s = ImportSummary::default();
        for p in new {
            match in_force.get(&key(p)) {
                None => s.added += 1,
                Some(&t) if t == p.target => s.unchanged += 1,
                Some(_) => s.replaced += 1,
            }
        }
        let now: BTreeSet<Key> = new.iter().map(key).collect();
        s.dropped = before.iter().filter(|p| p.origin == origin && !now.contains(&key(p))).count();
        s
    }

    pub fn message(&self, lang: Language, origin: &str) -> String {
        let n = |v: usize| format_int(lang, v as i64);
        let (unchanged, added, dropped) = (n(self.unchanged), n(self.added), n(self.dropped));
        let replaced = count(lang, self.replaced as i64, ["план", "плана", "планов"], ["plan", "plans"]);
        // Russian: "1 план заменён, 3 плана заменены"; the participle agrees with the number.
        let done = |v: usize, one: &'static str, other: &'static str| plural(v as i64, one, other, other);
        let mut text = match lang {
            Language::Ru => format!(
                "{origin}: {replaced} {}, {unchanged} без изменений, {added} {}",
                done(self.replaced, "заменён", "заменены"),
                done(self.added, "добавлен", "добавлены")
            ),
            Language::En => format!("{origin}: {replaced} replaced, {unchanged} unchanged, {added} added"),
        };
        if self.dropped > 0 {
            text.push_str(&match lang {
                Language::Ru => format!(", {dropped} {} (нет в новой версии файла)", done(self.dropped, "убран", "убраны")),
                Language::En => format!(", {dropped} removed (gone from the file)"),
            });
        }
        text.push('.');
        text
    }
}

/// The import time for a new file: now, but always after every import already
/// loaded, so the file imported last is the one in force even if the clock
/// stepped back or two imports fell in one millisecond.
pub fn import_time(plans: &[Plan], now: Instant) -> Instant {
    let now = Instant::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    match plans.iter().filter_map(|p| p.imported_at).max() {
        Some(latest) if latest >= now => latest + chrono::Duration::milliseconds(1),
        _ => now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsifra_core::PeriodKind;

    fn plan(origin: &str, manager: Option<Id>, month: u32, target: i64, at: Option<i64>) -> Plan {
        Plan {
            manager_id: manager,
            period: Period::containing(PeriodKind::Month, chrono::NaiveDate::from_ymd_opt(2026, month, 1).unwrap()),
            metric: Metric::Revenue,
            target,
            origin: origin.into(),
            imported_at: at.and_then(Instant::from_timestamp_millis),
        }
    }

    #[test]
    fn summary_counts_against_the_plans_in_force() {
        let before = [
            plan("a.csv", Some(1), 11, 100, Some(1)),
            plan("a.csv", Some(2), 11, 100, Some(1)),
            plan("b.csv", Some(1), 11, 150, Some(2)),
            plan("b.csv", Some(3), 11, 7, Some(2)),
        ];
        let new = [
            plan("b.csv", Some(1), 11, 150, None),
            plan("b.csv", Some(2), 11, 120, None),
            plan("b.csv", None, 11, 900, None),
        ];
        let s = ImportSummary::of(&before, "b.csv", &new);
        assert_eq!(
            s,
            ImportSummary {
                replaced: 1,
                unchanged: 1,
                added: 1,
                dropped: 1
            }
        );
        assert_eq!(
            s.message(Language::Ru, "b.csv"),
            "b.csv: 1\u{a0}план заменён, 1 без изменений, 1 добавлен, 1 убран (нет в новой версии файла)."
        );
        let many = ImportSummary {
            replaced: 22,
            unchanged: 0,
            added: 5,
            dropped: 0,
        };
        assert_eq!(
            many.message(Language::Ru, "b.csv"),
            "b.csv: 22\u{a0}плана заменены, 0 без изменений, 5 добавлены."
        );
        assert_eq!(
            removed_message(Language::Ru, "b.csv", 5, 1),
            "b.csv: 5\u{a0}планов удалены; снова действует 1\u{a0}план других файлов."
        );
        assert_eq!(
            removed_message(Language::En, "b.csv", 1, 2),
            "b.csv: 1 plan removed; 2 plans of other files are in force again."
        );
        assert_eq!(
            ImportSummary::of(&[], "c.csv", &new).message(Language::En, "c.csv"),
            "c.csv: 0 plans replaced, 0 unchanged, 3 added."
        );
    }

    #[test]
    fn import_time_is_after_every_loaded_import() {
        let now = Instant::from_timestamp_millis(5_000).unwrap();
        assert_eq!(import_time(&[plan("a.csv", None, 11, 1, Some(4_000))], now), now);
        let later = [plan("a.csv", None, 11, 1, Some(5_000)), plan("b.csv", None, 11, 1, Some(9_000))];
        assert_eq!(import_time(&later, now).timestamp_millis(), 9_001);
    }

    #[test]
    fn periods_are_listed_short() {
        let set = |months: &[u32]| months.iter().map(|m| plan("a", None, *m, 1, None).period).collect::<BTreeSet<_>>();
        assert_eq!(periods(&set(&[11, 12]), Language::Ru), "ноябрь 2026, декабрь 2026");
        assert_eq!(periods(&set(&[1, 2, 3, 4, 5]), Language::Ru), "январь 2026 … май 2026 (5)");
        assert_eq!(periods(&set(&[11, 12]), Language::En), "November 2026, December 2026");
    }
}
