//! Pareto / ABC: which companies, products or managers bring most of a
//! measure. The contributions sorted, the cumulative share, the class of each
//! (A up to 80 %, B the next 15 %, C the rest, by default) and the headline in
//! words: "31 компания из 140 даёт 80 % выручки".

use crate::money::sum_minor;
use serde::Serialize;

use rustc_hash::FxHashMap as HashMap;

use super::{Acc, Dimension, Key, Measure, Part, Query, QueryCtx, QueryError, Unit, Value};
use crate::i18n::{Language, format_int, format_percent, plural};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Class {
    A,
    B,
    C,
}

#[derive(Clone, Debug, Serialize)]
pub struct ParetoRow {
    pub key: Key,
    pub label: String,
    pub value: i64,
    /// Of the total, in percent.
    pub share: f64,
    /// This row and every larger one, in percent of the total.
    pub cumulative: f64,
    pub class: Class,
    pub records: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Pareto {
    pub measure: Measure,
    pub dimension: Dimension,
    pub period_label: String,
    pub total: i64,
    /// The A and B limits in percent of the total (80 and 95 by default).
    pub a_until: u32,
    pub b_until: u32,
    pub rows: Vec<ParetoRow>,
    /// What has no value of the dimension (deals without a company): left out
    /// of the ranking, its amount said beside it.
    pub not_set: i64,
    /// How many rows are in class A, and the share they make.
    pub a_count: usize,
    pub a_share: f64,
    pub headline: String,
}

/// Why a measure cannot be split this way: only sums and counts add up.
pub fn check(measure: Measure) -> Result<(), QueryError> {
    match measure.unit() {
        Unit::Money | Unit::Count => Ok(()),
        _ => Err(QueryError::NotSummable(measure.as_str().to_string())),
    }
}

/// The Pareto view of `query.measure` by `dimension` (the query's own `by` and limit are ignored).
/// `a_percent` and `b_percent` are the shares classes A and B take (80 and 15 by default).
pub fn pareto(ctx: &QueryCtx, query: &Query, dimension: Dimension, a_percent: u32, b_percent: u32) -> Result<Pareto, QueryError> {
    check(query.measure)?;
    let lang = ctx.config.business.language;
    let measure = query.measure;
    // One pass summing per value of the dimension: small sums, no records and no
    // rows of the explore answer (a Pareto of companies has as many rows as companies).
    #[derive(Clone, Copy, Default)]
    struct Sums {
        sum: i64,
        count: i64,
        won: i64,
        lost: i64,
    }
    impl Sums {
        fn add(&mut self, p: &Part) {
            self.sum = self.sum.saturating_add(p.sum);
            self.count += 1;
            self.won += p.won as i64;
            self.lost += p.lost as i64;
        }
        fn value(self, measure: Measure) -> i64 {
            let acc = Acc {
                sum: self.sum,
                count: self.count,
                won: self.won,
                lost: self.lost,
                ..Acc::default()
            };
            match acc.value(measure) {
                Some(Value::Int(i)) => i,
                _ => 0,
            }
        }
    }
    let mut total = Sums::default();
    let mut groups: HashMap<Key, Sums> = HashMap::default();
    let mut keys = Vec::new();
    ctx.scan(measure, &query.span, &query.filters, |v, part| {
        total.add(part);
        ctx.keys(dimension, v, &mut keys);
        for k in keys.drain(..) {
            groups.entry(k).or_default().add(part);
        }
    });
    let total = total.value(measure);
    let period_label = query.span.label(lang);
    let mut not_set = 0;
    let mut ranked: Vec<(Key, i64, usize)> = Vec::with_capacity(groups.len());
    for (key, sums) in groups {
        match key {
            Key::None => not_set = sum_minor([not_set, sums.value(measure)]),
            key => ranked.push((key, sums.value(measure), sums.count as usize)),
        }
    }
    // Largest first, ties by label, then by key: labels are made once per row,
    // and compared only within a run of equal values.
    ranked.sort_unstable_by(|a, b| (b.1 as f64).total_cmp(&(a.1 as f64)).then_with(|| a.0.cmp(&b.0)));
    let mut labels: Vec<String> = ranked.iter().map(|r| dimension.label(&r.0, ctx.ws, lang)).collect();
    let mut start = 0;
    while start < ranked.len() {
        let end = start + ranked[start..].iter().take_while(|r| r.1 as f64 == ranked[start].1 as f64).count();
        if end - start > 1 {
            let mut run: Vec<((Key, i64, usize), String)> = ranked[start..end]
                .iter()
                .cloned()
                .zip(labels[start..end].iter_mut().map(std::mem::take))
                .collect();
            run.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.0.cmp(&b.0.0)));
            for (i, (r, label)) in run.into_iter().enumerate() {
                ranked[start + i] = r;
                labels[start + i] = label;
            }
        }
        start = end;
    }
    let positive = sum_minor(ranked.iter().map(|r| r.1.max(0)));
    let (a_until, b_until) = (a_percent.min(100), (a_percent + b_percent).min(100));
    let mut running = 0i64;
    let mut previous_share = 0.0;
    let mut rows = Vec::new();
    for ((key, value, records), label) in ranked.into_iter().zip(labels) {
        running = running.saturating_add(value.max(0));
        let cumulative = if positive > 0 {
            running as f64 * 100.0 / positive as f64
        } else {
            0.0
        };
        // A row belongs to the class its share starts in: the one crossing 80 % is still A.
        let class = if value <= 0 {
            Class::C
        } else if previous_share < a_until as f64 {
            Class::A
        } else if previous_share < b_until as f64 {
            Class::B
        } else {
            Class::C
        };
        previous_share = cumulative;
        rows.push(ParetoRow {
            key,
            label,
            value,
            share: if positive > 0 {
                crate::reports::round_to(value.max(0) as f64 * 100.0 / positive as f64, 1)
            } else {
                0.0
            },
            cumulative: crate::reports::round_to(cumulative, 1),
            class,
            records,
        });
    }
    let a_count = rows.iter().filter(|r| r.class == Class::A).count();
    let a_share = rows.iter().filter(|r| r.class == Class::A).map(|r| r.value);
    let a_share = sum_minor(a_share);
    let a_share = if positive > 0 {
        crate::reports::round_to(a_share as f64 * 100.0 / positive as f64, 1)
    } else {
        0.0
    };
    let headline = headline(lang, dimension, measure, a_count, rows.len(), a_share);
    Ok(Pareto {
        measure,
        dimension,
        period_label,
        total,
        a_until,
        b_until,
        rows,
        not_set,
        a_count,
        a_share,
        headline,
    })
}

