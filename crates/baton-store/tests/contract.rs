//! The store contract (`baton_store::testsuite`) run against SQLite, and the tests only
//! SQLite has: reopening a file, schema versions, the writer lock, the WAL's size.

use baton_store::Store;
use baton_store::sqlite::{Durability, SqliteStore};
use baton_store::testsuite::{self, def};
use serde_json::json;

/// A fresh store in its own temporary directory (the guard).
fn fresh_sqlite() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("baton.db"), Durability::Full).expect("open");
    (store, dir)
}

baton_store::store_contract_tests!(sqlite, make = fresh_sqlite);

#[test]
fn sqlite_store_reopens_with_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.db");
    {
        let mut store = SqliteStore::open(&path, Durability::Normal).expect("open");
        let mut tx = store.begin().expect("begin");
        tx.register_workflow_def(&def("kept", 3)).expect("register");
        tx.commit().expect("commit");
    }
    let store = SqliteStore::open(&path, Durability::Full).expect("reopen");
    assert_eq!(
        store
            .reader()
            .expect("reader")
            .workflow_def("kept", None)
            .expect("read")
            .map(|d| d.version),
        Some(3)
    );
}

#[test]
fn a_database_from_a_newer_baton_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.db");
    drop(SqliteStore::open(&path, Durability::Full).expect("open"));
    let conn = rusqlite_conn(&path);
    conn.execute_batch("PRAGMA user_version = 99")
        .expect("bump");
    drop(conn);
    let err = SqliteStore::open(&path, Durability::Full)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("upgrade Baton"), "{err}");
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open")
}

#[test]
fn a_second_writer_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.db");
    let first = SqliteStore::open(&path, Durability::Full).expect("open");
    let err = SqliteStore::open(&path, Durability::Full)
        .err()
        .expect("locked");
    assert!(
        err.to_string().contains("in use by another Baton process"),
        "{err}"
    );
    // Readers are not blocked.
    assert!(
        first
            .reader()
            .expect("reader")
            .workflow("x")
            .expect("read")
            .is_none()
    );
    drop(first);
    assert!(
        SqliteStore::open(&path, Durability::Full).is_ok(),
        "the lock goes with the store"
    );
}

/// The WAL must not grow without bound while the writer never pauses (SQLite restarts
/// the log only after a checkpoint that caught up with the writer).
#[test]
fn the_wal_stays_bounded_under_a_steady_write_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.db");
    let mut store = SqliteStore::open(&path, Durability::Normal).expect("open");
    let big = "x".repeat(4000);
    for i in 0..3000 {
        let mut tx = store.begin().expect("begin");
        let mut d = def(&format!("wf{i}"), 1);
        d.description = Some(big.clone());
        tx.register_workflow_def(&d).expect("register");
        tx.commit().expect("commit");
    }
    let wal = std::fs::metadata(dir.path().join("baton.db-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        wal < 16 * 1024 * 1024,
        "12 MB written, but the WAL is {wal} bytes"
    );
}

#[test]
fn sqlite_store_keeps_a_durable_event_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.db");
    {
        let mut store = SqliteStore::open(&path, Durability::Full).expect("open");
        testsuite::event_log(&mut store);
    }
    let mut store = SqliteStore::open(&path, Durability::Full).expect("reopen");
    let mut tx = store.begin().expect("begin");
    assert_eq!(
        tx.append_events(50, &[json!({"n": 6}).to_string()])
            .expect("append"),
        6,
        "ids go on after a reopen"
    );
    tx.commit().expect("commit");
}
