//! The `[amocrm]` section of `tsifra.toml` (read by the amoCRM connector): where the account is, how to
//! authenticate, how fast to go and when to sync. Pure data with defaults and
//! validation; secrets are [`Secret`]s so `Debug` never prints them.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AmocrmConfig {
    /// The account's own address: `https://SUBDOMAIN.amocrm.ru` or `https://SUBDOMAIN.kommo.com`.
    /// Empty: amoCRM is not connected.
    pub base_url: String,
    /// A long-lived token from the integration's "Keys" tab (simplest for one company).
    /// Leave empty to use OAuth2 (`tsifra amocrm connect`).
    pub long_lived_token: Secret,
    /// OAuth2 integration id ("ID интеграции").
    pub client_id: String,
    /// OAuth2 secret key ("Секретный ключ").
    pub client_secret: Secret,
    /// OAuth2 redirect URI exactly as set in the integration, e.g. `https://tsifra.example.com/amocrm/oauth`.
    pub redirect_uri: String,
    /// Requests per second; amoCRM allows 7 per integration and 50 per account.
    pub requests_per_second: u32,
    /// The secret path part of the webhook URL: `POST /hooks/amocrm/<webhook_secret>`. Empty: webhooks off.
    pub webhook_secret: Secret,
    /// When `tsifra serve` runs an incremental sync: a cron expression (minute hour day month weekday)
    /// in the business time zone.
    pub sync_every: String,
    /// Local time ("HH:MM") of the nightly full reconcile; empty turns it off.
    pub nightly_reconcile_at: String,
    /// Incremental runs re-read this many minutes before the last watermark, because amoCRM's
    /// lists are eventually consistent.
    pub overlap_minutes: u32,
}

impl Default for AmocrmConfig {
    fn default() -> Self {
        AmocrmConfig {
            base_url: String::new(),
            long_lived_token: Secret::default(),
            client_id: String::new(),
            client_secret: Secret::default(),
            redirect_uri: String::new(),
            requests_per_second: 7,
            webhook_secret: Secret::default(),
            sync_every: "*/10 * * * *".into(),
            nightly_reconcile_at: "03:00".into(),
            overlap_minutes: 10,
        }
    }
}

/// How the client authenticates, as the config decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    LongLivedToken,
    OAuth,
}

impl AmocrmConfig {
    /// True when a base URL is set, i.e. the user means to use amoCRM.
    pub fn is_enabled(&self) -> bool {
        !self.base_url.trim().is_empty()
    }

    /// The base URL without a trailing slash.
    pub fn base(&self) -> &str {
        self.base_url.trim().trim_end_matches('/')
    }

    pub fn auth_mode(&self) -> AuthMode {
        if self.long_lived_token.is_empty() {
            AuthMode::OAuth
        } else {
            AuthMode::LongLivedToken
        }
    }

    /// Checks the section; the error names the key (`amocrm.KEY: ...`).
    pub fn validate(&self) -> Result<(), String> {
        self.validate_in(crate::Language::En)
    }

    /// [`Self::validate`] with what was expected told in `lang`.
    pub fn validate_in(&self, lang: crate::Language) -> Result<(), String> {
        let say = |key: &str, values: &[(&str, &str)]| crate::i18n::text_with(lang, &format!("config.amocrm_{key}"), values);
        if !self.is_enabled() {
            return Ok(());
        }
        let base = self.base();
        let parsed = url::Url::parse(base).ok().filter(|u| u.host_str().is_some());
        if !(base.starts_with("https://") || base.starts_with("http://"))
            || base.chars().any(|c| c.is_whitespace() || c.is_control())
            || parsed.is_none()
        {
            return Err(format!(
                "amocrm.base_url: {}",
                say("base_url", &[("value", &base.escape_debug().to_string())])
            ));
        }
        if base.contains("www.amocrm.ru") || base.contains("www.kommo.com") {
            return Err(format!("amocrm.base_url: {}", say("www", &[])));
        }
        if !(1..=50).contains(&self.requests_per_second) {
            return Err(format!(
                "amocrm.requests_per_second: {}",
                say("rps", &[("value", &self.requests_per_second.to_string())])
            ));
        }
        if self.auth_mode() == AuthMode::OAuth
            && (self.client_id.is_empty() || self.client_secret.is_empty() || self.redirect_uri.is_empty())
        {
            return Err(format!("amocrm: {}", say("auth", &[])));
        }
        // Parsed as `serve` parses it, so what passes here runs there.
        if let Err(e) = self.sync_schedule() {
            return Err(format!(
                "amocrm.sync_every: {}",
                say("cron", &[("value", &self.sync_every), ("error", &e)])
            ));
        }
        if !self.nightly_reconcile_at.is_empty() && parse_hh_mm(&self.nightly_reconcile_at).is_none() {
            return Err(format!(
                "amocrm.nightly_reconcile_at: {}",
                say("nightly", &[("value", &self.nightly_reconcile_at)])
            ));
        }
        Ok(())
    }

