//! Configuration: defaults in code, one TOML file, `TSIFRA_SECTION__KEY`
//! environment overrides. Parsing is pure (text in, config or error out);
//! reading the file is the binary's job.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, HolidayPreset, ImportedYear};
use crate::i18n::Language;
use crate::model::Metric;

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub business: BusinessConfig,
    pub calendar: CalendarConfig,
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub fields: FieldMapping,
    pub reports: ReportsConfig,
    pub hygiene: HygieneConfig,
    pub call_priority: CallPriorityConfig,
    pub receivables: ReceivablesConfig,
    pub tv: TvConfig,
    pub amocrm: crate::amocrm_config::AmocrmConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusinessConfig {
    /// Language of pages, CLI tables and alerts: "ru" or "en".
    pub language: Language,
    /// IANA time zone every day, week and month is counted in.
    pub time_zone: String,
    /// ISO 4217 code of the one currency the workspace counts in.
    pub currency: String,
}

impl Default for BusinessConfig {
    fn default() -> Self {
        BusinessConfig {
            language: Language::Ru,
            time_zone: "Europe/Moscow".into(),
            currency: "RUB".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarConfig {
    /// Built-in holiday list: "ru" (the Russian production calendar: decrees for 2025-2026, the
    /// Labour Code's holidays in other years until `tsifra calendar import` loads one) or "none".
    pub holidays: HolidayPreset,
    /// More non-working days, e.g. [2026-12-30] (TOML dates or "2026-12-30" strings).
    #[serde(deserialize_with = "dates")]
    pub extra_holidays: Vec<NaiveDate>,
    /// Saturdays or Sundays that are working days.
    #[serde(deserialize_with = "dates")]
    pub working_weekends: Vec<NaiveDate>,
    /// Official calendars loaded with `tsifra calendar import`: they live in
    /// the store, which fills this in at start, never in the file.
    #[serde(skip)]
    pub imported: Vec<ImportedYear>,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            holidays: HolidayPreset::Ru,
            extra_holidays: Vec::new(),
            working_weekends: Vec::new(),
            imported: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port the web server listens on.
    pub bind: String,
    // Limits that keep the server answering under a flood (README: Operating Tsifra → Limits).
    /// Seconds a client has to send a request's headers (and between parts of its body).
    pub header_timeout_seconds: u64,
    /// Seconds a request may take from its headers to the answer, body included.
    pub request_timeout_seconds: u64,
    /// Connections held open at once; past it the oldest idle one (or one still
    /// sending its headers) is closed to make room, else the new one is refused.
    pub max_connections: usize,
    /// The largest request body in kilobytes (amoCRM's webhooks are the only big ones).
    pub max_body_kb: usize,
    /// Downloads (CSV, XLSX) built at once; concurrent requests for the same file share one build.
    pub download_builds: usize,
    /// Entities named by webhooks waiting to be re-read; past it the rest is left to the next sync.
    pub webhook_backlog: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            header_timeout_seconds: 10,
            request_timeout_seconds: 60,
            max_connections: 512,
            max_body_kb: 8192,
            download_builds: 2,
            webhook_backlog: 100_000,
        }
    }
}

impl ServerConfig {
    /// The limits' own checks, kept apart from the rest of validation.
    fn validate_limits(&self) -> Result<(), (&'static str, String)> {
        let positive = [
            ("server.header_timeout_seconds", self.header_timeout_seconds as usize),
            ("server.request_timeout_seconds", self.request_timeout_seconds as usize),
            ("server.max_connections", self.max_connections),
            ("server.max_body_kb", self.max_body_kb),
            ("server.download_builds", self.download_builds),
            ("server.webhook_backlog", self.webhook_backlog),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err((key, "expected a number above 0".into()));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Empty: a SQLite file `tsifra.db` in the data dir. Or `postgres://user:pass@host/db`.
    pub url: String,
}

/// Which custom field carries each business meaning: a field id ("123") or its exact name.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldMapping {
    pub margin: String,
    pub payment_due_date: String,
    pub paid_date: String,
    pub paid_amount: String,
    pub client_type: String,
    pub product_type: String,
    pub company_qualification: String,
    pub proposal_sent: String,
    pub industry: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// What plan/fact counts by default: revenue, margin, won_deals or calls.
    pub plan_metric: Metric,
    /// What ranks the best employee of the month.
    pub leaderboard_metric: Metric,
    /// Margin assumed for won deals whose margin field is empty, in percent of the amount.
    pub default_margin_percent: u32,
    /// Pareto / ABC: class A is what makes up this share of the total, in percent.
    pub abc_a_percent: u32,
    /// Class B: the next share after A, in percent (C is the rest).
    pub abc_b_percent: u32,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            plan_metric: Metric::Revenue,
            leaderboard_metric: Metric::Margin,
            default_margin_percent: 30,
            abc_a_percent: 80,
            abc_b_percent: 15,
        }
    }
}

