//! The list of reports. A report is one module that declares one
//! [`ReportKind`] (its id, title, the parameters it accepts with their valid
//! values, its run function and its tables), plus one line in [`reports!`]
//! below. From that line follow the [`ReportId`] users type, the [`Report`]
//! output the CLI, the API, the pages, the CSV and XLSX downloads and the TV
//! slides are drawn from, and the checking of parameters ([`parse_params`]),
//! written once for all of them.

use chrono::NaiveDate;
use serde::Serialize;

use super::tabular::Table;
use super::{Ctx, ReportParams};
use crate::calendar::Instant;
use crate::i18n::{Language, text_with};
use crate::model::{Metric, Tables, Workspace};
use crate::query::{Compare, Span};

/// A parameter a report accepts, with its valid values where they are a fixed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// `--manager` / `?manager=`: only this manager's rows (name, e-mail or id).
    Manager,
    /// `--metric`: what to count (revenue, margin, won_deals, calls).
    Metric,
    /// `--sort`: the order of the rows, one of these (the first is the default).
    Sort(&'static [&'static str]),
    /// `--period`: a named period or a date range, in the query layer's words.
    Period,
    /// `--compare`: the previous period or the same one a year earlier (needs a period to compare).
    Compare,
    /// `--pipeline`: one pipeline (name or id).
    Pipeline,
    /// `--team`: one team's managers (amoCRM's groups, name or id).
    Team,
    /// `--rule`: only the violations of this rule (hygiene), by its id.
    Rule,
    /// `--min-days` / `?min_days=`: only what has stood open at least this many days (hygiene).
    MinDays,
    /// `--prospects` / `?prospects=1`: the companies that never bought instead of the clients (call priority).
    Prospects,
}

impl Param {
    /// As the CLI flag and the URL parameter spell it.
    pub fn name(self) -> &'static str {
        match self {
            Param::Manager => "manager",
            Param::Metric => "metric",
            Param::Sort(_) => "sort",
            Param::Period => "period",
            Param::Compare => "compare",
            Param::Pipeline => "pipeline",
            Param::Team => "team",
            Param::Rule => "rule",
            Param::MinDays => "min_days",
            Param::Prospects => "prospects",
        }
    }
}

/// What a report is called and what it accepts.
#[derive(Clone, Copy, Debug)]
pub struct Definition {
    /// What users type: `tsifra report ID`, `/api/reports/ID`, `/boards/ID`, `[tv] boards`.
    pub id: &'static str,
    /// Its title in [`crate::i18n::TEXTS`]. The web's board title, short name and
    /// description are `web.board.{id}`, `web.nav.{id}` and `web.board.{id}.about`
    /// (dashes as underscores) in the web's texts.
    pub title_key: &'static str,
    /// The parameters it accepts; any other is refused, naming these.
    pub params: &'static [Param],
    /// The workspace's tables it reads (start from [`Definition::READS_DEALS`]):
    /// a cached copy stands while none of these changes, so a table it reads
    /// and does not list here would serve stale figures.
    pub reads: Tables,
}

impl Definition {
    /// What every report over deals reads: the deals, the managers and teams,
    /// and the set-up that gives them meaning (pipelines' stages, loss reasons,
    /// custom fields, the account).
    pub const READS_DEALS: Tables = Tables::DEALS.with(Tables::USERS).with(Tables::SETUP);

    pub fn takes(&self, name: &str) -> bool {
        self.params.iter().any(|p| p.name() == name)
    }

