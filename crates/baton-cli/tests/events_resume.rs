//! `GET /api/v1/events` resumes with `Last-Event-ID`: a client that disconnects, misses
//! transitions (some while the server is down and restarted), and reconnects receives
//! exactly the transitions it missed, in order, with none repeated.

mod common;
use common::{baton, repo, server};

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the server did not stop on SIGTERM");
}

fn run_ok(args: &[&str]) -> String {
    let out = baton()
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run baton");
    assert_eq!(
        out.status.code(),
        Some(0),
        "baton {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Starts `hello` and waits until it completed; returns its id.
fn run_hello(url: &str) -> String {
    let id = run_ok(&["start", "hello", "-i", "name=Ada", "--server", url]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if run_ok(&["status", &id, "--server", url]).contains("COMPLETED") {
            return id;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("workflow {id} did not complete");
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
struct Sse {
    id: Option<u64>,
    name: String,
    data: serde_json::Value,
}

/// An open `/api/v1/events` stream (HTTP/1.0, so the body is plain text until close).
struct Stream {
    lines: std::io::Lines<BufReader<TcpStream>>,
}

impl Stream {
    fn open(url: &str, last_event_id: Option<u64>) -> Stream {
        let host = url.trim_start_matches("http://").trim_end_matches('/');
        let mut s = TcpStream::connect(host).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let header = last_event_id
            .map(|n| format!("Last-Event-ID: {n}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "GET /api/v1/events HTTP/1.0\r\nHost: {host}\r\nAccept: text/event-stream\r\n{header}\r\n"
        )
        .expect("request");
        let mut lines = BufReader::new(s).lines();
        let status = lines.next().expect("status line").expect("readable");
        assert!(status.contains(" 200 "), "{status}");
        for line in lines.by_ref() {
            if line.expect("header").is_empty() {
                break;
            }
        }
        Stream { lines }
    }

    /// The next event (keep-alive comments skipped).
    fn next(&mut self) -> Sse {
        let (mut id, mut name, mut data) = (None, String::new(), String::new());
        for line in self.lines.by_ref() {
            let line = line.expect("an event in time");
            if line.is_empty() {
                if !name.is_empty() {
                    let data = serde_json::from_str(&data).expect("JSON data");
                    return Sse { id, name, data };
                }
                continue;
            }
            if let Some(v) = line.strip_prefix("id:") {
                id = Some(v.trim().parse().expect("numeric id"));
            } else if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim());
            }
        }
        panic!("the stream ended");
    }

    /// Events up to and including the one with id `last`.
    fn until_id(&mut self, last: u64) -> Vec<Sse> {
        let mut out = Vec::new();
        loop {
            let e = self.next();
            let done = e.id == Some(last);
            if e.id.is_some() {
                out.push(e);
            }
            if done {
                return out;
            }
        }
    }

    /// Events up to and including `workflow_status` COMPLETED of `workflow`.
    fn until_completed(&mut self, workflow: &str) -> Vec<Sse> {
        let mut out = Vec::new();
        loop {
            let e = self.next();
            let done = e.name == "workflow_status"
                && e.data["workflowId"] == workflow
                && e.data["status"] == "COMPLETED";
            if e.id.is_some() {
                out.push(e);
            }
            if done {
                return out;
            }
        }
    }
}

#[test]
fn a_reconnecting_client_gets_exactly_what_it_missed_across_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("events.db");
    let (child, url) = server(&db);
    run_ok(&[
        "def",
        "register",
        "examples/hello.workflow.json",
        "--server",
        &url,
    ]);

    // A client sees the first events of a run, then goes away.
    let mut first = Stream::open(&url, None);
    let a = run_ok(&["start", "hello", "-i", "name=Ada", "--server", &url]);
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let e = first.next();
        if e.id.is_some() {
            seen.push(e);
        } else {
            assert_eq!(e.name, "queue_seen", "only queue_seen has no id: {e:?}");
        }
    }
    drop(first);
    let last_seen = seen[2].id.expect("an id");
    assert_eq!(
        seen.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![Some(1), Some(2), Some(3)],
        "ids of a fresh database start at 1 and are consecutive: {seen:?}"
    );
    assert_eq!(seen[0].name, "workflow_started");
    assert_eq!(seen[0].data["workflowId"], a.as_str());

    // While it is away: run A ends, run B runs, and the server restarts.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !run_ok(&["status", &a, "--server", &url]).contains("COMPLETED") {
        assert!(Instant::now() < deadline, "run {a} did not complete");
        std::thread::sleep(Duration::from_millis(50));
    }
    let b = run_hello(&url);
    stop(child);
    let (child, url) = server(&db);

    // It reconnects from the last id it saw, and another run happens meanwhile.
    let mut again = Stream::open(&url, Some(last_seen));
    let c = run_ok(&["start", "hello", "-i", "name=Cy", "--server", &url]);
    let resumed = again.until_completed(&c);

    // What it got is exactly the log after `last_seen`: read it whole from the start.
    let end = resumed.last().and_then(|e| e.id).expect("an id");
    let mut whole = Stream::open(&url, Some(0));
    let all = whole.until_id(end);
    assert_eq!(
        &all[..3],
        &seen[..],
        "the log starts with what the client saw"
    );
    assert_eq!(
        resumed,
        all[3..].to_vec(),
        "after reconnecting: every missed event, in order, none repeated"
    );
    let ids: Vec<u64> = all.iter().filter_map(|e| e.id).collect();
    assert_eq!(ids, (1..=end).collect::<Vec<_>>(), "ids are dense");
    for (run, label) in [(&a, "A"), (&b, "B"), (&c, "C")] {
        assert!(
            resumed.iter().any(|e| e.name == "workflow_status"
                && e.data["workflowId"] == run.as_str()
                && e.data["status"] == "COMPLETED"),
            "the end of run {label} ({run}) is among the missed events"
        );
    }
    assert!(
        resumed
            .iter()
            .any(|e| e.name == "workflow_started" && e.data["workflowId"] == b.as_str()),
        "run B started while the client was away"
    );

    // A malformed Last-Event-ID is refused with a reason.
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).expect("connect");
    write!(
        s,
        "GET /api/v1/events HTTP/1.0\r\nLast-Event-ID: yesterday\r\n\r\n"
    )
    .expect("req");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut s, &mut text).expect("read");
    assert!(
        text.starts_with("HTTP/1.0 400") || text.starts_with("HTTP/1.1 400"),
        "{text}"
    );
    assert!(text.contains("Last-Event-ID"), "{text}");

    // So is an id past the log's end: it would hide every event until the ids caught up.
    let mut s = TcpStream::connect(host).expect("connect");
    write!(
        s,
        "GET /api/v1/events HTTP/1.0\r\nLast-Event-ID: 999999\r\n\r\n"
    )
    .expect("req");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut s, &mut text).expect("read");
    assert!(
        text.starts_with("HTTP/1.0 400") || text.starts_with("HTTP/1.1 400"),
        "{text}"
    );
    assert!(text.contains("beyond the newest event"), "{text}");
    stop(child);
}
