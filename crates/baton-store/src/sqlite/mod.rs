//! The embedded SQLite store: one file, WAL, migrations compiled into the binary.
//!
//! Durability: `journal_mode=WAL` with `synchronous=FULL` by default (every commit is
//! fsynced, so even a power cut loses no committed transition); group commit amortizes
//! the fsync over every transition of a batch. `Durability::Normal` trades the
//! power-cut guarantee for speed (still safe against process crashes).

mod keys;
mod read;
mod write;

use crate::{OpenReader, Reader, Store, StoreError, Tx};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

pub use read::SqliteReader;

/// Schema migrations, in order. Append only.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_task_logs.sql"),
    include_str!("../../migrations/sqlite/0003_snapshot_seq.sql"),
    include_str!("../../migrations/sqlite/0004_events.sql"),
    include_str!("../../migrations/sqlite/0005_lease_owner.sql"),
    include_str!("../../migrations/sqlite/0006_row_format.sql"),
    include_str!("../../migrations/sqlite/0007_checkpoints.sql"),
    include_str!("../../migrations/sqlite/0008_api_keys.sql"),
];

/// The shape of the JSON this build writes into rows (history events, queue items,
/// timers, event-log batches; checkpoints have their own, `write::CHECKPOINT_FORMAT`), stored beside it in a `format` column. Reading
/// accepts every format up to this one; a newer one is [`StoreError::FormatTooNew`].
pub const ROW_FORMAT: i64 = 1;

/// Refuses a row written in a format newer than this build reads.
pub(crate) fn check_format(found: i64, what: impl FnOnce() -> String) -> Result<(), StoreError> {
    if found > ROW_FORMAT {
        return Err(StoreError::FormatTooNew {
            what: what(),
            found,
            supported: ROW_FORMAT,
        });
    }
    Ok(())
}

/// How hard commits hit the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: survives power loss (default).
    #[default]
    Full,
    /// `synchronous=NORMAL`: survives process crashes, may lose the last commits on power loss.
    Normal,
}

/// The SQLite store.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    readers: read::ReaderPool,
    /// Held for the store's lifetime: one writer process per database file.
    _lock: std::fs::File,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies migrations.
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let lock = lock_file(&path)?;
        let conn = Connection::open(&path).map_err(db)?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON; \
             PRAGMA busy_timeout=30000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;"
        ))
        .map_err(db)?;
        // A batch uses a few dozen distinct statements; rusqlite keeps 16 by default, and
        // a cache that thrashes re-parses SQL on every step.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        stable_plans(&conn)?;
        migrate(&conn)?;
        Ok(SqliteStore {
            conn,
            path,
            readers: Default::default(),
            _lock: lock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the exclusive writer lock `<db>.lock`. Another Baton process writing the same
/// file would hand out leased tasks twice and fight over timers.
fn lock_file(path: &Path) -> Result<std::fs::File, StoreError> {
    let mut name = path.as_os_str().to_os_string();
    name.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)
        .map_err(|e| {
            StoreError::Database(format!(
                "cannot open lock file {}: {e}",
                PathBuf::from(&name).display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(StoreError::Locked(path.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Database(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db)?;
    let supported = MIGRATIONS.len() as i64;
    if current > supported {
        return Err(StoreError::TooNew {
            found: current,
            supported,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version={version}; COMMIT;"
        ))
        .map_err(db)?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>, StoreError> {
        let tx =
            rusqlite::Transaction::new(&mut self.conn, rusqlite::TransactionBehavior::Immediate)
                .map_err(db)?;
        Ok(Box::new(write::SqliteTx { tx }))
    }

    fn readers(&self) -> std::sync::Arc<dyn OpenReader> {
        std::sync::Arc::new(SqliteReaders {
            path: self.path.clone(),
            pool: self.readers.clone(),
        })
    }
}

/// Opens read-only connections on one database file, reusing idle ones.
struct SqliteReaders {
    path: PathBuf,
    pool: read::ReaderPool,
}

impl OpenReader for SqliteReaders {
    fn open(&self) -> Result<Box<dyn Reader>, StoreError> {
        Ok(Box::new(read::PooledReader::take(&self.path, &self.pool)?))
    }
}

/// Plans that do not depend on bound values. The bundled SQLite is built with STAT4,
/// under which a statement whose plan looked at a parameter (a range such as
/// `visible_at <= ?`) is re-prepared whenever that parameter changes: once per claim,
/// a quarter of the engine's instructions. With the query planner stability guarantee
/// a cached statement keeps its plan.
fn stable_plans(conn: &Connection) -> Result<(), StoreError> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(db)?;
    Ok(())
}

/// Prepared statements kept per connection (more than any one code path uses).
const STATEMENT_CACHE: usize = 64;

/// Opens a read-only connection to an existing database.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.execute_batch("PRAGMA busy_timeout=30000;")
        .map_err(db)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    stable_plans(&conn)?;
    Ok(conn)
}

/// Keeps the kind of a SQLite error: busy or I/O trouble may pass (retryable), a
/// uniqueness violation means the row exists, anything else is a database error.
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Unavailable(e.to_string()),
        Some(C::DiskFull | C::SystemIoFailure | C::CannotOpen | C::OutOfMemory) => {
            StoreError::Unavailable(e.to_string())
        }
        Some(C::ConstraintViolation) => StoreError::AlreadyExists(e.to_string()),
        Some(C::DatabaseCorrupt | C::NotADatabase) => StoreError::Corrupt {
            what: "database file".into(),
            message: e.to_string(),
        },
        _ => StoreError::Database(e.to_string()),
    }
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.to_string(),
        message: e.to_string(),
    }
}

/// Content hash of a definition (FNV-1a 64 over its JSON, hex).
pub(crate) fn content_hash(body: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}{:08x}", body.len())
}

pub(crate) fn status_from_str(s: &str) -> Result<baton_state::WorkflowStatus, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|e| corrupt("workflow status", e))
}
