//! The `exec` runner against real processes.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_runners::{Runner, RunnerConfig, Runners};
use common::{completed, failed, req, run, run_with};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Builds the runner for `queue` from a YAML runner file rooted at `dir`.
fn runner_from(yaml: &str, dir: &Path, queue: &str) -> Arc<dyn Runner> {
    let cfg = RunnerConfig::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}"));
    let mut runners = Runners::new();
    runners
        .load_config(&cfg, dir)
        .unwrap_or_else(|e| panic!("{e}"));
    runners
        .get(queue)
        .unwrap_or_else(|| panic!("no runner for {queue}"))
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn write_script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn argv_command_relative_to_base_dir_gets_stdin_and_env() {
    let dir = tempdir();
    write_script(
        dir.path(),
        "agent.sh",
        "#!/bin/sh\nread -r task\nprintf '{\"task\": %s, \"wf\": \"%s\", \"tid\": \"%s\", \"ref\": \"%s\", \"attempt\": \"%s\", \"x\": \"%s\", \"n\": \"%s\", \"mode\": \"%s\", \"arg\": \"%s\", \"pwd\": \"%s\"}' \\\n  \"$task\" \"$BATON_WORKFLOW_ID\" \"$BATON_TASK_ID\" \"$BATON_TASK_REF\" \"$BATON_ATTEMPT\" \"$BATON_INPUT_x\" \"$BATON_INPUT_n\" \"$MODE\" \"$1\" \"$(pwd)\"\n",
    );
    let yaml = "runners:\n  python.prep:\n    exec:\n      command: [\"./agent.sh\", \"first\"]\n      env: {MODE: fast}\n      timeout: 20s\n";
    let runner = runner_from(yaml, dir.path(), "python.prep");
    let mut request = req(
        "python.prep",
        json!({"x": "hello", "n": 42, "deep": {"a": 1}}),
    );
    request.attempt = 2;
    let out = completed(run(&runner, request).await);
    assert_eq!(out["task"]["workflowId"], "wf-1");
    assert_eq!(out["task"]["taskId"], "task-1");
    assert_eq!(out["task"]["refName"], "ref_1");
    assert_eq!(out["task"]["queue"], "python.prep");
    assert_eq!(out["task"]["attempt"], 2);
    assert_eq!(
        out["task"]["input"],
        json!({"x": "hello", "n": 42, "deep": {"a": 1}})
    );
    assert_eq!(out["wf"], "wf-1");
    assert_eq!(out["tid"], "task-1");
    assert_eq!(out["ref"], "ref_1");
    assert_eq!(out["attempt"], "2");
    assert_eq!(out["x"], "hello");
    assert_eq!(out["n"], "42");
    assert_eq!(out["mode"], "fast");
    assert_eq!(out["arg"], "first");
    let pwd = std::fs::canonicalize(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out["pwd"], pwd.display().to_string());
}

#[tokio::test]
async fn string_command_runs_via_sh_and_non_objects_become_result() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("data")).unwrap_or_else(|e| panic!("{e}"));
    for f in ["a.txt", "b.txt"] {
        std::fs::write(dir.path().join("data").join(f), "").unwrap_or_else(|e| panic!("{e}"));
    }
    let yaml = r#"runners:
  scan_files:
    exec: {command: "printf '['; ls -1 ${BATON_INPUT_folder} | sed 's/.*/\"&\"/' | paste -sd, -; printf ']'"}
  empty:
    exec: {command: "true"}
"#;
    let runner = runner_from(yaml, dir.path(), "scan_files");
    let out = completed(run(&runner, req("scan_files", json!({"folder": "data"}))).await);
    assert_eq!(out, json!({"result": ["a.txt", "b.txt"]}));
    let empty = runner_from(yaml, dir.path(), "empty");
    assert_eq!(
        completed(run(&empty, req("empty", json!({}))).await),
        json!({})
    );
}

#[tokio::test]
async fn non_json_stdout_fails() {
    let dir = tempdir();
    let runner = runner_from(
        "runners:\n  t:\n    exec: {command: \"echo hello world\"}\n",
        dir.path(),
        "t",
    );
    let outcome = run(&runner, req("t", json!({}))).await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.starts_with("stdout is not JSON"), "{reason}");
    assert!(
        reason.contains("stdout starts with: hello world"),
        "{reason}"
    );
    assert!(!terminal);
}

#[tokio::test]
async fn non_zero_exit_reports_code_and_stderr_tail() {
    let dir = tempdir();
    let yaml = "runners:\n  t:\n    exec: {command: \"for i in $(seq 1 50); do echo line$i >&2; done; exit 3\"}\n";
    let runner = runner_from(yaml, dir.path(), "t");
    let outcome = run(&runner, req("t", json!({}))).await;
    let (reason, _) = failed(&outcome);
    assert!(reason.starts_with("exit code 3: "), "{reason}");
    assert!(reason.contains("line50"), "{reason}");
    assert!(reason.contains("line31"), "{reason}");
    assert!(
        !reason.contains("line30\n"),
        "only the last 20 lines: {reason}"
    );
    assert_eq!(outcome.output()["exitCode"], 3);
    let quiet = runner_from(
        "runners:\n  t:\n    exec: {command: \"exit 1\"}\n",
        dir.path(),
        "t",
    );
    let outcome = run(&quiet, req("t", json!({}))).await;
    assert_eq!(failed(&outcome).0, "exit code 1 (no stderr)");
}

