//! Hand-built workspaces whose answers can be seen by eye.

use super::*;
use crate::model::{FieldDef, FieldType, FieldValue, Metric, ResponsibleChange};
use crate::reports::testkit::*;

fn ask(k: &Kit, as_of: &str, q: &Query) -> Answer {
    let layer = Layer::build(&k.ws, &k.config);
    let calendar = k.config.calendar();
    let ctx = QueryCtx {
        ws: &k.ws,
        layer: &layer,
        config: &k.config,
        calendar: &calendar,
        as_of: at(as_of),
    };
    answer(&ctx, q)
}

fn query(measure: Measure, span: &str, today: &str, by: Vec<Dimension>) -> Query {
    Query {
        measure,
        span: Span::parse(span, date(today)).unwrap(),
        by,
        filters: vec![],
        compare: None,
        limit: DEFAULT_LIMIT,
    }
}

fn lose(k: &mut Kit, id: Id, when: &str) {
    let mut d = k.deal_mut(id);
    d.history.push(crate::model::StageMove {
        at: at(when),
        pipeline_id: d.pipeline_id,
        stage_id: crate::model::AMOCRM_LOST_STATUS,
        author_id: d.responsible_id,
    });
    d.stage_id = crate::model::AMOCRM_LOST_STATUS;
    d.closed_at = Some(at(when));
    k.ws.deals.upsert(d);
}

fn int(v: Option<Value>) -> i64 {
    match v {
        Some(Value::Int(i)) => i,
        other => panic!("not an integer: {other:?}"),
    }
}

#[test]
fn revenue_by_manager_is_plan_facts_revenue() {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    let boris = k.manager("Борис");
    k.won_deal(anna, 100_000, "2026-10-20T10:00:00Z", "2026-11-03T10:00:00Z");
    k.won_deal(anna, 50_000, "2026-10-20T10:00:00Z", "2026-11-10T10:00:00Z");
    k.won_deal(boris, 70_000, "2026-10-20T10:00:00Z", "2026-11-12T10:00:00Z");
    // October's win and a win after the as-of instant are not November-to-date.
    k.won_deal(boris, 9_000, "2026-10-01T10:00:00Z", "2026-10-31T10:00:00Z");
    k.won_deal(boris, 1_000_000, "2026-10-01T10:00:00Z", "2026-11-27T10:00:00Z");
    let a = ask(
        &k,
        "2026-11-26T12:00:00Z",
        &query(Measure::Revenue, "this_month", "2026-11-26", vec![Dimension::Manager]),
    );
    let by: Vec<(Key, i64)> = a.rows.iter().map(|r| (r.keys[0].clone(), int(r.value))).collect();
    assert_eq!(by, vec![(Key::Id(anna), 15_000_000), (Key::Id(boris), 7_000_000)]);
    assert_eq!(int(a.total.value), 22_000_000);
    assert_eq!(a.rows[0].labels, vec!["Анна".to_string()]);
    // The same number plan/fact shows: one definition of revenue.
    let pf = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
    assert_eq!(pf.periods[2].total.fact, int(a.total.value));
    assert_eq!(a.period_label, "ноябрь 2026");
}

