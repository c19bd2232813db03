//! People in the loop over HTTP: approvals, gates, debug steps, input edits, cancel.

use crate::harness::harness;
use serde_json::{Value, json};

fn def(name: &str, tasks: Value, baton: Value) -> String {
    json!({"name": name, "version": 1, "schemaVersion": 2, "tasks": tasks, "baton": baton})
        .to_string()
}

fn human(r: &str) -> Value {
    json!({"name": r, "taskReferenceName": r, "type": "HUMAN", "inputParameters": {"why": "${workflow.input.why}"}})
}

fn simple(r: &str) -> Value {
    json!({"name": "work", "taskReferenceName": r, "type": "SIMPLE"})
}

async fn start(h: &crate::harness::Harness, body: Value) -> String {
    let a = h.post("/api/workflow", &body.to_string()).await;
    a.assert_ok();
    a.text.trim().to_string()
}

#[tokio::test]
async fn a_human_task_is_listed_approved_with_output_and_recorded() {
    let h = harness();
    h.post(
        "/api/metadata/workflow",
        &def("ask", json!([human("ok"), simple("after")]), json!({})),
    )
    .await
    .assert_ok();
    let id = start(&h, json!({"name": "ask", "input": {"why": "deploy"}})).await;
    let list = h.get("/api/v1/approvals").await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["workflow_id"], json!(id));
    assert_eq!(list[0]["ref_name"], "ok");
    assert_eq!(list[0]["input"], json!({"why": "deploy"}));
    assert_eq!(list[0]["decided_by"], "L0");
    assert_eq!(list[0]["kind"], "human");
    let only = h
        .get(&format!("/api/v1/approvals?workflowId={id}"))
        .await
        .json();
    assert_eq!(only, list);

    let url = format!("/api/v1/workflows/{id}/approvals/ok");
    h.post(&url, r#"{"decision": "maybe"}"#)
        .await
        .assert_error(400, "approve");
    h.post(&url, r#"{"decision": "approve", "output": [1]}"#)
        .await
        .assert_error(400, "object");
    h.post(
        &format!("/api/v1/workflows/{id}/approvals/nope"),
        r#"{"decision": "approve"}"#,
    )
    .await
    .assert_error(404, "nope");
    h.post(
        &url,
        &json!({"decision": "approve", "comment": "looks fine", "output": {"ticket": "T-1"}})
            .to_string(),
    )
    .await
    .assert_ok();
    // Twice is refused: the first decision counted.
    h.post(&url, r#"{"decision": "reject"}"#)
        .await
        .assert_error(409, "COMPLETED");
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    let out = &w["tasks"][0]["outputData"];
    assert_eq!(out["ticket"], "T-1", "{w}");
    assert_eq!(out["approved"], true, "{w}");
    assert_eq!(out["comment"], "looks fine", "{w}");
    assert_eq!(out["role"], "L0", "{w}");
    assert_eq!(w["tasks"][1]["referenceTaskName"], "after", "{w}");
    let history = h
        .get(&format!("/api/v1/workflows/{id}/history"))
        .await
        .json();
    let decision = history
        .as_array()
        .and_then(|h| h.iter().find(|e| e["event"]["event"] == "human_decision"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(decision["event"]["comment"], "looks fine", "{history}");
    assert_eq!(decision["event"]["by"]["role"], "L0", "{history}");
    assert!(
        h.get("/api/v1/approvals")
            .await
            .json()
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    h.shutdown().await;
}

#[tokio::test]
async fn a_rejection_fails_the_run_and_a_cancel_does_too() {
    let h = harness();
    h.post(
        "/api/metadata/workflow",
        &def("ask", json!([human("ok")]), json!({})),
    )
    .await
    .assert_ok();
    let id = start(&h, json!({"name": "ask"})).await;
    h.post(
        &format!("/api/v1/workflows/{id}/approvals/ok"),
        r#"{"decision": "reject", "comment": "too risky"}"#,
    )
    .await
    .assert_ok();
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["status"], "FAILED", "{w}");
    assert!(
        w["reasonForIncompletion"]
            .as_str()
            .unwrap_or("")
            .contains("too risky"),
        "{w}"
    );

    let id = start(&h, json!({"name": "ask"})).await;
    h.post(
        &format!("/api/v1/workflows/{id}/tasks/ok/cancel"),
        r#"{"reason": "obsolete"}"#,
    )
    .await
    .assert_ok();
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["tasks"][0]["status"], "CANCELED", "{w}");
    assert_eq!(w["status"], "FAILED", "{w}");
    h.shutdown().await;
}

#[tokio::test]
async fn a_supervised_gate_holds_the_task_until_approved() {
    let h = harness();
    let mut gated = simple("b");
    gated["baton"] = json!({"gate": true});
    h.post(
        "/api/metadata/workflow",
        &def("gated", json!([gated]), json!({})),
    )
    .await
    .assert_ok();
    let id = start(&h, json!({"name": "gated", "mode": "supervised"})).await;
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["mode"], "supervised", "{w}");
    assert_eq!(w["tasks"][0]["hold"], "gate", "{w}");
    let empty = h.get("/api/tasks/poll/work?workerid=w1").await;
    assert_eq!(empty.status.as_u16(), 204, "{}", empty.text);
    let list = h.get("/api/v1/approvals").await.json();
    assert_eq!(list[0]["kind"], "gate", "{list}");
    h.post(
        &format!("/api/v1/workflows/{id}/approvals/b"),
        r#"{"decision": "approve"}"#,
    )
    .await
    .assert_ok();
    let t = h.poll_work().await;
    assert_eq!(t["referenceTaskName"], "b", "{t}");

    // The same definition started without a mode runs straight through.
    let id = start(&h, json!({"name": "gated"})).await;
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert!(w["tasks"][0].get("hold").is_none(), "{w}");
    h.shutdown().await;
}

#[tokio::test]
async fn a_debug_run_is_stepped_edited_and_continued() {
    let h = harness();
    let mut a = simple("a");
    a["inputParameters"] = json!({"n": "${workflow.input.n}"});
    h.post(
        "/api/metadata/workflow",
        &def("dbg", json!([a, simple("b"), simple("c")]), json!({})),
    )
    .await
    .assert_ok();
    let bad = h
        .post(
            "/api/workflow",
            &json!({"name": "dbg", "mode": "debug", "breakpoints": ["zz"]}).to_string(),
        )
        .await;
    bad.assert_error(400, "zz");
    let id = start(
        &h,
        json!({"name": "dbg", "mode": "debug", "input": {"n": 1}}),
    )
    .await;
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["tasks"][0]["hold"], "breakpoint", "{w}");
    // Not an approval, and not a gate to approve.
    assert!(
        h.get("/api/v1/approvals")
            .await
            .json()
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    h.put(&format!("/api/v1/workflows/{id}/tasks/a/input"), r#"[1]"#)
        .await
        .assert_error(400, "object");
    h.put(
        &format!("/api/v1/workflows/{id}/tasks/a/input"),
        r#"{"n": 7}"#,
    )
    .await
    .assert_ok();
    h.post(&format!("/api/v1/workflows/{id}/debug/step"), "")
        .await
        .assert_ok();
    let t = h.poll_work().await;
    assert_eq!(t["referenceTaskName"], "a", "{t}");
    assert_eq!(t["inputData"]["n"], 7, "{t}");
    let done = json!({"taskId": t["taskId"], "status": "COMPLETED", "workerId": "w1"});
    h.post("/api/tasks", &done.to_string()).await.assert_ok();
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["tasks"][1]["hold"], "breakpoint", "{w}");
    h.post(&format!("/api/v1/workflows/{id}/debug/continue"), "")
        .await
        .assert_ok();
    for r in ["b", "c"] {
        let t = h.poll_work().await;
        assert_eq!(t["referenceTaskName"], r, "{t}");
        let done = json!({"taskId": t["taskId"], "status": "COMPLETED", "workerId": "w1"});
        h.post("/api/tasks", &done.to_string()).await.assert_ok();
    }
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["status"], "COMPLETED", "{w}");
    // A step of an ended run is a conflict.
    h.post(&format!("/api/v1/workflows/{id}/debug/step"), "")
        .await
        .assert_error(409, "COMPLETED");
    let history = h
        .get(&format!("/api/v1/workflows/{id}/history"))
        .await
        .json();
    let kinds: Vec<&str> = history
        .as_array()
        .map(|h| {
            h.iter()
                .filter_map(|e| e["event"]["event"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for k in ["task_input_edited", "debug_stepped", "debug_continued"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    h.shutdown().await;
}
