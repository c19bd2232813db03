//! People in the loop from the command line, against a real `baton server` with the
//! seed's inventory example: a supervised run whose HUMAN alert waits through a server
//! restart and is approved with `baton approve`, and a debug run stepped task by task
//! with `baton step`.

mod common;

use common::{baton, ok, repo};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

const DEF: &str = "examples/inventory-validation.workflow.yaml";
const RUNNERS: &str = "examples/inventory-validation.runners.yaml";

thread_local! {
    /// This test's credentials folder (`XDG_CONFIG_HOME` of its server and commands).
    static HOME: std::cell::RefCell<Option<std::path::PathBuf>> = const { std::cell::RefCell::new(None) };
}

/// `baton ARGS --server URL`, run from the repository root, with the token the server
/// recorded on its first start (found by the CLI itself).
fn at(url: &str, args: &[&str]) -> Output {
    let mut cmd = baton();
    cmd.current_dir(repo()).args(args).args(["--server", url]);
    if let Some(home) = HOME.with(|h| h.borrow().clone()) {
        cmd.env("XDG_CONFIG_HOME", home);
    }
    cmd.output().expect("run baton")
}

/// A server over `db` (requiring tokens) that runs the inventory agents itself.
fn inventory_server(db: &Path) -> (Child, String) {
    let home = db.parent().expect("a folder").join("config");
    HOME.with(|h| *h.borrow_mut() = Some(home.clone()));
    let runners = repo().join(RUNNERS);
    let (child, url) = common::secure_server(
        db,
        &home,
        &["--runners", runners.to_str().expect("utf-8 path")],
    );
    ok(&at(&url, &["def", "register", DEF]));
    (child, url)
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    common::wait_exit(&mut child, Duration::from_secs(30), "server");
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap_or_else(|e| panic!("not JSON ({e})"))
}

/// Polls `f` every 100 ms until it gives `Some`, at most 60 s.
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn status(url: &str, id: &str) -> Value {
    json(&at(url, &["inspect", id, "--json"]))
}

