//! The engine under injected store faults and a manual clock: a failed commit reaches
//! every caller of its batch and leaves nothing behind (no reply before commit, no
//! in-memory side state of an uncommitted batch); timers follow the engine's clock, not
//! the wall clock.

use baton_core::{
    Event, Outcome, Principal, QueuedTask, Timer, Timestamp, WorkflowState, WorkflowStatus,
};
use baton_model::{TaskDef, WorkflowDef};
use baton_runtime::{
    Engine, EngineConfig, EngineError, EngineEvent, ManualClock, StartWorkflow, SystemClock,
};
use baton_store::prelude::*;
use baton_store::sqlite::{Durability, SqliteStore};
use baton_store::{Claimed, OpenReader, Store, StoreError, StoredWorkflow, Tx, WorkflowMeta};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// What the faulty store should do next.
#[derive(Default)]
struct Faults {
    /// Fail the next commit (then clear).
    fail_commit: AtomicBool,
    /// Answer the next history append with a conflict (then clear).
    conflict_append: AtomicBool,
    /// Commits that failed on purpose.
    failed: AtomicUsize,
    /// Never give leases back, as a process killed before its graceful stop.
    keep_leases: AtomicBool,
    /// Another writer's work, committed in its own transaction just before the engine's
    /// next one begins (as a second node sharing the database would).
    other_writer: std::sync::Mutex<Option<OtherWriter>>,
}

type OtherWriter = Box<dyn FnOnce(&mut dyn Tx) + Send>;

/// A store that fails on demand, delegating everything else to SQLite.
struct FaultyStore {
    inner: SqliteStore,
    faults: Arc<Faults>,
}

struct FaultyTx<'a> {
    inner: Box<dyn Tx + 'a>,
    faults: Arc<Faults>,
}

impl Store for FaultyStore {
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>, StoreError> {
        let other = self.faults.other_writer.lock().expect("lock").take();
        if let Some(work) = other {
            let mut tx = self.inner.begin()?;
            work(&mut *tx);
            tx.commit()?;
        }
        Ok(Box::new(FaultyTx {
            inner: self.inner.begin()?,
            faults: self.faults.clone(),
        }))
    }
    fn readers(&self) -> Arc<dyn OpenReader> {
        self.inner.readers()
    }
}

impl DefinitionsTx for FaultyTx<'_> {
    fn put_definition(&mut self, def: &WorkflowDef) -> Result<String, StoreError> {
        self.inner.put_definition(def)
    }
    fn definition(&mut self, hash: &str) -> Result<Option<WorkflowDef>, StoreError> {
        self.inner.definition(hash)
    }
    fn register_workflow_def(&mut self, def: &WorkflowDef) -> Result<(), StoreError> {
        self.inner.register_workflow_def(def)
    }
    fn workflow_def(
        &mut self,
        name: &str,
        version: Option<u32>,
    ) -> Result<Option<WorkflowDef>, StoreError> {
        self.inner.workflow_def(name, version)
    }
    fn delete_workflow_def(&mut self, name: &str, version: u32) -> Result<bool, StoreError> {
        self.inner.delete_workflow_def(name, version)
    }
    fn put_task_def(&mut self, def: &TaskDef) -> Result<(), StoreError> {
        self.inner.put_task_def(def)
    }
    fn task_def(&mut self, name: &str) -> Result<Option<TaskDef>, StoreError> {
        self.inner.task_def(name)
    }
    fn delete_task_def(&mut self, name: &str) -> Result<bool, StoreError> {
        self.inner.delete_task_def(name)
    }
}

