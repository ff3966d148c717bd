//! Words the web pages need beyond the core's shared table: page titles,
//! board names and error messages, in Russian and English. Kept here until
//! another crate needs them; then they can move into `tsifra_core::i18n::TEXTS`.

use tsifra_core::Language;
use tsifra_core::i18n::text;

/// (key, Russian, English). Keys start with `web.` so they never shadow a core key.
pub const WEB_TEXTS: &[(&str, &str, &str)] = &[
    ("web.title.home", "Обзор", "Overview"),
    ("web.account", "Аккаунт CRM", "CRM account"),
    ("web.no_account", "не подключён", "not connected"),
    ("web.data_dir", "Папка данных", "Data directory"),
    ("web.data", "Данные", "Data"),
    ("web.no_deals", "сделок пока нет", "no deals yet"),
    ("web.as_of.from_url", "задано в адресе", "set in the address"),
    ("web.as_of.now", "показать на сейчас", "show as of now"),
    ("web.health", "Состояние сервера (JSON)", "Server health (JSON)"),
    ("web.board.plan_fact", "План-факт", "Plan vs fact"),
    ("web.board.leaderboard", "Рейтинг менеджеров", "Leaderboard"),
    ("web.board.hygiene", "Качество ведения CRM", "CRM hygiene"),
    ("web.board.call_priority", "Кому позвонить", "Whom to call next"),
    ("web.board.receivables", "Дебиторская задолженность", "Receivables"),
    ("web.back_home", "На главную", "Back to the overview"),
    ("web.error.not_found", "Страница не найдена", "Page not found"),
    (
        "web.error.not_found.detail",
        "По адресу {path} ничего нет.",
        "There is nothing at {path}.",
    ),
    ("web.error.method", "Метод не поддерживается", "Method not allowed"),
    (
        "web.error.method.detail",
        "Этот адрес не принимает такой запрос.",
        "This address does not accept this kind of request.",
    ),
    ("web.error.bad_request", "Неверный запрос", "Bad request"),
    ("web.error.internal", "Внутренняя ошибка", "Internal error"),
    (
        "web.error.internal.detail",
        "Что-то пошло не так. Подробности записаны в журнал сервера.",
        "Something went wrong. The details are in the server log.",
    ),
    (
        "web.as_of.malformed",
        "Не удалось понять as_of={value}. Подходят: 2026-11-20 (на конец этого дня), 2026-11-20T15:00 (время в часовом поясе компании), 2026-11-20T12:00:00Z или 2026-11-20T15:00:00+03:00.",
        "Could not read as_of={value}. Use 2026-11-20 (the end of that day), 2026-11-20T15:00 (business time zone), 2026-11-20T12:00:00Z or 2026-11-20T15:00:00+03:00.",
    ),
    (
        "web.as_of.no_such_time",
        "Времени as_of={value} нет в часовом поясе {tz}: в этот момент часы переводят вперёд.",
        "as_of={value} does not exist in {tz}: the clocks jump forward over it.",
    ),
    (
        "web.as_of.repeated",
        "Параметр as_of указан больше одного раза.",
        "as_of is given more than once.",
    ),
];

/// The word for `key` in `lang`: this crate's table first, then the core's.
pub fn t(lang: Language, key: &str) -> &'static str {
    match WEB_TEXTS.iter().find(|(k, _, _)| *k == key) {
        Some((_, ru, en)) => match lang {
            Language::Ru => ru,
            Language::En => en,
        },
        None => text(lang, key),
    }
}

/// A text with `{name}` placeholders filled in (values are inserted raw; templates escape them).
pub fn t_with(lang: Language, key: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(t(lang, key).to_string(), |s, (name, value)| {
        s.replace(&format!("{{{name}}}"), value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsifra_core::i18n::TEXTS;

    #[test]
    fn every_web_text_has_both_languages_and_a_unique_key() {
        let mut keys: Vec<_> = WEB_TEXTS.iter().map(|t| t.0).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate web text keys");
        for (key, ru, en) in WEB_TEXTS {
            assert!(key.starts_with("web."), "{key} should start with web.");
            assert!(!ru.trim().is_empty() && !en.trim().is_empty(), "{key} lacks a language");
            assert!(!TEXTS.iter().any(|(core, _, _)| core == key), "{key} shadows a core text");
            // A placeholder in one language must be in the other, or a value silently disappears.
            for name in ["{value}", "{tz}", "{path}"] {
                assert_eq!(ru.contains(name), en.contains(name), "{key}: {name} in only one language");
            }
        }
    }

    #[test]
    fn falls_back_to_core_texts_and_fills_placeholders() {
        assert_eq!(t(Language::Ru, "entity.deal"), "Сделки");
        assert_eq!(t(Language::En, "web.board.plan_fact"), "Plan vs fact");
        assert_eq!(
            t_with(Language::En, "web.error.not_found.detail", &[("path", "/x")]),
            "There is nothing at /x."
        );
    }
}
