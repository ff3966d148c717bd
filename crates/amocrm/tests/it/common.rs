//! A small hand-written sales department and helpers to run the fake and the sync.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use tsifra_amocrm::fake::{self, FakeAmocrm, FakeOptions};
use tsifra_amocrm::{Auth, Client, ClientOptions, MemoryStore, RetryPolicy, SyncEngine, SyncOptions};
use tsifra_core::model::*;
use tsifra_core::{Instant, Money};

pub fn at(ts: i64) -> Instant {
    Utc.timestamp_opt(ts, 0).unwrap()
}

/// Whole seconds, as the API carries them.
pub fn now() -> Instant {
    at(Utc::now().timestamp())
}

pub const PIPE_COLD: Id = 1001;
pub const PIPE_HOT: Id = 1002;

/// A department with `deals` deals (and about a third as many companies/contacts),
/// histories of up to four stage moves, tasks, calls, chats, e-mails and notes.
pub fn workspace(deals: usize) -> Workspace {
    let t0 = Utc::now().timestamp() - 200 * 86_400;
    let mut ws = Workspace {
        account: Some(Account {
            name: "ООО Тест".into(),
            base_url: "https://test.amocrm.ru".into(),
            time_zone: "Europe/Moscow".into(),
            currency: "RUB".into(),
        }),
        ..Workspace::default()
    };
    for (id, name) in [(1, "Продажи Москва"), (2, "Продажи Казань")] {
        ws.teams.upsert(Team { id, name: name.into() });
    }
    for i in 0..4i64 {
        ws.users.upsert(User {
            id: 101 + i,
            name: format!("Менеджер {i}"),
            email: (i != 2).then(|| format!("m{i}@test.ru")),
            team_id: if i == 3 { None } else { Some(1 + i % 2) },
            active: i != 3,
            source: Source::Amocrm,
        });
    }
    let stage = |id, name: &str, sort, kind| Stage {
        id,
        name: name.into(),
        sort,
        kind,
    };
    ws.pipelines.upsert(Pipeline {
        id: PIPE_COLD,
        name: "Холодные продажи".into(),
        sort: 1,
        is_main: true,
        stages: vec![
            stage(10011, "Новый", 10, StageKind::Open),
            stage(10012, "Переговоры", 20, StageKind::Open),
            stage(142, "Успешно реализовано", 10000, StageKind::Won),
            stage(143, "Закрыто и не реализовано", 11000, StageKind::Lost),
        ],
    });
    ws.pipelines.upsert(Pipeline {
        id: PIPE_HOT,
        name: "Горячие продажи".into(),
        sort: 2,
        is_main: false,
        stages: vec![
            stage(10021, "Квалификация", 10, StageKind::Open),
            stage(10022, "КП отправлено", 20, StageKind::Open),
            stage(142, "Оплачено", 10000, StageKind::Won),
            stage(143, "Отказ", 11000, StageKind::Lost),
        ],
    });
    ws.loss_reasons.upsert(LossReason {
        id: 501,
        name: "Дорого".into(),
    });
    ws.loss_reasons.upsert(LossReason {
        id: 502,
        name: "Пропала потребность".into(),
    });
    let def = |id, entity, name: &str, field_type, options: &[&str]| FieldDef {
        id,
        entity,
        name: name.into(),
        code: None,
        field_type,
        options: options.iter().map(|s| s.to_string()).collect(),
    };
    ws.field_defs.upsert(def(7001, EntityKind::Deal, "Маржа", FieldType::Money, &[]));
    ws.field_defs.upsert(def(
        7002,
        EntityKind::Deal,
        "Тип продукта",
        FieldType::Select,
        &["Станки", "Сервис"],
    ));
    ws.field_defs
        .upsert(def(7003, EntityKind::Deal, "Дата оплаты", FieldType::Date, &[]));
    ws.field_defs
        .upsert(def(7004, EntityKind::Deal, "Предоплата", FieldType::Checkbox, &[]));
    ws.field_defs
        .upsert(def(7005, EntityKind::Deal, "Количество", FieldType::Number, &[]));
    ws.field_defs.upsert(def(
        7006,
        EntityKind::Deal,
        "Каналы",
        FieldType::MultiSelect,
        &["Сайт", "Звонок", "Выставка"],
    ));
    ws.field_defs
        .upsert(def(7007, EntityKind::Deal, "Оплачено в", FieldType::DateTime, &[]));
    ws.field_defs
        .upsert(def(7101, EntityKind::Contact, "Должность", FieldType::Text, &[]));
    ws.field_defs
        .upsert(def(7201, EntityKind::Company, "Квалификация", FieldType::Select, &["A", "B", "C"]));
    ws.field_defs.upsert(def(7202, EntityKind::Company, "Сайт", FieldType::Url, &[]));

    let companies = deals / 3 + 1;
    for i in 0..companies as i64 {
        let created = at(t0 + i * 600);
        ws.companies.upsert(Company {
            id: 20_000 + i,
            name: format!("Компания {i}"),
            responsible_id: Some(101 + i % 4),
            created_at: created,
            updated_at: created,
            tax_id: (i % 2 == 0).then(|| format!("77{:08}", i)),
            phones: if i % 3 == 0 { vec![] } else { vec![format!("+7495{:07}", i)] },
            emails: vec![format!("info{i}@c.ru")],
            fields: if i % 2 == 0 {
                vec![
                    (
                        7201,
                        FieldValue::Options(vec!["AB".chars().nth((i % 2) as usize).unwrap().to_string()]),
                    ),
                    (7202, FieldValue::Text(format!("https://c{i}.ru"))),
                ]
            } else {
                vec![]
            },
            source: Source::Amocrm,
        });
    }
    for i in 0..(deals / 3 + 2) as i64 {
        let created = at(t0 + i * 700);
        ws.contacts.upsert(Contact {
            id: 30_000 + i,
            name: format!("Контакт {i}"),
            responsible_id: if i % 5 == 0 { None } else { Some(101 + i % 4) },
            company_ids: if i % 4 == 3 { vec![] } else { vec![20_000 + i % companies as i64] },
            created_at: created,
            updated_at: at(t0 + i * 700 + 60),
            phones: vec![format!("+7916{:07}", i), format!("+7925{:07}", i)]
                .into_iter()
                .take(1 + (i % 2) as usize)
                .collect(),
            emails: if i % 3 == 0 { vec![] } else { vec![format!("c{i}@mail.ru")] },
            fields: if i % 2 == 1 {
                vec![(7101, FieldValue::Text("Директор".into()))]
            } else {
                vec![]
            },
            source: Source::Amocrm,
        });
    }
    let contacts = deals / 3 + 2;
    for i in 0..deals as i64 {
        let created = t0 + i * 3_000;
        let pipeline = if i % 3 == 0 { PIPE_HOT } else { PIPE_COLD };
        let stages: [Id; 2] = if pipeline == PIPE_HOT { [10021, 10022] } else { [10011, 10012] };
        let author = if i % 7 == 0 { None } else { Some(101 + i % 4) };
        let mut history = vec![StageMove {
            at: at(created),
            pipeline_id: pipeline,
            stage_id: stages[0],
            author_id: author,
        }];
        let moves = i % 4;
        let mut t = created;
        for m in 0..moves {
            t += 86_400 + m * 3_600;
            let stage_id = match (m, i % 2) {
                (0, _) => stages[1],
                (_, 0) => 142,
                _ => 143,
            };
            history.push(StageMove {
                at: at(t),
                pipeline_id: pipeline,
                stage_id,
                author_id: Some(101 + (i + m) % 4),
            });
            if stage_id == 142 || stage_id == 143 {
                break;
            }
        }
        let last = *history.last().unwrap();
        let closed = matches!(last.stage_id, 142 | 143).then_some(last.at);
        let mut fields = vec![(7001, FieldValue::Money(Money::from_major(1_000 + i * 10)))];
        if i % 2 == 0 {
            fields.push((7002, FieldValue::Options(vec!["Сервис".into()])));
            fields.push((
                7003,
                FieldValue::Date(NaiveDate::from_ymd_opt(2026, 1 + (i % 12) as u32, 1 + (i % 28) as u32).unwrap()),
            ));
        }
        if i % 5 == 0 {
            fields.push((7004, FieldValue::Bool(i % 10 == 0)));
            fields.push((7005, FieldValue::Number(Decimal::new(15 + i, 1))));
            fields.push((7006, FieldValue::Options(vec!["Сайт".into(), "Выставка".into()])));
            fields.push((7007, FieldValue::Instant(at(created + 999))));
        }
        ws.deals.upsert(Deal {
            id: 40_000 + i,
            name: format!("Сделка {i}"),
            pipeline_id: pipeline,
            stage_id: last.stage_id,
            amount: Money::from_major(if i % 11 == 0 { 0 } else { 10_000 + i * 137 }),
            responsible_id: Some(101 + i % 4),
            company_id: (i % 6 != 5).then(|| 20_000 + i % companies as i64),
            contact_ids: (0..(i % 3)).map(|k| 30_000 + (i + k) % contacts as i64).collect(),
            created_at: at(created),
            updated_at: last.at,
            closed_at: closed,
            loss_reason_id: (last.stage_id == 143).then_some(501 + i % 2),
            lead_source: (i % 4 == 0).then(|| "Сайт".to_string()),
            tags: if i % 3 == 1 { vec!["vip".into(), "опт".into()] } else { vec![] },
            fields,
            responsible_changes: Vec::new(),
            history,
            source: Source::Amocrm,
        });
        // A task per deal; every other one done with a result.
        let kind = [TaskKind::Call, TaskKind::Meeting, TaskKind::Email, TaskKind::Other][(i % 4) as usize];
        ws.tasks.upsert(Task {
            id: 50_000 + i,
            entity: Some(EntityRef::Deal(40_000 + i)),
            responsible_id: Some(101 + i % 4),
            kind,
            text: format!("Задача {i}"),
            created_at: at(created + 60),
            due_at: at(created + 86_400),
            completed_at: (i % 2 == 0).then(|| at(created + 7_200)),
            result: (i % 4 == 0).then(|| "Договорились".to_string()),
            source: Source::Amocrm,
        });
        // Communications.
        let kinds = [
            ActivityKind::CallOut,
            ActivityKind::CallIn,
            ActivityKind::ChatIn,
            ActivityKind::ChatOut,
            ActivityKind::EmailOut,
            ActivityKind::EmailIn,
            ActivityKind::Note,
            ActivityKind::Meeting,
        ];
        for k in 0..2 {
            let kind = kinds[((i + k) % kinds.len() as i64) as usize];
            let entity = match (i + k) % 3 {
                0 => EntityRef::Deal(40_000 + i),
                1 => EntityRef::Contact(30_000 + i % contacts as i64),
                _ => EntityRef::Company(20_000 + i % companies as i64),
            };
            let duration = if kind.is_call() { ((i * 37 + k * 11) % 300) as u32 } else { 0 };
            ws.activities.upsert(Activity {
                id: 60_000 + i * 2 + k,
                kind,
                manager_id: Some(101 + (i + k) % 4),
                entity: Some(entity),
                at: at(created + 300 + k * 60),
                duration_s: duration,
                connected: if kind.is_call() { duration > 30 } else { true },
                source: Source::Amocrm,
            });
        }
    }
    ws
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        max_rate_limited: 200,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(200),
    }
}

