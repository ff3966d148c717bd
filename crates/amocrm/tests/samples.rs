//! amoCRM's own published samples (docs examples and recorded webhooks) must
//! parse with our wire types into the model with the values they hold.
//! The files are amoCRM's and stay outside the repo: the directory comes from
//! `TSIFRA_AMOCRM_SAMPLES` (../shared/amocrm-samples in CI). This binary is
//! `test = false`, so a plain `cargo test` leaves it out; `.ci/run` runs it as
//! `TSIFRA_AMOCRM_SAMPLES=... cargo test -p tsifra-amocrm --test samples`,
//! and then a missing or wrong variable FAILS the run instead of skipping.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use tsifra_amocrm::map::{self, EventEffect, MapContext};
use tsifra_amocrm::webhook::{self, Action};
use tsifra_amocrm::wire::{self, Page};
use tsifra_core::Money;
use tsifra_core::model::*;

fn samples_dir() -> PathBuf {
    let var = std::env::var("TSIFRA_AMOCRM_SAMPLES").unwrap_or_else(|_| {
        panic!("TSIFRA_AMOCRM_SAMPLES is not set: point it at the amoCRM samples directory (../shared/amocrm-samples)")
    });
    let dir = PathBuf::from(&var);
    assert!(dir.is_dir(), "TSIFRA_AMOCRM_SAMPLES={var:?} is not a directory");
    dir
}

