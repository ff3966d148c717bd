//! Turning flags into what commands need: logging, the validated config, a
//! writable data dir, the opened store. Errors here say what to fix.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use tsifra_core::config::ConfigError;
use tsifra_core::{BusinessCalendar, Config, Instant};
use tsifra_store::Store;

pub fn init_logging(quiet: bool, verbose: bool) {
    let default = if quiet {
        "error"
    } else if verbose {
        "debug"
    } else {
        "info,sqlx=warn,tower_http=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// A bad config or bad flags is a usage error (2); anything else is a failure (1).
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain()
        .any(|c| c.downcast_ref::<ConfigError>().is_some() || c.downcast_ref::<UsageError>().is_some())
    {
        2
    } else {
        1
    }
}

/// Something the user typed that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow!(UsageError(message.into()))
}

/// The workspace's language once its config is read, for what `main` prints
/// around an error; Russian before that (the default).
static LANGUAGE: std::sync::OnceLock<tsifra_core::Language> = std::sync::OnceLock::new();

/// The workspace's language as far as it is known: the config's once read,
/// else `TSIFRA_BUSINESS__LANGUAGE`, else Russian.
pub fn language() -> tsifra_core::Language {
    LANGUAGE.get().copied().unwrap_or_else(|| {
        let env: Vec<(String, String)> = std::env::var("TSIFRA_BUSINESS__LANGUAGE")
            .map(|v| vec![("TSIFRA_BUSINESS__LANGUAGE".to_string(), v)])
            .unwrap_or_default();
        tsifra_core::config::lenient_language("", &env)
    })
}

/// The word an error line starts with, in the workspace's language.
pub fn error_prefix() -> &'static str {
    tsifra_core::i18n::text(LANGUAGE.get().copied().unwrap_or_default(), "cli.error")
}

/// The config file in use (if any) and the parsed config.
pub struct Loaded {
    pub config: Config,
    pub file: Option<PathBuf>,
}

/// Reads `explicit`, else `DATA_DIR/tsifra.toml` if it exists, else the defaults; applies `TSIFRA_*__*`.
pub fn load_config(explicit: Option<&Path>, data_dir: &Path) -> Result<Loaded> {
    let file = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => Some(data_dir.join("tsifra.toml")).filter(|p| p.exists()),
    };
    let env: Vec<(String, String)> = std::env::vars().collect();
    let (name, text) = match &file {
        Some(path) => {
            let text = fs::read_to_string(path).map_err(|e| {
                let lang = tsifra_core::config::lenient_language("", &env);
                let _ = LANGUAGE.set(lang);
                let message = tsifra_core::i18n::text_with(lang, "cli.config_unreadable", &[("file", &path.display().to_string())]);
                anyhow::Error::new(e).context(message)
            })?;
            (path.display().to_string(), text)
        }
        None => (
            tsifra_core::i18n::text(tsifra_core::config::lenient_language("", &env), "cli.config_defaults").to_string(),
            String::new(),
        ),
    };
    // What `main` prints around the error is in the file's language too, even when it does not parse.
    let config = Config::parse(&name, &text, env.iter().cloned()).inspect_err(|_| {
        let _ = LANGUAGE.set(tsifra_core::config::lenient_language(&text, &env));
    })?;
    let _ = LANGUAGE.set(config.business.language);
    Ok(Loaded { config, file })
}

/// Creates the data dir if needed and proves it can be written to.
pub fn ensure_data_dir(dir: &Path) -> Result<()> {
    let say = |key: &str| tsifra_core::i18n::text_with(language(), key, &[("dir", &dir.display().to_string())]);
    fs::create_dir_all(dir).with_context(|| say("cli.cannot_create_data_dir"))?;
    let probe = dir.join(".tsifra-write-check");
    let written = fs::write(&probe, b"ok");
    let _ = fs::remove_file(probe);
    written.with_context(|| say("cli.data_dir_not_writable"))
}

/// Whether an error comes down to a full disk: the OS's "no space left", or
/// the store's own verdict ([`tsifra_store::StoreError::is_disk_full`]).
pub fn is_disk_full(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
            || c.downcast_ref::<tsifra_store::StoreError>().is_some_and(|s| s.is_disk_full())
    })
}

/// Writes a new file readable by its owner only (0600 on Unix), as the token
/// file is: `tsifra.toml` may hold the amoCRM token and the database password.
pub fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn store_url(config: &Config, data_dir: &Path) -> String {
    if config.store.url.is_empty() {
        Store::sqlite_url_for(data_dir)
    } else {
        config.store.url.clone()
    }
}

pub async fn open_store(config: &Config, data_dir: &Path) -> Result<Store> {
    Ok(Store::open(&store_url(config, data_dir)).await?)
}

/// `--as-of` as an instant, read the same way the web server reads `?as_of=`.
pub fn parse_as_of(value: Option<&str>, calendar: &BusinessCalendar, lang: tsifra_core::Language) -> Result<Option<Instant>> {
    value
        .map(|v| tsifra_web::parse_as_of(v, calendar).map_err(|e| usage(format!("--as-of: {}", e.message(lang)))))
        .transpose()
}