    /// The sort keys it accepts (empty when it offers no sort).
    pub fn sorts(&self) -> &'static [&'static str] {
        self.params
            .iter()
            .find_map(|p| match p {
                Param::Sort(keys) => Some(*keys),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// The id with dashes as underscores, as text keys spell it (`call_priority`).
    pub fn key(&self) -> String {
        self.id.replace('-', "_")
    }
}

/// One report: what it is ([`Definition`]), how it is computed and how it is shown as tables.
pub trait ReportKind {
    /// What it computes: serialised as the report's JSON (CLI `--format json`, the API).
    type Output: Clone + std::fmt::Debug + Serialize + Send + Sync + 'static;
    const DEF: Definition;
    /// The one function the CLI, the API and the pages compute it with.
    fn run(ctx: &Ctx, params: &ReportParams) -> Self::Output;
    /// Its tables: the page's tables, the CSV and XLSX downloads and the terminal's text.
    fn tables(output: &Self::Output, lang: Language, currency: &str) -> Vec<Table>;
    /// The moment it was computed for.
    fn as_of(output: &Self::Output) -> Instant;
}

/// Declares the reports: `Variant => module::Kind`. Generates [`ReportId`]
/// (serialised as the definition's id) and [`Report`] (its output, tagged
/// `"report": ID` in JSON) and the dispatch from one to the other.
macro_rules! reports {
    ($($variant:ident => $kind:ty),+ $(,)?) => {
        /// The report ids users type (`tsifra report ID`, `/api/reports/ID`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum ReportId {
            $($variant),+
        }

        /// A computed report, ready to be shown as tables, JSON or CSV. Made once
        /// per request (and kept behind an `Arc`), so variants are not boxed.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, Serialize)]
        #[serde(tag = "report", rename_all = "kebab-case")]
        pub enum Report {
            $($variant(<$kind as ReportKind>::Output)),+
        }

        impl ReportId {
            /// Every report, in the order boards, the TV and `--help` list them.
            pub const ALL: [ReportId; [$(stringify!($variant)),+].len()] = [$(ReportId::$variant),+];

            /// Its definition: id, title, parameters.
            pub fn def(self) -> &'static Definition {
                match self {
                    $(ReportId::$variant => &<$kind as ReportKind>::DEF),+
                }
            }
        }

        /// Computes a report by id: the one function the CLI, the API and the pages call.
        pub fn run(id: ReportId, ctx: &Ctx, params: &ReportParams) -> Report {
            match id {
                $(ReportId::$variant => Report::$variant(<$kind as ReportKind>::run(ctx, params))),+
            }
        }

        impl Report {
            pub fn id(&self) -> ReportId {
                match self {
                    $(Report::$variant(_) => ReportId::$variant),+
                }
            }

            /// The report as tables, titled and headed in `lang`.
            pub fn tables(&self, lang: Language, currency: &str) -> Vec<Table> {
                match self {
                    $(Report::$variant(r) => <$kind as ReportKind>::tables(r, lang, currency)),+
                }
            }

            /// The instant the report was computed for.
            pub fn as_of(&self) -> Instant {
                match self {
                    $(Report::$variant(r) => <$kind as ReportKind>::as_of(r)),+
                }
            }
        }
    };
}

// The registration: one line per report. A new report adds its module to
// `reports/mod.rs` and its line here; everything else follows.
reports! {
    PlanFact => super::plan_fact::PlanFactReport,
    Leaderboard => super::leaderboard::LeaderboardReport,
    Hygiene => super::hygiene::HygieneReport,
    CallPriority => super::call_priority::CallPriorityReport,
    Receivables => super::receivables::ReceivablesReport,
    Funnel => super::funnel::FunnelReport,
}

impl ReportId {
    pub fn as_str(self) -> &'static str {
        self.def().id
    }

    pub fn parse(s: &str) -> Option<ReportId> {
        ReportId::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The report's title key in [`crate::i18n::TEXTS`].
    pub fn title_key(self) -> &'static str {
        self.def().title_key
    }

    /// The tables it reads (see [`Definition::reads`]).
    pub fn reads(self) -> Tables {
        self.def().reads
    }

    /// Every id, comma-separated, for messages that list them.
    pub fn names() -> String {
        ReportId::ALL.map(ReportId::as_str).join(", ")
    }
}

