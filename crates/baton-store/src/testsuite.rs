//! The store contract: one public function per behaviour every [`Store`] must have,
//! written against `&mut dyn Store` so each implementation runs the same suite.
//!
//! Each behaviour expects a fresh, empty store. Run them all for an implementation with
//! [`store_contract_tests!`](crate::store_contract_tests), which makes one `#[test]` per
//! behaviour. Compiled only with the `testsuite` feature; the functions panic (with a
//! message saying what broke) when a store breaks the contract.
//!
//! Adding a behaviour: write `pub fn NAME(store: &mut dyn Store)` (signature on one
//! line, with a doc line saying the behaviour) and add `NAME` to the list in
//! `store_contract_tests!`; a generated test fails while the list misses one.

use crate::{Store, StoreError, WorkflowFilter, WorkflowMeta};
use baton_model::{TaskDef, ValidatedDef, WorkflowDef};
use baton_state::{Event, QueuedTask, Timer, TimerKind, WorkflowState, WorkflowStatus};
use serde_json::json;

/// A definition with no tasks.
pub fn def(name: &str, version: u32) -> WorkflowDef {
    WorkflowDef::new(name, version, vec![])
}

/// A running workflow row of definition `wf` v1, created at 10.
pub fn meta(id: &str, hash: &str, key: Option<&str>) -> WorkflowMeta {
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

/// A SIMPLE task on `queue`, visible from `visible_at`.
pub fn queued(id: &str, queue: &str, visible_at: u64) -> QueuedTask {
    QueuedTask {
        task_id: id.into(),
        queue: queue.into(),
        task_type: "SIMPLE".into(),
        ref_name: id.into(),
        input: json!({"x": 1}),
        attempt: 0,
        visible_at,
        response_timeout_ms: 0,
        agent_level: None,
    }
}

/// Creates workflow `id` (definition `wf` v1 stored first) and commits.
fn create(store: &mut dyn Store, id: &str) -> String {
    let mut tx = store.begin().expect("begin");
    let hash = tx.put_definition(&def("wf", 1)).expect("put definition");
    assert!(
        tx.create_workflow(&meta(id, &hash, None), &WorkflowState::new(id, "wf", 1))
            .expect("create workflow"),
        "a new id is created"
    );
    tx.commit().expect("commit");
    hash
}

/// Definitions are content-addressed (storing one twice gives the same hash) and
/// registered by name and version; the latest version is the highest.
pub fn definitions(store: &mut dyn Store) {
    let mut tx = store.begin().expect("begin");
    let h1 = tx.put_definition(&def("wf", 1)).expect("put");
    assert_eq!(
        h1,
        tx.put_definition(&def("wf", 1)).expect("put again"),
        "storing a definition twice gives the same hash"
    );
    assert_eq!(
        tx.definition(&h1).expect("by hash").map(|d| d.name),
        Some("wf".to_string()),
        "a definition is found by its hash"
    );
    tx.register_workflow_def(&def("wf", 1)).expect("register");
    tx.register_workflow_def(&def("wf", 2))
        .expect("register v2");
    assert_eq!(
        tx.workflow_def("wf", None)
            .expect("latest")
            .map(|d| d.version),
        Some(2),
        "no version means the latest"
    );
    assert_eq!(
        tx.workflow_def("wf", Some(1))
            .expect("v1")
            .map(|d| d.version),
        Some(1),
        "a given version"
    );
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert_eq!(
        reader.workflow_defs().expect("all").len(),
        2,
        "readers see every registered version"
    );
    assert!(
        reader.definition(&h1).expect("by hash").is_some(),
        "readers find a definition by hash"
    );
    let mut tx = store.begin().expect("begin");
    assert!(
        tx.delete_workflow_def("wf", 2).expect("delete"),
        "v2 existed"
    );
    assert!(
        !tx.delete_workflow_def("wf", 2).expect("delete again"),
        "v2 is gone"
    );
    assert_eq!(
        tx.workflow_def("wf", None)
            .expect("latest")
            .map(|d| d.version),
        Some(1),
        "the latest is v1 again"
    );
    tx.commit().expect("commit");
}

/// Task definitions are registered, read and removed by name.
pub fn task_definitions(store: &mut dyn Store) {
    let mut tx = store.begin().expect("begin");
    tx.put_task_def(&TaskDef::conductor_default("t1"))
        .expect("taskdef");
    tx.put_task_def(&TaskDef::conductor_default("t2"))
        .expect("taskdef");
    assert!(tx.task_def("t1").expect("get").is_some(), "t1 registered");
    assert!(tx.delete_task_def("t1").expect("delete"), "t1 existed");
    assert!(
        !tx.delete_task_def("t1").expect("delete again"),
        "t1 is gone"
    );
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert!(reader.task_def("t1").expect("get").is_none(), "t1 deleted");
    assert!(reader.task_def("t2").expect("get").is_some(), "t2 kept");
    assert_eq!(reader.task_defs().expect("all").len(), 1, "only t2 is left");
}

/// Workflow ids are unique; the history is appended in order; the saved checkpoint and
/// status column are what readers get, and lists filter on the columns.
pub fn workflows_history_and_checkpoint(store: &mut dyn Store) {
    let mut tx = store.begin().expect("begin");
    let h1 = tx.put_definition(&def("wf", 1)).expect("put");
    let mut state = WorkflowState::new("w1", "wf", 1);
    assert!(
        tx.create_workflow(&meta("w1", &h1, None), &state)
            .expect("create"),
        "a new id is created"
    );
    assert!(
        !tx.create_workflow(&meta("w1", &h1, None), &state)
            .expect("create twice"),
        "ids are unique"
    );
    let started = Event::WorkflowStarted {
        input: json!({"a": 1}),
        correlation_id: None,
        parent: None,
        options: Default::default(),
        by: None,
    };
    tx.append_history("w1", 0, &[(11, &started)])
        .expect("append");
    state.status = WorkflowStatus::Completed;
    state.updated_at = 12;
    tx.save_state("w1", &state, 1).expect("save");
    let loaded = tx.load_workflow("w1").expect("load").expect("exists");
    assert_eq!(loaded.state, state, "the transaction sees its own writes");
    tx.commit().expect("commit");

    let reader = store.reader().expect("reader");
    let w = reader.workflow("w1").expect("read").expect("exists");
    assert_eq!(w.state, state, "readers get the saved checkpoint");
    assert_eq!(
        w.meta.status,
        WorkflowStatus::Completed,
        "save_state sets the status column"
    );
    assert_eq!(w.history_len, 1, "one event appended");
    assert_eq!(w.snapshot_seq, 1, "the checkpoint covers it");
    assert!(w.tail.is_empty(), "nothing after the checkpoint");
    let h = reader.history("w1").expect("history");
    assert_eq!(h.len(), 1, "one history entry");
    assert_eq!(
        (h[0].seq, h[0].at, &h[0].event),
        (0, 11, &started),
        "history keeps seq, time and event"
    );
    let listed = reader
        .list_workflows(&WorkflowFilter {
            statuses: vec![WorkflowStatus::Completed],
            ..Default::default()
        })
        .expect("list");
    assert_eq!(listed.len(), 1, "listed by status");
    assert!(
        reader
            .list_workflows(&WorkflowFilter {
                name: Some("zzz".into()),
                ..Default::default()
            })
            .expect("list")
            .is_empty(),
        "no workflow of an unknown name"
    );
    assert!(
        reader.workflow("nope").expect("read").is_none(),
        "an unknown id is absent"
    );
}

/// A workflow started with an idempotency key is found by it.
pub fn idempotency_keys(store: &mut dyn Store) {
    let mut tx = store.begin().expect("begin");
    let h1 = tx.put_definition(&def("wf", 1)).expect("put");
    assert!(
        tx.create_workflow(
            &meta("w1", &h1, Some("k1")),
            &WorkflowState::new("w1", "wf", 1)
        )
        .expect("create"),
        "created with a key"
    );
    assert_eq!(
        tx.workflow_by_key("k1").expect("key"),
        Some("w1".to_string()),
        "found by its key in the same transaction"
    );
    assert_eq!(
        tx.workflow_by_key("k2").expect("key"),
        None,
        "an unknown key"
    );
    tx.commit().expect("commit");
    let mut tx = store.begin().expect("begin");
    assert_eq!(
        tx.workflow_by_key("k1").expect("key"),
        Some("w1".to_string()),
        "found by its key after the commit"
    );
}

/// Nothing a transaction did is visible unless it commits.
pub fn uncommitted_transaction_leaves_no_trace(store: &mut dyn Store) {
    let hash = create(store, "w1");
    {
        let mut tx = store.begin().expect("begin");
        tx.create_workflow(
            &meta("ghost", &hash, None),
            &WorkflowState::new("ghost", "wf", 1),
        )
        .expect("create");
        tx.enqueue("w1", &queued("t-ghost", "q", 0))
            .expect("enqueue");
        drop(tx);
    }
    let reader = store.reader().expect("reader");
    assert!(
        reader.workflow("ghost").expect("read").is_none(),
        "a rolled-back workflow does not exist"
    );
    assert!(
        reader.queue_sizes().expect("sizes").is_empty(),
        "a rolled-back enqueue is not queued"
    );
}

/// Queue: a task is handed out once visible, a lease hides it until it expires
/// (at-least-once delivery), released leases are claimable, dequeue is idempotent.
pub fn queue_claim_lease_dequeue(store: &mut dyn Store) {
    create(store, "w1");
    let mut tx = store.begin().expect("begin");
    tx.enqueue("w1", &queued("t-a", "q", 100)).expect("enqueue");
    tx.enqueue("w1", &queued("t-b", "q", 200)).expect("enqueue");
    tx.enqueue("w1", &queued("t-c", "other", 0))
        .expect("enqueue");
    assert!(
        tx.claim("q", 10, 50, 1000, "w", "n1")
            .expect("claim")
            .is_empty(),
        "not visible yet"
    );
    let got = tx.claim("q", 10, 150, 1000, "w", "n1").expect("claim");
    assert_eq!(
        got.iter()
            .map(|c| (c.workflow_id.as_str(), c.task.task_id.as_str()))
            .collect::<Vec<_>>(),
        [("w1", "t-a")],
        "only the visible task is handed out, with its workflow"
    );
    assert!(
        tx.claim("q", 10, 160, 1000, "w", "n1")
            .expect("claim")
            .is_empty(),
        "leased"
    );
    let again = tx.claim("q", 10, 1200, 1000, "w2", "n1").expect("claim");
    assert_eq!(
        again.len(),
        2,
        "the expired lease makes t-a visible again, and t-b is due"
    );
    tx.enqueue("w1", &queued("t-d", "q", 100)).expect("enqueue");
    assert_eq!(
        tx.claim("q", 10, 1200, 1000, "w9", "n2")
            .expect("claim")
            .len(),
        1,
        "another node leases t-d"
    );
    assert_eq!(
        tx.release_leases("n1").expect("release"),
        2,
        "a node releases its own leases only"
    );
    assert_eq!(
        tx.claim("q", 1, 1200, 1000, "w3", "n1")
            .expect("claim")
            .len(),
        1,
        "released leases are claimable at once, at most `max`"
    );
    let rest = tx.claim("q", 10, 1200, 1000, "w3", "n1").expect("claim");
    assert_eq!(
        rest.iter()
            .map(|c| c.task.task_id.as_str())
            .collect::<Vec<_>>(),
        ["t-b"],
        "n2's lease on t-d holds"
    );
    tx.dequeue("t-b").expect("dequeue");
    tx.dequeue("t-d").expect("dequeue");
    tx.enqueue("w1", &queued("t-b", "q", 200))
        .expect("enqueue again");
    tx.dequeue("t-a").expect("dequeue");
    tx.dequeue("t-a").expect("dequeue twice is a no-op");
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert_eq!(
        reader.queue_sizes().expect("sizes"),
        vec![("other".to_string(), 1), ("q".to_string(), 1)],
        "queue sizes count visible and leased tasks, by queue name"
    );
    assert_eq!(
        reader.queue_stats().expect("stats"),
        vec![
            crate::QueueStats {
                queue: "other".to_string(),
                depth: 1,
                oldest_ready_at: Some(0)
            },
            crate::QueueStats {
                queue: "q".to_string(),
                depth: 1,
                oldest_ready_at: Some(200)
            },
        ],
        "queue stats: depth, and when the longest-waiting unheld task became ready"
    );
    assert!(
        reader.has_ready_task("other", 0).expect("ready"),
        "t-c is ready"
    );
    assert!(
        !reader.has_ready_task("empty", 0).expect("ready"),
        "an unknown queue has nothing ready"
    );
}

/// Leases are listed per node with the worker that holds each, expired ones included
/// (a lease taken over after expiry names its new worker); dequeued, re-enqueued and
/// released tasks are no longer leased.
pub fn leases_by_owner(store: &mut dyn Store) {
    create(store, "w1");
    create(store, "w2");
    let mut tx = store.begin().expect("begin");
    let tasks = [
        ("w1", "t-a"),
        ("w2", "t-b"),
        ("w1", "t-c"),
        ("w1", "t-d"),
        ("w1", "t-e"),
    ];
    for (at, (wf, id)) in (0u64..).zip(tasks) {
        tx.enqueue(wf, &queued(id, "q", at)).expect("enqueue");
    }
    assert_eq!(
        tx.claim("q", 2, 10, 100, "local", "n1")
            .expect("claim")
            .len(),
        2
    );
    assert_eq!(
        tx.claim("q", 1, 10, 100, "remote", "n1")
            .expect("claim")
            .len(),
        1
    );
    assert_eq!(
        tx.claim("q", 1, 10, 100, "w9", "n2").expect("claim").len(),
        1
    );
    tx.commit().expect("commit");
    let lease = |wf: &str, task: &str, worker: &str| crate::Lease {
        workflow_id: wf.into(),
        task_id: task.into(),
        worker_id: worker.into(),
    };
    let mut tx = store.begin().expect("begin");
    assert_eq!(
        tx.leases("n1").expect("leases"),
        [
            lease("w1", "t-a", "local"),
            lease("w2", "t-b", "local"),
            lease("w1", "t-c", "remote"),
        ],
        "n1's leases, by task id, with their workers; t-e was never leased"
    );
    assert_eq!(
        tx.leases("n2").expect("leases"),
        [lease("w1", "t-d", "w9")],
        "another node's leases are its own"
    );
    assert!(tx.leases("n3").expect("leases").is_empty());
    let late = tx.claim("q", 2, 500, 100, "other", "n1").expect("claim");
    let mut late: Vec<&str> = late.iter().map(|c| c.task.task_id.as_str()).collect();
    late.sort_unstable();
    assert_eq!(
        late,
        ["t-a", "t-e"],
        "t-e is due, and t-a's lease expired at 110"
    );
    assert_eq!(
        tx.leases("n1").expect("leases"),
        [
            lease("w1", "t-a", "other"),
            lease("w2", "t-b", "local"),
            lease("w1", "t-c", "remote"),
            lease("w1", "t-e", "other"),
        ],
        "a lease names the worker that got the task last"
    );
    tx.dequeue("t-a").expect("dequeue");
    tx.enqueue("w2", &queued("t-b", "q", 0))
        .expect("enqueue again");
    assert_eq!(
        tx.leases("n1").expect("leases"),
        [lease("w1", "t-c", "remote"), lease("w1", "t-e", "other")],
        "a dequeued or re-enqueued task is not leased"
    );
    tx.release_leases("n1").expect("release");
    assert!(
        tx.leases("n1").expect("leases").is_empty(),
        "released leases are gone"
    );
    assert_eq!(tx.leases("n2").expect("leases").len(), 1);
    tx.commit().expect("commit");
}

/// Enqueueing a task id again replaces its row.
pub fn enqueue_replaces_the_same_task(store: &mut dyn Store) {
    create(store, "w1");
    let mut tx = store.begin().expect("begin");
    tx.enqueue("w1", &queued("t-a", "q", 0)).expect("enqueue");
    tx.enqueue("w1", &queued("t-a", "q", 500))
        .expect("enqueue again");
    assert!(
        tx.claim("q", 10, 100, 1000, "w", "n1")
            .expect("claim")
            .is_empty(),
        "the second enqueue moved visibility to 500"
    );
    assert_eq!(
        tx.claim("q", 10, 500, 1000, "w", "n1")
            .expect("claim")
            .len(),
        1,
        "one row for the task id"
    );
    tx.commit().expect("commit");
}

/// Timers: upserted by id, due earliest first, deleted one by one or per workflow.
pub fn timers(store: &mut dyn Store) {
    create(store, "w1");
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
        due.iter()
            .map(|(w, t)| (w.as_str(), t.fire_at))
            .collect::<Vec<_>>(),
        [("w1", 300), ("w1", 400)],
        "re-arming replaced t1; earliest first"
    );
    assert_eq!(
        tx.due_timers(350, 10).expect("due").len(),
        1,
        "only timers due at `now`"
    );
    assert_eq!(
        tx.next_timer_due().expect("next"),
        Some(300),
        "the transaction sees the earliest"
    );
    tx.delete_timer("w1", &t2.id()).expect("delete");
    tx.delete_timer("w1", &t2.id())
        .expect("delete twice is a no-op");
    assert_eq!(tx.due_timers(1000, 10).expect("due").len(), 1, "t2 deleted");
    tx.commit().expect("commit");
    assert_eq!(
        store
            .reader()
            .expect("reader")
            .next_timer_due()
            .expect("next"),
        Some(400),
        "readers see the earliest timer"
    );
    let mut tx = store.begin().expect("begin");
    tx.delete_timers_of("w1").expect("delete all");
    tx.commit().expect("commit");
    assert_eq!(
        store
            .reader()
            .expect("reader")
            .next_timer_due()
            .expect("next"),
        None,
        "no timer left"
    );
}

