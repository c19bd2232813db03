//! `/api/metadata`.

use crate::harness::{harness, simple_def};
use serde_json::json;

#[tokio::test]
async fn workflow_defs_register_read_list_delete() {
    let h = harness();
    h.post("/api/metadata/workflow", &simple_def("wf"))
        .await
        .assert_ok();
    let got = h.get("/api/metadata/workflow/wf").await;
    got.assert_ok();
    let v = got.json();
    assert_eq!(v["name"], "wf");
    assert_eq!(v["tasks"][0]["taskReferenceName"], "w");
    assert_eq!(
        h.get("/api/metadata/workflow/wf?version=1").await.json()["version"],
        1
    );
    let all = h.get("/api/metadata/workflow").await.json();
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    // PUT takes a list (register or replace).
    let list = format!("[{}, {}]", simple_def("a"), simple_def("b"));
    h.put("/api/metadata/workflow", &list).await.assert_ok();
    assert_eq!(
        h.get("/api/metadata/workflow")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    h.delete("/api/metadata/workflow/wf/1").await.assert_ok();
    h.get("/api/metadata/workflow/wf")
        .await
        .assert_error(404, "wf");
    h.shutdown().await;
}

#[tokio::test]
async fn workflow_def_errors() {
    let h = harness();
    // Not JSON: 400 with the position.
    let v = h
        .post(
            "/api/metadata/workflow",
            "{\n  \"name\": \"x\",\n  \"tasks\": [}\n",
        )
        .await
        .assert_error(400, "not valid JSON");
    assert_eq!(v["validationErrors"][0]["line"], 3, "{v}");
    // Empty body.
    h.post("/api/metadata/workflow", "")
        .await
        .assert_error(400, "empty");
    // A shape error: a task without a type, and a SWITCH case pointing nowhere.
    let bad =
        json!({"name": "bad", "tasks": [{"name": "t", "taskReferenceName": "t", "type": "NOPE"}]})
            .to_string();
    let v = h
        .post("/api/metadata/workflow", &bad)
        .await
        .assert_error(400, "not valid");
    let first = &v["validationErrors"][0];
    assert!(
        first["path"].as_str().unwrap_or("").contains("tasks[0]"),
        "{v}"
    );
    assert!(first["line"].is_number(), "{v}");
    // A model error (validation): duplicate refs.
    let dup = json!({"name": "dup", "tasks": [
        {"name": "a", "taskReferenceName": "same", "type": "SIMPLE"},
        {"name": "b", "taskReferenceName": "same", "type": "SIMPLE"}]})
    .to_string();
    let v = h
        .post("/api/metadata/workflow", &dup)
        .await
        .assert_error(400, "not valid");
    assert_eq!(v["validationErrors"][0]["code"], "BT0101", "{v}");
    // POST takes one object, PUT a list.
    h.post("/api/metadata/workflow", "[]")
        .await
        .assert_error(400, "use PUT");
    h.put("/api/metadata/workflow", &simple_def("x"))
        .await
        .assert_error(400, "list");
    let v = h
        .put(
            "/api/metadata/workflow",
            &format!("[{}, {bad}]", simple_def("ok")),
        )
        .await
        .assert_error(400, "not valid");
    assert!(
        v["validationErrors"][0]["path"]
            .as_str()
            .unwrap_or("")
            .starts_with("[1]"),
        "{v}"
    );
    assert_eq!(
        h.get("/api/metadata/workflow").await.json(),
        json!([]),
        "all or nothing"
    );
    // overwrite=false on an existing version.
    h.post("/api/metadata/workflow", &simple_def("wf"))
        .await
        .assert_ok();
    h.post("/api/metadata/workflow?overwrite=false", &simple_def("wf"))
        .await
        .assert_error(409, "already exists");
    h.post("/api/metadata/workflow?overwrite=maybe", &simple_def("wf"))
        .await
        .assert_error(400, "overwrite");
    // Unknown names and versions.
    h.get("/api/metadata/workflow/nope")
        .await
        .assert_error(404, "nope");
    h.get("/api/metadata/workflow/wf?version=7")
        .await
        .assert_error(404, "version 7");
    h.get("/api/metadata/workflow/wf?version=abc")
        .await
        .assert_error(400, "query");
    h.delete("/api/metadata/workflow/wf/9")
        .await
        .assert_error(404, "version 9");
    h.delete("/api/metadata/workflow/wf/x")
        .await
        .assert_error(400, "path");
    h.shutdown().await;
}

#[tokio::test]
async fn task_defs() {
    let h = harness();
    let defs = json!([{"name": "work", "retryCount": 1, "timeoutSeconds": 60, "responseTimeoutSeconds": 30, "ownerEmail": "t@example.com"}]);
    h.post("/api/metadata/taskdefs", &defs.to_string())
        .await
        .assert_ok();
    let one = h.get("/api/metadata/taskdefs/work").await.json();
    assert_eq!(one["retryCount"], 1);
    h.put(
        "/api/metadata/taskdefs",
        &json!({"name": "other"}).to_string(),
    )
    .await
    .assert_ok();
    let all = h.get("/api/metadata/taskdefs").await.json();
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    h.delete("/api/metadata/taskdefs/other").await.assert_ok();
    h.delete("/api/metadata/taskdefs/other")
        .await
        .assert_error(404, "other");
    h.get("/api/metadata/taskdefs/other")
        .await
        .assert_error(404, "other");
    // Bad input.
    h.post("/api/metadata/taskdefs", &json!({"name": "x"}).to_string())
        .await
        .assert_error(400, "list");
    h.put("/api/metadata/taskdefs", "[]")
        .await
        .assert_error(400, "one TaskDef");
    let v = h
        .post(
            "/api/metadata/taskdefs",
            &json!([{"name": "x", "retryCount": "many"}]).to_string(),
        )
        .await
        .assert_error(400, "not valid");
    assert!(
        v["validationErrors"][0]["path"]
            .as_str()
            .unwrap_or("")
            .contains("retryCount"),
        "{v}"
    );
    h.put("/api/metadata/taskdefs", "{")
        .await
        .assert_error(400, "JSON");
    h.shutdown().await;
}
