//! The `client` module against a served API.

use crate::harness::{harness, simple_def};
use baton_core::WorkflowStatus;
use baton_server::{Client, ListFilter};
use serde_json::{Value, json};

#[tokio::test]
async fn client_drives_a_served_api() {
    let h = harness();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(baton_server::serve(
        listener,
        h.handle.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    let c = Client::new(&format!("http://{addr}")).expect("client");

    let def = baton_model::load(&simple_def("wf"))
        .expect("definition")
        .def;
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
    c.pause(&id).await.expect("pause");
    c.resume(&id).await.expect("resume");
    c.skip_task(&id, "w").await.expect("skip");
    assert_eq!(
        c.workflow(&id, false).await.expect("workflow")["status"],
        "COMPLETED"
    );
    c.restart(&id).await.expect("restart");
    c.terminate(&id, "done").await.expect("terminate");
    assert_eq!(c.rerun(&id, None, None, None).await.expect("rerun"), id);
    let history = c.history(&id).await.expect("history");
    assert!(history.len() >= 6, "{history:?}");
    assert_eq!(history[0].event["event"], Value::from("workflow_started"));

    // Errors carry the server's status and message.
    let e = c
        .retry(&id)
        .await
        .expect_err("retry of a running workflow fails");
    assert_eq!(e.status(), Some(409), "{e}");
    let e = c
        .workflow("ghost", true)
        .await
        .expect_err("unknown workflow");
    assert_eq!(e.status(), Some(404));
    assert!(e.to_string().contains("ghost"), "{e}");
    let e = c.register_workflow_json(&json!({"name": "bad", "tasks": [{"name": "a", "type": "NOPE", "taskReferenceName": "a"}]})).await.err();
    let e = e.expect("invalid definition");
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("line"), "{e}");
    c.remove(&id).await.expect("remove");
    assert_eq!(
        c.remove(&id).await.err().and_then(|e| e.status()),
        Some(404)
    );
    let down = Client::new("http://127.0.0.1:1").expect("client");
    assert!(matches!(
        down.workflow("x", true).await,
        Err(baton_server::ClientError::Transport { .. })
    ));

    let _ = stop.send(());
    let _ = server.await;
    h.shutdown().await;
}
