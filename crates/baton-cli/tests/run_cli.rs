//! `baton run`, `resume`, `status`, `logs` end to end: real processes, a real local HTTP
//! server, exit codes, Ctrl-C and resume.

use baton_store::prelude::*;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn baton() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baton"));
    c.stdin(Stdio::null());
    c
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn workflow_id(db: &Path) -> String {
    let out = baton()
        .args(["status", "--json", "--db"])
        .arg(db)
        .arg("none")
        .output()
        .expect("status");
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown ids are refused: {}",
        text(&out)
    );
    let reader = baton_store::sqlite::SqliteReader::open(db)
        .map(|r| baton_runtime::CaughtUpReader::new(Box::new(r)))
        .expect("reader");
    let all = reader.list_workflows(&Default::default()).expect("list");
    all.iter()
        .find(|w| w.parent_id.is_none() && !w.id.ends_with(".failure"))
        .expect("a workflow")
        .id
        .clone()
}

#[test]
fn hello_example_completes_and_prints_its_output() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("b.db");
    let out = baton()
        .args([
            "run",
            "examples/hello.workflow.json",
            "--input",
            "name=Ada",
            "--input",
            "language=fr",
            "--db",
        ])
        .arg(&db)
        .current_dir(repo())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let output: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(output["greeting"], "Bonjour, Ada!", "{output}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("COMPLETED"),
        "progress lines are shown: {stderr}"
    );

    let id = workflow_id(&db);
    let status = baton()
        .args(["status", &id, "--db"])
        .arg(&db)
        .output()
        .expect("status");
    assert_eq!(status.status.code(), Some(0));
    let s = String::from_utf8_lossy(&status.stdout);
    assert!(
        s.contains("COMPLETED") && s.contains("compose") && s.contains("INLINE"),
        "{s}"
    );
    let logs = baton()
        .args(["logs", &id, "--json", "--db"])
        .arg(&db)
        .output()
        .expect("logs");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&logs.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines[0]["event"]["event"], "workflow_started");
    assert!(lines.len() >= 5, "the whole history: {lines:?}");
}

#[test]
fn invalid_definition_input_or_runner_bindings_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("b.db");
    let out = baton()
        .args([
            "run",
            "crates/baton-model/tests/data/invalid/seed-000-original.workflow.yaml",
            "--db",
        ])
        .arg(&db)
        .current_dir(repo())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("generate_warning_receipt"));

    let out = baton()
        .args(["run", "examples/inventory-validation.workflow.yaml", "--db"])
        .arg(&db)
        .current_dir(repo())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing required input: {}",
        text(&out)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("target_folder"));

    let out = baton()
        .args([
            "run",
            "examples/inventory-validation.workflow.yaml",
            "-i",
            "target_folder=.",
            "-i",
            "policy_file=x",
            "--db",
        ])
        .arg(&db)
        .current_dir(repo())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "no runners bound: {}",
        text(&out)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no runner") && err.contains("scan_files") && err.contains("--runners"),
        "{err}"
    );

    let out = baton()
        .args(["run", "does-not-exist.json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// A task that fails through a real process (non-zero exit), is retried with backoff,
/// then fails the workflow, whose inline failure workflow runs; exit code 1.
#[test]
fn exhausted_retries_fail_the_run_and_start_the_failure_workflow() {
    let dir = tempfile::tempdir().expect("tmp");
    let def = write(
        dir.path(),
        "fail.yaml",
        r#"
workflow:
  id: flaky-run
  tasks:
    - id: shaky
      retry_policy: {max_attempts: 3, backoff: exponential, initial_delay: 100ms}
    - id: never
  failure_workflow:
    id: cleanup
    steps: [tidy]
  runners:
    shaky:
      exec: {command: "echo 'disk on fire' >&2; exit 3"}
    never:
      exec: {command: "echo {}"}
    tidy:
      exec: {command: "echo '{\"tidied\": true}'"}
"#,
    );
    let db = dir.path().join("b.db");
    let started = Instant::now();
    let out = baton()
        .arg("run")
        .arg(&def)
        .arg("--db")
        .arg(&db)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("exit code 3") && err.contains("disk on fire"),
        "the stderr tail is the reason: {err}"
    );
    assert!(err.contains("attempt 3"), "retries are shown: {err}");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "backoff waited 100ms + 200ms"
    );

    let reader = baton_store::sqlite::SqliteReader::open(&db)
        .map(|r| baton_runtime::CaughtUpReader::new(Box::new(r)))
        .expect("reader");
    let id = workflow_id(&db);
    let w = reader.workflow(&id).expect("read").expect("workflow");
    assert_eq!(
        w.state
            .tasks
            .iter()
            .filter(|t| t.ref_name == "shaky")
            .count(),
        3
    );
    assert!(w.state.latest("never").is_none());
    let cleanup = reader
        .workflow(&format!("{id}.failure"))
        .expect("read")
        .expect("failure workflow");
    assert_eq!(cleanup.meta.status, baton_core::WorkflowStatus::Completed);
}

