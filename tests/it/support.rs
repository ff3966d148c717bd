//! What the binary's tests share: running `tsifra` as a user would, and a
//! child process that is killed when the test ends, whatever happens.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// Runs `tsifra --data-dir DIR ARGS...`, with none of the caller's `TSIFRA_*` settings leaking in.
pub fn tsifra(data_dir: &Path, args: &[&str]) -> Output {
    tsifra_with(data_dir, args, &[])
}

/// [`tsifra`] with extra environment variables (e.g. `TSIFRA_BUSINESS__LANGUAGE=en`).
pub fn tsifra_with(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("TSIFRA_DATA_DIR")
        .env_remove("TSIFRA_CONFIG")
        .env_remove("TSIFRA_BUSINESS__LANGUAGE")
        // Tables are fitted to COLUMNS when it is set: a test sets it when it means to.
        .env_remove("COLUMNS")
        .envs(env.iter().copied())
        .env("RUST_LOG", "error")
        .output()
        .expect("the binary runs")
}

/// A server or fake the test started; killed and reaped when dropped.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tsifra --data-dir DIR serve --bind 127.0.0.1:0 EXTRA...` and returns it with the
/// address it says it listens on; the rest of what it logs is read and dropped.
pub fn serve(data_dir: &Path, extra: &[&str]) -> (Killed, String) {
    let (server, addr, _) = serve_logged(data_dir, extra, "error");
    (server, addr)
}

/// `tsifra serve` with its log at `level` kept: the server, its address, its log lines so far.
pub fn serve_logged(data_dir: &Path, extra: &[&str], level: &str) -> (Killed, String, Arc<Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .env_remove("TSIFRA_DATA_DIR")
        .env_remove("TSIFRA_CONFIG")
        .env("RUST_LOG", level)
        .stderr(std::process::Stdio::piped())
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
    let log = Arc::new(Mutex::new(Vec::new()));
    let kept = log.clone();
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| kept.lock().unwrap().push(l)));
    (server, addr, log)
}

/// The body of `GET path` from the server at `addr` (one plain HTTP/1.1 request).
pub fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()
}

/// Serves `demo` from a fake amoCRM (with `extra` flags) and returns its `[amocrm]` snippet.
pub fn serve_fake(demo: &Path, extra: &[&str]) -> (Killed, String) {
    let mut fake = std::process::Command::new(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(demo)
        .args(["dev", "fake-amocrm", "--bind", "127.0.0.1:0", "--rate-limit", "0"])
        .args(extra)
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = fake.stdout.take().unwrap();
    let killed = Killed(fake);
    use std::io::BufRead;
    let mut snippet = String::new();
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("[amocrm]") || !snippet.is_empty() {
            snippet.push_str(&line);
            snippet.push('\n');
            if line.starts_with("long_lived_token") {
                break;
            }
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    (killed, snippet)
}

/// A tmpfs of the given size mounted on a temp dir (unmounted on drop): a real
/// disk that fills up. `None`, with a note, where mounting is not permitted (not root).
pub struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    pub fn mount(size: &str) -> Option<TinyDisk> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(TinyDisk { dir }),
            Ok(out) => {
                eprintln!(
                    "note: cannot mount a tmpfs ({}); skipping this full-disk test (it needs root)",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("note: cannot run mount ({e}); skipping this full-disk test");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills what is left of the disk with one file; removing it makes room again.
    /// Gives the disk a new size in place (the files on it stay).
    pub fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(self.dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount {} to {size}", self.dir.path().display());
    }

    pub fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        path
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}