/// CRM hygiene rules: each on or off, with its thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HygieneConfig {
    pub open_deal_without_task: bool,
    pub deal_without_company: bool,
    pub deal_without_contact: bool,
    pub company_without_qualification: bool,
    pub required_fields: bool,
    pub overdue_task: bool,
    pub stale_deal: bool,
    /// An open deal with no communication and no stage move for this many days is stale.
    pub stale_days: u32,
    pub zero_amount: bool,
    /// Deals at this stage (by name, in any pipeline) or later with a zero amount are flagged;
    /// empty: any open stage after the first.
    pub zero_amount_from_stage: String,
    pub contact_without_phone_or_email: bool,
    pub duplicate_companies: bool,
    /// Fields that must be filled from a stage onwards.
    pub required: Vec<RequiredFields>,
}

impl Default for HygieneConfig {
    fn default() -> Self {
        HygieneConfig {
            open_deal_without_task: true,
            deal_without_company: true,
            deal_without_contact: true,
            company_without_qualification: true,
            required_fields: true,
            overdue_task: true,
            stale_deal: true,
            stale_days: 14,
            zero_amount: true,
            zero_amount_from_stage: String::new(),
            contact_without_phone_or_email: true,
            duplicate_companies: true,
            required: Vec::new(),
        }
    }
}

/// `{ pipeline = "Горячие продажи", from_stage = "Переговоры", fields = ["Тип продукта"] }`;
/// an empty pipeline means every pipeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredFields {
    #[serde(default)]
    pub pipeline: String,
    pub from_stage: String,
    pub fields: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallPriorityConfig {
    /// How far back "recent" deals and communications are counted.
    pub lookback_days: u32,
    /// Leave out companies with an open deal in an active stage.
    pub exclude_with_open_deal: bool,
    /// Leave out companies that already have an open call task.
    pub exclude_with_call_task: bool,
    /// Rows per manager.
    pub limit_per_manager: usize,
}

impl Default for CallPriorityConfig {
    fn default() -> Self {
        CallPriorityConfig {
            lookback_days: 90,
            exclude_with_open_deal: true,
            exclude_with_call_task: true,
            limit_per_manager: 20,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceivablesConfig {
    /// "Falls due soon" window, in days.
    pub due_soon_days: u32,
}

impl Default for ReceivablesConfig {
    fn default() -> Self {
        ReceivablesConfig { due_soon_days: 7 }
    }
}

/// The office TV (`/tv`): which boards rotate, for how long, and the link token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TvConfig {
    /// Boards shown in turn: a report id or "owner", optionally with its own seconds ("leaderboard:40").
    pub boards: Vec<String>,
    /// Seconds a board stays up when its entry names none.
    pub seconds: u32,
    /// How often the figures on screen are refreshed in place, in seconds.
    pub refresh_seconds: u32,
    /// Read-only link token (`/tv?token=...`), so the TV needs no login. A secret:
    /// redacted in `Debug`; request logs never carry query strings. Empty: `/tv` is open.
    pub token: String,
}

impl Default for TvConfig {
    fn default() -> Self {
        TvConfig {
            boards: ["plan-fact", "leaderboard", "hygiene", "receivables"].map(String::from).to_vec(),
            seconds: 20,
            refresh_seconds: 60,
            token: String::new(),
        }
    }
}

impl std::fmt::Debug for TvConfig {
    // The token opens the boards to whoever holds it: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TvConfig")
            .field("boards", &self.boards)
            .field("seconds", &self.seconds)
            .field("refresh_seconds", &self.refresh_seconds)
            .field("token", &if self.token.is_empty() { "" } else { "<redacted>" })
            .finish()
    }
}

/// Boards a TV can show: every registered report, and the owner's summary.
pub fn tv_boards() -> Vec<&'static str> {
    crate::reports::ReportId::ALL.iter().map(|r| r.as_str()).chain(["owner"]).collect()
}

