//! What the tests of both implementations share: an engine over a real SQLite file,
//! definitions, and one scenario every `Control` must pass the same way.

#![allow(dead_code)]

use baton_control::{
    CommandOutcome, Control, ListFilter, Operation, OperatorCommand, StartRequest,
};
use baton_core::{Event, Principal, TaskStatus, WorkflowStatus};
use baton_model::Role;
use baton_runtime::{Engine, EngineConfig, EngineHandle, SystemClock};
use baton_store::sqlite::{Durability, SqliteStore};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

/// An engine over a SQLite file in a temporary folder.
pub struct Fixture {
    engine: Engine,
    dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            SqliteStore::open(dir.path().join("baton.db"), Durability::Normal).expect("store");
        let engine =
            Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine");
        Fixture { engine, dir }
    }

    pub fn handle(&self) -> EngineHandle {
        self.engine.handle()
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("baton.db")
    }

    pub async fn shutdown(self) {
        self.engine.shutdown().await;
    }
}

/// The operator these tests act as.
pub fn me() -> Principal {
    Principal::new("ada", Role::L0)
}

/// One WAIT task (`w`): the workflow runs until someone skips it.
pub fn wait_def(name: &str) -> String {
    json!({
        "name": name, "version": 1,
        "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"x": "${workflow.input.x}"}}],
        "outputParameters": {"x": "${workflow.input.x}"}
    })
    .to_string()
}

/// A HUMAN task that role L1 (or more) may decide.
pub fn human_def(name: &str) -> String {
    json!({
        "name": name, "version": 1,
        "tasks": [{"name": "ok", "taskReferenceName": "approve", "type": "HUMAN",
                   "inputParameters": {"amount": "${workflow.input.amount}"},
                   "baton": {"role": "L1"}}]
    })
    .to_string()
}

/// The scenario every implementation must pass: register, start, read, operate, list,
/// history, remove.
pub async fn drive(c: &dyn Control) {
    let def = baton_model::load(&wait_def("wf")).expect("def").def;
    c.register_workflow_def(&def).await.expect("register");
    let id = c
        .start(StartRequest {
            name: "wf".into(),
            version: Some(1),
            input: json!({"x": 3}),
            correlation_id: Some("corr".into()),
            ..Default::default()
        })
        .await
        .expect("start");
    let w = c.workflow(&id).await.expect("workflow");
    assert_eq!(
        (w.id.as_str(), w.name.as_str(), w.version),
        (id.as_str(), "wf", 1)
    );
    assert_eq!(w.status, WorkflowStatus::Running);
    assert_eq!(w.correlation_id.as_deref(), Some("corr"));
    assert_eq!(w.input, json!({"x": 3}));
    assert!(w.created_at > 0 && w.ended_at.is_none());
    assert_eq!(w.tasks.len(), 1);
    let t = &w.tasks[0];
    assert_eq!((t.ref_name.as_str(), t.task_type.as_str()), ("w", "WAIT"));
    assert_eq!((t.status, t.attempt), (TaskStatus::InProgress, 0));
    assert_eq!(t.input["x"], 3);

    let running = c
        .list(&ListFilter {
            name: Some("wf".into()),
            statuses: vec![WorkflowStatus::Running],
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].id, id);
    assert_eq!(running[0].correlation_id.as_deref(), Some("corr"));
    assert!(running[0].created_at > 0, "{:?}", running[0]);
    let none = c
        .list(&ListFilter {
            statuses: vec![WorkflowStatus::Failed],
            ..Default::default()
        })
        .await
        .expect("list");
    assert!(none.is_empty());

    let op = |operation| OperatorCommand::new(&id, operation, me());
    let applied = Ok(CommandOutcome::Applied);
    assert_eq!(c.operate(op(Operation::Pause)).await, applied);
    assert_eq!(
        c.workflow(&id).await.expect("workflow").status,
        WorkflowStatus::Paused
    );
    assert_eq!(c.operate(op(Operation::Resume)).await, applied);
    let skip = Operation::SkipTask {
        ref_name: "w".into(),
    };
    assert_eq!(c.operate(op(skip)).await, applied);
    let w = c.workflow(&id).await.expect("workflow");
    assert_eq!(w.status, WorkflowStatus::Completed);
    assert_eq!(w.output, json!({"x": 3}));
    assert!(w.ended_at.is_some());
    assert_eq!(w.tasks[0].status, TaskStatus::Skipped);
    assert_eq!(c.operate(op(Operation::Restart)).await, applied);
    let reason = Operation::Terminate {
        reason: "enough".into(),
    };
    assert_eq!(c.operate(op(reason)).await, applied);
    let w = c.workflow(&id).await.expect("workflow");
    assert_eq!(w.status, WorkflowStatus::Terminated);
    assert!(
        w.reason.as_deref().is_some_and(|r| r.contains("enough")),
        "{w:?}"
    );
    let rerun = Operation::Rerun {
        from_task_id: None,
        workflow_input: Some(json!({"x": 4})),
        task_input: None,
    };
    assert_eq!(c.operate(op(rerun)).await, applied);
    assert_eq!(
        c.workflow(&id).await.expect("workflow").input,
        json!({"x": 4})
    );

    let history = c.history(&id).await.expect("history");
    assert!(history.len() >= 7, "{history:?}");
    assert!(history.windows(2).all(|p| p[0].seq < p[1].seq));
    let events: Vec<&str> = history
        .iter()
        .filter_map(|h| match &h.event {
            baton_control::HistoryEvent::Known(e) => Some(event_name(e)),
            baton_control::HistoryEvent::Unknown(_) => None,
        })
        .collect();
    assert_eq!(
        events[..7],
        [
            "started",
            "paused",
            "resumed",
            "skipped",
            "restarted",
            "terminated",
            "rerun"
        ]
    );
    assert_eq!(c.operate(op(Operation::Remove)).await, applied);
    assert_eq!(
        c.workflow(&id).await.expect_err("removed").kind(),
        baton_control::ErrorKind::NotFound
    );
}

