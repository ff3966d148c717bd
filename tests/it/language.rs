//! The CLI's own messages in the workspace's language: a head of sales reads
//! the config's and the calendar file's errors, so they are Russian by default
//! and English when `[business] language` (or its variable) says so, even when
//! the file is too broken to be read as a config.

use std::process::Output;

use crate::support::{tsifra, tsifra_with};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_bad_value_is_told_in_the_files_language_with_its_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tsifra.toml");
    std::fs::write(&config, "[business]\ncurrency = \"RUB\"\ntime_zone = \"Europe/Mosow\"\n").unwrap();
    let out = tsifra(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("ошибка: ")
            && err.contains(&format!(
                "{}, строка 3, [business] time_zone: неизвестный часовой пояс «Europe/Mosow»; ожидалось имя из базы IANA, например Europe/Moscow",
                config.display()
            )),
        "{err}"
    );

    std::fs::write(
        &config,
        "[business]\nlanguage = \"en\"\ncurrency = \"RUB\"\ntime_zone = \"Europe/Mosow\"\n",
    )
    .unwrap();
    let out = tsifra(dir.path(), &["report", "plan-fact"]);
    assert_eq!(out.status.code(), Some(2), "every command that loads it: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: ")
            && err.contains(", line 4, [business] time_zone: unknown time zone \"Europe/Mosow\"; expected an IANA name"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_toml_still_speaks_its_language() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tsifra.toml");
    // An unclosed section header on line 3: not TOML at all.
    std::fs::write(&config, "[business]\nlanguage = \"en\"\n[server\nbind = \"127.0.0.1:8080\"\n").unwrap();
    let out = tsifra(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: ") && err.contains("tsifra.toml, line 3: cannot be read; the TOML error: \""),
        "{err}"
    );

    std::fs::write(&config, "[server]\nbind = \"127.0.0.1:8080\"\nbnid = 3\n").unwrap();
    let out = tsifra(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("ошибка: ")
            && err.contains("tsifra.toml, строка 3, [server] bnid: неизвестный ключ «bnid»; ожидался один из: bind, "),
        "{err}"
    );
    // The variable overrides the file's language, and its own error names it.
    let out = tsifra_with(dir.path(), &["config", "check"], &[("TSIFRA_BUSINESS__LANGUAGE", "en")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("tsifra.toml, line 3, [server] bnid: unknown key \"bnid\""),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(&config).unwrap();
    let out = tsifra_with(dir.path(), &["config", "check"], &[("TSIFRA_SERVER__BIND", "nowhere")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("переменная окружения TSIFRA_SERVER__BIND, [server] bind: «nowhere» — не адрес"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_check_reports_in_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let out = tsifra(dir.path(), &["config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("файла настроек нет") && text.contains("  пояс       Europe/Moscow"),
        "{text}"
    );
    let out = tsifra_with(dir.path(), &["config", "check"], &[("TSIFRA_BUSINESS__LANGUAGE", "en")]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("no config file") && text.contains("  time zone  Europe/Moscow"),
        "{text}"
    );
}

/// A bad calendar file is told in the workspace's language: file, row, the
/// file's own column name, the value and what was expected; English on request.
#[test]
fn a_bad_calendar_file_is_told_in_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("days.csv");
    std::fs::write(&csv, "date;kind\n2027-01-11;нерабочий\n31.02.2027;нерабочий\n").unwrap();
    let out = tsifra(dir.path(), &["calendar", "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("ошибка: ")
            && err.contains("days.csv, строка 3, поле date: «31.02.2027»; ожидалось: дата, например 08.01.2027 или 2027-01-08"),
        "{err}"
    );
    let out = tsifra_with(
        dir.path(),
        &["calendar", "import", csv.to_str().unwrap()],
        &[("TSIFRA_BUSINESS__LANGUAGE", "en")],
    );
    let err = stderr(&out);
    assert!(
        err.contains("days.csv, line 3, date: got \"31.02.2027\", expected a date such as 2027-01-08"),
        "{err}"
    );
    let missing = dir.path().join("nowhere.xml");
    let out = tsifra(dir.path(), &["calendar", "import", missing.to_str().unwrap()]);
    assert!(stderr(&out).contains("не удалось прочитать файл"), "{}", stderr(&out));
}

/// `tsifra sync` and `tsifra amocrm` before amoCRM is set up say what to set, in the language.
#[test]
fn amocrm_not_set_up_is_told_in_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let out = tsifra(dir.path(), &["sync"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("ошибка: amoCRM не настроен: укажите [amocrm] base_url"),
        "{}",
        stderr(&out)
    );
    let out = tsifra(dir.path(), &["amocrm", "fields"]);
    assert!(stderr(&out).contains("сначала укажите [amocrm] base_url"), "{}", stderr(&out));
    let out = tsifra_with(dir.path(), &["sync"], &[("TSIFRA_BUSINESS__LANGUAGE", "en")]);
    assert!(
        stderr(&out).starts_with("error: amoCRM is not configured: set [amocrm] base_url"),
        "{}",
        stderr(&out)
    );
    // OAuth2's connect without its keys: a long-lived token needs no connect.
    std::fs::write(
        dir.path().join("tsifra.toml"),
        "[amocrm]\nbase_url = \"https://acme.amocrm.ru\"\nlong_lived_token = \"t\"\n",
    )
    .unwrap();
    let out = tsifra(dir.path(), &["amocrm", "connect"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("amocrm connect нужен только для OAuth2"), "{}", stderr(&out));
}
