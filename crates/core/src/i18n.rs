//! Russian and English: the words users read, and numbers, money, dates and
//! percentages formatted the way each language writes them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Money;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Ru,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Ru => "ru",
            Language::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Language> {
        match s {
            "ru" => Some(Language::Ru),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

const NBSP: char = '\u{a0}';

/// The minus sign as the language prints it: Russian typography uses the
/// real minus (−, U+2212), English the hyphen-minus.
pub fn minus(lang: Language) -> char {
    match lang {
        Language::Ru => '\u{2212}',
        Language::En => '-',
    }
}

/// Groups digits in thousands: "1 234 567" (ru, no-break spaces) or "1,234,567" (en); "−1 234" below zero.
pub fn format_int(lang: Language, value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let sep = match lang {
        Language::Ru => NBSP,
        Language::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 3);
    if value < 0 {
        out.push(minus(lang));
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

pub fn currency_symbol(currency: &str) -> &str {
    match currency {
        "RUB" => "₽",
        "USD" => "$",
        "EUR" => "€",
        "KZT" => "₸",
        "BYN" => "Br",
        "UAH" => "₴",
        other => other,
    }
}

/// Money in whole units, rounded half away from zero: "1 234 567 ₽" / "₽1,234,567".
pub fn format_money(lang: Language, currency: &str, amount: Money) -> String {
    let minor = amount.minor() as i128; // ±50 must not overflow at i64's ends
    let major = (if minor >= 0 { (minor + 50) / 100 } else { (minor - 50) / 100 }) as i64;
    let symbol = currency_symbol(currency);
    match lang {
        Language::Ru => format!("{}{NBSP}{symbol}", format_int(lang, major)),
        Language::En if major < 0 => format!("-{symbol}{}", format_int(lang, -major)),
        Language::En => format!("{symbol}{}", format_int(lang, major)),
    }
}

/// A percentage with one decimal: "82,5 %" / "82.5%".
pub fn format_percent(lang: Language, percent: f64) -> String {
    let text = format!("{percent:.1}");
    match lang {
        Language::Ru => format!("{}{NBSP}%", text.replace('.', ",").replace('-', "\u{2212}")),
        Language::En => format!("{text}%"),
    }
}

/// A whole percentage as a setting gives it: "30 %" (no-break space) / "30%".
pub fn format_whole_percent(lang: Language, percent: i64) -> String {
    match lang {
        Language::Ru => format!("{}{NBSP}%", format_int(lang, percent)),
        Language::En => format!("{percent}%"),
    }
}

/// A number with one decimal: "12,5" / "12.5" (days in a stage).
pub fn format_decimal(lang: Language, value: f64) -> String {
    let text = format!("{value:.1}");
    match lang {
        Language::Ru => text.replace('.', ",").replace('-', "\u{2212}"),
        Language::En => text,
    }
}

/// "26.11.2026" / "Nov 26, 2026".
pub fn format_date(lang: Language, date: NaiveDate) -> String {
    match lang {
        Language::Ru => date.format("%d.%m.%Y").to_string(),
        Language::En => date.format("%b %-d, %Y").to_string(),
    }
}

/// Month names as a date says them: "30 ноября".
pub const MONTHS_GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// A day of the month as it is said: "30 ноября" / "30 November" ("сегодня, 30 ноября").
pub fn format_day_month(lang: Language, date: NaiveDate) -> String {
    use chrono::Datelike;
    match lang {
        Language::Ru => format!("{} {}", date.day(), MONTHS_GENITIVE[date.month0() as usize]),
        Language::En => date.format("%-d %B").to_string(),
    }
}

/// The days of a period as people write them: "30.11" for one day,
/// "30.11–06.12" for several ("Nov 30", "Nov 30 – Dec 6").
pub fn format_days(lang: Language, period: &crate::calendar::Period) -> String {
    let (first, last) = (period.start, period.last_day());
    let day = |d: NaiveDate| match lang {
        Language::Ru => d.format("%d.%m").to_string(),
        Language::En => d.format("%b %-d").to_string(),
    };
    match (first == last, lang) {
        (true, _) => day(first),
        (false, Language::Ru) => format!("{}–{}", day(first), day(last)),
        (false, Language::En) => format!("{} – {}", day(first), day(last)),
    }
}

/// A text with `{name}` placeholders filled in.
pub fn text_with(lang: Language, key: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text(lang, key).to_string(), |s, (name, value)| {
        s.replace(&format!("{{{name}}}"), value)
    })
}

/// The Russian plural form for `n`: 1 сделка, 2 сделки, 5 сделок, 21 сделка, 11 сделок.
pub fn plural<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let n = n.unsigned_abs();
    match (n % 10, n % 100) {
        (1, m) if m != 11 => one,
        (2..=4, m) if !(12..=14).contains(&m) => few,
        _ => many,
    }
}

/// A number with its noun in the right form: "1 план", "3 плана", "5 планов" /
/// "1 plan", "5 plans" (`ru`: one, few, many; `en`: one, other).
pub fn count(lang: Language, n: i64, ru: [&str; 3], en: [&str; 2]) -> String {
    match lang {
        Language::Ru => format!("{}{NBSP}{}", format_int(lang, n), plural(n, ru[0], ru[1], ru[2])),
        Language::En => format!("{} {}", format_int(lang, n), if n == 1 { en[0] } else { en[1] }),
    }
}

/// Text from the CRM or a file made safe for a terminal or a log line: control
/// characters (escape sequences that could move the cursor, recolour or retitle
/// the terminal, line breaks inside a cell) become spaces.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// A whole text for a terminal (a table, a CSV stream, a list): line breaks and
/// tabs stay, every other control character (ESC, BEL, CR, C1 codes) becomes a
/// space, so no name from the CRM can move the cursor, clear the screen or
/// rewrite what was printed before it.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.chars().any(unsafe_char) {
        text.chars()
            .map(|c| if unsafe_char(c) { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// Words shown to users, by key. Every key has both languages (a test checks).
pub fn text(lang: Language, key: &str) -> &'static str {
    // Reports look texts up per row: a map, not a scan of the table.
    static BY_KEY: std::sync::LazyLock<rustc_hash::FxHashMap<&'static str, (&'static str, &'static str)>> =
        std::sync::LazyLock::new(|| TEXTS.iter().map(|&(k, ru, en)| (k, (ru, en))).collect());
    let Some(&(ru, en)) = BY_KEY.get(key) else {
        debug_assert!(false, "missing text key {key}");
        return "?";
    };
    match lang {
        Language::Ru => ru,
        Language::En => en,
    }
}

/// (key, Russian, English).
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app.tagline", "аналитика отдела продаж", "sales analytics"),
    ("cli.error", "ошибка", "error"),
    (
        "server.too_large",
        "Запрос больше {kb} КБ: такие Tsifra не принимает (предел задаёт [server] max_body_kb).",
        "The request is larger than {kb} KB, which Tsifra does not accept (the limit is [server] max_body_kb).",
    ),
    (
        "server.timeout",
        "Ответ не уложился в {seconds} с (предел задаёт [server] request_timeout_seconds). Попробуйте ещё раз или сузьте запрос.",
        "The answer took longer than {seconds} s (the limit is [server] request_timeout_seconds). Try again, or ask for less.",
    ),
    (
        "store.read_only",
        "Диск с базой данных заполнен: Tsifra показывает последние сохранённые данные только для чтения. \
         Синхронизация, вебхуки и импорт сейчас не сохраняются. Освободите место на диске: \
         через несколько секунд после этого Tsifra сама начнёт сохранять снова.",
        "The database's disk is full: Tsifra shows the last stored data, read-only. \
         Syncs, webhooks and imports are not being stored. Free some disk space: \
         within seconds of that Tsifra stores again by itself.",
    ),
    (
        "bad_value.message",
        "{record}, поле «{field}»: {value} — {problem}, считается незаполненным",
        "{record}, field \"{field}\": {value} — {problem}, counted as missing",
    ),
    ("bad_value.deal", "Сделка «{name}» (#{id})", "Deal \"{name}\" (#{id})"),
    ("bad_value.company", "Компания «{name}» (#{id})", "Company \"{name}\" (#{id})"),
    ("bad_value.contact", "Контакт «{name}» (#{id})", "Contact \"{name}\" (#{id})"),
    ("bad_value.record", "Запись «{name}» (#{id})", "Record \"{name}\" (#{id})"),
    (
        "bad_value.too_large",
        "больше любой суммы (предел 92 233 720 368 547 758)",
        "larger than any amount (the limit is 92,233,720,368,547,758)",
    ),
    ("bad_value.not_an_amount", "не сумма", "not an amount"),
    (
        "bad_value.header",
        "Значений, которые нельзя использовать: {n}. Они считаются незаполненными; исправьте их в CRM:",
        "Values that cannot be used: {n}. They count as missing; correct them in the CRM:",
    ),
    ("bad_value.more", "…и ещё {n} (см. журнал)", "…and {n} more (see the log)"),
    ("bad_value.price", "Бюджет", "Budget"),
    ("entity.user", "Менеджеры", "Managers"),
    ("entity.team", "Отделы", "Teams"),
    ("entity.pipeline", "Воронки", "Pipelines"),
    ("entity.loss_reason", "Причины отказа", "Loss reasons"),
    ("entity.field_def", "Дополнительные поля", "Custom fields"),
    ("entity.company", "Компании", "Companies"),
    ("entity.contact", "Контакты", "Contacts"),
    ("entity.deal", "Сделки", "Deals"),
    ("entity.task", "Задачи", "Tasks"),
    ("entity.activity", "Коммуникации", "Communications"),
    ("entity.payment", "Платежи", "Payments"),
    ("entity.plan", "Планы", "Plans"),
    ("home.workspace", "Рабочее пространство", "Workspace"),
    ("home.period", "Данные за период", "Data period"),
    ("home.time_zone", "Часовой пояс", "Time zone"),
    ("home.as_of", "На момент", "As of"),
    ("home.boards", "Отчёты", "Boards"),
    ("home.records", "Записей", "Records"),
    (
        "home.no_data",
        "Данных пока нет: запустите tsifra demo или импорт.",
        "No data yet: run tsifra demo or an import.",
    ),
    ("home.coming", "появится скоро", "coming soon"),
    ("home.api", "API", "API"),
    (
        "calendar.fallback",
        "Производственный календарь на {years} г. не загружен: рабочие дни считаются по Трудовому кодексу \
         (праздники ст. 112, выходной, совпавший с праздником, переносится на следующий рабочий день), \
         без переносов по постановлению Правительства. Загрузите календарь: tsifra calendar import ФАЙЛ",
        "The production calendar for {years} is not loaded: working days follow the Labour Code \
         (the holidays of art. 112; one falling on a weekend moves to the next working day), \
         without the government's transfers. Load it with: tsifra calendar import FILE",
    ),
    ("calendar.title", "Рабочие дни по месяцам", "Working days per month"),
    ("calendar.year", "Год", "Year"),
    ("calendar.source", "Откуда", "Source"),
    ("calendar.total", "Всего", "Total"),
    (
        "calendar.source.decree",
        "постановление № {number} от {signed}",
        "decree No. {number} of {signed}",
    ),
    ("calendar.source.imported", "импорт из {file}", "imported from {file}"),
    (
        "calendar.source.labour_code",
        "Трудовой кодекс без переносов: не загружен",
        "Labour Code, no transfers: not loaded",
    ),
    ("calendar.source.weekdays", "пн–пт, без праздников", "Mon–Fri, no holidays"),
    ("calendar.days_off", "Нерабочие будни", "Weekdays off"),
    ("calendar.working_weekends", "Рабочие выходные", "Working weekends"),
    ("calendar.short_days", "Сокращённые дни", "Shortened days"),
    (
        "calendar.imported",
        "{year}: загружен из {file}, рабочих дней: {days}",
        "{year}: loaded from {file}, {days} working days",
    ),
    (
        "calendar.restart",
        "Отчёты используют его сразу; запущенный сервер — после перезапуска.",
        "Reports use it at once; a running server after a restart.",
    ),
    ("report.no_manager", "Без ответственного", "No manager"),
    (
        "manager.not_found",
        "нет менеджера «{value}»; известные менеджеры: {names}",
        "no manager \"{value}\"; known managers: {names}",
    ),
    (
        "manager.ambiguous",
        "«{value}» подходит к нескольким менеджерам ({n}); укажите id",
        "\"{value}\" matches {n} managers; use the id",
    ),
    (
        "rule.open_deal_without_task",
        "Открытая сделка без задачи",
        "Open deal without a task",
    ),
    ("rule.deal_without_company", "Сделка без компании", "Deal without a company"),
    ("rule.deal_without_contact", "Сделка без контакта", "Deal without a contact"),
    (
        "rule.company_without_qualification",
        "Компания без квалификации",
        "Company without qualification",
    ),
    ("rule.required_fields", "Не заполнены обязательные поля", "Required fields empty"),
    ("rule.overdue_task", "Просроченная задача", "Overdue task"),
    ("rule.stale_deal", "Сделка без движения", "Stale deal"),
    ("rule.zero_amount", "Сделка с нулевым бюджетом", "Deal with zero amount"),
    (
        "rule.contact_without_phone_or_email",
        "Контакт без телефона и e-mail",
        "Contact without phone or e-mail",
    ),
    ("rule.duplicate_companies", "Дубли компаний", "Duplicate companies"),
    // Short rule names: column heads of the per-manager tables and the TV's heat table.
    ("rule_short.open_deal_without_task", "Без задачи", "No task"),
    ("rule_short.deal_without_company", "Без компании", "No company"),
    ("rule_short.deal_without_contact", "Без контакта", "No contact"),
    ("rule_short.company_without_qualification", "Без квалиф.", "Unqualified"),
    ("rule_short.required_fields", "Пустые поля", "Empty fields"),
    ("rule_short.overdue_task", "Просроч. задачи", "Overdue"),
    ("rule_short.stale_deal", "Без движения", "Stale"),
    ("rule_short.zero_amount", "Бюджет 0", "Zero amount"),
    ("rule_short.contact_without_phone_or_email", "Без тел. и почты", "No phone, e-mail"),
    ("rule_short.duplicate_companies", "Дубли", "Duplicates"),
    ("col.since_yesterday", "За день", "Since yesterday"),
    ("col.fixed_this_week", "Исправлено за неделю", "Fixed this week"),
    (
        "report.unknown_rule",
        "неизвестное правило «{value}»; возможные: {names}",
        "unknown rule \"{value}\"; expected one of: {names}",
    ),
    (
        "report.bad_min_days",
        "«{value}»: нужно целое число дней от 0",
        "\"{value}\": expected a whole number of days from 0",
    ),
    (
        "hygiene.note_no_required",
        "обязательные поля не заданы в [hygiene] required",
        "no required fields set in [hygiene] required",
    ),
    (
        "hygiene.note_unmapped",
        "поле квалификации не сопоставлено ([fields] company_qualification)",
        "qualification field not mapped ([fields] company_qualification)",
    ),
    ("period.today", "Сегодня", "Today"),
    ("period.week", "Эта неделя", "This week"),
    ("period.month", "Этот месяц", "This month"),
    ("period.asked", "Период", "Period"),
    ("metric.revenue", "выручка", "revenue"),
    ("metric.margin", "маржа", "margin"),
    ("metric.won_deals", "успешные сделки", "won deals"),
    ("metric.calls", "звонки", "calls"),
    ("col.manager", "Менеджер", "Manager"),
    ("col.plan", "План", "Plan"),
    ("col.fact", "Факт", "Fact"),
    ("col.difference", "Отклонение", "Difference"),
    ("col.percent_done", "Выполнение, %", "% done"),
    ("col.projection", "Прогноз по темпу", "Run-rate projection"),
    ("col.metric", "Показатель", "Metric"),
    ("col.place", "Место", "Place"),
    ("col.value", "Значение", "Value"),
    ("col.won", "Успешных сделок", "Won deals"),
    ("col.average_check", "Средний чек", "Average check"),
    ("col.gap", "Отставание от места выше", "Gap to the place above"),
    ("col.total", "Всего", "Total"),
    ("col.score", "Оценка", "Score"),
    ("col.rule", "Правило", "Rule"),
    ("col.record", "Запись", "Record"),
    ("col.days_open", "Дней открыто", "Days open"),
    ("col.detail", "Подробности", "Detail"),
    ("col.company", "Компания", "Company"),
    ("col.deals_recent", "Сделок за период", "Recent deals"),
    ("col.comms_recent", "Коммуникаций за период", "Recent communications"),
    ("col.last_contact", "Последний контакт", "Last contact"),
    ("col.revenue", "Выручка", "Revenue"),
    ("col.why", "Почему", "Why"),
    ("col.bought_for", "Купил на", "Bought for"),
    ("call_priority.clients", "клиенты с покупками", "clients who bought"),
    ("call_priority.prospects", "без покупок", "never bought"),
    (
        "call_priority.clients_note",
        "Сначала клиенты, которые покупали больше и с кем давно не говорили; каждая сделка и каждый контакт за {days} дн. опускают клиента ниже. Компании без покупок — в отдельном списке.",
        "Clients who bought more and have not been talked to for longer come first; every deal and contact in the last {days} days moves a client down. Companies that never bought are in a list of their own.",
    ),
    (
        "call_priority.prospects_note",
        "Компании без единой покупки: сначала те, где меньше сделок и контактов за {days} дн. и дольше тишина.",
        "Companies that never bought: the fewest deals and contacts in the last {days} days and the longest silence first.",
    ),
    ("col.owed", "Долг", "Owed"),
    ("col.outstanding", "Сумма", "Outstanding"),
    ("col.due_date", "Срок оплаты", "Due date"),
    ("col.days_overdue", "Дней просрочки", "Days overdue"),
    ("col.days_overdue_max", "Макс. дней просрочки", "Longest overdue, days"),
    ("col.count", "Платежей", "Payments"),
    (
        "leaderboard.last_winner",
        "Лучший сотрудник прошлого месяца",
        "Last month's best employee",
    ),
    (
        "leaderboard.previous_winner",
        "Лучший сотрудник предыдущего периода",
        "The previous period's best employee",
    ),
    (
        "leaderboard.default_margin",
        "Для сделок без маржи принята маржа по умолчанию",
        "Deals without a margin assume the default margin of",
    ),
    (
        "leaderboard.margin_basis_field",
        "Маржа: поле «{field}»; где оно пусто — {rate} от выручки (по умолчанию)",
        "Margin: the \"{field}\" field; where it is empty, {rate} of revenue (the default)",
    ),
    (
        "leaderboard.margin_basis_default",
        "Маржа: {rate} от выручки по умолчанию (поле маржи в настройках не задано или не найдено)",
        "Margin: {rate} of revenue by default (no margin field set up or found)",
    ),
    ("hygiene.violations", "Нарушения", "Violations"),
    ("receivables.debtors", "Должники", "Debtors"),
    ("receivables.total", "Всего просрочено", "Total overdue"),
    ("receivables.aging", "Просрочка по срокам", "Aging"),
    ("receivables.due_soon", "Срок оплаты в ближайшие дни", "Falling due soon"),
    ("receivables.no_due_date", "Без срока оплаты", "Without a due date"),
    ("report.no_company", "Без компании", "No company"),
    ("report.team_total", "Весь отдел", "Team total"),
    ("report.selected_total", "Итого", "Total"),
    (
        "mapping.no_deal_field",
        "в CRM нет такого поля сделок",
        "the CRM has no deal field of that name or id",
    ),
    (
        "mapping.no_company_field",
        "в CRM нет такого поля компаний",
        "the CRM has no company field of that name or id",
    ),
    (
        "mapping.no_pipeline",
        "в CRM нет такой воронки",
        "the CRM has no pipeline of that name",
    ),
    (
        "mapping.no_stage_anywhere",
        "ни в одной воронке нет такого этапа",
        "no pipeline has a stage of that name",
    ),
    (
        "mapping.no_stage_in",
        "в воронке «{pipeline}» нет такого этапа",
        "pipeline \"{pipeline}\" has no stage of that name",
    ),
    ("mapping.closest", "; похожие: {names}", "; closest: {names}"),
    (
        "cli.names_no_store",
        "названия   не проверены: хранилища ещё нет (сначала tsifra sync или импорт)",
        "names      not checked: no store yet (run tsifra sync or an import first)",
    ),
    (
        "cli.names_empty_store",
        "названия   не проверены: в хранилище ещё нет полей и воронок",
        "names      not checked: the store holds no fields or pipelines yet",
    ),
    (
        "cli.names_ok",
        "названия   OK: поля, воронки и этапы из настроек есть в CRM",
        "names      OK: the fields, pipelines and stages named exist in the CRM",
    ),
    (
        "cli.names_wrong",
        "названия   не найдено в CRM: {n}",
        "names      not found in the CRM: {n}",
    ),
    (
        "cli.names_warning",
        "настройки называют то, чего нет в CRM",
        "the config names what the CRM does not have",
    ),
    (
        "cli.csv_many_tables",
        "в отчёте несколько таблиц ({tables}), а CSV — одна таблица: выберите --table ИМЯ или --out ПАПКА (файл на каждую таблицу)",
        "the report has several tables ({tables}) and a CSV holds one: pick --table NAME, or --out DIR (a file per table)",
    ),
    (
        "cli.unknown_table",
        "в отчёте нет таблицы «{table}»; есть: {tables}",
        "the report has no table \"{table}\"; it has: {tables}",
    ),
    (
        "cli.out_not_csv",
        "--out пишет только CSV (--format csv); --table выбирает таблицу для csv и table, не для json",
        "--out writes CSV only (--format csv); --table picks a table for csv and table, not json",
    ),
    (
        "cli.out_dir",
        "не удалось записать в папку {dir}: {error}",
        "cannot write to the folder {dir}: {error}",
    ),
    ("cli.wrote", "записан файл {file}", "wrote {file}"),
    (
        "cli.no_plans_from",
        "планы из «{file}» не загружались; загружены файлы: {known}",
        "no plans loaded from \"{file}\"; loaded files: {known}",
    ),
    ("cli.no_plan_files", "никакие", "none"),
    (
        "cli.no_workspace",
        "в {dir} нет рабочего пространства: запустите tsifra demo (и добавьте --data-dir tsifra-demo) или сначала загрузите данные",
        "no workspace in {dir}: run `tsifra demo` (then add --data-dir tsifra-demo) or import your data first",
    ),
    (
        "cli.no_workspace_for_plans",
        "в {dir} нет рабочего пространства: в планах названы менеджеры, поэтому сначала загрузите данные CRM (tsifra demo или tsifra sync)",
        "no workspace in {dir}: plans name managers, so load the CRM data first (tsifra demo, or a sync)",
    ),
    (
        "cli.unknown_report",
        "нет отчёта «{id}»; есть: {ids}",
        "unknown report \"{id}\"; expected one of: {ids}",
    ),
    (
        "cli.url_not_http",
        "--url: нужна ссылка http(s) на опубликованный CSV, а не «{url}»",
        "--url: expected an http(s) link to a published CSV, got \"{url}\"",
    ),
    (
        "cli.download_failed",
        "не удалось скачать {url}: HTTP {status}; таблица опубликована в интернете как CSV?",
        "downloading {url}: HTTP {status}; is the sheet published to the web as CSV?",
    ),
    (
        "cli.calendar_twice",
        "{file}: календарь на {year} год есть и в {earlier}; загружайте один файл на год",
        "{file}: the {year} calendar is also in {earlier}; import one file per year",
    ),
    (
        "cli.year_range",
        "нужен год от 1900 до 2200, а не {year}",
        "expected a year from 1900 to 2200, got {year}",
    ),
    (
        "cli.deals_positive",
        "--deals: нужно положительное число сделок, а не {value}",
        "--deals: expected a positive number of deals, got {value}",
    ),
    (
        "cli.managers_range",
        "--managers: нужно от {min} до {max} менеджеров, а не {value}",
        "--managers: expected {min} to {max} managers, got {value}",
    ),
    (
        "cli.columns_hidden",
        "не поместились по ширине ({width} знаков): {columns} — все столбцы в --format csv",
        "left out to fit {width} characters: {columns} — --format csv has every column",
    ),
    (
        "cli.config_unreadable",
        "не удалось прочитать файл настроек {file}",
        "cannot read the config file {file}",
    ),
    ("cli.cannot_read", "не удалось прочитать файл {file}", "cannot read the file {file}"),
    (
        "cli.cannot_create_data_dir",
        "не удалось создать папку данных {dir}",
        "cannot create the data dir {dir}",
    ),
    (
        "cli.data_dir_not_writable",
        "в папку данных {dir} нельзя записывать",
        "the data dir {dir} is not writable",
    ),
    ("cli.cannot_download", "не удалось скачать {url}", "cannot download {url}"),
    ("cli.config_defaults", "(настройки по умолчанию)", "(built-in defaults)"),
    (
        "cli.config_none",
        "файла настроек нет ({file} не найден): настройки по умолчанию, OK",
        "no config file ({file} not found): built-in defaults, OK",
    ),
    ("cli.config_language", "язык       ", "language   "),
    ("cli.config_time_zone", "пояс       ", "time zone  "),
    ("cli.config_currency", "валюта     ", "currency   "),
    ("cli.config_bind", "адрес      ", "bind       "),
    ("cli.config_store", "хранилище  ", "store      "),
    (
        "amocrm_cli.not_configured",
        "amoCRM не настроен: укажите [amocrm] base_url и long_lived_token (или ключи OAuth2, затем `tsifra amocrm connect`) в {file}",
        "amoCRM is not configured: set [amocrm] base_url and a long_lived_token (or OAuth2 keys, then `tsifra amocrm connect`) in {file}",
    ),
    (
        "amocrm_cli.no_base_url",
        "сначала укажите [amocrm] base_url (https://ПОДДОМЕН.amocrm.ru) в {file}",
        "set [amocrm] base_url (https://SUBDOMAIN.amocrm.ru) in {file} first",
    ),
    (
        "amocrm_cli.oauth_only",
        "amocrm connect нужен только для OAuth2: укажите [amocrm] client_id, client_secret и redirect_uri (или long_lived_token, которому connect не нужен)",
        "amocrm connect is for OAuth2: set [amocrm] client_id, client_secret and redirect_uri (or use long_lived_token, which needs no connect)",
    ),
    (
        "amocrm_cli.step_open",
        "1. Откройте эту ссылку под администратором amoCRM и разрешите доступ:",
        "1. Open this link as an amoCRM administrator and allow access:",
    ),
    (
        "amocrm_cli.step_redirect",
        "2. amoCRM перенаправит браузер на {uri}?code=...",
        "2. amoCRM sends the browser to {uri}?code=...",
    ),
    (
        "amocrm_cli.paste",
        "Вставьте сюда этот адрес (или только код):",
        "Paste that address (or just the code) here:",
    ),
    (
        "amocrm_cli.state_differs",
        "вставленный адрес от другой попытки авторизации (state не совпадает); запустите connect ещё раз",
        "the pasted address belongs to another authorisation attempt (state differs); run connect again",
    ),
    (
        "amocrm_cli.connected",
        "Подключено. Токены сохранены в {file} (читать их может только этот пользователь).",
        "Connected. Tokens are stored in {file} (readable by this user only).",
    ),
    (
        "amocrm_cli.referer",
        "Внимание: amoCRM сообщает, что аккаунт находится по адресу {referer}; если он другой, укажите его в [amocrm] base_url.",
        "Note: amoCRM says the account lives at {referer}; set [amocrm] base_url to it if it differs.",
    ),
    (
        "amocrm_cli.next",
        "Дальше: `tsifra sync` для первой загрузки.",
        "Next: `tsifra sync` for the first load.",
    ),
    ("amocrm_cli.col_entity", "сущность", "entity"),
    ("amocrm_cli.col_type", "тип", "type"),
    ("amocrm_cli.col_name", "название", "name"),
    (
        "amocrm_cli.map_fields",
        "Сопоставьте эти поля со смыслами в разделе [fields] файла tsifra.toml, по id или точному названию, например margin = \"Маржа\".",
        "Map business meanings onto these in [fields] of tsifra.toml, by id or exact name, e.g. margin = \"Маржа\".",
    ),
    ("sync_phase.dictionaries", "справочники", "dictionaries"),
    ("sync_phase.leads", "сделки", "leads"),
    ("sync_phase.contacts", "контакты", "contacts"),
    ("sync_phase.companies", "компании", "companies"),
    ("sync_phase.tasks", "задачи", "tasks"),
    ("sync_phase.notes_leads", "примечания сделок", "notes of leads"),
    ("sync_phase.notes_contacts", "примечания контактов", "notes of contacts"),
    ("sync_phase.notes_companies", "примечания компаний", "notes of companies"),
    ("sync_phase.events", "события", "events"),
    ("sync_phase.deletions", "удаления", "deletions"),
    ("config.at_line", "{file}, строка {line}", "{file}, line {line}"),
    (
        "calendar_import.got",
        "поле {field}: «{value}»; ожидалось: {expected}",
        "{field}: got \"{value}\", expected {expected}",
    ),
    (
        "calendar_import.expected",
        "поле {field}: ожидалось: {expected}",
        "{field}: expected {expected}",
    ),
    ("calendar_import.field.text", "текст", "text"),
    ("calendar_import.field.row", "строка", "row"),
    ("calendar_import.field.days", "дни", "days"),
    ("calendar_import.field.root_element", "корневой элемент", "root element"),
    ("calendar_import.field.attribute", "атрибут", "attribute"),
    ("calendar_import.not_utf8", "байты не в UTF-8", "bytes that are not UTF-8"),
    (
        "calendar_import.utf8",
        "текст в UTF-8 (сохраните файл в кодировке UTF-8)",
        "UTF-8 text (save the file as UTF-8)",
    ),
    (
        "calendar_import.twice",
        "каждая дата один раз; {date} уже есть в строке {first}",
        "each date once; {date} is already on line {first}",
    ),
    ("calendar_import.no_days", "хотя бы один день", "at least one day"),
    ("calendar_import.csv", "читаемый CSV ({error})", "readable CSV ({error})"),
    (
        "calendar_import.date",
        "дата, например 08.01.2027 или 2027-01-08",
        "a date such as 2027-01-08 or 08.01.2027",
    ),
    (
        "calendar_import.kinds",
        "нерабочий (holiday), рабочий (working: рабочая суббота или воскресенье) или сокращённый (short)",
        "holiday (нерабочий), working (рабочий: a working weekend) or short (сокращённый)",
    ),
    (
        "calendar_import.columns",
        "не больше трёх столбцов: date, kind, moved_from",
        "at most three columns: date, kind, moved_from",
    ),
    ("calendar_import.xml", "правильный XML ({error})", "well-formed XML ({error})"),
    ("calendar_import.year", "год, например 2027", "a year such as 2027"),
    (
        "calendar_import.attributes",
        "правильные атрибуты ({error})",
        "well-formed attributes ({error})",
    ),
    ("calendar_import.value", "читаемое значение ({error})", "a readable value ({error})"),
    (
        "calendar_import.day_d",
        "день {year} года в виде ММ.ДД (месяц.день), например «01.08»",
        "a day of {year} as MM.DD (month.day), such as \"01.08\"",
    ),
    (
        "calendar_import.day_t",
        "1 (выходной), 2 (сокращённый рабочий день) или 3 (рабочий выходной)",
        "1 (a day off), 2 (a shortened working day) or 3 (a working weekend day)",
    ),
    (
        "calendar_import.day_f",
        "день, с которого перенесён выходной, в виде ММ.ДД {year} года",
        "the day it was moved from, as MM.DD of {year}",
    ),
    ("config.env", "переменная окружения {var}", "environment variable {var}"),
    (
        "config.parse",
        "не удалось прочитать настройку; ошибка TOML: «{detail}»",
        "cannot be read; the TOML error: \"{detail}\"",
    ),
    ("config.unknown_key", "неизвестный ключ «{key}»", "unknown key \"{key}\""),
    (
        "config.unknown_key_expected",
        "неизвестный ключ «{key}»; ожидался один из: {expected}",
        "unknown key \"{key}\"; expected one of: {expected}",
    ),
    (
        "config.time_zone",
        "неизвестный часовой пояс «{value}»; ожидалось имя из базы IANA, например Europe/Moscow",
        "unknown time zone \"{value}\"; expected an IANA name such as Europe/Moscow",
    ),
    (
        "config.currency",
        "«{value}» — не код валюты; ожидался трёхбуквенный код ISO 4217, например RUB",
        "\"{value}\" is not a currency code; expected a three-letter ISO 4217 code such as RUB",
    ),
    (
        "config.bind",
        "«{value}» — не адрес; ожидались адрес и порт, например 127.0.0.1:8080",
        "\"{value}\" is not an address; expected an address and port such as 127.0.0.1:8080",
    ),
    (
        "config.amocrm_base_url",
        "«{value}» — не адрес аккаунта; ожидался адрес вида https://mycompany.amocrm.ru",
        "expected the account address such as \"https://mycompany.amocrm.ru\", got \"{value}\"",
    ),
    (
        "config.amocrm_www",
        "нужен адрес самого аккаунта (https://ПОДДОМЕН.amocrm.ru), а не www",
        "use the account's own address (https://SUBDOMAIN.amocrm.ru), not www",
    ),
    (
        "config.amocrm_rps",
        "ожидалось от 1 до 50 (amoCRM разрешает 7 на интеграцию), а не {value}",
        "expected 1 to 50 (amoCRM allows 7 per integration), got {value}",
    ),
    (
        "config.amocrm_auth",
        "укажите либо long_lived_token, либо client_id, client_secret и redirect_uri для OAuth2",
        "set either long_lived_token, or client_id, client_secret and redirect_uri for OAuth2",
    ),
    (
        "config.amocrm_cron",
        "«{value}» — не расписание; ожидалось выражение cron из 5 полей, например \"*/10 * * * *\" \
         (минута 0–59, час 0–23, день 1–31, месяц 1–12, день недели 0–7); ошибка разбора: «{error}»",
        "expected a cron expression of 5 fields such as \"*/10 * * * *\" \
         (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-7), got \"{value}\": {error}",
    ),
    (
        "config.amocrm_nightly",
        "«{value}» — не время; ожидалось время вида \"03:00\" или пустая строка",
        "expected a time such as \"03:00\" or empty, got \"{value}\"",
    ),
    ("config.positive", "ожидалось число больше 0", "expected a number above 0"),
    (
        "config.store_url",
        "ожидалась пустая строка (SQLite в папке данных), sqlite://ПУТЬ или postgres://...",
        "expected empty (SQLite in the data dir), sqlite://PATH or postgres://...",
    ),
    (
        "config.percent",
        "ожидался процент от 0 до 100",
        "expected a percentage from 0 to 100",
    ),
    (
        "config.abc",
        "ожидалось: класс A больше 0\u{a0}%, а A + B (abc_b_percent) не больше 100\u{a0}%",
        "expected class A above 0% and A + B (abc_b_percent) at most 100%",
    ),
    ("config.lookback", "ожидался хотя бы 1 день", "expected at least 1 day"),
    ("config.no_boards", "ожидался хотя бы один экран", "expected at least one board"),
    (
        "config.tv_board",
        "«{entry}» — не экран; ожидалось одно из: {boards}, после двоеточия можно указать секунды от 0,05 до 86\u{a0}400",
        "\"{entry}\" is not a board; expected one of {boards}, optionally with seconds from 0.05 to 86400 after a colon",
    ),
    (
        "config.seconds",
        "ожидалось от {min} до 86\u{a0}400 секунд",
        "expected {min} to 86400 seconds",
    ),
    (
        "config.tv_token",
        "допустимы только латинские буквы, цифры и - _ . ~",
        "expected letters, digits and - _ . ~ only",
    ),
    (
        "plan_fact.partial_plan",
        "План задан на {covered} из {days} рабочих дней ({dates}): {who} — план, факт и выполнение за эти дни",
        "The plan covers {covered} of {days} working days ({dates}): {who} — plan, fact and % done are for those days",
    ),
    (
        "plan_fact.whole_period_fact",
        "; факт за весь период ({who}): {fact}",
        "; fact over the whole period ({who}): {fact}",
    ),
    ("plan_fact.all_rows", "все строки", "all rows"),
    ("plan_fact.by_team", "по отделам", "by team"),
    ("col.team", "Отдел", "Team"),
    ("col.managers", "Менеджеров", "Managers"),
    ("dim.manager", "Менеджер", "Manager"),
    ("dim.team", "Отдел", "Team"),
    ("dim.pipeline", "Воронка", "Pipeline"),
    ("dim.stage", "Этап", "Stage"),
    ("dim.company", "Компания", "Company"),
    ("dim.contact", "Контакт", "Contact"),
    ("dim.loss_reason", "Причина отказа", "Loss reason"),
    ("dim.source", "Источник", "Source"),
    ("dim.tag", "Тег", "Tag"),
    ("dim.day", "День", "Day"),
    ("dim.week", "Неделя", "Week"),
    ("dim.month", "Месяц", "Month"),
    ("dim.quarter", "Квартал", "Quarter"),
    ("dim.year", "Год", "Year"),
    ("dim.not_set", "не указано", "not set"),
    ("dim.from", "от", "from"),
    ("dim.yes", "да", "yes"),
    ("dim.no", "нет", "no"),
    ("dim.others", "Остальные", "Others"),
    ("measure.revenue", "Выручка", "Revenue"),
    ("measure.margin", "Маржа", "Margin"),
    ("measure.won_deals", "Успешные сделки", "Won deals"),
    ("measure.lost_deals", "Проигранные сделки", "Lost deals"),
    ("measure.new_deals", "Новые сделки", "New deals"),
    ("measure.win_rate", "Конверсия в успех", "Win rate"),
    ("measure.average_check", "Средний чек", "Average check"),
    ("measure.cycle_median", "Цикл сделки, медиана (дней)", "Sales cycle, median (days)"),
    ("measure.cycle_mean", "Цикл сделки, среднее (дней)", "Sales cycle, mean (days)"),
    ("measure.calls", "Звонки", "Calls"),
    ("measure.communications", "Коммуникации", "Communications"),
    ("measure.tasks_done", "Выполненные задачи", "Tasks done"),
    ("measure.tasks_overdue", "Просроченные задачи", "Tasks overdue"),
    ("explore.compared", "Сравнение", "Compared with"),
    ("explore.change", "Изменение", "Change"),
    ("explore.change_percent", "Изменение, %", "Change, %"),
    ("explore.records", "Записей", "Records"),
    ("explore.period", "Период", "Period"),
    (
        "explore.others_note",
        "«Остальные» — сумма строк сверх показанных",
        "\"Others\" sums the rows past those shown",
    ),
    ("explore.pareto", "Парето / ABC", "Pareto / ABC"),
    ("explore.share", "Доля, %", "Share, %"),
    ("explore.cumulative", "Накопленная доля, %", "Cumulative share, %"),
    ("explore.class", "Класс", "Class"),
    (
        "explore.not_ranked",
        "Без значения (не входит в ABC): {value}",
        "Without a value (not ranked): {value}",
    ),
    (
        "query.unknown_measure",
        "неизвестный показатель «{value}»; возможные: {names}",
        "unknown measure \"{value}\"; expected one of: {names}",
    ),
    (
        "query.too_many_dimensions",
        "разбивка — не более чем по {max} измерениям, задано {n}",
        "at most {max} dimensions to break down by, got {n}",
    ),
    (
        "query.unknown_period",
        "неизвестный период «{value}»; возможные: today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter, this_year, last_year, last_N_days, 2026-11, 2026-Q4, 2026, 2026-11-20 или 2026-01-01..2026-03-31",
        "unknown period \"{value}\"; expected today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter, this_year, last_year, last_N_days, 2026-11, 2026-Q4, 2026, 2026-11-20 or 2026-01-01..2026-03-31",
    ),
    (
        "query.unknown_compare",
        "неизвестное сравнение «{value}»; возможные: previous, year_ago",
        "unknown comparison \"{value}\"; expected previous or year_ago",
    ),
    (
        "query.bad_filter",
        "фильтр «{value}»: ожидается измерение=значение (например, manager=Иванов)",
        "filter \"{value}\": expected dimension=value (e.g. manager=Иванов)",
    ),
    (
        "query.bad_limit",
        "limit {value}: ожидается от 1 до {max}",
        "limit {value}: expected 1 to {max}",
    ),
    (
        "query.unknown_dimension",
        "неизвестное измерение «{value}»; возможные: {names}",
        "unknown dimension \"{value}\"; expected one of: {names}",
    ),
    (
        "query.unmapped",
        "{value}: поле [fields] {key} не сопоставлено с полем CRM",
        "{value}: [fields] {key} is not mapped to a field of the CRM",
    ),
    (
        "query.no_field",
        "нет поля сделок или компаний «{value}»",
        "no deal or company field named \"{value}\"",
    ),
    ("query.no_value", "{dim}: нет «{value}»", "{dim}: no \"{value}\""),
    (
        "query.ambiguous",
        "{dim}: «{value}» подходит к нескольким записям ({n}); укажите id",
        "{dim}: \"{value}\" names {n} records; use the id",
    ),
    (
        "query.not_summable",
        "{value}: ABC складывает вклады, выберите сумму или количество (revenue, margin, won_deals, calls…)",
        "{value}: a Pareto view adds contributions up; choose a sum or a count (revenue, margin, won_deals, calls...)",
    ),
    (
        "query.not_a_date",
        "{dim}: «{value}» — не дата и не период",
        "{dim}: \"{value}\" is not a date or period",
    ),
    (
        "report.unknown_metric",
        "неизвестный показатель «{value}»; возможные: {names}",
        "unknown metric \"{value}\"; expected one of: {names}",
    ),
    (
        "report.unknown_sort",
        "неизвестная сортировка «{value}»; возможные: {names}",
        "unknown sort \"{value}\"; expected one of: {names}",
    ),
    (
        "report.param_not_taken",
        "отчёт {report} не принимает параметр {param}; принимает: {names}",
        "report {report} takes no {param}; it takes: {names}",
    ),
    (
        "report.bad_switch",
        "«{value}»: ожидается 1 (да) или 0 (нет)",
        "\"{value}\": expected 1 (yes) or 0 (no)",
    ),
    ("report.plan_fact", "План / факт", "Plan / fact"),
    ("report.leaderboard", "Лучший сотрудник месяца", "Best employee of the month"),
    ("report.hygiene", "Качество ведения CRM", "CRM hygiene"),
    ("report.call_priority", "Кому позвонить", "Whom to call next"),
    ("report.receivables", "Дебиторская задолженность", "Receivables"),
    ("report.funnel", "Воронка продаж", "Sales funnel"),
    ("funnel.won", "Успешно реализовано", "Won"),
    ("funnel.stage_unknown", "Этап не известен", "Stage not known"),
    ("funnel.no_reason", "Причина не указана", "No reason given"),
    ("funnel.stages", "Воронка по этапам", "Funnel by stage"),
    ("funnel.outcomes", "Итоги по воронкам", "Outcomes by pipeline"),
    ("funnel.lost_by_stage", "Где теряем: этап отказа", "Where deals are lost: stage"),
    (
        "funnel.lost_by_reason",
        "Почему теряем: причины отказа",
        "Why deals are lost: reasons",
    ),
    ("funnel.hand_over", "Передача между воронками", "Hand-over between pipelines"),
    (
        "funnel.period_note",
        "Сделки, вошедшие в воронку за период {period}: {who}",
        "Deals that entered the pipeline in {period}: {who}",
    ),
    (
        "funnel.time_note",
        "Дни на этапе: от входа в этап до выхода из него (по сделке за все заходы); сделки, которые ещё на этапе, считаются до момента отчёта. Пропущенный этап считается пройденным, но без времени.",
        "Days in a stage: from entering it to leaving it (per deal, all visits summed); deals still in it count up to the report's moment. A skipped stage counts as passed, with no time.",
    ),
    (
        "funnel.hand_over_note",
        "Сделки, ушедшие из воронки в другую; «успешно» — где сделка стоит на момент отчёта.",
        "Deals that left the pipeline for another; \"won\" is where the deal stands at the report's moment.",
    ),
    ("col.pipeline", "Воронка", "Pipeline"),
    ("col.stage", "Этап", "Stage"),
    ("col.entered", "Вошли", "Entered"),
    ("col.conversion_from_previous", "Конверсия с прошлого этапа", "From previous stage"),
    ("col.conversion_to_won", "Конверсия в успех", "Conversion to won"),
    ("col.days_median", "Дней на этапе, медиана", "Days in stage, median"),
    ("col.days_p80", "Дней на этапе, 80-й перцентиль", "Days in stage, 80th percentile"),
    ("col.still_in", "Сейчас на этапе", "In it now"),
    ("col.from_other_pipelines", "Из других воронок", "From other pipelines"),
    ("col.won_deals", "Успешно реализовано", "Won"),
    ("col.lost_deals", "Закрыто и не реализовано", "Lost"),
    ("col.handed_over", "Передано в другие воронки", "Handed over"),
    ("col.in_work", "В работе", "In work"),
    ("col.loss_reason", "Причина отказа", "Loss reason"),
    ("col.deals", "Сделок", "Deals"),
    ("col.share", "Доля", "Share"),
    ("col.from_pipeline", "Из воронки", "From pipeline"),
    ("col.to_pipeline", "В воронку", "To pipeline"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_a_terminal() {
        assert_eq!(
            printable("ООО \u{1b}[2J\u{1b}]0;pwned\u{7}Ромашка\r\n"),
            "ООО  [2J ]0;pwned Ромашка  "
        );
        assert!(matches!(printable("Анна Смирнова"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            terminal_safe("a,\"Ро\u{1b}[1Aмашка\r\n\u{9b}31m\"\nb\tc\n"),
            "a,\"Ро [1Aмашка \n 31m\"\nb\tc\n"
        );
    }

    #[test]
    fn money_at_the_ends_of_the_range() {
        assert_eq!(
            format_money(Language::Ru, "RUB", Money(i64::MAX)),
            "92\u{a0}233\u{a0}720\u{a0}368\u{a0}547\u{a0}758\u{a0}₽"
        );
        assert_eq!(format_money(Language::En, "USD", Money(i64::MIN)), "-$92,233,720,368,547,758");
    }

    #[test]
    fn a_bad_value_is_named_with_its_record_and_field() {
        use crate::model::{BadValue, BadValueProblem, EntityKind};
        let bad = BadValue::new(
            EntityKind::Deal,
            123,
            "Поставка\u{1b}[31m",
            None,
            "1000000000000000000000000000",
            BadValueProblem::TooLarge,
        );
        assert_eq!(
            bad.message(Language::Ru),
            "Сделка «Поставка [31m» (#123), поле «Бюджет»: 1000000000000000000000000000 — больше любой суммы \
             (предел 92 233 720 368 547 758), считается незаполненным"
        );
        assert!(
            bad.message(Language::En)
                .starts_with("Deal \"Поставка [31m\" (#123), field \"Budget\"")
        );
        let long = BadValue::new(EntityKind::Company, 1, "x", Some("f"), &"9".repeat(100), BadValueProblem::TooLarge);
        assert_eq!(long.value.chars().count(), BadValue::VALUE_CHARS + 1, "cut, with an ellipsis");
    }

    #[test]
    fn money_in_both_languages() {
        assert_eq!(
            format_money(Language::Ru, "RUB", Money::from_major(1_234_567)),
            "1\u{a0}234\u{a0}567\u{a0}₽"
        );
        assert_eq!(format_money(Language::En, "RUB", Money::from_major(1_234_567)), "₽1,234,567");
        assert_eq!(format_money(Language::En, "USD", Money(-123_450)), "-$1,235");
        assert_eq!(format_money(Language::Ru, "RUB", Money(49)), "0\u{a0}₽");
        assert_eq!(format_money(Language::Ru, "RUB", Money(50)), "1\u{a0}₽");
        assert_eq!(format_int(Language::En, 999), "999");
        assert_eq!(format_int(Language::En, -1000), "-1,000");
        // Russian typography: the real minus sign, not a hyphen.
        assert_eq!(format_int(Language::Ru, -1000), "\u{2212}1\u{a0}000");
        assert_eq!(format_money(Language::Ru, "RUB", Money(-75_000_000)), "\u{2212}750\u{a0}000\u{a0}₽");
        assert_eq!(
            format_money(Language::Ru, "RUB", Money(-49)),
            "0\u{a0}₽",
            "no minus on a rounded zero"
        );
        assert_eq!(format_percent(Language::Ru, -12.5), "\u{2212}12,5\u{a0}%");
        assert_eq!(format_decimal(Language::Ru, -0.5), "\u{2212}0,5");
        assert_eq!(format_percent(Language::En, -12.5), "-12.5%");
    }

    #[test]
    fn day_ranges_as_people_write_them() {
        use crate::calendar::{Period, PeriodKind};
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let week = Period::containing(PeriodKind::Week, d(2026, 12, 2));
        assert_eq!(format_days(Language::Ru, &week), "30.11–06.12");
        assert_eq!(format_days(Language::En, &week), "Nov 30 – Dec 6");
        let day = Period::containing(PeriodKind::Day, d(2026, 11, 30));
        assert_eq!(format_days(Language::Ru, &day), "30.11");
    }

    #[test]
    fn a_day_as_it_is_said() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(format_day_month(Language::Ru, d("2026-11-30")), "30 ноября");
        assert_eq!(format_day_month(Language::Ru, d("2027-01-01")), "1 января");
        assert_eq!(format_day_month(Language::Ru, d("2026-05-09")), "9 мая");
        assert_eq!(format_day_month(Language::En, d("2026-11-30")), "30 November");
    }

    #[test]
    fn russian_plurals() {
        let f = |n| plural(n, "день", "дня", "дней");
        assert_eq!(
            [f(0), f(1), f(2), f(5), f(11), f(12), f(21), f(22), f(25), f(111), f(101)],
            ["дней", "день", "дня", "дней", "дней", "дней", "день", "дня", "дней", "дней", "день"]
        );
    }

    #[test]
    fn counts_take_their_nouns_form() {
        let plans = |lang, n| count(lang, n, ["план", "плана", "планов"], ["plan", "plans"]);
        assert_eq!(plans(Language::Ru, 1), "1\u{a0}план");
        assert_eq!(plans(Language::Ru, 3), "3\u{a0}плана");
        assert_eq!(plans(Language::Ru, 11), "11\u{a0}планов");
        assert_eq!(plans(Language::Ru, 1021), "1\u{a0}021\u{a0}план");
        assert_eq!(plans(Language::En, 1), "1 plan");
        assert_eq!(plans(Language::En, 1000), "1,000 plans");
    }

    #[test]
    fn percent_and_dates() {
        assert_eq!(format_percent(Language::Ru, 82.46), "82,5\u{a0}%");
        assert_eq!(format_percent(Language::En, 82.46), "82.5%");
        assert_eq!(format_whole_percent(Language::Ru, 30), "30\u{a0}%");
        assert_eq!(format_whole_percent(Language::En, 30), "30%");
        let d = NaiveDate::from_ymd_opt(2026, 11, 6).unwrap();
        assert_eq!(format_date(Language::Ru, d), "06.11.2026");
        assert_eq!(format_date(Language::En, d), "Nov 6, 2026");
    }

    #[test]
    fn every_text_has_both_languages_and_unique_keys() {
        let mut keys: Vec<_> = TEXTS.iter().map(|t| t.0).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate text keys");
        for (k, ru, en) in TEXTS {
            assert!(!ru.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!(text(Language::En, "entity.deal"), "Deals");
        assert_eq!(text(Language::Ru, "entity.deal"), "Сделки");
    }
}
