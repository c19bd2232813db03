//! `GET /api/v1/workflows/{id}/workset`.

use crate::harness::{harness, simple_def};
use serde_json::json;

#[tokio::test]
async fn a_run_shows_as_a_workset_with_progress() {
    let h = harness();
    h.post("/api/metadata/workflow", &simple_def("wf"))
        .await
        .assert_ok();
    let id = h.start_simple().await;
    let ws = h
        .get(&format!("/api/v1/workflows/{id}/workset"))
        .await
        .json();
    assert_eq!(ws["id"], json!(format!("ws-{id}")));
    assert_eq!(ws["status"], "in_progress", "{ws}");
    assert_eq!(ws["owner"], "api (L0)", "{ws}");
    assert_eq!(ws["workflow"]["progress"], 0, "{ws}");
    assert_eq!(ws["workflow"]["current_tasks"], json!(["w"]), "{ws}");
    let t = h.poll_work().await;
    let done = json!({"taskId": t["taskId"], "status": "COMPLETED", "workerId": "w1", "outputData": {"y": 1}});
    h.post("/api/tasks", &done.to_string()).await.assert_ok();
    let ws = h
        .get(&format!("/api/v1/workflows/{id}/workset"))
        .await
        .json();
    assert_eq!(ws["status"], "completed", "{ws}");
    assert_eq!(ws["workflow"]["progress"], 100, "{ws}");
    assert_eq!(ws["tasks"][0]["status"], "COMPLETED", "{ws}");
    h.get("/api/v1/workflows/nope/workset")
        .await
        .assert_error(404, "nope");
    h.shutdown().await;
}
