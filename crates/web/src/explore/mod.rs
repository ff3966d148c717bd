//! The explore and Pareto boards: any measure by any slice under any filters
//! (the core's query layer) as JSON, as pages where a click on a bar adds a
//! filter and every figure is asked again (cross-filtering, written in the
//! URL so a view can be bookmarked), and as the records behind each figure.
//! The layer's fact tables are built once per workspace version; a click
//! costs one question, not a rebuild.

pub mod api;
pub mod charts;
pub mod page;
pub mod pareto;
pub mod records;

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use tsifra_core::i18n::{format_int, format_money, format_percent};
use tsifra_core::query::{Compare, Dimension, Key, Layer, Measure, Query, QueryCtx, QueryText, Span, SpanUnit, Unit, Value};
use tsifra_core::{Config, Language, Money, PeriodKind, Workspace};

use crate::asof::AsOf;
use crate::error::AppError;
use crate::reports::effective_as_of;
use crate::state::AppState;
use crate::texts::{t, t_with};

/// The pages of this module as the navigation bar and the home page list them:
/// (path, key of the title, key of the short name).
pub const PAGES: [(&str, &str, &str); 2] = [
    (page::PATH, "web.board.explore", "web.nav.explore"),
    (pareto::PATH, "web.board.pareto", "web.nav.pareto"),
];

/// The query layer's fact tables: built on the first question, then updated by
/// each batch's change set ([`LayerCache::take_in`]).
#[derive(Default)]
pub struct LayerCache {
    slot: Mutex<Option<Arc<Layer>>>,
    built: std::sync::atomic::AtomicU64,
    updated: std::sync::atomic::AtomicU64,
}

impl LayerCache {
    /// The layer of `ws`, built on the first question after a version change
    /// no change set brought. Callers wait for one build rather than each starting their own.
    pub fn layer(&self, ws: &Workspace, config: &Config) -> Arc<Layer> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(layer) if layer.version == ws.version => layer.clone(),
            _ => {
                let built = Arc::new(Layer::build(ws, config));
                self.built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                *slot = Some(built.clone());
                built
            }
        }
    }

    /// Updates the layer, if it is of the version a batch just applied to `ws`
    /// started from, by what the batch changed (see [`Layer::update`]).
    pub fn take_in(&self, ws: &Workspace, config: &Config, changes: &tsifra_core::Changes) {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(layer) = slot.take_if(|l| l.version == changes.from_version) {
            let layer = Arc::try_unwrap(layer).unwrap_or_else(|shared| (*shared).clone());
            *slot = Some(Arc::new(layer.update(ws, config, changes)));
            self.updated.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// How often the layer was built from every row, and updated from a change set.
    pub fn counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.built.load(Relaxed), self.updated.load(Relaxed))
    }
}

/// The tables a question's answer reads: its measure's facts, the users and
/// setup its labels come from and, unless it is sliced and filtered only by
/// manager, team and time, the deals, companies and contacts its rows are on.
/// A page listing records reads everything. A batch touching none of these
/// leaves the answer's page cached.
pub fn reads(params: &Params) -> tsifra_core::Tables {
    use tsifra_core::Tables;
    use tsifra_core::query::FactKind;
    if params.row.is_some() || params.page.is_some() {
        return Tables::ALL;
    }
    let base = Tables::USERS.with(Tables::SETUP);
    let Some(measure) = params.text.measure.as_deref().map(Measure::parse) else {
        return base.with(Tables::DEALS).with(Tables::COMPANIES).with(Tables::CONTACTS);
    };
    let facts = match measure.map(Measure::fact) {
        Some(FactKind::Activities) => Tables::ACTIVITIES,
        Some(FactKind::Tasks) => Tables::TASKS,
        Some(FactKind::Deals) => Tables::DEALS,
        None => return Tables::ALL,
    };
    let narrow = |dim: &str| {
        let dim = dim.trim().to_lowercase();
        [
            "manager",
            "менеджер",
            "team",
            "group",
            "отдел",
            "day",
            "день",
            "week",
            "неделя",
            "month",
            "месяц",
            "quarter",
            "квартал",
            "year",
            "год",
        ]
        .contains(&dim.as_str())
    };
    let dims = params.text.by.iter().map(String::as_str);
    let filters = params.text.filters.iter().map(|f| f.split_once('=').map_or(f.as_str(), |(d, _)| d));
    let records = if dims.chain(filters).all(narrow) {
        Tables::NONE
    } else {
        Tables::DEALS.with(Tables::COMPANIES).with(Tables::CONTACTS)
    };
    base.with(facts).with(records)
}

