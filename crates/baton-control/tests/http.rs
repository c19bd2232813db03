//! `HttpControl` (and its raw `Client`) against a real `baton-server` on a random port.

mod common;

use baton_control::http::Client;
use baton_control::{
    Control, ErrorKind, HistoryEvent, HttpControl, ListFilter, Operation, OperatorCommand,
    StartRequest,
};
use baton_core::{Event, Principal, WorkflowStatus};
use common::Fixture;
use serde_json::json;

struct Served {
    fixture: Fixture,
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), baton_server::ServerError>>,
}

async fn served() -> Served {
    let fixture = Fixture::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(baton_server::serve(
        listener,
        fixture.handle(),
        async move {
            let _ = stopped.await;
        },
    ));
    Served {
        fixture,
        url: format!("http://{addr}"),
        stop,
        server,
    }
}

impl Served {
    async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
        self.fixture.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_typed_api_over_a_served_engine() {
    let s = served().await;
    let c = HttpControl::new(&s.url).expect("control");
    let c: &dyn Control = &c;
    common::drive(c).await;
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn approvals_show_who_may_decide() {
    let s = served().await;
    let c = HttpControl::new(&s.url).expect("control");
    common::approvals(&c).await;
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_keep_their_status_and_kind() {
    let s = served().await;
    let c = HttpControl::new(&s.url).expect("control");
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
    let e = c
        .operate(OperatorCommand::new(&id, Operation::Retry, common::me()))
        .await
        .expect_err("a running workflow cannot be retried");
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Conflict, Some(409)),
        "{e}"
    );
    assert!(
        e.to_string().starts_with("the server answered 409: "),
        "{e}"
    );
    let e = c.workflow("ghost").await.expect_err("unknown");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("ghost"), "{e}");
    let e = c.history("ghost").await.expect_err("unknown");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = c
        .start(StartRequest {
            name: "nope".into(),
            ..Default::default()
        })
        .await
        .expect_err("no such definition");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // A definition the server refuses: its field-level problems come along.
    let e = c
        .client()
        .register_workflow_json(&json!({"name": "bad", "tasks": [{"name": "a", "type": "NOPE", "taskReferenceName": "a"}]}))
        .await
        .expect_err("invalid definition");
    assert_eq!((e.kind(), e.status()), (ErrorKind::InvalidInput, Some(400)));
    assert!(e.to_string().contains("line"), "{e}");
    c.operate(OperatorCommand::new(&id, Operation::Remove, common::me()))
        .await
        .expect("remove");
    let e = c
        .operate(OperatorCommand::new(&id, Operation::Remove, common::me()))
        .await
        .expect_err("removed twice");
    assert_eq!(e.kind(), ErrorKind::NotFound);

    let down = HttpControl::new("http://127.0.0.1:1").expect("control");
    let e = down.workflow("x").await.expect_err("nobody listens");
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(e.is_retryable());
    let e = HttpControl::new("ftp://x").expect_err("not http");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_raw_client_answers_conductor_json() {
    let s = served().await;
    let c = Client::new(&s.url).expect("client");
    let def = baton_model::load(&common::wait_def("wf")).expect("def").def;
    c.register_workflow_def(&def).await.expect("register");
    let id = c
        .start("wf", Some(1), json!({"x": 3}), Some("corr"))
        .await
        .expect("start");
    let w = c.workflow(&id, true).await.expect("workflow");
    assert_eq!(w["status"], "RUNNING");
    assert_eq!(w["tasks"][0]["inputData"]["x"], 3);
    let list = c
        .list(&ListFilter {
            name: Some("wf".into()),
            statuses: vec![WorkflowStatus::Running],
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].correlation_id.as_deref(), Some("corr"));
    c.skip_task(&id, "w").await.expect("skip");
    assert_eq!(
        c.workflow(&id, false).await.expect("workflow")["status"],
        "COMPLETED"
    );
    let history = c.history(&id).await.expect("history");
    assert!(matches!(
        history[0].event,
        HistoryEvent::Known(Event::WorkflowStarted { .. })
    ));
    s.shutdown().await;
}

/// A history event this build does not know is kept as JSON, not refused.
#[test]
fn unknown_history_events_are_kept() {
    let item: baton_control::HistoryItem = serde_json::from_value(
        json!({"seq": 3, "at": 5, "event": {"event": "from_the_future", "x": 1}}),
    )
    .expect("item");
    assert_eq!(
        item.event,
        HistoryEvent::Unknown(json!({"event": "from_the_future", "x": 1}))
    );
    let known: baton_control::HistoryItem = serde_json::from_value(json!({
        "seq": 0, "at": 1,
        "event": serde_json::to_value(Event::Paused { by: Principal::system() }).expect("json")
    }))
    .expect("item");
    assert!(matches!(
        known.event,
        HistoryEvent::Known(Event::Paused { .. })
    ));
}
