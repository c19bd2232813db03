//! The folder runner against real folders, with the agent played by the test.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baton_runners::folder::files::{FileFormat, TaskDocument};
use baton_runners::folder::{FolderRunner, FolderSpec};
use baton_runners::{AttemptLookup, AttemptState, Runner, RunnerConfig, TaskOutcome, TaskRequest};
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn spec(format: FileFormat, timeout: Duration) -> FolderSpec {
    FolderSpec {
        root: "agent".into(),
        format,
        timeout,
        rescan: Duration::from_millis(100),
    }
}

fn request(wf: &str, n: u32) -> TaskRequest {
    TaskRequest {
        workflow_id: wf.to_owned(),
        task_id: format!("{wf}-t{n}"),
        ref_name: "check".to_owned(),
        task_type: "SIMPLE".to_owned(),
        queue: "checker.check".to_owned(),
        attempt: n,
        input: json!({"path": "a.txt"}),
        agent_level: Some("L3".to_owned()),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                // Hidden names are files being written (temp + rename).
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Answers every lookup from a table (the engine's store in production).
#[derive(Default)]
struct Table(Mutex<Vec<(String, AttemptState)>>);

impl AttemptLookup for Table {
    fn attempt(&self, _workflow_id: &str, task_id: &str) -> AttemptState {
        let t = self.0.lock().expect("lock");
        t.iter()
            .find(|(id, _)| id == task_id)
            .map_or(AttemptState::Unknown, |(_, s)| s.clone())
    }
}

#[tokio::test]
async fn a_result_is_applied_and_both_files_archived() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = FolderRunner::new(
        "checker",
        spec(FileFormat::Json, Duration::from_secs(30)),
        dir.path(),
    );
    let root = dir.path().join("agent");
    let run = tokio::spawn(runner.run_logged(request("w1", 0), CancellationToken::new()));
    let task_file = root.join("1N/task-w1-w1-t0.json");
    until("the task file", || task_file.exists()).await;
    let doc: TaskDocument =
        serde_json::from_slice(&std::fs::read(&task_file).expect("read")).expect("task document");
    assert_eq!(doc.task_ref, "check");
    assert_eq!(doc.task_name, "checker.check");
    assert_eq!(doc.agent_level.as_deref(), Some("L3"));
    assert_eq!(doc.input, json!({"path": "a.txt"}));
    assert!(doc.deadline > doc.issued_at);
    // An agent answering in the other format is understood too.
    std::fs::write(
        root.join("0UT/result-w1-w1-t0.yaml"),
        "status: FAILED_WITH_TERMINAL_ERROR\nreason: no such file\noutput: {path: a.txt}\nlogs: [looked]\n",
    )
    .expect("write");
    let (outcome, logs) = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("answered")
        .expect("joined");
    assert_eq!(
        outcome,
        TaskOutcome::Failed {
            reason: "no such file".to_owned(),
            output: json!({"path": "a.txt"}),
            terminal: true
        }
    );
    assert_eq!(logs, vec!["looked".to_owned()]);
    assert_eq!(
        names(&root.join("archive")),
        ["result-w1-w1-t0.yaml", "task-w1-w1-t0.json"]
    );
    assert!(names(&root.join("1N")).is_empty() && names(&root.join("0UT")).is_empty());
}

#[tokio::test]
async fn the_deadline_withdraws_the_task_file_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = FolderRunner::new(
        "checker",
        spec(FileFormat::Yaml, Duration::from_millis(300)),
        dir.path(),
    );
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        runner.run(request("w2", 0), CancellationToken::new()),
    )
    .await
    .expect("timed out in time");
    let reason = outcome.reason().expect("failed").to_owned();
    assert!(
        reason.starts_with("timed out: folder agent `checker`"),
        "{reason}"
    );
    assert!(outcome_is_retryable(&outcome));
    let root = dir.path().join("agent");
    assert!(names(&root.join("1N")).is_empty());
    assert_eq!(
        names(&root.join("archive")),
        ["task-w2-w2-t0.yaml", "task-w2-w2-t0.yaml.note"]
    );
    let note = std::fs::read_to_string(root.join("archive/task-w2-w2-t0.yaml.note")).expect("note");
    assert!(note.contains("no result by the deadline"), "{note}");
}

fn outcome_is_retryable(o: &TaskOutcome) -> bool {
    matches!(
        o,
        TaskOutcome::Failed {
            terminal: false,
            ..
        }
    )
}

