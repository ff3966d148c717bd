//! Fuzz targets: every reader of input Tsifra does not control, as a function
//! of bytes that must never panic, whatever the bytes. A bad input is an error
//! (or a skipped record); a panic is a bug, because in the server it is a 500
//! on every board or a sync that never ends.
//!
//! [`run`] drives a target for a time budget from its seeds (see [`seeds`])
//! through [`mutate`]; the tests in `tests/fuzz.rs` run every target for
//! `TSIFRA_FUZZ_SECONDS` each (CI: a fixed budget; longer on demand) and
//! replay every input under `regressions/`, where each crash found is kept.

pub mod mutate;
pub mod seeds;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use tsifra_amocrm::map::{self, MapContext};
use tsifra_amocrm::wire::{self, Page};
use tsifra_core::calendar::Instant as At;
use tsifra_core::model::{EntityKind, Source, Table, User, Workspace};
use tsifra_core::query::{self, Layer, QueryCtx, QueryText};
use tsifra_core::{Config, Language};
use tsifra_import::plans::{PlanSource, parse_plans};

/// A reader under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A plan file as CSV (`tsifra import plans`, the plans page).
    PlansCsv,
    /// A plan file as XLSX.
    PlansXlsx,
    /// A production calendar (XML or CSV).
    Calendar,
    /// An amoCRM webhook body (form-encoded).
    Webhook,
    /// amoCRM list pages, decoded and mapped into the model.
    Amocrm,
    /// `tsifra.toml` and its environment overrides.
    Config,
    /// An explore question as a URL's query string, parsed and answered.
    Explore,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::PlansCsv,
        Target::PlansXlsx,
        Target::Calendar,
        Target::Webhook,
        Target::Amocrm,
        Target::Config,
        Target::Explore,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::PlansCsv => "plans_csv",
            Target::PlansXlsx => "plans_xlsx",
            Target::Calendar => "calendar",
            Target::Webhook => "webhook",
            Target::Amocrm => "amocrm",
            Target::Config => "config",
            Target::Explore => "explore",
        }
    }

    /// Feeds `data` to the reader; panics only where the reader has a bug.
    pub fn check(self, data: &[u8]) {
        match self {
            Target::PlansCsv => plans(PlanSource::Csv(data)),
            Target::PlansXlsx => plans(PlanSource::Spreadsheet(data)),
            Target::Calendar => calendar(data),
            Target::Webhook => webhook(data),
            Target::Amocrm => amocrm(data),
            Target::Config => config(data),
            Target::Explore => explore(data),
        }
    }
}

fn users() -> &'static Table<User> {
    static USERS: OnceLock<Table<User>> = OnceLock::new();
    USERS.get_or_init(|| {
        [(1, "Анна Смирнова"), (2, "Борис Ёлкин"), (3, "Vera Kim")]
            .into_iter()
            .map(|(id, name)| User {
                id,
                name: name.into(),
                email: Some(format!("u{id}@example.ru")),
                team_id: None,
                active: true,
                source: Source::Amocrm,
            })
            .collect()
    })
}

fn plans(source: PlanSource) {
    if let Ok(plans) = parse_plans("plans", source, users(), Language::Ru) {
        for p in plans {
            assert!(p.manager_id.is_none_or(|id| users().contains(id)), "a plan for nobody: {p:?}");
        }
    }
}

fn calendar(data: &[u8]) {
    if let Ok(years) = tsifra_import::calendar::parse_calendar("calendar", data, Language::Ru) {
        for y in years {
            let _ = format!("{y:?}");
        }
    }
}

fn webhook(data: &[u8]) {
    if let Ok(payload) = tsifra_amocrm::webhook::parse(data) {
        let targets = payload.unique_targets();
        let mut seen = std::collections::HashSet::new();
        for t in &targets {
            assert!(seen.insert(format!("{t:?}")), "a target twice after de-duplication: {t:?}");
        }
    }
}

/// The amoCRM decoders: the same bytes read as each list the sync reads, and
/// each item mapped into the model as the sync maps it.
fn amocrm(data: &[u8]) {
    let defs: Vec<_> = Page::<wire::CustomField>::parse(data)
        .map(|p| p.items.iter().map(|f| map::map_field_def(f, EntityKind::Deal)).collect())
        .unwrap_or_default();
    let ctx = MapContext::new("https://fuzz.amocrm.ru").with_field_defs(defs);
    if let Ok(page) = Page::<wire::Lead>::parse(data) {
        let deals: Vec<_> = page.items.iter().map(|l| map::map_lead(l, &ctx, None)).collect();
        let _ = map::deal_payments(&deals, &ctx);
        boards(deals, ctx.field_defs.values().cloned().collect());
    }
    if let Ok(page) = Page::<wire::Contact>::parse(data) {
        for c in &page.items {
            map::map_contact(c, &ctx);
            map::map_company(c, &ctx);
        }
    }
    if let Ok(page) = Page::<wire::Task>::parse(data) {
        for t in &page.items {
            map::map_task(t, &ctx);
        }
    }
    if let Ok(page) = Page::<wire::Note>::parse(data) {
        for n in &page.items {
            map::map_note(n, EntityKind::Deal);
        }
    }
    if let Ok(page) = Page::<wire::Event>::parse(data) {
        for e in &page.items {
            map::map_event(e);
        }
    }
    if let Ok(page) = Page::<wire::Pipeline>::parse(data) {
        for p in &page.items {
            map::map_pipeline(p);
        }
    }
    if let Ok(page) = Page::<wire::User>::parse(data) {
        for u in &page.items {
            map::map_user(u);
        }
    }
    if let Ok(account) = serde_json::from_slice::<wire::Account>(data) {
        map::map_account(&account, &ctx);
        map::account_tz(&account);
        map::task_kinds(&account);
    }
}