    /// `sync_every` as a schedule: five fields, each in its range.
    pub fn sync_schedule(&self) -> Result<croner::Cron, String> {
        if self.sync_every.split_whitespace().count() != 5 {
            return Err("not 5 fields".into());
        }
        self.sync_every.parse::<croner::Cron>().map_err(|e| e.to_string())
    }

    /// The nightly reconcile time, if one is set and valid.
    pub fn nightly_reconcile_time(&self) -> Option<chrono::NaiveTime> {
        parse_hh_mm(&self.nightly_reconcile_at)
    }
}

fn parse_hh_mm(text: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Wrapper {
        amocrm: AmocrmConfig,
    }

    fn parse(text: &str) -> AmocrmConfig {
        toml::from_str::<Wrapper>(text).unwrap().amocrm
    }

    #[test]
    fn defaults_and_redaction() {
        let c = parse("[amocrm]\nbase_url = \"https://acme.amocrm.ru/\"\nlong_lived_token = \"tok-123\"\nwebhook_secret = \"hook\"\n");
        assert_eq!(c.requests_per_second, 7);
        assert_eq!(c.overlap_minutes, 10);
        assert_eq!(c.base(), "https://acme.amocrm.ru");
        assert_eq!(c.auth_mode(), AuthMode::LongLivedToken);
        c.validate().unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("tok-123") && !debug.contains("hook\""), "{debug}");
    }

    /// What `config check` passes, `serve` can run: a cron out of range and an
    /// address with a space used to pass here and fail at start.
    #[test]
    fn a_schedule_out_of_range_and_an_address_with_a_space_are_refused() {
        let with = |line: &str| {
            parse(&format!(
                "[amocrm]\nbase_url = \"https://acme.amocrm.ru\"\nlong_lived_token = \"t\"\n{line}\n"
            ))
        };
        let err = with("sync_every = \"99 99 99 99 99\"").validate().unwrap_err();
        assert!(err.starts_with("amocrm.sync_every:") && err.contains("99 99 99 99 99"), "{err}");
        assert!(with("sync_every = \"*/10 * * * *\"").validate().is_ok());
        assert!(with("sync_every = \"0 9-18 * * 1-5\"").validate().is_ok());
        assert!(
            with("sync_every = \"0 0 31 2 *\"").sync_schedule().is_ok(),
            "never due is still a schedule"
        );
        assert!(with("sync_every = \"* * * * * *\"").validate().is_err(), "six fields");
        for bad in [
            "https://my company.amocrm.ru",
            "https://acme.amocrm.ru/\tx",
            "https://",
            "https://:80",
        ] {
            let c = parse(&format!("[amocrm]\nbase_url = {bad:?}\nlong_lived_token = \"t\"\n"));
            let err = c.validate().unwrap_err();
            assert!(err.starts_with("amocrm.base_url:"), "{bad}: {err}");
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let r = toml::from_str::<Wrapper>("[amocrm]\nbase_url = \"x\"\ntokn = \"1\"\n");
        assert!(r.unwrap_err().to_string().contains("tokn"));
        let round = toml::to_string(&AmocrmConfig::default()).unwrap();
        assert_eq!(toml::from_str::<AmocrmConfig>(&round).unwrap(), AmocrmConfig::default());
        let c = AmocrmConfig {
            base_url: "acme.amocrm.ru".into(),
            long_lived_token: "t".into(),
            ..AmocrmConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("amocrm.base_url"));
        let c = AmocrmConfig {
            base_url: "https://acme.amocrm.ru".into(),
            ..AmocrmConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("client_id"));
        assert!(AmocrmConfig::default().validate().is_ok(), "off by default");
        let c = AmocrmConfig {
            base_url: "https://acme.amocrm.ru".into(),
            long_lived_token: "t".into(),
            nightly_reconcile_at: "25:00".into(),
            ..AmocrmConfig::default()
        };
        assert_eq!(
            c.validate_in(crate::Language::Ru).unwrap_err(),
            "amocrm.nightly_reconcile_at: «25:00» — не время; ожидалось время вида \"03:00\" или пустая строка"
        );
    }
}
