//! The engine end to end: real SQLite store, in-process runners, restarts.

use baton_core::{Event, Outcome, Principal, TaskStatus, WorkflowStatus};
use baton_model::{SubWorkflowSpec, Task, TaskDef, TaskKind, WorkflowDef};
use baton_runners::{BoxFuture, Runner, Runners, TaskOutcome, TaskRequest};
use baton_runtime::dispatch::{DispatchConfig, serve};
use baton_runtime::{Engine, EngineConfig, EngineHandle, StartWorkflow, SystemClock};
use baton_store::sqlite::{Durability, SqliteStore};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn load(text: &str) -> WorkflowDef {
    baton_model::load(text)
        .map(|l| l.def)
        .unwrap_or_else(|d| panic!("{d:?}"))
}

fn engine(path: &Path) -> Engine {
    let store = SqliteStore::open(path, Durability::Normal).expect("open store");
    Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine")
}

fn runners() -> Arc<Runners> {
    let mut r = Runners::with_builtins();
    r.insert_fn("double", |req| {
        let n = req.input.get("n").and_then(Value::as_i64).unwrap_or(0);
        TaskOutcome::completed(json!({ "n": n * 2 }))
    });
    r.insert_fn("flaky", |req| {
        if req.attempt < 2 {
            TaskOutcome::failed("not yet")
        } else {
            TaskOutcome::completed(json!({"ok": true}))
        }
    });
    Arc::new(r)
}

async fn wait_end(h: &EngineHandle, id: &str) -> baton_store::StoredWorkflow {
    for _ in 0..600 {
        let w = h
            .reader()
            .expect("reader")
            .workflow(id)
            .expect("read")
            .expect("exists");
        if w.meta.status.is_terminal() {
            return w;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("workflow {id} did not end");
}

fn serve_all(
    h: &EngineHandle,
    queues: &[&str],
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let cancel = CancellationToken::new();
    let queues = queues.iter().map(|s| s.to_string()).collect();
    let task = tokio::spawn(serve(
        h.clone(),
        runners(),
        queues,
        DispatchConfig::default(),
        cancel.clone(),
    ));
    (cancel, task)
}

const CHAIN: &str = r#"{
  "name": "chain", "version": 1,
  "tasks": [
    {"name": "double", "taskReferenceName": "a", "inputParameters": {"n": "${workflow.input.n}"}},
    {"name": "double", "taskReferenceName": "b", "inputParameters": {"n": "${a.output.n}"}},
    {"name": "js", "taskReferenceName": "c", "type": "INLINE",
     "inputParameters": {"evaluatorType": "javascript", "expression": "$.v + 1", "v": "${b.output.n}"}}
  ],
  "outputParameters": {"result": "${c.output.result}"}
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_a_workflow_to_completion_with_history() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir.path().join("b.db"));
    let h = eng.handle();
    let (cancel, task) = serve_all(&h, &["double", "INLINE"]);
    let id = h
        .start(StartWorkflow {
            definition: Some(load(CHAIN)),
            input: json!({"n": 5}),
            ..Default::default()
        })
        .await
        .expect("start");
    let w = wait_end(&h, &id).await;
    assert_eq!(w.meta.status, WorkflowStatus::Completed);
    assert_eq!(w.state.output, json!({"result": 21}));
    let history = h.reader().expect("reader").history(&id).expect("history");
    let replayed = baton_core::replay(
        &load_def(&h, &w),
        &id,
        history.iter().map(|e| (&e.event, e.at)),
    );
    assert_eq!(
        replayed, w.state,
        "the history replays to the stored snapshot"
    );
    cancel.cancel();
    let _ = task.await;
    eng.shutdown().await;
}

