//! Request limits over real HTTP (a TCP listener and raw HTTP/1.1): every over-limit
//! request gets its status with Conductor's JSON error body, not a plain-text answer, an
//! empty body or a broken pipe.

use baton_runtime::{Engine, EngineConfig, SystemClock};
use baton_server::ServerConfig;
use baton_store::sqlite::{Durability, SqliteStore};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMIT: usize = 4096;

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    engine: Engine,
    _dir: tempfile::TempDir,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("baton.db"), Durability::Normal).expect("store");
    let engine =
        Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = ServerConfig {
        max_body_bytes: LIMIT,
        ..ServerConfig::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = engine.handle();
    let task = tokio::spawn(async move {
        let _ = baton_server::serve_with(listener, handle, config, async move {
            let _ = stopped.await;
        })
        .await;
    });
    Server {
        addr,
        stop: Some(stop),
        task,
        engine,
        _dir: dir,
    }
}

impl Server {
    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
        self.engine.shutdown().await;
    }
}

/// Status and body of the answer to `head` (request line and headers, without the blank
/// line) followed by `body`. The body is written concurrently with reading the answer, so
/// a server that answers early is seen answering.
async fn send(addr: SocketAddr, head: &str, body: Vec<u8>) -> (u16, String, String) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let mut request = format!("{head}\r\nHost: test\r\nConnection: close\r\n\r\n").into_bytes();
    request.extend_from_slice(&body);
    let writer = tokio::spawn(async move {
        // A write error after the answer is fine; the answer is what is tested. The write
        // side stays open until the answer is read: hyper drops a half-closed request.
        let _ = wr.write_all(&request).await;
        wr
    });
    let mut raw = Vec::new();
    let read = rd.read_to_end(&mut raw).await;
    drop(writer.await);
    assert!(
        read.is_ok() || !raw.is_empty(),
        "no answer (broken pipe?): {read:?}"
    );
    let text = String::from_utf8_lossy(&raw).to_string();
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, headers.to_string(), body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(rest.get(..n).unwrap_or(rest));
        s = rest.get(n + 2..).unwrap_or("");
    }
    out
}

/// Asserts `status` with a Conductor JSON error body whose message contains every needle.
#[track_caller]
fn assert_json_error(answer: &(u16, String, String), status: u16, needles: &[&str]) -> Value {
    let (got, headers, body) = answer;
    assert_eq!(*got, status, "{headers}\n{body}");
    assert!(
        headers
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{headers}"
    );
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(v["status"], status, "{v}");
    assert!(v["code"].is_string() && v["retryable"].is_boolean(), "{v}");
    let message = v["message"].as_str().unwrap_or_default();
    for needle in needles {
        assert!(
            message.contains(needle),
            "{message:?} should contain {needle:?}"
        );
    }
    v
}

fn big_json(bytes: usize) -> Vec<u8> {
    format!("{{\"x\": \"{}\"}}", "a".repeat(bytes)).into_bytes()
}