/// Reads one TV rotation entry, `board` or `board:seconds` (seconds may have a fraction,
/// from 0.05 up to a day), as written in `[tv] boards` or the TV link's `boards=`.
pub fn parse_tv_board(entry: &str) -> Result<(&'static str, Option<f64>), String> {
    let (name, seconds) = match entry.trim().split_once(':') {
        Some((name, seconds)) => (name.trim(), Some(seconds.trim())),
        None => (entry.trim(), None),
    };
    let boards = tv_boards();
    let Some(board) = boards.iter().copied().find(|b| *b == name) else {
        return Err(format!("unknown board {name:?}; expected one of {}", boards.join(", ")));
    };
    let seconds = match seconds {
        None => None,
        Some(text) => match text.parse::<f64>() {
            Ok(s) if (0.05..=86_400.0).contains(&s) => Some(s),
            _ => return Err(format!("{entry:?}: expected seconds from 0.05 to 86400 after the colon")),
        },
    };
    Ok((board, seconds))
}

/// A config that could not be used, with where and why, told in the
/// workspace's language (read leniently when the file cannot be parsed).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{}", self.render())]
pub enum ConfigError {
    /// The file is not valid TOML or has a key or value of the wrong kind:
    /// `detail` is the toml crate's own (English) message, quoted.
    Parse {
        file: String,
        line: Option<usize>,
        key: Option<String>,
        detail: String,
        lang: Language,
    },
    /// An environment override that cannot be used; `key` is the config key it sets.
    Env {
        var: String,
        key: Option<String>,
        message: String,
        lang: Language,
    },
    /// A value the file gives that is not allowed; `key` is dotted (`business.time_zone`).
    Invalid {
        file: String,
        line: Option<usize>,
        key: String,
        message: String,
        lang: Language,
    },
}

impl ConfigError {
    /// The message as the head of sales reads it: file (or variable), line,
    /// `[section] key`, then what was wrong and what was expected.
    fn render(&self) -> String {
        use crate::i18n::text_with;
        let place = |file: &str, line: Option<usize>, lang| match line {
            Some(n) => text_with(lang, "config.at_line", &[("file", file), ("line", &n.to_string())]),
            None => file.to_string(),
        };
        let with_key = |head: String, key: Option<&str>| match key {
            Some(k) => format!("{head}, {}", section_key(k)),
            None => head,
        };
        match self {
            ConfigError::Parse {
                file,
                line,
                key,
                detail,
                lang,
            } => {
                let what = match unknown_key(detail) {
                    Some((name, expected)) if expected.is_empty() => text_with(*lang, "config.unknown_key", &[("key", &name)]),
                    Some((name, expected)) => text_with(*lang, "config.unknown_key_expected", &[("key", &name), ("expected", &expected)]),
                    None => text_with(*lang, "config.parse", &[("detail", detail)]),
                };
                format!("{}: {what}", with_key(place(file, *line, *lang), key.as_deref()))
            }
            ConfigError::Env { var, key, message, lang } => {
                let head = text_with(*lang, "config.env", &[("var", var)]);
                format!("{}: {message}", with_key(head, key.as_deref()))
            }
            ConfigError::Invalid {
                file,
                line,
                key,
                message,
                lang,
            } => {
                format!("{}: {message}", with_key(place(file, *line, *lang), Some(key)))
            }
        }
    }
}

/// `business.time_zone` as the file writes it: `[business] time_zone`.
fn section_key(key: &str) -> String {
    match key.rsplit_once('.') {
        Some((section, name)) => format!("[{section}] {name}"),
        None => key.to_string(),
    }
}

/// serde's "unknown field `bnid`, expected one of `bind`, `port`" as the
/// unknown key and the keys allowed there (empty when none are named).
fn unknown_key(detail: &str) -> Option<(String, String)> {
    let rest = detail.strip_prefix("unknown field `")?;
    let (name, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    Some((name.to_string(), expected.join(", ")))
}

/// The workspace's language read leniently, for messages about a config that
/// may not parse: the environment's override, else `[business] language` in
/// the file (as TOML, or line by line when the TOML is broken), else Russian.
pub fn lenient_language<'a>(text: &str, env: impl IntoIterator<Item = &'a (String, String)>) -> Language {
    let from_env = env
        .into_iter()
        .find(|(var, _)| var == "TSIFRA_BUSINESS__LANGUAGE")
        .and_then(|(_, v)| Language::parse(v.trim().trim_matches('"')));
    if let Some(lang) = from_env {
        return lang;
    }
    if let Ok(table) = toml::from_str::<toml::Table>(text) {
        return table
            .get("business")
            .and_then(|b| b.get("language"))
            .and_then(|l| l.as_str())
            .and_then(Language::parse)
            .unwrap_or_default();
    }
    line_of(text, "business.language")
        .and_then(|n| text.lines().nth(n - 1))
        .and_then(|l| l.split_once('='))
        .and_then(|(_, v)| Language::parse(v.split('#').next().unwrap_or_default().trim().trim_matches('"').trim_matches('\'')))
        .unwrap_or_default()
}