/// Invalid JSON on stdout and an exec timeout are failures with clear reasons.
#[test]
fn bad_json_and_timeouts_fail_with_reasons() {
    let dir = tempfile::tempdir().expect("tmp");
    let def = write(
        dir.path(),
        "bad.yaml",
        r#"
workflow:
  id: bad-json
  tasks:
    - id: chatty
  runners:
    chatty:
      exec: {command: "echo 'this is not json'"}
"#,
    );
    let out = baton()
        .arg("run")
        .arg(&def)
        .arg("--db")
        .arg(dir.path().join("a.db"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not JSON"),
        "{}",
        text(&out)
    );

    let def = write(
        dir.path(),
        "slow.yaml",
        r#"
workflow:
  id: too-slow
  tasks:
    - id: sleepy
  runners:
    sleepy:
      exec: {command: "sleep 30", timeout: 300ms}
"#,
    );
    let started = Instant::now();
    let out = baton()
        .arg("run")
        .arg(&def)
        .arg("--db")
        .arg(dir.path().join("b.db"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timed out"),
        "{}",
        text(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the process was killed, not waited for"
    );
}

/// Conductor's HTTP task against a real local server.
#[test]
fn http_task_calls_a_real_server() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut request_line = String::new();
        reader.read_line(&mut request_line).expect("read");
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).expect("body");
        let reply = format!("{{\"got\": {}}}", String::from_utf8_lossy(&body));
        write!(
            stream,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
            reply.len()
        )
        .expect("reply");
        request_line
    });
    let dir = tempfile::tempdir().expect("tmp");
    let def = write(
        dir.path(),
        "http.json",
        &format!(
            r#"{{"name": "call", "tasks": [{{"name": "post", "taskReferenceName": "post", "type": "HTTP",
               "inputParameters": {{"http_request": {{"uri": "http://127.0.0.1:{port}/hook", "method": "POST",
                 "body": {{"n": "${{workflow.input.n}}"}}}}}}}}],
              "outputParameters": {{"status": "${{post.output.response.statusCode}}", "body": "${{post.output.response.body}}"}}}}"#
        ),
    );
    let out = baton()
        .arg("run")
        .arg(&def)
        .args(["-i", "n=7", "--db"])
        .arg(dir.path().join("h.db"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let output: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        output,
        serde_json::json!({"status": 201, "body": {"got": {"n": 7}}})
    );
    let request_line = server.join().expect("server");
    assert!(request_line.starts_with("POST /hook"), "{request_line}");
}

/// Ctrl-C leaves the run resumable; `baton resume ID` finishes it.
#[test]
fn ctrl_c_then_resume_finishes_the_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let marker = dir.path().join("released");
    let def = write(
        dir.path(),
        "gate.yaml",
        &format!(
            r#"
workflow:
  id: gated
  tasks:
    - id: first
    - id: gate
    - id: last
  runners:
    first:
      exec: {{command: "echo '{{\"one\": 1}}'"}}
    gate:
      exec: {{command: "while [ ! -f {m} ]; do sleep 0.05; done; echo '{{\"open\": true}}'"}}
    last:
      exec: {{command: "echo '{{\"done\": true}}'"}}
"#,
            m = marker.display()
        ),
    );
    let db = dir.path().join("b.db");
    let child = baton()
        .arg("run")
        .arg(&def)
        .arg("--db")
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the gate task runs, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "the gate task never started");
        if db.exists()
            && let Ok(reader) = baton_store::sqlite::SqliteReader::open(&db)
                .map(|r| baton_runtime::CaughtUpReader::new(Box::new(r)))
        {
            let running = reader
                .list_workflows(&Default::default())
                .ok()
                .and_then(|ws| ws.first().cloned())
                .and_then(|w| reader.workflow(&w.id).ok().flatten());
            if running.is_some_and(|w| {
                w.state
                    .latest("gate")
                    .is_some_and(|t| t.status == baton_core::TaskStatus::InProgress)
            }) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("baton resume"),
        "{}",
        text(&out)
    );

    let id = workflow_id(&db);
    std::fs::write(&marker, "").expect("release the gate");
    let out = baton()
        .args(["resume", &id, "--db"])
        .arg(&db)
        .output()
        .expect("resume");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let output: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(output, serde_json::json!({"done": true}));
}

