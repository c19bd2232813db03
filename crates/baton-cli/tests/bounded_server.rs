//! A heavy request does not stall the server: a 10,000-task registration leaves
//! `/health` answering, and SIGTERM during one stops the server in bounded time.

mod common;
use common::{server, wait_exit};

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

/// One HTTP/1.1 request over a fresh connection; returns the status code and body.
fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (code, body)
}

/// A Conductor definition of `n` sequential SIMPLE tasks, each reading the one before.
fn big_definition(name: &str, n: usize) -> String {
    let tasks: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let input = if i == 0 {
                serde_json::json!({"x": "${workflow.input.x}"})
            } else {
                serde_json::json!({"x": format!("${{t{}.output.x}}", i - 1)})
            };
            serde_json::json!({"name": "step", "taskReferenceName": format!("t{i}"),
                               "type": "SIMPLE", "inputParameters": input})
        })
        .collect();
    serde_json::json!({"name": name, "version": 1, "tasks": tasks, "schemaVersion": 2}).to_string()
}

#[test]
fn a_huge_registration_leaves_health_answering_and_sigterm_bounded() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, url) = server(&dir.path().join("s.db"));
    let body = big_definition("huge", 10_000);

    let (u, b) = (url.clone(), body.clone());
    let registration = std::thread::spawn(move || http(&u, "POST", "/api/metadata/workflow", &b));
    // While the definition is parsed and validated, the server keeps answering.
    let mut slowest = Duration::ZERO;
    while !registration.is_finished() {
        let t = Instant::now();
        let (code, _) = http(&url, "GET", "/health", "");
        assert_eq!(code, 200, "/health during a registration");
        slowest = slowest.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, text) = registration.join().expect("registration thread");
    assert!(code == 200 || code == 204, "registration: {code} {text}");
    assert!(
        slowest < Duration::from_secs(5),
        "/health took {slowest:?} during a registration"
    );
    let (code, text) = http(&url, "GET", "/api/metadata/workflow/huge", "");
    assert_eq!(code, 200, "{text}");
    let def: serde_json::Value = serde_json::from_str(&text).expect("definition JSON");
    assert_eq!(def["tasks"].as_array().map(Vec::len), Some(10_000));

    // SIGTERM while another one is in flight: the server stops, in bounded time.
    let (u, b) = (url.clone(), big_definition("huge2", 10_000));
    let _inflight = std::thread::spawn(move || {
        let _ = std::panic::catch_unwind(|| http(&u, "POST", "/api/metadata/workflow", &b));
    });
    std::thread::sleep(Duration::from_millis(100));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    wait_exit(
        &mut child,
        Duration::from_secs(30),
        "the server did not stop within 30 s of SIGTERM during a registration",
    );
}