/// A question as the URL spells it: `measure`, `by` (at most twice), `where`
/// (any number of `dimension=value|value`), `period` (or `from` and `to`),
/// `compare`, `limit`; `row` and `page` pick records; `as_of` is read by [`AsOf`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub text: QueryText,
    /// The figure whose records are listed: a row's index, `others`, or the total.
    pub row: Option<String>,
    pub page: Option<String>,
    /// The `as_of` text from the URL, carried on by every link.
    pub as_of: Option<String>,
}

impl Params {
    /// Reads the URL's pairs in order (repeated `by` and `where` kept).
    pub fn from_pairs(pairs: &[(String, String)], lang: Language) -> Result<Params, AppError> {
        let mut p = Params::default();
        let (mut from, mut to) = (None, None);
        let some = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        for (key, value) in pairs {
            match key.as_str() {
                "measure" => p.text.measure = some(value),
                "by" => p.text.by.extend(some(value)),
                "where" => p.text.filters.extend(some(value)),
                "period" => p.text.period = some(value),
                "from" => from = some(value),
                "to" => to = some(value),
                "compare" => p.text.compare = some(value),
                "limit" => {
                    if let Some(v) = some(value) {
                        p.text.limit = Some(
                            v.parse()
                                .map_err(|_| AppError::BadRequest(t_with(lang, "web.explore.bad_limit", &[("value", &v)])))?,
                        );
                    }
                }
                "row" => p.row = some(value),
                "page" => p.page = some(value),
                "as_of" => p.as_of = some(value),
                _ => {}
            }
        }
        // The form's own dates count when its period says "custom" (or names none);
        // a named period picked while the dates are still filled in wins.
        let custom = p.text.period.as_deref() == Some("custom");
        if custom || p.text.period.is_none() {
            match (from, to) {
                (Some(from), Some(to)) => p.text.period = Some(format!("{from}..{to}")),
                (None, None) if !custom => {}
                _ => return Err(AppError::BadRequest(t(lang, "web.explore.both_dates").to_string())),
            }
        }
        Ok(p)
    }

    /// The question read against the workspace; a bad name is refused with the valid ones.
    pub fn question(&self, ws: &Workspace, config: &Config, today: NaiveDate) -> Result<Query, AppError> {
        parse_question(&self.text, ws, config, today)
    }

    /// The question's own pairs and `as_of`, for links that keep the view.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = self.text.pairs();
        if let Some(a) = &self.as_of {
            out.push(("as_of", a.clone()));
        }
        out
    }

    /// The same view with `text` in place of the question.
    pub fn with_text(&self, text: QueryText) -> Params {
        Params {
            text,
            row: None,
            page: None,
            as_of: self.as_of.clone(),
        }
    }

    /// The same view with one more filter.
    pub fn with_filter(&self, filter: String) -> Params {
        let mut text = self.text.clone();
        text.filters.push(filter);
        self.with_text(text)
    }

    /// `path?...` for this view.
    pub fn href(&self, path: &str) -> String {
        let pairs = self.pairs();
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::view::href(path, &refs)
    }

    /// The records behind figure `row` of this question.
    pub fn records_href(&self, row: Option<&str>) -> String {
        let mut pairs = self.pairs();
        if let Some(r) = row {
            pairs.push(("row", r.to_string()));
        }
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::view::href(records::PAGE_PATH, &refs)
    }
}

