//! `baton resume` binds the runners the run was started with: the command `baton run`
//! prints after Ctrl-C works exactly as printed, and a run with a task no runner serves
//! is refused up front with exit 2, changing nothing.

mod common;

use common::{baton, ok};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const SLOW: &str = "workflow:
  id: slow
  name: slow
  version: 1
  tasks:
    - id: first
      type: SIMPLE
    - id: second
      type: SIMPLE
";

const RUNNERS: &str = "runners:
  first: {exec: {command: [\"sh\", \"agents/slow.sh\"]}}
  second: {exec: {command: [\"sh\", \"agents/slow.sh\"]}}
";

fn setup(dir: &Path) {
    std::fs::create_dir_all(dir.join("agents")).expect("mkdir");
    std::fs::write(dir.join("wf.yaml"), SLOW).expect("write");
    std::fs::write(dir.join("runners.yaml"), RUNNERS).expect("write");
    std::fs::write(
        dir.join("agents/slow.sh"),
        "sleep 1\necho \"{\\\"by\\\": \\\"$BATON_TASK_REF\\\"}\"\n",
    )
    .expect("write");
}

#[test]
fn the_printed_resume_command_finishes_the_run_with_its_runners() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    setup(root);
    let run = baton()
        .current_dir(root)
        .args([
            "run",
            "wf.yaml",
            "--runners",
            "runners.yaml",
            "--db",
            "r.db",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    // Interrupt while `first` runs.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !root.join("r.db").exists() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(600));
    let pid = run.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let out = run.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "Ctrl-C exits 130");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hint = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("baton resume "))
        .unwrap_or_else(|| panic!("a resume hint: {stderr}"))
        .to_string();
    // Paste it exactly (from the same folder), without --runners.
    let args: Vec<&str> = hint.split_whitespace().skip(1).collect();
    let resumed = baton()
        .current_dir(root)
        .args(&args)
        .output()
        .expect("resume");
    let printed = ok(&resumed);
    assert!(printed.contains("\"by\": \"second\""), "{printed}");
    let status = ok(&baton()
        .current_dir(root)
        .args(["status", args[1], "--db", "r.db", "--json"])
        .output()
        .expect("status"));
    let view: serde_json::Value = serde_json::from_str(&status).expect("json");
    assert_eq!(view["status"], "COMPLETED", "{view}");
}

#[test]
fn a_run_with_an_unbound_task_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    setup(root);
    ok(&baton()
        .current_dir(root)
        .args(["def", "register", "wf.yaml", "--db", "r.db"])
        .output()
        .expect("register"));
    let id = ok(&baton()
        .current_dir(root)
        .args(["start", "slow", "--db", "r.db"])
        .output()
        .expect("start"))
    .trim()
    .to_string();
    let logs = |root: &Path| {
        ok(&baton()
            .current_dir(root)
            .args(["logs", &id, "--db", "r.db", "--json"])
            .output()
            .expect("logs"))
    };
    let before = logs(root);
    let refused = baton()
        .current_dir(root)
        .args(["resume", &id, "--db", "r.db"])
        .output()
        .expect("resume");
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("no runner for task type") && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(err.contains("--runners FILE"), "{err}");
    assert_eq!(logs(root), before, "the history is unchanged");
    // With the bindings it runs.
    let done = baton()
        .current_dir(root)
        .args(["resume", &id, "--db", "r.db", "--runners", "runners.yaml"])
        .output()
        .expect("resume");
    assert!(ok(&done).contains("second"));
}
