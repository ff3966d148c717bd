//! What the binary's tests share: running `tsifra` as a user would, and a
//! child process that is killed when the test ends, whatever happens.

use std::path::Path;
use std::process::{Command, Output};

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