fn read(name: &str) -> String {
    let path = samples_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn page<T: serde::de::DeserializeOwned>(name: &str) -> Page<T> {
    let p = Page::<T>::parse(read(name).as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(p.skipped, 0, "{name}: {:?}", p.first_error);
    p
}

fn one<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Removes commas before `}` or `]` outside strings (several docs examples carry them).
fn strip_trailing_commas(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut escaped) = (false, false);
    for (i, &c) in chars.iter().enumerate() {
        if in_str {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        if c == ','
            && chars[i + 1..]
                .iter()
                .find(|c| !c.is_whitespace())
                .is_some_and(|n| *n == '}' || *n == ']')
        {
            continue;
        }
        out.push(c);
    }
    out
}

/// Drops `// comments` outside strings and `...` elision lines (docs fragments).
fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| l.trim() != "...")
        .map(|l| {
            let mut in_str = false;
            let b = l.as_bytes();
            for i in 0..b.len() {
                match b[i] {
                    b'"' if i == 0 || b[i - 1] != b'\\' => in_str = !in_str,
                    b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return &l[..i],
                    _ => {}
                }
            }
            l
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ts(t: i64) -> tsifra_core::Instant {
    map::instant(t)
}

fn ctx() -> MapContext {
    MapContext::new("https://example.amocrm.ru")
}

#[test]
fn every_sample_parses_into_the_model() {
    let dir = samples_dir();
    let mut checked = BTreeSet::new();
    let mut check = |name: &str, f: &dyn Fn()| {
        f();
        checked.insert(name.to_string());
    };

    check("leads_page.json", &|| {
        let p = page::<wire::Lead>("leads_page.json");
        assert_eq!(p.page, Some(2));
        assert!(p.has_next);
        let deals: Vec<Deal> = p.items.iter().map(|l| map::map_lead(l, &ctx(), None)).collect();
        assert_eq!(deals.len(), 2);
        let d = &deals[0];
        assert_eq!((d.id, d.name.as_str()), (19619, "Сделка для примера"));
        assert_eq!(d.amount, Money::from_major(46_333));
        assert_eq!((d.pipeline_id, d.stage_id), (1300, 142));
        assert_eq!(d.responsible_id, Some(123321));
        assert_eq!(d.closed_at, Some(ts(1483005931)));
        assert_eq!(d.created_at, ts(1453279607));
        assert!(d.fields.is_empty(), "custom_fields_values: null");
        assert_eq!(
            d.history,
            vec![StageMove {
                at: ts(1453279607),
                pipeline_id: 1300,
                stage_id: 142,
                author_id: Some(321123)
            }]
        );
        assert_eq!(deals[1].amount, Money::from_major(655));
    });
    check("contacts_page.json", &|| {
        let p = page::<wire::Contact>("contacts_page.json");
        let c: Vec<Contact> = p.items.iter().map(|c| map::map_contact(c, &ctx())).collect();
        assert_eq!((c[0].id, c[0].name.as_str()), (7143599, "1"));
        assert_eq!((c[1].id, c[1].name.as_str()), (7767065, "dsgdsg"));
        assert_eq!(c[1].updated_at, ts(1586359590));
        assert!(c[0].phones.is_empty() && c[0].company_ids.is_empty());
    });
    check("contact_detail.json", &|| {
        let c = map::map_contact(&one::<wire::Contact>("contact_detail.json"), &ctx());
        assert_eq!((c.id, c.name.as_str()), (3, "Иван Иванов"));
        assert_eq!(c.phones, vec!["+79123".to_string()]);
        assert_eq!(c.company_ids, vec![1]);
        assert_eq!(c.responsible_id, Some(504141));
        assert!(c.fields.is_empty(), "the phone is not a custom value");
    });
    check("companies_page.json", &|| {
        let p = page::<wire::Company>("companies_page.json");
        let c: Vec<Company> = p.items.iter().map(|c| map::map_company(c, &ctx())).collect();
        assert_eq!((c[0].id, c[0].name.as_str()), (7767077, "Компания Васи"));
        assert_eq!((c[1].id, c[1].name.as_str()), (7767457, "Example"));
    });
    check("company_detail.json", &|| {
        let c = map::map_company(&one::<wire::Company>("company_detail.json"), &ctx());
        assert_eq!((c.id, c.name.as_str()), (1, "АО Рога и копыта"));
        assert_eq!(c.phones, vec!["123213".to_string()]);
        assert_eq!(c.updated_at, ts(1586361223));
    });
    check("tasks_page.json", &|| {
        let p = page::<wire::Task>("tasks_page.json");
        let t: Vec<Task> = p.items.iter().map(|t| map::map_task(t, &ctx())).collect();
        assert_eq!(t[0].id, 7087);
        assert_eq!(t[0].entity, Some(EntityRef::Deal(167353)));
        assert_eq!(t[0].kind, TaskKind::Meeting, "type 2 is a meeting");
        assert_eq!(t[0].text, "Пригласить на бесплатную тренировку");
        assert_eq!(t[0].result, None, "result: []");
        assert_eq!(t[0].due_at, ts(1575665940));
        assert_eq!(t[0].completed_at, Some(ts(1575364851)));
        assert_eq!(p.items[1].created_by, None, "created_by: 0 is nobody");
    });
    check("task_detail.json", &|| {
        let t = map::map_task(&one::<wire::Task>("task_detail.json"), &ctx());
        assert_eq!((t.id, t.result.as_deref()), (56981, Some("Результат есть")));
        assert_eq!(t.responsible_id, Some(123123));
    });
    check("users_page.json", &|| {
        let p = page::<wire::User>("users_page.json");
        assert_eq!(p.total_items, Some(2));
        let u: Vec<User> = p.items.iter().map(map::map_user).collect();
        assert_eq!(
            (u[0].id, u[0].name.as_str(), u[0].email.as_deref()),
            (123123, "Пользователь для примера 2", Some("example2@mail.com"))
        );
        assert_eq!(u[0].team_id, Some(267688), "group from _embedded.groups");
        assert!(u[0].active);
        assert_eq!(u[1].team_id, None);
    });
    check("user_detail.json", &|| {
        let u = map::map_user(&one::<wire::User>("user_detail.json"));
        assert_eq!((u.id, u.name.as_str(), u.active), (185848, "Алексей Поимцев", true));
    });
    check("pipelines.json", &|| {
        let p = page::<wire::Pipeline>("pipelines.json");
        let pl = map::map_pipeline(&p.items[0]);
        assert_eq!((pl.id, pl.name.as_str(), pl.is_main), (3177727, "Воронка", true));
        let kinds: Vec<(Id, StageKind)> = pl.stages.iter().map(|s| (s.id, s.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                // "Неразобранное", type 1: amoCRM's incoming leads, a kind of stage of its own.
                (32392156, StageKind::Unsorted),
                (32392159, StageKind::Open),
                (32392165, StageKind::Open),
                (142, StageKind::Won),
                (143, StageKind::Lost)
            ]
        );
        assert_eq!(pl.stage(142).unwrap().name, "Успешно реализовано");
    });
    check("pipeline_detail.json", &|| {
        let pl = map::map_pipeline(&one::<wire::Pipeline>("pipeline_detail.json"));
        assert_eq!(pl.stages.len(), 5);
        assert_eq!(pl.stage(143).unwrap().kind, StageKind::Lost);
    });
    check("pipeline_statuses.json", &|| {
        let p = page::<wire::Status>("pipeline_statuses.json");
        assert_eq!(p.items.len(), 5);
        assert_eq!(
            (p.items[1].id, p.items[1].name.as_str(), p.items[0].kind),
            (32392159, "Первичный контакт", Some(1))
        );
    });
    check("pipeline_status_detail.json", &|| {
        let s = one::<wire::Status>("pipeline_status_detail.json");
        assert_eq!((s.id, s.pipeline_id, s.sort), (32392159, Some(3177727), Some(20)));
    });
    check("custom_fields_leads_page.json", &|| {
        let p = page::<wire::CustomField>("custom_fields_leads_page.json");
        assert_eq!(p.page_count, Some(10));
        let defs: Vec<FieldDef> = p.items.iter().map(|f| map::map_field_def(f, EntityKind::Deal)).collect();
        assert_eq!(
            (defs[0].id, defs[0].name.as_str(), defs[0].field_type),
            (4439091, "Пример текстового поля", FieldType::Text)
        );
        assert_eq!((defs[1].id, defs[1].field_type), (4440043, FieldType::Date));
    });
    check("custom_field_detail_multitext.json", &|| {
        let d = map::map_field_def(&one::<wire::CustomField>("custom_field_detail_multitext.json"), EntityKind::Contact);
        assert_eq!((d.id, d.field_type, d.code.as_deref()), (3, FieldType::Phone, Some("PHONE")));
        assert_eq!(d.options, ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]);
    });
    check("event_detail.json", &|| {
        let e = one::<wire::Event>("event_detail.json");
        assert_eq!(e.id, "01pz58t6p04ymgsgfbmfyfy1mf");
        assert_eq!(e.note_id(), Some(42743871));
        assert_eq!(
            map::map_event(&e),
            EventEffect::LeadAdded {
                deal_id: 26060763,
                at: ts(1888888888),
                author_id: Some(939801)
            }
        );
    });
    let event = |name: &str, event_type: &str, entity_type: &str| -> wire::Event {
        let mut v: Value = serde_json::from_str(&strip_trailing_commas(&read(name))).unwrap_or_else(|e| panic!("{name}: {e}"));
        v["id"] = Value::from("01test");
        v["type"] = Value::from(event_type);
        v["entity_id"] = Value::from(77);
        v["entity_type"] = Value::from(entity_type);
        v["created_at"] = Value::from(1_700_000_000);
        v["created_by"] = Value::from(5);
        serde_json::from_value(v).unwrap()
    };
    check("event_value_note_added_incoming_outgoing_call.json", &|| {
        let e = event("event_value_note_added_incoming_outgoing_call.json", "incoming_call", "contact");
        assert_eq!(
            map::map_event(&e),
            EventEffect::CallNote {
                entity: EntityRef::Contact(77),
                note_id: 7422564
            }
        );
    });
    check("event_value_chat_message.json", &|| {
        let e = event("event_value_chat_message.json", "incoming_chat_message", "lead");
        assert_eq!(e.message_id().as_deref(), Some("1508b51c-aab0-428e-9322-611d847ae747"));
        let EventEffect::Activity(a) = map::map_event(&e) else {
            panic!("a chat is an activity")
        };
        assert_eq!(
            (a.kind, a.entity, a.manager_id, a.at),
            (ActivityKind::ChatIn, Some(EntityRef::Deal(77)), Some(5), ts(1_700_000_000))
        );
    });
    check("event_value_deleted_restored_empty.json", &|| {
        let e = event("event_value_deleted_restored_empty.json", "lead_deleted", "lead");
        assert_eq!(
            map::map_event(&e),
            EventEffect::Deleted {
                kind: EntityKind::Deal,
                id: 77,
                at: ts(1_700_000_000)
            }
        );
        let e = event("event_value_deleted_restored_empty.json", "company_restored", "company");
        assert_eq!(
            map::map_event(&e),
            EventEffect::Restored {
                kind: EntityKind::Company,
                id: 77,
                at: ts(1_700_000_000)
            }
        );
    });
    check("event_value_entity_responsible_changed.json", &|| {
        let e = event("event_value_entity_responsible_changed.json", "entity_responsible_changed", "lead");
        assert_eq!(e.value_after[0]["responsible_user"]["id"], 504329);
        assert_eq!(e.value_before[0]["responsible_user"]["id"], 37268);
        // A lead's responsible change is kept, so a win is credited to whoever held the deal then.
        assert_eq!(
            map::map_event(&e),
            EventEffect::ResponsibleChange {
                deal_id: 77,
                change: tsifra_core::model::ResponsibleChange {
                    at: ts(1_700_000_000),
                    from: Some(37268),
                    to: Some(504329),
                },
            }
        );
    });
    for (name, key, expected) in [
        (
            "event_value_custom_field_value_changed.json",
            "/0/custom_field_value/text",
            Value::from("example1@test.com"),
        ),
        ("event_value_entity_linked.json", "/0/link/entity/id", Value::from(6232965)),
        ("event_value_tag_added_deleted.json", "/0/tag/name", Value::from("тег1")),
        (
            "event_value_task_deadline_changed.json",
            "/0/task_deadline/timestamp",
            Value::from(1573595900),
        ),
        ("event_value_task_type_changed.json", "/0/task_type/id", Value::from(504329)),
    ] {
        check(name, &|| {
            let e = event(name, "some_event", "lead");
            assert_eq!(Value::Array(e.value_after.clone()).pointer(key), Some(&expected), "{name}");
            assert_eq!(map::map_event(&e), EventEffect::Ignored, "{name}");
        });
    }
    check("note_detail.json", &|| {
        let n = one::<wire::Note>("note_detail.json");
        assert_eq!(
            (n.id, n.entity_id, n.note_type.as_str(), n.text().as_deref()),
            (42709325, Some(26050861), "common", Some("Текст примечания"))
        );
        let a = map::map_note(&n, EntityKind::Deal).unwrap();
        assert_eq!(
            (a.kind, a.entity, a.manager_id, a.at),
            (ActivityKind::Note, Some(EntityRef::Deal(26050861)), Some(939801), ts(1540407495))
        );
    });
    check("notes_by_entity_page.json", &|| {
        let p = page::<wire::Note>("notes_by_entity_page.json");
        assert_eq!(p.items.iter().map(|n| n.id).collect::<Vec<_>>(), [42709325, 42736075]);
        assert!(
            p.items
                .iter()
                .all(|n| map::map_note(n, EntityKind::Deal).is_some_and(|a| a.kind == ActivityKind::Note))
        );
    });
    check("notes_by_entity_type_page.json", &|| {
        let p = page::<wire::Note>("notes_by_entity_type_page.json");
        assert_eq!(p.items[1].note_type, "attachment");
        assert!(map::map_note(&p.items[1], EntityKind::Deal).is_none(), "a file is not an activity");
    });
    check("oauth_token_response.json", &|| {
        let t = one::<wire::TokenResponse>("oauth_token_response.json");
        assert_eq!(
            (t.token_type.as_str(), t.expires_in, t.server_time),
            ("Bearer", Some(86400), Some(1751621727))
        );
        assert_eq!(t.access_token.expose(), "xxxxxx");
        assert!(!format!("{t:?}").contains("xxxx"), "tokens stay out of Debug");
    });
    check("error_validation_400.json", &|| {
        let p = one::<wire::Problem>("error_validation_400.json");
        assert_eq!(p.status, Some(400));
        assert_eq!(
            p.summary(),
            "Bad Request: Request validation failed; custom_fields_values.0.field_id: The value you selected is not a valid choice."
        );
    });
    check("catalog_elements_page.json", &|| {
        #[derive(Deserialize)]
        struct Element {
            id: i64,
            name: String,
            #[serde(deserialize_with = "tsifra_amocrm::de::list")]
            custom_fields_values: Vec<wire::FieldValues>,
        }
        let p = page::<Element>("catalog_elements_page.json");
        let e = &p.items[0];
        assert_eq!((e.id, e.name.as_str()), (525439, "Элемент"));
        let typed = |field: Id| {
            let fv = e.custom_fields_values.iter().find(|f| f.field_id == field).unwrap();
            let ft = map::field_type(fv.field_type.as_deref().unwrap(), fv.field_code.as_deref());
            map::field_value(ft, fv, chrono_tz::Europe::Moscow).unwrap()
        };
        assert_eq!(typed(271207), FieldValue::Text("dsg".into()));
        assert_eq!(typed(271211), FieldValue::Number(Decimal::from(12)), "numeric arrives as a string");
        assert_eq!(typed(271213), FieldValue::Options(vec!["Телефоны".into()]));
    });
    check("catalogs_page.json", &|| {
        let p = page::<wire::LossReason>("catalogs_page.json"); // {id, name, sort}: the same shape
        let catalogs: Vec<_> = p.items.iter().map(|c| (c.id, c.name.as_str())).collect();
        assert_eq!(catalogs, [(4589, "Просто список"), (4521, "Товары"), (4517, "Счета")]);
    });
    check("tags_page.json", &|| {
        let p = page::<wire::Tag>("tags_page.json");
        assert_eq!((p.items[0].id, p.items[0].name.as_str()), (Some(2707), "Заявка с сайта"));
    });
    #[derive(Deserialize)]
    struct Generic {
        #[serde(deserialize_with = "tsifra_amocrm::de::string")]
        id: String,
    }
    for (name, first_id) in [
        ("custom_field_groups_page.json", "default"),
        ("webhooks_list.json", "839656"),
        ("calls_add_response.json", "37512063"),
    ] {
        check(name, &|| {
            let p = page::<Generic>(name);
            assert_eq!(p.items[0].id, first_id, "{name}");
        });
    }
    check("custom_field_group_detail.json", &|| {
        let g = one::<Generic>("custom_field_group_detail.json");
        assert_eq!(g.id, "leads_2745");
    });
    check("entity_links_page.json", &|| {
        #[derive(Deserialize)]
        struct Link {
            #[serde(deserialize_with = "tsifra_amocrm::de::id")]
            to_entity_id: i64,
            to_entity_type: String,
        }
        let p = page::<Link>("entity_links_page.json");
        assert_eq!(p.items.len(), 4);
        assert_eq!(
            (p.items[1].to_entity_id, p.items[1].to_entity_type.as_str()),
            (11069775, "contacts")
        );
    });
    check("unsorted_page.json", &|| {
        #[derive(Deserialize)]
        struct Unsorted {
            uid: String,
            #[serde(deserialize_with = "tsifra_amocrm::de::opt_i64")]
            pipeline_id: Option<i64>,
            #[serde(rename = "_embedded")]
            embedded: wire::PartyEmbedded,
        }
        let p = page::<Unsorted>("unsorted_page.json");
        let u = &p.items[0];
        assert_eq!(
            (u.uid.as_str(), u.pipeline_id),
            ("98fb033cefde74f5de1a5d3980a2a2d108037", Some(2194576))
        );
        assert_eq!(u.embedded.leads[0].id, 7002787);
        assert_eq!(u.embedded.contacts[0].id, 13176707);
    });
    for (name, kind, id, action) in [
        ("webhook_docs_company_add_decoded.json", EntityKind::Company, 10959143, Action::Add),
        ("webhook_docs_contact_add_decoded.json", EntityKind::Contact, 10952709, Action::Add),
        (
            "webhook_docs_digital_pipeline_status.json",
            EntityKind::Deal,
            4831596,
            Action::Status,
        ),
        ("webhook_docs_lead_status_decoded.json", EntityKind::Deal, 25399013, Action::Status),
    ] {
        check(name, &|| {
            let p = webhook::parse(read(name).as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.changes.len(), 1, "{name}: {p:?}");
            assert_eq!(
                (p.changes[0].kind, p.changes[0].id, p.changes[0].action.clone()),
                (kind, id, action.clone()),
                "{name}"
            );
        });
    }

    // Every valid-JSON sample is covered by a check above.
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".json") && !checked.contains(&name) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "samples without a check: {missing:?}");
}

