//! `/api/workflow`.

use crate::harness::{harness, simple_def};
use serde_json::{Value, json};

#[tokio::test]
async fn start_by_name_and_read() {
    let h = harness();
    h.register_simple().await;
    let a = h
        .post(
            "/api/workflow/wf?version=1&correlationId=c-1&priority=5",
            r#"{"x": 7}"#,
        )
        .await;
    a.assert_ok();
    assert!(
        a.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain")
    );
    let id = a.text.clone();
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["workflowId"], id.as_str());
    assert_eq!(w["workflowName"], "wf");
    assert_eq!(w["workflowVersion"], 1);
    assert_eq!(w["status"], "RUNNING");
    assert_eq!(w["correlationId"], "c-1");
    assert_eq!(w["input"]["x"], 7);
    assert_eq!(w["tasks"][0]["referenceTaskName"], "w");
    assert_eq!(w["tasks"][0]["taskType"], "work");
    assert_eq!(w["tasks"][0]["status"], "SCHEDULED");
    assert_eq!(w["tasks"][0]["inputData"]["x"], 7);
    assert_eq!(w["tasks"][0]["workflowInstanceId"], id.as_str());
    assert_eq!(w["workflowDefinition"]["name"], "wf");
    let w = h
        .get(&format!("/api/workflow/{id}?includeTasks=false"))
        .await
        .json();
    assert_eq!(w["tasks"], json!([]));
    // An empty body is an empty input.
    h.post("/api/workflow/wf", "").await.assert_ok();
    h.shutdown().await;
}

#[tokio::test]
async fn start_errors() {
    let h = harness();
    h.post("/api/workflow/nope", "{}")
        .await
        .assert_error(404, "nope");
    h.register_simple().await;
    h.post("/api/workflow/wf", "[1]")
        .await
        .assert_error(400, "JSON object");
    h.post("/api/workflow/wf", "{")
        .await
        .assert_error(400, "not a valid");
    h.post("/api/workflow/wf?priority=100", "{}")
        .await
        .assert_error(400, "priority");
    h.post("/api/workflow/wf?version=x", "{}")
        .await
        .assert_error(400, "query");
    h.post("/api/workflow/wf?version=3", "{}")
        .await
        .assert_error(404, "version 3");
    h.get("/api/workflow/unknown-id")
        .await
        .assert_error(404, "unknown-id");
    h.get("/api/workflow/unknown-id?includeTasks=perhaps")
        .await
        .assert_error(400, "includeTasks");
    h.shutdown().await;
}

#[tokio::test]
async fn start_workflow_request() {
    let h = harness();
    h.register_simple().await;
    let req = json!({"name": "wf", "version": 1, "input": {"x": 2}, "correlationId": "c"});
    let id = h.post("/api/workflow", &req.to_string()).await;
    id.assert_ok();
    assert_eq!(
        h.get(&format!("/api/workflow/{}", id.text)).await.json()["input"]["x"],
        2
    );
    // Inline definition.
    let inline: Value = serde_json::from_str(&simple_def("inline")).unwrap_or_default();
    let a = h
        .post(
            "/api/workflow",
            &json!({"workflowDef": inline, "input": {}}).to_string(),
        )
        .await;
    a.assert_ok();
    assert_eq!(
        h.get(&format!("/api/workflow/{}", a.text)).await.json()["workflowName"],
        "inline"
    );
    // Idempotency.
    let keyed = json!({"name": "wf", "idempotencyKey": "k1"}).to_string();
    let first = h.post("/api/workflow", &keyed).await.text;
    assert_eq!(h.post("/api/workflow", &keyed).await.text, first);
    let fail =
        json!({"name": "wf", "idempotencyKey": "k1", "idempotencyStrategy": "FAIL"}).to_string();
    h.post("/api/workflow", &fail).await.assert_error(409, "k1");
    let running =
        json!({"name": "wf", "idempotencyKey": "k1", "idempotencyStrategy": "FAIL_ON_RUNNING"})
            .to_string();
    h.post("/api/workflow", &running)
        .await
        .assert_error(409, "k1");
    // Once the first has ended, FAIL_ON_RUNNING starts anew; the key keeps naming the
    // first, and FAIL still refuses.
    h.delete(&format!("/api/workflow/{first}?reason=x"))
        .await
        .assert_ok();
    let again = h.post("/api/workflow", &running).await;
    again.assert_ok();
    assert_ne!(again.text, first);
    assert_eq!(h.post("/api/workflow", &keyed).await.text, first);
    h.post("/api/workflow", &fail)
        .await
        .assert_error(409, "strategy FAIL");
    h.shutdown().await;
}

