//! The HTTP runners against a real local server.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use baton_runners::{Runner, RunnerConfig, Runners};
use common::{completed, failed, req, run, run_with};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

async fn echo(method: Method, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let body: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    axum::Json(json!({
        "method": method.as_str(),
        "contentType": header("content-type"),
        "accept": header("accept"),
        "token": header("x-token"),
        "body": body,
    }))
}

/// Starts the test server; returns its address.
async fn server() -> SocketAddr {
    let app = Router::new()
        .route(
            "/json",
            get(|| async {
                (
                    [("x-test", "a"), ("x-multi", "1")],
                    axum::Json(json!({"hello": "world"})),
                )
            }),
        )
        .route("/text", get(|| async { "plain text" }))
        .route("/echo", any(echo))
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom: database down") }),
        )
        .route(
            "/created",
            post(|| async { (StatusCode::CREATED, axum::Json(json!({"id": 7}))) }),
        )
        .route("/missing", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route("/scalar", post(|| async { axum::Json(json!([1, 2])) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn http() -> Arc<dyn Runner> {
    Runners::with_builtins()
        .get("HTTP")
        .unwrap_or_else(|| panic!("no HTTP runner"))
}

#[tokio::test]
async fn get_json() {
    let addr = server().await;
    let input = json!({"http_request": {"uri": format!("http://{addr}/json")}});
    let out = completed(run(&http(), req("HTTP", input)).await);
    let resp = &out["response"];
    assert_eq!(resp["statusCode"], 200);
    assert_eq!(resp["reasonPhrase"], "OK");
    assert_eq!(resp["body"], json!({"hello": "world"}));
    assert_eq!(resp["headers"]["x-test"], json!(["a"]));
    assert_eq!(resp["headers"]["content-type"], json!(["application/json"]));
}

#[tokio::test]
async fn text_body_stays_text() {
    let addr = server().await;
    let input = json!({"httpRequest": {"uri": format!("http://{addr}/text"), "method": "GET"}});
    let out = completed(run(&http(), req("HTTP", input)).await);
    assert_eq!(out["response"]["body"], "plain text");
}

#[tokio::test]
async fn post_with_body_and_headers() {
    let addr = server().await;
    let input = json!({"http_request": {
        "uri": format!("http://{addr}/echo"),
        "method": "post",
        "headers": {"X-Token": "secret-1"},
        "body": {"name": "baton", "n": [1, 2]},
    }});
    let out = completed(run(&http(), req("HTTP", input)).await);
    let body = &out["response"]["body"];
    assert_eq!(body["method"], "POST");
    assert_eq!(body["token"], "secret-1");
    assert_eq!(body["contentType"], "application/json");
    assert_eq!(body["accept"], "application/json");
    assert_eq!(body["body"], json!({"name": "baton", "n": [1, 2]}));

    let input = json!({"http_request": {
        "uri": format!("http://{addr}/echo"), "method": "PUT",
        "body": "raw text", "contentType": "text/plain",
    }});
    let out = completed(run(&http(), req("HTTP", input)).await);
    assert_eq!(out["response"]["body"]["body"], "raw text");
    assert_eq!(out["response"]["body"]["contentType"], "text/plain");
}

#[tokio::test]
async fn server_error_fails_with_status_and_body_excerpt() {
    let addr = server().await;
    let input = json!({"http_request": {"uri": format!("http://{addr}/fail")}});
    let outcome = run(&http(), req("HTTP", input)).await;
    let (reason, terminal) = failed(&outcome);
    assert!(
        reason.contains("returned 500 Internal Server Error"),
        "{reason}"
    );
    assert!(reason.contains("boom: database down"), "{reason}");
    assert!(!terminal);
    assert_eq!(outcome.output()["response"]["statusCode"], 500);
}

#[tokio::test]
async fn expected_status() {
    let addr = server().await;
    let missing = format!("http://{addr}/missing");
    let input = json!({"http_request": {"uri": missing, "expectedStatus": [200, 404]}});
    let out = completed(run(&http(), req("HTTP", input)).await);
    assert_eq!(out["response"]["statusCode"], 404);
    assert_eq!(out["response"]["body"], Value::Null);

    let created = format!("http://{addr}/created");
    let input = json!({"http_request": {"uri": created, "method": "POST", "expectedStatus": 200}});
    let outcome = run(&http(), req("HTTP", input)).await;
    assert!(
        failed(&outcome)
            .0
            .contains("returned 201 Created (expected 200)"),
        "{outcome:?}"
    );

    let input =
        json!({"http_request": {"uri": created, "method": "POST", "expectedStatus": "yes"}});
    let outcome = run(&http(), req("HTTP", input)).await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.contains("expectedStatus"), "{reason}");
    assert!(terminal);
}

#[tokio::test]
async fn connection_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    drop(listener);
    let input = json!({"http_request": {"uri": format!("http://{addr}/x")}});
    let outcome = run(&http(), req("HTTP", input)).await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.contains("connection failed"), "{reason}");
    assert!(reason.contains(&addr.to_string()), "{reason}");
    assert!(!terminal);
}

#[tokio::test]
async fn read_timeout() {
    let addr = server().await;
    let input = json!({"http_request": {"uri": format!("http://{addr}/slow"), "readTimeOut": 300}});
    let started = std::time::Instant::now();
    let outcome = run(&http(), req("HTTP", input)).await;
    let (reason, _) = failed(&outcome);
    assert!(
        reason.contains("timed out (readTimeOut 300 ms)"),
        "{reason}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn cancellation() {
    let addr = server().await;
    let input = json!({"http_request": {"uri": format!("http://{addr}/slow")}});
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        trigger.cancel();
    });
    let outcome = run_with(&http(), req("HTTP", input), cancel).await;
    assert_eq!(failed(&outcome).0, "canceled");
}

