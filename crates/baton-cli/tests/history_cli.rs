//! `baton status --json` has one shape (Conductor's camelCase) locally and over a
//! server, and `baton logs` shows what the engine decided: scheduled, decided, skipped.

mod common;
use common::{baton, ok, server};

use serde_json::Value;
use std::collections::BTreeSet;

const DEF: &str = r#"{"name": "readable", "version": 1, "tasks": [
  {"name": "maybe", "taskReferenceName": "maybe", "type": "NOOP",
   "baton": {"when": "$.input.flag == true"}},
  {"name": "after", "taskReferenceName": "after", "type": "SET_VARIABLE",
   "inputParameters": {"seen": true}}
]}"#;

/// Every key of `v` and of its tasks, as `key` and `tasks[].key`.
fn keys(v: &Value) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = v
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    for t in v["tasks"].as_array().into_iter().flatten() {
        out.extend(
            t.as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| format!("tasks[].{k}")),
        );
    }
    out
}

#[test]
fn status_json_is_one_shape_and_logs_show_the_engines_decisions() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let def = dir.path().join("readable.json");
    std::fs::write(&def, DEF).expect("write");
    // `baton run` records the run; a server on the same database then shows it.
    let run = baton()
        .arg("run")
        .arg(&def)
        .arg("--db")
        .arg(&db)
        .output()
        .expect("run");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let listed = ok(&baton()
        .args(["list", "--json", "--db"])
        .arg(&db)
        .output()
        .expect("list"));
    let first: Value =
        serde_json::from_str(listed.lines().next().unwrap_or_default()).expect("a row");
    let id = first["workflowId"].as_str().unwrap_or_default().to_string();
    let (mut child, url) = server(&db);
    let remote: Value = serde_json::from_str(&ok(&baton()
        .args(["status", &id, "--json", "--server", &url])
        .output()
        .expect("status")))
    .expect("json");
    assert_eq!(remote["status"], "COMPLETED", "{remote}");
    let local: Value = serde_json::from_str(&ok(&baton()
        .args(["status", &id, "--json", "--db"])
        .arg(&db)
        .output()
        .expect("status")))
    .expect("json");
    assert_eq!(
        keys(&local),
        keys(&remote),
        "local {local}\nremote {remote}"
    );
    assert_eq!(local, remote, "the same run reads the same in both");
    assert_eq!(local["workflowId"], Value::from(id.as_str()));
    assert_eq!(local["tasks"][0]["referenceTaskName"], "maybe");
    assert_eq!(local["tasks"][0]["status"], "SKIPPED");
    // The keys are Conductor's: every one is in the server's own Workflow JSON.
    let conductor: Value = get_json(&url, &format!("/api/workflow/{id}"));
    let theirs = keys(&conductor);
    let ours: BTreeSet<String> = keys(&local)
        .into_iter()
        .filter(|k| !k.ends_with("role"))
        .collect();
    assert!(
        ours.is_subset(&theirs),
        "{:?}",
        ours.difference(&theirs).collect::<Vec<_>>()
    );

    for target in [
        vec!["--server".to_string(), url.clone()],
        vec!["--db".to_string(), db.display().to_string()],
    ] {
        let logs = ok(&baton()
            .args(["logs", &id])
            .args(&target)
            .output()
            .expect("logs"));
        for line in [
            "scheduled maybe (",
            "skipped maybe (",
            "decided after (",
            "workflow COMPLETED",
        ] {
            assert!(logs.contains(line), "{line}: {logs}");
        }
        let skipped = logs
            .lines()
            .position(|l| l.contains("skipped maybe"))
            .unwrap_or(0);
        let scheduled = logs
            .lines()
            .position(|l| l.contains("scheduled maybe"))
            .unwrap_or(usize::MAX);
        assert!(scheduled < skipped, "{logs}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `GET url+path` as JSON, with curl (the server runs without tokens here).
fn get_json(url: &str, path: &str) -> Value {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sf", &format!("{url}{path}")]);
    serde_json::from_slice(&cmd.output().expect("curl").stdout).expect("the server's JSON")
}