#[tokio::test]
async fn start_workflow_request_errors() {
    let h = harness();
    h.post("/api/workflow", "{}")
        .await
        .assert_error(400, "`name` is required");
    h.post("/api/workflow", r#"{"name": 5}"#)
        .await
        .assert_error(400, "StartWorkflowRequest");
    h.post(
        "/api/workflow",
        r#"{"name": "wf", "taskToDomain": {"a": "b"}}"#,
    )
    .await
    .assert_error(400, "taskToDomain");
    h.post(
        "/api/workflow",
        r#"{"name": "wf", "idempotencyKey": "k", "idempotencyStrategy": "MAYBE"}"#,
    )
    .await
    .assert_error(400, "MAYBE");
    h.post("/api/workflow", r#"{"name": "wf", "priority": -1}"#)
        .await
        .assert_error(400, "priority");
    let v = h
        .post(
            "/api/workflow",
            r#"{"workflowDef": {"name": "x", "tasks": [{"name": "a", "type": "SIMPLE"}]}}"#,
        )
        .await
        .assert_error(400, "workflowDef");
    assert!(
        !v["validationErrors"]
            .as_array()
            .map(Vec::is_empty)
            .unwrap_or(true),
        "{v}"
    );
    h.post("/api/workflow", r#"{"name": "nope"}"#)
        .await
        .assert_error(404, "nope");
    h.shutdown().await;
}

#[tokio::test]
async fn running_and_search() {
    let h = harness();
    h.register_simple().await;
    h.post("/api/metadata/workflow", &simple_def("other"))
        .await
        .assert_ok();
    let a = h.start_simple().await;
    let b = h.post("/api/workflow/wf?correlationId=cc", "{}").await.text;
    let _o = h.post("/api/workflow/other", "{}").await.text;
    let ids = h.get("/api/workflow/running/wf").await.json();
    assert_eq!(ids.as_array().map(Vec::len), Some(2), "{ids}");
    assert_eq!(
        h.get("/api/workflow/running/wf?version=2").await.json(),
        json!([])
    );
    let r = h
        .get("/api/workflow/search?query=workflowType%20%3D%20wf")
        .await
        .json();
    assert_eq!(r["totalHits"], 2, "{r}");
    assert_eq!(r["results"][0]["workflowId"], b.as_str(), "newest first");
    assert_eq!(r["results"][0]["workflowType"], "wf");
    assert!(
        r["results"][0]["startTime"]
            .as_str()
            .unwrap_or("")
            .ends_with('Z')
    );
    let r = h
        .get("/api/workflow/search?query=workflowType%3Dwf&sort=startTime:ASC&size=1")
        .await
        .json();
    assert_eq!(r["totalHits"], 2);
    assert_eq!(r["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["results"][0]["workflowId"], a.as_str());
    let r = h.get("/api/workflow/search?query=correlationId%3D%22cc%22%20AND%20status%20IN%20(RUNNING,PAUSED)").await.json();
    assert_eq!(r["totalHits"], 1, "{r}");
    let r = h
        .get("/api/workflow/search?freeText=*&query=status%3DCOMPLETED")
        .await
        .json();
    assert_eq!(r["totalHits"], 0);
    assert_eq!(h.get("/api/workflow/search").await.json()["totalHits"], 3);
    // Unsupported syntax says what is supported.
    h.get("/api/workflow/search?query=startTime%3E5")
        .await
        .assert_error(400, "supported");
    h.get("/api/workflow/search?query=status%3DDONE")
        .await
        .assert_error(400, "DONE");
    h.get("/api/workflow/search?freeText=hello")
        .await
        .assert_error(400, "freeText");
    h.get("/api/workflow/search?sort=name:ASC")
        .await
        .assert_error(400, "sort");
    h.get("/api/workflow/search?size=5000")
        .await
        .assert_error(400, "size");
    h.get("/api/workflow/search?start=-1")
        .await
        .assert_error(400, "query");
    h.shutdown().await;
}

#[tokio::test]
async fn operator_controls() {
    let h = harness();
    h.register_simple().await;
    let id = h.start_simple().await;
    h.put(&format!("/api/workflow/{id}/pause"), "")
        .await
        .assert_ok();
    assert_eq!(
        h.get(&format!("/api/workflow/{id}")).await.json()["status"],
        "PAUSED"
    );
    h.put(&format!("/api/workflow/{id}/resume"), "")
        .await
        .assert_ok();
    assert_eq!(
        h.get(&format!("/api/workflow/{id}")).await.json()["status"],
        "RUNNING"
    );
    h.post(&format!("/api/workflow/{id}/retry"), "")
        .await
        .assert_error(409, "");
    h.post(&format!("/api/workflow/{id}/restart"), "")
        .await
        .assert_error(409, "");
    h.call(
        axum::http::Method::DELETE,
        &format!("/api/workflow/{id}?reason=enough"),
        None,
    )
    .await
    .assert_ok();
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["status"], "TERMINATED");
    assert!(
        w["reasonForIncompletion"]
            .as_str()
            .unwrap_or("")
            .contains("enough"),
        "{w}"
    );
    h.delete(&format!("/api/workflow/{id}?reason=again"))
        .await
        .assert_error(409, "");
    h.post(
        &format!("/api/workflow/{id}/restart?useLatestDefinitions=true"),
        "",
    )
    .await
    .assert_error(400, "useLatestDefinitions");
    h.post(&format!("/api/workflow/{id}/restart"), "")
        .await
        .assert_ok();
    assert_eq!(
        h.get(&format!("/api/workflow/{id}")).await.json()["status"],
        "RUNNING"
    );
    h.delete(&format!("/api/workflow/{id}?triggerFailureWorkflow=true"))
        .await
        .assert_error(400, "triggerFailureWorkflow");
    h.delete(&format!("/api/workflow/{id}/remove"))
        .await
        .assert_ok();
    h.get(&format!("/api/workflow/{id}"))
        .await
        .assert_error(404, "");
    h.delete(&format!("/api/workflow/{id}/remove"))
        .await
        .assert_error(404, "");
    for (m, path) in [
        ("PUT", "pause"),
        ("PUT", "resume"),
        ("POST", "restart"),
        ("POST", "retry"),
    ] {
        let uri = format!("/api/workflow/ghost/{path}");
        let a = if m == "PUT" {
            h.put(&uri, "").await
        } else {
            h.post(&uri, "").await
        };
        a.assert_error(404, "ghost");
    }
    h.delete("/api/workflow/ghost")
        .await
        .assert_error(404, "ghost");
    h.shutdown().await;
}

#[tokio::test]
async fn skip_task() {
    let h = harness();
    h.register_simple().await;
    let id = h.start_simple().await;
    h.put(
        &format!("/api/workflow/{id}/skiptask/w"),
        r#"{"taskOutput": {"y": 1}}"#,
    )
    .await
    .assert_error(400, "taskOutput");
    h.put(&format!("/api/workflow/{id}/skiptask/w"), "")
        .await
        .assert_ok();
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["tasks"][0]["status"], "SKIPPED", "{w}");
    assert_eq!(w["status"], "COMPLETED");
    h.put(&format!("/api/workflow/{id}/skiptask/nope"), "")
        .await
        .assert_error(409, "");
    h.put("/api/workflow/ghost/skiptask/w", "")
        .await
        .assert_error(404, "ghost");
    h.shutdown().await;
}

#[tokio::test]
async fn rerun() {
    let h = harness();
    h.register_simple().await;
    let id = h.start_simple().await;
    // Running workflows cannot be rerun.
    h.post(&format!("/api/workflow/{id}/rerun"), "{}")
        .await
        .assert_error(409, "");
    h.delete(&format!("/api/workflow/{id}?reason=stop"))
        .await
        .assert_ok();
    let a = h
        .post(
            &format!("/api/workflow/{id}/rerun"),
            &json!({"reRunFromWorkflowId": id, "workflowInput": {"x": 9}}).to_string(),
        )
        .await;
    a.assert_ok();
    assert_eq!(a.text, id);
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["status"], "RUNNING", "{w}");
    assert_eq!(w["input"]["x"], 9, "{w}");
    // Bad requests.
    h.post(
        &format!("/api/workflow/{id}/rerun"),
        r#"{"reRunFromWorkflowId": "other"}"#,
    )
    .await
    .assert_error(400, "differs");
    h.post(
        &format!("/api/workflow/{id}/rerun"),
        r#"{"correlationId": "c"}"#,
    )
    .await
    .assert_error(400, "correlationId");
    h.post(&format!("/api/workflow/{id}/rerun"), r#"{"taskInput": 5}"#)
        .await
        .assert_error(400, "taskInput");
    h.post(&format!("/api/workflow/{id}/rerun"), "[")
        .await
        .assert_error(400, "RerunWorkflowRequest");
    h.post("/api/workflow/ghost/rerun", "{}")
        .await
        .assert_error(404, "ghost");
    h.shutdown().await;
}