impl WorkflowsTx for FaultyTx<'_> {
    fn create_workflow(
        &mut self,
        meta: &WorkflowMeta,
        state: &WorkflowState,
    ) -> Result<bool, StoreError> {
        self.inner.create_workflow(meta, state)
    }
    fn load_workflow(&mut self, id: &str) -> Result<Option<StoredWorkflow>, StoreError> {
        self.inner.load_workflow(id)
    }
    fn save_state(
        &mut self,
        id: &str,
        state: &WorkflowState,
        covers: u64,
    ) -> Result<(), StoreError> {
        self.inner.save_state(id, state, covers)
    }
    fn append_history(
        &mut self,
        id: &str,
        first_seq: u64,
        events: &[(Timestamp, &Event)],
    ) -> Result<(), StoreError> {
        if self.faults.conflict_append.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Conflict {
                workflow: id.to_string(),
                expected: first_seq,
                found: first_seq + 1,
            });
        }
        self.inner.append_history(id, first_seq, events)
    }
    fn history_len(&mut self, id: &str) -> Result<Option<u64>, StoreError> {
        self.inner.history_len(id)
    }
    fn delete_workflow(&mut self, id: &str) -> Result<bool, StoreError> {
        self.inner.delete_workflow(id)
    }
    fn workflow_by_key(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.workflow_by_key(key)
    }
}

impl QueueTx for FaultyTx<'_> {
    fn enqueue(&mut self, workflow_id: &str, task: &QueuedTask) -> Result<(), StoreError> {
        self.inner.enqueue(workflow_id, task)
    }
    fn dequeue(&mut self, task_id: &str) -> Result<(), StoreError> {
        self.inner.dequeue(task_id)
    }
    fn claim(
        &mut self,
        queue: &str,
        max: usize,
        now: Timestamp,
        lease_ms: u64,
        worker: &str,
        owner: &str,
    ) -> Result<Vec<Claimed>, StoreError> {
        self.inner.claim(queue, max, now, lease_ms, worker, owner)
    }
    fn release_leases(&mut self, owner: &str) -> Result<u64, StoreError> {
        if self.faults.keep_leases.load(Ordering::SeqCst) {
            return Ok(0);
        }
        self.inner.release_leases(owner)
    }
    fn leases(&mut self, owner: &str) -> Result<Vec<baton_store::Lease>, StoreError> {
        self.inner.leases(owner)
    }
}

impl TimersTx for FaultyTx<'_> {
    fn put_timer(&mut self, workflow_id: &str, timer: &Timer) -> Result<(), StoreError> {
        self.inner.put_timer(workflow_id, timer)
    }
    fn delete_timer(&mut self, workflow_id: &str, timer_id: &str) -> Result<(), StoreError> {
        self.inner.delete_timer(workflow_id, timer_id)
    }
    fn delete_timers_of(&mut self, workflow_id: &str) -> Result<(), StoreError> {
        self.inner.delete_timers_of(workflow_id)
    }
    fn due_timers(
        &mut self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(String, Timer)>, StoreError> {
        self.inner.due_timers(now, limit)
    }
    fn next_timer_due(&mut self) -> Result<Option<Timestamp>, StoreError> {
        self.inner.next_timer_due()
    }
}

impl LogsTx for FaultyTx<'_> {
    fn append_task_log(
        &mut self,
        task_id: &str,
        at: Timestamp,
        log: &str,
    ) -> Result<(), StoreError> {
        self.inner.append_task_log(task_id, at, log)
    }
    fn append_events(&mut self, at: Timestamp, events: &[String]) -> Result<u64, StoreError> {
        self.inner.append_events(at, events)
    }
}

impl KeysTx for FaultyTx<'_> {
    fn insert_api_key(&mut self, key: &baton_store::ApiKey) -> Result<(), StoreError> {
        self.inner.insert_api_key(key)
    }
    fn revoke_api_key(&mut self, key_id: &str, at: Timestamp) -> Result<bool, StoreError> {
        self.inner.revoke_api_key(key_id, at)
    }
}

impl Tx for FaultyTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.faults.fail_commit.swap(false, Ordering::SeqCst) {
            self.faults.failed.fetch_add(1, Ordering::SeqCst);
            // Dropping the inner transaction rolls it back.
            return Err(StoreError::Unavailable("injected commit failure".into()));
        }
        self.inner.commit()
    }
}

/// An engine on a fresh faulty store (the guard keeps its directory), with its faults.
fn faulty_engine() -> (Engine, Arc<Faults>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let faults = Arc::new(Faults::default());
    let store = FaultyStore {
        inner: SqliteStore::open(dir.path().join("f.db"), Durability::Normal).expect("open"),
        faults: faults.clone(),
    };
    let engine =
        Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine");
    (engine, faults, dir)
}

