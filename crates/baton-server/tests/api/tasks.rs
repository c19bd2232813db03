//! `/api/tasks`.

use crate::harness::harness;
use serde_json::json;

#[tokio::test]
async fn poll_update_complete() {
    let h = harness();
    h.register_simple().await;
    let id = h.start_simple().await;
    let t = h.poll_work().await;
    assert_eq!(t["workflowInstanceId"], id.as_str());
    assert_eq!(t["taskType"], "work");
    assert_eq!(t["taskDefName"], "work");
    assert_eq!(t["referenceTaskName"], "w");
    assert_eq!(t["status"], "IN_PROGRESS");
    assert_eq!(t["workerId"], "w1");
    assert_eq!(t["inputData"]["x"], 1);
    assert_eq!(t["retryCount"], 0);
    let task_id = t["taskId"].as_str().unwrap_or_default().to_string();
    // Logs ride along with the result.
    let result = json!({"workflowInstanceId": id, "taskId": task_id, "status": "COMPLETED", "outputData": {"y": 42},
        "workerId": "w1", "logs": [{"log": "hello", "createdTime": 5}]});
    let a = h.post("/api/tasks", &result.to_string()).await;
    a.assert_ok();
    assert_eq!(a.text, task_id);
    assert!(
        a.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain")
    );
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["status"], "COMPLETED");
    assert_eq!(w["output"]["y"], 42);
    // A duplicate result for an ended task is ignored (200).
    h.post("/api/tasks", &result.to_string()).await.assert_ok();
    let t = h.get(&format!("/api/tasks/{task_id}")).await.json();
    assert_eq!(t["status"], "COMPLETED");
    assert_eq!(t["outputData"]["y"], 42);
    assert_eq!(t["workflowType"], "wf");
    let logs = h.get(&format!("/api/tasks/{task_id}/log")).await.json();
    assert_eq!(
        logs,
        json!([{"log": "hello", "taskId": task_id, "createdTime": 5}])
    );
    h.shutdown().await;
}

#[tokio::test]
async fn update_errors() {
    let h = harness();
    h.register_simple().await;
    let id = h.start_simple().await;
    h.post("/api/tasks", "{")
        .await
        .assert_error(400, "TaskResult");
    h.post("/api/tasks", r#"{"status": "COMPLETED"}"#)
        .await
        .assert_error(400, "taskId");
    h.post(
        "/api/tasks",
        &json!({"taskId": format!("{id}-t0"), "status": "DONE"}).to_string(),
    )
    .await
    .assert_error(400, "DONE");
    h.post(
        "/api/tasks",
        &json!({"taskId": format!("{id}-t0")}).to_string(),
    )
    .await
    .assert_error(400, "status");
    h.post(
        "/api/tasks",
        &json!({"taskId": "nodash", "status": "COMPLETED"}).to_string(),
    )
    .await
    .assert_error(400, "workflowInstanceId");
    h.post(
        "/api/tasks",
        &json!({"taskId": format!("{id}-t0"), "status": "COMPLETED", "outputData": [1]})
            .to_string(),
    )
    .await
    .assert_error(400, "outputData");
    h.post(
        "/api/tasks",
        &json!({"taskId": format!("{id}-t99"), "status": "COMPLETED"}).to_string(),
    )
    .await
    .assert_error(404, "t99");
    h.post(
        "/api/tasks",
        &json!({"taskId": "ghost-t0", "status": "COMPLETED"}).to_string(),
    )
    .await
    .assert_error(404, "ghost");
    h.post(
        "/api/tasks/update-v2",
        &json!({"taskId": "ghost-t0", "status": "COMPLETED"}).to_string(),
    )
    .await
    .assert_error(404, "ghost");
    h.shutdown().await;
}

#[tokio::test]
async fn update_v2_hands_out_the_next_task() {
    let h = harness();
    h.register_simple().await;
    let first = h.start_simple().await;
    let _second = h.start_simple().await;
    let t = h.poll_work().await;
    let result = json!({"workflowInstanceId": first, "taskId": t["taskId"], "status": "COMPLETED", "outputData": {}, "workerId": "w1"});
    let next = h.post("/api/tasks/update-v2", &result.to_string()).await;
    next.assert_ok();
    let next = next.json();
    assert_eq!(next["taskType"], "work", "{next}");
    assert_ne!(next["taskId"], t["taskId"]);
    let result = json!({"taskId": next["taskId"], "status": "COMPLETED", "workerId": "w1"});
    let none = h.post("/api/tasks/update-v2", &result.to_string()).await;
    none.assert_ok();
    assert_eq!(none.text, "null");
    h.shutdown().await;
}

#[tokio::test]
async fn in_progress_and_failures() {
    let h = harness();
    h.post(
        "/api/metadata/taskdefs",
        &json!([{"name": "work", "retryCount": 0}]).to_string(),
    )
    .await
    .assert_ok();
    h.register_simple().await;
    let id = h.start_simple().await;
    let t = h.poll_work().await;
    let tid = t["taskId"].as_str().unwrap_or_default().to_string();
    h.post(
        "/api/tasks",
        &json!({"taskId": tid, "status": "IN_PROGRESS", "outputData": {"p": 1}}).to_string(),
    )
    .await
    .assert_ok();
    assert_eq!(
        h.get(&format!("/api/tasks/{tid}")).await.json()["outputData"]["p"],
        1
    );
    let failed = json!({"taskId": tid, "status": "FAILED_WITH_TERMINAL_ERROR", "reasonForIncompletion": "broken"});
    h.post("/api/tasks", &failed.to_string()).await.assert_ok();
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["status"], "FAILED");
    assert_eq!(w["failedReferenceTaskNames"], json!(["w"]));
    assert_eq!(w["tasks"][0]["reasonForIncompletion"], "broken");
    h.shutdown().await;
}

