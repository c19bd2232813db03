//! A real `baton server` running runaway jq programs: the task fails with the limit it
//! hit, the server keeps answering while it runs, and it is still alive afterwards; and
//! when the server itself is killed, its workers go too.

mod common;
use common::{baton, ok, server};

use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// Generous: a noisy 2-core machine must never make this test fail.
const UPPER_BOUND: Duration = Duration::from_secs(30);

/// `GET path` on the server; the status code.
fn get_status(url: &str, path: &str) -> u16 {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {answer:?}"))
}

/// The jq worker processes `pid` started that are still there.
fn workers_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`: the command name may hold spaces.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
        if ppid == Some(pid) && String::from_utf8_lossy(&cmdline).contains("__jq-worker") {
            out.push(child);
        }
    }
    out
}

fn alive(child: &mut Child) -> bool {
    child.try_wait().expect("try_wait").is_none()
}

/// Starts `jq-check` with `query`, waits for it to end while checking that `/health`
/// answers all along; returns the view of the workflow and how often `/health` answered.
fn run_query(url: &str, server: &mut Child, query: &str) -> (Value, usize) {
    let id = ok(&baton()
        .args(["start", "jq-check", "--server", url, "-i"])
        .arg(format!("query={query}"))
        .output()
        .expect("start"))
    .trim()
    .to_string();
    let started = Instant::now();
    let mut health_checks = 0;
    loop {
        assert_eq!(get_status(url, "/health"), 200, "{query}: /health");
        health_checks += 1;
        assert!(alive(server), "{query}: the server died");
        let view: Value = serde_json::from_str(&ok(&baton()
            .args(["status", &id, "--json", "--server", url])
            .output()
            .expect("status")))
        .expect("a JSON view");
        if view["status"] != "RUNNING" {
            return (view, health_checks);
        }
        assert!(
            started.elapsed() < UPPER_BOUND,
            "{query} did not end: {view}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn register(dir: &Path, url: &str) {
    let def = dir.join("jq-check.json");
    std::fs::write(
        &def,
        r#"{"name": "jq-check", "version": 1, "tasks": [
             {"name": "transform", "taskReferenceName": "transform", "type": "JSON_JQ_TRANSFORM",
              "retryCount": 0,
              "inputParameters": {"queryExpression": "${workflow.input.query}", "a": 20}}],
           "outputParameters": {"result": "${transform.output.result}"}}"#,
    )
    .expect("write");
    ok(&baton()
        .args(["def", "register"])
        .arg(&def)
        .args(["--server", url])
        .output()
        .expect("register"));
}

fn failed_with(view: &Value, reason: &str) {
    assert_eq!(view["status"], "FAILED", "{view}");
    let tasks = view["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 1, "{view}");
    assert_eq!(tasks[0]["status"], "FAILED", "{view}");
    assert_eq!(tasks[0]["reasonForIncompletion"], json!(reason), "{view}");
}

#[test]
fn runaway_jq_fails_its_task_and_the_server_lives_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let (child, url) = server(&dir.path().join("jq.db"));
    let mut guard = KillOnDrop(child);
    let child = &mut guard.0;
    register(dir.path(), &url);

    let (view, _) = run_query(&url, child, "def f: 1 + f; f");
    failed_with(&view, "jq program recursed too deeply (stack overflow)");
    assert!(workers_of(child.id()).is_empty(), "the worker is gone");

    // The server's deadline is 5 s.
    let (view, health_checks) = run_query(&url, child, "last(repeat(1))");
    failed_with(&view, "jq program did not finish within 5s");
    assert!(
        health_checks >= 3,
        "/health answered while the program ran ({health_checks} times)"
    );
    assert!(workers_of(child.id()).is_empty(), "the worker is gone");

    let (view, _) = run_query(&url, child, "[range(1e9)]");
    failed_with(&view, "jq program exceeded its memory limit of 256 MiB");
    assert!(workers_of(child.id()).is_empty(), "the worker is gone");

    // Still alive, and jq still works.
    assert!(alive(child));
    let (view, _) = run_query(&url, child, ".a + 1");
    assert_eq!(view["status"], "COMPLETED", "{view}");
    assert_eq!(view["output"]["result"], 21, "{view}");
    assert_eq!(get_status(&url, "/health"), 200);

    // A server killed while a program runs leaves no worker behind: a worker exits when
    // its stdin closes (the idle one too).
    let id = ok(&baton()
        .args([
            "start",
            "jq-check",
            "--server",
            &url,
            "-i",
            "query=last(repeat(1))",
        ])
        .output()
        .expect("start"))
    .trim()
    .to_string();
    let started = Instant::now();
    let workers = loop {
        let w = workers_of(child.id());
        if !w.is_empty() {
            break w;
        }
        assert!(started.elapsed() < UPPER_BOUND, "no busy worker: {w:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let started = Instant::now();
    while workers.iter().any(|w| is_worker(*w)) {
        assert!(
            started.elapsed() < UPPER_BOUND,
            "workers outlived the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // A restart on the same database does not run the interrupted program again as if
    // nothing happened: the attempt counts (retryCount 0), the workflow fails with the
    // reason, and the server stays up.
    let (child, url) = server(&dir.path().join("jq.db"));
    let mut guard = KillOnDrop(child);
    let child = &mut guard.0;
    let started = Instant::now();
    let view = loop {
        assert!(alive(child), "the restarted server died");
        assert_eq!(
            get_status(&url, "/health"),
            200,
            "/health after the restart"
        );
        let view: Value = serde_json::from_str(&ok(&baton()
            .args(["status", &id, "--json", "--server", &url])
            .output()
            .expect("status")))
        .expect("a JSON view");
        if view["status"] != "RUNNING" {
            break view;
        }
        assert!(started.elapsed() < UPPER_BOUND, "did not end: {view}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(view["status"], "FAILED", "{view}");
    let reason = view["tasks"][0]["reasonForIncompletion"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("the attempt was interrupted"), "{view}");
    assert!(alive(child), "the restarted server lives on");
}

/// Kills the server even when an assertion fails, so no test leaves one running.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether a process is a live jq worker (a zombie has no command line).
fn is_worker(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| String::from_utf8_lossy(&c).contains("__jq-worker"))
}
