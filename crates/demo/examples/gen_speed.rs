//! Times the demo generator: `cargo run --release -p tsifra-demo --example gen_speed -- 1000000`.
//! Prints the time to generate and the number of records of each kind.

use std::time::Instant as Clock;

use chrono::{DateTime, Utc};
use tsifra_core::{BusinessCalendar, calendar::HolidayPreset};
use tsifra_demo::{DemoOptions, generate};

fn main() {
    let deals = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(DemoOptions::DEFAULT_DEALS);
    let as_of: DateTime<Utc> = "2026-11-26T11:30:00Z".parse().expect("a valid instant");
    let (holidays, working) = HolidayPreset::Ru.days();
    let calendar = BusinessCalendar::new(chrono_tz::Europe::Moscow, holidays, working);
    let opts = DemoOptions {
        deals,
        ..DemoOptions::at(as_of)
    };
    let started = Clock::now();
    let ws = generate(&opts, &calendar);
    let took = started.elapsed();
    println!("generate({deals} deals): {:.2} s", took.as_secs_f64());
    for (kind, n) in ws.counts() {
        println!("  {:<12} {n}", kind.as_str());
    }
    println!("  {:<12} {}", "plan", ws.plans.len());
}
