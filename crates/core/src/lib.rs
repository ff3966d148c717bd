//! The pure core of Tsifra: the canonical sales model, the business calendar,
//! money, configuration and (as they land) the reports. No I/O lives here:
//! everything is a function of data, config and an "as of" instant.

pub mod amocrm_config;
pub mod calendar;
pub mod config;
pub mod i18n;
pub mod mapping;
pub mod model;
pub mod money;
pub mod query;
pub mod reports;
pub mod secret;

pub use calendar::{BusinessCalendar, Instant, Period, PeriodKind};
pub use config::Config;
pub use i18n::Language;
pub use model::*;
pub use money::Money;
