//! The server on a real socket: answers over TCP and stops promptly when
//! the shutdown future resolves, even with an idle keep-alive connection open.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::timeout;
use tsifra_core::Language;
use tsifra_web::serve;

use crate::support::{demo_state, small_workspace, state};

const PROMPTLY: Duration = Duration::from_secs(5);

// The client is plain blocking std I/O on a blocking thread: tokio's `io-util`
// feature is not enabled in this workspace, and no client crate is needed.

/// Sends `request` and reads one response with a `content-length` body,
/// returning the head, the body and the still-open connection.
fn exchange(addr: SocketAddr, request: &str) -> (String, String, TcpStream) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PROMPTLY)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).expect("response in time");
        assert!(n > 0, "connection closed before a full response: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .expect("content-length");
            if buf.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).to_string();
                return (head, body, stream);
            }
        }
    }
}

async fn exchange_async(addr: SocketAddr, request: &'static str) -> (String, String, TcpStream) {
    tokio::task::spawn_blocking(move || exchange(addr, request)).await.unwrap()
}

#[tokio::test]
async fn serves_health_over_tcp_and_returns_on_shutdown() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state(Language::Ru, small_workspace()), async {
        let _ = stopped.await;
    }));

    let (head, body, _) = exchange_async(addr, "GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("application/json"), "{head}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["deals"], 3);

    stop.send(()).unwrap();
    let result = timeout(PROMPTLY, server).await.expect("serve returned promptly").unwrap();
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_does_not_hold_up_shutdown() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state(Language::En, small_workspace()), async {
        let _ = stopped.await;
    }));

    let (head, body, stream) = exchange_async(addr, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(body.contains("<html lang=\"en\">"));

    // The connection stays open and idle while the server is told to stop.
    stop.send(()).unwrap();
    let result = timeout(PROMPTLY, server).await.expect("serve returned promptly").unwrap();
    assert!(result.is_ok(), "{result:?}");
    drop(stream);
}

/// One whole answer (head and body) to `path` on a connection of its own.
fn fetch(addr: SocketAddr, path: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).expect("a whole answer");
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    (String::from_utf8_lossy(&buf[..end]).to_string(), buf[end + 4..].to_vec())
}

/// A hundred people download the same hygiene workbook at once: it is built
/// once and all get the same bytes; another file is a build of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_downloads_of_one_xlsx_build_it_once() {
    let state = demo_state(Language::Ru);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    assert_eq!(state.downloads().built(), 0);

    let clients: Vec<_> = (0..100)
        .map(|_| std::thread::spawn(move || fetch(addr, "/boards/hygiene.xlsx")))
        .collect();
    let answers: Vec<(String, Vec<u8>)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    for (head, body) in &answers {
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("spreadsheetml"), "{head}");
        assert!(
            body == &answers[0].1,
            "every client gets the same file ({} and {} bytes)",
            body.len(),
            answers[0].1.len()
        );
    }
    assert!(answers[0].1.starts_with(b"PK"), "an XLSX (a zip)");
    assert_eq!(state.downloads().built(), 1, "built once for a hundred requests");

    let (head, _) = tokio::task::spawn_blocking(move || fetch(addr, "/boards/hygiene/violations.csv"))
        .await
        .unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(state.downloads().built(), 2, "another file, another build");

    stop.send(()).unwrap();
    timeout(PROMPTLY, server).await.expect("serve returned promptly").unwrap().unwrap();
}