#[test]
fn win_rate_average_check_and_cycle() {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    let boris = k.manager("Борис");
    // Anna: 3 won (cycles of 10, 20 and 40 days), 1 lost. Boris: 1 lost.
    k.won_deal(anna, 100_000, "2026-10-30T10:00:00Z", "2026-11-09T10:00:00Z");
    k.won_deal(anna, 200_000, "2026-10-21T10:00:00Z", "2026-11-10T10:00:00Z");
    k.won_deal(anna, 300_000, "2026-10-06T10:00:00Z", "2026-11-15T10:00:00Z");
    let lost = k.open_deal(anna, 5_000, "2026-10-01T10:00:00Z");
    lose(&mut k, lost, "2026-11-05T10:00:00Z");
    let lost_b = k.open_deal(boris, 5_000, "2026-10-01T10:00:00Z");
    lose(&mut k, lost_b, "2026-11-06T10:00:00Z");
    let at_ = "2026-11-26T12:00:00Z";
    let rate = ask(
        &k,
        at_,
        &query(Measure::WinRate, "this_month", "2026-11-26", vec![Dimension::Manager]),
    );
    let by: Vec<(Key, Option<Value>)> = rate.rows.iter().map(|r| (r.keys[0].clone(), r.value)).collect();
    assert_eq!(
        by,
        vec![(Key::Id(anna), Some(Value::Dec(75.0))), (Key::Id(boris), Some(Value::Dec(0.0)))]
    );
    assert_eq!(rate.total.value, Some(Value::Dec(60.0)));
    let check = ask(&k, at_, &query(Measure::AverageCheck, "this_month", "2026-11-26", vec![]));
    assert_eq!(int(check.total.value), 20_000_000);
    let median = ask(&k, at_, &query(Measure::CycleMedian, "this_month", "2026-11-26", vec![]));
    assert_eq!(median.total.value, Some(Value::Dec(20.0)));
    let mean = ask(&k, at_, &query(Measure::CycleMean, "this_month", "2026-11-26", vec![]));
    assert_eq!(mean.total.value, Some(Value::Dec(23.3)));
    assert_eq!(
        int(ask(&k, at_, &query(Measure::LostDeals, "this_month", "2026-11-26", vec![]))
            .total
            .value),
        2
    );
    // An empty period divides by nothing: no rate, no check, no cycle; counts are 0.
    let empty = ask(&k, at_, &query(Measure::WinRate, "2026-01", "2026-11-26", vec![Dimension::Manager]));
    assert!(empty.rows.is_empty());
    assert_eq!(empty.total.value, None);
    assert_eq!(
        ask(&k, at_, &query(Measure::CycleMedian, "2026-01", "2026-11-26", vec![]))
            .total
            .value,
        None
    );
    assert_eq!(
        int(ask(&k, at_, &query(Measure::WonDeals, "2026-01", "2026-11-26", vec![])).total.value),
        0
    );
}