#[tokio::test]
async fn a_malformed_result_fails_its_live_attempt_and_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = FolderRunner::new(
        "checker",
        spec(FileFormat::Yaml, Duration::from_secs(30)),
        dir.path(),
    );
    let root = dir.path().join("agent");
    let fut = runner.run(request("w3", 0), CancellationToken::new());
    let run = tokio::spawn(fut);
    until("the task file", || {
        root.join("1N/task-w3-w3-t0.yaml").exists()
    })
    .await;
    std::fs::write(
        root.join("0UT/result-w3-w3-t0.yaml"),
        "status: DONE\noutput: {}\n",
    )
    .expect("write");
    let outcome = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("answered")
        .expect("joined");
    let reason = outcome.reason().expect("failed");
    assert!(
        reason.contains("malformed result: `status` is `DONE`"),
        "{reason}"
    );
    assert!(
        reason.contains("rejected/result-w3-w3-t0.yaml.error"),
        "{reason}"
    );
    assert_eq!(
        names(&root.join("rejected")),
        ["result-w3-w3-t0.yaml", "result-w3-w3-t0.yaml.error"]
    );
    let note =
        std::fs::read_to_string(root.join("rejected/result-w3-w3-t0.yaml.error")).expect("note");
    assert!(note.contains("expected: a mapping with `status`"), "{note}");
}

#[tokio::test]
async fn results_nobody_waits_for_are_rejected_or_kept_by_what_the_engine_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = FolderRunner::new(
        "checker",
        spec(FileFormat::Yaml, Duration::from_secs(30)),
        dir.path(),
    );
    let table = Arc::new(Table::default());
    table.0.lock().expect("lock").extend([
        (
            "w4-t1".to_owned(),
            AttemptState::Ended("COMPLETED".to_owned()),
        ),
        ("w4-t2".to_owned(), AttemptState::Live),
    ]);
    runner.attach(Arc::clone(&table) as Arc<dyn AttemptLookup>);
    let root = dir.path().join("agent");
    // A claim makes the folders and starts the watch.
    let first = tokio::spawn(runner.run(request("w4", 0), CancellationToken::new()));
    until("the folders", || root.join("0UT").is_dir()).await;
    let ok = "status: COMPLETED\noutput: {}\n";
    for name in [
        "result-w4-w4-t1.yaml", // its attempt ended
        "result-w4-w4-t2.yaml", // live, not claimed here: kept for its claim
        "result-w4-w4-t9.yaml", // no such task
        "notes.txt",            // not a result file at all
    ] {
        std::fs::write(root.join("0UT").join(name), ok).expect("write");
    }
    until("three rejections", || {
        names(&root.join("rejected")).len() == 6
    })
    .await;
    let note = |n: &str| std::fs::read_to_string(root.join("rejected").join(n)).expect("note");
    assert!(note("result-w4-w4-t1.yaml.error").contains("already ended (COMPLETED)"));
    assert!(note("result-w4-w4-t9.yaml.error").contains("no task `w4-t9`"));
    assert!(note("notes.txt.error").contains("does not name an attempt"));
    assert_eq!(names(&root.join("0UT")), ["result-w4-w4-t2.yaml"]);
    // The live attempt's claim takes its result at once.
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        runner.run(request("w4", 2), CancellationToken::new()),
    )
    .await
    .expect("answered");
    assert_eq!(outcome, TaskOutcome::completed(json!({})));
    first.abort();
}

#[tokio::test]
async fn a_second_claim_of_an_attempt_reuses_its_task_file_and_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = FolderRunner::new(
        "checker",
        spec(FileFormat::Yaml, Duration::from_secs(30)),
        dir.path(),
    );
    let root = dir.path().join("agent");
    let cancel = CancellationToken::new();
    let first = tokio::spawn(runner.run(request("w5", 0), cancel.clone()));
    let task_file = root.join("1N/task-w5-w5-t0.yaml");
    until("the task file", || task_file.exists()).await;
    let before = std::fs::read(&task_file).expect("read");
    cancel.cancel();
    assert_eq!(first.await.expect("joined"), TaskOutcome::canceled());
    assert!(
        task_file.exists(),
        "a canceled claim leaves the task with the agent"
    );
    let second = tokio::spawn(runner.run(request("w5", 0), CancellationToken::new()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        std::fs::read(&task_file).expect("read"),
        before,
        "not issued again"
    );
    std::fs::write(
        root.join("0UT/result-w5-w5-t0.yaml"),
        "status: COMPLETED\noutput: {n: 1}\n",
    )
    .expect("write");
    let outcome = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("answered")
        .expect("joined");
    assert_eq!(outcome, TaskOutcome::completed(json!({"n": 1})));
}

#[test]
fn folder_entries_are_checked() {
    let ok = RunnerConfig::from_yaml(
        "runners:\n  scanner: {folder: {root: agents/scanner, format: json, timeout: 1m}}\n",
    )
    .expect("valid");
    assert!(ok.runners.contains_key("scanner"));
    for (text, want) in [
        ("runners:\n  a: {folder: {}}\n", "folder needs a `root`"),
        (
            "runners:\n  a: {folder: {root: x, format: xml}}\n",
            "`yaml` or `json`",
        ),
        (
            "runners:\n  a: {folder: {root: x, poll: 1s}}\n",
            "unknown key `poll`",
        ),
        (
            "runners:\n  a: {folder: {root: x, timeout: soon}}\n",
            "`timeout`",
        ),
        (
            "runners:\n  a: {folder: {root: x, timeout: 0s}}\n",
            "longer than 0s",
        ),
        ("runners:\n  a: {folder: {root: [x]}}\n", "path string"),
    ] {
        let err = RunnerConfig::from_yaml(text).expect_err(text).to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
}