/// The section a header line opens (`[business]` → `business`), if it is one.
fn section_of(line: &str) -> Option<&str> {
    let t = line.trim();
    (t.starts_with('[') && !t.starts_with("[[") && t.ends_with(']')).then(|| t[1..t.len() - 1].trim())
}

/// The key a `key = value` line sets, if it does.
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim();
    if t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    let (key, _) = t.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty()).then_some(key)
}

/// The 1-based line that sets the dotted `key` (`business.time_zone`), if the
/// file writes it as `[business]` then `time_zone = ...`.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (section, name) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = "";
    for (i, line) in text.lines().enumerate() {
        if let Some(s) = section_of(line) {
            current = s;
        } else if current == section && key_of(line) == Some(name) {
            return Some(i + 1);
        }
    }
    None
}

/// The dotted key set on the 1-based `line`, if that line sets one.
fn key_at(text: &str, line: usize) -> Option<String> {
    let mut current = "";
    for (i, l) in text.lines().enumerate() {
        if let Some(s) = section_of(l) {
            current = s;
        }
        if i + 1 == line {
            let key = key_of(l)?;
            return Some(if current.is_empty() {
                key.to_string()
            } else {
                format!("{current}.{key}")
            });
        }
    }
    None
}

/// Prefix of environment overrides: `TSIFRA_SERVER__BIND=0.0.0.0:80` sets `server.bind`.
pub const ENV_PREFIX: &str = "TSIFRA_";

