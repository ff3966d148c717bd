//! Commands, their errors and exit codes, and that the CLI's numbers are the core's.

use std::path::Path;
use std::process::{Command, Output};

use tsifra_core::reports::{self, Ctx, Facts, ReportId, ReportParams};

use crate::support::{tsifra, tsifra_with};

const AS_OF: &str = "2026-11-20T15:00";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A small demo department in a temp dir, its clock at AS_OF.
fn demo(dir: &Path) {
    let out = tsifra(dir, &["demo", "--no-serve", "--deals", "400", "--seed", "7", "--as-of", AS_OF]);
    assert!(out.status.success(), "demo failed: {}", stderr(&out));
}

#[test]
fn help_names_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_tsifra")).arg("--help").output().unwrap();
    let text = stdout(&out);
    for cmd in ["demo", "serve", "report", "import", "config", "bench"] {
        assert!(text.contains(cmd), "--help lacks {cmd}");
    }
}

#[test]
fn demo_refuses_zero_or_negative_deals_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["0", "-5"] {
        let out = tsifra(dir.path(), &["demo", "--no-serve", "--deals", n]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("--deals: нужно положительное число сделок, а не"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!dir.path().join("tsifra.db").exists());
}

#[test]
fn demo_takes_a_floor_of_12_to_40_managers_and_refuses_others() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["11", "41", "-1"] {
        let out = tsifra(dir.path(), &["demo", "--no-serve", "--deals", "50", "--managers", n]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("--managers: нужно от 12 до 40 менеджеров, а не {n}")),
            "{}",
            stderr(&out)
        );
    }
    assert!(!dir.path().join("tsifra.db").exists());
    let out = tsifra(dir.path(), &["demo", "--no-serve", "--deals", "200", "--managers", "20"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("20 managers"), "{}", stderr(&out));
    let plans = std::fs::read_to_string(dir.path().join("plans.csv")).unwrap();
    assert!(plans.contains("Васильева Ирина Петровна"), "the ordinary managers have plans");
}

#[test]
fn broken_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tsifra.toml"), "[server]\nbind = \"127.0.0.1:8080\"\nbnid = 3\n").unwrap();
    let out = tsifra(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("tsifra.toml, строка 3, [server] bnid: неизвестный ключ «bnid»"),
        "{err}"
    );

    std::fs::write(dir.path().join("tsifra.toml"), "[business]\ntime_zone = \"Europe/Mosow\"\n").unwrap();
    let out = tsifra(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[business] time_zone"), "{}", stderr(&out));

    // An environment override is checked the same way.
    std::fs::remove_file(dir.path().join("tsifra.toml")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["config", "check"])
        .env("TSIFRA_SERVER__BIND", "nowhere")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[server] bind"), "{}", stderr(&out));
}