pub fn client(base_url: &str, auth: Auth, rps: u32) -> Arc<Client> {
    Arc::new(
        Client::new(
            base_url,
            auth,
            ClientOptions {
                requests_per_second: rps,
                timeout: Duration::from_secs(5),
                retry: fast_retry(),
                ..ClientOptions::default()
            },
        )
        .unwrap(),
    )
}

pub fn long_lived(fake: &FakeAmocrm) -> Auth {
    Auth::LongLived(fake.options().long_lived_token.clone().unwrap().into())
}

/// A fake without a rate limit, serving `ws`.
pub async fn fake_unlimited(ws: Workspace) -> FakeAmocrm {
    fake::start(
        ws,
        FakeOptions {
            rate_limit: None,
            ..FakeOptions::default()
        },
    )
    .await
    .unwrap()
}

pub fn engine(client: Arc<Client>, store: Arc<MemoryStore>, page_size: u32) -> SyncEngine<MemoryStore> {
    SyncEngine::new(
        client,
        store,
        SyncOptions {
            page_size,
            events_page_size: page_size.min(100),
            ..SyncOptions::default()
        },
    )
}

fn sorted<T: Clone + Keyed + std::fmt::Debug>(t: &Table<T>) -> Vec<T> {
    let mut v: Vec<T> = t.iter().cloned().collect();
    v.sort_by_key(|x| x.key());
    v
}

