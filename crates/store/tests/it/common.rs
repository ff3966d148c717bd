//! Test databases (a temp SQLite file, or a throwaway PostgreSQL database per
//! test so parallel tests never meet) and a small workspace that uses every
//! corner of the model.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use sqlx::Connection;
use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::model::*;
use tsifra_core::{Instant, Money};
use tsifra_store::Store;

pub enum TestDb {
    Sqlite { _dir: tempfile::TempDir, url: String },
    Postgres { server_url: String, name: String, url: String },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = Store::sqlite_url_for(dir.path());
        TestDb::Sqlite { _dir: dir, url }
    }

    /// A new, empty database on the `TEST_DATABASE_URL` server, or `None`
    /// (with a note) when the variable is unset.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(server_url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("note: TEST_DATABASE_URL is not set; skipping the PostgreSQL run of this test");
            return None;
        };
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "tsifra_test_{}_{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        admin(&server_url, &format!("CREATE DATABASE {name}")).await;
        let url = with_database(&server_url, &name);
        Some(TestDb::Postgres { server_url, name, url })
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, TestDb::Sqlite { .. })
    }

    pub async fn open(&self) -> Store {
        Store::open(self.url()).await.unwrap_or_else(|e| panic!("open {}: {e}", self.url()))
    }

    /// Best effort: a failed test leaves its database behind for a look.
    pub async fn drop_database(&self) {
        if let TestDb::Postgres { server_url, name, .. } = self {
            admin(server_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }

    /// Runs a statement in this test's own database (PostgreSQL only).
    pub async fn execute(&self, sql: &str) {
        admin(self.url(), sql).await;
    }
}

async fn admin(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await.ok();
}

/// The server URL with its database name replaced.
fn with_database(server_url: &str, name: &str) -> String {
    let after_scheme = server_url.find("://").map_or(0, |i| i + 3);
    let rest = &server_url[after_scheme..];
    let path_start = rest.find(['/', '?']).unwrap_or(rest.len());
    let path_end = rest.find('?').unwrap_or(rest.len()).max(path_start);
    format!("{}{}/{name}{}", &server_url[..after_scheme], &rest[..path_start], &rest[path_end..])
}

pub fn at(secs: i64) -> Instant {
    DateTime::from_timestamp(secs, 0).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const T0: i64 = 1_764_000_000; // late November 2025

pub fn pipeline(id: Id, name: &str, main: bool) -> Pipeline {
    Pipeline {
        id,
        name: name.into(),
        sort: id as i32 * 10,
        is_main: main,
        stages: vec![
            Stage {
                id: id * 100 + 1,
                name: "Первичный контакт".into(),
                sort: 10,
                kind: StageKind::Open,
            },
            Stage {
                id: id * 100 + 2,
                name: "КП отправлено".into(),
                sort: 20,
                kind: StageKind::Open,
            },
            // amoCRM's shared won/lost ids: the same in every pipeline.
            Stage {
                id: AMOCRM_WON_STATUS,
                name: "Успешно реализовано".into(),
                sort: 10_000,
                kind: StageKind::Won,
            },
            Stage {
                id: AMOCRM_LOST_STATUS,
                name: "Закрыто и не реализовано".into(),
                sort: 11_000,
                kind: StageKind::Lost,
            },
        ],
    }
}

pub fn deal(id: Id, pipeline_id: Id) -> Deal {
    Deal {
        id,
        name: format!("Сделка №{id}"),
        pipeline_id,
        stage_id: pipeline_id * 100 + 1,
        amount: Money::from_major(id * 1000),
        responsible_id: Some(1),
        company_id: None,
        contact_ids: vec![],
        created_at: at(T0 + id),
        updated_at: at(T0 + id + 60),
        closed_at: None,
        loss_reason_id: None,
        lead_source: None,
        tags: vec![],
        fields: vec![],
        responsible_changes: Vec::new(),
        history: vec![StageMove {
            at: at(T0 + id),
            pipeline_id,
            stage_id: pipeline_id * 100 + 1,
            author_id: None,
        }],
        source: Source::Amocrm,
    }
}

pub fn activity(id: Id) -> Activity {
    Activity {
        id,
        kind: ActivityKind::ALL[id as usize % ActivityKind::ALL.len()],
        manager_id: Some(1 + id % 2),
        entity: Some(EntityRef::Deal(1 + id % 3)),
        at: at(T0 + id * 7),
        duration_s: (id % 400) as u32,
        connected: id % 3 != 0,
        source: Source::Amocrm,
    }
}

pub fn plan(origin: &str, manager_id: Option<Id>, period: Period, metric: Metric, target: i64) -> Plan {
    Plan {
        manager_id,
        period,
        metric,
        target,
        origin: origin.into(),
        imported_at: None,
    }
}

pub trait ImportedAt {
    /// The plan as imported at this Unix millisecond.
    fn imported_at(self, millis: i64) -> Self;
}

impl ImportedAt for Plan {
    fn imported_at(self, millis: i64) -> Plan {
        Plan {
            imported_at: DateTime::from_timestamp_millis(millis),
            ..self
        }
    }
}

/// Every entity kind, every FieldValue variant, None and Some, every period
/// kind a plan can have, both sources, unicode and awkward strings.
pub fn sample_workspace() -> Workspace {
    let mut ws = Workspace {
        account: Some(Account {
            name: "ООО «Ромашка»".into(),
            base_url: "https://romashka.amocrm.ru".into(),
            time_zone: "Europe/Moscow".into(),
            currency: "RUB".into(),
        }),
        ..Workspace::default()
    };
    ws.teams = [
        Team {
            id: 1,
            name: "Отдел продаж".into(),
        },
        Team {
            id: 2,
            name: "Team 'quotes' \"and\" \\ slashes; DROP TABLE deals;--".into(),
        },
    ]
    .into_iter()
    .collect();
    ws.users = [
        User {
            id: 1,
            name: "Анна Петрова".into(),
            email: Some("anna@romashka.ru".into()),
            team_id: Some(1),
            active: true,
            source: Source::Amocrm,
        },
        User {
            id: 2,
            name: "Boris".into(),
            email: None,
            team_id: None,
            active: false,
            source: Source::Import,
        },
        User {
            id: i64::MAX,
            name: String::new(),
            email: Some(String::new()),
            team_id: Some(2),
            active: true,
            source: Source::Import,
        },
    ]
    .into_iter()
    .collect();
    ws.pipelines = [
        pipeline(1, "Холодные продажи", true),
        pipeline(2, "Горячие продажи", false),
        {
            let mut empty = pipeline(3, "Контроль качества", false);
            empty.stages.clear();
            empty
        },
    ]
    .into_iter()
    .collect();
    ws.loss_reasons = [LossReason {
        id: 5,
        name: "Дорого".into(),
    }]
    .into_iter()
    .collect();
    ws.field_defs = [
        FieldDef {
            id: 100,
            entity: EntityKind::Deal,
            name: "Маржа".into(),
            code: Some("MARGIN".into()),
            field_type: FieldType::Money,
            options: vec![],
        },
        FieldDef {
            id: 101,
            entity: EntityKind::Contact,
            name: "Каналы".into(),
            code: None,
            field_type: FieldType::MultiSelect,
            options: vec!["Telegram".into(), "WhatsApp".into(), "Звонок".into()],
        },
    ]
    .into_iter()
    .collect();
    let all_field_values: FieldValues = vec![
        (1, FieldValue::Text("текст, с \"кавычками\"\nи переводом строки".into())),
        (2, FieldValue::Number(Decimal::new(-123_456_789, 4))),
        (3, FieldValue::Money(Money(-1))),
        (4, FieldValue::Date(date(2024, 2, 29))),
        (5, FieldValue::Instant(DateTime::from_timestamp(T0, 123_456_789).unwrap())),
        (6, FieldValue::Bool(false)),
        (7, FieldValue::Options(vec!["a".into(), "б".into()])),
        (8, FieldValue::Options(vec![])),
        (9, FieldValue::Text(String::new())),
    ];
    ws.companies = [
        Company {
            id: 10,
            name: "ООО «Вектор»".into(),
            responsible_id: Some(1),
            created_at: at(T0 - 86_400),
            updated_at: at(T0),
            tax_id: Some("7707083893".into()),
            phones: vec!["+7 495 000-00-00".into(), "8 (800) 555-35-35".into()],
            emails: vec!["info@vector.ru".into()],
            fields: all_field_values.clone(),
            source: Source::Amocrm,
        },
        Company {
            id: 11,
            name: "ИП Сидоров".into(),
            responsible_id: None,
            created_at: at(0),
            updated_at: at(-1),
            tax_id: None,
            phones: vec![],
            emails: vec![],
            fields: vec![],
            source: Source::Import,
        },
    ]
    .into_iter()
    .collect();
    ws.contacts = [
        Contact {
            id: 20,
            name: "Иван".into(),
            responsible_id: Some(2),
            company_ids: vec![10, 11],
            created_at: at(T0),
            updated_at: at(T0 + 1),
            phones: vec!["+79990000000".into()],
            emails: vec![],
            fields: vec![(101, FieldValue::Options(vec!["Telegram".into()]))],
            source: Source::Amocrm,
        },
        Contact {
            id: 21,
            name: "Без компании".into(),
            responsible_id: None,
            company_ids: vec![],
            created_at: at(T0),
            updated_at: at(T0),
            phones: vec![],
            emails: vec!["x@y.z".into(), "второй@почта.рф".into()],
            fields: vec![],
            source: Source::Import,
        },
    ]
    .into_iter()
    .collect();
    let won = Deal {
        company_id: Some(10),
        contact_ids: vec![20, 21],
        stage_id: AMOCRM_WON_STATUS,
        closed_at: Some(at(T0 + 7 * 86_400)),
        lead_source: Some("Яндекс.Директ".into()),
        tags: vec!["VIP".into(), "повторная".into()],
        fields: all_field_values,
        responsible_changes: Vec::new(),
        history: vec![
            StageMove {
                at: at(T0),
                pipeline_id: 1,
                stage_id: 101,
                author_id: Some(1),
            },
            StageMove {
                at: at(T0 + 3600),
                pipeline_id: 1,
                stage_id: 102,
                author_id: None,
            },
            StageMove {
                at: at(T0 + 7 * 86_400),
                pipeline_id: 1,
                stage_id: AMOCRM_WON_STATUS,
                author_id: Some(2),
            },
        ],
        ..deal(30, 1)
    };
    let lost = Deal {
        pipeline_id: 2,
        stage_id: AMOCRM_LOST_STATUS,
        amount: Money(0),
        responsible_id: None,
        closed_at: Some(at(T0 + 86_400)),
        loss_reason_id: Some(5),
        responsible_changes: Vec::new(),
        history: vec![],
        source: Source::Import,
        ..deal(31, 2)
    };
    let negative = Deal {
        amount: Money(i64::MIN + 1),
        ..deal(-32, 1)
    };
    ws.deals = [won, lost, negative, deal(33, 2)].into_iter().collect();
    ws.tasks = [
        Task {
            id: 40,
            entity: Some(EntityRef::Deal(30)),
            responsible_id: Some(1),
            kind: TaskKind::Call,
            text: "Перезвонить".into(),
            created_at: at(T0),
            due_at: at(T0 + 86_400),
            completed_at: Some(at(T0 + 3600)),
            result: Some("Дозвонилась".into()),
            source: Source::Amocrm,
        },
        Task {
            id: 41,
            entity: Some(EntityRef::Company(10)),
            responsible_id: None,
            kind: TaskKind::Meeting,
            text: String::new(),
            created_at: at(T0),
            due_at: at(T0),
            completed_at: None,
            result: None,
            source: Source::Import,
        },
        Task {
            id: 42,
            entity: Some(EntityRef::Contact(20)),
            responsible_id: Some(2),
            kind: TaskKind::Email,
            text: "Письмо".into(),
            created_at: at(T0),
            due_at: at(T0),
            completed_at: None,
            result: Some(String::new()),
            source: Source::Amocrm,
        },
        Task {
            id: 43,
            entity: None,
            responsible_id: Some(1),
            kind: TaskKind::Other,
            text: "Без привязки".into(),
            created_at: at(T0),
            due_at: at(T0),
            completed_at: None,
            result: None,
            source: Source::Amocrm,
        },
    ]
    .into_iter()
    .collect();
    ws.activities = (1..=16)
        .map(|id| {
            let mut a = activity(id);
            if id % 5 == 0 {
                a.entity = None;
                a.manager_id = None;
            }
            if id == 7 {
                a.entity = Some(EntityRef::Company(10));
                a.duration_s = u32::MAX;
            }
            if id == 8 {
                a.entity = Some(EntityRef::Contact(21));
                a.source = Source::Import;
            }
            a
        })
        .collect();
    ws.payments = [
        Payment {
            id: 50,
            deal_id: Some(30),
            company_id: Some(10),
            amount_due: Money::from_major(100_000),
            due_date: Some(date(2025, 12, 31)),
            amount_paid: Money::from_major(40_000),
            paid_date: Some(date(2026, 1, 15)),
            source: Source::Import,
        },
        Payment {
            id: 51,
            deal_id: None,
            company_id: None,
            amount_due: Money(1),
            due_date: None,
            amount_paid: Money::ZERO,
            paid_date: None,
            source: Source::Amocrm,
        },
    ]
    .into_iter()
    .collect();
    let day = date(2026, 11, 26);
    ws.plans = vec![
        plan(
            "plans-2026.csv",
            Some(1),
            Period::containing(PeriodKind::Month, day),
            Metric::Revenue,
            150_000_000,
        ),
        plan(
            "plans-2026.csv",
            None,
            Period::containing(PeriodKind::Month, day),
            Metric::Revenue,
            900_000_000,
        ),
        plan(
            "plans-2026.csv",
            Some(1),
            Period::containing(PeriodKind::Quarter, day),
            Metric::Margin,
            40_000_000,
        ),
        plan(
            "plans-2026.csv",
            Some(2),
            Period::containing(PeriodKind::Week, day),
            Metric::Calls,
            250,
        ),
        plan(
            "https://docs.example/sheet",
            Some(2),
            Period::containing(PeriodKind::Day, day),
            Metric::WonDeals,
            3,
        )
        .imported_at(1_764_151_234_567),
        plan(
            "https://docs.example/sheet",
            None,
            Period::containing(PeriodKind::LastDays(90), day),
            Metric::Calls,
            5000,
        )
        .imported_at(1_764_151_234_567),
    ];
    ws
}

fn sorted<T: Keyed + Clone>(table: &Table<T>) -> Vec<T> {
    let mut rows: Vec<T> = table.iter().cloned().collect();
    rows.sort_by_key(|r| r.key());
    rows
}

fn sorted_plans(plans: &[Plan]) -> Vec<Plan> {
    let mut plans = plans.to_vec();
    plans.sort_by(|a, b| {
        (&a.origin, a.manager_id, a.period, a.metric, a.target).cmp(&(&b.origin, b.manager_id, b.period, b.metric, b.target))
    });
    plans
}

/// Equal as data: row order in a Table is not meaningful.
pub fn assert_same_workspace(actual: &Workspace, expected: &Workspace) {
    assert_eq!(actual.account, expected.account, "account");
    assert_eq!(sorted(&actual.teams), sorted(&expected.teams), "teams");
    assert_eq!(sorted(&actual.users), sorted(&expected.users), "users");
    assert_eq!(sorted(&actual.pipelines), sorted(&expected.pipelines), "pipelines");
    assert_eq!(sorted(&actual.loss_reasons), sorted(&expected.loss_reasons), "loss reasons");
    assert_eq!(sorted(&actual.field_defs), sorted(&expected.field_defs), "field defs");
    assert_eq!(sorted(&actual.companies), sorted(&expected.companies), "companies");
    assert_eq!(sorted(&actual.contacts), sorted(&expected.contacts), "contacts");
    assert_eq!(sorted(&actual.deals), sorted(&expected.deals), "deals");
    assert_eq!(sorted(&actual.tasks), sorted(&expected.tasks), "tasks");
    assert_eq!(sorted(&actual.activities), sorted(&expected.activities), "activities");
    assert_eq!(sorted(&actual.payments), sorted(&expected.payments), "payments");
    assert_eq!(sorted_plans(&actual.plans), sorted_plans(&expected.plans), "plans");
    assert_eq!(actual.version, expected.version, "version");
}