/// The stored definition of `w`, read back as the engine reads it.
fn load_def(h: &EngineHandle, w: &baton_store::StoredWorkflow) -> baton_model::ValidatedDef {
    baton_model::ValidatedDef::from_store(
        h.reader()
            .expect("reader")
            .definition(&w.meta.def_hash)
            .expect("read")
            .expect("def"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_then_succeeds_and_exhausted_retries_fail() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir.path().join("b.db"));
    let h = eng.handle();
    let (cancel, task) = serve_all(&h, &["flaky"]);
    let mut td = TaskDef::conductor_default("flaky");
    td.retry_delay_ms = 10;
    h.register_task_def(td.clone()).await.expect("task def");
    let def = load(r#"{"name": "f", "tasks": [{"name": "flaky", "taskReferenceName": "x"}]}"#);
    let id = h
        .start(StartWorkflow {
            definition: Some(def.clone()),
            ..Default::default()
        })
        .await
        .expect("start");
    let w = wait_end(&h, &id).await;
    assert_eq!(w.meta.status, WorkflowStatus::Completed);
    assert_eq!(w.state.tasks.len(), 3, "two failed attempts, then success");
    td.retry_count = 1;
    h.register_task_def(td).await.expect("task def");
    let id = h
        .start(StartWorkflow {
            definition: Some(def),
            ..Default::default()
        })
        .await
        .expect("start");
    let w = wait_end(&h, &id).await;
    assert_eq!(w.meta.status, WorkflowStatus::Failed);
    cancel.cancel();
    let _ = task.await;
    eng.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_workflows_and_failure_workflows_run_in_the_same_engine() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir.path().join("b.db"));
    let h = eng.handle();
    let (cancel, task) = serve_all(&h, &["double"]);
    h.register_workflow_def(load(CHAIN))
        .await
        .expect("register child");
    let child = Task::new(
        "child",
        "child",
        TaskKind::SubWorkflow(SubWorkflowSpec {
            name: "chain".into(),
            version: None,
            definition: None,
            extra: Default::default(),
        }),
    )
    .with_input(
        json!({"n": "${workflow.input.n}"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let parent = WorkflowDef::new("p", 1, vec![child]);
    h.register_workflow_def(parent.clone())
        .await
        .expect("parent");
    // The child needs the INLINE runner too, which is not served here: it waits. Serve it.
    let (cancel2, task2) = serve_all(&h, &["INLINE"]);
    let id = h
        .start(StartWorkflow {
            name: "p".into(),
            input: json!({"n": 1}),
            ..Default::default()
        })
        .await
        .expect("start");
    let w = wait_end(&h, &id).await;
    assert_eq!(
        w.meta.status,
        WorkflowStatus::Completed,
        "{:?}",
        w.state.reason
    );
    let child = w.state.latest("child").expect("child task");
    assert_eq!(child.status, TaskStatus::Completed);
    assert_eq!(child.output["result"], json!(5));

    // A sub-workflow whose definition does not exist fails the parent task clearly.
    let mut broken = parent.clone();
    broken.name = "broken".into();
    if let TaskKind::SubWorkflow(s) = &mut broken.tasks[0].kind {
        s.name = "nope".into();
    }
    broken.failure_workflow = Some(baton_model::FailureWorkflow::Inline {
        id: "cleanup".into(),
        steps: vec!["double".into()],
    });
    let id = h
        .start(StartWorkflow {
            definition: Some(broken),
            ..Default::default()
        })
        .await
        .expect("start");
    let w = wait_end(&h, &id).await;
    assert_eq!(w.meta.status, WorkflowStatus::Failed);
    assert!(
        w.state.reason.as_deref().unwrap_or("").contains("nope"),
        "{:?}",
        w.state.reason
    );
    let failure = wait_end(&h, &format!("{id}.failure")).await;
    assert_eq!(
        failure.meta.status,
        WorkflowStatus::Completed,
        "the inline failure workflow ran"
    );
    for c in [cancel, cancel2] {
        c.cancel();
    }
    let _ = (task.await, task2.await);
    eng.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_survive_a_restart_and_results_apply_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("b.db");
    let def = load(
        r#"{"name": "w", "tasks": [
        {"name": "wait", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "1s"}},
        {"name": "manual", "taskReferenceName": "m"}
    ]}"#,
    );
    let eng = engine(&path);
    let h = eng.handle();
    let id = h
        .start(StartWorkflow {
            definition: Some(def),
            ..Default::default()
        })
        .await
        .expect("start");
    eng.shutdown().await;

    // A new engine on the same file picks up the durable timer.
    let eng = engine(&path);
    let h = eng.handle();
    let mut task_id = None;
    for _ in 0..200 {
        let claimed = h
            .poll("manual", 1, "me", Duration::from_millis(100))
            .await
            .expect("poll");
        if let Some(c) = claimed.into_iter().next() {
            task_id = Some(c.task.task_id);
            break;
        }
    }
    let task_id = task_id.expect("the task after the WAIT was queued");
    let done = Event::TaskUpdated {
        task_id: task_id.clone(),
        status: baton_core::TaskResultStatus::Completed,
        output: json!({"v": 1}),
        reason: None,
        callback_after_ms: None,
        worker_id: None,
        by: Principal::worker("w1"),
    };
    assert_eq!(
        h.send(&id, done.clone()).await.expect("send"),
        Outcome::Applied
    );
    assert!(
        matches!(h.send(&id, done).await.expect("send"), Outcome::Ignored(_)),
        "a duplicate result changes nothing"
    );
    let w = wait_end(&h, &id).await;
    assert_eq!(w.meta.status, WorkflowStatus::Completed);
    let rejected = h
        .send(
            &id,
            Event::Paused {
                by: Principal::system(),
            },
        )
        .await
        .expect("send");
    assert!(matches!(rejected, Outcome::Rejected(_)));
    eng.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_starts_are_refused_clearly() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir.path().join("b.db"));
    let h = eng.handle();
    let err = h
        .start(StartWorkflow {
            name: "missing".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown");
    assert!(err.to_string().contains("missing"), "{err}");
    let mut def = load(CHAIN);
    def.inputs = vec![baton_model::InputParam {
        name: "n".into(),
        required: true,
        default: None,
    }];
    let err = h
        .start(StartWorkflow {
            definition: Some(def),
            ..Default::default()
        })
        .await
        .expect_err("input");
    assert!(err.to_string().contains("--input n="), "{err}");
    let err = h
        .start(StartWorkflow {
            definition: Some(load(
                r#"{"name":"x","tasks":[{"name":"a","taskReferenceName":"a","type":"JOIN"}]}"#,
            )),
            ..Default::default()
        })
        .await
        .expect_err("invalid");
    assert!(err.to_string().contains("not valid"), "{err}");
    let id1 = h
        .start(StartWorkflow {
            definition: Some(load(CHAIN)),
            idempotency_key: Some("k".into()),
            ..Default::default()
        })
        .await
        .expect("start");
    let id2 = h
        .start(StartWorkflow {
            definition: Some(load(CHAIN)),
            idempotency_key: Some("k".into()),
            ..Default::default()
        })
        .await
        .expect("start");
    assert_eq!(id1, id2, "same idempotency key, same workflow");
    eng.shutdown().await;
}

/// The engine carries out the decider's effects across workflows and nothing else: a
/// terminated parent stops its child, and neither leaves a queued task or a timer behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminating_a_parent_stops_its_child_and_leaves_nothing_queued_or_armed() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir.path().join("b.db"));
    let h = eng.handle();
    let child_def = load(
        r#"{"name": "kid", "timeoutSeconds": 3600, "timeoutPolicy": "TIME_OUT_WF", "tasks": [
        {"name": "wait", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "1h"}}
    ]}"#,
    );
    let parent = load(
        r#"{"name": "p", "timeoutSeconds": 3600, "timeoutPolicy": "TIME_OUT_WF", "tasks": [
        {"type": "FORK_JOIN", "name": "fork", "taskReferenceName": "fork", "forkTasks": [
            [{"name": "nobody_serves_this", "taskReferenceName": "a"}],
            [{"name": "kid", "taskReferenceName": "child", "type": "SUB_WORKFLOW",
              "subWorkflowParam": {"name": "kid"}}]
        ]},
        {"type": "JOIN", "name": "join", "taskReferenceName": "join", "joinOn": ["a", "child"]}
    ]}"#,
    );
    h.register_workflow_def(child_def).await.expect("child def");
    let id = h
        .start(StartWorkflow {
            definition: Some(parent),
            ..Default::default()
        })
        .await
        .expect("start");
    let reader = h.reader().expect("reader");
    let w = reader.workflow(&id).expect("read").expect("parent");
    let child_id = w
        .state
        .latest("child")
        .and_then(|t| t.control.child_id.clone())
        .expect("the child was started");
    let child = reader.workflow(&child_id).expect("read").expect("child");
    assert_eq!(child.meta.status, WorkflowStatus::Running);
    assert!(reader.next_timer_due().expect("timers").is_some());
    assert_eq!(
        reader.queue_sizes().expect("sizes"),
        vec![("nobody_serves_this".to_string(), 1)]
    );

    let outcome = h
        .send(
            &id,
            Event::Terminated {
                reason: "enough".into(),
                by: Principal::system(),
            },
        )
        .await
        .expect("send");
    assert_eq!(outcome, Outcome::Applied);
    let reader = h.reader().expect("reader");
    let w = reader.workflow(&id).expect("read").expect("parent");
    assert_eq!(w.meta.status, WorkflowStatus::Terminated);
    let child = reader.workflow(&child_id).expect("read").expect("child");
    assert_eq!(
        child.meta.status,
        WorkflowStatus::Terminated,
        "the child was stopped in the same transaction"
    );
    assert!(
        child
            .state
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("ended TERMINATED"),
        "{:?}",
        child.state.reason
    );
    assert_eq!(
        reader.next_timer_due().expect("timers"),
        None,
        "both workflows' timers are gone"
    );
    let left: Vec<(String, u64)> = reader
        .queue_sizes()
        .expect("sizes")
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(left, Vec::new(), "the canceled task left its queue");
    eng.shutdown().await;
}

