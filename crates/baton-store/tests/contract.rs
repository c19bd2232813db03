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

/// Rows a newer Baton wrote in a newer shape are refused, each with what and which
/// format, never misread; rows of the current format read as before.
#[test]
fn rows_in_a_newer_format_are_refused_not_misread() {
    use baton_core::{Event, Principal, WorkflowState};
    use baton_store::StoreError;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.db");
    let mut store = SqliteStore::open(&path, Durability::Normal).expect("open");
    let mut tx = store.begin().expect("begin");
    let hash = tx.put_definition(&def("fmt", 1)).expect("def");
    let meta = testsuite::meta("f1", &hash, None);
    tx.create_workflow(&meta, &WorkflowState::new("f1", "fmt", 1))
        .expect("create");
    let e = Event::Paused {
        by: Principal::system(),
    };
    tx.append_history("f1", 0, &[(1, &e)]).expect("append");
    tx.append_events(1, &[json!({"n": 1}).to_string()])
        .expect("events");
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert_eq!(reader.history("f1").expect("current format").len(), 1);

    let too_new = |r: Result<(), StoreError>, what: &str| match r {
        Err(StoreError::FormatTooNew {
            what: w,
            found: 2,
            supported: 1,
        }) => assert!(w.contains(what), "{w}"),
        other => panic!("{what}: {other:?}"),
    };
    let conn = rusqlite_conn(&path);
    conn.execute_batch("UPDATE history SET format = 2")
        .expect("bump");
    too_new(reader.history("f1").map(drop), "event 0 of workflow f1");
    // Checkpoints have a shape of their own (format 2: compressed JSON).
    conn.execute_batch("UPDATE history SET format = 1")
        .expect("reset");
    assert!(reader.workflow("f1").expect("current checkpoint").is_some());
    conn.execute_batch("UPDATE checkpoints SET format = 3")
        .expect("bump");
    match reader.workflow("f1").map(drop) {
        Err(StoreError::FormatTooNew {
            what,
            found: 3,
            supported: 2,
        }) => assert!(what.contains("checkpoint of workflow f1"), "{what}"),
        other => panic!("checkpoint: {other:?}"),
    }
    conn.execute_batch("UPDATE events SET format = 2")
        .expect("bump");
    too_new(reader.events_after(0, 10).map(drop), "event batch 1");
    let err = StoreError::FormatTooNew {
        what: "x".into(),
        found: 2,
        supported: 1,
    };
    assert!(err.to_string().contains("upgrade Baton"), "{err}");
}