#[tokio::test]
async fn killed_by_signal_is_named() {
    let dir = tempdir();
    let runner = runner_from(
        "runners:\n  t:\n    exec: {command: \"kill -9 $$\"}\n",
        dir.path(),
        "t",
    );
    let outcome = run(&runner, req("t", json!({}))).await;
    assert!(
        failed(&outcome)
            .0
            .starts_with("killed by signal SIGKILL (9)"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn missing_executable_and_missing_cwd_fail_clearly() {
    let dir = tempdir();
    let runner = runner_from(
        "runners:\n  t:\n    exec: {command: [\"baton-no-such-program-xyz\", \"a\"]}\n",
        dir.path(),
        "t",
    );
    let outcome = run(&runner, req("t", json!({}))).await;
    let (reason, _) = failed(&outcome);
    assert!(
        reason.contains("executable `baton-no-such-program-xyz` not found"),
        "{reason}"
    );

    let runner = runner_from(
        "runners:\n  t:\n    exec: {command: \"true\", cwd: nowhere}\n",
        dir.path(),
        "t",
    );
    let outcome = run(&runner, req("t", json!({}))).await;
    let (reason, _) = failed(&outcome);
    assert!(
        reason.contains("working directory") && reason.contains("does not exist"),
        "{reason}"
    );
}

/// Whether `pid` is gone (or a zombie awaiting its reaper).
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Waits (up to 10 s) for `path` to hold a pid.
async fn read_pid(path: &Path) -> u32 {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no pid written");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_gone(pid: u32) {
    let start = Instant::now();
    while !process_gone(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "grandchild {pid} still alive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let dir = tempdir();
    let yaml = "runners:\n  t:\n    exec:\n      command: \"sleep 30 & echo $! > child.pid; echo started >&2; wait\"\n      timeout: 700ms\n";
    let runner = runner_from(yaml, dir.path(), "t");
    let started = Instant::now();
    let outcome = run(&runner, req("t", json!({}))).await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.starts_with("timed out after 700ms"), "{reason}");
    assert!(
        reason.contains("started"),
        "stderr tail in the reason: {reason}"
    );
    assert!(!terminal);
    assert!(started.elapsed() < Duration::from_secs(10));
    let pid = read_pid(&dir.path().join("child.pid")).await;
    assert_gone(pid).await;
}

#[tokio::test]
async fn cancellation_kills_the_group_and_reports_canceled() {
    let dir = tempdir();
    let yaml = "runners:\n  t:\n    exec: {command: \"sleep 30 & echo $! > child.pid; wait\"}\n";
    let runner = runner_from(yaml, dir.path(), "t");
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let pid_file = dir.path().join("child.pid");
    let canceller = tokio::spawn(async move {
        let pid = read_pid(&pid_file).await;
        trigger.cancel();
        pid
    });
    let outcome = run_with(&runner, req("t", json!({})), cancel).await;
    let (reason, terminal) = failed(&outcome);
    assert_eq!(reason, "canceled");
    assert!(!terminal);
    let pid = canceller.await.unwrap_or_else(|e| panic!("{e}"));
    assert_gone(pid).await;
}

#[tokio::test]
async fn dropping_the_future_kills_the_group() {
    let dir = tempdir();
    let yaml = "runners:\n  t:\n    exec: {command: \"sleep 30 & echo $! > child.pid; wait\"}\n";
    let runner = runner_from(yaml, dir.path(), "t");
    let fut = runner.run(req("t", json!({})), CancellationToken::new());
    let pid_file = dir.path().join("child.pid");
    let raced = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::select! {
            _ = fut => None,
            pid = read_pid(&pid_file) => Some(pid),
        }
    })
    .await;
    let pid = raced
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the command ended early"));
    assert_gone(pid).await;
}

#[tokio::test]
async fn a_background_child_holding_stdout_does_not_hang_the_task() {
    let dir = tempdir();
    let yaml = "runners:\n  t:\n    exec: {command: \"sleep 30 & echo $! > child.pid; echo '{\\\"ok\\\": true}'\"}\n";
    let runner = runner_from(yaml, dir.path(), "t");
    let started = Instant::now();
    let out = completed(run(&runner, req("t", json!({}))).await);
    assert_eq!(out, json!({"ok": true}));
    assert!(started.elapsed() < Duration::from_secs(15));
    let pid = read_pid(&dir.path().join("child.pid")).await;
    assert_gone(pid).await;
}

#[tokio::test]
async fn huge_stdout_is_capped() {
    let dir = tempdir();
    let yaml = "runners:\n  t:\n    exec: {command: \"head -c 20000000 /dev/zero\"}\n";
    let runner = runner_from(yaml, dir.path(), "t");
    let outcome = run(&runner, req("t", json!({}))).await;
    assert!(
        failed(&outcome).0.contains("stdout exceeded 16 MiB"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn large_stdin_does_not_deadlock() {
    let dir = tempdir();
    // The script writes a lot before reading its stdin: both pipes must flow at once.
    write_script(
        dir.path(),
        "big.sh",
        "#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\0' a >&2\nn=$(wc -c)\nprintf '{\"bytes\": %s, \"env\": \"%s\"}' $n \"${BATON_INPUT_big:-absent}\"\n",
    );
    let yaml = "runners:\n  t:\n    exec: {command: [./big.sh]}\n";
    let runner = runner_from(yaml, dir.path(), "t");
    let big = "x".repeat(500_000);
    let out = completed(run(&runner, req("t", json!({"big": big}))).await);
    let n = out["bytes"].as_u64().unwrap_or(0);
    assert!(n > 500_000, "{out}");
    // Too big for an environment variable: only on stdin.
    assert_eq!(out["env"], "absent");
}