/// Effects are carried out in the order the decider wrote them: a task queued and canceled
/// by the same decision (a TERMINATE in a parallel branch) leaves no row behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_queued_and_canceled_in_one_decision_leaves_no_queue_row() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir.path().join("b.db"));
    let h = eng.handle();
    let def = load(
        r#"{"name": "stop", "tasks": [
        {"type": "FORK_JOIN", "name": "fork", "taskReferenceName": "fork", "forkTasks": [
            [{"name": "nobody_serves_this", "taskReferenceName": "a"}],
            [{"name": "end", "taskReferenceName": "end", "type": "TERMINATE",
              "inputParameters": {"terminationStatus": "COMPLETED"}}]
        ]},
        {"type": "JOIN", "name": "join", "taskReferenceName": "join", "joinOn": ["a", "end"]}
    ]}"#,
    );
    let id = h
        .start(StartWorkflow {
            definition: Some(def),
            ..Default::default()
        })
        .await
        .expect("start");
    let reader = h.reader().expect("reader");
    let w = reader.workflow(&id).expect("read").expect("workflow");
    assert_eq!(w.meta.status, WorkflowStatus::Completed);
    assert_eq!(
        w.state.latest("a").map(|t| t.status),
        Some(TaskStatus::Canceled)
    );
    let left: Vec<(String, u64)> = reader
        .queue_sizes()
        .expect("sizes")
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(left, Vec::new());
    eng.shutdown().await;
}