/// Asserts the synced workspace holds what the CRM holds (activities on no entity
/// cannot be amoCRM notes and are not served, so they are left out).
pub fn assert_same(synced: &Workspace, original: &Workspace) {
    assert_eq!(sorted(&synced.users), sorted(&original.users), "users");
    assert_eq!(sorted(&synced.teams), sorted(&original.teams), "teams");
    assert_eq!(sorted(&synced.pipelines), sorted(&original.pipelines), "pipelines");
    assert_eq!(sorted(&synced.loss_reasons), sorted(&original.loss_reasons), "loss reasons");
    for d in original.field_defs.iter() {
        assert_eq!(synced.field_defs.get(d.id), Some(d), "field def {}", d.id);
    }
    assert_eq!(sorted(&synced.companies), sorted(&original.companies), "companies");
    assert_eq!(sorted(&synced.contacts), sorted(&original.contacts), "contacts");
    let (a, b) = (sorted(&synced.deals), sorted(&original.deals));
    assert_eq!(a.len(), b.len(), "deal count");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "deal {}", y.id);
    }
    assert_eq!(sorted(&synced.tasks), sorted(&original.tasks), "tasks");
    let served: Vec<Activity> = sorted(&original.activities).into_iter().filter(|a| a.entity.is_some()).collect();
    assert_eq!(sorted(&synced.activities), served, "activities");
    let acc = synced.account.as_ref().expect("account synced");
    let orig = original.account.as_ref().unwrap();
    assert_eq!(
        (&acc.name, &acc.time_zone, &acc.currency),
        (&orig.name, &orig.time_zone, &orig.currency)
    );
}

