//! Shared fixtures: the Moscow business calendar, a fixed "now", and cached demos.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use tsifra_core::{BusinessCalendar, Instant, StageKind, Workspace, calendar::HolidayPreset};
use tsifra_demo::{DemoOptions, generate};

pub fn moscow() -> BusinessCalendar {
    let (holidays, working) = HolidayPreset::Ru.days();
    BusinessCalendar::new(chrono_tz::Europe::Moscow, holidays, working)
}

pub fn utc(s: &str) -> Instant {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Thursday 26 November 2026, 14:30 in Moscow.
pub fn now() -> Instant {
    utc("2026-11-26T11:30:00Z")
}

pub fn options(seed: u64, deals: usize, as_of: Instant) -> DemoOptions {
    DemoOptions { seed, deals, as_of }
}

/// The default-size department at `now()`, generated once for all tests.
pub fn default_demo() -> &'static Workspace {
    static WS: OnceLock<Workspace> = OnceLock::new();
    WS.get_or_init(|| generate(&DemoOptions::at(now()), &moscow()))
}

/// The default department and three other seeds, for properties that must not be luck.
pub fn demos() -> &'static [Workspace] {
    static ALL: OnceLock<Vec<Workspace>> = OnceLock::new();
    ALL.get_or_init(|| {
        let cal = moscow();
        [1, 2, 3]
            .into_iter()
            .map(|seed| generate(&options(seed, DemoOptions::DEFAULT_DEALS, now()), &cal))
            .collect()
    })
}

pub fn stage_kind(ws: &Workspace, pipeline: i64, stage: i64) -> StageKind {
    let known = ws.pipelines.get(pipeline).and_then(|p| p.stage(stage));
    known.unwrap_or_else(|| panic!("stage {pipeline}/{stage} exists")).kind
}
