//! What can go wrong with the store, in words a user can act on. Every message
//! names the database by its redacted location: a password in a PostgreSQL URL
//! must never reach a log line or a terminal.

use std::fmt;

/// A database location safe to print: the URL with any password replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Location(String);

impl Location {
    pub fn from_url(url: &str) -> Location {
        Location(redact_url(url))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {url}: use sqlite://PATH (the default, one file) or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl { url: Location },

    #[error("{path} is not a Tsifra database ({reason}); it was left untouched. Point Tsifra at a new file or an empty database")]
    Foreign { path: String, reason: String },

    #[error("{path} is a damaged Tsifra database ({reason}); it was left untouched. Restore it from a backup")]
    Corrupt { path: String, reason: String },

    #[error("cannot open the database {location}: {message}")]
    Open { location: Location, message: String },

    /// SQLite could not write at all while opening (its log index, the log):
    /// usually a full disk. [`Store::open_read_only`](crate::Store::open_read_only) may still read it.
    #[error("cannot write to the database {location} ({message}); is its disk full?")]
    Unwritable { location: Location, message: String },

    #[error(
        "cannot bring the database {location} to this version's schema: {message}. \
         If a newer Tsifra wrote it, run that version or restore a backup"
    )]
    Migrate { location: Location, message: String },

    /// A statement failed; the transaction it was part of was rolled back.
    #[error("database {location} failed while {doing}: {source}")]
    Query {
        location: Location,
        doing: String,
        #[source]
        source: sqlx::Error,
    },

    /// A read outside sqlx (the SQLite fast path) failed.
    #[error("database {location} failed while {doing}: {message}")]
    Read {
        location: Location,
        doing: String,
        message: String,
    },

    #[error("database {location} holds a value Tsifra cannot read in {table} (row {id}): {reason}")]
    Decode {
        location: Location,
        table: &'static str,
        id: String,
        reason: String,
    },

    /// The store was opened read-only (the disk was full at start); nothing was written.
    #[error(
        "the database {location} is open read-only because its disk was full when Tsifra started; \
         free some space, and it is opened for writing again within seconds"
    )]
    ReadOnly { location: Location },

    /// The batch contradicts itself; nothing was written.
    #[error("the batch was not written: {0}")]
    InvalidBatch(String),
}

impl StoreError {
    /// The database could not write because its disk (or PostgreSQL's) is full:
    /// SQLite's SQLITE_FULL, PostgreSQL's `disk_full` (53100). Nothing of the
    /// write was stored; the same write can succeed once there is room.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Query { source, .. } => is_disk_full(source),
            StoreError::Unwritable { .. } => true,
            StoreError::Read { message, .. } | StoreError::Open { message, .. } | StoreError::Migrate { message, .. } => {
                message.contains(SQLITE_FULL_MESSAGE) || message.contains("No space left on device")
            }
            _ => false,
        }
    }
}

/// SQLite's text for SQLITE_FULL, as its messages (and sqlx's) carry it.
const SQLITE_FULL_MESSAGE: &str = "database or disk is full";

pub(crate) fn is_disk_full(error: &sqlx::Error) -> bool {
    const SQLITE_FULL: i64 = 13;
    const POSTGRES_DISK_FULL: &str = "53100";
    let Some(db) = error.as_database_error() else {
        return false;
    };
    match db.code() {
        Some(code) if code == POSTGRES_DISK_FULL => true,
        Some(code) => code.parse::<i64>().is_ok_and(|c| c & 0xff == SQLITE_FULL),
        None => db.message().contains(SQLITE_FULL_MESSAGE),
    }
}

/// Replaces the password in `scheme://user:password@host/...` and in a
/// `password=` query parameter with `***`. Works on the raw text so that even
/// a URL too broken to parse is redacted.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some((start, end)) = userinfo_password_span(url) {
        out.replace_range(start..end, "***");
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// Byte range of the password in `scheme://user:password@host`, if any. The
/// last '@' of the authority ends the userinfo: a password may contain '@'.
fn userinfo_password_span(url: &str) -> Option<(usize, usize)> {
    let rest_start = url.find("://")? + 3;
    let rest = &url[rest_start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    Some((rest_start + colon + 1, rest_start + at))
}

/// Removes every occurrence of the URL's password from a driver message, for
/// messages (connection errors) that might echo connection parameters.
pub(crate) fn scrub(message: String, url: &str) -> String {
    match password_of(url) {
        Some(pw) if !pw.is_empty() => message.replace(pw, "***"),
        _ => message,
    }
}

fn password_of(url: &str) -> Option<&str> {
    if let Some((start, end)) = userinfo_password_span(url) {
        return Some(&url[start..end]);
    }
    let query = &url[url.find('?')? + 1..];
    query.split('&').find_map(|pair| {
        pair.split_once('=')
            .filter(|(key, _)| key.eq_ignore_ascii_case("password"))
            .map(|(_, v)| v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_survive_redaction() {
        assert_eq!(
            redact_url("postgres://tsifra:s3cr3t@db.local:5432/sales?sslmode=require"),
            "postgres://tsifra:***@db.local:5432/sales?sslmode=require"
        );
        assert_eq!(redact_url("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("sqlite:///var/lib/tsifra/tsifra.db?mode=rwc"),
            "sqlite:///var/lib/tsifra/tsifra.db?mode=rwc"
        );
        assert_eq!(redact_url("nonsense"), "nonsense");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=s3cr3t&host=/tmp"),
            "postgres://h/db?user=u&password=***&host=/tmp"
        );
        assert_eq!(scrub("bad s3cr3t".into(), "postgres://h/db?password=s3cr3t"), "bad ***");
        assert_eq!(
            scrub("auth failed for s3cr3t".into(), "postgres://u:s3cr3t@h/db"),
            "auth failed for ***"
        );
    }
}