fn event_name(e: &Event) -> &'static str {
    match e {
        Event::WorkflowStarted { .. } => "started",
        Event::Paused { .. } => "paused",
        Event::Resumed { .. } => "resumed",
        Event::TaskSkipped { .. } => "skipped",
        Event::Restarted { .. } => "restarted",
        Event::Terminated { .. } => "terminated",
        Event::Rerun { .. } => "rerun",
        _ => "other",
    }
}

/// A waiting HUMAN task shows as an approval with its input and the role that may
/// decide; an ended workflow has none.
pub async fn approvals(c: &dyn Control) {
    let def = baton_model::load(&human_def("pay")).expect("def").def;
    c.register_workflow_def(&def).await.expect("register");
    let wait = baton_model::load(&wait_def("other")).expect("def").def;
    c.register_workflow_def(&wait).await.expect("register");
    let start = |name: &str, input| StartRequest {
        name: name.into(),
        input,
        ..Default::default()
    };
    let id = c
        .start(start("pay", json!({"amount": 12})))
        .await
        .expect("start");
    c.start(start("other", json!({}))).await.expect("start");
    let waiting = c.approvals(None).await.expect("approvals");
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    let a = &waiting[0];
    assert_eq!(
        (a.workflow_id.as_str(), a.workflow_name.as_str()),
        (id.as_str(), "pay")
    );
    assert_eq!(a.ref_name, "approve");
    assert_eq!(a.input["amount"], 12);
    assert_eq!(a.decided_by, Role::L1);
    assert!(a.since > 0);
    assert_eq!(c.approvals(Some(&id)).await.expect("approvals"), waiting);
    c.operate(OperatorCommand::new(
        &id,
        Operation::Terminate {
            reason: "no".into(),
        },
        me(),
    ))
    .await
    .expect("terminate");
    assert!(c.approvals(None).await.expect("approvals").is_empty());
    assert_eq!(
        c.approvals(Some("ghost"))
            .await
            .expect_err("unknown")
            .kind(),
        baton_control::ErrorKind::NotFound
    );
}
