//! `tsifra bench`: the speed figures the issues name, measured on a generated
//! workspace of `--deals` deals: generate + store, load (in a fresh process, so
//! its peak memory is loading's alone), and each report's time on one core.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tsifra_core::reports::{self, Ctx, Facts, ReportId, ReportParams};
use tsifra_demo::DemoOptions;
use tsifra_store::Store;

use crate::cli::BenchArgs;
use crate::setup::{self, usage};

pub async fn run(args: BenchArgs, config: Option<&Path>) -> Result<()> {
    let deals = usize::try_from(args.deals)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| usage(format!("--deals: expected a positive number, got {}", args.deals)))?;
    let temp;
    let dir: PathBuf = match &args.keep_in {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let ids = args
        .reports
        .iter()
        .map(|r| ReportId::parse(r).ok_or_else(|| usage(format!("--report: no report {r:?}; expected one of {}", report_ids()))))
        .collect::<Result<Vec<_>, _>>()?;
    setup::ensure_data_dir(&dir)?;
    let loaded = setup::load_config(config, &dir)?;
    if args.load_only {
        if args.cross_filter {
            let think = Duration::from_millis(args.think_ms);
            return cross_filter(&loaded.config, &dir, args.clients.max(1), args.clicks.max(1), think).await;
        }
        return load_and_report(&loaded.config, &dir, &ids).await;
    }
    if args.one_deal_change {
        return one_deal_change(&loaded.config, &dir).await;
    }
    if let Some(mode) = &args.store_watch {
        let full = match mode.as_str() {
            "changes" => false,
            "reload" => true,
            other => return Err(usage(format!("--store-watch: expected changes or reload, got {other:?}"))),
        };
        return store_watch(loaded.config, &dir, full).await;
    }
    let calendar = loaded.config.calendar();
    let as_of = chrono::Utc::now();
    let url = Store::sqlite_url_for(&dir);
    let store = Store::open(&url).await?;
    if store.counts().await?.iter().any(|(_, n)| *n > 0) {
        bail!("{} already holds a workspace; bench needs an empty dir", dir.display());
    }
    println!(
        "bench: {deals} deals, seed {}, in {} ({} cores)",
        args.seed,
        dir.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let started = Instant::now();
    let ws = tsifra_demo::generate(
        &DemoOptions {
            seed: args.seed,
            deals,
            as_of,
        },
        &calendar,
    );
    let generated = started.elapsed();
    let counts: Vec<String> = ws
        .counts()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{} {}", n, k.as_str()))
        .collect();
    let batch = tsifra_core::model::Batch::from_workspace(&ws);
    drop(ws);
    let write_started = Instant::now();
    store.write_batch(&batch).await?;
    let written = write_started.elapsed();
    drop(batch);
    store.close().await;
    println!("  rows          {}", counts.join(", "));
    println!("  generate      {}", secs(generated));
    println!("  store (write) {}", secs(written));
    println!("  generate+store {}  (target: under 120 s)", secs(started.elapsed()));

    // Loading is measured in a child process so that its peak memory is its own.
    let exe = std::env::current_exe()?;
    let status = std::process::Command::new(exe)
        .args(["bench", "--load-only", "--keep-in"])
        .arg(&dir)
        .args(args.reports.iter().flat_map(|r| ["--report", r.as_str()]))
        .args(
            args.cross_filter
                .then(|| {
                    [
                        "--cross-filter".to_string(),
                        "--clients".into(),
                        args.clients.to_string(),
                        "--clicks".into(),
                        args.clicks.to_string(),
                        "--think-ms".into(),
                        args.think_ms.to_string(),
                    ]
                })
                .into_iter()
                .flatten(),
        )
        .status()
        .context("cannot start the load phase")?;
    if !status.success() {
        bail!("the load phase failed");
    }
    Ok(())
}

fn report_ids() -> String {
    ReportId::ALL.map(ReportId::as_str).join(", ")
}

async fn load_and_report(config: &tsifra_core::Config, dir: &Path, ids: &[ReportId]) -> Result<()> {
    let store = setup::open_store(config, dir).await?;
    let started = Instant::now();
    let mut ws = store.load().await?;
    let loaded = started.elapsed();
    println!(
        "  load          {}  peak RSS {} MiB, resident after {} MiB  (target: under 10 s and 2048 MiB)",
        secs(loaded),
        proc_status_mib("VmHWM:"),
        proc_status_mib("VmRSS:")
    );
    let started = Instant::now();
    let facts = Facts::build(&ws, config);
    println!("  index (Facts) {}", secs(started.elapsed()));
    // The past-as-of part is made on the first report for an earlier moment after a change.
    let started = Instant::now();
    std::hint::black_box(facts.past(&ws));
    println!(
        "  past-as-of index (the first past as-of after a change) {}",
        secs(started.elapsed())
    );
    let calendar = config.calendar();
    let as_of = chrono::Utc::now();
    let ctx = Ctx {
        ws: &ws,
        facts: &facts,
        config,
        calendar: &calendar,
        as_of,
    };
    // Each report live (the index's short lists) and as of a month ago (a past as-of).
    let month_ago = Ctx {
        as_of: as_of - chrono::Duration::days(30),
        ..ctx
    };
    for (when, ctx) in [("", &ctx), ("month ago", &month_ago)] {
        for id in if ids.is_empty() { &ReportId::ALL[..] } else { ids } {
            let id = *id;
            let target = if matches!(id, ReportId::PlanFact | ReportId::Leaderboard) {
                10
            } else {
                50
            };
            let mut times = Vec::new();
            let until = Instant::now() + Duration::from_secs(3);
            while times.len() < 5 || (Instant::now() < until && times.len() < 200) {
                let t = Instant::now();
                std::hint::black_box(reports::run(id, ctx, &ReportParams::default()));
                times.push(t.elapsed());
            }
            times.sort();
            println!(
                "  report {:<14} {when:<9} median {:>8.2} ms  p95 {:>8.2} ms  ({} runs, one core; target under {target} ms)",
                id.as_str(),
                ms(times[times.len() / 2]),
                ms(times[times.len() * 95 / 100]),
                times.len()
            );
        }
    }
    bench_queries(&ws, config, &calendar, as_of);
    // A webhook's worth of change: one deal re-read, the index updated from the change set.
    if let Some(deal) = ws.deals.iter().next().cloned() {
        let mut deal = deal;
        deal.name.push('.');
        let changes = ws.apply(&tsifra_core::model::Batch {
            deals: vec![deal],
            ..Default::default()
        });
        let started = Instant::now();
        let updated = facts.update(&ws, config, &changes);
        println!("  index after a one-deal change (a webhook) {}", secs(started.elapsed()));
        drop(updated);
    }
    Ok(())
}

/// `--one-deal-change`: what a webhook costs the boards on the store in `dir`:
/// an open deal won, a new deal, an open task done, a deal and a task deleted
/// (25 of each, spread over the tables; deletions from the first rows and the
/// middle, so the table's last row moves into the gap). Each change lands on the loaded workspace (`apply`, which says what
/// changed) and the floor index and query layer are updated from that change
/// set; the figure is the three together, from the batch to both indexes ready.
async fn one_deal_change(config: &tsifra_core::Config, dir: &Path) -> Result<()> {
    use tsifra_core::model::{Batch, StageMove};
    use tsifra_core::query::Layer;
    use tsifra_core::{AMOCRM_WON_STATUS, StageKind};
    let store = setup::open_store(config, dir).await?;
    let mut ws = store.load().await?;
    drop(store);
    println!(
        "one-deal change: {} deals, {} tasks, {} communications ({} cores)",
        ws.deals.len(),
        ws.tasks.len(),
        ws.activities.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let started = Instant::now();
    let mut facts = Facts::build(&ws, config);
    let built_facts = started.elapsed();
    let started = Instant::now();
    let mut layer = Layer::build(&ws, config);
    println!(
        "  from scratch (what every batch cost before): index {}, query layer {}",
        secs(built_facts),
        secs(started.elapsed())
    );
    // The past-as-of part made (as after a report for an earlier moment), so each change updates it too.
    let started = Instant::now();
    std::hint::black_box(facts.past(&ws));
    println!("  past-as-of index made {}", secs(started.elapsed()));
    let deals = ws.deals.len().max(1);
    println!(
        "  lists by deal kept for changes: query layer {:.1} B/deal, index calls {:.1} B/deal, past-as-of ids by row {:.1} B/deal",
        layer.record_lists_bytes() as f64 / deals as f64,
        tsifra_core::query::facts::map_of_lists_bytes(&facts.calls_by_deal) as f64 / deals as f64,
        (8 * (ws.deals.len() + ws.tasks.len())) as f64 / deals as f64
    );
    let now = chrono::Utc::now();
    let open: Vec<tsifra_core::Id> = ws
        .deals
        .iter()
        .filter(|d| ws.stage_kind(d.pipeline_id, d.stage_id) == StageKind::Open)
        .map(|d| d.id)
        .collect();
    let step = (open.len() / 25).max(1);
    let open_tasks: Vec<tsifra_core::Id> = ws.tasks.iter().filter(|t| t.completed_at.is_none()).map(|t| t.id).collect();
    let mut next_id = ws.deals.iter().map(|d| d.id).max().unwrap_or(0);
    let mut cases: Vec<(&str, Batch)> = Vec::new();
    for (i, &id) in open.iter().step_by(step).take(25).enumerate() {
        let mut deal = ws.deals.get(id).expect("listed").clone();
        let at = now + chrono::Duration::seconds(i as i64);
        deal.history.push(StageMove {
            at,
            pipeline_id: deal.pipeline_id,
            stage_id: AMOCRM_WON_STATUS,
            author_id: deal.responsible_id,
        });
        deal.stage_id = AMOCRM_WON_STATUS;
        deal.closed_at = Some(at);
        deal.updated_at = at;
        cases.push((
            "a deal won",
            Batch {
                deals: vec![deal.clone()],
                ..Batch::default()
            },
        ));
        next_id += 1;
        let mut fresh = deal;
        fresh.id = next_id;
        fresh.stage_id = ws.deals.get(id).expect("listed").stage_id;
        fresh.history = vec![StageMove {
            at,
            pipeline_id: fresh.pipeline_id,
            stage_id: fresh.stage_id,
            author_id: fresh.responsible_id,
        }];
        fresh.created_at = at;
        fresh.closed_at = None;
        cases.push((
            "a new deal",
            Batch {
                deals: vec![fresh],
                ..Batch::default()
            },
        ));
        // A deal and a task deleted in the CRM from the first rows and the middle (not the last:
        // the table's last row moves into the gap).
        let deleted = |rows: usize| if i % 2 == 0 { i } else { rows / 2 + i };
        if let Some(gone) = ws.deals.as_slice().get(deleted(ws.deals.len())) {
            cases.push((
                "a deal deleted",
                Batch {
                    deletions: vec![(tsifra_core::model::EntityKind::Deal, gone.id)],
                    ..Batch::default()
                },
            ));
        }
        if let Some(gone) = ws.tasks.as_slice().get(deleted(ws.tasks.len())) {
            cases.push((
                "a task deleted",
                Batch {
                    deletions: vec![(tsifra_core::model::EntityKind::Task, gone.id)],
                    ..Batch::default()
                },
            ));
        }
        if let Some(mut task) = open_tasks.get(i * open_tasks.len() / 25).and_then(|id| ws.tasks.get(*id)).cloned() {
            task.completed_at = Some(at);
            cases.push((
                "a task done",
                Batch {
                    tasks: vec![task],
                    ..Batch::default()
                },
            ));
        }
    }
    let mut times: std::collections::BTreeMap<&str, Vec<(Duration, Duration, Duration)>> = Default::default();
    for (what, batch) in cases {
        let t = Instant::now();
        let changes = ws.apply(&batch);
        let applied = t.elapsed();
        let t = Instant::now();
        facts = facts.update(&ws, config, &changes);
        let index = t.elapsed();
        let t = Instant::now();
        layer = layer.update(&ws, config, &changes);
        times.entry(what).or_default().push((applied, index, t.elapsed()));
    }
    for (what, mut runs) in times {
        runs.sort_by_key(|(a, i, l)| *a + *i + *l);
        let median = runs[runs.len() / 2];
        let worst = runs[runs.len() - 1];
        println!(
            "  {what:<12} apply + index + query layer: median {:>7.2} ms (apply {:.2}, index {:.2}, layer {:.2}), worst {:>7.2} ms (apply {:.2}, index {:.2}, layer {:.2})  ({} runs, target under 50 ms)",
            ms(median.0 + median.1 + median.2),
            ms(median.0),
            ms(median.1),
            ms(median.2),
            ms(worst.0 + worst.1 + worst.2),
            ms(worst.0),
            ms(worst.1),
            ms(worst.2),
            runs.len()
        );
    }
    drop((facts, layer));
    Ok(())
}

/// A serving process (the store loaded, the plan-fact board computed once) and
/// another handle on the store that wins one open deal, as a `tsifra sync` in
/// another shell would: the time from that write's commit until the board,
/// computed again, shows it, and the peak memory above the served workspace
/// meanwhile. `full`: by loading the store whole and swapping it in (the
/// watch before the change log); else by the watch's own catch-up. Both leave
/// out the watch's tick (every 2 s, so 1 s on average before it looks).
async fn store_watch(config: tsifra_core::Config, dir: &Path, full: bool) -> Result<()> {
    use tsifra_core::model::{Batch, StageMove};
    use tsifra_core::{AMOCRM_WON_STATUS, StageKind};
    use tsifra_web::reports::{ReportQuery, compute};
    let store = setup::open_store(&config, dir).await?;
    let other = setup::open_store(&config, dir).await?;
    let ws = store.load().await?;
    let deals = ws.deals.len();
    let now = chrono::Utc::now();
    // Open deals spread over the table, one won per run.
    let open: Vec<tsifra_core::model::Deal> = {
        let open: Vec<_> = ws
            .deals
            .iter()
            .filter(|d| ws.stage_kind(d.pipeline_id, d.stage_id) == StageKind::Open)
            // Revenue on the board: the main pipeline's deals with an amount.
            .filter(|d| d.amount.minor() > 0 && ws.pipelines.get(d.pipeline_id).is_some_and(|p| p.is_main))
            .collect();
        let step = (open.len() / 5).max(1);
        open.into_iter().step_by(step).take(5).cloned().collect()
    };
    let state = tsifra_web::AppState::new(config, ws, dir);
    let board = |state: tsifra_web::AppState| async move {
        let report = compute(&state, ReportId::PlanFact, &ReportQuery::default(), now)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        anyhow::Ok(serde_json::to_string(&*report)?)
    };
    let mut shown = board(state.clone()).await?;
    println!(
        "store watch ({}): {deals} deals; served workspace and board {} MiB ({} cores)",
        if full { "full reload" } else { "change log" },
        proc_status_mib("VmRSS:"),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let runs = if full { 2 } else { 5 };
    for (i, mut deal) in open.into_iter().take(runs).enumerate() {
        let at = now - chrono::Duration::seconds(60 - i as i64);
        deal.history.push(StageMove {
            at,
            pipeline_id: deal.pipeline_id,
            stage_id: AMOCRM_WON_STATUS,
            author_id: deal.responsible_id,
        });
        deal.stage_id = AMOCRM_WON_STATUS;
        deal.closed_at = Some(at);
        deal.updated_at = at;
        let base = proc_status_mib("VmRSS:");
        // Peak memory from here on (Linux: 5 resets the high-water mark).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        other
            .write_batch(&Batch {
                deals: vec![deal],
                ..Batch::default()
            })
            .await?;
        let started = Instant::now();
        if full {
            let ws = store.load().await?;
            state.replace_workspace(ws).await;
        } else if !crate::jobs::reload_if_written_elsewhere(&state, &store).await? {
            bail!("the watch saw no change");
        }
        let caught_up = started.elapsed();
        let now_shown = board(state.clone()).await?;
        let total = started.elapsed();
        if now_shown == shown {
            bail!("the board does not show the won deal");
        }
        shown = now_shown;
        println!(
            "  run {}: board shows the won deal {:>8.1} ms after the write (store read + applied {:.1} ms, board {:.1} ms); peak memory {} MiB above the {} MiB served",
            i + 1,
            ms(total),
            ms(caught_up),
            ms(total - caught_up),
            proc_status_mib("VmHWM:").saturating_sub(base),
            base
        );
    }
    Ok(())
}

/// The analysis board's questions on the query layer: its fact tables' build,
/// an explore with two slices and three filters, and a Pareto of companies.
fn bench_queries(
    ws: &tsifra_core::Workspace,
    config: &tsifra_core::Config,
    calendar: &tsifra_core::BusinessCalendar,
    as_of: chrono::DateTime<chrono::Utc>,
) {
    use tsifra_core::query::{self, Dimension, Layer, QueryCtx, QueryText, pareto};
    let started = Instant::now();
    let layer = Layer::build(ws, config);
    println!("  query layer (fact tables) {}", secs(started.elapsed()));
    let ctx = QueryCtx {
        ws,
        layer: &layer,
        config,
        calendar,
        as_of,
    };
    let today = calendar.local_date(as_of);
    let mut managers: Vec<String> = ws.users.iter().map(|u| u.id.to_string()).collect();
    managers.truncate(managers.len().div_ceil(2).max(1));
    let pipeline = ws.pipelines.iter().next().map(|p| p.id.to_string()).unwrap_or_default();
    let explore = QueryText {
        measure: Some("revenue".into()),
        by: vec!["manager".into(), "month".into()],
        filters: vec![
            format!("pipeline={pipeline}"),
            format!("manager={}", managers.join("|")),
            "loss_reason=-".into(),
        ],
        period: Some("last_365_days".into()),
        compare: Some("year_ago".into()),
        limit: None,
    }
    .parse(ws, config, today);
    let pareto_q = QueryText {
        period: Some("last_365_days".into()),
        ..QueryText::default()
    }
    .parse(ws, config, today);
    let (Ok(explore), Ok(pareto_q)) = (explore, pareto_q) else {
        println!("  queries       skipped: the workspace has no pipelines or managers");
        return;
    };
    let time = |name: &str, f: &dyn Fn()| {
        let mut times = Vec::new();
        let until = Instant::now() + Duration::from_secs(3);
        while times.len() < 5 || (Instant::now() < until && times.len() < 200) {
            let t = Instant::now();
            f();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "  query {:<15} median {:>8.2} ms  p95 {:>8.2} ms  ({} runs, one core)",
            name,
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100]),
            times.len()
        );
    };
    time("explore", &|| {
        std::hint::black_box(query::answer(&ctx, &explore));
    });
    time("pareto", &|| {
        std::hint::black_box(pareto::pareto(&ctx, &pareto_q, Dimension::Company, 80, 15).ok());
    });
}

/// Cross-filtering as the explore board's users do it: the server on the
/// loaded workspace, `clients` users at once, each clicking `clicks` times; a
/// click adds a filter (a manager, a month, a pipeline) to a view of revenue by
/// manager and month with the year-ago comparison, and the redraw is the page
/// that answers it with all its charts. Every click asks as of its own second
/// (the same work), so no page cached by another click flatters the figure.
/// `think` is the mean pause between a user's clicks (0: back to back).
async fn cross_filter(config: &tsifra_core::Config, dir: &Path, clients: usize, clicks: usize, think: Duration) -> Result<()> {
    let store = setup::open_store(config, dir).await?;
    let ws = store.load().await?;
    store.close().await;
    let calendar = config.calendar();
    let today = calendar.local_date(chrono::Utc::now());
    let managers: Vec<String> = ws.users.iter().map(|u| u.id.to_string()).collect();
    let pipelines: Vec<String> = ws.pipelines.iter().map(|p| p.id.to_string()).collect();
    let months: Vec<String> = (0..12)
        .map(|back| {
            let d = chrono::Months::new(back);
            (today - d).format("%Y-%m").to_string()
        })
        .collect();
    if managers.is_empty() || pipelines.is_empty() {
        bail!("the workspace has no managers or pipelines to click on");
    }
    let state = tsifra_web::AppState::new(config.clone(), ws, dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // The server as `serve` runs it, with the configured limits.
    let limits = tsifra_web::Limits::from_config(config);
    let server = tokio::spawn(async move {
        tsifra_web::serve_router(listener, tsifra_web::app(state), &limits, async {
            let _ = stopped.await;
        })
        .await
    });
    let base = format!("http://{addr}/boards/explore?measure=revenue&by=manager&by=month&period=last_365_days&compare=year_ago");
    let now = chrono::Utc::now() - chrono::Duration::minutes(2);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let get = move |url: String| {
        let client = client.clone();
        async move {
            let reply = client.get(&url).send().await?;
            let status = reply.status();
            reply.bytes().await?;
            if !status.is_success() {
                bail!("{url}: {status}");
            }
            anyhow::Ok(())
        }
    };
    // The first view builds the query layer's fact tables: not a click.
    let started = Instant::now();
    get(base.clone()).await?;
    println!(
        "cross-filtering: first view (the layer's build) {}; {clients} users clicking {clicks} times each, {} ms apart on average",
        secs(started.elapsed()),
        think.as_millis()
    );
    let started = Instant::now();
    let mut users = Vec::new();
    for user in 0..clients {
        let (base, managers, pipelines, months, get) = (base.clone(), managers.clone(), pipelines.clone(), months.clone(), get.clone());
        users.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(clicks);
            for click in 0..clicks {
                // One user's clicks narrow the view, then start over: a manager, a month, a pipeline.
                let n = user * clicks + click;
                if !think.is_zero() {
                    // Pauses spread over 0..2 × think, the same for every run.
                    tokio::time::sleep(think * 2 * ((n * 7919) % 100) as u32 / 100).await;
                }
                let as_of = (now - chrono::Duration::seconds(n as i64)).format("%Y-%m-%dT%H:%M:%SZ");
                let mut url = format!("{base}&as_of={as_of}&where=manager%3D{}", managers[n % managers.len()]);
                if click % 3 >= 1 {
                    url.push_str(&format!("&where=month%3D{}", months[(n / managers.len()) % months.len()]));
                }
                if click % 3 == 2 {
                    url.push_str(&format!("&where=pipeline%3D{}", pipelines[n % pipelines.len()]));
                }
                let t = Instant::now();
                get(url).await?;
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::new();
    for user in users {
        times.extend(user.await??);
    }
    let wall = started.elapsed();
    let _ = stop.send(());
    let _ = server.await;
    times.sort();
    let at = |q: f64| ms(times[((times.len() - 1) as f64 * q).round() as usize]);
    println!(
        "  redraw after a click   p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  ({} redraws in {}, {} cores; target p99 under 100 ms)",
        at(0.5),
        at(0.99),
        at(1.0),
        times.len(),
        secs(wall),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    Ok(())
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A memory figure of this process from `/proc/self/status` (`VmHWM:` peak, `VmRSS:` now), in MiB; 0 where unknown.
fn proc_status_mib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