/// The parameters as typed on the command line or in a URL; empty text counts as not given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawParams {
    pub manager: Option<String>,
    pub metric: Option<String>,
    pub sort: Option<String>,
    pub period: Option<String>,
    pub compare: Option<String>,
    pub pipeline: Option<String>,
    pub team: Option<String>,
    pub rule: Option<String>,
    pub min_days: Option<String>,
    /// `1` (or `true`, `yes`, `да`) for the other list; `0` for the default one.
    pub prospects: Option<String>,
}

impl RawParams {
    /// Each parameter given, by name, trimmed; empty ones left out.
    pub fn given(&self) -> Vec<(&'static str, &str)> {
        [
            ("manager", &self.manager),
            ("metric", &self.metric),
            ("sort", &self.sort),
            ("period", &self.period),
            ("compare", &self.compare),
            ("pipeline", &self.pipeline),
            ("team", &self.team),
            ("rule", &self.rule),
            ("min_days", &self.min_days),
            ("prospects", &self.prospects),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| (name, v)))
        .collect()
    }
}

/// A parameter that cannot be used: which one (as the flag and the URL name it) and why,
/// in the workspace's language, naming the valid values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub param: &'static str,
    pub message: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.param, self.message)
    }
}

/// Reads a report's parameters against its definition and the workspace:
/// the one check the CLI, the API, the pages and the TV share. `today` is the
/// as-of day that relative periods count from.
pub fn parse_params(id: ReportId, raw: &RawParams, ws: &Workspace, today: NaiveDate, lang: Language) -> Result<ReportParams, ParamError> {
    let def = id.def();
    let mut params = ReportParams::default();
    for (name, value) in raw.given() {
        let err = |message: String| ParamError { param: name, message };
        if !def.takes(name) {
            let takes: Vec<&str> = def.params.iter().map(|p| p.name()).collect();
            let takes = if takes.is_empty() { "—".to_string() } else { takes.join(", ") };
            return Err(err(text_with(
                lang,
                "report.param_not_taken",
                &[("report", def.id), ("param", name), ("names", &takes)],
            )));
        }
        match name {
            "manager" => params.manager = Some(super::resolve_manager(ws, value).map_err(|e| err(e.message(lang)))?),
            "metric" => {
                params.metric = Some(Metric::parse(value).ok_or_else(|| {
                    let names = Metric::ALL.map(Metric::as_str).join(", ");
                    err(text_with(lang, "report.unknown_metric", &[("value", value), ("names", &names)]))
                })?)
            }
            "sort" => {
                let sorts = def.sorts();
                if !sorts.contains(&value) {
                    return Err(err(text_with(
                        lang,
                        "report.unknown_sort",
                        &[("value", value), ("names", &sorts.join(", "))],
                    )));
                }
                params.sort = Some(value.to_string());
            }
            "period" => {
                Span::parse(value, today).ok_or_else(|| err(crate::query::QueryError::UnknownPeriod(value.to_string()).message(lang)))?;
                params.period = Some(value.to_string());
            }
            "compare" => {
                if value != "none" {
                    params.compare = Some(
                        Compare::parse(value)
                            .ok_or_else(|| err(crate::query::QueryError::UnknownCompare(value.to_string()).message(lang)))?,
                    );
                }
            }
            "pipeline" => params.pipeline = Some(super::funnel::resolve_pipeline(ws, value).map_err(err)?),
            "team" => params.team = Some(super::funnel::resolve_team(ws, value).map_err(err)?),
            "rule" => {
                params.rule = Some(super::hygiene::Rule::parse(value).ok_or_else(|| {
                    let names = super::hygiene::Rule::ALL.map(super::hygiene::Rule::as_str).join(", ");
                    err(text_with(lang, "report.unknown_rule", &[("value", value), ("names", &names)]))
                })?)
            }
            "min_days" => {
                params.min_days = Some(
                    value
                        .parse::<u32>()
                        .map_err(|_| err(text_with(lang, "report.bad_min_days", &[("value", value)])))? as i64,
                )
            }
            "prospects" => {
                params.prospects = match value.to_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" | "да" => true,
                    "0" | "false" | "no" | "off" | "нет" => false,
                    _ => return Err(err(text_with(lang, "report.bad_switch", &[("value", value)]))),
                }
            }
            _ => unreachable!("RawParams::given names only known parameters"),
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityRef, Id};
    use crate::reports::testkit::*;

    #[test]
    fn ids_titles_and_serde_names_agree() {
        for id in ReportId::ALL {
            assert_eq!(ReportId::parse(id.as_str()), Some(id));
            assert_eq!(
                serde_json::to_value(id).unwrap(),
                id.as_str(),
                "the enum serialises as the definition's id"
            );
            for lang in [Language::Ru, Language::En] {
                assert_ne!(crate::i18n::text(lang, id.title_key()), id.title_key(), "{id:?}: no title text");
            }
            let names: Vec<&str> = id.def().params.iter().map(|p| p.name()).collect();
            for (i, n) in names.iter().enumerate() {
                assert!(!names[i + 1..].contains(n), "{id:?} lists {n} twice");
            }
        }
        assert_eq!(ReportId::parse("nope"), None);
    }

    /// A department with something in every table, the same each call.
    fn department() -> (Kit, Id, Id, Id) {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        let client = k.company("ООО «Клиент»", anna);
        let won = k.won_deal(anna, 120_000, "2026-09-01T09:00:00Z", "2026-10-05T12:00:00Z");
        k.set_company(won, client);
        let open = k.open_deal(boris, 50_000, "2026-11-02T09:00:00Z");
        k.set_company(open, client);
        k.won_deal(boris, 80_000, "2026-11-03T09:00:00Z", "2026-11-24T12:00:00Z");
        k.call(anna, "2026-11-24T10:00:00Z", true);
        k.activity(
            boris,
            crate::model::ActivityKind::CallOut,
            Some(EntityRef::Company(client)),
            "2026-10-20T10:00:00Z",
            true,
        );
        k.task(
            boris,
            EntityRef::Deal(open),
            crate::model::TaskKind::Call,
            "2026-11-20T10:00:00Z",
            None,
        );
        k.month_plan(anna, "2026-11", Metric::Revenue, 200_000);
        let id = k.id();
        k.ws.payments.upsert(payment(id, won, client, "2026-11-10"));
        (k, anna, client, open)
    }

    fn payment(id: Id, deal: Id, company: Id, due: &str) -> crate::model::Payment {
        crate::model::Payment {
            id,
            deal_id: Some(deal),
            company_id: Some(company),
            amount_due: crate::money::Money::from_major(120_000),
            due_date: Some(date(due)),
            amount_paid: crate::money::Money::ZERO,
            paid_date: None,
            source: crate::model::Source::Amocrm,
        }
    }

    /// A change to each table alone, of the kind a board shows.
    fn change(table: Tables, k: &mut Kit, anna: Id, client: Id, open: Id) {
        use crate::model::*;
        match table {
            Tables::COMPANIES => {
                let mut c = k.ws.companies.get(client).unwrap().clone();
                c.name = "ООО «Переименован»".into();
                c.tax_id = Some("7707083893".into());
                k.ws.companies.upsert(c);
            }
            Tables::CONTACTS => {
                let id = k.id();
                k.ws.contacts.upsert(Contact {
                    id,
                    name: "Иван".into(),
                    responsible_id: Some(anna),
                    company_ids: vec![client],
                    created_at: at("2026-11-01T00:00:00Z"),
                    updated_at: at("2026-11-01T00:00:00Z"),
                    phones: vec![],
                    emails: vec![],
                    fields: vec![],
                    source: Source::Amocrm,
                });
            }
            Tables::DEALS => {
                k.won_deal(anna, 70_000, "2026-11-05T09:00:00Z", "2026-11-25T12:00:00Z");
            }
            Tables::TASKS => {
                k.task(anna, EntityRef::Deal(open), TaskKind::Call, "2026-11-18T10:00:00Z", None);
            }
            Tables::ACTIVITIES => {
                k.call(anna, "2026-11-25T11:00:00Z", true);
                k.activity(
                    anna,
                    ActivityKind::Meeting,
                    Some(EntityRef::Company(client)),
                    "2026-11-25T12:00:00Z",
                    true,
                );
            }
            Tables::PAYMENTS => {
                let (id, deal) = (k.id(), open);
                k.ws.payments.upsert(payment(id, deal, client, "2026-11-01"));
            }
            Tables::USERS => {
                let mut u = k.ws.users.get(anna).unwrap().clone();
                u.name = "Анна Петровна".into();
                k.ws.users.upsert(u);
            }
            Tables::SETUP => {
                let mut p = k.ws.pipelines.iter().next().unwrap().clone();
                for stage in &mut p.stages {
                    stage.name.push_str(" (новое)");
                }
                p.name.push_str(" (новая)");
                k.ws.pipelines.upsert(p);
            }
            Tables::PLANS => k.plan(None, "2026-11", Metric::Revenue, 999_000),
            Tables::HYGIENE_HISTORY => k.ws.hygiene_history.push(HygieneCount {
                day: date("2026-11-24"),
                manager_id: Some(anna),
                rule: "open_deal_without_task".into(),
                violations: 5,
                checked: 9,
            }),
            other => unreachable!("{other:?} is not one table"),
        }
    }

    /// The cache serves a report's copy until a table it declares changes: a
    /// report whose output moves with a table it does not declare would be
    /// served stale. Each table is changed alone; every report not declaring it
    /// must come out the same. (And each change is one a board shows, so the
    /// check has teeth: some report moves with every table.)
    #[test]
    fn each_report_declares_every_table_it_reads() {
        const AS_OF: &str = "2026-11-26T12:00:00Z";
        // Each report as the boards ask for it, and counting calls where it counts a metric.
        let json = |k: &Kit, id: ReportId| {
            let mut out = serde_json::to_string(&k.report(id, AS_OF)).unwrap();
            if id.def().takes("metric") {
                let calls = ReportParams {
                    metric: Some(Metric::Calls),
                    ..ReportParams::default()
                };
                out += &serde_json::to_string(&k.report_with(id, AS_OF, calls)).unwrap();
            }
            out
        };
        let tables = (0..10).map(|bit| Tables(1 << bit));
        for table in tables {
            let (before, anna, client, open) = department();
            let (mut after, ..) = department();
            change(table, &mut after, anna, client, open);
            let mut moved = Vec::new();
            for id in ReportId::ALL {
                let changed = json(&before, id) != json(&after, id);
                assert!(
                    !changed || id.reads().meets(table),
                    "{}: its figures move with {table:?}, which its definition's `reads` leaves out",
                    id.as_str()
                );
                if changed {
                    moved.push(id);
                }
            }
            assert!(
                !moved.is_empty(),
                "changing {table:?} moved no report: the check would prove nothing"
            );
        }
    }

    #[test]
    fn each_report_is_tagged_with_its_id_in_json() {
        let k = Kit::new();
        for id in ReportId::ALL {
            let report = k.report(id, "2026-11-26T12:00:00Z");
            assert_eq!(report.id(), id);
            let json = serde_json::to_value(&report).unwrap();
            assert_eq!(json["report"], id.as_str());
            assert_eq!(report.as_of(), at("2026-11-26T12:00:00Z"));
        }
    }

    #[test]
    fn parameters_are_checked_once_naming_the_valid_values() {
        let mut k = Kit::new();
        let anna = k.manager("Анна Сёмина");
        let today = date("2026-11-26");
        let raw = |pairs: &[(&str, &str)]| {
            let mut r = RawParams::default();
            for (name, value) in pairs {
                let slot = match *name {
                    "manager" => &mut r.manager,
                    "metric" => &mut r.metric,
                    "sort" => &mut r.sort,
                    "period" => &mut r.period,
                    "compare" => &mut r.compare,
                    "pipeline" => &mut r.pipeline,
                    "rule" => &mut r.rule,
                    "min_days" => &mut r.min_days,
                    _ => &mut r.team,
                };
                *slot = Some(value.to_string());
            }
            r
        };
        let ok = parse_params(
            ReportId::Leaderboard,
            &raw(&[
                ("manager", "анна семина"),
                ("metric", "won_deals"),
                ("period", "last_month"),
                ("compare", "year_ago"),
            ]),
            &k.ws,
            today,
            Language::Ru,
        )
        .unwrap();
        assert_eq!(ok.manager, Some(anna));
        assert_eq!(ok.metric, Some(Metric::WonDeals));
        assert_eq!(ok.period.as_deref(), Some("last_month"));
        assert_eq!(ok.compare, Some(Compare::YearAgo));
        // Empty text is no parameter at all.
        let empty = parse_params(
            ReportId::Hygiene,
            &raw(&[("sort", " "), ("period", "")]),
            &k.ws,
            today,
            Language::Ru,
        )
        .unwrap();
        assert_eq!(empty.sort, None);

        let fails = |id: ReportId, pairs: &[(&str, &str)], lang: Language| parse_params(id, &raw(pairs), &k.ws, today, lang).unwrap_err();
        let e = fails(ReportId::Receivables, &[("sort", "size")], Language::Ru);
        assert_eq!(e.param, "sort");
        assert_eq!(e.message, "неизвестная сортировка «size»; возможные: amount, days");
        let e = fails(ReportId::PlanFact, &[("metric", "profit")], Language::En);
        assert_eq!(
            e.message,
            "unknown metric \"profit\"; expected one of: revenue, margin, won_deals, calls"
        );
        let e = fails(ReportId::Funnel, &[("period", "soon")], Language::En);
        assert!(e.message.contains("last_quarter"), "{e}");
        let e = fails(ReportId::PlanFact, &[("compare", "tomorrow")], Language::En);
        assert!(e.message.contains("previous or year_ago"), "{e}");
        // A parameter the report does not take is refused, naming those it takes.
        let e = fails(ReportId::Funnel, &[("sort", "days")], Language::Ru);
        assert_eq!(
            (e.param, e.message.as_str()),
            (
                "sort",
                "отчёт funnel не принимает параметр sort; принимает: manager, period, pipeline, team"
            )
        );
        let e = fails(ReportId::Hygiene, &[("rule", "no_task")], Language::Ru);
        assert_eq!(e.param, "rule");
        assert!(
            e.message
                .starts_with("неизвестное правило «no_task»; возможные: open_deal_without_task,"),
            "{e}"
        );
        let e = fails(ReportId::Hygiene, &[("min_days", "-3")], Language::Ru);
        assert_eq!(e.message, "«-3»: нужно целое число дней от 0");
        let e = fails(ReportId::PlanFact, &[("rule", "stale_deal")], Language::En);
        assert!(e.message.starts_with("report plan-fact takes no rule"), "{e}");
        let ok = parse_params(
            ReportId::Hygiene,
            &raw(&[("rule", "stale_deal"), ("min_days", "7"), ("sort", "record_desc")]),
            &k.ws,
            today,
            Language::Ru,
        )
        .unwrap();
        assert_eq!(
            (ok.rule, ok.min_days, ok.sort.as_deref()),
            (Some(crate::reports::hygiene::Rule::StaleDeal), Some(7), Some("record_desc"))
        );
        let e = fails(ReportId::Receivables, &[("period", "last_month")], Language::En);
        assert_eq!(e.message, "report receivables takes no period; it takes: manager, sort");
    }
}