/// Moves `n` open deals one stage on (to won), as a manager would in the CRM, at `when`.
pub fn move_deals(ws: &mut Workspace, n: usize, when: DateTime<Utc>) -> Vec<Id> {
    let ids: Vec<Id> = ws.deals.iter().filter(|d| d.closed_at.is_none()).take(n).map(|d| d.id).collect();
    for id in &ids {
        let mut d = ws.deals.get(*id).unwrap().clone();
        d.stage_id = 142;
        d.closed_at = Some(when);
        d.updated_at = when;
        d.amount += Money::from_major(1);
        d.history.push(StageMove {
            at: when,
            pipeline_id: d.pipeline_id,
            stage_id: 142,
            author_id: Some(102),
        });
        ws.deals.upsert(d);
    }
    ids
}

/// Like [`assert_same`], for a generated department: reports the first differences per table.
pub fn assert_same_demo(synced: &Workspace, original: &Workspace) {
    fn diff<T: Clone + Keyed + PartialEq + std::fmt::Debug>(
        name: &str,
        a: &Table<T>,
        b: &Table<T>,
        keep: impl Fn(&T) -> bool,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let b_rows: Vec<&T> = b.iter().filter(|x| keep(x)).collect();
        if a.len() != b_rows.len() {
            out.push(format!("{name}: {} synced vs {} original", a.len(), b_rows.len()));
        }
        for y in b_rows {
            match a.get(y.key()) {
                Some(x) if x == y => {}
                Some(x) => out.push(format!("{name} {}:\n  synced   {x:?}\n  original {y:?}", y.key())),
                None => out.push(format!("{name} {} missing", y.key())),
            }
            if out.len() > 3 {
                break;
            }
        }
        out
    }
    let mut problems = Vec::new();
    problems.extend(diff("user", &synced.users, &original.users, |_| true));
    problems.extend(diff("team", &synced.teams, &original.teams, |_| true));
    problems.extend(diff("pipeline", &synced.pipelines, &original.pipelines, |_| true));
    problems.extend(diff("company", &synced.companies, &original.companies, |_| true));
    problems.extend(diff("contact", &synced.contacts, &original.contacts, |_| true));
    problems.extend(diff("deal", &synced.deals, &original.deals, |_| true));
    problems.extend(diff("task", &synced.tasks, &original.tasks, |_| true));
    problems.extend(diff("activity", &synced.activities, &original.activities, |a| a.entity.is_some()));
    for d in original.field_defs.iter() {
        if synced.field_defs.get(d.id) != Some(d) {
            problems.push(format!("field def {}: {:?} vs {:?}", d.id, synced.field_defs.get(d.id), d));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
