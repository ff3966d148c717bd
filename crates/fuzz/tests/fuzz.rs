//! Every reader of outside input, fuzzed for a fixed time each
//! (`TSIFRA_FUZZ_SECONDS`, default 2; CI sets its budget in scripts/test.sh),
//! and every input under `regressions/<target>/` replayed: each crash the
//! fuzzing found is kept there, named for what it broke.
//!
//! A crash saves its input under the test's temporary directory and names the
//! file and the seed; replay the run with `TSIFRA_FUZZ_SEED=...`.

use std::path::PathBuf;
use std::time::Duration;

use tsifra_fuzz::{Target, run, run_with, seeds::seeds};

fn budget() -> Duration {
    let seconds = std::env::var("TSIFRA_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(seconds.max(0.0))
}

fn seed() -> u64 {
    std::env::var("TSIFRA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

fn regressions(target: Target) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions").join(target.name());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(_) => return vec![],
    };
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

fn fuzz(target: Target) {
    for (path, input) in regressions(target) {
        let found = run(target, &[input], Duration::ZERO, 0);
        if let Some((_, message)) = found.crash {
            panic!("{} crashes {}: {message}", path.display(), target.name());
        }
    }
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "{} has seeds", target.name());
    let seed = seed();
    let found = run(target, &seeds, budget(), seed);
    if let Some((input, message)) = found.crash {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-crashes");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{seed}", target.name()));
        std::fs::write(&path, &input).unwrap();
        let shown: String = String::from_utf8_lossy(&input).chars().take(2000).collect();
        panic!(
            "{} panicked after {} inputs (TSIFRA_FUZZ_SEED={seed}); the input is in {}:\n{message}\n--- input ---\n{shown:?}",
            target.name(),
            found.runs,
            path.display()
        );
    }
    eprintln!("{}: {} inputs in {:?}, no crash", target.name(), found.runs, budget());
}

#[test]
fn plans_csv() {
    fuzz(Target::PlansCsv);
}

#[test]
fn plans_xlsx() {
    fuzz(Target::PlansXlsx);
}

#[test]
fn calendar() {
    fuzz(Target::Calendar);
}

#[test]
fn webhook() {
    fuzz(Target::Webhook);
}

#[test]
fn amocrm() {
    fuzz(Target::Amocrm);
}

#[test]
fn config() {
    fuzz(Target::Config);
}

#[test]
fn explore() {
    fuzz(Target::Explore);
}

/// The harness finds what it is for: a reader that panics on some input
/// reached only by mutation (two dictionary tokens in a row) is caught, with
/// that input; a reader that never panics runs the whole budget.
#[test]
fn a_panicking_reader_is_caught_with_the_input_that_broke_it() {
    let fragile = |data: &[u8]| {
        let text = String::from_utf8_lossy(data);
        assert!(!text.contains("9;9"), "a reader that breaks on 9;9");
    };
    let seeds = [b"a;b\n1;2\n".to_vec()];
    let found = run_with(fragile, &["9", ";", "\n"], &seeds, Duration::from_secs(20), 7);
    let (input, message) = found.crash.expect("the mutations reach 9;9 within the budget");
    assert!(String::from_utf8_lossy(&input).contains("9;9"), "{input:?}");
    assert!(message.contains("breaks on 9;9"), "{message}");

    let sturdy = |_: &[u8]| {};
    let found = run_with(sturdy, &["9"], &seeds, Duration::from_millis(200), 7);
    assert!(found.crash.is_none());
    assert!(found.runs > 1, "mutants were tried: {}", found.runs);
}
