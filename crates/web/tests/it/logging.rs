//! Request logging names the path and status but never the query string,
//! which may carry tokens (TV links, webhook secrets).

use std::io::Write;
use std::sync::{Arc, Mutex};

use tsifra_core::Language;

use crate::support::{get, small_workspace, state};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn requests_are_logged_by_path_without_the_query() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // A current-thread test runtime: every poll happens on this thread, under this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);
    let state = state(Language::Ru, small_workspace());
    // Other tests run on other threads without a subscriber, and a callsite one of
    // them registers while this one is being set up may cache "nobody listens".
    // Touch every callsite once, then have tracing ask every subscriber again.
    for warm_up in ["/api/health", "/?as_of=bad", "/nowhere"] {
        get(&state, warm_up).await;
    }
    tracing::callsite::rebuild_interest_cache();
    captured.0.lock().unwrap().clear();

    get(&state, "/api/health?token=SECRET-1").await;
    get(&state, "/?as_of=SECRET-2&token=SECRET-3").await;
    get(&state, "/nowhere?token=SECRET-4").await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("path=/api/health"), "{log}");
    assert!(log.contains("path=/nowhere") && log.contains("status=404"), "{log}");
    assert!(log.contains("status=400"), "{log}");
    assert!(!log.contains("SECRET"), "a query string leaked into the log:\n{log}");
}
