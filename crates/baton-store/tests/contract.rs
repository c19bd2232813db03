//! The store contract, written against `dyn Store` so every implementation runs it.

use baton_core::{Event, QueuedTask, Timer, TimerKind, WorkflowState, WorkflowStatus};
use baton_model::{OutputSpec, SourceFormat, TaskDef, WorkflowDef};
use baton_store::sqlite::{Durability, SqliteStore};
use baton_store::{Store, WorkflowFilter, WorkflowMeta};
use serde_json::json;

fn def(name: &str, version: u32) -> WorkflowDef {
    WorkflowDef {
        name: name.into(),
        version,
        description: None,
        inputs: vec![],
        output: OutputSpec::LastTask,
        tasks: vec![],
        failure_workflow: None,
        timeout_ms: 0,
        timeout_policy: Default::default(),
        variables: Default::default(),
        restartable: true,
        monitoring: None,
        extra: Default::default(),
        format: SourceFormat::Conductor,
    }
}

fn meta(id: &str, hash: &str, key: Option<&str>) -> WorkflowMeta {
    WorkflowMeta {
        id: id.into(),
        name: "wf".into(),
        version: 1,
        def_hash: hash.into(),
        status: WorkflowStatus::Running,
        correlation_id: Some("c1".into()),
        parent_id: None,
        idempotency_key: key.map(str::to_string),
        created_at: 10,
        updated_at: 10,
    }
}

fn queued(id: &str, queue: &str, visible_at: u64) -> QueuedTask {
    QueuedTask {
        task_id: id.into(),
        queue: queue.into(),
        task_type: "SIMPLE".into(),
        ref_name: id.into(),
        input: json!({"x": 1}),
        attempt: 0,
        visible_at,
        response_timeout_ms: 0,
    }
}

fn contract(store: &mut dyn Store) {
    // Definitions: content-addressed, registered by name/version.
    let mut tx = store.begin().expect("begin");
    let h1 = tx.put_definition(&def("wf", 1)).expect("put");
    assert_eq!(
        h1,
        tx.put_definition(&def("wf", 1)).expect("put again"),
        "idempotent"
    );
    tx.register_workflow_def(&def("wf", 1)).expect("register");
    tx.register_workflow_def(&def("wf", 2))
        .expect("register v2");
    assert_eq!(
        tx.workflow_def("wf", None)
            .expect("latest")
            .map(|d| d.version),
        Some(2)
    );
    assert_eq!(
        tx.workflow_def("wf", Some(1))
            .expect("v1")
            .map(|d| d.version),
        Some(1)
    );
    tx.put_task_def(&TaskDef::conductor_default("t1"))
        .expect("taskdef");
    assert!(tx.task_def("t1").expect("get").is_some());
    assert!(tx.delete_task_def("t1").expect("delete"));
    assert!(!tx.delete_task_def("t1").expect("delete again"));

    // Workflows, snapshots and history.
    let mut state = WorkflowState::new("w1", "wf", 1);
    assert!(
        tx.create_workflow(&meta("w1", &h1, Some("k1")), &state)
            .expect("create")
    );
    assert!(
        !tx.create_workflow(&meta("w1", &h1, None), &state)
            .expect("create twice"),
        "ids are unique"
    );
    assert_eq!(
        tx.workflow_by_key("k1").expect("key"),
        Some("w1".to_string())
    );
    let started = Event::WorkflowStarted {
        input: json!({"a": 1}),
        correlation_id: None,
        parent: None,
    };
    tx.append_history("w1", 0, &[(11, &started)])
        .expect("append");
    state.status = WorkflowStatus::Completed;
    state.updated_at = 12;
    tx.save_state("w1", &state, 1).expect("save");
    tx.commit().expect("commit");

    let reader = store.reader().expect("reader");
    let w = reader.workflow("w1").expect("read").expect("exists");
    assert_eq!(w.state, state);
    assert_eq!(w.meta.status, WorkflowStatus::Completed);
    assert_eq!(w.history_len, 1);
    let h = reader.history("w1").expect("history");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].event, started);
    let listed = reader
        .list_workflows(&WorkflowFilter {
            statuses: vec![WorkflowStatus::Completed],
            ..Default::default()
        })
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert!(
        reader
            .list_workflows(&WorkflowFilter {
                name: Some("zzz".into()),
                ..Default::default()
            })
            .expect("list")
            .is_empty()
    );

    // An uncommitted transaction leaves no trace.
    {
        let mut tx = store.begin().expect("begin");
        tx.create_workflow(
            &meta("ghost", &h1, None),
            &WorkflowState::new("ghost", "wf", 1),
        )
        .expect("create");
        drop(tx);
    }
    assert!(
        store
            .reader()
            .expect("reader")
            .workflow("ghost")
            .expect("read")
            .is_none()
    );

    // Queue: visibility, leases, at-least-once after lease expiry.
    let mut tx = store.begin().expect("begin");
    tx.enqueue("w1", &queued("t-a", "q", 100)).expect("enqueue");
    tx.enqueue("w1", &queued("t-b", "q", 200)).expect("enqueue");
    tx.enqueue("w1", &queued("t-c", "other", 0))
        .expect("enqueue");
    assert!(
        tx.claim("q", 10, 50, 1000, "w").expect("claim").is_empty(),
        "not visible yet"
    );
    let got = tx.claim("q", 10, 150, 1000, "w").expect("claim");
    assert_eq!(
        got.iter()
            .map(|c| c.task.task_id.as_str())
            .collect::<Vec<_>>(),
        ["t-a"]
    );
    assert!(
        tx.claim("q", 10, 160, 1000, "w").expect("claim").is_empty(),
        "leased"
    );
    let again = tx.claim("q", 10, 1200, 1000, "w2").expect("claim");
    assert_eq!(
        again.len(),
        2,
        "the expired lease makes t-a visible again, and t-b is due"
    );
    assert_eq!(tx.release_all_leases().expect("release"), 2);
    assert_eq!(
        tx.claim("q", 1, 1200, 1000, "w3").expect("claim").len(),
        1,
        "released leases are claimable"
    );
    tx.dequeue("t-a").expect("dequeue");
    tx.dequeue("t-a").expect("dequeue twice is a no-op");
    tx.commit().expect("commit");
    let sizes = store
        .reader()
        .expect("reader")
        .queue_sizes()
        .expect("sizes");
    assert_eq!(sizes, vec![("other".to_string(), 1), ("q".to_string(), 1)]);

    // Timers: upsert by id, due order, delete.
    let mut tx = store.begin().expect("begin");
    let t1 = Timer {
        kind: TimerKind::Wait,
        task_id: Some("t-a".into()),
        fire_at: 500,
    };
    let t2 = Timer {
        kind: TimerKind::WorkflowTimeout,
        task_id: None,
        fire_at: 300,
    };
    tx.put_timer("w1", &t1).expect("timer");
    tx.put_timer("w1", &t2).expect("timer");
    tx.put_timer(
        "w1",
        &Timer {
            fire_at: 400,
            ..t1.clone()
        },
    )
    .expect("re-arm");
    let due = tx.due_timers(1000, 10).expect("due");
    assert_eq!(
        due.iter().map(|(_, t)| t.fire_at).collect::<Vec<_>>(),
        [300, 400]
    );
    tx.delete_timer("w1", &t2.id()).expect("delete");
    assert_eq!(tx.due_timers(1000, 10).expect("due").len(), 1);
    tx.commit().expect("commit");
    assert_eq!(
        store
            .reader()
            .expect("reader")
            .next_timer_due()
            .expect("next"),
        Some(400)
    );
    let mut tx = store.begin().expect("begin");
    tx.delete_timers_of("w1").expect("delete all");
    tx.append_task_log("t-b", 5, "hello").expect("log");
    tx.append_task_log("t-b", 6, "world").expect("log");
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert_eq!(reader.next_timer_due().expect("next"), None);
    assert_eq!(
        reader.task_logs("t-b").expect("logs"),
        vec![(5, "hello".to_string()), (6, "world".to_string())]
    );

    // Removing a workflow takes its history, queue rows and timers with it.
    let mut tx = store.begin().expect("begin");
    tx.put_timer("w1", &t1).expect("timer");
    assert!(tx.delete_workflow("w1").expect("delete"));
    assert!(!tx.delete_workflow("w1").expect("delete again"));
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert!(reader.workflow("w1").expect("read").is_none());
    assert!(reader.history("w1").expect("history").is_empty());
    assert!(reader.queue_sizes().expect("sizes").is_empty());
    assert_eq!(reader.next_timer_due().expect("next"), None);
}

