//! Amounts at the edge of what fits: a plan of i64::MAX kopecks, won deals whose
//! sum passes it, a margin field of 10^27 roubles, a payment paid negatively.
//! Every report, table and question must answer (saturated sums, never a
//! wrapped negative one, never a panic), and an unusable value counts as missing.

use rust_decimal::Decimal;

use super::testkit::*;
use super::{Report, ReportId, ReportParams, tabular};
use crate::calendar::Period;
use crate::model::{FieldDef, FieldType, FieldValue, Metric, Payment, Plan, Source};
use crate::money::Money;
use crate::query::{self, Dimension, Layer, Measure, Query, QueryCtx, Span};

const MARGIN_FIELD: i64 = 7001;

fn extreme_kit() -> (Kit, i64, i64) {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    let boris = k.manager("Борис");
    k.ws.field_defs.upsert(FieldDef {
        id: MARGIN_FIELD,
        entity: crate::model::EntityKind::Deal,
        name: "Маржа".into(),
        code: None,
        field_type: FieldType::Number,
        options: vec![],
    });
    k.config.fields.margin = "Маржа".into();
    for manager in [Some(anna), Some(boris), None] {
        for metric in [Metric::Revenue, Metric::Margin] {
            k.ws.plans.push(Plan {
                manager_id: manager,
                period: Period::parse_key("2026-11").unwrap(),
                metric,
                target: i64::MAX,
                origin: "test".into(),
                imported_at: None,
            });
        }
    }
    let company = k.company("ООО Ромашка", anna);
    let mut huge = Vec::new();
    for won in ["2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z"] {
        let id = k.won_deal(anna, 1, "2026-10-20T10:00:00Z", won);
        let mut d = k.deal_mut(id);
        d.amount = Money(i64::MAX - 1);
        d.company_id = Some(company);
        k.ws.deals.upsert(d);
        huge.push(id);
    }
    // Boris's margin field holds 10^27 roubles: no kopeck amount can hold it.
    let bad = k.won_deal(boris, 1_000, "2026-10-20T10:00:00Z", "2026-11-04T10:00:00Z");
    let mut d = k.deal_mut(bad);
    d.fields
        .push((MARGIN_FIELD, FieldValue::Number(Decimal::from_i128_with_scale(10i128.pow(27), 0))));
    k.ws.deals.upsert(d);
    k.open_deal(boris, 1, "2026-11-05T10:00:00Z");
    for (i, deal) in huge.iter().enumerate() {
        k.ws.payments.upsert(Payment {
            id: 900 + i as i64,
            deal_id: Some(*deal),
            company_id: Some(company),
            amount_due: Money(i64::MAX),
            due_date: Some(date("2026-11-05")),
            amount_paid: Money(-100),
            paid_date: None,
            source: Source::Amocrm,
        });
    }
    (k, anna, bad)
}

const AS_OF: &str = "2026-11-20T12:00:00Z";

#[test]
fn every_report_answers_with_saturated_sums() {
    let (k, anna, _) = extreme_kit();
    for id in ReportId::ALL {
        for metric in [None, Some(Metric::Revenue), Some(Metric::Margin)] {
            let report = k.report_with(
                id,
                AS_OF,
                ReportParams {
                    metric,
                    ..Default::default()
                },
            );
            // Every table renders (money formatting included) and serialises.
            for table in tabular::tables(&report, k.config.business.language, "RUB") {
                tabular::to_text(&table, k.config.business.language, "RUB", &k.config.calendar());
            }
            serde_json::to_string(&report).unwrap();
        }
    }
    let pf = k.plan_fact(AS_OF, Metric::Revenue);
    let month = pf.periods.last().unwrap();
    let anna_row = month.rows.iter().find(|r| r.manager_id == Some(anna)).unwrap();
    assert_eq!(anna_row.fact, i64::MAX, "two deals of i64::MAX - 1 saturate, never wrap");
    assert_eq!(anna_row.plan, Some(i64::MAX));
    assert!(month.total.plan.unwrap() > 0 && month.total.fact > 0, "{:?}", month.total);
    let Report::Receivables(r) = k.report(ReportId::Receivables, AS_OF) else {
        unreachable!()
    };
    assert_eq!(r.total_overdue, i64::MAX);
    let Report::Leaderboard(l) = k.report(ReportId::Leaderboard, AS_OF) else {
        unreachable!()
    };
    assert!(l.rows.iter().all(|r| r.revenue >= 0 && r.value >= 0), "{:?}", l.rows);
}

#[test]
fn a_margin_too_large_for_money_counts_as_missing() {
    let (k, _, bad) = extreme_kit();
    let deal = k.ws.deals.get(bad).unwrap();
    let (margin, estimated) = super::facts::deal_margin(deal, Some(MARGIN_FIELD), 30);
    assert!(estimated, "an unusable value is no value");
    assert_eq!(margin, Money::from_major(300), "the default 30 % of 1 000 ₽");
}

#[test]
fn every_question_answers() {
    let (k, _, _) = extreme_kit();
    let layer = Layer::build(&k.ws, &k.config);
    let calendar = k.config.calendar();
    let ctx = QueryCtx {
        ws: &k.ws,
        layer: &layer,
        config: &k.config,
        calendar: &calendar,
        as_of: at(AS_OF),
    };
    for measure in Measure::ALL {
        for by in [
            vec![Dimension::Manager],
            vec![Dimension::Company, Dimension::Time(query::span::SpanUnit::Week)],
        ] {
            let q = Query {
                measure,
                span: Span::parse("this_month", date("2026-11-20")).unwrap(),
                by,
                filters: vec![],
                compare: Some(query::span::Compare::Previous),
                limit: query::DEFAULT_LIMIT,
            };
            let a = query::answer(&ctx, &q);
            query::table::answer_table(&a, k.config.business.language);
            serde_json::to_string(&a).unwrap();
            if let Ok(p) = query::pareto::pareto(&ctx, &q, Dimension::Company, 80, 15) {
                serde_json::to_string(&p).unwrap();
            }
        }
    }
}
