//! `baton server` and the CLI verbs over it (`--server URL`) and over a local database.

mod common;
use common::{baton, ok, repo, server, wait_exit};

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn register_start_status_logs_list_over_a_server_then_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, url) = server(&dir.path().join("s.db"));
    let out = baton()
        .args([
            "def",
            "register",
            "examples/hello.workflow.json",
            "--server",
            &url,
        ])
        .current_dir(repo())
        .output()
        .expect("register");
    assert!(ok(&out).contains("registered hello v1"));
    let id = ok(&baton()
        .args(["start", "hello", "-i", "name=Grace", "--server", &url])
        .output()
        .expect("start"))
    .trim()
    .to_string();
    assert!(!id.is_empty());

    // The server runs the built-in task types itself.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        let s = ok(&baton()
            .args(["status", &id, "--server", &url])
            .output()
            .expect("status"));
        if s.contains("COMPLETED") && s.contains("done") || Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.contains("Hello, Grace!"), "{status}");
    // One rendering for both targets: the server's answer shows times like the local one.
    assert!(
        status.contains("  started  ") && status.contains("TOOK"),
        "{status}"
    );
    let view: serde_json::Value = serde_json::from_str(&ok(&baton()
        .args(["status", &id, "--json", "--server", &url])
        .output()
        .expect("status --json")))
    .expect("the workflow view as JSON");
    assert_eq!(view["status"], "COMPLETED", "{view}");
    assert_eq!(
        view["workflowId"],
        serde_json::Value::from(id.as_str()),
        "{view}"
    );
    assert!(
        view["tasks"].as_array().is_some_and(|t| !t.is_empty()),
        "{view}"
    );
    let logs = ok(&baton()
        .args(["logs", &id, "--json", "--server", &url])
        .output()
        .expect("logs"));
    assert!(logs.lines().count() >= 5, "{logs}");
    let list = ok(&baton()
        .args(["list", "--server", &url, "--status", "COMPLETED"])
        .output()
        .expect("list"));
    assert!(list.contains(&id), "{list}");

    let refused = baton()
        .args(["pause", &id, "--server", &url])
        .output()
        .expect("pause");
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a completed workflow cannot be paused"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("409"));
    let unknown = baton()
        .args(["status", "nope", "--server", &url])
        .output()
        .expect("status");
    assert_eq!(unknown.status.code(), Some(2));

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    let code = wait_exit(
        &mut child,
        Duration::from_secs(20),
        "the server did not stop on SIGTERM",
    );
    assert_eq!(code, Some(0), "graceful shutdown exits 0");
}

#[test]
fn operator_verbs_on_a_local_database() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("l.db");
    let def = dir.path().join("wait.json");
    std::fs::write(
        &def,
        r#"{"name": "waits", "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}"#,
    )
    .expect("write");
    ok(&baton()
        .args(["def", "register"])
        .arg(&def)
        .arg("--db")
        .arg(&db)
        .output()
        .expect("register"));
    let id = ok(&baton()
        .args(["start", "waits", "--db"])
        .arg(&db)
        .output()
        .expect("start"))
    .trim()
    .to_string();
    ok(&baton()
        .args(["pause", &id, "--db"])
        .arg(&db)
        .output()
        .expect("pause"));
    let s = ok(&baton()
        .args(["status", &id, "--db"])
        .arg(&db)
        .output()
        .expect("status"));
    assert!(s.contains("PAUSED"), "{s}");
    let out = baton()
        .args(["terminate", &id, "--reason", "enough", "--db"])
        .arg(&db)
        .output()
        .expect("terminate");
    ok(&out);
    let s = ok(&baton()
        .args(["status", &id, "--db"])
        .arg(&db)
        .output()
        .expect("status"));
    assert!(s.contains("TERMINATED") && s.contains("enough"), "{s}");
    let logs = ok(&baton()
        .args(["logs", &id, "--db"])
        .arg(&db)
        .output()
        .expect("logs"));
    assert!(
        logs.contains("paused by") && logs.contains("terminated by"),
        "who did what: {logs}"
    );
    let again = baton()
        .args(["terminate", &id, "--db"])
        .arg(&db)
        .output()
        .expect("terminate");
    assert_eq!(
        again.status.code(),
        Some(1),
        "an ended workflow cannot be terminated"
    );
}

/// A Conductor task guarded by `baton.when`, over the workflow's input: the server stores
/// definitions as Conductor JSON, where the guard becomes a SWITCH; both ways must agree.
const GUARDED: &str = r#"{"name": "guarded", "version": 1, "schemaVersion": 2,
  "inputParameters": ["flag"],
  "tasks": [
    {"name": "maybe", "taskReferenceName": "maybe", "type": "INLINE",
     "inputParameters": {"evaluatorType": "javascript", "expression": "(function(){return 'ran';})()"},
     "baton": {"when": "$.input.flag == true"}},
    {"name": "after", "taskReferenceName": "after", "type": "INLINE",
     "inputParameters": {"evaluatorType": "javascript", "expression": "(function(){return 'after';})()"}}
  ],
  "outputParameters": {"maybe": "${maybe.output.result}", "after": "${after.output.result}"}}"#;

#[test]
fn a_when_condition_means_the_same_under_run_and_on_a_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let def = dir.path().join("guarded.json");
    std::fs::write(&def, GUARDED).expect("write");
    let output = |printed: &str| -> serde_json::Value {
        let start = printed
            .find('{')
            .unwrap_or_else(|| panic!("no output: {printed}"));
        serde_json::Deserializer::from_str(&printed[start..])
            .into_iter::<serde_json::Value>()
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("not JSON: {printed}"))
    };
    let (mut child, url) = server(&dir.path().join("s.db"));
    common::register(&url, &def);
    for (flag, ran) in [("true", true), ("false", false)] {
        let local = output(&ok(&baton()
            .arg("run")
            .arg(&def)
            .args([
                "--input",
                &format!("flag={flag}"),
                "--new",
                "--quiet",
                "--db",
            ])
            .arg(dir.path().join("local.db"))
            .output()
            .expect("run")));
        let remote = output(&ok(&baton()
            .args(["start", "guarded", "--input", &format!("flag={flag}")])
            .args(["--wait", "--server", &url])
            .output()
            .expect("start --wait")));
        for (how, out) in [("run", &local), ("server", &remote)] {
            assert_eq!(out["after"], "after", "{how} flag={flag}: {out}");
            assert_eq!(
                out["maybe"] == "ran",
                ran,
                "{how} flag={flag}: the guarded task ran only when its condition held: {out}"
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
