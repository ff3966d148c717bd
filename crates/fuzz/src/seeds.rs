//! Valid inputs to start from, one or more per target, in the shapes real
//! files and answers have; plus, for amoCRM, the verbatim responses in
//! `TSIFRA_AMOCRM_SAMPLES` when that directory is there.

use crate::Target;

const LEADS: &str = r#"{"_page":1,"_links":{"self":{"href":"https://x.amocrm.ru/api/v4/leads"},"next":{"href":"https://x.amocrm.ru/api/v4/leads?page=2"}},
"_embedded":{"leads":[{"id":19619,"name":"Сделка","price":46333,"responsible_user_id":123,"group_id":625,"status_id":142,
"pipeline_id":1300,"loss_reason_id":null,"created_by":321,"updated_by":321,"created_at":1453279607,"updated_at":1502193501,
"closed_at":1483005931,"closest_task_at":null,"is_deleted":false,"custom_fields_values":[{"field_id":3,"field_name":"Маржа",
"field_code":null,"field_type":"numeric","values":[{"value":"12000.50"}]},{"field_id":4,"field_name":"Оплата","field_type":"date",
"values":[{"value":1700000000}]},{"field_id":5,"field_name":"Продукт","field_type":"select","values":[{"value":"Гамма","enum_id":7}]},
{"field_id":6,"field_name":"Теги","field_type":"multiselect","values":[{"value":"a","enum_id":8},{"value":"b","enum_id":9}]}],
"score":null,"account_id":5135160,"labor_cost":null,"_embedded":{"tags":[{"id":1,"name":"VIP","color":null}],
"companies":[{"id":10971463}],"contacts":[{"id":7143599,"is_main":true}],"loss_reason":[]}},
{"id":"19620","name":null,"price":"1000","responsible_user_id":"124","status_id":143,"pipeline_id":1300,"created_at":"1453279607",
"updated_at":1502193501,"closed_at":null,"custom_fields_values":null,"_embedded":{"tags":[],"companies":[],"loss_reason":[{"id":5,"name":"Дорого"}]}}]}}"#;

const CONTACTS: &str = r#"{"_page":1,"_embedded":{"contacts":[{"id":3,"name":"Иван Петров","first_name":"Иван","last_name":"Петров",
"responsible_user_id":504141,"group_id":0,"created_by":504141,"updated_by":504141,"created_at":1582117331,"updated_at":1590943929,
"closest_task_at":null,"is_deleted":false,"custom_fields_values":[{"field_id":3,"field_name":"Телефон","field_code":"PHONE",
"field_type":"multitext","values":[{"value":"+79123","enum_id":1,"enum_code":"WORK"}]},{"field_id":9,"field_name":"ИНН",
"field_type":"text","values":[{"value":"7707083893"}]}],"account_id":28805383,"_embedded":{"tags":[],"companies":[{"id":11}],
"leads":[{"id":19619}]}}]}}"#;

const TASKS: &str = r#"{"_page":1,"_embedded":{"tasks":[{"id":4745251,"created_by":3987910,"updated_by":3987910,"created_at":1575364000,
"updated_at":1575364851,"responsible_user_id":123123,"group_id":0,"entity_id":167353,"entity_type":"leads","duration":0,
"is_completed":true,"task_type_id":1,"text":"Позвонить","result":{"text":"Готово"},"complete_till":1575665940,"account_id":321321},
{"id":"4745252","entity_id":null,"entity_type":null,"is_completed":false,"task_type_id":2,"text":null,"result":[],"complete_till":-1,
"created_at":0,"created_by":0}]}}"#;

