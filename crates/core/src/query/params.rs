//! A question as the CLI, the API and the page's URL write it, read in one
//! place: `measure=revenue`, `by=manager`, `where=pipeline=Горячие продажи`,
//! `period=last_quarter`, `compare=previous`, `limit=20`. A bad name is
//! refused with the valid ones listed.

use chrono::NaiveDate;

use super::error::QueryError;
use super::{Compare, DEFAULT_LIMIT, Dimension, Filter, MAX_DIMENSIONS, Measure, Query, Span};
use crate::config::Config;
use crate::model::Workspace;

/// The raw text of a question, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryText {
    pub measure: Option<String>,
    pub by: Vec<String>,
    /// `dimension=value`, several values separated by `|`.
    pub filters: Vec<String>,
    pub period: Option<String>,
    pub compare: Option<String>,
    pub limit: Option<usize>,
}

/// The largest number of rows a caller may ask for before "others".
pub const MAX_LIMIT: usize = 1_000;

impl QueryText {
    /// Reads the question against the workspace (names of managers, fields...)
    /// with `today` the as-of day for relative periods.
    pub fn parse(&self, ws: &Workspace, config: &Config, today: NaiveDate) -> Result<Query, QueryError> {
        let measure = match &self.measure {
            None => Measure::Revenue,
            Some(m) => Measure::parse(m).ok_or_else(|| QueryError::UnknownMeasure(m.clone()))?,
        };
        let by: Vec<Dimension> = self
            .by
            .iter()
            .flat_map(|b| b.split(','))
            .filter(|b| !b.trim().is_empty())
            .map(|b| Dimension::parse(b, ws, config))
            .collect::<Result<_, _>>()?;
        if by.len() > MAX_DIMENSIONS {
            return Err(QueryError::TooManyDimensions(by.len()));
        }
        let span = match &self.period {
            None => Span::parse("this_month", today).expect("a named period"),
            Some(p) => Span::parse(p, today).ok_or_else(|| QueryError::UnknownPeriod(p.clone()))?,
        };
        let compare = match &self.compare {
            None => None,
            Some(c) if c.trim().is_empty() || c == "none" => None,
            Some(c) => Some(Compare::parse(c).ok_or_else(|| QueryError::UnknownCompare(c.clone()))?),
        };
        let mut filters: Vec<Filter> = Vec::new();
        for f in &self.filters {
            let (dim, values) = f.split_once('=').ok_or_else(|| QueryError::BadFilter(f.clone()))?;
            let dim = Dimension::parse(dim, ws, config)?;
            let keys = values
                .split('|')
                .map(|v| dim.parse_value(v, ws, today))
                .collect::<Result<Vec<_>, _>>()?;
            // Two filters on one dimension narrow to the values both allow.
            match filters.iter_mut().find(|x| x.dim == dim) {
                Some(existing) => existing.keys.retain(|k| keys.contains(k)),
                None => filters.push(Filter { dim, keys }),
            }
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(QueryError::BadLimit(limit));
        }
        Ok(Query {
            measure,
            span,
            by,
            filters,
            compare,
            limit,
        })
    }

    /// The question written back as URL query pairs (for links that add or drop a filter).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(m) = &self.measure {
            out.push(("measure", m.clone()));
        }
        out.extend(self.by.iter().map(|b| ("by", b.clone())));
        out.extend(self.filters.iter().map(|f| ("where", f.clone())));
        if let Some(p) = &self.period {
            out.push(("period", p.clone()));
        }
        if let Some(c) = &self.compare {
            out.push(("compare", c.clone()));
        }
        if let Some(l) = self.limit {
            out.push(("limit", l.to_string()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Key;
    use crate::reports::testkit::*;

    #[test]
    fn a_question_as_typed() {
        let mut k = Kit::new();
        let anna = k.manager("Анна Сёмина");
        let q = QueryText {
            measure: Some("win-rate".into()),
            by: vec!["manager,month".into()],
            filters: vec!["manager=анна семина".into(), "pipeline=Горячие продажи|Холодные продажи".into()],
            period: Some("last_quarter".into()),
            compare: Some("year_ago".into()),
            limit: Some(5),
        }
        .parse(&k.ws, &k.config, date("2026-12-02"))
        .unwrap();
        assert_eq!(q.measure, Measure::WinRate);
        assert_eq!(q.by.len(), 2);
        assert_eq!(q.filters[0].keys, vec![Key::Id(anna)]);
        assert_eq!(q.filters[1].keys, vec![Key::Id(HOT), Key::Id(COLD)]);
        assert_eq!(q.span.start, date("2026-07-01"));
        assert_eq!((q.compare, q.limit), (Some(Compare::YearAgo), 5));
    }

    #[test]
    fn bad_names_list_the_valid_ones() {
        let k = Kit::new();
        let ask = |t: QueryText| t.parse(&k.ws, &k.config, date("2026-12-02")).unwrap_err().to_string();
        let e = ask(QueryText {
            measure: Some("profit".into()),
            ..Default::default()
        });
        assert!(e.contains("revenue") && e.contains("tasks_overdue"), "{e}");
        let e = ask(QueryText {
            by: vec!["colour".into()],
            ..Default::default()
        });
        assert!(e.contains("loss_reason"), "{e}");
        let e = ask(QueryText {
            period: Some("someday".into()),
            ..Default::default()
        });
        assert!(e.contains("last_quarter"), "{e}");
        let e = ask(QueryText {
            filters: vec!["manager".into()],
            ..Default::default()
        });
        assert!(e.contains("dimension=value"), "{e}");
        let e = ask(QueryText {
            by: vec!["manager".into(), "month".into(), "pipeline".into()],
            ..Default::default()
        });
        assert!(e.contains("at most 2"), "{e}");
        let e = ask(QueryText {
            limit: Some(0),
            ..Default::default()
        });
        assert!(e.contains("1 to 1000"), "{e}");
        // A Russian workspace reads it in Russian.
        let e = QueryText {
            measure: Some("прибыль".into()),
            ..Default::default()
        }
        .parse(&k.ws, &k.config, date("2026-12-02"))
        .unwrap_err()
        .message(crate::i18n::Language::Ru);
        assert!(e.starts_with("неизвестный показатель «прибыль»; возможные: revenue"), "{e}");
    }
}