/// Task logs are appended and read back in order.
pub fn task_logs(store: &mut dyn Store) {
    let mut tx = store.begin().expect("begin");
    tx.append_task_log("t-b", 5, "hello").expect("log");
    tx.append_task_log("t-b", 6, "world").expect("log");
    tx.append_task_log("t-c", 6, "other").expect("log");
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert_eq!(
        reader.task_logs("t-b").expect("logs"),
        vec![(5, "hello".to_string()), (6, "world".to_string())],
        "a task's lines, oldest first"
    );
    assert!(
        reader.task_logs("t-x").expect("logs").is_empty(),
        "no lines for an unknown task"
    );
}

/// API keys: stored with a hash of their secret, listed oldest first, revoked once,
/// never stored twice under one id, and nothing of an uncommitted one is kept.
pub fn api_keys(store: &mut dyn Store) {
    use crate::ApiKey;
    use baton_model::Role;
    let (ops, ops_secret) = ApiKey::generate("ops", Role::L1, None, 10).expect("random");
    let (station, _) = ApiKey::generate("station", Role::L2, Some("a".into()), 11).expect("random");
    let mut tx = store.begin().expect("begin");
    tx.insert_api_key(&ops).expect("insert");
    tx.insert_api_key(&station).expect("insert");
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    let read = reader.api_key(&ops.key_id).expect("read").expect("stored");
    assert_eq!(read, ops, "a key reads back as stored");
    assert!(read.accepts(&ops_secret));
    assert_eq!(
        reader
            .api_key(&station.key_id)
            .expect("read")
            .and_then(|k| k.domain),
        Some("a".to_string())
    );
    let listed: Vec<String> = reader
        .api_keys()
        .expect("list")
        .into_iter()
        .map(|k| k.key_id)
        .collect();
    assert_eq!(listed, vec![ops.key_id.clone(), station.key_id.clone()]);
    assert!(reader.api_key("bk_none").expect("read").is_none());

    let mut tx = store.begin().expect("begin");
    assert!(matches!(
        tx.insert_api_key(&ops),
        Err(crate::StoreError::AlreadyExists(_))
    ));
    drop(tx);
    let mut tx = store.begin().expect("begin");
    assert!(tx.revoke_api_key(&ops.key_id, 20).expect("revoke"));
    assert!(
        !tx.revoke_api_key(&ops.key_id, 21).expect("revoke"),
        "revoked once"
    );
    assert!(!tx.revoke_api_key("bk_none", 21).expect("revoke"));
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    let revoked = reader.api_key(&ops.key_id).expect("read").expect("kept");
    assert_eq!(revoked.revoked_at, Some(20));
    assert!(
        !revoked.accepts(&ops_secret),
        "a revoked key authenticates nobody"
    );

    let (ghost, _) = ApiKey::generate("ghost", Role::L0, None, 30).expect("random");
    let mut tx = store.begin().expect("begin");
    tx.insert_api_key(&ghost).expect("insert");
    drop(tx);
    assert!(
        store
            .reader()
            .expect("reader")
            .api_key(&ghost.key_id)
            .expect("read")
            .is_none()
    );
}