/// A runner that panics: while it builds its future, or while the future runs.
struct Panicking {
    in_future: bool,
}

impl Runner for Panicking {
    fn run(&self, _req: TaskRequest, _cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        assert!(self.in_future, "boom while starting");
        Box::pin(async { panic!("boom while running") })
    }
}

/// A panicking runner fails its task with the panic's message; the task is not left
/// leased, and the dispatcher goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_runner_fails_its_task() {
    let dir = tempfile::tempdir().expect("tmp");
    let eng = engine(&dir.path().join("b.db"));
    let h = eng.handle();
    let mut runners = Runners::new();
    runners.insert("early", Arc::new(Panicking { in_future: false }));
    runners.insert("late", Arc::new(Panicking { in_future: true }));
    let cancel = CancellationToken::new();
    let dispatcher = tokio::spawn(serve(
        h.clone(),
        Arc::new(runners),
        vec!["early".into(), "late".into()],
        DispatchConfig::default(),
        cancel.clone(),
    ));
    for (queue, message) in [
        ("early", "the runner panicked: boom while starting"),
        ("late", "the runner panicked: boom while running"),
        ("early", "the runner panicked: boom while starting"),
    ] {
        let def = load(&format!(
            r#"{{"name": "p_{queue}", "tasks": [
                {{"name": "{queue}", "taskReferenceName": "a", "retryCount": 0}}]}}"#
        ));
        let id = h
            .start(StartWorkflow {
                definition: Some(def),
                ..Default::default()
            })
            .await
            .expect("start");
        let w = wait_end(&h, &id).await;
        assert_eq!(w.meta.status, WorkflowStatus::Failed);
        let task = w.state.latest("a").expect("the task");
        assert_eq!(task.status, TaskStatus::Failed);
        assert_eq!(task.reason.as_deref(), Some(message));
    }
    cancel.cancel();
    dispatcher.await.expect("the dispatcher ends cleanly");
    eng.shutdown().await;
}