const INTERRUPTED: &str =
    "the attempt was interrupted: baton stopped while its local runner `baton-local` ran it";

/// SIGKILLs `baton run` of `def` once its task runs (its first attempt writes its pid to
/// `pid_file` and sleeps), then `baton resume`s the run; returns the resume's output
/// and the workflow id. The orphaned `sleep` is killed at the end.
fn kill_during_first_attempt_then_resume(
    def: &Path,
    db: &Path,
    pid_file: &Path,
) -> (Output, String) {
    let mut child = baton()
        .arg("run")
        .arg(def)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(pid_file).is_ok_and(|p| p.trim().parse::<u32>().is_ok()) {
        assert!(Instant::now() < deadline, "the first attempt never started");
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "baton run ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let id = workflow_id(db);
    let out = baton()
        .args(["resume", &id, "--db"])
        .arg(db)
        .output()
        .expect("resume");
    if let Ok(pid) = std::fs::read_to_string(pid_file) {
        let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
    }
    (out, id)
}

/// The attempts of task `r`, in order: (attempt, status, reason).
fn attempts(db: &Path, id: &str, r: &str) -> Vec<(u32, baton_core::TaskStatus, Option<String>)> {
    let reader = baton_store::sqlite::SqliteReader::open(db)
        .map(|r| baton_runtime::CaughtUpReader::new(Box::new(r)))
        .expect("reader");
    let w = reader.workflow(id).expect("read").expect("workflow");
    w.state
        .tasks
        .iter()
        .filter(|t| t.ref_name == r)
        .map(|t| (t.attempt, t.status, t.reason.clone()))
        .collect()
}

/// A run killed while a local runner works on a task: on resume the interrupted
/// attempt is a failed one and the retry runs — the same attempt is not run again.
#[test]
fn a_crash_during_a_task_counts_its_attempt_and_the_retry_runs() {
    let dir = tempfile::tempdir().expect("tmp");
    let pid_file = dir.path().join("sleep.pid");
    let def = write(
        dir.path(),
        "crashy.yaml",
        &format!(
            r#"
workflow:
  id: crashy
  tasks:
    - id: slow
      retry_policy: {{max_attempts: 2, backoff: fixed, initial_delay: 100ms}}
  runners:
    slow:
      exec: {{command: "if [ \"$BATON_ATTEMPT\" = 0 ]; then echo $$ > {p}; exec sleep 30; fi; echo '{{\"attempt\": '$BATON_ATTEMPT'}}'"}}
"#,
            p = pid_file.display()
        ),
    );
    let db = dir.path().join("b.db");
    let (out, id) = kill_during_first_attempt_then_resume(&def, &db, &pid_file);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let output: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(output, serde_json::json!({"attempt": 1}), "the retry ran");
    assert_eq!(
        attempts(&db, &id, "slow"),
        [
            (
                0,
                baton_core::TaskStatus::Failed,
                Some(INTERRUPTED.to_string())
            ),
            (1, baton_core::TaskStatus::Completed, None),
        ]
    );
}

/// With no retries, the interrupted attempt fails the run on resume.
#[test]
fn a_crash_during_a_task_without_retries_fails_the_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let pid_file = dir.path().join("sleep.pid");
    let def = write(
        dir.path(),
        "crashy.yaml",
        &format!(
            r#"
workflow:
  id: crashy-once
  tasks:
    - id: slow
  runners:
    slow:
      exec: {{command: "echo $$ > {p}; exec sleep 30"}}
"#,
            p = pid_file.display()
        ),
    );
    let db = dir.path().join("b.db");
    let started = Instant::now();
    let (out, id) = kill_during_first_attempt_then_resume(&def, &db, &pid_file);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(INTERRUPTED),
        "{}",
        text(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the interrupted attempt did not run again"
    );
    assert_eq!(
        attempts(&db, &id, "slow"),
        [(
            0,
            baton_core::TaskStatus::Failed,
            Some(INTERRUPTED.to_string())
        )]
    );
}