/// Removing a workflow takes its history, queue rows and timers with it.
pub fn removal(store: &mut dyn Store) {
    create(store, "w1");
    create(store, "w2");
    let started = Event::WorkflowStarted {
        input: json!({}),
        correlation_id: None,
        parent: None,
        options: Default::default(),
        by: None,
    };
    let mut tx = store.begin().expect("begin");
    tx.append_history("w1", 0, &[(11, &started)])
        .expect("append");
    tx.enqueue("w1", &queued("t-a", "q", 0)).expect("enqueue");
    tx.put_timer(
        "w1",
        &Timer {
            kind: TimerKind::Wait,
            task_id: Some("t-a".into()),
            fire_at: 500,
        },
    )
    .expect("timer");
    tx.enqueue("w2", &queued("t-b", "q2", 0)).expect("enqueue");
    tx.commit().expect("commit");
    let mut tx = store.begin().expect("begin");
    assert!(tx.delete_workflow("w1").expect("delete"), "w1 existed");
    assert!(
        !tx.delete_workflow("w1").expect("delete again"),
        "w1 is gone"
    );
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert!(reader.workflow("w1").expect("read").is_none(), "no row");
    assert!(
        reader.history("w1").expect("history").is_empty(),
        "no history"
    );
    assert_eq!(
        reader.queue_sizes().expect("sizes"),
        vec![("q2".to_string(), 1)],
        "its queue rows are gone, w2's stay"
    );
    assert_eq!(reader.next_timer_due().expect("next"), None, "no timers");
    assert!(reader.workflow("w2").expect("read").is_some(), "w2 stays");
}