const EVENTS: &str = r#"{"_page":1,"_embedded":{"events":[{"id":"01pz58t6p04vjd6hnbd4hmc6f0","type":"lead_status_changed",
"entity_id":19619,"entity_type":"lead","created_by":939801,"created_at":1590649598,"value_after":[{"lead_status":{"id":142,
"pipeline_id":1300}}],"value_before":[{"lead_status":{"id":7,"pipeline_id":1300}}],"account_id":28806433},
{"id":"01pz58t6p04vjd6hnbd4hmc6f1","type":"entity_responsible_changed","entity_id":19619,"entity_type":"lead","created_at":1590649599,
"value_after":[{"responsible_user":{"id":124}}],"value_before":[{"responsible_user":{"id":123}}]},
{"id":"e3","type":"incoming_call","entity_id":3,"entity_type":"contact","created_at":1590649600,"value_after":[{"note":{"id":42}}]}]}}"#;

const NOTES: &str = r#"{"_page":1,"_embedded":{"notes":[{"id":42,"entity_id":19619,"created_by":123,"updated_by":123,"created_at":1588841241,
"updated_at":1588841241,"responsible_user_id":123,"group_id":0,"note_type":"call_out","params":{"uniq":"8f52d38a","duration":60,
"source":"onlinePBX","link":"https://example.com/rec.mp3","phone":"+79999999999","call_status":4,"call_result":"Поговорили"},
"account_id":17079858},{"id":43,"entity_id":19619,"note_type":"common","params":{"text":"Встреча в офисе"},"created_at":1588841242}]}}"#;

const PIPELINES: &str = r##"{"_total_items":1,"_embedded":{"pipelines":[{"id":3177727,"name":"Воронка","sort":1,"is_main":true,
"is_unsorted_on":true,"is_archive":false,"account_id":12345678,"_embedded":{"statuses":[{"id":32392156,"name":"Неразобранное",
"sort":10,"is_editable":false,"pipeline_id":3177727,"color":"#c1c1c1","type":1,"account_id":12345678},{"id":142,"name":"Успешно",
"sort":10000,"pipeline_id":3177727,"type":0},{"id":143,"name":"Закрыто и не реализовано","sort":11000,"pipeline_id":3177727,"type":0}]}}]}}"##;

const FIELDS: &str = r#"{"_total_items":2,"_page":1,"_embedded":{"custom_fields":[{"id":3,"name":"Маржа","type":"numeric","code":null,
"sort":510,"is_api_only":false,"enums":null},{"id":5,"name":"Продукт","type":"select","enums":[{"id":7,"value":"Гамма","sort":1}]},
{"id":4,"name":"Оплата","type":"date"},{"id":9,"name":"ИНН","type":"text","code":"INN"}]}}"#;

const USERS: &str = r#"{"_total_items":2,"_embedded":{"users":[{"id":123,"name":"Анна Смирнова","email":"anna@example.ru","lang":"ru",
"rights":{"is_active":true,"group_id":625,"is_admin":false}},{"id":124,"name":"Борис","email":null,"rights":{"is_active":false,"group_id":null}}]}}"#;

const ACCOUNT: &str = r#"{"id":1231414,"name":"Компания","subdomain":"example","created_at":1585840134,"created_by":321321,
"current_user_id":504141,"country":"RU","currency":"RUB","currency_symbol":"₽","customers_mode":"disabled","is_unsorted_on":true,
"mobile_feature_version":0,"is_loss_reason_enabled":true,"is_helpbot_enabled":false,"is_technical_account":false,
"contact_name_display_order":1,"amojo_id":"x","uuid":"y","version":11,"_embedded":{"users_groups":[{"id":0,"name":"Отдел продаж"},
{"id":625,"name":"Команда Север"}],"task_types":[{"id":1,"name":"Связаться","color":null,"icon_id":null,"code":"FOLLOW_UP"},
{"id":2,"name":"Встреча","code":"MEETING"}],"datetime_settings":{"date_pattern":"d.m.Y H:i","timezone":"Europe/Moscow",
"timezone_offset":"+03:00"}}}"#;

const WEBHOOK: &str = "leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013&leads%5Bstatus%5D%5B0%5D%5Bname%5D=Lead+title&\
leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142&leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D=7&leads%5Bstatus%5D%5B0%5D%5Bprice%5D=1000&\
leads%5Bupdate%5D%5B0%5D%5Bid%5D=25399013&leads%5Bdelete%5D%5B0%5D%5Bid%5D=3&contacts%5Badd%5D%5B0%5D%5Bid%5D=7&\
contacts%5Badd%5D%5B0%5D%5Btype%5D=company&unsorted%5Badd%5D%5B0%5D%5Buid%5D=u1&account%5Bsubdomain%5D=example&account%5Bid%5D=29085955";