#[tokio::test]
async fn polling() {
    let h = harness();
    // Empty queues: 204 for the single poll, [] for the batch poll.
    let a = h.get("/api/tasks/poll/work?workerid=w").await;
    assert_eq!(a.status, 204);
    let a = h.get("/api/tasks/poll/batch/work?timeout=0").await;
    a.assert_ok();
    assert_eq!(a.json(), json!([]));
    let started = std::time::Instant::now();
    assert_eq!(
        h.get("/api/tasks/poll/batch/work?timeout=300").await.json(),
        json!([])
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "long poll waited"
    );
    // Bounds.
    h.get("/api/tasks/poll/batch/work?timeout=5001")
        .await
        .assert_error(400, "timeout");
    h.get("/api/tasks/poll/batch/work?timeout=-1")
        .await
        .assert_error(400, "timeout");
    h.get("/api/tasks/poll/batch/work?count=0")
        .await
        .assert_error(400, "count");
    h.get("/api/tasks/poll/batch/work?count=100000")
        .await
        .assert_error(400, "count");
    h.get("/api/tasks/poll/batch/work?count=two")
        .await
        .assert_error(400, "query");
    h.get("/api/tasks/poll/batch/work?domain=eu")
        .await
        .assert_error(400, "domain");
    h.get("/api/tasks/poll/work?domain=eu")
        .await
        .assert_error(400, "domain");
    // A single poll takes a task.
    h.register_simple().await;
    let id = h.start_simple().await;
    let a = h.get("/api/tasks/poll/work?workerid=w9").await;
    a.assert_ok();
    assert_eq!(a.json()["workflowInstanceId"], id.as_str());
    // A long poll wakes up when a task arrives.
    let h2 = std::sync::Arc::new(h);
    let waiter = {
        let h2 = h2.clone();
        tokio::spawn(async move {
            h2.get("/api/tasks/poll/batch/work?timeout=5000&count=5")
                .await
                .json()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let id2 = h2.start_simple().await;
    let got = waiter.await.unwrap_or_default();
    assert_eq!(got[0]["workflowInstanceId"], id2.as_str(), "{got}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "woken, not timed out"
    );
    if let Ok(h) = std::sync::Arc::try_unwrap(h2) {
        h.shutdown().await;
    }
}

#[tokio::test]
async fn task_lookup_logs_and_queues() {
    let h = harness();
    h.register_simple().await;
    let id = h.start_simple().await;
    let _ = h.start_simple().await;
    let tid = format!("{id}-t0");
    let t = h.get(&format!("/api/tasks/{tid}")).await;
    t.assert_ok();
    assert_eq!(t.json()["status"], "SCHEDULED", "{}", t.text);
    h.get(&format!("/api/tasks/{id}-t5"))
        .await
        .assert_error(404, "t5");
    h.get("/api/tasks/nodash").await.assert_error(404, "nodash");
    h.get("/api/tasks/ghost-t0")
        .await
        .assert_error(404, "ghost");
    // Logs: plain text or a JSON string.
    h.post(&format!("/api/tasks/{tid}/log"), "plain line")
        .await
        .assert_ok();
    h.post(&format!("/api/tasks/{tid}/log"), "\"json line\"")
        .await
        .assert_ok();
    let logs = h.get(&format!("/api/tasks/{tid}/log")).await.json();
    assert_eq!(logs[0]["log"], "plain line");
    assert_eq!(logs[1]["log"], "json line");
    h.post(&format!("/api/tasks/{tid}/log"), "  ")
        .await
        .assert_error(400, "empty");
    h.post("/api/tasks/ghost-t0/log", "x")
        .await
        .assert_error(404, "ghost");
    h.get("/api/tasks/ghost-t0/log")
        .await
        .assert_error(404, "ghost");
    // Queue sizes.
    assert_eq!(
        h.get("/api/tasks/queue/sizes?taskType=work&taskType=none")
            .await
            .json(),
        json!({"work": 2, "none": 0})
    );
    assert_eq!(
        h.get("/api/tasks/queue/sizes").await.json(),
        json!({"work": 2})
    );
    assert_eq!(
        h.get("/api/tasks/queue/size?taskType=work").await.json(),
        json!(2)
    );
    assert_eq!(
        h.get("/api/tasks/queue/all").await.json(),
        json!({"work": 2})
    );
    h.get("/api/tasks/queue/size")
        .await
        .assert_error(400, "taskType");
    h.shutdown().await;
}

/// Registers and starts `approval`: a HUMAN task `approve`, then the SIMPLE task `work`.
/// Answers the workflow id and the HUMAN task's id.
async fn start_human(h: &crate::harness::Harness) -> (String, String) {
    let def = json!({
        "name": "approval", "version": 1, "schemaVersion": 2, "ownerEmail": "t@example.com",
        "tasks": [
            {"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"},
            {"name": "work", "taskReferenceName": "w", "type": "SIMPLE"}
        ]
    });
    h.post("/api/metadata/workflow", &def.to_string())
        .await
        .assert_ok();
    let a = h.post("/api/workflow/approval", "{}").await;
    a.assert_ok();
    let id = a.text;
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["tasks"][0]["taskType"], "HUMAN", "{w}");
    assert_eq!(w["tasks"][0]["status"], "IN_PROGRESS", "{w}");
    let tid = w["tasks"][0]["taskId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (id, tid)
}

#[tokio::test]
async fn workers_cannot_complete_a_human_task() {
    let h = harness();
    let (id, tid) = start_human(&h).await;
    for (uri, status) in [
        ("/api/tasks", "COMPLETED"),
        ("/api/tasks", "FAILED"),
        ("/api/tasks/update-v2", "COMPLETED"),
    ] {
        let result = json!({"workflowInstanceId": id, "taskId": tid, "status": status,
            "outputData": {"approved": true}, "workerId": "w1"});
        let body = h
            .post(uri, &result.to_string())
            .await
            .assert_error(403, "L0");
        assert_eq!(body["code"], "FORBIDDEN", "{body}");
        assert_eq!(body["status"], 403, "{body}");
        assert!(
            body["message"].as_str().unwrap_or("").contains("approve"),
            "{body}"
        );
    }
    // Without a workerId too.
    let result = json!({"taskId": tid, "status": "COMPLETED"});
    h.post("/api/tasks", &result.to_string())
        .await
        .assert_error(403, "conductor-worker");
    // Nothing changed.
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["status"], "RUNNING", "{w}");
    assert_eq!(w["tasks"][0]["status"], "IN_PROGRESS", "{w}");
    assert_eq!(w["tasks"].as_array().map(Vec::len), Some(1), "{w}");
    // The authorized way: a person with the role decides through the engine.
    let decided = h
        .handle
        .send(
            &id,
            baton_core::Event::HumanDecision {
                task_id: tid.clone(),
                approved: true,
                by: baton_core::Principal::new("ada", baton_model::Role::L0),
                comment: None,
                output: None,
            },
        )
        .await
        .expect("send");
    assert_eq!(decided, baton_core::Outcome::Applied);
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["tasks"][0]["status"], "COMPLETED", "{w}");
    assert_eq!(w["tasks"][1]["referenceTaskName"], "w", "{w}");
    h.shutdown().await;
}

#[tokio::test]
async fn refusals_map_to_statuses_without_a_second_read() {
    let h = harness();
    h.register_simple().await;
    let id = h.start_simple().await;
    // Unknown task of a known workflow: 404.
    h.post(
        "/api/tasks",
        &json!({"workflowInstanceId": id, "taskId": format!("{id}-t42"), "status": "COMPLETED"})
            .to_string(),
    )
    .await
    .assert_error(404, "t42");
    // An update to an ended task keeps today's behaviour: ignored, 200, nothing changes.
    let t = h.poll_work().await;
    let tid = t["taskId"].as_str().unwrap_or_default().to_string();
    let done =
        json!({"taskId": tid, "status": "COMPLETED", "outputData": {"y": 1}, "workerId": "w1"});
    h.post("/api/tasks", &done.to_string()).await.assert_ok();
    let late = json!({"taskId": tid, "status": "FAILED", "outputData": {"y": 2}, "workerId": "w1"});
    let a = h.post("/api/tasks", &late.to_string()).await;
    a.assert_ok();
    assert_eq!(a.text, tid);
    let w = h.get(&format!("/api/workflow/{id}")).await.json();
    assert_eq!(w["status"], "COMPLETED", "{w}");
    assert_eq!(w["output"]["y"], 1, "{w}");
    h.shutdown().await;
}
