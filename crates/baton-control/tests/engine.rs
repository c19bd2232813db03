//! `EngineControl` in process, through a real SQLite store.

mod common;

use baton_control::{
    CommandOutcome, Control, EngineControl, ErrorKind, HistoryEvent, ListFilter, Operation,
    OperatorCommand, StartRequest,
};
use baton_core::Event;
use common::{Fixture, me};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn the_typed_api_over_an_engine() {
    let f = Fixture::new();
    let c = EngineControl::new(f.handle());
    let boxed: Box<dyn Control> = Box::new(c);
    common::drive(boxed.as_ref()).await;
    f.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn approvals_show_who_may_decide() {
    let f = Fixture::new();
    common::approvals(&EngineControl::new(f.handle())).await;
    f.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_actor_is_recorded_and_refusals_keep_their_kind() {
    let f = Fixture::new();
    let c = EngineControl::new(f.handle());
    let def = baton_model::load(&common::wait_def("wf")).expect("def").def;
    c.register_workflow_def(&def).await.expect("register");
    let id = c
        .start(StartRequest {
            name: "wf".into(),
            input: json!({}),
            ..Default::default()
        })
        .await
        .expect("start");
    c.operate(OperatorCommand::new(&id, Operation::Pause, me()))
        .await
        .expect("pause");
    let history = c.history(&id).await.expect("history");
    let by = history.iter().find_map(|h| match &h.event {
        HistoryEvent::Known(Event::Paused { by }) => Some(by.clone()),
        _ => None,
    });
    assert_eq!(by, Some(me()), "the history names who paused");

    // Refused: wrong status, a task with nothing to skip, too little authority, no such workflow.
    let op = |operation| OperatorCommand::new(&id, operation, me());
    let e = c
        .operate(op(Operation::Retry))
        .await
        .expect_err("not failed");
    assert_eq!((e.kind(), e.status()), (ErrorKind::Conflict, None));
    let e = c
        .operate(op(Operation::SkipTask {
            ref_name: "nope".into(),
        }))
        .await
        .expect_err("no such task");
    // The decider calls a ref with no live attempt a wrong status.
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    let worker = OperatorCommand::new(&id, Operation::Resume, baton_core::Principal::worker("w1"));
    let e = c
        .operate(worker)
        .await
        .expect_err("a worker is no operator");
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    let e = c
        .operate(OperatorCommand::new("ghost", Operation::Pause, me()))
        .await
        .expect_err("no such workflow");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = c
        .operate(OperatorCommand::new("ghost", Operation::Remove, me()))
        .await
        .expect_err("nothing to remove");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = c
        .start(StartRequest {
            name: "nope".into(),
            ..Default::default()
        })
        .await
        .expect_err("no such definition");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // Pausing a paused workflow is refused or ignored, never an error of another kind.
    match c.operate(op(Operation::Pause)).await {
        Ok(CommandOutcome::Ignored { reason }) => assert!(!reason.is_empty()),
        Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{e}"),
        Ok(CommandOutcome::Applied) => panic!("paused twice"),
    }
    f.shutdown().await;
}

/// A read-only view of the database file (as the CLI has while another process runs it)
/// reads everything and refuses commands as unavailable.
#[tokio::test(flavor = "multi_thread")]
async fn read_only_over_the_database_file() {
    let f = Fixture::new();
    let live = EngineControl::new(f.handle());
    let def = baton_model::load(&common::wait_def("wf")).expect("def").def;
    live.register_workflow_def(&def).await.expect("register");
    let id = live
        .start(StartRequest {
            name: "wf".into(),
            input: json!({"x": 1}),
            ..Default::default()
        })
        .await
        .expect("start");
    let db = f.db();
    let ro = EngineControl::read_only(move || {
        let r = baton_store::sqlite::SqliteReader::open(&db)?;
        Ok(Box::new(baton_runtime::CaughtUpReader::new(Box::new(r)))
            as Box<dyn baton_store::Reader>)
    });
    assert_eq!(ro.workflow(&id).await.expect("workflow").input["x"], 1);
    assert_eq!(
        ro.list(&ListFilter::default()).await.expect("list").len(),
        1
    );
    assert!(!ro.history(&id).await.expect("history").is_empty());
    let e = ro
        .operate(OperatorCommand::new(&id, Operation::Pause, me()))
        .await
        .expect_err("read-only");
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    let e = ro.register_workflow_def(&def).await.expect_err("read-only");
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    f.shutdown().await;
}