const PLANS_LONG: &str = "Менеджер;Период;Показатель;План\nАнна Смирнова;2026-11;выручка;1 500 000,50\n\
борис елкин;2026-W48;won_deals;12\nteam;2026-11;margin;900000\nVera Kim;2026-Q4;revenue;\"3 000 000\"\n";

const PLANS_WIDE: &str = "Менеджер,янв 2027,фев 2027,мар 2027\nАнна Смирнова,100000,200000,300000\nБорис Ёлкин,1,2,3\n";

const CALENDAR_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<calendar year="2027" lang="ru" date="2026.09.01"><holidays><holiday id="1" title="Новогодние каникулы"/></holidays>
<days><day d="01.01" t="1" h="1"/><day d="01.02" t="1" h="1"/><day d="02.22" t="2"/><day d="03.06" t="3"/></days></calendar>"#;

const CALENDAR_CSV: &str = "date,kind\n2027-01-01,holiday\n2027-02-22,short\n2027-03-06,work\n";

const CONFIG: &str = r#"[business]
time_zone = "Asia/Yekaterinburg"
currency = "RUB"
language = "ru"
week_start = "monday"

[server]
bind = "127.0.0.1:8080"

[amocrm]
base_url = "https://example.amocrm.ru"
sync_every_minutes = 10

[tv]
boards = ["plan-fact:30", "leaderboard", "hygiene:0.5"]

[fields]
margin = "Маржа"
product = "Продукт"
"#;

const EXPLORE: &[&str] = &[
    "measure=revenue&by=manager&by=month&period=last_quarter&compare=previous",
    "measure=win_rate&by=team&where=pipeline=Воронка&period=2026-01-01..2026-06-30&limit=5",
    "measure=cycle_median&by=company&where=manager=1|2&period=last_30_days&compare=year_ago",
    "measure=calls&by=day&period=this_month",
];

/// The seeds of `target`.
pub fn seeds(target: Target) -> Vec<Vec<u8>> {
    let texts: Vec<&str> = match target {
        Target::PlansCsv => vec![PLANS_LONG, PLANS_WIDE],
        Target::PlansXlsx => return [PLANS_LONG, PLANS_WIDE].iter().map(|t| xlsx(t)).collect(),
        Target::Calendar => vec![CALENDAR_XML, CALENDAR_CSV],
        Target::Webhook => vec![WEBHOOK],
        Target::Amocrm => vec![LEADS, CONTACTS, TASKS, EVENTS, NOTES, PIPELINES, FIELDS, USERS, ACCOUNT],
        Target::Config => vec![CONFIG, "ENV TSIFRA_SERVER__BIND=0.0.0.0:80\n"],
        Target::Explore => EXPLORE.to_vec(),
    };
    let mut out: Vec<Vec<u8>> = texts.into_iter().map(|t| t.as_bytes().to_vec()).collect();
    if target == Target::Amocrm
        && let Some(dir) = std::env::var_os("TSIFRA_AMOCRM_SAMPLES")
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        out.extend(
            files
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .filter_map(|p| std::fs::read(p).ok()),
        );
    }
    out
}

/// A workbook with `csv`'s cells (`;` or `,` separated), numbers as numbers.
fn xlsx(csv: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in csv.lines().enumerate() {
        let sep = if line.contains(';') { ';' } else { ',' };
        for (c, cell) in line.split(sep).enumerate() {
            let (r, c) = (r as u32, c as u16);
            let written = match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(r, c, n).map(|_| ()),
                Err(_) => sheet.write_string(r, c, cell).map(|_| ()),
            };
            written.expect("a cell of a seed");
        }
    }
    book.save_to_buffer().expect("a seed workbook")
}
