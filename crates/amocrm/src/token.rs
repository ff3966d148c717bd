//! OAuth2 token pairs and where they live. Refresh tokens are single-use, so
//! the new pair is saved (atomically, owner-only) before it is ever used:
//! a crash between refresh and save would otherwise lock the account out.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// An access token (a day) and its single-use refresh token (three months).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    pub access_token: Secret,
    pub refresh_token: Secret,
    /// Unix seconds when the access token stops working.
    pub expires_at: i64,
}

impl TokenPair {
    /// True when the access token expires within `margin_s` seconds of `now`.
    pub fn expires_soon(&self, now: i64, margin_s: i64) -> bool {
        self.expires_at <= now + margin_s
    }
}

/// Loads and saves the token pair. Implementations must make `save` durable
/// before returning: the caller uses the new pair right after.
pub trait TokenStore: Send + Sync {
    fn load(&self) -> Result<Option<TokenPair>>;
    fn save(&self, pair: &TokenPair) -> Result<()>;
}

/// `amocrm-tokens.json` in the data dir, mode 0600, replaced atomically (temp file + rename).
#[derive(Clone, Debug)]
pub struct FileTokenStore {
    path: PathBuf,
}

pub const TOKEN_FILE: &str = "amocrm-tokens.json";

impl FileTokenStore {
    pub fn new(data_dir: &Path) -> Self {
        FileTokenStore {
            path: data_dir.join(TOKEN_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> Result<Option<TokenPair>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::TokenStore(format!(
                    "{} is damaged ({e}); reconnect with `tsifra amocrm connect`",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::TokenStore(format!("cannot read {}: {e}", self.path.display()))),
        }
    }

    fn save(&self, pair: &TokenPair) -> Result<()> {
        use std::io::Write;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::TokenStore(format!("cannot create {}: {e}", dir.display())))?;
        let tmp = dir.join(format!(".{TOKEN_FILE}.{}.tmp", std::process::id()));
        let io = |what: &str, e: std::io::Error| Error::TokenStore(format!("cannot {what} {}: {e}", tmp.display()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(|e| io("create", e))?;
        #[cfg(unix)]
        {
            // `mode` applies only when the file is created; a stale temp file keeps its bits.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| io("chmod", e))?;
        }
        let body = serde_json::to_vec_pretty(pair).map_err(|e| Error::TokenStore(e.to_string()))?;
        file.write_all(&body).map_err(|e| io("write", e))?;
        file.sync_all().map_err(|e| io("sync", e))?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(|e| Error::TokenStore(format!("cannot replace {}: {e}", self.path.display())))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all(); // the rename itself must survive a crash too
        }
        Ok(())
    }
}

/// Tokens in memory (tests, or a caller that persists them elsewhere).
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    pair: Mutex<Option<TokenPair>>,
    saves: Mutex<u32>,
}

impl MemoryTokenStore {
    pub fn new(pair: Option<TokenPair>) -> Self {
        MemoryTokenStore {
            pair: Mutex::new(pair),
            saves: Mutex::new(0),
        }
    }
    /// How many times a pair was saved (tests check refreshes).
    pub fn saves(&self) -> u32 {
        *self.saves.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<TokenPair>> {
        Ok(self.pair.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }
    fn save(&self, pair: &TokenPair) -> Result<()> {
        *self.pair.lock().unwrap_or_else(|e| e.into_inner()) = Some(pair.clone());
        *self.saves.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trips_with_owner_only_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path());
        assert_eq!(store.load().unwrap(), None);
        let pair = TokenPair {
            access_token: "a1".into(),
            refresh_token: "r1".into(),
            expires_at: 100,
        };
        store.save(&pair).unwrap();
        store.save(&pair).unwrap();
        assert_eq!(store.load().unwrap(), Some(pair));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }
}