#[test]
fn every_webhook_body_parses() {
    let dir = samples_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("webhook_") && n.ends_with(".txt"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 10,
        "expected the recorded webhook bodies in {}, found {names:?}",
        dir.display()
    );
    let expected: &[(&str, EntityKind, Id, Action, Option<&str>)] = &[
        (
            "webhook_company_add.txt",
            EntityKind::Company,
            1110,
            Action::Add,
            Some("test000002"),
        ),
        (
            "webhook_company_delete.txt",
            EntityKind::Company,
            52379505,
            Action::Delete,
            Some("test"),
        ),
        (
            "webhook_contact_add.txt",
            EntityKind::Contact,
            1112,
            Action::Add,
            Some("test000002"),
        ),
        (
            "webhook_contact_restore.txt",
            EntityKind::Contact,
            1065,
            Action::Restore,
            Some("test000002"),
        ),
        ("webhook_lead_add.txt", EntityKind::Deal, 31926529, Action::Add, Some("test000002")),
        ("webhook_lead_delete.txt", EntityKind::Deal, 52379505, Action::Delete, Some("test")),
        (
            "webhook_lead_responsible.txt",
            EntityKind::Deal,
            31926520,
            Action::Responsible,
            Some("test000002"),
        ),
        (
            "webhook_lead_restore.txt",
            EntityKind::Deal,
            40334183,
            Action::Restore,
            Some("test"),
        ),
        (
            "webhook_lead_status.txt",
            EntityKind::Deal,
            31926520,
            Action::Status,
            Some("test000002"),
        ),
        (
            "webhook_lead_status_2.txt",
            EntityKind::Deal,
            40337679,
            Action::Status,
            Some("test"),
        ),
        (
            "webhook_lead_update.txt",
            EntityKind::Deal,
            31926520,
            Action::Update,
            Some("test000002"),
        ),
        // The docs' decoded (PHP array) view with comments, twice: read as JSON once comments are dropped.
        (
            "webhook_docs_task_update_decoded.invalid-json.txt",
            EntityKind::Task,
            11122233,
            Action::Update,
            Some("test"),
        ),
    ];
    for name in &names {
        let (_, kind, id, action, subdomain) = expected
            .iter()
            .find(|e| e.0 == name)
            .unwrap_or_else(|| panic!("no expectation for {name}"));
        let body = read(name);
        let body = if body.trim_start().starts_with('{') {
            let cleaned = strip_comments(&body);
            let first: Value = serde_json::Deserializer::from_str(&cleaned)
                .into_iter::<Value>()
                .next()
                .unwrap()
                .unwrap();
            first.to_string()
        } else {
            body
        };
        let p = webhook::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.subdomain.as_deref(), *subdomain, "{name}");
        assert_eq!(p.changes.len(), 1, "{name}: {p:?}");
        let c = &p.changes[0];
        assert_eq!((c.kind, c.id, &c.action), (*kind, *id, action), "{name}");
    }
    let p = webhook::parse(read("webhook_lead_status_2.txt").as_bytes()).unwrap();
    assert_eq!(p.malformed_keys, 1, "the broken trailing key is tolerated");
}