/// Reads a question, saying what is wrong in the workspace's language where
/// the words exist (unknown measure, slice, period or comparison), else in
/// the parser's own words.
pub fn parse_question(text: &QueryText, ws: &Workspace, config: &Config, today: NaiveDate) -> Result<Query, AppError> {
    let lang = config.business.language;
    let bad = |key: &str, value: &str, names: &str| AppError::BadRequest(t_with(lang, key, &[("value", value), ("names", names)]));
    if let Some(m) = &text.measure
        && Measure::parse(m).is_none()
    {
        return Err(bad("web.explore.bad_measure", m, &Measure::names()));
    }
    let dims = text
        .by
        .iter()
        .flat_map(|b| b.split(','))
        .chain(text.filters.iter().map(|f| f.split_once('=').map_or(f.as_str(), |(d, _)| d)));
    for dim in dims.filter(|d| !d.trim().is_empty()) {
        if let Err(tsifra_core::query::QueryError::UnknownDimension(_)) = Dimension::parse(dim, ws, config) {
            return Err(bad("web.explore.bad_dimension", dim.trim(), tsifra_core::query::dimension::NAMES));
        }
    }
    if let Some(p) = &text.period
        && Span::parse(p, today).is_none()
    {
        return Err(bad("web.explore.bad_period", p, ""));
    }
    if let Some(c) = &text.compare
        && c != "none"
        && Compare::parse(c).is_none()
    {
        return Err(bad("web.explore.bad_compare", c, ""));
    }
    text.parse(ws, config, today).map_err(|e| AppError::BadRequest(e.message(lang)))
}