impl Config {
    /// Parses `text` (the content of `file`, which may be empty for "no file"),
    /// then applies `TSIFRA_SECTION__KEY` overrides from `env`, then validates.
    /// Errors are in the workspace's language ([`lenient_language`]).
    pub fn parse(file: &str, text: &str, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let lang = lenient_language(text, &env);
        let parse_error = |e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ConfigError::Parse {
                file: file.to_string(),
                line,
                key: line.and_then(|n| key_at(text, n)),
                detail: e.message().trim().to_string(),
                lang,
            }
        };
        // First on its own, so that errors point at the file's line and column.
        let from_file: Config = toml::from_str(text).map_err(parse_error)?;
        let mut table: toml::Table = toml::from_str(text).map_err(parse_error)?;
        // Each override is applied and checked on its own, in name order, so an
        // error names the variable that caused it, never the file.
        let mut overrides: Vec<(String, String)> = env
            .into_iter()
            .filter(|(var, _)| var.strip_prefix(ENV_PREFIX).is_some_and(|path| path.contains("__")))
            .collect(); // TSIFRA_DATA_DIR and friends are flags, not config keys.
        overrides.sort();
        let mut config = from_file;
        let mut set_by: Vec<(String, String)> = Vec::new();
        for (var, value) in overrides {
            let path = &var[ENV_PREFIX.len()..];
            let keys: Vec<String> = path.split("__").map(|k| k.to_ascii_lowercase()).collect();
            let env_error = |key: Option<String>, message: String| ConfigError::Env {
                var: var.clone(),
                key,
                message,
                lang,
            };
            set_path(&mut table, &keys, parse_env_value(&value)).map_err(|m| env_error(None, m))?;
            let merged = toml::to_string(&table).expect("a table serialises");
            config = toml::from_str(&merged).map_err(|e| {
                let detail = e.message().trim().to_string();
                let message = match unknown_key(&detail) {
                    Some((name, expected)) => {
                        crate::i18n::text_with(lang, "config.unknown_key_expected", &[("key", &name), ("expected", &expected)])
                    }
                    None => crate::i18n::text_with(lang, "config.parse", &[("detail", &detail)]),
                };
                env_error(Some(keys.join(".")), message)
            })?;
            set_by.push((keys.join("."), var.clone()));
        }
        config.validate(file, text, lang).map_err(|e| match e {
            // A bad value that came from the environment is the variable's fault.
            ConfigError::Invalid { key, message, .. } if let Some((_, var)) = set_by.iter().find(|(k, _)| *k == key) => ConfigError::Env {
                var: var.clone(),
                key: Some(key),
                message,
                lang,
            },
            other => other,
        })?;
        Ok(config)
    }

    fn validate(&self, file: &str, text: &str, lang: Language) -> Result<(), ConfigError> {
        use crate::i18n::{text as t, text_with};
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            file: file.into(),
            line: line_of(text, key),
            key: key.into(),
            message,
            lang,
        };
        if self.time_zone().is_err() {
            return Err(invalid(
                "business.time_zone",
                text_with(lang, "config.time_zone", &[("value", &self.business.time_zone)]),
            ));
        }
        let c = &self.business.currency;
        if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
            return Err(invalid("business.currency", text_with(lang, "config.currency", &[("value", c)])));
        }
        if self.server.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "server.bind",
                text_with(lang, "config.bind", &[("value", &self.server.bind)]),
            ));
        }
        self.server
            .validate_limits()
            .map_err(|(key, _)| invalid(key, t(lang, "config.positive").into()))?;
        let url = &self.store.url;
        if !(url.is_empty() || url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("store.url", t(lang, "config.store_url").into()));
        }
        if self.reports.default_margin_percent > 100 {
            return Err(invalid("reports.default_margin_percent", t(lang, "config.percent").into()));
        }
        if self.reports.abc_a_percent == 0 || self.reports.abc_a_percent + self.reports.abc_b_percent > 100 {
            return Err(invalid("reports.abc_a_percent", t(lang, "config.abc").into()));
        }
        if let Err(message) = self.amocrm.validate_in(lang) {
            // The connector's messages start with the key they are about.
            let (key, message) = match message.split_once(": ") {
                Some((key, rest)) if key.starts_with("amocrm") => (key.to_string(), rest.to_string()),
                _ => ("amocrm".to_string(), message.clone()),
            };
            return Err(invalid(&key, message));
        }
        if self.call_priority.lookback_days == 0 {
            return Err(invalid("call_priority.lookback_days", t(lang, "config.lookback").into()));
        }
        if self.tv.boards.is_empty() {
            return Err(invalid("tv.boards", t(lang, "config.no_boards").into()));
        }
        for entry in &self.tv.boards {
            parse_tv_board(entry).map_err(|_| {
                invalid(
                    "tv.boards",
                    text_with(lang, "config.tv_board", &[("entry", entry), ("boards", &tv_boards().join(", "))]),
                )
            })?;
        }
        if !(1..=86_400).contains(&self.tv.seconds) {
            return Err(invalid("tv.seconds", text_with(lang, "config.seconds", &[("min", "1")])));
        }
        if !(5..=86_400).contains(&self.tv.refresh_seconds) {
            return Err(invalid("tv.refresh_seconds", text_with(lang, "config.seconds", &[("min", "5")])));
        }
        if self.tv.token.chars().any(|c| !(c.is_ascii_alphanumeric() || "-_.~".contains(c))) {
            // Anything else would need escaping in the TV's link and is easy to mistype there.
            return Err(invalid("tv.token", t(lang, "config.tv_token").into()));
        }
        Ok(())
    }

    pub fn time_zone(&self) -> Result<Tz, String> {
        self.business.time_zone.parse::<Tz>().map_err(|_| {
            format!(
                "unknown time zone {:?}; expected an IANA name such as \"Europe/Moscow\"",
                self.business.time_zone
            )
        })
    }

    /// The business calendar this config describes.
    pub fn calendar(&self) -> BusinessCalendar {
        let tz = self.time_zone().unwrap_or(chrono_tz::Europe::Moscow);
        let c = &self.calendar;
        BusinessCalendar::build(tz, c.holidays, &c.imported, &c.extra_holidays, &c.working_weekends)
    }
}

/// Accepts TOML's bare dates (`2026-12-30`) as well as strings.
fn dates<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Spelled {
        Toml(toml::value::Datetime),
        Text(String),
    }
    let parse = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| serde::de::Error::custom(format!("expected a date such as 2026-12-30, got {text:?}")))
    };
    Vec::<Spelled>::deserialize(d)?
        .into_iter()
        .map(|s| match s {
            Spelled::Toml(dt) if dt.time.is_none() && dt.date.is_some() => parse(&dt.to_string()),
            Spelled::Toml(dt) => parse(&dt.to_string()),
            Spelled::Text(text) => parse(&text),
        })
        .collect()
}

