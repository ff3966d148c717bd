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

use crate::support::{small_workspace, state};

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
