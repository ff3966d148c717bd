//! CRM hygiene: a rule engine that finds what managers left undone (open deals
//! without a task, deals without a company, overdue tasks, stale deals...).
//! Rules are switched and tuned in config; the output counts violations per
//! manager per rule, scores each manager, and lists every violation with its
//! CRM card link and how long it has been open.

use std::collections::BTreeMap;

use serde::Serialize;

use super::facts::resolve_field;
use super::history;
use super::now::{DealState, OpenTask};
use super::{Ctx, ReportParams};
use crate::calendar::Instant;
use crate::i18n::text;
use crate::model::{Deal, EntityKind, EntityRef, Id, Source, StageKind, field_value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    OpenDealWithoutTask,
    DealWithoutCompany,
    DealWithoutContact,
    CompanyWithoutQualification,
    RequiredFields,
    OverdueTask,
    StaleDeal,
    ZeroAmount,
    ContactWithoutPhoneOrEmail,
    DuplicateCompanies,
}

impl Rule {
    pub const ALL: [Rule; 10] = [
        Rule::OpenDealWithoutTask,
        Rule::DealWithoutCompany,
        Rule::DealWithoutContact,
        Rule::CompanyWithoutQualification,
        Rule::RequiredFields,
        Rule::OverdueTask,
        Rule::StaleDeal,
        Rule::ZeroAmount,
        Rule::ContactWithoutPhoneOrEmail,
        Rule::DuplicateCompanies,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::OpenDealWithoutTask => "open_deal_without_task",
            Rule::DealWithoutCompany => "deal_without_company",
            Rule::DealWithoutContact => "deal_without_contact",
            Rule::CompanyWithoutQualification => "company_without_qualification",
            Rule::RequiredFields => "required_fields",
            Rule::OverdueTask => "overdue_task",
            Rule::StaleDeal => "stale_deal",
            Rule::ZeroAmount => "zero_amount",
            Rule::ContactWithoutPhoneOrEmail => "contact_without_phone_or_email",
            Rule::DuplicateCompanies => "duplicate_companies",
        }
    }

    pub fn title_key(self) -> String {
        format!("rule.{}", self.as_str())
    }

    /// Its short name, for column heads (`rule_short.*`).
    pub fn short_key(self) -> String {
        format!("rule_short.{}", self.as_str())
    }

    /// The rule its id names (`stale_deal`).
    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// The orders the violations list can be sorted in (`--sort`, `?sort=`); the first,
/// the longest-standing first, is the default. Text columns go А→Я, `_desc` reverses.
pub const SORTS: &[&str] = &[
    "open_days",
    "open_days_asc",
    "rule",
    "rule_desc",
    "record",
    "record_desc",
    "manager",
    "manager_desc",
    "detail",
    "detail_desc",
];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Hygiene {
    pub as_of: Instant,
    pub rules: Vec<RuleSummary>,
    pub managers: Vec<ManagerHygiene>,
    pub team: ManagerHygiene,
    /// The violations the filters (`rule`, `min_days`) keep, in the asked order
    /// (`sort`; the longest-standing first by default). Counts above are never filtered.
    pub violations: Vec<Violation>,
    /// How many violations there are before the filters.
    pub violations_total: usize,
    /// The stored day "since yesterday" compares with; `None` when no tally was stored for yesterday.
    pub yesterday: Option<chrono::NaiveDate>,
    /// Monday of this week in the business's zone.
    pub week_start: chrono::NaiveDate,
    /// The stored day this week's fixes are counted from: the last one before
    /// Monday (within the week before), else the first of this week before today.
    pub week_baseline: Option<chrono::NaiveDate>,
    /// Who fixed the most this week (see [`ManagerHygiene::fixed_this_week`]); `None` when nobody fixed anything.
    pub most_fixed: Option<MostFixed>,
    /// Violations per day over the last [`TREND_DAYS`] days from the stored
    /// daily tallies, ending with today's live count: is the floor getting cleaner?
    pub trend: Vec<TrendDay>,
}

