//! Plain read-only SQLite connections driven through the C API, for loading a
//! whole workspace fast. sqlx hands every row from its worker thread to the
//! async side one at a time (a thread wake-up and a copy of each value per
//! row): 4.5 s for a 100,000-deal workspace on two cores, 0.4 s stepping the
//! statement in place here. Writes still go through sqlx.

use std::cell::Cell;
use std::ffi::{CStr, CString, c_int};
use std::marker::PhantomData;
use std::path::Path;
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;

use crate::load::Cols;

/// An SQLite failure: the primary result code and SQLite's message.
#[derive(Debug)]
pub(crate) struct SqliteError {
    pub code: c_int,
    pub message: String,
}

impl SqliteError {
    /// "Not a database" or "malformed": the file is damaged, not the query wrong.
    pub fn is_damage(&self) -> bool {
        matches!(self.code & 0xff, ffi::SQLITE_CORRUPT | ffi::SQLITE_NOTADB)
    }
}

/// Why a query over rows stopped.
pub(crate) enum QueryError {
    Sqlite(SqliteError),
    /// The row callback refused a row: (label of the row, reason).
    Row(String, String),
}

pub(crate) struct Connection {
    db: NonNull<ffi::sqlite3>,
}

// SAFETY: SQLite (built thread-safe) allows a NOMUTEX connection to move
// between threads as long as two never use it at once; a Connection is owned
// by one thread at a time (moved, never shared: it is not Sync).
unsafe impl Send for Connection {}