fn load(text: &str) -> WorkflowDef {
    baton_model::load(text)
        .map(|l| l.def)
        .unwrap_or_else(|d| panic!("{d:?}"))
}

fn one_worker_task(name: &str) -> WorkflowDef {
    load(&format!(
        r#"{{"name": "{name}", "version": 1, "tasks": [
            {{"name": "{name}_q", "taskReferenceName": "a", "type": "SIMPLE"}}]}}"#
    ))
}

fn start(def: &WorkflowDef, id: &str) -> StartWorkflow {
    StartWorkflow {
        definition: Some(def.clone()),
        workflow_id: Some(id.to_string()),
        input: json!({}),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_failed_commit_reaches_every_caller_and_leaves_nothing() {
    let (engine, faults, _dir) = faulty_engine();
    let h = engine.handle();
    // The engine's own first batch (its start-up timer sweep) must not be the one that
    // fails: one start on another queue gets past it before the fault is armed.
    h.start(start(&one_worker_task("warm"), "warm"))
        .await
        .expect("warm-up");
    let mut events = h.subscribe();
    let def = one_worker_task("fq");

    // Many callers at once, so several share the failing batch; every one of them in
    // that batch hears of the failure, and nobody hears "started" for it.
    faults.fail_commit.store(true, Ordering::SeqCst);
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let h = h.clone();
            let req = start(&def, &format!("wf-{i}"));
            tokio::spawn(async move { h.start(req).await })
        })
        .collect();
    let mut failed = Vec::new();
    for (i, c) in calls.into_iter().enumerate() {
        match c.await.expect("join") {
            Ok(id) => assert_eq!(id, format!("wf-{i}")),
            Err(e) => {
                assert!(
                    matches!(&e, EngineError::Store(StoreError::Unavailable(_))),
                    "the store's kind is kept: {e:?}"
                );
                assert!(e.is_retryable());
                failed.push(format!("wf-{i}"));
            }
        }
    }
    assert_eq!(faults.failed.load(Ordering::SeqCst), 1, "one commit failed");
    assert!(!failed.is_empty(), "the first batch failed");
    let reader = h.reader().expect("reader");
    for id in &failed {
        assert!(
            reader.workflow(id).expect("read").is_none(),
            "{id}: nothing of a failed batch is stored"
        );
    }

    // No event of the failed batch was published, and its queue was not remembered:
    // the retry announces the queue again.
    let mut seen_before = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen_before.push(e);
    }
    for e in &seen_before {
        if let Some(w) = e.workflow_id() {
            assert!(
                !failed.iter().any(|f| f == w),
                "event of a failed batch: {e:?}"
            );
        }
    }
    let queue_announced_before = seen_before
        .iter()
        .any(|e| matches!(e, EngineEvent::QueueSeen { queue } if queue == "fq_q"));
    for id in &failed {
        let again = h.start(start(&def, id)).await.expect("the retry commits");
        assert_eq!(&again, id);
    }
    let mut seen_after = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen_after.push(e);
    }
    let announced = queue_announced_before
        || seen_after
            .iter()
            .any(|e| matches!(e, EngineEvent::QueueSeen { queue } if queue == "fq_q"));
    assert!(
        announced,
        "the queue of the retried starts is announced: {seen_after:?}"
    );
    let reader = h.reader().expect("reader");
    for i in 0..8 {
        let w = reader
            .workflow(&format!("wf-{i}"))
            .expect("read")
            .expect("every workflow exists once");
        assert_eq!(w.history_len, 1, "wf-{i}: started exactly once");
    }
    let queued: u64 = reader
        .queue_sizes()
        .expect("sizes")
        .iter()
        .filter(|(q, _)| q == "fq_q")
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(queued, 8, "one task queued per workflow, none twice");

    // An event to a workflow whose batch fails leaves its cached state as stored.
    let task_id = "wf-0-t0".to_string();
    faults.fail_commit.store(true, Ordering::SeqCst);
    let r = h
        .send(
            "wf-0",
            Event::TaskStarted {
                task_id: task_id.clone(),
                worker_id: Some("w".into()),
                by: baton_core::Principal::worker("w"),
            },
        )
        .await;
    assert!(r.is_err(), "{r:?}");
    let w = h
        .reader()
        .expect("reader")
        .workflow("wf-0")
        .expect("read")
        .expect("exists");
    assert_eq!(w.history_len, 1, "the failed event was not stored");
    let r = h
        .send(
            "wf-0",
            Event::TaskStarted {
                task_id,
                worker_id: Some("w".into()),
                by: baton_core::Principal::worker("w"),
            },
        )
        .await
        .expect("sent again");
    assert_eq!(
        r,
        baton_core::Outcome::Applied,
        "decided again on the stored state"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn timers_follow_the_engine_clock_not_the_wall_clock() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = Arc::new(ManualClock::at(1_000_000));
    let store = SqliteStore::open(dir.path().join("c.db"), Durability::Normal).expect("open");
    let engine = Engine::start(store, clock.clone(), EngineConfig::default()).expect("engine");
    let h = engine.handle();
    let def = load(
        r#"{"name": "waits", "version": 1, "tasks": [
            {"name": "pause", "taskReferenceName": "pause", "type": "WAIT",
             "inputParameters": {"duration": "60m"}}]}"#,
    );
    let id = h.start(start(&def, "w1")).await.expect("start");
    let status = |h: &baton_runtime::EngineHandle| {
        h.reader()
            .expect("reader")
            .workflow(&id)
            .expect("read")
            .expect("exists")
            .meta
            .status
    };
    // Real time passes, engine time does not: the WAIT holds.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(status(&h), baton_core::WorkflowStatus::Running);
    clock.advance(Duration::from_secs(59 * 60));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        status(&h),
        baton_core::WorkflowStatus::Running,
        "59 minutes are not an hour"
    );
    clock.advance(Duration::from_secs(61));
    let mut done = false;
    for _ in 0..100 {
        if status(&h) == baton_core::WorkflowStatus::Completed {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        done,
        "the WAIT ends once the engine's clock passes the hour"
    );
    let w = h
        .reader()
        .expect("reader")
        .workflow(&id)
        .expect("read")
        .expect("exists");
    let ended = w.state.ended_at.expect("ended");
    assert_eq!(
        ended,
        1_000_000 + 60 * 60_000 + 1000,
        "ended at engine time"
    );
    engine.shutdown().await;
}