#[test]
fn a_reopened_deal_counts_only_for_an_as_of_while_it_was_won() {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    let d = k.won_deal(anna, 100_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
    k.reopen(d, "2026-11-12T10:00:00Z");
    let q = query(Measure::Revenue, "2026-11", "2026-11-26", vec![]);
    assert_eq!(int(ask(&k, "2026-11-11T12:00:00Z", &q).total.value), 10_000_000);
    assert_eq!(int(ask(&k, "2026-11-26T12:00:00Z", &q).total.value), 0);
}

#[test]
fn year_end_in_the_business_zone_and_time_buckets() {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    // 31 December 23:30 in Moscow is 20:30 UTC: December, 2026.
    k.won_deal(anna, 1_000, "2026-12-01T10:00:00Z", "2026-12-31T20:30:00Z");
    // 1 January 00:30 in Moscow is still 31 December in UTC: January, 2027.
    k.won_deal(anna, 2_000, "2026-12-01T10:00:00Z", "2026-12-31T21:30:00Z");
    let q = query(
        Measure::Revenue,
        "2026-12-01..2027-01-31",
        "2027-02-01",
        vec![Dimension::Time(SpanUnit::Month)],
    );
    let a = ask(&k, "2027-02-01T12:00:00Z", &q);
    let by: Vec<(String, i64)> = a.rows.iter().map(|r| (r.labels[0].clone(), int(r.value))).collect();
    assert_eq!(by, vec![("декабрь 2026".into(), 100_000), ("январь 2027".into(), 200_000)]);
    let year = ask(&k, "2027-02-01T12:00:00Z", &query(Measure::Revenue, "2026", "2027-02-01", vec![]));
    assert_eq!(int(year.total.value), 100_000);
    // A series over two months is drawn by week, every week present, empty ones at zero.
    assert_eq!(a.series_unit, SpanUnit::Week);
    assert_eq!(
        a.series.iter().filter_map(|p| p.value).map(|v| v.as_f64() as i64).sum::<i64>(),
        300_000
    );
    assert_eq!(a.series.first().unwrap().label, "неделя 30.11–06.12");
}

#[test]
fn filters_comparison_and_the_records_behind_a_figure() {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    let boris = k.manager("Борис");
    let oct = k.won_deal(anna, 40_000, "2026-10-01T10:00:00Z", "2026-10-15T10:00:00Z");
    let hot = k.open_deal(anna, 100_000, "2026-11-01T10:00:00Z");
    k.move_to_hot_pipeline(hot, "2026-11-03T10:00:00Z");
    k.win(hot, "2026-11-05T10:00:00Z");
    let cold = k.won_deal(anna, 30_000, "2026-11-01T10:00:00Z", "2026-11-06T10:00:00Z");
    k.won_deal(boris, 500_000, "2026-11-01T10:00:00Z", "2026-11-07T10:00:00Z");
    let mut q = query(Measure::Revenue, "this_month", "2026-11-26", vec![Dimension::Pipeline]);
    q.filters = vec![Filter {
        dim: Dimension::Manager,
        keys: vec![Key::Id(anna)],
    }];
    q.compare = Some(Compare::Previous);
    let a = ask(&k, "2026-11-26T12:00:00Z", &q);
    assert_eq!(int(a.total.value), 13_000_000);
    assert_eq!(int(a.total.compare_value), 4_000_000, "October, Anna's");
    assert_eq!(a.total.change, Some(Value::Int(9_000_000)));
    assert_eq!(a.total.change_percent, Some(225.0));
    assert_eq!(a.compare_label.as_deref(), Some("октябрь 2026"));
    let hot_row = a.rows.iter().find(|r| r.keys[0] == Key::Id(HOT)).unwrap();
    assert_eq!(
        (int(hot_row.value), hot_row.record_ids.clone()),
        (10_000_000, vec![Record::Deal(hot)])
    );
    let cold_row = a.rows.iter().find(|r| r.keys[0] == Key::Id(COLD)).unwrap();
    assert_eq!(cold_row.record_ids, vec![Record::Deal(cold)]);
    assert_eq!(
        int(cold_row.compare_value),
        4_000_000,
        "Anna's October deal was won in the cold pipeline"
    );
    let _ = oct;
}

#[test]
fn a_field_with_ten_thousand_values_is_cut_to_the_top_with_others() {
    let mut k = Kit::new();
    k.ws.field_defs.upsert(FieldDef {
        id: 700,
        entity: crate::model::EntityKind::Deal,
        name: "Артикул".into(),
        code: None,
        field_type: FieldType::Text,
        options: vec![],
    });
    let anna = k.manager("Анна");
    for i in 0..10_000i64 {
        let id = k.won_deal(anna, 1_000 + i, "2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z");
        let mut d = k.deal_mut(id);
        d.fields.push((700, FieldValue::Text(format!("SKU-{i:05}"))));
        k.ws.deals.upsert(d);
    }
    let mut q = query(Measure::Revenue, "this_month", "2026-11-26", vec![]);
    q.by = vec![Dimension::parse("field:Артикул", &k.ws, &k.config).unwrap()];
    q.limit = 10;
    let a = ask(&k, "2026-11-26T12:00:00Z", &q);
    assert_eq!(a.rows.len(), 10);
    assert_eq!(a.rows[0].labels, vec!["SKU-09999".to_string()]);
    let others = a.others.as_ref().expect("the rest summed");
    assert_eq!(others.records, 9_990);
    let shown: i64 = a.rows.iter().map(|r| int(r.value)).sum();
    assert_eq!(shown + int(others.value), int(a.total.value));
    assert_eq!(a.by_titles, vec!["Артикул".to_string()]);
}

#[test]
fn unknown_names_say_what_is_valid() {
    let k = Kit::new();
    let err = Dimension::parse("colour", &k.ws, &k.config).unwrap_err().to_string();
    assert!(err.contains("manager") && err.contains("field:"), "{err}");
    assert!(Measure::parse("profit").is_none());
    assert!(Measure::names().contains("win_rate"));
    let err = Dimension::Manager
        .parse_value("Никто", &k.ws, date("2026-11-26"))
        .unwrap_err()
        .message(crate::i18n::Language::Ru);
    assert!(err.contains("Никто"), "{err}");
}

#[test]
fn reassigned_wins_stay_with_who_won_and_tags_count_under_each() {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    let boris = k.manager("Борис");
    let d = k.won_deal(anna, 100_000, "2026-11-01T10:00:00Z", "2026-11-05T10:00:00Z");
    let mut deal = k.deal_mut(d);
    deal.responsible_id = Some(boris);
    deal.responsible_changes.push(ResponsibleChange {
        at: at("2026-11-20T10:00:00Z"),
        from: Some(anna),
        to: Some(boris),
    });
    deal.tags = vec!["опт".into(), "VIP".into()];
    k.ws.deals.upsert(deal);
    let a = ask(
        &k,
        "2026-11-26T12:00:00Z",
        &query(Measure::WonDeals, "this_month", "2026-11-26", vec![Dimension::Manager]),
    );
    assert_eq!(a.rows.iter().map(|r| r.keys[0].clone()).collect::<Vec<_>>(), vec![Key::Id(anna)]);
    let tags = ask(
        &k,
        "2026-11-26T12:00:00Z",
        &query(Measure::WonDeals, "this_month", "2026-11-26", vec![Dimension::Tag]),
    );
    assert_eq!(tags.rows.len(), 2, "one row under each tag");
    assert_eq!(int(tags.total.value), 1, "counted once in the total");
}

#[test]
fn a_filter_on_months_counts_their_days_in_the_business_zone() {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    // 1 December 00:30 in Moscow is still 30 November in UTC: December's.
    k.won_deal(anna, 1_000, "2026-10-01T10:00:00Z", "2026-11-30T21:30:00Z");
    // 30 November 23:30 in Moscow: November's.
    k.won_deal(anna, 2_000, "2026-10-01T10:00:00Z", "2026-11-30T20:30:00Z");
    k.won_deal(anna, 4_000, "2026-09-01T10:00:00Z", "2026-10-31T20:59:59Z");
    k.won_deal(anna, 8_000, "2026-09-01T10:00:00Z", "2026-09-15T10:00:00Z");
    let month = |m: &str| Key::Day(Span::parse(m, date("2026-12-20")).unwrap().start);
    let mut q = query(Measure::Revenue, "this_year", "2026-12-20", vec![Dimension::Manager]);
    q.compare = Some(Compare::YearAgo);
    let mut sums = Vec::new();
    for keys in [
        vec![month("2026-11")],
        vec![month("2026-12")],
        vec![month("2026-09"), month("2026-11")],
        vec![Key::None],
        vec![],
    ] {
        q.filters = vec![Filter {
            dim: Dimension::Time(SpanUnit::Month),
            keys,
        }];
        let a = ask(&k, "2026-12-20T12:00:00Z", &q);
        assert_eq!(int(a.total.compare_value), 0, "a year earlier has no such month");
        sums.push(int(a.total.value));
    }
    assert_eq!(sums, vec![200_000, 100_000, 1_000_000, 0, 0]);
    // October's last second in Moscow, and no series point outside the filtered months.
    q.filters = vec![Filter {
        dim: Dimension::Time(SpanUnit::Month),
        keys: vec![month("2026-10")],
    }];
    let a = ask(&k, "2026-12-20T12:00:00Z", &q);
    assert_eq!(int(a.total.value), 400_000);
    assert_eq!(
        a.series.iter().filter_map(|p| p.value).map(|v| v.as_f64() as i64).sum::<i64>(),
        400_000
    );
}

#[test]
fn figures_are_the_answer_without_its_records() {
    let mut k = Kit::new();
    let anna = k.manager("Анна");
    let boris = k.manager("Борис");
    k.won_deal(anna, 1_000, "2026-10-01T10:00:00Z", "2026-11-03T10:00:00Z");
    k.won_deal(boris, 2_000, "2026-10-01T10:00:00Z", "2026-11-04T10:00:00Z");
    k.won_deal(boris, 3_000, "2026-09-01T10:00:00Z", "2026-10-04T10:00:00Z");
    let mut q = query(
        Measure::Revenue,
        "this_month",
        "2026-11-26",
        vec![Dimension::Manager, Dimension::Time(SpanUnit::Week)],
    );
    q.compare = Some(Compare::Previous);
    let layer = Layer::build(&k.ws, &k.config);
    let calendar = k.config.calendar();
    let ctx = QueryCtx {
        ws: &k.ws,
        layer: &layer,
        config: &k.config,
        calendar: &calendar,
        as_of: at("2026-11-26T12:00:00Z"),
    };
    let (full, figures) = (answer(&ctx, &q), figures(&ctx, &q));
    assert_eq!(serde_json::to_value(&full).unwrap(), serde_json::to_value(&figures).unwrap());
    assert_eq!(full.total.record_ids.len(), 2);
    assert_eq!(figures.total.records, 2);
    assert!(figures.total.record_ids.is_empty() && figures.rows.iter().all(|r| r.record_ids.is_empty()));
}

/// A screen's answers in one pass equal each chart's answer asked alone, on
/// random workspaces shaped like real accounts (tags added, so a row counts
/// under several values): every slicing, measure, filter and comparison.
#[test]
fn one_pass_screen_equals_each_answer_asked_alone() {
    use crate::reports::live_equals_scan::{Rng, workspace};
    let json = |a: &Answer| serde_json::to_value(a).unwrap();
    let (mut asked, mut nonempty) = (0, 0);
    for seed in 0..16u64 {
        let (mut k, end) = workspace(seed);
        let mut r = Rng(seed ^ 0xface);
        let tags = ["опт", "розница", "vip"];
        let ids: Vec<Id> = k.ws.deals.iter().map(|d| d.id).collect();
        for id in ids {
            let mut d = k.deal_mut(id);
            d.tags = tags.iter().filter(|_| r.chance(40)).map(|t| t.to_string()).collect();
            k.ws.deals.upsert(d);
        }
        let layer = Layer::build(&k.ws, &k.config);
        let calendar = k.config.calendar();
        let ctx = QueryCtx {
            ws: &k.ws,
            layer: &layer,
            config: &k.config,
            calendar: &calendar,
            as_of: end,
        };
        let today = calendar.local_date(end);
        let managers: Vec<Id> = k.ws.users.iter().map(|u| u.id).collect();
        let measures = [
            Measure::Revenue,
            Measure::WinRate,
            Measure::CycleMedian,
            Measure::NewDeals,
            Measure::Calls,
            Measure::TasksDone,
        ];
        let slicings: [&[Dimension]; 4] = [
            &[Dimension::Manager, Dimension::Time(SpanUnit::Month)],
            &[Dimension::Manager],
            &[Dimension::Time(SpanUnit::Month)],
            &[Dimension::Tag, Dimension::Stage],
        ];
        for round in 0..6 {
            let mut filters = Vec::new();
            if r.chance(50) {
                filters.push(Filter {
                    dim: Dimension::Manager,
                    keys: vec![Key::Id(r.pick(&managers)), Key::Id(r.pick(&managers))],
                });
            }
            if r.chance(30) {
                filters.push(Filter {
                    dim: Dimension::Tag,
                    keys: vec![Key::Text(r.pick(&tags).to_string())],
                });
            }
            let q = Query {
                measure: r.pick(&measures),
                span: Span::parse(r.pick(&["last_365_days", "this_month", "last_90_days", "this_quarter"]), today).unwrap(),
                by: vec![],
                filters,
                compare: r.pick(&[None, Some(Compare::Previous), Some(Compare::YearAgo)]),
                limit: r.pick(&[2, DEFAULT_LIMIT]),
            };
            let what = format!("seed {seed}, round {round}: {q:?}");
            let screen = screen_figures(&ctx, &q, &slicings);
            assert_eq!(screen.answers.len(), slicings.len());
            for (by, one_pass) in slicings.iter().zip(&screen.answers) {
                let alone = figures(
                    &ctx,
                    &Query {
                        by: by.to_vec(),
                        ..q.clone()
                    },
                );
                assert_eq!(json(one_pass), json(&alone), "{what}: by {by:?}");
                nonempty += (alone.total.records > 0) as usize;
                asked += 1;
            }
            let compared = q.compare.map(|c| {
                let span = q.span.compared(c);
                figures(
                    &ctx,
                    &Query {
                        span,
                        by: vec![],
                        compare: None,
                        ..q.clone()
                    },
                )
                .series
            });
            assert_eq!(
                screen.compared_series.as_ref().map(|s| serde_json::to_value(s).unwrap()),
                compared.as_ref().map(|s| serde_json::to_value(s).unwrap()),
                "{what}: the compared series"
            );
        }
    }
    // The questions had facts to count, most of them.
    assert!(nonempty * 2 > asked, "{nonempty} of {asked} answers had records");
}