/// Days of history the report shows.
pub const TREND_DAYS: i64 = 30;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrendDay {
    pub day: chrono::NaiveDate,
    pub violations: u64,
    pub checked: u64,
    pub score: Option<f64>,
    /// False for today's live figure, true for a stored tally.
    pub stored: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RuleSummary {
    pub rule: Rule,
    pub title: String,
    pub enabled: bool,
    /// Why an enabled rule checked nothing (e.g. its field is not mapped).
    pub note: Option<String>,
    pub checked: usize,
    pub violations: usize,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ManagerHygiene {
    pub manager_id: Option<Id>,
    pub manager: String,
    pub counts: BTreeMap<Rule, usize>,
    pub violations: usize,
    pub checked: usize,
    /// 100 × the clean share of what was checked; `None` if nothing was.
    pub score: Option<f64>,
    /// Violations now less those in yesterday's stored tally; `None` when
    /// yesterday has no tally, or none for this manager (new to the report).
    pub since_yesterday: Option<i64>,
    /// Fixed this week, from the daily tallies: per rule, how far the count fell
    /// from the week's baseline day to now (rises in one rule do not cancel
    /// falls in another), summed. `None` without a baseline for this manager.
    pub fixed_this_week: Option<usize>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MostFixed {
    pub manager_id: Option<Id>,
    pub manager: String,
    pub fixed: usize,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Violation {
    pub rule: Rule,
    pub entity: EntityRef,
    pub name: String,
    pub manager_id: Option<Id>,
    pub manager: String,
    /// Since when the problem has stood.
    pub since: Instant,
    pub open_days: i64,
    pub url: Option<crate::model::CardUrl>,
    pub detail: Option<String>,
}

struct RequiredInPipeline {
    pipeline_id: Id,
    from_sort: i32,
    /// (field id, the name the config used).
    fields: Vec<(Id, String)>,
}

/// Counts indexed by `Rule as usize` (the order of [`Rule::ALL`]): a check is a few
/// array increments, since a million-deal workspace makes millions of them.
#[derive(Clone, Debug, Default, PartialEq)]
struct Tally {
    counts: [usize; Rule::ALL.len()],
    checked: [usize; Rule::ALL.len()],
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        for r in 0..Rule::ALL.len() {
            self.counts[r] += other.counts[r];
            self.checked[r] += other.checked[r];
        }
    }
}

/// Which rules a run evaluates. Once the workspace is settled (see
/// [`Facts::settled_at`](super::Facts::settled_at)) most verdicts stand until
/// the data changes; only stale deals and overdue tasks move with the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    All,
    /// The verdicts that stand, evaluated once per workspace version into a [`HygieneBase`].
    Standing,
    /// The verdicts that move with the clock, added to the base at each run.
    Moving,
}

impl Rule {
    /// The verdict can change with the as-of alone, the data unchanged.
    fn moves_with_clock(self) -> bool {
        matches!(self, Rule::StaleDeal | Rule::OverdueTask)
    }
}

/// The standing verdicts of the live view, kept in the index: per manager
/// tallies and the violations in report order. A live run adds the moving
/// rules to it instead of re-checking a million records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HygieneBase {
    tallies: Vec<(Option<Id>, Tally)>,
    /// Longest-standing first; `open_days` is filled in at each run.
    violations: Vec<Violation>,
}

/// A record that broke a rule: what the violation row shows about it.
struct Failure {
    entity: EntityRef,
    /// Where the record came from (its CRM card link), `None` if it is not in the workspace.
    source: Option<Source>,
    name: String,
    since: Instant,
    detail: Option<String>,
}

impl Failure {
    fn deal(deal: &Deal, since: Instant, detail: Option<String>) -> Failure {
        Failure {
            entity: EntityRef::Deal(deal.id),
            source: Some(deal.source),
            name: deal.name.clone(),
            since,
            detail,
        }
    }

    fn company(c: &crate::model::Company) -> Failure {
        Failure {
            entity: EntityRef::Company(c.id),
            source: Some(c.source),
            name: c.name.clone(),
            since: c.created_at,
            detail: None,
        }
    }

    fn contact(c: &crate::model::Contact) -> Failure {
        Failure {
            entity: EntityRef::Contact(c.id),
            source: Some(c.source),
            name: c.name.clone(),
            since: c.created_at,
            detail: None,
        }
    }
}

struct Run<'a, 'c> {
    ctx: &'a Ctx<'c>,
    params: &'a ReportParams,
    scope: Scope,
    /// Per manager; a handful of managers, so a short list beats a map.
    tallies: Vec<(Option<Id>, Tally)>,
    violations: Vec<Violation>,
    today: chrono::NaiveDate,
    links: crate::model::CrmLinks,
    names: rustc_hash::FxHashMap<Option<Id>, String>,
}

impl<'a, 'c> Run<'a, 'c> {
    fn new(ctx: &'a Ctx<'c>, params: &'a ReportParams, scope: Scope) -> Self {
        Run {
            ctx,
            params,
            scope,
            tallies: Vec::new(),
            violations: Vec::new(),
            today: ctx.calendar.local_date(ctx.as_of),
            links: ctx.links(),
            names: Default::default(),
        }
    }

    fn covers(&self, rule: Rule) -> bool {
        match self.scope {
            Scope::All => true,
            Scope::Standing => !rule.moves_with_clock(),
            Scope::Moving => rule.moves_with_clock(),
        }
    }

    fn wanted(&self, manager: Option<Id>) -> bool {
        self.params.manager.is_none() || self.params.manager == manager
    }

    fn tally(&mut self, manager: Option<Id>) -> &mut Tally {
        // Checks come in runs for one manager: the latest one is kept last and looked at first.
        let i = match self.tallies.iter().rposition(|(m, _)| *m == manager) {
            Some(i) => i,
            None => {
                self.tallies.push((manager, Tally::default()));
                self.tallies.len() - 1
            }
        };
        let last = self.tallies.len() - 1;
        self.tallies.swap(i, last);
        &mut self.tallies[last].1
    }

    /// Records one check of `rule` against a record owned by `manager`; `failed` carries the violation.
    fn check(&mut self, rule: Rule, manager: Option<Id>, failed: Option<Failure>) {
        if !self.wanted(manager) {
            return;
        }
        let t = self.tally(manager);
        t.checked[rule as usize] += 1;
        let Some(Failure {
            entity,
            source,
            name,
            since,
            detail,
        }) = failed
        else {
            return;
        };
        t.counts[rule as usize] += 1;
        let ctx = self.ctx;
        let manager_name = self.names.entry(manager).or_insert_with(|| ctx.manager_name(manager)).clone();
        self.violations.push(Violation {
            rule,
            entity,
            name,
            manager_id: manager,
            manager: manager_name,
            since,
            open_days: (self.today - ctx.calendar.local_date(since)).num_days().max(0),
            url: source.and_then(|s| self.links.card(s, entity)),
            detail,
        });
    }
}

pub fn hygiene(ctx: &Ctx, params: &ReportParams) -> Hygiene {
    let lang = ctx.config.business.language;
    let as_of = ctx.as_of;
    // Live, the standing verdicts come from the index; only the moving rules are checked.
    let base = if ctx.facts.settled(as_of) {
        ctx.facts.hygiene_base(ctx)
    } else {
        None
    };
    let mut run = Run::new(ctx, params, if base.is_some() { Scope::Moving } else { Scope::All });
    let mut notes = evaluate(&mut run);
    let mut violations = longest_standing_first(std::mem::take(&mut run.violations));
    if let Some(base) = base {
        violations = run.add_base(base, violations);
    }
    let cfg = &ctx.config.hygiene;
    let enabled = |rule: Rule| match rule {
        Rule::OpenDealWithoutTask => cfg.open_deal_without_task,
        Rule::DealWithoutCompany => cfg.deal_without_company,
        Rule::DealWithoutContact => cfg.deal_without_contact,
        Rule::CompanyWithoutQualification => cfg.company_without_qualification,
        Rule::RequiredFields => cfg.required_fields,
        Rule::OverdueTask => cfg.overdue_task,
        Rule::StaleDeal => cfg.stale_deal,
        Rule::ZeroAmount => cfg.zero_amount,
        Rule::ContactWithoutPhoneOrEmail => cfg.contact_without_phone_or_email,
        Rule::DuplicateCompanies => cfg.duplicate_companies,
    };
    // A rule naming a field, pipeline or stage the CRM lacks checks less than
    // configured: the board says which name and the closest existing ones.
    for problem in crate::mapping::check(ctx.ws, ctx.config) {
        if let crate::mapping::Affects::Rule(rule) = problem.affects
            && enabled(rule)
        {
            let note = notes.entry(rule).or_default();
            if !note.is_empty() {
                note.push_str("; ");
            }
            note.push_str(&problem.message(lang));
        }
    }
    let rules = Rule::ALL
        .into_iter()
        .map(|rule| {
            let (checked, violations) = run
                .tallies
                .iter()
                .fold((0, 0), |(c, v), (_, t)| (c + t.checked[rule as usize], v + t.counts[rule as usize]));
            RuleSummary {
                rule,
                title: text(lang, &rule.title_key()).to_string(),
                enabled: enabled(rule),
                note: notes.remove(&rule),
                checked,
                violations,
            }
        })
        .collect();

    let mut team = Tally::default();
    let mut managers: Vec<ManagerHygiene> = run
        .tallies
        .into_iter()
        .map(|(m, t)| {
            team.add(&t);
            summarize(m, ctx.manager_name(m), t)
        })
        .collect();
    managers.sort_by(|a, b| {
        a.score
            .unwrap_or(100.0)
            .total_cmp(&b.score.unwrap_or(100.0))
            .then(b.violations.cmp(&a.violations))
            .then_with(|| a.manager.cmp(&b.manager))
    });
    let mut team = summarize(None, ctx.total_label(params), team);
    let trend = trend(ctx, params, &team);
    let changes = changes(ctx, params, &mut managers, &mut team);
    let violations_total = violations.len();
    let violations = select(violations, params, lang);
    Hygiene {
        as_of,
        rules,
        managers,
        team,
        violations,
        violations_total,
        yesterday: changes.yesterday,
        week_start: changes.week_start,
        week_baseline: changes.week_baseline,
        most_fixed: changes.most_fixed,
        trend,
    }
}

/// The violations the list keeps (`rule`, `min_days`), in the order `sort` asks:
/// the page, its CSV and the API cut the list after this, never before.
fn select(mut violations: Vec<Violation>, params: &ReportParams, lang: crate::i18n::Language) -> Vec<Violation> {
    if params.rule.is_some() || params.min_days.is_some() {
        violations.retain(|v| params.rule.is_none_or(|r| v.rule == r) && params.min_days.is_none_or(|d| v.open_days >= d));
    }
    let sort = params.sort.as_deref().unwrap_or(SORTS[0]);
    let (key, desc) = match sort.strip_suffix("_desc") {
        Some(key) => (key, true),
        None => (sort, false),
    };
    // Ties keep the report's order (the longest-standing first): the sorts are stable.
    let by_text = |violations: &mut Vec<Violation>, text: fn(&Violation) -> &str| {
        if desc {
            violations.sort_by(|a, b| text(b).cmp(text(a)));
        } else {
            violations.sort_by(|a, b| text(a).cmp(text(b)));
        }
    };
    match key {
        "open_days_asc" => violations.reverse(),
        "rule" => {
            // By the rule's name as the list shows it.
            let mut titles: Vec<(String, Rule)> = Rule::ALL
                .into_iter()
                .map(|r| (text(lang, &r.title_key()).to_lowercase(), r))
                .collect();
            titles.sort();
            let rank = |r: Rule| titles.iter().position(|(_, t)| *t == r).unwrap_or(0);
            if desc {
                violations.sort_by_key(|v| std::cmp::Reverse(rank(v.rule)));
            } else {
                violations.sort_by_key(|v| rank(v.rule));
            }
        }
        "record" => by_text(&mut violations, |v| &v.name),
        "manager" => by_text(&mut violations, |v| &v.manager),
        "detail" => by_text(&mut violations, |v| v.detail.as_deref().unwrap_or("")),
        _ => {}
    }
    violations
}

struct Changes {
    yesterday: Option<chrono::NaiveDate>,
    week_start: chrono::NaiveDate,
    week_baseline: Option<chrono::NaiveDate>,
    most_fixed: Option<MostFixed>,
}

/// Per manager and rule, the violations of one stored day.
type DayCounts = BTreeMap<Option<Id>, [usize; Rule::ALL.len()]>;

/// Fills in each manager's change since yesterday and fixes this week from the stored daily tallies.
fn changes(ctx: &Ctx, params: &ReportParams, managers: &mut [ManagerHygiene], team: &mut ManagerHygiene) -> Changes {
    use chrono::Datelike;
    let today = ctx.calendar.local_date(ctx.as_of);
    let week_start = today - chrono::Duration::days(today.weekday().num_days_from_monday() as i64);
    let yesterday = today - chrono::Duration::days(1);
    let stored: std::collections::BTreeSet<chrono::NaiveDate> = ctx
        .ws
        .hygiene_history
        .iter()
        .map(|h| h.day)
        .filter(|d| *d >= week_start - chrono::Duration::days(7) && *d < today)
        .collect();
    let week_baseline = stored
        .range(..week_start)
        .next_back()
        .or_else(|| stored.range(week_start..).next())
        .copied();
    let yesterday = stored.contains(&yesterday).then_some(yesterday);
    let counts_on = |day: chrono::NaiveDate| -> DayCounts {
        let mut out = DayCounts::new();
        for h in ctx.ws.hygiene_history.iter().filter(|h| h.day == day) {
            if params.manager.is_some_and(|m| h.manager_id != Some(m)) {
                continue;
            }
            let counts = out.entry(h.manager_id).or_default();
            if let Some(rule) = Rule::parse(&h.rule) {
                counts[rule as usize] += h.violations as usize;
            }
        }
        out
    };
    let then_yesterday = yesterday.map(counts_on);
    let then_week = week_baseline.map(counts_on);
    let now = |m: &ManagerHygiene| Rule::ALL.map(|r| m.counts.get(&r).copied().unwrap_or(0));
    let fixed = |then: &[usize; Rule::ALL.len()], now: &[usize; Rule::ALL.len()]| -> usize {
        then.iter().zip(now).map(|(t, n)| t.saturating_sub(*n)).sum()
    };
    let total = |c: &[usize; Rule::ALL.len()]| c.iter().sum::<usize>() as i64;
    let mut team_fixed: Option<usize> = None;
    for m in managers.iter_mut() {
        let counts = now(m);
        m.since_yesterday = then_yesterday
            .as_ref()
            .and_then(|d| d.get(&m.manager_id))
            .map(|then| total(&counts) - total(then));
        m.fixed_this_week = then_week
            .as_ref()
            .and_then(|d| d.get(&m.manager_id))
            .map(|then| fixed(then, &counts));
        if let Some(f) = m.fixed_this_week {
            *team_fixed.get_or_insert(0) += f;
        }
    }
    // The team's change is over the whole day's tallies: someone gone since yesterday counts too.
    // One manager's view with no tally of theirs yesterday has nothing to compare, as a new manager.
    team.since_yesterday = then_yesterday
        .as_ref()
        .filter(|d| !d.is_empty())
        .map(|d| team.violations as i64 - d.values().map(total).sum::<i64>());
    team.fixed_this_week = team_fixed;
    let most_fixed = managers
        .iter()
        .filter_map(|m| m.fixed_this_week.filter(|f| *f > 0).map(|f| (f, m)))
        .max_by(|(a, ma), (b, mb)| a.cmp(b).then_with(|| mb.manager.cmp(&ma.manager)))
        .map(|(fixed, m)| MostFixed {
            manager_id: m.manager_id,
            manager: m.manager.clone(),
            fixed,
        });
    Changes {
        yesterday,
        week_start,
        week_baseline,
        most_fixed,
    }
}

/// The standing verdicts of the workspace as it stands now, for the index to
/// keep; `None` for an empty workspace. `ctx.as_of` must be the settled instant.
pub fn base(ctx: &Ctx) -> Option<HygieneBase> {
    if !ctx.facts.settled(ctx.as_of) {
        return None;
    }
    let params = ReportParams::default();
    let mut run = Run::new(ctx, &params, Scope::Standing);
    evaluate(&mut run);
    Some(HygieneBase {
        violations: longest_standing_first(std::mem::take(&mut run.violations)),
        tallies: run.tallies,
    })
}

impl Run<'_, '_> {
    /// Adds the index's standing verdicts (those of the wanted managers) to this
    /// run's, and merges the violations of both, each already in report order.
    fn add_base(&mut self, base: &HygieneBase, moving: Vec<Violation>) -> Vec<Violation> {
        for (m, t) in &base.tallies {
            if self.wanted(*m) {
                self.tally(*m).add(t);
            }
        }
        let today = self.today;
        let calendar = self.ctx.calendar;
        let mut standing = base.violations.iter().filter(|v| self.wanted(v.manager_id)).map(|v| Violation {
            open_days: (today - calendar.local_date(v.since)).num_days().max(0),
            ..v.clone()
        });
        let mut out = Vec::with_capacity(base.violations.len() + moving.len());
        let mut next = standing.next();
        for v in moving {
            while let Some(s) = next.take_if(|s| order_key(s) < order_key(&v)) {
                out.push(s);
                next = standing.next();
            }
            out.push(v);
        }
        out.extend(next);
        out.extend(standing);
        out
    }
}

/// Runs the rules `run.scope` covers; returns the notes on rules that checked nothing.
fn evaluate(run: &mut Run) -> BTreeMap<Rule, String> {
    let ctx = run.ctx;
    let cfg = &ctx.config.hygiene;
    let lang = ctx.config.business.language;
    let as_of = ctx.as_of;
    let mut notes: BTreeMap<Rule, String> = BTreeMap::new();

    // Required-field rules resolved once per pipeline they apply to.
    let required: Vec<RequiredInPipeline> = if cfg.required_fields {
        cfg.required
            .iter()
            .flat_map(|r| {
                ctx.ws
                    .pipelines
                    .iter()
                    .filter(|p| r.pipeline.is_empty() || p.name.to_lowercase() == r.pipeline.to_lowercase())
                    .filter_map(|p| {
                        let from = p.stages.iter().find(|s| s.name.to_lowercase() == r.from_stage.to_lowercase())?;
                        let fields = r
                            .fields
                            .iter()
                            .filter_map(|f| resolve_field(ctx.ws, EntityKind::Deal, f).map(|id| (id, f.clone())))
                            .collect();
                        Some(RequiredInPipeline {
                            pipeline_id: p.id,
                            from_sort: from.sort,
                            fields,
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    } else {
        Vec::new()
    };
    if cfg.required_fields && required.is_empty() {
        notes.insert(Rule::RequiredFields, text(lang, "hygiene.note_no_required").to_string());
    }

    let stale_cutoff = as_of - chrono::Duration::days(cfg.stale_days as i64);
    if run.scope == Scope::Moving {
        // Live, from the index: only staleness moves with the clock, and the
        // open deals are listed with their last touch.
        if cfg.stale_deal {
            let all = ctx.ws.deals.as_slice();
            for o in &ctx.facts.now.open_deals {
                if !run.wanted(o.manager) {
                    continue;
                }
                let last = o.state.last_touch;
                let failed = (last < stale_cutoff).then(|| Failure::deal(&all[o.row as usize], last, None));
                run.check(Rule::StaleDeal, o.manager, failed);
            }
        }
    } else {
        let zero_amount_from = zero_amount_from(ctx);
        // Live (the workspace as it stands now): the open deals are listed with
        // their task and communication state. Else every deal, as it stood then.
        let all = ctx.ws.deals.as_slice();
        let deals: Box<dyn Iterator<Item = (&Deal, Option<DealState>)>> = if ctx.facts.settled(as_of) {
            Box::new(ctx.facts.now.open_deals.iter().map(|o| (&all[o.row as usize], Some(o.state))))
        } else if let Some(past) = ctx.facts.past(ctx.ws) {
            // Earlier: the deals open then, from the index.
            Box::new(past.open_at(as_of).into_iter().map(|row| (&all[row as usize], None)))
        } else {
            Box::new(all.iter().map(|d| (d, None)))
        };
        for (deal, prepared) in deals {
            let timeline = history::timeline(ctx.ws, deal);
            // A prepared (live) deal stands in its current stage.
            let at = if prepared.is_some() {
                Some((deal.pipeline_id, deal.stage_id))
            } else {
                timeline.stage_at(as_of)
            };
            let Some((pipeline_id, stage_id)) = at else {
                continue;
            };
            // Unsorted leads are not worked deals yet; a stage of a pipeline not
            // loaded is open unless it is amoCRM's won or lost (its order unknown).
            if ctx.ws.stage_kind(pipeline_id, stage_id) != StageKind::Open {
                continue;
            }
            let stage_sort = ctx.ws.pipelines.get(pipeline_id).and_then(|p| p.stage(stage_id)).map(|s| s.sort);
            let m = deal.responsible_id;
            if !run.wanted(m) {
                continue;
            }
            let state = prepared.unwrap_or_else(|| deal_state(ctx, deal));
            let fail = |since: Instant, detail: Option<String>| Some(Failure::deal(deal, since, detail));
            if cfg.open_deal_without_task {
                run.check(
                    Rule::OpenDealWithoutTask,
                    m,
                    if state.has_open_task {
                        None
                    } else {
                        fail(state.last_task_done.unwrap_or(deal.created_at).max(deal.created_at), None)
                    },
                );
            }
            if cfg.deal_without_company {
                run.check(
                    Rule::DealWithoutCompany,
                    m,
                    if deal.company_id.is_some() {
                        None
                    } else {
                        fail(deal.created_at, None)
                    },
                );
            }
            if cfg.deal_without_contact {
                run.check(
                    Rule::DealWithoutContact,
                    m,
                    if deal.contact_ids.is_empty() {
                        fail(deal.created_at, None)
                    } else {
                        None
                    },
                );
            }
            if cfg.stale_deal && run.covers(Rule::StaleDeal) {
                let last = state.last_touch;
                run.check(Rule::StaleDeal, m, if last < stale_cutoff { fail(last, None) } else { None });
            }
            if cfg.zero_amount
                && zero_amount_from
                    .get(&pipeline_id)
                    .zip(stage_sort)
                    .is_some_and(|(from, sort)| sort >= *from)
            {
                run.check(
                    Rule::ZeroAmount,
                    m,
                    if deal.amount.is_zero() {
                        fail(timeline.entered_at(as_of), None)
                    } else {
                        None
                    },
                );
            }
            for rule in &required {
                if rule.pipeline_id != pipeline_id || stage_sort.is_none_or(|sort| sort < rule.from_sort) {
                    continue;
                }
                let missing: Vec<&str> = rule
                    .fields
                    .iter()
                    .filter(|(id, _)| field_value(&deal.fields, *id).is_none_or(|v| v.is_empty()))
                    .map(|(_, n)| n.as_str())
                    .collect();
                let failed = (!missing.is_empty()).then(|| Failure::deal(deal, timeline.entered_at(as_of), Some(missing.join(", "))));
                run.check(Rule::RequiredFields, m, failed);
            }
        }
    }

    if cfg.overdue_task && run.covers(Rule::OverdueTask) {
        // Live, the open tasks are listed with their due dates: a task's row is read only if it is overdue.
        let tasks = ctx.ws.tasks.as_slice();
        let open: Box<dyn Iterator<Item = OpenTask>> = if ctx.facts.settled(as_of) {
            Box::new(ctx.facts.now.open_tasks.iter().copied())
        } else if let Some(past) = ctx.facts.past(ctx.ws) {
            Box::new(past.tasks_open_at(as_of).into_iter().map(|row| {
                let t = &tasks[row as usize];
                OpenTask {
                    row,
                    responsible_id: t.responsible_id,
                    due_at: t.due_at,
                }
            }))
        } else {
            Box::new(
                tasks
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.is_open_at(as_of))
                    .map(|(row, t)| OpenTask {
                        row: row as u32,
                        responsible_id: t.responsible_id,
                        due_at: t.due_at,
                    }),
            )
        };
        for open in open {
            let failed = (open.due_at < as_of).then(|| {
                let task = &tasks[open.row as usize];
                let entity = task.entity.unwrap_or(EntityRef::Deal(0));
                let record = entity_record(ctx, entity);
                Failure {
                    entity,
                    source: record.as_ref().map(|(_, s)| *s),
                    name: record.map_or_else(|| task.text.clone(), |(n, _)| n),
                    since: task.due_at,
                    detail: Some(task.text.clone()),
                }
            });
            run.check(Rule::OverdueTask, open.responsible_id, failed);
        }
    }

    let qualification = resolve_field(ctx.ws, EntityKind::Company, &ctx.config.fields.company_qualification);
    // Unset, the rule has nothing to check; set to a name the CRM lacks, the mapping check says so.
    if cfg.company_without_qualification && qualification.is_none() && ctx.config.fields.company_qualification.trim().is_empty() {
        notes.insert(Rule::CompanyWithoutQualification, text(lang, "hygiene.note_unmapped").to_string());
    }
    if run.scope == Scope::Moving {
        return notes;
    }
    // Companies and contacts are scanned: live, this runs once per workspace version (into the base).
    if let Some(field) = qualification.filter(|_| cfg.company_without_qualification) {
        for company in ctx.ws.companies.iter().filter(|c| c.created_at <= as_of) {
            let empty = field_value(&company.fields, field).is_none_or(|v| v.is_empty());
            run.check(
                Rule::CompanyWithoutQualification,
                company.responsible_id,
                empty.then(|| Failure::company(company)),
            );
        }
    }
    if cfg.duplicate_companies {
        for group in ctx.facts.duplicate_companies.iter() {
            let existing: Vec<_> = group
                .iter()
                .filter_map(|id| ctx.ws.companies.get(*id))
                .filter(|c| c.created_at <= as_of)
                .collect();
            if let Some((first, rest)) = existing.split_first() {
                run.check(Rule::DuplicateCompanies, first.responsible_id, None);
                for c in rest {
                    let failure = Failure {
                        detail: Some(format!("{} #{}", first.name, first.id)),
                        ..Failure::company(c)
                    };
                    run.check(Rule::DuplicateCompanies, c.responsible_id, Some(failure));
                }
            }
        }
    }
    if cfg.contact_without_phone_or_email {
        for contact in ctx.ws.contacts.iter().filter(|c| c.created_at <= as_of) {
            let empty = contact.phones.iter().all(|p| p.trim().is_empty()) && contact.emails.iter().all(|e| e.trim().is_empty());
            let failed = empty.then(|| Failure::contact(contact));
            run.check(Rule::ContactWithoutPhoneOrEmail, contact.responsible_id, failed);
        }
    }

    notes
}

/// Violations ordered by since, rule and record. Sorting small keys and then
/// moving each violation once is several times faster than sorting the rows.
fn longest_standing_first(violations: Vec<Violation>) -> Vec<Violation> {
    let mut order: Vec<(OrderKey, u32)> = violations.iter().enumerate().map(|(i, v)| (order_key(v), i as u32)).collect();
    order.sort_unstable();
    let mut slots: Vec<Option<Violation>> = violations.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|(_, i)| slots[i as usize].take().expect("each violation is moved once"))
        .collect()
}

type OrderKey = (i64, u32, Rule, EntityRef);

/// The report's order: since, then rule, then record.
fn order_key(v: &Violation) -> OrderKey {
    (v.since.timestamp(), v.since.timestamp_subsec_nanos(), v.rule, v.entity)
}

/// The stored tallies of the last days (for one manager if filtered), then today's live figure.
fn trend(ctx: &Ctx, params: &ReportParams, today_team: &ManagerHygiene) -> Vec<TrendDay> {
    let today = ctx.calendar.local_date(ctx.as_of);
    let first = today - chrono::Duration::days(TREND_DAYS);
    let mut days: BTreeMap<chrono::NaiveDate, (u64, u64)> = BTreeMap::new();
    for h in &ctx.ws.hygiene_history {
        if h.day < first || h.day >= today || params.manager.is_some_and(|m| h.manager_id != Some(m)) {
            continue;
        }
        let d = days.entry(h.day).or_default();
        d.0 += h.violations as u64;
        d.1 += h.checked as u64;
    }
    let score = |v: u64, c: u64| (c > 0).then(|| super::round_to((1.0 - v as f64 / c as f64) * 100.0, 1));
    let mut out: Vec<TrendDay> = days
        .into_iter()
        .map(|(day, (v, c))| TrendDay {
            day,
            violations: v,
            checked: c,
            score: score(v, c),
            stored: true,
        })
        .collect();
    let (v, c) = (today_team.violations as u64, today_team.checked as u64);
    out.push(TrendDay {
        day: today,
        violations: v,
        checked: c,
        score: score(v, c),
        stored: false,
    });
    out
}

/// The report's counts as daily tallies to store for `day`, one per manager and rule.
/// Only an unfiltered report holds everyone's counts.
pub fn tallies(report: &Hygiene, day: chrono::NaiveDate) -> Vec<crate::model::HygieneCount> {
    let mut out = Vec::new();
    for m in &report.managers {
        for rule in Rule::ALL {
            let violations = m.counts.get(&rule).copied().unwrap_or(0);
            // Checks are counted per manager, not per rule: they ride on the first rule's row.
            let checked = if rule == Rule::ALL[0] { m.checked } else { 0 };
            if violations > 0 || checked > 0 {
                out.push(crate::model::HygieneCount {
                    day,
                    manager_id: m.manager_id,
                    rule: rule.as_str().to_string(),
                    violations: violations as u32,
                    checked: checked as u32,
                });
            }
        }
    }
    out
}

fn summarize(manager_id: Option<Id>, manager: String, t: Tally) -> ManagerHygiene {
    let violations: usize = t.counts.iter().sum();
    let checked: usize = t.checked.iter().sum();
    let score = (checked > 0).then(|| ((1.0 - violations as f64 / checked as f64) * 1000.0).round() / 10.0);
    // Rules that found nothing are left out, as before: the map lists what needs fixing.
    let counts = Rule::ALL.into_iter().zip(t.counts).filter(|(_, n)| *n > 0).collect();
    ManagerHygiene {
        manager_id,
        manager,
        counts,
        violations,
        checked,
        score,
        since_yesterday: None,
        fixed_this_week: None,
    }
}

/// The deal's tasks and communications as they stood at the as-of instant.
fn deal_state(ctx: &Ctx, deal: &Deal) -> DealState {
    let as_of = ctx.as_of;
    let mut has_open_task = false;
    let mut last_task_done = None;
    for &row in ctx
        .facts
        .tasks_by_entity
        .get(&EntityRef::Deal(deal.id))
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let t = &ctx.ws.tasks.as_slice()[row as usize];
        has_open_task |= t.is_open_at(as_of);
        if let Some(done) = t.completed_at.filter(|d| *d <= as_of) {
            last_task_done = last_task_done.max(Some(done));
        }
    }
    let moved = history::timeline(ctx.ws, deal).last_move_at(as_of);
    let comms = ctx.facts.comms_by_deal.get(&deal.id).map(Vec::as_slice).unwrap_or(&[]);
    let last_comm = comms[..comms.partition_point(|t| *t <= as_of)].last().copied();
    DealState {
        has_open_task,
        last_task_done,
        last_touch: last_comm.map_or(moved, |c| c.max(moved)),
    }
}

/// Per pipeline, the stage order from which a zero amount is flagged: the
/// configured stage, or any open stage after the first.
fn zero_amount_from(ctx: &Ctx) -> rustc_hash::FxHashMap<Id, i32> {
    let from = ctx.config.hygiene.zero_amount_from_stage.to_lowercase();
    ctx.ws
        .pipelines
        .iter()
        .filter_map(|p| {
            let sort = if from.is_empty() {
                p.stages.iter().filter(|s| s.kind == StageKind::Open).map(|s| s.sort).min()? + 1
            } else {
                p.stages.iter().find(|s| s.name.to_lowercase() == from)?.sort
            };
            Some((p.id, sort))
        })
        .collect()
}

/// The record's name and where it came from.
fn entity_record(ctx: &Ctx, entity: EntityRef) -> Option<(String, Source)> {
    match entity {
        EntityRef::Deal(id) => ctx.ws.deals.get(id).map(|d| (d.name.clone(), d.source)),
        EntityRef::Company(id) => ctx.ws.companies.get(id).map(|c| (c.name.clone(), c.source)),
        EntityRef::Contact(id) => ctx.ws.contacts.get(id).map(|c| (c.name.clone(), c.source)),
    }
}

/// A company name reduced for duplicate matching: lower case, no legal form, no quotes or punctuation.
pub fn normalize_company_name(name: &str) -> String {
    const FORMS: [&str; 10] = ["ооо", "оао", "зао", "пао", "ао", "ип", "нко", "llc", "ltd", "inc"];
    let lower = name.to_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FORMS.contains(w))
        .map(|w| w.replace('ё', "е"))
        .collect();
    words.join(" ")
}

/// The report's registration (see [`super::registry`]).
pub struct HygieneReport;

impl super::ReportKind for HygieneReport {
    type Output = Hygiene;
    const DEF: super::registry::Definition = super::registry::Definition {
        id: "hygiene",
        title_key: "report.hygiene",
        params: &[
            super::registry::Param::Manager,
            super::registry::Param::Sort(SORTS),
            super::registry::Param::Rule,
            super::registry::Param::MinDays,
        ],
        reads: crate::model::Tables::ALL,
    };
    fn run(ctx: &Ctx, params: &ReportParams) -> Hygiene {
        hygiene(ctx, params)
    }
    fn tables(output: &Hygiene, lang: crate::i18n::Language, currency: &str) -> Vec<super::tabular::Table> {
        super::tabular::hygiene(output, lang, currency)
    }
    fn as_of(output: &Hygiene) -> Instant {
        output.as_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RequiredFields;
    use crate::model::{Contact, FieldDef, FieldType, FieldValue, Source, TaskKind};
    use crate::reports::testkit::*;
    use crate::reports::{Report, ReportId};

    fn report(k: &Kit, as_of: &str) -> Hygiene {
        match k.report(ReportId::Hygiene, as_of) {
            Report::Hygiene(r) => r,
            _ => unreachable!(),
        }
    }

    fn count(h: &Hygiene, manager: Id, rule: Rule) -> usize {
        h.managers
            .iter()
            .find(|m| m.manager_id == Some(manager))
            .and_then(|m| m.counts.get(&rule).copied())
            .unwrap_or(0)
    }

    #[test]
    fn deal_rules_per_manager() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        let c = k.company("Ромашка", anna);
        // Anna's deal: company, task, recent call: clean but for the missing contact.
        let good = k.open_deal(anna, 100_000, "2026-11-20T10:00:00Z");
        k.set_company(good, c);
        k.task(anna, EntityRef::Deal(good), TaskKind::Call, "2026-11-27T10:00:00Z", None);
        // Boris's deal: no company, no task (one done long ago), no activity for 30 days.
        let bad = k.open_deal(boris, 50_000, "2026-10-20T10:00:00Z");
        k.task(
            boris,
            EntityRef::Deal(bad),
            TaskKind::Call,
            "2026-10-25T10:00:00Z",
            Some("2026-10-26T10:00:00Z"),
        );
        // Closed deals are not checked.
        k.won_deal(boris, 1, "2026-10-20T10:00:00Z", "2026-10-21T10:00:00Z");
        let h = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(count(&h, anna, Rule::OpenDealWithoutTask), 0);
        assert_eq!(count(&h, anna, Rule::DealWithoutContact), 1);
        assert_eq!(count(&h, boris, Rule::OpenDealWithoutTask), 1);
        assert_eq!(count(&h, boris, Rule::DealWithoutCompany), 1);
        assert_eq!(count(&h, boris, Rule::StaleDeal), 1);
        assert_eq!(count(&h, anna, Rule::StaleDeal), 0);
        let v = h.violations.iter().find(|v| v.rule == Rule::OpenDealWithoutTask).unwrap();
        assert_eq!(v.open_days, 31, "open since the last task was done on 26 Oct");
        assert_eq!(
            v.url.as_ref().map(|u| u.to_string()),
            Some(format!("https://test.amocrm.ru/leads/detail/{bad}"))
        );
        // Boris fails more of what was checked: the worse score comes first.
        assert_eq!(h.managers[0].manager_id, Some(boris));
        assert!(h.managers[0].score.unwrap() < h.managers[1].score.unwrap());
        // Switching a rule off removes it.
        k.config.hygiene.stale_deal = false;
        let h = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(count(&h, boris, Rule::StaleDeal), 0);
        assert!(!h.rules.iter().find(|r| r.rule == Rule::StaleDeal).unwrap().enabled);
    }

    #[test]
    fn unsorted_leads_are_not_worked_deals() {
        let mut k = Kit::new();
        // amoCRM's incoming-leads stage comes first in the pipeline (sort 0), before the first working stage.
        let mut cold = k.ws.pipelines.get(COLD).unwrap().clone();
        cold.stages.insert(
            0,
            crate::model::Stage {
                id: 9,
                name: "Неразобранное".into(),
                sort: 0,
                kind: StageKind::Unsorted,
            },
        );
        k.ws.pipelines.upsert(cold);
        let anna = k.manager("Анна");
        let unsorted = k.open_deal(anna, 0, "2026-11-20T10:00:00Z");
        let mut d = k.deal_mut(unsorted);
        d.stage_id = 9;
        d.history[0].stage_id = 9;
        k.ws.deals.upsert(d);
        // In the first working stage a zero amount is still allowed; from the next one on it is not.
        k.open_deal(anna, 0, "2026-11-20T10:00:00Z");
        let negotiating = k.open_deal(anna, 0, "2026-11-20T10:00:00Z");
        k.advance(negotiating, "2026-11-21T10:00:00Z");
        let h = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(count(&h, anna, Rule::ZeroAmount), 1, "only the deal past the first working stage");
        assert!(
            h.violations.iter().all(|v| v.entity != EntityRef::Deal(unsorted)),
            "no rule treats an unsorted lead as a worked deal"
        );
        let deals_checked = h.rules.iter().find(|r| r.rule == Rule::DealWithoutCompany).unwrap().checked;
        assert_eq!(deals_checked, 2);
    }

    #[test]
    fn overdue_tasks_and_zero_amounts() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let d = k.open_deal(anna, 0, "2026-11-01T10:00:00Z");
        k.advance(d, "2026-11-10T10:00:00Z");
        k.task(anna, EntityRef::Deal(d), TaskKind::Call, "2026-11-20T10:00:00Z", None);
        let fresh = k.open_deal(anna, 0, "2026-11-25T10:00:00Z"); // first stage: zero amount allowed
        k.task(anna, EntityRef::Deal(fresh), TaskKind::Call, "2026-11-30T10:00:00Z", None);
        let h = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(count(&h, anna, Rule::OverdueTask), 1);
        assert_eq!(count(&h, anna, Rule::ZeroAmount), 1);
        let z = h.violations.iter().find(|v| v.rule == Rule::ZeroAmount).unwrap();
        assert_eq!((z.entity, z.open_days), (EntityRef::Deal(d), 16));
        let o = h.violations.iter().find(|v| v.rule == Rule::OverdueTask).unwrap();
        assert_eq!(o.open_days, 6);
        // Before the due date it was not overdue.
        assert_eq!(count(&report(&k, "2026-11-19T12:00:00Z"), anna, Rule::OverdueTask), 0);
    }

    #[test]
    fn companies_contacts_duplicates_and_required_fields() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.ws.field_defs.upsert(FieldDef {
            id: 501,
            entity: EntityKind::Company,
            name: "Квалификация".into(),
            code: None,
            field_type: FieldType::Select,
            options: vec![],
        });
        k.ws.field_defs.upsert(FieldDef {
            id: 502,
            entity: EntityKind::Deal,
            name: "Тип продукта".into(),
            code: None,
            field_type: FieldType::Select,
            options: vec![],
        });
        let a = k.company("ООО «Ромашка»", anna);
        let b = k.company("Ромашка, ООО", anna);
        let mut co = k.ws.companies.get(a).unwrap().clone();
        co.fields.push((501, FieldValue::Options(vec!["A".into()])));
        k.ws.companies.upsert(co);
        let mut co = k.ws.companies.get(b).unwrap().clone();
        co.created_at = at("2025-06-01T00:00:00Z");
        k.ws.companies.upsert(co);
        let with_tax = |k: &mut Kit, name: &str, tax: &str| {
            let id = k.company(name, anna);
            let mut c = k.ws.companies.get(id).unwrap().clone();
            c.tax_id = Some(tax.into());
            k.ws.companies.upsert(c);
        };
        with_tax(&mut k, "Альфа", "7701234567");
        with_tax(&mut k, "Бета", "7701234567");
        k.ws.contacts.upsert(Contact {
            id: 7,
            name: "Иван".into(),
            responsible_id: Some(anna),
            company_ids: vec![a],
            created_at: at("2026-01-01T00:00:00Z"),
            updated_at: at("2026-01-01T00:00:00Z"),
            phones: vec![],
            emails: vec![" ".into()],
            fields: vec![],
            source: Source::Amocrm,
        });
        let d = k.open_deal(anna, 10, "2026-11-01T10:00:00Z");
        k.advance(d, "2026-11-10T10:00:00Z");
        k.config.hygiene.required = vec![RequiredFields {
            pipeline: String::new(),
            from_stage: "Переговоры".into(),
            fields: vec!["Тип продукта".into()],
        }];

        // Without the qualification mapping the rule says why it checked nothing.
        let h = report(&k, "2026-11-26T12:00:00Z");
        let q = h.rules.iter().find(|r| r.rule == Rule::CompanyWithoutQualification).unwrap();
        assert_eq!((q.checked, q.note.is_some()), (0, true));

        k.config.fields.company_qualification = "Квалификация".into();
        let h = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(count(&h, anna, Rule::CompanyWithoutQualification), 3);
        assert_eq!(count(&h, anna, Rule::DuplicateCompanies), 2);
        let dup: Vec<_> = h
            .violations
            .iter()
            .filter(|v| v.rule == Rule::DuplicateCompanies)
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(dup, vec!["Бета", "Ромашка, ООО"], "the younger of each pair is the duplicate");
        assert_eq!(count(&h, anna, Rule::ContactWithoutPhoneOrEmail), 1);
        assert_eq!(count(&h, anna, Rule::RequiredFields), 1);
        let r = h.violations.iter().find(|v| v.rule == Rule::RequiredFields).unwrap();
        assert_eq!(r.detail.as_deref(), Some("Тип продукта"));
    }

    #[test]
    fn empty_workspace_scores_nothing() {
        let k = Kit::new();
        let h = report(&k, "2026-11-26T12:00:00Z");
        assert!(h.managers.is_empty() && h.violations.is_empty());
        assert_eq!(h.team.score, None);
    }

    #[test]
    fn trend_comes_from_stored_tallies_and_ends_with_today() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.open_deal(anna, 100, "2026-11-01T10:00:00Z");
        // What the daily job would have stored on the 20th and the 24th.
        let stored_on = |k: &Kit, as_of: &str| {
            tallies(
                &report(k, as_of),
                crate::calendar::BusinessCalendar::plain(chrono_tz::UTC).local_date(at(as_of)),
            )
        };
        let day20 = stored_on(&k, "2026-11-20T12:00:00Z");
        let day24 = stored_on(&k, "2026-11-24T12:00:00Z");
        k.ws.apply(&crate::model::Batch {
            hygiene_history: day20.into_iter().chain(day24).collect(),
            ..Default::default()
        });
        // Too old to show: 40 days back.
        k.ws.hygiene_history.push(crate::model::HygieneCount {
            day: date("2026-10-17"),
            manager_id: Some(anna),
            rule: "stale_deal".into(),
            violations: 9,
            checked: 9,
        });
        let h = report(&k, "2026-11-26T12:00:00Z");
        let days: Vec<_> = h.trend.iter().map(|d| (d.day, d.stored)).collect();
        assert_eq!(
            days,
            vec![(date("2026-11-20"), true), (date("2026-11-24"), true), (date("2026-11-26"), false)]
        );
        assert_eq!(h.trend[2].violations as usize, h.team.violations);
        assert_eq!(h.trend[0].checked, h.trend[1].checked);
        // Re-storing a day replaces it rather than adding to it.
        let again = stored_on(&k, "2026-11-24T12:00:00Z");
        k.ws.apply(&crate::model::Batch {
            hygiene_history: again,
            ..Default::default()
        });
        let h2 = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(h2.trend[1], h.trend[1]);
    }

    /// A stored tally row, as the daily job writes it.
    fn stored(day: &str, manager: Id, rule: Rule, violations: u32) -> crate::model::HygieneCount {
        crate::model::HygieneCount {
            day: date(day),
            manager_id: Some(manager),
            rule: rule.as_str().into(),
            violations,
            checked: if rule == Rule::ALL[0] { 50 } else { 0 },
        }
    }

    fn manager(h: &Hygiene, id: Id) -> &ManagerHygiene {
        h.managers.iter().find(|m| m.manager_id == Some(id)).unwrap()
    }

    /// Anna, Boris and Carl (new today) with open deals lacking a task, company and contact;
    /// tallies stored on Sunday 29.11 and, when `with_yesterday`, on Tuesday 01.12.
    fn week_kit(with_yesterday: bool, created: &str) -> (Kit, [Id; 3]) {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        let carl = k.manager("Карл");
        for m in [anna, anna, boris, carl] {
            k.open_deal(m, 100, created);
        }
        let mut history = vec![
            stored("2026-11-29", anna, Rule::OpenDealWithoutTask, 5),
            stored("2026-11-29", anna, Rule::DealWithoutCompany, 1),
            stored("2026-11-29", boris, Rule::OpenDealWithoutTask, 1),
            stored("2026-11-29", boris, Rule::DealWithoutCompany, 1),
            stored("2026-11-29", boris, Rule::DealWithoutContact, 1),
            stored("2026-11-29", boris, Rule::StaleDeal, 4),
            // A week earlier: not the baseline, Sunday is nearer to Monday.
            stored("2026-11-22", boris, Rule::OpenDealWithoutTask, 40),
        ];
        if with_yesterday {
            history.extend([
                stored("2026-12-01", anna, Rule::OpenDealWithoutTask, 8),
                stored("2026-12-01", boris, Rule::OpenDealWithoutTask, 3),
            ]);
        }
        k.ws.hygiene_history = history;
        (k, [anna, boris, carl])
    }

    #[test]
    fn change_since_yesterday_and_fixed_this_week_per_manager() {
        let (k, [anna, boris, carl]) = week_kit(true, "2026-12-01T10:00:00Z");
        // Wednesday 02.12, 15:00 in Moscow.
        let h = report(&k, "2026-12-02T12:00:00Z");
        assert_eq!(manager(&h, anna).violations, 6, "two deals: no task, no company, no contact");
        assert_eq!(manager(&h, boris).violations, 3);
        assert_eq!(h.yesterday, Some(date("2026-12-01")));
        assert_eq!(h.week_start, date("2026-11-30"));
        assert_eq!(h.week_baseline, Some(date("2026-11-29")));
        assert_eq!(manager(&h, anna).since_yesterday, Some(6 - 8));
        assert_eq!(manager(&h, boris).since_yesterday, Some(0));
        // Carl has no tally yesterday: no change is shown, not "+3".
        assert_eq!(manager(&h, carl).since_yesterday, None);
        assert_eq!(manager(&h, carl).fixed_this_week, None);
        // Anna: 5 → 2 deals without a task is 3 fixed; her company count rose 1 → 2, which fixes nothing
        // and does not cancel the 3.
        assert_eq!(manager(&h, anna).fixed_this_week, Some(3));
        // Boris: 4 stale deals are gone; his other counts stand.
        assert_eq!(manager(&h, boris).fixed_this_week, Some(4));
        let best = h.most_fixed.as_ref().unwrap();
        assert_eq!((best.manager_id, best.fixed), (Some(boris), 4));
        // The team: 12 now against 11 stored yesterday.
        assert_eq!(h.team.violations, 12);
        assert_eq!(h.team.since_yesterday, Some(1));
        assert_eq!(h.team.fixed_this_week, Some(7));

        // One manager's view compares that manager's tallies only.
        let only = match k.report_with(
            ReportId::Hygiene,
            "2026-12-02T12:00:00Z",
            ReportParams {
                manager: Some(anna),
                ..Default::default()
            },
        ) {
            Report::Hygiene(r) => r,
            _ => unreachable!(),
        };
        assert_eq!(only.team.since_yesterday, Some(-2));
        assert_eq!(only.most_fixed.map(|m| m.manager_id), Some(Some(anna)));
        // Carl's own view: no tally of his yesterday, so his total is not "+3" either.
        let carls = match k.report_with(
            ReportId::Hygiene,
            "2026-12-02T12:00:00Z",
            ReportParams {
                manager: Some(carl),
                ..Default::default()
            },
        ) {
            Report::Hygiene(r) => r,
            _ => unreachable!(),
        };
        assert_eq!(carls.team.violations, 3);
        assert_eq!((carls.team.since_yesterday, carls.team.fixed_this_week), (None, None));
    }

    #[test]
    fn without_yesterdays_tally_no_change_is_shown() {
        let (k, [anna, boris, _]) = week_kit(false, "2026-12-01T10:00:00Z");
        let h = report(&k, "2026-12-02T12:00:00Z");
        assert_eq!(h.yesterday, None);
        assert!(h.managers.iter().all(|m| m.since_yesterday.is_none()));
        assert_eq!(h.team.since_yesterday, None);
        // The week's fixes still count from Sunday's tally.
        assert_eq!(manager(&h, anna).fixed_this_week, Some(3));
        assert_eq!(manager(&h, boris).fixed_this_week, Some(4));
        // Without any tally, nothing is compared and nobody is named.
        let (mut bare, _) = week_kit(false, "2026-12-01T10:00:00Z");
        bare.ws.hygiene_history.clear();
        let h = report(&bare, "2026-12-02T12:00:00Z");
        assert_eq!((h.week_baseline, h.most_fixed.is_none()), (None, true));
        assert!(h.managers.iter().all(|m| m.fixed_this_week.is_none()));
        assert_eq!(h.team.fixed_this_week, None);
    }

    #[test]
    fn the_week_starts_on_monday_in_the_business_zone() {
        let (k, [_, boris, _]) = week_kit(false, "2026-11-29T10:00:00Z");
        // Sunday 22:30 UTC is Monday 30.11, 01:30 in Moscow: a new week, and Sunday is yesterday.
        let h = report(&k, "2026-11-29T22:30:00Z");
        assert_eq!(h.week_start, date("2026-11-30"));
        assert_eq!(h.week_baseline, Some(date("2026-11-29")));
        assert_eq!(h.yesterday, Some(date("2026-11-29")));
        assert_eq!(manager(&h, boris).since_yesterday, Some(3 - 7));
        // An hour earlier it is still Sunday there: the week began on 23.11, its baseline is 22.11.
        let h = report(&k, "2026-11-29T20:30:00Z");
        assert_eq!(h.week_start, date("2026-11-23"));
        assert_eq!(h.week_baseline, Some(date("2026-11-22")));
        assert_eq!(h.yesterday, None);
        assert_eq!(manager(&h, boris).fixed_this_week, Some(40 - 1));
    }

    #[test]
    fn the_list_is_filtered_and_sorted_before_it_is_cut() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        let old = k.open_deal(boris, 100, "2026-11-01T10:00:00Z");
        k.open_deal(anna, 100, "2026-11-20T10:00:00Z");
        k.open_deal(anna, 100, "2026-11-25T10:00:00Z");
        let with = |params: ReportParams| match k.report_with(ReportId::Hygiene, "2026-11-26T12:00:00Z", params) {
            Report::Hygiene(r) => r,
            _ => unreachable!(),
        };
        let all = with(ReportParams::default());
        assert_eq!(all.violations_total, all.violations.len());
        let stale = with(ReportParams {
            rule: Some(Rule::StaleDeal),
            ..Default::default()
        });
        assert_eq!(stale.violations.len(), 1);
        assert_eq!(stale.violations[0].entity, EntityRef::Deal(old));
        // Counts are never filtered: the board's table and the TV stay whole.
        assert_eq!((stale.team, stale.violations_total), (all.team.clone(), all.violations.len()));
        let aged = with(ReportParams {
            min_days: Some(6),
            ..Default::default()
        });
        assert!(aged.violations.iter().all(|v| v.open_days >= 6));
        assert_eq!(aged.violations.len(), all.violations.iter().filter(|v| v.open_days >= 6).count());
        assert!(aged.violations.len() < all.violations.len() && !aged.violations.is_empty());
        let sorted = |sort: &str| {
            with(ReportParams {
                sort: Some(sort.into()),
                ..Default::default()
            })
            .violations
        };
        let days: Vec<i64> = sorted("open_days_asc").iter().map(|v| v.open_days).collect();
        assert!(days.windows(2).all(|w| w[0] <= w[1]) && days[0] < days[days.len() - 1], "{days:?}");
        let managers: Vec<String> = sorted("manager_desc").iter().map(|v| v.manager.clone()).collect();
        assert_eq!(managers.first().map(String::as_str), Some("Борис"));
        assert!(managers.windows(2).all(|w| w[0] >= w[1]));
        // By rule name as the list shows it, ties the longest-standing first.
        let by_rule = sorted("rule");
        let titles: Vec<&str> = by_rule
            .iter()
            .map(|v| text(crate::i18n::Language::Ru, &v.rule.title_key()))
            .collect();
        assert!(titles.windows(2).all(|w| w[0].to_lowercase() <= w[1].to_lowercase()), "{titles:?}");
        let first_rule: Vec<i64> = by_rule
            .iter()
            .take_while(|v| v.rule == by_rule[0].rule)
            .map(|v| v.open_days)
            .collect();
        assert!(first_rule.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn normalised_names() {
        assert_eq!(normalize_company_name("ООО «Ромашка»"), "ромашка");
        assert_eq!(normalize_company_name("Ромашка, ООО"), "ромашка");
        assert_eq!(normalize_company_name("ИП Пётр Ёлкин"), "петр елкин");
    }
}