/// The deals a sync stored, on every board: one odd value must not take one down.
fn boards(deals: Vec<tsifra_core::model::Deal>, defs: Vec<tsifra_core::model::FieldDef>) {
    use tsifra_core::reports::{self, Ctx, Facts, ReportId, ReportParams};
    let (_, config, _) = department();
    let mut config = config.clone();
    config.fields.margin = "3".into();
    let ws = Workspace {
        deals: deals.into_iter().collect(),
        field_defs: defs.into_iter().collect(),
        ..Workspace::default()
    };
    let facts = Facts::build(&ws, &config);
    let calendar = config.calendar();
    let ctx = Ctx {
        ws: &ws,
        facts: &facts,
        config: &config,
        calendar: &calendar,
        as_of: as_of(),
    };
    for id in ReportId::ALL {
        let report = reports::run(id, &ctx, &ReportParams::default());
        for t in reports::tabular::tables(&report, Language::Ru, "RUB") {
            let _ = reports::tabular::to_csv(&t, &calendar, Language::Ru);
        }
    }
}

fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // A line `ENV NAME=VALUE` at the top stands for an environment override.
    let (env, file) = match text.strip_prefix("ENV ").and_then(|t| t.split_once('\n')) {
        Some((pair, rest)) => (pair.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())), rest),
        None => (None, &*text),
    };
    if let Ok(config) = Config::parse("tsifra.toml", file, env) {
        let _ = config.time_zone();
        let _ = config.calendar();
    }
}

/// A small department to ask questions of.
fn department() -> &'static (Workspace, Config, Layer) {
    static DEPT: OnceLock<(Workspace, Config, Layer)> = OnceLock::new();
    DEPT.get_or_init(|| {
        let config = Config::default();
        let ws = tsifra_demo::generate(
            &tsifra_demo::DemoOptions {
                deals: 150,
                ..tsifra_demo::DemoOptions::at(as_of())
            },
            &config.calendar(),
        );
        let layer = Layer::build(&ws, &config);
        (ws, config, layer)
    })
}

fn as_of() -> At {
    "2026-11-20T12:00:00Z".parse().expect("an instant")
}

/// `measure=…&by=…&where=…&period=…&compare=…&limit=…`, as the API reads it.
fn explore(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut q = QueryText::default();
    for pair in text.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "measure" => q.measure = Some(value.to_string()),
            "by" => q.by.push(value.to_string()),
            "where" => q.filters.push(value.to_string()),
            "period" => q.period = Some(value.to_string()),
            "compare" => q.compare = Some(value.to_string()),
            "limit" => q.limit = value.parse().ok(),
            _ => {}
        }
    }
    let (ws, config, layer) = department();
    let calendar = config.calendar();
    let today = calendar.local_date(as_of());
    let Ok(question) = q.parse(ws, config, today) else { return };
    let ctx = QueryCtx {
        ws,
        layer,
        config,
        calendar: &calendar,
        as_of: as_of(),
    };
    let answer = query::answer(&ctx, &question);
    let _ = query::table::answer_table(&answer, Language::Ru);
    if let Some(dim) = question.by.first() {
        let _ = query::pareto::pareto(&ctx, &question, *dim, 80, 15);
    }
}

/// What a run found.
#[derive(Debug)]
pub struct Found {
    pub runs: u64,
    /// The first input that panicked, with the panic's message.
    pub crash: Option<(Vec<u8>, String)>,
}

/// Runs `target` on each seed, then on mutations of them for `budget`, from
/// the generator seeded with `seed`; stops at the first crash.
pub fn run(target: Target, seeds: &[Vec<u8>], budget: Duration, seed: u64) -> Found {
    run_with(|data| target.check(data), mutate::dictionary(target), seeds, budget, seed)
}

/// [`run`] with any reader `check` and the tokens its format is made of.
pub fn run_with(
    check: impl Fn(&[u8]) + std::panic::RefUnwindSafe,
    dictionary: &[&str],
    seeds: &[Vec<u8>],
    budget: Duration,
    seed: u64,
) -> Found {
    let mut found = Found { runs: 0, crash: None };
    let try_one = |data: &[u8]| -> Option<String> {
        std::panic::catch_unwind(|| check(data)).err().map(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into())
        })
    };
    for s in seeds {
        found.runs += 1;
        if let Some(message) = try_one(s) {
            found.crash = Some((s.clone(), message));
            return found;
        }
    }
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed);
    let started = Instant::now();
    let mut corpus: Vec<Vec<u8>> = seeds.to_vec();
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    while started.elapsed() < budget {
        let base = &corpus[rng.random_range(0..corpus.len())];
        let other = &corpus[rng.random_range(0..corpus.len())];
        let input = mutate::mutate(base, other, dictionary, &mut rng);
        found.runs += 1;
        if let Some(message) = try_one(&input) {
            found.crash = Some((input, message));
            return found;
        }
        // Keep some mutants as bases, so changes stack up over the run.
        if corpus.len() < 4 * seeds.len().max(8) && rng.random_range(0..16) == 0 {
            corpus.push(input);
        }
    }
    found
}