#[test]
fn a_supervised_run_waits_for_its_human_alert_through_a_restart_and_is_approved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("baton.db");
    let (child, url) = inventory_server(&db);
    let start = at(
        &url,
        &[
            "start",
            "inventory-validation-v1",
            "--mode",
            "supervised",
            "--input",
            "target_folder=examples",
            "--input",
            "policy_file=examples/policy.yaml",
            "--input",
            "strict_mode=true",
        ],
    );
    let id = ok(&start).trim().to_string();
    assert!(!id.is_empty());
    let waiting = eventually("the HUMAN alert to wait", || {
        let list = json(&at(&url, &["approvals", "--json"]));
        list.as_array()
            .and_then(|l| l.first().cloned())
            .filter(|a| a["ref_name"] == "alert_cmd_bridge")
    });
    assert_eq!(waiting["workflow_id"], Value::String(id.clone()));
    assert_eq!(waiting["decided_by"], "L0");
    assert!(
        waiting["input"]["violations"]
            .as_array()
            .is_some_and(|v| !v.is_empty()),
        "{waiting}"
    );

    // The wait is durable: a restarted server still has it.
    stop(child);
    let (child, url) = inventory_server(&db);
    let table = ok(&at(&url, &["approvals"]));
    assert!(table.contains("alert_cmd_bridge"), "{table}");
    assert!(
        table.contains(&format!("baton approve {id} alert_cmd_bridge")),
        "{table}"
    );

    let approved = at(
        &url,
        &[
            "approve",
            &id,
            "alert_cmd_bridge",
            "--comment",
            "looks fine",
            "--output",
            "ticket=OPS-7",
        ],
    );
    ok(&approved);
    let w = eventually("the run to end", || {
        let w = status(&url, &id);
        (w["status"] != "RUNNING").then_some(w)
    });
    assert_eq!(w["status"], "COMPLETED", "{w}");
    let alert = w["tasks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["ref_name"] == "alert_cmd_bridge"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(alert["output"]["comment"], "looks fine", "{alert}");
    assert_eq!(alert["output"]["ticket"], "OPS-7", "{alert}");
    let logs = ok(&at(&url, &["logs", &id]));
    assert!(logs.contains("approved by admin (L0"), "{logs}");
    assert!(logs.contains("'looks fine'"), "{logs}");
    // Deciding again is refused and says why.
    let again = at(&url, &["reject", &id, "alert_cmd_bridge"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("COMPLETED"));
    stop(child);
}

#[test]
fn a_debug_run_is_stepped_task_by_task() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("baton.db");
    let (child, url) = inventory_server(&db);
    let id = ok(&at(
        &url,
        &[
            "start",
            "inventory-validation-v1",
            "--mode",
            "debug",
            "--input",
            "target_folder=.",
            "--input",
            "policy_file=examples/policy.yaml",
        ],
    ))
    .trim()
    .to_string();
    let mut steps = Vec::new();
    loop {
        // Wait until the run either ended or pauses with nothing running.
        let w = eventually("the run to pause or end", || {
            let w = status(&url, &id);
            let tasks = w["tasks"].as_array().cloned().unwrap_or_default();
            // A JOIN waiting for its branches is not work in flight.
            let running = tasks.iter().any(|t| {
                t.get("hold").is_none()
                    && t["task_type"] != "JOIN"
                    && matches!(t["status"].as_str(), Some("SCHEDULED" | "IN_PROGRESS"))
            });
            let held = tasks.iter().any(|t| t.get("hold").is_some());
            (w["status"] != "RUNNING" || (held && !running)).then_some(w)
        });
        if w["status"] != "RUNNING" {
            assert_eq!(w["status"], "COMPLETED", "{w}");
            break;
        }
        let next = w["tasks"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t.get("hold").is_some()))
            .map(|t| t["ref_name"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        let shown = ok(&at(&url, &["inspect", &id]));
        assert!(shown.contains(&format!("next: {next}")), "{shown}");
        assert!(shown.contains("resolved input"), "{shown}");
        if steps.is_empty() {
            // Verbs that take a task take its reference name: a wrong one is refused
            // with the name in the message, the right one changes that task's input.
            let wrong = at(&url, &["step", &id, "--task", "no_such_task"]);
            assert!(!wrong.status.success(), "a wrong ref is refused");
            let said = String::from_utf8_lossy(&wrong.stderr);
            assert!(said.contains("no_such_task"), "{said}");
            ok(&at(
                &url,
                &[
                    "inspect",
                    &id,
                    "--task",
                    &next,
                    "--set-input",
                    "note=by-ref",
                ],
            ));
            let w = status(&url, &id);
            let task = w["tasks"]
                .as_array()
                .and_then(|t| t.iter().find(|t| t["ref_name"] == next.as_str()))
                .cloned()
                .unwrap_or_default();
            assert_eq!(task["input"]["note"], "by-ref", "{w}");
        }
        ok(&at(&url, &["step", &id, "--task", &next]));
        steps.push(next);
        assert!(steps.len() <= 10, "too many steps: {steps:?}");
    }
    assert_eq!(
        steps.len(),
        4,
        "scan, policy, compliance and the receipt each take one step: {steps:?}"
    );
    assert_eq!(steps.last().map(String::as_str), Some("generate_receipt"));
    let logs = ok(&at(&url, &["logs", &id]));
    assert_eq!(logs.matches("stepped").count(), 4, "{logs}");
    stop(child);
}

#[test]
fn a_waiting_human_task_is_canceled_from_the_cli() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("baton.db");
    let (child, url) = inventory_server(&db);
    let def = dir.path().join("ask.workflow.yaml");
    std::fs::write(
        &def,
        "workflow:\n  id: ask\n  tasks:\n    - id: sign_off\n      type: HUMAN\n      wait_for_approval: true\n      timeout: 1h\n",
    )
    .expect("write");
    ok(&at(
        &url,
        &["def", "register", def.to_str().expect("utf-8")],
    ));
    let id = ok(&at(&url, &["start", "ask"])).trim().to_string();
    eventually("the HUMAN task to wait", || {
        let list = json(&at(&url, &["approvals", "--json", "--workflow", &id]));
        list.as_array().is_some_and(|l| !l.is_empty()).then_some(())
    });
    let wrong = at(&url, &["cancel", &id, "nope"]);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
    ok(&at(
        &url,
        &["cancel", &id, "sign_off", "--reason", "not needed any more"],
    ));
    let w = status(&url, &id);
    assert_eq!(w["status"], "FAILED", "{w}");
    assert_eq!(w["tasks"][0]["status"], "CANCELED", "{w}");
    let logs = ok(&at(&url, &["logs", &id]));
    assert!(logs.contains("sign_off: canceled by admin (L0"), "{logs}");
    assert!(logs.contains("'not needed any more'"), "{logs}");
    stop(child);
}
