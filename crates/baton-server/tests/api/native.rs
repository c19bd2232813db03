//! Health, readiness, OpenAPI, SSE, history, error shapes, body limits, graceful shutdown.

use crate::harness::{harness, harness_with, simple_def};
use axum::body::Body;
use axum::http::{Method, Request};
use baton_server::ServerConfig;
use http_body_util::BodyExt;
use serde_json::Value;
use std::time::Duration;
use tower::ServiceExt;

#[tokio::test]
async fn health_and_ready() {
    let h = harness();
    assert_eq!(h.get("/health").await.json()["status"], "UP");
    assert_eq!(h.get("/ready").await.json()["status"], "UP");
    h.post("/health", "").await.assert_error(405, "method");
    h.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let h = harness();
    h.get("/api/nothing/here")
        .await
        .assert_error(404, "no endpoint GET /api/nothing/here");
    h.call(Method::PATCH, "/api/workflow/x", None)
        .await
        .assert_error(405, "method");
    h.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_json() {
    let h = harness_with(ServerConfig {
        max_body_bytes: 1024,
        ..Default::default()
    });
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(4096));
    h.post("/api/workflow/wf", &big)
        .await
        .assert_error(413, "larger");
    h.shutdown().await;
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let h = harness();
    let doc = h.get("/api/v1/openapi.json").await.json();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for p in [
        "/api/metadata/workflow",
        "/api/metadata/workflow/{name}",
        "/api/metadata/workflow/{name}/{version}",
        "/api/metadata/taskdefs",
        "/api/metadata/taskdefs/{tasktype}",
        "/api/workflow",
        "/api/workflow/{workflowId}",
        "/api/workflow/running/{name}",
        "/api/workflow/search",
        "/api/workflow/{workflowId}/pause",
        "/api/workflow/{workflowId}/resume",
        "/api/workflow/{workflowId}/restart",
        "/api/workflow/{workflowId}/retry",
        "/api/workflow/{workflowId}/skiptask/{taskReferenceName}",
        "/api/workflow/{workflowId}/remove",
        "/api/tasks",
        "/api/tasks/update-v2",
        "/api/tasks/poll/{tasktype}",
        "/api/tasks/poll/batch/{tasktype}",
        "/api/tasks/{taskId}",
        "/api/tasks/{taskId}/log",
        "/api/tasks/queue/sizes",
        "/api/tasks/queue/size",
        "/api/tasks/queue/all",
        "/api/v1/events",
        "/api/v1/openapi.json",
        "/api/v1/workflows/{workflowId}/history",
        "/health",
        "/ready",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    assert!(doc["paths"]["/api/workflow/{workflowId}"]["get"].is_object());
    assert!(doc["paths"]["/api/workflow/{workflowId}"]["delete"].is_object());
    assert!(doc["components"]["schemas"]["Task"].is_object());
    h.shutdown().await;
}

#[tokio::test]
async fn history_of_a_workflow() {
    let h = harness();
    h.register_simple().await;
    let id = h.start_simple().await;
    let items = h
        .get(&format!("/api/v1/workflows/{id}/history"))
        .await
        .json();
    assert_eq!(items[0]["event"]["event"], "workflow_started", "{items}");
    assert_eq!(items[0]["seq"], 0);
    h.get("/api/v1/workflows/nope/history")
        .await
        .assert_error(404, "nope");
    h.shutdown().await;
}

#[tokio::test]
async fn events_stream_transitions() {
    let h = harness();
    h.register_simple().await;
    let req = Request::builder()
        .uri("/api/v1/events")
        .body(Body::empty())
        .expect("request");
    let res = h.app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream")
    );
    let mut body = res.into_body();
    let id = h.start_simple().await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(seen.contains("event: task") && seen.contains("event: workflow_started")) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .expect("events in time");
        let Some(Ok(frame)) = frame else {
            panic!("stream ended: {seen}")
        };
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(seen.contains(&id), "{seen}");
    assert!(seen.contains("id: 1\n"), "{seen}");
    let data_line = seen
        .lines()
        .find(|l| l.starts_with("data: "))
        .unwrap_or("data: {}");
    let v: Value = serde_json::from_str(&data_line[6..]).expect("JSON data");
    assert_eq!(v["workflowId"], id.as_str());
    h.shutdown().await;
}

#[tokio::test]
async fn serve_answers_and_shuts_down_gracefully() {
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
    let client = baton_control::http::Client::new(&format!("http://{addr}")).expect("client");
    client
        .register_workflow_json(&serde_json::from_str(&simple_def("wf")).expect("json"))
        .await
        .expect("register");
    // An SSE stream must not hold the shutdown up.
    let sse =
        tokio::spawn(async move { reqwest_get(&format!("http://{addr}/api/v1/events")).await });
    // A long poll in flight when shutdown starts still gets its answer.
    let poll = tokio::spawn(async move {
        reqwest_get(&format!(
            "http://{addr}/api/tasks/poll/batch/work?timeout=1500"
        ))
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop.send(());
    let done = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("shut down in time");
    assert!(matches!(done, Ok(Ok(()))), "{done:?}");
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), poll)
            .await
            .ok()
            .and_then(|r| r.ok()),
        Some("200 []".to_string())
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), sse)
        .await
        .expect("the SSE stream ended");
    h.shutdown().await;
}

/// GET with a raw TCP HTTP/1.1 request; answers "<status> <body>" (body read to the end).
async fn reqwest_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(mut s) = tokio::net::TcpStream::connect(host).await else {
        return "connect failed".into();
    };
    let req = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).await.is_err() {
        return "write failed".into();
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.split(' ').nth(1).unwrap_or("").to_string();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    format!("{status} {}", body.trim())
}