#[tokio::test]
async fn bad_requests_are_terminal() {
    for input in [
        json!({}),
        json!({"http_request": {"method": "GET"}}),
        json!({"http_request": {"uri": "not a url"}}),
        json!({"http_request": {"uri": "http://127.0.0.1:1/", "headers": {"bad header": "x"}}}),
    ] {
        let outcome = run(&http(), req("HTTP", input.clone())).await;
        assert!(failed(&outcome).1, "{input}: {outcome:?}");
    }
}

#[tokio::test]
async fn config_bound_http_runner_posts_the_input() {
    let addr = server().await;
    let yaml = format!(
        "runners:\n  notify:\n    http: {{uri: \"http://{addr}/echo\", headers: {{X-Token: t0}}}}\n  scalar:\n    http: {{uri: \"http://{addr}/scalar\"}}\n  down:\n    http: {{uri: \"http://{addr}/fail\", method: get}}\n"
    );
    let cfg = RunnerConfig::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let mut runners = Runners::with_builtins();
    runners
        .load_config(&cfg, std::path::Path::new("."))
        .unwrap_or_else(|e| panic!("{e}"));
    let notify = runners.get("notify").unwrap_or_else(|| panic!("no notify"));
    let out = completed(run(&notify, req("notify", json!({"msg": "hi"}))).await);
    assert_eq!(out["method"], "POST");
    assert_eq!(out["token"], "t0");
    assert_eq!(out["body"], json!({"msg": "hi"}));

    let scalar = runners.get("scalar").unwrap_or_else(|| panic!("no scalar"));
    let out = completed(run(&scalar, req("scalar", json!({}))).await);
    assert_eq!(out, json!({"result": [1, 2]}));

    let down = runners.get("down").unwrap_or_else(|| panic!("no down"));
    let outcome = run(&down, req("down", json!({}))).await;
    assert!(failed(&outcome).0.contains("returned 500"), "{outcome:?}");
}