#[tokio::test]
async fn content_length_over_the_limit_is_413_json_on_every_body_endpoint() {
    let s = server().await;
    let limit = format!("limit: {LIMIT} bytes");
    for path in [
        "/api/workflow/wf",
        "/api/workflow",
        "/api/tasks",
        "/api/tasks/update-v2/wf/ref/COMPLETED?workerid=w",
        "/api/metadata/workflow",
    ] {
        let body = big_json(LIMIT * 4);
        let head = format!(
            "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
            body.len()
        );
        let answer = send(s.addr, &head, body).await;
        assert_json_error(&answer, 413, &[&limit, "pass a reference"]);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn a_huge_announced_body_is_refused_without_reading_it() {
    let s = server().await;
    // Announces 10 GB but sends little: the answer must come from the header alone.
    let head =
        "POST /api/tasks HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 10000000000";
    let answer = send(s.addr, head, b"{}".to_vec()).await;
    assert_json_error(&answer, 413, &["10000000000 bytes", "limit"]);
    s.shutdown().await;
}

#[tokio::test]
async fn a_client_expecting_100_continue_gets_the_413_instead() {
    let s = server().await;
    let head = format!(
        "POST /api/workflow HTTP/1.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}",
        LIMIT * 2
    );
    // No body is sent: the answer must not wait for it.
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        send(s.addr, &head, Vec::new()),
    )
    .await
    .expect("answered without the body");
    assert_json_error(&answer, 413, &["limit"]);
    assert!(!answer.1.contains("100 Continue"), "{}", answer.1);
    s.shutdown().await;
}

#[tokio::test]
async fn chunked_over_the_limit_is_413_json() {
    let s = server().await;
    let mut body = Vec::new();
    for _ in 0..8 {
        let chunk = "b".repeat(1024);
        body.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let head = "POST /api/workflow/wf HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked";
    let answer = send(s.addr, head, body).await;
    assert_json_error(
        &answer,
        413,
        &[&format!("more than {LIMIT} bytes"), "reference"],
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_long_uri_is_414_json() {
    let s = server().await;
    let head = format!("GET /api/workflow/{} HTTP/1.1", "u".repeat(20_000));
    let answer = send(s.addr, &head, Vec::new()).await;
    assert_json_error(&answer, 414, &["8192 bytes", "request body"]);
    s.shutdown().await;
}

#[tokio::test]
async fn huge_headers_are_431_json() {
    let s = server().await;
    let head = format!("GET /health HTTP/1.1\r\nX-Big: {}", "h".repeat(100_000));
    let answer = send(s.addr, &head, Vec::new()).await;
    assert_json_error(&answer, 431, &["65536 bytes"]);
    s.shutdown().await;
}

#[tokio::test]
async fn a_megabyte_workflow_name_is_400_with_the_diagnostic() {
    // A 1 MB name needs more than the small test limit: this server has the default.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("baton.db"), Durability::Normal).expect("store");
    let engine =
        Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(baton_server::serve(listener, engine.handle(), async move {
        let _ = stopped.await;
    }));
    let name = "w".repeat(1 << 20);
    let def = serde_json::json!({
        "name": name,
        "tasks": [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}],
    })
    .to_string();
    let head = format!(
        "POST /api/metadata/workflow HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
        def.len()
    );
    let answer = send(addr, &head, def.into_bytes()).await;
    let v = assert_json_error(&answer, 400, &[]);
    assert!(
        v.to_string().contains("BT0124"),
        "{}",
        &v.to_string()[..500.min(v.to_string().len())]
    );
    assert!(v.to_string().contains("the limit is 256"));
    assert!(answer.2.len() < 4096, "the name is not echoed whole");

    let start = format!(
        "{{\"name\":\"wf\",\"correlationId\":\"{}\"}}",
        "c".repeat(5000)
    );
    let head = format!(
        "POST /api/workflow HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
        start.len()
    );
    let answer = send(addr, &head, start.into_bytes()).await;
    let v = assert_json_error(&answer, 400, &["`correlationId`", "the limit is 256"]);
    assert_eq!(v["validationErrors"][0]["code"], "BT0124", "{v}");
    let _ = stop.send(());
    let _ = task.await;
    engine.shutdown().await;
}

#[tokio::test]
async fn requests_within_the_limits_are_unaffected() {
    let s = server().await;
    let def = serde_json::json!({
        "name": "ok_wf",
        "tasks": [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}],
    })
    .to_string();
    let head = format!(
        "POST /api/metadata/workflow HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
        def.len()
    );
    let (status, headers, body) = send(s.addr, &head, def.into_bytes()).await;
    assert!((200..300).contains(&status), "{headers}\n{body}");
    // A body of exactly the limit is read (and fails as JSON, not as too large).
    let mut exact = big_json(LIMIT);
    exact.truncate(LIMIT);
    let head = format!(
        "POST /api/workflow/ok_wf HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {LIMIT}"
    );
    let answer = send(s.addr, &head, exact).await;
    assert_json_error(&answer, 400, &["not a valid"]);
    let head = "POST /api/workflow/ok_wf HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked";
    let (status, headers, body) = send(s.addr, head, b"2\r\n{}\r\n0\r\n\r\n".to_vec()).await;
    assert_eq!(status, 200, "{headers}\n{body}");
    s.shutdown().await;
}