/// The stored state is a checkpoint: reads hand it out as written, with the history
/// events after it as the tail; caught up, it is the current state.
pub fn checkpoint_and_tail(store: &mut dyn Store) {
    let mut task = baton_model::Task::new("t", "t", baton_model::TaskKind::Simple);
    task.task_def = Some(TaskDef::no_retries("t"));
    task.input.insert("x".into(), json!("${workflow.input.x}"));
    let d = WorkflowDef::new("one", 1, vec![task]);
    let d = match ValidatedDef::check(d, &Default::default()) {
        Ok((d, _)) => d,
        Err(diagnostics) => panic!("invalid: {diagnostics:?}"),
    };
    let events = [
        (
            100,
            Event::WorkflowStarted {
                input: json!({"x": 1}),
                correlation_id: None,
                parent: None,
                options: Default::default(),
                by: None,
            },
        ),
        (
            110,
            Event::TaskStarted {
                task_id: "c1-t0".into(),
                worker_id: Some("w".into()),
                by: baton_state::Principal::worker("w"),
            },
        ),
        (
            120,
            Event::TaskUpdated {
                task_id: "c1-t0".into(),
                status: baton_state::TaskResultStatus::Completed,
                output: json!({"y": 2}),
                reason: None,
                callback_after_ms: None,
                worker_id: None,
                by: baton_state::Principal::worker("w"),
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
    let in_tx = tx.load_workflow("c1").expect("load").expect("exists");
    assert_eq!(
        (in_tx.snapshot_seq, in_tx.tail.len()),
        (1, 2),
        "the transaction sees the checkpoint and its tail too"
    );
    tx.commit().expect("commit");
    let read = store
        .reader()
        .expect("reader")
        .workflow("c1")
        .expect("read")
        .expect("exists");
    assert_eq!(read.snapshot_seq, 1, "the checkpoint covers one event");
    assert_eq!(read.history_len, 3, "three events stored");
    assert_eq!(
        read.state, states[0],
        "the store hands out the checkpoint as written"
    );
    let tail: Vec<(u64, u64)> = read.tail.iter().map(|e| (e.seq, e.at)).collect();
    assert_eq!(tail, vec![(1, 110), (2, 120)], "and the events after it");
    assert_eq!(read.tail[1].event, events[2].1, "the tail keeps the events");
    let now = baton_core::catch_up(&d, read.state, read.tail.iter().map(|e| (&e.event, e.at)));
    assert_eq!(now, states[2], "caught up, it is the current state");
    assert_eq!(now.status, WorkflowStatus::Completed, "and it completed");
}

/// The engine event log: dense ids from 1, a rolled-back batch's ids given again, read
/// back from any point, at most `limit` at a time.
pub fn event_log(store: &mut dyn Store) {
    let reader = store.reader().expect("reader");
    assert_eq!(
        reader.last_event_id().expect("last"),
        0,
        "an empty log has id 0"
    );
    let mut tx = store.begin().expect("begin");
    assert_eq!(
        tx.append_events(5, &[] as &[String]).expect("empty batch"),
        0,
        "an empty batch writes nothing"
    );
    let first = tx
        .append_events(
            10,
            &[
                json!({"n": 1}).to_string(),
                json!({"n": 2}).to_string(),
                json!({"n": 3}).to_string(),
            ],
        )
        .expect("append");
    let second = tx
        .append_events(20, &[json!({"n": 4}).to_string()])
        .expect("append");
    tx.commit().expect("commit");
    assert_eq!((first, second), (1, 4), "ids are dense across batches");
    let mut tx = store.begin().expect("begin");
    tx.append_events(30, &[json!({"n": 99}).to_string()])
        .expect("append");
    drop(tx); // rolled back: its id is given again
    let mut tx = store.begin().expect("begin");
    assert_eq!(
        tx.append_events(40, &[json!({"n": 5}).to_string()])
            .expect("append"),
        5,
        "a rolled-back batch's id is given again"
    );
    tx.commit().expect("commit");
    let reader = store.reader().expect("reader");
    assert_eq!(reader.last_event_id().expect("last"), 5, "the newest id");
    let all = reader.events_after(0, 100).expect("all");
    let ns: Vec<(u64, u64, i64)> = all
        .iter()
        .map(|e| (e.id, e.at, e.body["n"].as_i64().unwrap_or(-1)))
        .collect();
    assert_eq!(
        ns,
        vec![(1, 10, 1), (2, 10, 2), (3, 10, 3), (4, 20, 4), (5, 40, 5)],
        "every event with its id, batch time and body"
    );
    let mid: Vec<u64> = reader
        .events_after(2, 2)
        .expect("mid")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(mid, vec![3, 4], "from inside a batch, at most `limit`");
    assert!(
        reader.events_after(5, 10).expect("none").is_empty(),
        "nothing after the newest"
    );
}

/// This file's source, scanned for behaviour functions.
const SOURCE: &str = include_str!("testsuite.rs");

/// Appending history states the length it expects: another length is a typed,
/// retryable conflict that writes nothing; an unknown workflow is not found.
pub fn history_sequence(store: &mut dyn Store) {
    let mut tx = store.begin().expect("begin");
    let hash = tx.put_definition(&def("seq", 1)).expect("def");
    let state = WorkflowState::new("s1", "seq", 1);
    tx.create_workflow(&meta("s1", &hash, None), &state)
        .expect("create");
    let e = Event::Paused {
        by: baton_state::Principal::system(),
    };
    assert_eq!(
        tx.history_len("s1").expect("len"),
        Some(0),
        "a new workflow"
    );
    assert_eq!(
        tx.history_len("ghost").expect("len"),
        None,
        "no such workflow"
    );
    tx.append_history("s1", 0, &[(1, &e), (2, &e)])
        .expect("append at the expected length");
    assert_eq!(
        tx.history_len("s1").expect("len"),
        Some(2),
        "the stored length"
    );
    let conflict = StoreError::Conflict {
        workflow: "s1".into(),
        expected: 1,
        found: 2,
    };
    assert_eq!(
        tx.append_history("s1", 1, &[(3, &e)]).err(),
        Some(conflict.clone()),
        "a writer that expected another length gets a typed conflict"
    );
    assert!(conflict.is_retryable(), "a conflict is decided again");
    let ghost = tx.append_history("ghost", 0, &[(3, &e)]);
    assert!(matches!(ghost, Err(StoreError::NotFound(_))), "{ghost:?}");
    tx.append_history("s1", 2, &[(4, &e)])
        .expect("append at the stored length");
    tx.commit().expect("commit");
    let seqs: Vec<(u64, u64)> = store
        .reader()
        .expect("reader")
        .history("s1")
        .expect("history")
        .iter()
        .map(|h| (h.seq, h.at))
        .collect();
    assert_eq!(
        seqs,
        vec![(0, 1), (1, 2), (2, 4)],
        "the conflicting write left nothing"
    );
}

/// The behaviours this module defines: every `pub fn NAME(store: &mut dyn Store)`.
pub fn behaviours() -> Vec<&'static str> {
    let marker = concat!("pub ", "fn ");
    let signature = concat!("(store: &mut ", "dyn Store)");
    SOURCE
        .lines()
        .filter_map(|line| line.trim().strip_prefix(marker))
        .filter_map(|rest| rest.split_once(signature).map(|(name, _)| name))
        .collect()
}

/// Panics unless `listed` names every behaviour of this module exactly once (what
/// [`store_contract_tests!`](crate::store_contract_tests) checks of its own list).
pub fn assert_every_behaviour_listed(listed: &[&str]) {
    let mut defined = behaviours();
    defined.sort_unstable();
    let mut listed = listed.to_vec();
    listed.sort_unstable();
    assert!(
        !defined.is_empty(),
        "no behaviour found in the suite's source"
    );
    assert_eq!(
        listed, defined,
        "store_contract_tests! must list every behaviour of baton_store::testsuite once"
    );
}

/// Generates one `#[test]` per behaviour of [`testsuite`](crate::testsuite) for a store
/// implementation, in a module of the given name, plus a test that the list is complete.
///
/// `make` is anything callable with no arguments (a function or a closure) that returns
/// `(store, guard)`: a fresh, empty store and whatever must live as long as it (a
/// temporary directory, a database to drop). Each test gets its own. The caller's crate
/// needs `baton-store` with the `testsuite` feature (a dev-dependency is enough).
///
/// ```no_run
/// use baton_store::sqlite::{Durability, SqliteStore};
///
/// fn fresh() -> (SqliteStore, tempfile::TempDir) {
///     let dir = tempfile::tempdir().expect("tempdir");
///     let store = SqliteStore::open(dir.path().join("baton.db"), Durability::Full)
///         .expect("open");
///     (store, dir)
/// }
///
/// // Tests `sqlite::definitions`, `sqlite::timers`, ...
/// baton_store::store_contract_tests!(sqlite, make = fresh);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! store_contract_tests {
    ($module:ident, make = $make:expr $(,)?) => {
        $crate::store_contract_tests!(@behaviours $module, $make;
            definitions,
            task_definitions,
            workflows_history_and_checkpoint,
            idempotency_keys,
            uncommitted_transaction_leaves_no_trace,
            queue_claim_lease_dequeue,
            leases_by_owner,
            enqueue_replaces_the_same_task,
            timers,
            task_logs,
            removal,
            checkpoint_and_tail,
            event_log,
            history_sequence,
            api_keys,
        );
    };
    (@behaviours $module:ident, $make:expr; $($name:ident),* $(,)?) => {
        #[allow(unused_imports)]
        mod $module {
            use super::*;

            /// The behaviours these tests run.
            pub const BEHAVIOURS: &[&str] = &[$(stringify!($name)),*];

            $(
                #[test]
                fn $name() {
                    let (mut store, _guard) = ($make)();
                    $crate::testsuite::$name(&mut store);
                }
            )*

            #[test]
            fn every_behaviour_of_the_suite_is_run() {
                $crate::testsuite::assert_every_behaviour_listed(BEHAVIOURS);
            }
        }
    };
}