/// A second writer moves a workflow on behind the engine's back: the engine's cached copy
/// is stale. The engine notices at its next command for that workflow (the stored history
/// length differs), re-reads it and decides on the current state; no conflict, no failed
/// batch for the unrelated callers sharing it.
#[tokio::test]
async fn a_stale_cache_is_re_read_not_trusted() {
    let (engine, faults, _dir) = faulty_engine();
    let h = engine.handle();
    let def = one_worker_task("sq");
    for id in ["moved", "bystander"] {
        h.start(start(&def, id)).await.expect("start");
    }

    // The other writer terminates `moved`: appends the event at the length it read and
    // saves the state the decider gives, as a second engine would.
    let def2 = baton_model::ValidatedDef::from_store(def.clone());
    *faults.other_writer.lock().expect("lock") = Some(Box::new(move |tx: &mut dyn Tx| {
        let stored = tx.load_workflow("moved").expect("load").expect("exists");
        let tail = stored.tail.iter().map(|e| (&e.event, e.at));
        let state = baton_core::catch_up(&def2, stored.state, tail);
        let ev = Event::Terminated {
            reason: "by the other node".into(),
            by: Principal::system(),
        };
        let d = baton_core::decide(&def2, state, &ev, 5);
        tx.append_history("moved", stored.history_len, &[(5, &ev)])
            .expect("append");
        tx.save_state("moved", &d.state, stored.history_len + 1)
            .expect("save");
    }));

    // Both commands share a batch with the other writer's change already committed.
    let (a, b) = tokio::join!(
        h.send(
            "moved",
            Event::Paused {
                by: Principal::system()
            }
        ),
        h.send(
            "bystander",
            Event::Paused {
                by: Principal::system()
            }
        ),
    );
    let a = a.expect("the stale workflow's command is decided, not failed");
    assert!(
        !matches!(a, Outcome::Applied),
        "pausing a workflow the other writer terminated is not applied: {a:?}"
    );
    assert_eq!(b.expect("bystander"), Outcome::Applied);
    let reader = h.reader().expect("reader");
    let moved = reader.workflow("moved").expect("read").expect("row");
    assert_eq!(moved.state.status, WorkflowStatus::Terminated);
    assert_eq!(
        reader.history("moved").expect("history").len() as u64,
        moved.history_len,
        "nothing was written at a position the other writer used"
    );
    let by = reader.workflow("bystander").expect("read").expect("row");
    assert_eq!(by.state.status, WorkflowStatus::Paused);

    // The engine goes on from the current state.
    assert!(
        h.send(
            "bystander",
            Event::Resumed {
                by: Principal::system()
            }
        )
        .await
        .is_ok()
    );
    engine.shutdown().await;
}