impl Connection {
    pub fn open_read_only(path: &Path) -> Result<Connection, SqliteError> {
        let c_path = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| SqliteError {
            code: ffi::SQLITE_CANTOPEN,
            message: "the path contains a NUL byte".into(),
        })?;
        let mut db: *mut ffi::sqlite3 = ptr::null_mut();
        // SAFETY: c_path is a valid C string; db receives a handle (possibly
        // one carrying an error) that is closed below or owned by Connection.
        let rc = unsafe {
            ffi::sqlite3_open_v2(
                c_path.as_ptr(),
                &mut db,
                ffi::SQLITE_OPEN_READONLY | ffi::SQLITE_OPEN_NOMUTEX,
                ptr::null(),
            )
        };
        let Some(db) = NonNull::new(db) else {
            return Err(SqliteError {
                code: rc,
                message: "out of memory opening the database".into(),
            });
        };
        let conn = Connection { db };
        if rc != ffi::SQLITE_OK {
            return Err(conn.error(rc));
        }
        // SAFETY: db is an open handle.
        unsafe { ffi::sqlite3_busy_timeout(conn.db.as_ptr(), 5000) };
        Ok(conn)
    }

    fn error(&self, rc: c_int) -> SqliteError {
        // SAFETY: db is an open handle; errmsg returns a NUL-terminated string
        // owned by SQLite, copied before any further call.
        let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db.as_ptr())) }
            .to_string_lossy()
            .into_owned();
        SqliteError { code: rc, message }
    }

    /// Runs `sql`, calling `on_row` for each result row in order.
    pub fn query(&self, sql: &str, mut on_row: impl FnMut(&RawRow<'_>) -> Result<(), String>) -> Result<(), QueryError> {
        let stmt = Statement::prepare(self, sql).map_err(QueryError::Sqlite)?;
        loop {
            // SAFETY: stmt is a live prepared statement of this connection.
            match unsafe { ffi::sqlite3_step(stmt.raw) } {
                ffi::SQLITE_ROW => {
                    let row = RawRow {
                        stmt: stmt.raw,
                        next: Cell::new(0),
                        _step: PhantomData,
                    };
                    on_row(&row).map_err(|reason| QueryError::Row(row.label(), reason))?;
                }
                ffi::SQLITE_DONE => return Ok(()),
                rc => return Err(QueryError::Sqlite(self.error(rc))),
            }
        }
    }

    /// Runs a statement that returns no rows worth reading (BEGIN, PRAGMA).
    pub fn execute(&self, sql: &str) -> Result<(), SqliteError> {
        match self.query(sql, |_| Ok(())) {
            Ok(()) => Ok(()),
            Err(QueryError::Sqlite(e)) => Err(e),
            Err(QueryError::Row(_, reason)) => Err(SqliteError {
                code: ffi::SQLITE_ERROR,
                message: reason,
            }),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // SAFETY: every Statement borrows the Connection, so all are finalized by now.
        unsafe { ffi::sqlite3_close(self.db.as_ptr()) };
    }
}

struct Statement<'c> {
    raw: *mut ffi::sqlite3_stmt,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> Statement<'c> {
    fn prepare(conn: &'c Connection, sql: &str) -> Result<Statement<'c>, SqliteError> {
        let mut raw: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let len = c_int::try_from(sql.len()).expect("SQL text fits in an int");
        // SAFETY: sql points to len valid bytes; raw receives the statement.
        let rc = unsafe { ffi::sqlite3_prepare_v2(conn.db.as_ptr(), sql.as_ptr().cast(), len, &mut raw, ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(conn.error(rc));
        }
        Ok(Statement { raw, _conn: PhantomData })
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: raw came from prepare_v2 (finalize accepts NULL too).
        unsafe { ffi::sqlite3_finalize(self.raw) };
    }
}

/// The current row of a stepping statement, read left to right. Text it
/// lends out stays valid until the statement steps again, which cannot happen
/// while the row is borrowed.
pub(crate) struct RawRow<'s> {
    stmt: *mut ffi::sqlite3_stmt,
    next: Cell<c_int>,
    _step: PhantomData<&'s Statement<'s>>,
}

impl RawRow<'_> {
    fn take(&self) -> c_int {
        let i = self.next.get();
        self.next.set(i + 1);
        i
    }

    fn column_type(&self, i: c_int) -> c_int {
        // SAFETY: stmt has a current row; an out-of-range index yields SQLITE_NULL.
        unsafe { ffi::sqlite3_column_type(self.stmt, i) }
    }

    fn integer(&self, i: c_int) -> Result<Option<i64>, String> {
        match self.column_type(i) {
            ffi::SQLITE_NULL => Ok(None),
            // SAFETY: as above, and the value is an integer, so no conversion happens.
            ffi::SQLITE_INTEGER => Ok(Some(unsafe { ffi::sqlite3_column_int64(self.stmt, i) })),
            other => Err(format!("column {}: expected an integer, found SQLite type {other}", i + 1)),
        }
    }

    fn text(&self, i: c_int) -> Result<Option<&str>, String> {
        match self.column_type(i) {
            ffi::SQLITE_NULL => Ok(None),
            ffi::SQLITE_TEXT => {
                // SAFETY: the value is text, so column_text returns its bytes
                // without conversion, valid until the next step (see RawRow).
                let bytes = unsafe {
                    let p = ffi::sqlite3_column_text(self.stmt, i);
                    let n = ffi::sqlite3_column_bytes(self.stmt, i);
                    if p.is_null() {
                        &[][..]
                    } else {
                        std::slice::from_raw_parts(p, n as usize)
                    }
                };
                std::str::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| format!("column {}: text is not UTF-8", i + 1))
            }
            other => Err(format!("column {}: expected text, found SQLite type {other}", i + 1)),
        }
    }

    /// The first column (the id for every entity table), to name a bad row.
    fn label(&self) -> String {
        match (self.integer(0), self.text(0)) {
            (Ok(Some(id)), _) => id.to_string(),
            (_, Ok(Some(text))) => text.to_string(),
            _ => "?".into(),
        }
    }
}

impl Cols for RawRow<'_> {
    fn opt_i64(&self) -> Result<Option<i64>, String> {
        self.integer(self.take())
    }

    fn opt_str(&self) -> Result<Option<&str>, String> {
        self.text(self.take())
    }
}
