//! `tsifra serve` under a flood, on real sockets: clients that never finish
//! their headers, a slow body to a guessed webhook URL. The server runs with
//! the usual 1,024 open files, as on most machines.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::Killed;

/// The usual soft limit of open files, which the server is started under.
const FD_LIMIT: u32 = 1024;

/// `tsifra serve` on an ephemeral port under `ulimit -n 1024`, with `env` on top.
fn serve_limited(data_dir: &Path, env: &[(&str, &str)]) -> (Killed, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {FD_LIMIT} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("TSIFRA_DATA_DIR")
        .env_remove("TSIFRA_CONFIG")
        .envs(env.iter().copied())
        .env("RUST_LOG", "error")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
    let server = Killed(child);
    let addr = loop {
        let line = lines.next().expect("the server says where it listens").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (server, addr)
}

/// Lets this test process hold `n` sockets of its own (its limit may be 1,024 too).
fn allow_open_files(n: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain calls on a valid, initialised struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < n as libc::rlim_t {
            limit.rlim_cur = (n as libc::rlim_t).min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

/// The head of the answer to `request` on `stream` (read until the blank line),
/// or what the error was; a long read timeout only so a broken build fails rather than hangs.
fn answer(stream: &mut TcpStream, request: &[u8]) -> Result<String, String> {
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream.write_all(request).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Err(format!("closed after {:?}", String::from_utf8_lossy(&buf))),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("{e} after {:?}", String::from_utf8_lossy(&buf))),
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(String::from_utf8_lossy(&buf[..end]).to_string());
        }
    }
}

/// 1,100 clients each send half a request's headers and stop. The header
/// timeout is set to five minutes, so only the connection cap can keep the
/// server answering: past 512 connections it closes the oldest of those still
/// sending headers, and `/api/health` gets its answer while all 1,100 wait.
#[test]
fn eleven_hundred_slow_header_connections_do_not_stop_health() {
    allow_open_files(4096);
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr) = serve_limited(dir.path(), &[("TSIFRA_SERVER__HEADER_TIMEOUT_SECONDS", "300")]);
    let mut slow = Vec::new();
    for _ in 0..1_100 {
        let mut s = TcpStream::connect(&addr).expect("connect");
        s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n").unwrap();
        slow.push(s);
    }
    let mut health = TcpStream::connect(&addr).unwrap();
    let head = answer(&mut health, b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let head = head.expect("/api/health answers under the flood");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // Still answering with every slow client still connected on its side.
    let mut again = TcpStream::connect(&addr).unwrap();
    let head = answer(&mut again, b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    drop(slow);
}

/// A configured account with a webhook secret; the account's URL answers
/// nothing (the start-up sync fails quietly), the hook route is what is tested.
fn with_webhooks(dir: &Path) {
    std::fs::write(
        dir.join("tsifra.toml"),
        "[amocrm]\nbase_url = \"http://127.0.0.1:9\"\nlong_lived_token = \"t\"\nwebhook_secret = \"s3cret\"\n\
         sync_every = \"0 0 1 1 *\"\nnightly_reconcile_at = \"\"\n",
    )
    .unwrap();
}

/// A guessed webhook URL with a body announced at 60 KB (under the limit) of
/// which a few bytes come: refused (404) on its path before the body is read,
/// not held open for it (the deadlines are ten minutes here). A body announced
/// past the limit is refused with 413 before it is read, even on the right URL.
#[test]
fn a_webhook_with_a_wrong_secret_is_refused_before_its_slow_body() {
    let dir = tempfile::tempdir().unwrap();
    with_webhooks(dir.path());
    let (_server, addr) = serve_limited(
        dir.path(),
        &[
            ("TSIFRA_SERVER__REQUEST_TIMEOUT_SECONDS", "600"),
            ("TSIFRA_SERVER__HEADER_TIMEOUT_SECONDS", "600"),
            ("TSIFRA_SERVER__MAX_BODY_KB", "64"),
        ],
    );
    let mut s = TcpStream::connect(&addr).unwrap();
    let head = answer(
        &mut s,
        b"POST /hooks/amocrm/guess HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 60000\r\n\r\nleads[sta",
    )
    .expect("answered without the rest of the body");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");

    let mut s = TcpStream::connect(&addr).unwrap();
    let head = answer(
        &mut s,
        b"POST /hooks/amocrm/s3cret HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 1000000\r\n\r\nleads[sta",
    )
    .expect("answered without the rest of the body");
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}