/// The samples that are not valid JSON as published, read after the repair a
/// person would make, to exercise the same wire types on their richer content.
#[test]
fn repaired_docs_examples_parse() {
    let lead: wire::Lead = serde_json::from_str(&strip_trailing_commas(&read("lead_detail_with_embedded.invalid-json.txt"))).unwrap();
    let d = map::map_lead(&lead, &ctx(), None);
    assert_eq!((d.id, d.stage_id, d.amount), (3912171, 143, Money::from_major(12)));
    assert_eq!(d.loss_reason_id, Some(4203748));
    assert_eq!(lead.embedded.loss_reason[0].name, "Пропала потребность", "loss_reason as an array");
    assert_eq!((d.company_id, d.contact_ids.clone()), (Some(10971463), vec![10971465]));
    assert_eq!((d.lead_source.as_deref(), d.tags.clone()), (Some("API"), vec!["тест".to_string()]));

    let e: Value = serde_json::from_str(&strip_trailing_commas(&read("event_value_lead_status_changed.invalid-json.txt"))).unwrap();
    let values: Vec<Value> = serde_json::from_value(e["value_after"].clone()).unwrap();
    assert_eq!(wire::Event::lead_status(&values), Some((437642, 5233224)));

    let text = read("account_with_all.invalid-json.txt").replace("\"https://drive-b.amocrm.ru\"\n", "\"https://drive-b.amocrm.ru\",\n");
    let a: wire::Account = serde_json::from_str(&text).unwrap();
    assert_eq!(a.is_api_filter_enabled, Some(true));
    assert_eq!(map::account_tz(&a), chrono_tz::Europe::Moscow);
    let kinds = map::task_kinds(&a);
    assert_eq!((kinds[&1], kinds[&2]), (TaskKind::Call, TaskKind::Meeting));
    let (account, teams) = map::map_account(&a, &ctx());
    assert_eq!(
        (account.name.as_str(), account.time_zone.as_str(), account.currency.as_str()),
        ("example", "Europe/Moscow", "RUB")
    );
    assert_eq!((teams[0].id, teams[0].name.as_str()), (0, "Отдел продаж"));

    // Custom field value fragments: typed by the field types their docs block names.
    let fragment = |name: &str| -> Vec<wire::FieldValues> {
        let body = strip_trailing_commas(&format!("{{{}}}", strip_comments(&read(name))));
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        tsifra_amocrm::de::list_from_value(v["custom_fields_values"].clone())
    };
    let tz = chrono_tz::Europe::Moscow;
    let f = fragment("cf_values_text_numeric_textarea_price_streetaddress.fragment.txt");
    assert_eq!(
        map::field_value(FieldType::Number, &f[1], tz),
        Some(FieldValue::Number(Decimal::new(15, 1)))
    );
    assert_eq!(
        map::field_value(FieldType::Money, &f[3], tz),
        Some(FieldValue::Money(Money::from_major(100)))
    );
    assert_eq!(
        map::field_value(FieldType::Text, &f[2], tz),
        Some(FieldValue::Text("Строка1\nСтрока2".into()))
    );
    let f = fragment("cf_values_checkbox.fragment.txt");
    assert_eq!(map::field_value(FieldType::Checkbox, &f[0], tz), Some(FieldValue::Bool(true)));
    let f = fragment("cf_values_date_datetime_birthday.fragment.txt");
    let date = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    assert_eq!(map::field_value(FieldType::Date, &f[0], tz), Some(FieldValue::Date(date)));
    assert_eq!(
        map::field_value(FieldType::DateTime, &f[1], tz),
        Some(FieldValue::Instant(ts(1591965296)))
    );
    let f = fragment("cf_values_multitext.fragment.txt");
    assert_eq!(
        map::field_value(FieldType::Phone, &f[0], tz),
        Some(FieldValue::Text("+79121234567, +74991234567".into()))
    );
    let f = fragment("cf_values_select_multiselect_radiobutton_category.fragment.txt");
    assert_eq!(
        map::field_value(FieldType::Select, &f[0], tz),
        Some(FieldValue::Options(vec!["Значение 1".into()]))
    );
    assert_eq!(
        map::field_value(FieldType::MultiSelect, &f[1], tz),
        None,
        "enum ids alone (a write body) carry no text"
    );
    let f = fragment("cf_values_legal_entity.fragment.txt");
    assert_eq!(
        map::field_value(FieldType::Text, &f[0], tz),
        Some(FieldValue::Text("ООО Рога и копыта".into()))
    );
    let f = fragment("cf_values_smart_address.fragment.txt");
    assert_eq!(
        map::field_value(FieldType::Text, &f[0], tz),
        Some(FieldValue::Text("Николоямская улица 28/60, Москва, Москва, 109004, RU".into()))
    );
    let f = fragment("cf_values_url.fragment.txt");
    assert_eq!(
        map::field_value(FieldType::Url, &f[0], tz),
        Some(FieldValue::Text("https://www.amocrm.ru/".into()))
    );
}