/// What `config check` passes, `serve` starts with: a schedule out of range and
/// an address with a space are refused there, and an override's error names
/// its variable rather than the file.
#[test]
fn config_check_refuses_what_serve_would() {
    let dir = tempfile::tempdir().unwrap();
    let amocrm = |extra: &str| format!("[amocrm]\nlong_lived_token = \"t\"\n{extra}\n");
    for (config, key) in [
        (
            amocrm("base_url = \"https://acme.amocrm.ru\"\nsync_every = \"99 99 99 99 99\""),
            "[amocrm] sync_every",
        ),
        (amocrm("base_url = \"https://my company.amocrm.ru\""), "[amocrm] base_url"),
    ] {
        std::fs::write(dir.path().join("tsifra.toml"), &config).unwrap();
        let out = tsifra(dir.path(), &["config", "check"]);
        assert_eq!(out.status.code(), Some(2), "{config}: {}", stdout(&out));
        assert!(stderr(&out).contains(key), "{}", stderr(&out));
    }
    std::fs::write(dir.path().join("tsifra.toml"), "[server]\nbind = \"127.0.0.1:8080\"\n").unwrap();
    let out = crate::support::tsifra_with(dir.path(), &["config", "check"], &[("TSIFRA_SERVER__BIND", "garbage")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("TSIFRA_SERVER__BIND, [server] bind"), "{err}");
    assert!(!err.contains("tsifra.toml"), "not the file's fault: {err}");
}

/// The config (which may hold the amoCRM token) and the database (the CRM's
/// clients and deals) are created readable by their owner only, like the token file.
#[cfg(unix)]
#[test]
fn the_config_and_the_database_are_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = tsifra(dir.path(), &["demo", "--no-serve", "--deals", "10"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for name in ["tsifra.toml", "tsifra.db", "tsifra.db-wal", "tsifra.db-shm"] {
        let path = dir.path().join(name);
        if (name.ends_with("-wal") || name.ends_with("-shm")) && !path.exists() {
            continue; // checkpointed and removed at close
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}: {mode:o}");
    }
}

/// A manager's and a company's names from the CRM carry terminal escape
/// sequences (clear the screen, retitle the window, ring the bell): no report
/// format lets them reach the terminal.
#[test]
fn names_from_the_crm_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    write_to_store(dir.path(), |ws| {
        let mut users: Vec<_> = ws.users.iter().cloned().collect();
        for u in &mut users {
            u.name = format!("\u{1b}[2J\u{1b}]0;pwned\u{7}{}\r", u.name);
        }
        let mut companies: Vec<_> = ws.companies.iter().cloned().collect();
        for c in &mut companies {
            c.name = format!("{}\u{1b}[31m\u{9b}1A", c.name);
        }
        tsifra_core::model::Batch {
            users,
            companies,
            ..Default::default()
        }
    });
    for (id, format) in [
        ("plan-fact", "table"),
        ("leaderboard", "csv"),
        ("call-priority", "table"),
        ("call-priority", "csv"),
        ("receivables", "json"),
    ] {
        let mut args = vec!["report", id, "--as-of", AS_OF, "--format", format];
        if format == "csv" {
            args.extend(["--table", id]); // the managers' table of several
        }
        let out = tsifra(dir.path(), &args);
        assert!(out.status.success(), "{id}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("pwned") || id == "receivables",
            "{id} {format}: the names are there: {text}"
        );
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{id} {format}: a control character reached the terminal"
        );
    }
    let out = tsifra(
        dir.path(),
        &["report", "explore", "--measure", "revenue", "--by", "company", "--as-of", AS_OF],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).chars().any(|c| c.is_control() && c != '\n'));
}