/// The stored state is a checkpoint; reads replay the history written after it.
fn checkpoint_and_tail(store: &mut dyn Store) {
    let mut d = def("one", 1);
    let mut task = baton_model::Task {
        name: "t".into(),
        ref_name: "t".into(),
        kind: baton_model::TaskKind::Simple,
        input: Default::default(),
        depends_on: None,
        when: None,
        optional: false,
        start_delay_ms: 0,
        async_complete: false,
        task_def: Some(TaskDef::no_retries("t")),
        role: None,
        description: None,
        declared_outputs: vec![],
        extra: Default::default(),
    };
    task.input.insert("x".into(), json!("${workflow.input.x}"));
    d.tasks = vec![task];
    let events = [
        (
            100,
            Event::WorkflowStarted {
                input: json!({"x": 1}),
                correlation_id: None,
                parent: None,
            },
        ),
        (
            110,
            Event::TaskStarted {
                task_id: "c1-t0".into(),
                worker_id: Some("w".into()),
                by: baton_core::Principal::worker("w"),
            },
        ),
        (
            120,
            Event::TaskUpdated {
                task_id: "c1-t0".into(),
                status: baton_core::TaskResultStatus::Completed,
                output: json!({"y": 2}),
                reason: None,
                callback_after_ms: None,
                worker_id: None,
                by: baton_core::Principal::worker("w"),
            },
        ),
    ];
    let mut state = WorkflowState::new("c1", "one", 1);
    let mut states = Vec::new();
    for (at, e) in &events {
        state = baton_core::decide(&d, state, e, *at).state;
        states.push(state.clone());
    }
    let mut tx = store.begin().expect("begin");
    let hash = tx.put_definition(&d).expect("def");
    tx.create_workflow(&meta("c1", &hash, None), &states[0])
        .expect("create");
    let refs: Vec<(u64, &Event)> = events.iter().map(|(t, e)| (*t, e)).collect();
    tx.append_history("c1", 0, &refs).expect("append");
    tx.save_state("c1", &states[0], 1)
        .expect("checkpoint after the first event");
    tx.commit().expect("commit");
    let read = store
        .reader()
        .expect("reader")
        .workflow("c1")
        .expect("read")
        .expect("exists");
    assert_eq!(read.snapshot_seq, 1);
    assert_eq!(read.history_len, 3);
    assert_eq!(
        read.state, states[2],
        "the two events after the checkpoint are replayed"
    );
    assert_eq!(read.state.status, WorkflowStatus::Completed);
}

#[test]
fn sqlite_store_replays_the_history_after_its_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = SqliteStore::open(dir.path().join("baton.db"), Durability::Full).expect("open");
    checkpoint_and_tail(&mut store);
}

#[test]
fn sqlite_store_meets_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = SqliteStore::open(dir.path().join("baton.db"), Durability::Full).expect("open");
    contract(&mut store);
}

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
