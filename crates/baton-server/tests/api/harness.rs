//! A router over a fresh engine, and helpers to call it.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use baton_runtime::{Engine, EngineConfig, EngineHandle, SystemClock};
use baton_server::ServerConfig;
use baton_store::sqlite::{Durability, SqliteStore};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// An engine, its store's folder and the router over them.
pub struct Harness {
    pub app: Router,
    pub engine: Option<Engine>,
    pub handle: EngineHandle,
    _dir: tempfile::TempDir,
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts an error status with a JSON body whose message contains `needle`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, needle: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        let ct = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            ct.starts_with("application/json"),
            "content type {ct}: {}",
            self.text
        );
        let v = self.json();
        assert_eq!(v["status"], json!(status), "{v}");
        let msg = v["message"].as_str().unwrap_or("");
        assert!(
            msg.contains(needle),
            "message {msg:?} should contain {needle:?}"
        );
        v
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(self.status.is_success(), "{} {}", self.status, self.text);
        self
    }
}

pub fn harness() -> Harness {
    harness_with(ServerConfig::default())
}

pub fn harness_with(config: ServerConfig) -> Harness {
    harness_with_keys(config, &[])
}

/// A harness whose store holds `keys` before the engine starts.
pub fn harness_with_keys(config: ServerConfig, keys: &[baton_store::ApiKey]) -> Harness {
    use baton_store::prelude::*;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store =
        SqliteStore::open(dir.path().join("baton.db"), Durability::Normal).expect("store");
    if !keys.is_empty() {
        let mut tx = store.begin().expect("begin");
        for k in keys {
            tx.insert_api_key(k).expect("key");
        }
        tx.commit().expect("commit");
    }
    let engine =
        Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine");
    let handle = engine.handle();
    let app = baton_server::router(handle.clone(), config);
    Harness {
        app,
        engine: Some(engine),
        handle,
        _dir: dir,
    }
}

impl Harness {
    pub async fn call(&self, method: Method, uri: &str, body: Option<&str>) -> Answer {
        self.call_as(None, method, uri, body).await
    }

    /// [`Harness::call`] with `X-Authorization: token`.
    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        uri: &str,
        body: Option<&str>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("x-authorization", t);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Body::from(body.unwrap_or("").to_string()))
            .expect("request");
        let res = self.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Answer {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).to_string(),
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.call(Method::GET, uri, None).await
    }

    pub async fn post(&self, uri: &str, body: &str) -> Answer {
        self.call(Method::POST, uri, Some(body)).await
    }

    pub async fn put(&self, uri: &str, body: &str) -> Answer {
        self.call(Method::PUT, uri, Some(body)).await
    }

    pub async fn delete(&self, uri: &str) -> Answer {
        self.call(Method::DELETE, uri, None).await
    }

    /// Registers the one-task workflow `wf` (SIMPLE task `work`, ref `w`).
    pub async fn register_simple(&self) {
        self.post("/api/metadata/workflow", &simple_def("wf"))
            .await
            .assert_ok();
    }

    /// Starts `wf` and answers its id.
    pub async fn start_simple(&self) -> String {
        let a = self.post("/api/workflow/wf", r#"{"x": 1}"#).await;
        a.assert_ok();
        a.text
    }

    /// Polls `work` once and answers the task JSON.
    pub async fn poll_work(&self) -> Value {
        let a = self
            .get("/api/tasks/poll/batch/work?workerid=w1&count=1&timeout=2000")
            .await;
        a.assert_ok();
        let tasks = a.json();
        tasks[0].clone()
    }

    pub async fn shutdown(mut self) {
        if let Some(e) = self.engine.take() {
            e.shutdown().await;
        }
    }
}

/// A Conductor definition with one SIMPLE task `work` (ref `w`).
pub fn simple_def(name: &str) -> String {
    json!({
        "name": name, "version": 1, "schemaVersion": 2, "ownerEmail": "t@example.com",
        "tasks": [{"name": "work", "taskReferenceName": "w", "type": "SIMPLE", "inputParameters": {"x": "${workflow.input.x}"}}],
        "outputParameters": {"y": "${w.output.y}"}
    })
    .to_string()
}