fn parse_env_value(raw: &str) -> toml::Value {
    // Numbers, booleans and arrays are written as in TOML; anything else is a string.
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

fn set_path(table: &mut toml::Table, keys: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = keys.split_last().ok_or("empty key")?;
    let mut current = table;
    for key in parents {
        let entry = current.entry(key.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| format!("`{key}` is not a section"))?;
    }
    current.insert(last.clone(), value);
    Ok(())
}

/// The commented sample config shipped as `tsifra.sample.toml`; a test checks
/// it parses to exactly the defaults and names every key, so it cannot drift.
pub const SAMPLE_CONFIG: &str = include_str!("../../../tsifra.sample.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse("tsifra.toml", text, Vec::<(String, String)>::new())
    }

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn sample_config_is_the_defaults_and_names_every_key() {
        assert_eq!(parse(SAMPLE_CONFIG).unwrap(), Config::default());
        let defaults = toml::Table::try_from(Config::default()).unwrap();
        for (section, keys) in &defaults {
            assert!(SAMPLE_CONFIG.contains(&format!("[{section}]")), "sample lacks [{section}]");
            for key in keys.as_table().unwrap().keys() {
                let needle = format!("\n{key} = ");
                let commented = format!("\n# {key} = ");
                assert!(
                    SAMPLE_CONFIG.contains(&needle) || SAMPLE_CONFIG.contains(&commented),
                    "sample lacks {section}.{key}"
                );
            }
        }
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse("[server]\nbind = \"127.0.0.1:9000\"\nbnid = 1\n").unwrap_err().to_string();
        assert!(
            err.starts_with("tsifra.toml, строка 3, [server] bnid: неизвестный ключ «bnid»; ожидался один из: bind,"),
            "{err}"
        );
        let en = "[business]\nlanguage = \"en\"\n[server]\nbnid = 1\n";
        let err = parse(en).unwrap_err().to_string();
        assert!(
            err.starts_with("tsifra.toml, line 4, [server] bnid: unknown key \"bnid\"; expected one of: bind,"),
            "{err}"
        );
    }

    /// Broken TOML cannot say its own language: it is read line by line, and
    /// the environment's override wins over the file.
    #[test]
    fn a_broken_files_language_is_read_leniently() {
        let broken = "[business]\nlanguage = \"en\" # English\n[server\nbind = 1\n";
        let err = parse(broken).unwrap_err().to_string();
        assert!(err.starts_with("tsifra.toml, line 3: cannot be read; the TOML error: "), "{err}");
        let err = parse("[server\n").unwrap_err().to_string();
        assert!(
            err.starts_with("tsifra.toml, строка 1: не удалось прочитать настройку; ошибка TOML: «"),
            "{err}"
        );
        let env = vec![("TSIFRA_BUSINESS__LANGUAGE".to_string(), "en".to_string())];
        let err = Config::parse("f.toml", "[business]\ntime_zone = \"Europe/Mosow\"\n", env).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.toml, line 2, [business] time_zone: unknown time zone \"Europe/Mosow\"; expected an IANA name such as Europe/Moscow"
        );
        assert_eq!(lenient_language("[business]\nlanguage = 'en'\n[x", &[]), Language::En);
        assert_eq!(
            lenient_language("[server]\nlanguage = \"en\"\n[x", &[]),
            Language::Ru,
            "not [business]'s"
        );
        assert_eq!(lenient_language("[business]\nlanguage = \"de\"\n", &[]), Language::Ru);
    }

    #[test]
    fn wrong_type_and_bad_values_are_named() {
        let err = parse("[business]\nlanguage = \"de\"\n").unwrap_err().to_string();
        assert!(err.contains("строка 2, [business] language") && err.contains("de"), "{err}");
        let err = parse("\n[business]\ncurrency = \"RUB\"\ntime_zone = \"Europe/Mosow\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "tsifra.toml, строка 4, [business] time_zone: неизвестный часовой пояс «Europe/Mosow»; ожидалось имя из базы IANA, например Europe/Moscow"
        );
        let err = parse("[server]\nbind = \"localhost\"\n").unwrap_err().to_string();
        assert!(err.contains("строка 2, [server] bind: «localhost»"), "{err}");
        let err = parse("[calendar]\nextra_holidays = [\"2026-02-30\"]\n").unwrap_err().to_string();
        assert!(err.contains("строка 2, [calendar] extra_holidays"), "{err}");
        // A key the file does not write (its default fails a check with another) has no line.
        let err = parse("[reports]\nabc_b_percent = 95\n").unwrap_err().to_string();
        assert!(err.starts_with("tsifra.toml, [reports] abc_a_percent: ожидалось"), "{err}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = vec![
            ("TSIFRA_SERVER__BIND".to_string(), "0.0.0.0:9999".to_string()),
            ("TSIFRA_BUSINESS__LANGUAGE".to_string(), "en".to_string()),
            ("TSIFRA_DATA_DIR".to_string(), "/ignored".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let c = Config::parse("f.toml", "[server]\nbind = \"127.0.0.1:1\"\n", env).unwrap();
        assert_eq!(c.server.bind, "0.0.0.0:9999");
        assert_eq!(c.business.language, Language::En);
        let err = Config::parse("f.toml", "", vec![("TSIFRA_SERVER__PORT".to_string(), "1".to_string())]).unwrap_err();
        assert!(matches!(err, ConfigError::Env { .. }) && err.to_string().contains("port"), "{err}");
    }

    /// A bad override is blamed on its variable, by name, never on the file.
    #[test]
    fn an_overrides_error_names_the_variable() {
        let env = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        let file = "[server]\nbind = \"127.0.0.1:1\"\n";
        let err = Config::parse("f.toml", file, env(&[("TSIFRA_SERVER__BIND", "garbage")])).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, ConfigError::Env { var, .. } if var == "TSIFRA_SERVER__BIND"),
            "{err:?}"
        );
        assert!(
            text.contains("[server] bind") && text.contains("garbage") && !text.contains("f.toml"),
            "{text}"
        );
        let err = Config::parse(
            "f.toml",
            "",
            env(&[("TSIFRA_BUSINESS__LANGUAGE", "en"), ("TSIFRA_TV__SECONDS", "abc")]),
        )
        .unwrap_err();
        assert!(
            matches!(&err, ConfigError::Env { var, .. } if var == "TSIFRA_TV__SECONDS"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("environment variable TSIFRA_TV__SECONDS, [tv] seconds: "),
            "{err}"
        );
        // The same bad value in the file is the file's.
        let err = Config::parse("f.toml", "[server]\nbind = \"garbage\"\n", env(&[])).unwrap_err();
        assert!(matches!(&err, ConfigError::Invalid { file, .. } if file == "f.toml"), "{err:?}");
    }

    #[test]
    fn tv_boards_and_token() {
        let c = parse("[tv]\nboards = [\"owner\", \"leaderboard:40\"]\ntoken = \"s3cret-tv\"\n").unwrap();
        assert_eq!(parse_tv_board(&c.tv.boards[1]), Ok(("leaderboard", Some(40.0))));
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret") && shown.contains("<redacted>"), "{shown}");
        let err = parse("[tv]\nboards = [\"forecastt\"]\n").unwrap_err().to_string();
        assert!(err.contains("[tv] boards: «forecastt» — не экран"), "{err}");
        let err = parse("[tv]\nboards = [\"hygiene:0\"]\n").unwrap_err().to_string();
        assert!(err.contains("[tv] boards"), "{err}");
        let err = parse("[tv]\ntoken = \"a b\"\n").unwrap_err().to_string();
        assert!(err.contains("[tv] token") && !err.contains("a b"), "{err}");
        assert_eq!(parse_tv_board(" hygiene : 0.5 "), Ok(("hygiene", Some(0.5))));
    }

    #[test]
    fn calendar_from_config() {
        let c =
            parse("[business]\ntime_zone = \"Europe/Berlin\"\n[calendar]\nholidays = \"none\"\nextra_holidays = [2026-12-30]\n").unwrap();
        let cal = c.calendar();
        assert_eq!(cal.tz(), chrono_tz::Europe::Berlin);
        assert!(!cal.is_working_day(NaiveDate::from_ymd_opt(2026, 12, 30).unwrap()));
        assert!(cal.is_working_day(NaiveDate::from_ymd_opt(2026, 11, 4).unwrap()));
    }
}