/// A transaction job (task logs, definition changes) answers only once its batch has
/// committed: when the commit fails, its caller hears the failure, not the job's Ok.
#[tokio::test]
async fn a_transaction_job_answers_after_commit() {
    let (engine, faults, _dir) = faulty_engine();
    let h = engine.handle();
    h.start(start(&one_worker_task("warm"), "warm"))
        .await
        .expect("warm-up");
    faults.fail_commit.store(true, Ordering::SeqCst);
    let r = h
        .with_tx(|tx| tx.append_task_log("warm-t0", 1, "lost with its batch"))
        .await;
    assert!(
        matches!(r, Err(EngineError::Store(StoreError::Unavailable(_)))),
        "the job's caller hears the failed commit: {r:?}"
    );
    let reader = h.reader().expect("reader");
    assert!(reader.task_logs("warm-t0").expect("logs").is_empty());
    h.with_tx(|tx| tx.append_task_log("warm-t0", 2, "kept"))
        .await
        .expect("committed");
    assert_eq!(reader.task_logs("warm-t0").expect("logs").len(), 1);
    engine.shutdown().await;
}

/// A conflict from the store at flush (a writer that got past the cache check) abandons
/// the batch: every caller in it hears the retryable conflict, nothing is stored, and the
/// same commands succeed when sent again.
#[tokio::test]
async fn an_injected_conflict_fails_its_batch_cleanly() {
    let (engine, faults, _dir) = faulty_engine();
    let h = engine.handle();
    h.start(start(&one_worker_task("warm"), "warm"))
        .await
        .expect("warm-up");
    faults.conflict_append.store(true, Ordering::SeqCst);
    let r = h.start(start(&one_worker_task("cq"), "c-1")).await;
    match &r {
        Err(e @ EngineError::Store(StoreError::Conflict { .. })) => assert!(e.is_retryable()),
        other => panic!("the conflict reaches the caller with its kind: {other:?}"),
    }
    let reader = h.reader().expect("reader");
    assert!(
        reader.workflow("c-1").expect("read").is_none(),
        "nothing stored"
    );
    assert_eq!(
        h.start(start(&one_worker_task("cq"), "c-1"))
            .await
            .expect("retry"),
        "c-1"
    );
    assert!(reader.workflow("c-1").expect("read").is_some());
    engine.shutdown().await;
}

/// An engine on the SQLite file at `path`; with `crash`, it never gives its leases back,
/// so its `shutdown` leaves them as a killed process would.
fn engine_at(path: &std::path::Path, crash: bool) -> Engine {
    let faults = Arc::new(Faults::default());
    faults.keep_leases.store(crash, Ordering::SeqCst);
    let store = FaultyStore {
        inner: SqliteStore::open(path, Durability::Normal).expect("open"),
        faults,
    };
    Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine")
}

/// Polls one task of `queue` as `worker`.
async fn claim(h: &baton_runtime::EngineHandle, queue: &str, worker: &str) -> Claimed {
    h.poll(queue, 1, worker, Duration::from_secs(5))
        .await
        .expect("poll")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("nothing to claim on {queue}"))
}

fn workflow(h: &baton_runtime::EngineHandle, id: &str) -> StoredWorkflow {
    h.reader()
        .expect("reader")
        .workflow(id)
        .expect("read")
        .expect("workflow")
}