/// "31 компания из 140 даёт 80,3 % выручки" / "31 of 140 companies bring 80.3% of revenue".
fn headline(lang: Language, dim: Dimension, measure: Measure, a: usize, n: usize, share: f64) -> String {
    let (one, few, many, en) = match dim {
        Dimension::Company => ("компания", "компании", "компаний", "companies"),
        Dimension::Manager => ("менеджер", "менеджера", "менеджеров", "managers"),
        Dimension::Contact => ("контакт", "контакта", "контактов", "contacts"),
        Dimension::Pipeline => ("воронка", "воронки", "воронок", "pipelines"),
        _ => ("значение", "значения", "значений", "values"),
    };
    let what = crate::i18n::text(lang, &measure.title_key()).to_lowercase();
    match lang {
        Language::Ru => {
            let verb = if a % 10 == 1 && a % 100 != 11 { "даёт" } else { "дают" };
            let measure_genitive = match measure {
                Measure::Revenue => "выручки".to_string(),
                Measure::Margin => "маржи".to_string(),
                _ => format!("показателя «{what}»"),
            };
            format!(
                "{} {} из {} {verb} {} {measure_genitive}",
                format_int(lang, a as i64),
                plural(a as i64, one, few, many),
                format_int(lang, n as i64),
                format_percent(lang, share)
            )
        }
        Language::En => format!("{a} of {n} {en} bring {} of {what}", format_percent(lang, share)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{DEFAULT_LIMIT, Layer, Span};
    use crate::reports::testkit::*;

    #[test]
    fn a_few_companies_bring_most_of_the_revenue() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        // Ten companies: 500, 300, then eight of 25 000 ₽ each: 1 000 000 in all.
        let sizes = [500_000, 300_000, 25_000, 25_000, 25_000, 25_000, 25_000, 25_000, 25_000, 25_000];
        for (i, size) in sizes.into_iter().enumerate() {
            let c = k.company(&format!("Компания {i}"), anna);
            let d = k.won_deal(anna, size, "2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z");
            k.set_company(d, c);
        }
        // A won deal without a company is no company: left out of the ranking, said apart.
        k.won_deal(anna, 70_000, "2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z");
        let layer = Layer::build(&k.ws, &k.config);
        let calendar = k.config.calendar();
        let ctx = QueryCtx {
            ws: &k.ws,
            layer: &layer,
            config: &k.config,
            calendar: &calendar,
            as_of: at("2026-11-26T12:00:00Z"),
        };
        let q = Query {
            measure: Measure::Revenue,
            span: Span::parse("this_month", date("2026-11-26")).unwrap(),
            by: vec![],
            filters: vec![],
            compare: None,
            limit: DEFAULT_LIMIT,
        };
        let p = pareto(&ctx, &q, Dimension::Company, 80, 15).unwrap();
        assert_eq!((p.total, p.not_set, p.rows.len()), (107_000_000, 7_000_000, 10));
        let classes: Vec<Class> = p.rows.iter().map(|r| r.class).collect();
        // 50 % then 80 %: the first two make A; B takes up to 95 % (six of 2.5 %); C the rest.
        assert_eq!(&classes[..2], &[Class::A, Class::A]);
        assert_eq!(classes.iter().filter(|c| **c == Class::B).count(), 6);
        assert_eq!(classes.iter().filter(|c| **c == Class::C).count(), 2);
        assert_eq!((p.rows[0].share, p.rows[1].cumulative, p.rows[9].cumulative), (50.0, 80.0, 100.0));
        assert_eq!(p.headline, "2 компании из 10 дают 80,0\u{a0}% выручки");
        assert!(check(Measure::WinRate).is_err());
    }

    #[test]
    fn ranks_as_the_explore_answer_does_ties_by_name() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        // Equal revenues under names out of id order, a company with two deals, one deal without a company.
        for (name, size) in [
            ("Вектор", 50_000),
            ("Альфа", 50_000),
            ("Бета", 50_000),
            ("Гамма", 20_000),
            ("Дельта", 30_000),
        ] {
            let c = k.company(name, anna);
            let d = k.won_deal(anna, size, "2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z");
            k.set_company(d, c);
            if name == "Гамма" {
                let d = k.won_deal(anna, 30_000, "2026-11-01T10:00:00Z", "2026-11-11T10:00:00Z");
                k.set_company(d, c);
            }
        }
        k.won_deal(anna, 70_000, "2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z");
        let layer = Layer::build(&k.ws, &k.config);
        let calendar = k.config.calendar();
        let ctx = QueryCtx {
            ws: &k.ws,
            layer: &layer,
            config: &k.config,
            calendar: &calendar,
            as_of: at("2026-11-26T12:00:00Z"),
        };
        for measure in [Measure::Revenue, Measure::WonDeals, Measure::AverageCheck] {
            let q = Query {
                measure,
                span: Span::parse("this_month", date("2026-11-26")).unwrap(),
                by: vec![Dimension::Company],
                filters: vec![],
                compare: None,
                limit: usize::MAX,
            };
            let p = pareto(&ctx, &q, Dimension::Company, 80, 15).unwrap();
            let explore = crate::query::answer(&ctx, &q);
            let expected: Vec<(Key, String, i64, usize)> = explore
                .rows
                .iter()
                .filter(|r| r.keys[0] != Key::None)
                .map(|r| {
                    (
                        r.keys[0].clone(),
                        r.labels[0].clone(),
                        r.value.map_or(0, |v| v.as_f64() as i64),
                        r.records,
                    )
                })
                .collect();
            let got: Vec<(Key, String, i64, usize)> = p
                .rows
                .iter()
                .map(|r| (r.key.clone(), r.label.clone(), r.value, r.records))
                .collect();
            assert_eq!(got, expected, "{measure:?}");
            assert_eq!(Value::Int(p.total), explore.total.value.unwrap(), "{measure:?}");
        }
        let p = pareto(
            &ctx,
            &Query {
                measure: Measure::Revenue,
                span: Span::parse("this_month", date("2026-11-26")).unwrap(),
                by: vec![],
                filters: vec![],
                compare: None,
                limit: DEFAULT_LIMIT,
            },
            Dimension::Company,
            80,
            15,
        )
        .unwrap();
        let names: Vec<&str> = p.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(names, ["Альфа", "Бета", "Вектор", "Гамма", "Дельта"]);
        assert_eq!(p.not_set, 7_000_000);
    }
}
