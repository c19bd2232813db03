//! Engine commands that used to be rules in the HTTP handlers: a start's idempotency
//! strategy and a worker's result with its logs, each decided in one transaction.

use baton_core::{Event, Outcome, Principal, TaskResultStatus};
use baton_runtime::{
    Engine, EngineConfig, EngineError, EngineHandle, IdempotencyStrategy, StartWorkflow,
    SystemClock, TaskLogLine,
};
use baton_store::sqlite::{Durability, SqliteStore};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn engine(dir: &tempfile::TempDir) -> Engine {
    let store = SqliteStore::open(dir.path().join("c.db"), Durability::Normal).expect("store");
    Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine")
}

fn def(text: serde_json::Value) -> baton_model::WorkflowDef {
    baton_model::load(&text.to_string())
        .expect("definition")
        .def
}

fn keyed(key: &str, strategy: IdempotencyStrategy) -> StartWorkflow {
    StartWorkflow {
        definition: Some(def(json!({"name": "waits", "tasks": [
            {"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}))),
        idempotency_key: Some(key.to_string()),
        idempotency_strategy: strategy,
        ..Default::default()
    }
}

#[track_caller]
fn already_started(r: Result<String, EngineError>, first: &str, strategy: &str) {
    match r {
        Err(e @ EngineError::AlreadyStarted { .. }) => {
            let text = e.to_string();
            assert_eq!(
                text,
                format!(
                    "workflow {first} was already started with idempotency key `k` (strategy {strategy})"
                )
            );
        }
        other => panic!("expected AlreadyStarted, got {other:?}"),
    }
}

async fn terminate(h: &EngineHandle, id: &str) {
    let by = Principal::system();
    let ended = h
        .send(
            id,
            Event::Terminated {
                reason: "done".into(),
                by,
            },
        )
        .await;
    assert_eq!(ended.ok(), Some(Outcome::Applied));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_strategies_are_decided_by_the_engine() {
    use IdempotencyStrategy::{Fail, FailOnRunning, ReturnExisting};
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir);
    let h = eng.handle();
    let first = h.start(keyed("k", ReturnExisting)).await.expect("start");
    assert_eq!(
        h.start(keyed("k", ReturnExisting)).await.ok(),
        Some(first.clone())
    );
    already_started(h.start(keyed("k", Fail)).await, &first, "FAIL");
    already_started(
        h.start(keyed("k", FailOnRunning)).await,
        &first,
        "FAIL_ON_RUNNING",
    );
    terminate(&h, &first).await;
    // Ended: FAIL_ON_RUNNING starts a new workflow; the key keeps naming the first.
    let second = h.start(keyed("k", FailOnRunning)).await.expect("new start");
    assert_ne!(second, first);
    assert_eq!(
        h.start(keyed("k", ReturnExisting)).await.ok(),
        Some(first.clone())
    );
    already_started(h.start(keyed("k", Fail)).await, &first, "FAIL");
    eng.shutdown().await;
}

/// Two starts with one key sent at once: exactly one starts, because the check and the
/// start happen in one engine transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_with_one_key_start_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir);
    let h = eng.handle();
    let starts = (0..8).map(|_| {
        let h = h.clone();
        tokio::spawn(async move { h.start(keyed("k", IdempotencyStrategy::Fail)).await })
    });
    let mut started = 0;
    for s in starts {
        match s.await.expect("task") {
            Ok(_) => started += 1,
            Err(EngineError::AlreadyStarted { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(started, 1);
    eng.shutdown().await;
}

fn completed(task_id: &str) -> Event {
    Event::TaskUpdated {
        task_id: task_id.to_string(),
        status: TaskResultStatus::Completed,
        output: json!({"ok": true}),
        reason: None,
        callback_after_ms: None,
        worker_id: Some("w1".into()),
        by: Principal::worker("w1"),
    }
}

fn line(at: Option<u64>, text: &str) -> TaskLogLine {
    TaskLogLine {
        at,
        line: text.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_and_its_logs_are_one_command() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir);
    let h = eng.handle();
    let id = h
        .start(StartWorkflow {
            definition: Some(def(json!({"name": "one", "tasks": [
                {"name": "work", "taskReferenceName": "a", "type": "SIMPLE"}]}))),
            ..Default::default()
        })
        .await
        .expect("start");
    let claimed = h
        .poll("work", 1, "w1", Duration::from_secs(5))
        .await
        .expect("poll");
    let task_id = claimed[0].task.task_id.clone();
    let logs = vec![line(Some(5), "first"), line(None, "second"), line(None, "")];
    let r = h
        .send_with_logs(&id, completed(&task_id), &task_id, logs)
        .await;
    assert_eq!(r.ok(), Some(Outcome::Applied));
    let kept = h
        .reader()
        .expect("reader")
        .task_logs(&task_id)
        .expect("logs");
    let lines: Vec<&str> = kept.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(lines, ["first", "second"], "empty lines are dropped");
    assert_eq!(kept[0].0, 5);
    assert!(kept[1].0 > 5, "a line without a time gets the commit's");

    // A duplicate result changes nothing, its logs included.
    let again = h
        .send_with_logs(&id, completed(&task_id), &task_id, vec![line(None, "late")])
        .await;
    assert!(matches!(again, Ok(Outcome::Ignored(_))), "{again:?}");
    let kept = h
        .reader()
        .expect("reader")
        .task_logs(&task_id)
        .expect("logs");
    assert_eq!(kept.len(), 2);

    let ghost = h
        .send_with_logs(
            "ghost",
            completed("ghost-t1"),
            "ghost-t1",
            vec![line(None, "x")],
        )
        .await;
    assert!(
        matches!(ghost, Err(EngineError::UnknownWorkflow(_))),
        "{ghost:?}"
    );
    assert!(
        h.reader()
            .expect("reader")
            .task_logs("ghost-t1")
            .expect("logs")
            .is_empty()
    );
    eng.shutdown().await;
}