/// A dimension's value as a filter spells it (`manager=1234`, `month=2026-11`),
/// when it reads back as the same value; `None` for values a filter cannot name.
pub fn filter_text(dim: Dimension, key: &Key, ws: &Workspace, today: NaiveDate) -> Option<String> {
    let value = match (dim, key) {
        (_, Key::None) => "-".to_string(),
        (_, Key::Id(id)) => id.to_string(),
        (_, Key::Text(s)) => s.clone(),
        (Dimension::Time(unit), Key::Day(d)) => span_key(&Span::of(unit, *d)),
        (_, Key::Day(d)) => d.format("%Y-%m-%d").to_string(),
        (_, Key::Num(n)) => n.to_string(),
        (_, Key::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
    };
    // A value holding the separators cannot be written as a filter.
    if value.contains('|') || value.trim() != value {
        return None;
    }
    (dim.parse_value(&value, ws, today).ok().as_ref() == Some(key)).then(|| format!("{}={value}", dim.key()))
}

/// A period as `period=` spells it: `2026-11-20`, `2026-W48`, `2026-11`, `2026-Q4`, `2026`, or a range.
pub fn span_key(span: &Span) -> String {
    let period = |kind| tsifra_core::Period::containing(kind, span.start).key();
    match span.unit {
        Some(SpanUnit::Day) => period(PeriodKind::Day),
        Some(SpanUnit::Week) => period(PeriodKind::Week),
        Some(SpanUnit::Month) => period(PeriodKind::Month),
        Some(SpanUnit::Quarter) => period(PeriodKind::Quarter),
        Some(SpanUnit::Year) => span.start.format("%Y").to_string(),
        None => format!("{}..{}", span.start.format("%Y-%m-%d"), span.last_day().format("%Y-%m-%d")),
    }
}

/// A measure's value for people: money in full, a count, a percentage, days.
pub fn value_text(lang: Language, currency: &str, unit: Unit, value: Option<Value>) -> String {
    match (unit, value) {
        (_, None) => "—".to_string(),
        (Unit::Money, Some(v)) => format_money(lang, currency, Money(v.as_f64().round() as i64)),
        (Unit::Percent, Some(v)) => format_percent(lang, v.as_f64()),
        (Unit::Days, Some(v)) => t_with(lang, "web.explore.days", &[("n", &decimal(lang, v.as_f64()))]),
        (Unit::Count, Some(Value::Int(i))) => format_int(lang, i),
        (Unit::Count, Some(Value::Dec(d))) => decimal(lang, d),
    }
}

/// The same in few characters, for bars: "1,2 млн ₽".
pub fn value_compact(lang: Language, currency: &str, unit: Unit, value: Option<Value>) -> String {
    match (unit, value) {
        (Unit::Money, Some(v)) => crate::view::compact_money(lang, currency, v.as_f64().round() as i64),
        _ => value_text(lang, currency, unit, value),
    }
}

/// A change with its sign: "+1 234 567 ₽ (+12,5 %)"; a change of a percentage is in points.
pub fn change_text(lang: Language, currency: &str, unit: Unit, change: Option<Value>, percent: Option<f64>) -> Option<String> {
    let change = change?;
    let sign = |v: f64| if v > 0.0 { "+" } else { "" };
    let amount = match unit {
        Unit::Percent => t_with(lang, "web.explore.points", &[("n", &decimal(lang, change.as_f64()))]),
        _ => value_text(lang, currency, unit, Some(change)),
    };
    let mut out = format!("{}{amount}", sign(change.as_f64()));
    if let Some(p) = percent {
        out.push_str(&format!(" ({}{})", sign(p), format_percent(lang, p)));
    }
    Some(out)
}

fn decimal(lang: Language, v: f64) -> String {
    let text = format!("{v:.1}");
    match lang {
        Language::Ru => text.replace('.', ","),
        Language::En => text,
    }
}

/// Asks the layer under a short read of the workspace, off the async workers.
/// `f` gets the context and the as-of day relative periods are counted from.
pub async fn ask<T, F>(state: &AppState, as_of: &AsOf, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&QueryCtx, NaiveDate) -> Result<T, AppError> + Send + 'static,
{
    let ws = state.workspace().await;
    let state = state.clone();
    let at = effective_as_of(as_of);
    tokio::task::spawn_blocking(move || {
        let config = state.config();
        let layer = state.layers().layer(&ws, config);
        let calendar = &*state.calendar();
        let ctx = QueryCtx {
            ws: &ws,
            layer: &layer,
            config,
            calendar,
            as_of: at,
        };
        f(&ctx, calendar.local_date(at))
    })
    .await
    .map_err(|e| AppError::Internal(format!("a question to the query layer failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layer_is_built_once_per_workspace_version() {
        let config = Config::default();
        let mut ws = Workspace::default();
        let cache = LayerCache::default();
        let first = cache.layer(&ws, &config);
        assert!(Arc::ptr_eq(&first, &cache.layer(&ws, &config)), "the same version: the same layer");
        ws.version += 1;
        let second = cache.layer(&ws, &config);
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.version, ws.version);
    }

    #[test]
    fn the_forms_dates_count_only_for_a_period_of_ones_own() {
        let read = |q: &str| {
            let pairs: Vec<(String, String)> = q
                .split('&')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Params::from_pairs(&pairs, Language::Ru)
        };
        let custom = read("period=custom&from=2026-09-01&to=2026-09-30").unwrap();
        assert_eq!(custom.text.period.as_deref(), Some("2026-09-01..2026-09-30"));
        let named = read("period=last_month&from=2026-09-01&to=2026-09-30").unwrap();
        assert_eq!(named.text.period.as_deref(), Some("last_month"));
        let bare = read("from=2026-09-01&to=2026-09-30&by=manager&by=&where=").unwrap();
        assert_eq!(bare.text.period.as_deref(), Some("2026-09-01..2026-09-30"));
        assert_eq!(bare.text.by, vec!["manager".to_string()], "empty selects are no slice");
        assert!(bare.text.filters.is_empty());
        assert!(read("period=custom&from=2026-09-01").is_err());
        assert!(read("limit=many").is_err());
    }
}
