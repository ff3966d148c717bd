//! Times reading a long plan file: `cargo run --release -p tsifra-import
//! --example plan_import_speed -- 100000` writes a CSV of that many distinct
//! plans (100 managers × 4 metrics × days from 1990) to a temp file, then
//! parses it streamed from the file, as `tsifra import plans` does. Run it
//! under `/usr/bin/time -v` for the peak memory.

use std::io::Write;
use std::time::Instant;

use chrono::NaiveDate;
use tsifra_core::Language;
use tsifra_core::model::{Source, Table, User};
use tsifra_import::plans::{PlanSource, parse_plans};

fn main() {
    let rows: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let users: Table<User> = (1..=100)
        .map(|id| User {
            id,
            name: format!("Менеджер Номер {id}"),
            email: Some(format!("m{id}@example.ru")),
            team_id: None,
            active: true,
            source: Source::Amocrm,
        })
        .collect();
    let metrics = ["revenue", "margin", "won_deals", "calls"];
    let first = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    {
        let mut out = std::io::BufWriter::new(file.as_file_mut());
        writeln!(out, "менеджер;период;показатель;план").unwrap();
        for i in 0..rows {
            let day = first + chrono::Days::new((i / 400) as u64);
            let metric = metrics[(i / 100) % 4];
            let target = if metric == "revenue" || metric == "margin" {
                format!("{} 000 ₽", i + 1)
            } else {
                (i + 1).to_string()
            };
            writeln!(out, "Менеджер Номер {};{};{metric};{target}", i % 100 + 1, day.format("%Y-%m-%d")).unwrap();
        }
    }
    let size = file.as_file().metadata().unwrap().len();
    let started = Instant::now();
    let reader = std::fs::File::open(file.path()).unwrap();
    let plans = parse_plans("plans.csv", PlanSource::CsvReader(Box::new(reader)), &users, Language::Ru).unwrap();
    let took = started.elapsed().as_secs_f64();
    println!(
        "{rows} rows, {:.1} MB: {} plans in {took:.2} s ({:.0} rows/s)",
        size as f64 / 1e6,
        plans.len(),
        rows as f64 / took
    );
}