const INTERRUPTED: &str =
    "the attempt was interrupted: baton stopped while its local runner `baton-local` ran it";

/// After a crash, an attempt a local runner held is a failed attempt: the retry policy
/// schedules a new one (or, with no retries left, fails the workflow) instead of the
/// same attempt being handed out again. A remote worker's lease is only released.
#[tokio::test]
async fn a_crash_fails_the_local_attempts_it_interrupted_and_releases_remote_ones() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("c.db");
    let retried = load(
        r#"{"name": "retried", "tasks": [
            {"name": "local_q", "taskReferenceName": "a", "retryCount": 1}]}"#,
    );
    let last = load(
        r#"{"name": "last", "tasks": [
            {"name": "last_q", "taskReferenceName": "a", "retryCount": 0}]}"#,
    );
    let remote = one_worker_task("remote");
    let eng = engine_at(&path, true);
    let h = eng.handle();
    for (def, id) in [(&retried, "r"), (&last, "l"), (&remote, "x")] {
        h.start(start(def, id)).await.expect("start");
    }
    let first = claim(&h, "local_q", "baton-local").await;
    claim(&h, "last_q", "baton-local").await;
    let held = claim(&h, "remote_q", "remote-7").await;
    eng.shutdown().await;

    let eng = engine_at(&path, false);
    let h = eng.handle();
    let r = workflow(&h, "r");
    assert_eq!(r.meta.status, WorkflowStatus::Running);
    let attempts: Vec<_> = r.state.tasks.iter().filter(|t| t.ref_name == "a").collect();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].task_id, first.task.task_id);
    assert_eq!(attempts[0].status, baton_core::TaskStatus::Failed);
    assert_eq!(attempts[0].reason.as_deref(), Some(INTERRUPTED));
    assert_eq!(attempts[1].attempt, 1, "the retry is a new attempt");
    assert_eq!(attempts[1].status, baton_core::TaskStatus::Scheduled);
    let history = h.reader().expect("reader").history("r").expect("history");
    assert!(
        history.iter().any(|e| matches!(&e.event,
            Event::TaskUpdated { task_id, by, .. }
                if *task_id == first.task.task_id && *by == Principal::system())),
        "the engine recorded the failed attempt in the history"
    );

    let l = workflow(&h, "l");
    assert_eq!(l.meta.status, WorkflowStatus::Failed, "no retries left");
    let a = l.state.latest("a").expect("task");
    assert_eq!(a.status, baton_core::TaskStatus::Failed);
    assert_eq!(a.reason.as_deref(), Some(INTERRUPTED));

    let x = workflow(&h, "x");
    let a = x.state.latest("a").expect("task");
    assert_eq!(a.status, baton_core::TaskStatus::InProgress);
    assert_eq!(a.attempt, 0);
    let again = claim(&h, "remote_q", "remote-8").await;
    assert_eq!(
        again.task.task_id, held.task.task_id,
        "the remote lease was released: the same attempt is handed out again"
    );
    let sizes = h.reader().expect("reader").queue_sizes().expect("sizes");
    assert!(
        !sizes.iter().any(|(q, n)| q == "last_q" && *n > 0),
        "the failed attempt left its queue: {sizes:?}"
    );
    eng.shutdown().await;
}

/// A graceful stop gives leases back: after a restart the task runs again as the same
/// attempt; nothing is counted as failed.
#[tokio::test]
async fn a_graceful_stop_costs_no_attempt() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("g.db");
    let eng = engine_at(&path, false);
    let h = eng.handle();
    h.start(start(&one_worker_task("calm"), "c"))
        .await
        .expect("start");
    let first = claim(&h, "calm_q", "baton-local").await;
    eng.shutdown().await;

    let eng = engine_at(&path, false);
    let h = eng.handle();
    let c = workflow(&h, "c");
    assert_eq!(c.state.tasks.len(), 1, "{:?}", c.state.tasks);
    assert_eq!(c.state.tasks[0].status, baton_core::TaskStatus::InProgress);
    let again = claim(&h, "calm_q", "baton-local").await;
    assert_eq!(again.task.task_id, first.task.task_id);
    assert_eq!(again.task.attempt, 0);
    eng.shutdown().await;
}