#[test]
fn config_sample_is_valid_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = tsifra(dir.path(), &["config", "sample"]);
    std::fs::write(dir.path().join("tsifra.toml"), &out.stdout).unwrap();
    let out = tsifra(dir.path(), &["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(": OK"));
}

#[test]
fn unwritable_data_dir_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = tsifra(&file.join("data"), &["demo", "--no-serve", "--deals", "10"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("не удалось создать папку данных"), "{}", stderr(&out));
}

#[test]
fn foreign_database_file_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tsifra.db");
    std::fs::write(&db, "this is not a database, it is someone's notes\n".repeat(200)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let out = tsifra(dir.path(), &["demo", "--no-serve", "--deals", "10"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("tsifra.db"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file must not be touched");
}

#[test]
fn an_error_line_is_headed_in_the_workspace_language() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let out = tsifra(dir.path(), &["report", "plan-fact", "--manager", "Никто Никтович"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).starts_with("ошибка: "), "{}", stderr(&out));
    let out = tsifra_with(
        dir.path(),
        &["report", "plan-fact", "--manager", "Nobody"],
        &[("TSIFRA_BUSINESS__LANGUAGE", "en")],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
}

#[test]
fn report_json_is_the_core_report() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let ws = rt.block_on(async {
        let store = tsifra_store::Store::open(&tsifra_store::Store::sqlite_url_for(dir.path()))
            .await
            .unwrap();
        store.load().await.unwrap()
    });
    let text = std::fs::read_to_string(dir.path().join("tsifra.toml")).unwrap();
    let config = tsifra_core::Config::parse("tsifra.toml", &text, Vec::new()).unwrap();
    let calendar = config.calendar();
    let as_of = tsifra_web::parse_as_of(AS_OF, &calendar).unwrap();
    let facts = Facts::build(&ws, &config);
    let ctx = Ctx {
        ws: &ws,
        facts: &facts,
        config: &config,
        calendar: &calendar,
        as_of,
    };
    for id in ReportId::ALL {
        let out = tsifra(dir.path(), &["report", id.as_str(), "--as-of", AS_OF, "--format", "json"]);
        assert!(out.status.success(), "{id:?}: {}", stderr(&out));
        let cli: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let core = serde_json::to_value(reports::run(id, &ctx, &ReportParams::default())).unwrap();
        assert_eq!(cli, core, "{id:?}");
    }
    // The demo has sales this month, so the comparison compared something.
    let out = tsifra(dir.path(), &["report", "plan-fact", "--as-of", AS_OF, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["periods"][2]["total"]["fact"].as_i64().unwrap() > 0);
}

#[test]
fn report_formats_and_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let out = tsifra(dir.path(), &["report", "plan-fact", "--as-of", AS_OF]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("Весь отдел") && text.contains("₽"), "{text}");
    let out = tsifra(
        dir.path(),
        &["report", "receivables", "--as-of", AS_OF, "--format", "csv", "--table", "debtors"],
    );
    assert!(stdout(&out).starts_with("\u{feff}Компания;Менеджер;Долг"), "{}", stdout(&out));

    let out = tsifra(dir.path(), &["report", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("нет отчёта «nope»; есть: ") && stderr(&out).contains("plan-fact"),
        "{}",
        stderr(&out)
    );
    let out = tsifra(dir.path(), &["report", "plan-fact", "--as-of", "20.11.2026"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--as-of"), "{}", stderr(&out));
    let out = tsifra(dir.path(), &["report", "plan-fact", "--manager", "Никто Никтович"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("известные менеджеры"), "{}", stderr(&out));
    let out = tsifra(&dir.path().join("missing"), &["report", "plan-fact"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("нет рабочего пространства"), "{}", stderr(&out));
    let out = tsifra_with(
        &dir.path().join("missing"),
        &["report", "plan-fact"],
        &[("TSIFRA_BUSINESS__LANGUAGE", "en")],
    );
    assert!(stderr(&out).starts_with("error: no workspace in "), "{}", stderr(&out));
}

#[test]
fn report_funnel_prints_per_pipeline_and_takes_a_period_and_a_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let out = tsifra(dir.path(), &["report", "funnel", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("Воронка продаж · 20.11.2026 15:00"), "{text}");
    for needle in [
        "Воронка по этапам · 23.08.2026–20.11.2026",
        "Холодные продажи",
        "Горячие продажи",
        "Причина отказа",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let out = tsifra(
        dir.path(),
        &[
            "report",
            "funnel",
            "--as-of",
            AS_OF,
            "--pipeline",
            "горячие продажи",
            "--period",
            "last_quarter",
            "--format",
            "csv",
            "--table",
            "stages",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    assert!(csv.starts_with("\u{feff}Воронка;Этап;Вошли;"), "{csv}");
    assert!(!csv.contains("Холодные продажи;"), "one pipeline only: {csv}");
    for (flag, value, needle) in [("--period", "soon", "last_quarter"), ("--pipeline", "Тёплые", "Холодные продажи")] {
        let out = tsifra(dir.path(), &["report", "funnel", "--as-of", AS_OF, flag, value]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(stderr(&out).contains(flag) && stderr(&out).contains(needle), "{}", stderr(&out));
    }
}

#[test]
fn plan_import_is_all_or_nothing_and_replaces_its_own_plans() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let plan_json = |dir: &Path| {
        let out = tsifra(dir, &["report", "plan-fact", "--as-of", AS_OF, "--format", "json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let before = plan_json(dir.path());
    let manager = before["periods"][2]["rows"][0]["manager"].as_str().unwrap().to_string();

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("manager,period,metric,target\n{manager},2026-11,revenue,100\nНикто,2026-11,revenue,5\n"),
    )
    .unwrap();
    let out = tsifra(dir.path(), &["import", "plans", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad.csv") && err.contains("строка 3, столбец «manager»"), "{err}");
    assert_eq!(plan_json(dir.path()), before, "a bad file changes nothing");

    // The demo's own plan file, re-imported with one target changed, replaces the demo's plans.
    let plans = std::fs::read_to_string(dir.path().join("plans.csv")).unwrap();
    let line = plans
        .lines()
        .find(|l| l.starts_with(&format!("{manager},2026-11,revenue,")))
        .unwrap()
        .to_string();
    let edited = plans.replace(&line, &format!("{manager},2026-11,revenue,1234567"));
    std::fs::write(dir.path().join("plans.csv"), edited).unwrap();
    let out = tsifra(dir.path(), &["import", "plans", dir.path().join("plans.csv").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = plan_json(dir.path());
    let row = after["periods"][2]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["manager"] == manager.as_str())
        .unwrap();
    assert_eq!(row["plan"].as_i64(), Some(123_456_700));
}

#[test]
fn serve_answers_stores_todays_hygiene_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0", "--as-of", AS_OF])
        .env("RUST_LOG", "error")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the server says where it listens").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    let get = |path: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let health = get("/api/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let body = get("/api/reports/plan-fact");
    assert!(body.contains("\"as_of\":\"2026-11-20T12:00:00Z\""), "the frozen clock: {body}");

    // The hygiene job stores the day's tallies at start.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stored = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        rt.block_on(async {
            let store = tsifra_store::Store::open(&tsifra_store::Store::sqlite_url_for(dir.path()))
                .await
                .unwrap();
            let ws = store.load().await.unwrap();
            ws.hygiene_history
                .iter()
                .any(|h| h.day == chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())
        })
    });
    assert!(stored, "today's hygiene tallies were not stored");

    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status}");
}

/// `config check` reads the names the config gives against the CRM's fields,
/// pipelines and stages in the store, names what is unknown and the closest
/// existing names, and fails; with everything known it passes.
#[test]
fn config_check_names_unknown_fields_and_stages_with_the_closest() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = tsifra(dir.path(), &["config", "check"]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    assert!(stdout(&fresh).contains("хранилища ещё нет"), "{}", stdout(&fresh));
    demo(dir.path());
    let good = tsifra(dir.path(), &["config", "check"]);
    assert!(good.status.success(), "the demo's own mapping is known: {}", stderr(&good));
    assert!(stdout(&good).contains("названия   OK"), "{}", stdout(&good));

    let config = std::fs::read_to_string(dir.path().join("tsifra.toml")).unwrap();
    let margin = config
        .lines()
        .find(|l| l.starts_with("margin"))
        .expect("the demo maps a margin field")
        .to_string();
    let broken = config.replace(&margin, "margin = \"Маржа сделки2\"").replace(
        "fields = [\"Тип продукта\"] }]",
        "fields = [\"Тип продукта\"] }, { pipeline = \"Горячие продажы\", from_stage = \"Переговоры\", fields = [] }]",
    );
    assert_ne!(broken, config);
    std::fs::write(dir.path().join("tsifra.toml"), broken).unwrap();
    let out = tsifra(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("[fields] margin = «Маржа сделки2»: в CRM нет такого поля сделок; похожие:"),
        "{err}"
    );
    assert!(
        err.contains("[hygiene] required[1].pipeline = «Горячие продажы»: в CRM нет такой воронки; похожие: «Горячие продажи»"),
        "{err}"
    );
    assert!(stdout(&out).contains("не найдено в CRM: 2"), "{}", stdout(&out));
    // The board says it too, not only the CLI.
    let report = tsifra(dir.path(), &["report", "leaderboard", "--as-of", AS_OF]);
    assert!(stdout(&report).contains("«Маржа сделки2»"), "{}", stdout(&report));
}

/// `--prospects` swaps call priority's list: clients who bought by default, the
/// companies that never did with the flag; the table says which list it is.
#[test]
fn call_priority_lists_clients_and_with_prospects_the_companies_that_never_bought() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["report", "call-priority", "--as-of", AS_OF, "--format", "json"];
        args.extend_from_slice(extra);
        let out = tsifra(dir.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let rows = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["managers"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["companies"].as_array().unwrap().clone())
            .collect()
    };
    let clients = json(&[]);
    assert_eq!(clients["prospects"], false);
    assert!(!rows(&clients).is_empty());
    assert!(rows(&clients).iter().all(|c| c["won_deals"].as_u64() > Some(0)));
    let prospects = json(&["--prospects"]);
    assert_eq!(prospects["prospects"], true);
    assert!(!rows(&prospects).is_empty());
    assert!(rows(&prospects).iter().all(|c| c["won_deals"] == 0 && c["past_revenue"] == 0));
    assert_eq!(json(&["--prospects", "0"]), clients);
    let out = tsifra(dir.path(), &["report", "call-priority", "--as-of", AS_OF, "--prospects"]);
    assert!(stdout(&out).contains("Кому позвонить · без покупок"), "{}", stdout(&out));
    let out = tsifra(dir.path(), &["report", "hygiene", "--as-of", AS_OF, "--prospects"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("prospects"), "{}", stderr(&out));
}

/// CSV from the CLI is one valid table a Russian Excel opens as columns: a
/// report of several tables asks which (or writes a file each), names from the
/// CRM never run as formulas, and tables on a terminal fit its width.
#[test]
fn csv_is_one_table_in_russian_excel_form_and_text_fits_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    write_to_store(dir.path(), |ws| {
        let mut companies: Vec<_> = ws.companies.iter().cloned().collect();
        for c in &mut companies {
            c.name = format!("=HYPERLINK(\"http://evil.example\";\"{}\")", c.name);
        }
        tsifra_core::model::Batch {
            companies,
            ..Default::default()
        }
    });
    // Several tables, no choice: refused in the workspace's language, naming them.
    let out = tsifra(dir.path(), &["report", "receivables", "--as-of", AS_OF, "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("несколько таблиц (debtors, aging, due-soon, no-due-date)") && err.contains("--table"),
        "{err}"
    );
    let out = tsifra_with(
        dir.path(),
        &["report", "receivables", "--as-of", AS_OF, "--format", "csv"],
        &[("TSIFRA_BUSINESS__LANGUAGE", "en")],
    );
    assert!(
        stderr(&out).contains("several tables (debtors, aging, due-soon, no-due-date)"),
        "{}",
        stderr(&out)
    );
    let out = tsifra(dir.path(), &["report", "receivables", "--format", "csv", "--table", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("нет таблицы «nope»; есть: debtors, aging"),
        "{}",
        stderr(&out)
    );
    let out = tsifra(dir.path(), &["report", "receivables", "--format", "json", "--out", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--out пишет только CSV"), "{}", stderr(&out));
    // --table narrows the terminal's table too.
    let out = tsifra(dir.path(), &["report", "receivables", "--as-of", AS_OF, "--table", "aging"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Просрочка по срокам") && !text.contains("Должники"), "{text}");

    // One table: `;`, a decimal comma, the CRM's names inert.
    let out = tsifra(dir.path(), &["report", "call-priority", "--as-of", AS_OF, "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let body = out.stdout.strip_prefix("\u{feff}".as_bytes()).expect("a BOM for Excel");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(body);
    let columns = reader.headers().unwrap().len();
    assert_eq!(columns, 8, "{:?}", reader.headers());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row.len(), columns);
        assert!(row[2].starts_with("'=HYPERLINK("), "the company is text: {row:?}");
        assert!(row.iter().all(|c| !c.starts_with('=')), "{row:?}");
        assert!(
            row[4].contains(',') && row[4].replace(',', ".").parse::<f64>().is_ok(),
            "money («Купил на») with a decimal comma: {row:?}"
        );
    }

    // --out: a file a table, each a valid CSV.
    let files = dir.path().join("files");
    let out = tsifra(
        dir.path(),
        &[
            "report",
            "plan-fact",
            "--as-of",
            AS_OF,
            "--format",
            "csv",
            "--out",
            files.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut names: Vec<String> = std::fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.contains(&"tsifra-plan-fact-month-2026-11-20.csv".to_string()), "{names:?}");
    assert!(names.contains(&"tsifra-plan-fact-today-2026-11-20.csv".to_string()), "{names:?}");
    for name in &names {
        let bytes = std::fs::read(files.join(name)).unwrap();
        assert!(
            bytes.starts_with("\u{feff}Менеджер;".as_bytes()) || bytes.starts_with("\u{feff}Отдел;".as_bytes()),
            "{name}"
        );
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(&bytes[3..]);
        let width = reader.headers().unwrap().len();
        assert!(reader.records().all(|r| r.unwrap().len() == width), "{name}");
    }
    assert!(stderr(&out).contains("записан файл"), "{}", stderr(&out));

    // A table on an 80-column terminal: no line wider, no number cut.
    let wide = tsifra(dir.path(), &["report", "hygiene", "--as-of", AS_OF]);
    assert!(
        stdout(&wide).lines().any(|l| l.chars().count() > 120),
        "hygiene is wide: {}",
        stdout(&wide)
    );
    let out = tsifra_with(dir.path(), &["report", "hygiene", "--as-of", AS_OF], &[("COLUMNS", "80")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.contains("Весь отдел"), "{text}");
}

/// Writes what `make` builds from the stored workspace back into the demo's store,
/// as a sync would: names from a CRM shaped the way a test needs them.
fn write_to_store(dir: &std::path::Path, make: impl FnOnce(&tsifra_core::model::Workspace) -> tsifra_core::model::Batch) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = tsifra_store::Store::open(&tsifra_store::Store::sqlite_url_for(dir)).await.unwrap();
        let ws = store.load().await.unwrap();
        store.write_batch(&make(&ws)).await.unwrap();
        store.close().await;
    });
}
