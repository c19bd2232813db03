//! Folder agents end to end: a workflow whose steps two folder agents do, each a
//! separate process (`baton agent serve` around a Python script, and a raw Python folder
//! agent), with a malformed result, a late duplicate, an attempt never answered (timeout,
//! retry, success), and a SIGKILL of Baton while an agent works, followed by
//! `baton resume`. At the end the workflow is right, nothing was lost or done twice,
//! and every rejected file has its `.error` note.

mod common;

use baton_store::prelude::*;
use baton_store::{WorkflowFilter, sqlite::SqliteReader};
use common::baton;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/folder")
        .join(name)
}

/// Kills a child process when dropped (agents run until killed).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                // Hidden names are files being written (temp + rename).
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits until `cond` holds, at most `limit`.
fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn reader(db: &Path) -> baton_runtime::CaughtUpReader {
    baton_runtime::CaughtUpReader::new(Box::new(SqliteReader::open(db).expect("reader")))
}

#[test]
fn two_folder_agents_survive_bad_results_a_timeout_and_a_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for f in ["workflow.yaml", "scanner.py", "reviewer.py"] {
        std::fs::copy(data(f), root.join(f)).expect("copy");
    }
    std::fs::create_dir_all(root.join("files")).expect("mkdir");
    for (name, text) in [
        ("a.txt", "alpha\n"),
        ("b.csv", "x,y\n1,2\n"),
        ("c.md", "# c\n"),
    ] {
        std::fs::write(root.join("files").join(name), text).expect("write");
    }
    let scanner_dir = root.join("agents/scanner");
    let reviewer_dir = root.join("agents/reviewer");

    let _scanner = Killed(
        baton()
            .current_dir(root)
            .args([
                "agent",
                "serve",
                "--root",
                "agents/scanner",
                "--rescan",
                "200ms",
            ])
            .args(["--", "python3", "scanner.py"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn baton agent serve"),
    );
    let _reviewer = Killed(
        Command::new("python3")
            .current_dir(root)
            .args(["reviewer.py", "agents/reviewer"])
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn reviewer.py"),
    );

    let db = root.join("run.db");
    let mut run = baton()
        .current_dir(root)
        .args(["run", "workflow.yaml", "--quiet", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(root.join("run.err")).expect("log file"))
        .spawn()
        .expect("spawn baton run");

    // The scanner works on `publish` (for 5 s) once the review is through its three
    // attempts, and the reviewer's late files have been rejected.
    let publishing = || {
        files_in(&scanner_dir.join("1N"))
            .iter()
            .any(|n| n.starts_with("task-") && runs_log(root).contains("publish "))
    };
    wait_for(Duration::from_secs(60), "the publish task to start", || {
        if let Some(status) = run.try_wait().expect("try_wait") {
            panic!(
                "baton run exited early: {status}: {}",
                std::fs::read_to_string(root.join("run.err")).unwrap_or_default()
            );
        }
        publishing()
    });
    wait_for(Duration::from_secs(20), "three rejected files", || {
        rejected_files(&reviewer_dir).len() >= 3
    });
    assert!(
        files_in(&scanner_dir.join("0UT")).is_empty(),
        "publish is still being worked when Baton is killed"
    );
    run.kill().expect("SIGKILL baton run");
    let _ = run.wait();

    // The agent lives on and answers while Baton is down.
    wait_for(Duration::from_secs(30), "the publish result", || {
        files_in(&scanner_dir.join("0UT"))
            .iter()
            .any(|n| n.starts_with("result-"))
    });
    let id = {
        let all = reader(&db)
            .list_workflows(&WorkflowFilter::default())
            .expect("list");
        assert_eq!(all.len(), 1);
        all[0].id.clone()
    };
    let resumed = baton()
        .current_dir(root)
        .args(["resume", &id, "--quiet", "--db"])
        .arg(&db)
        .output()
        .expect("baton resume");
    let out = common::ok(&resumed);
    let output: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(output["published"], 3, "{out}");

    // The run.
    let r = reader(&db);
    let stored = r.workflow(&id).expect("read").expect("workflow");
    assert_eq!(stored.meta.status.as_str(), "COMPLETED");
    let attempts = |reference: &str| -> Vec<(String, Option<String>, String)> {
        stored
            .state
            .tasks
            .iter()
            .filter(|t| t.ref_name == reference)
            .map(|t| {
                (
                    t.status.as_str().to_owned(),
                    t.reason.clone(),
                    t.task_id.clone(),
                )
            })
            .collect()
    };
    assert_eq!(attempts("scan").len(), 1, "scan ran once");
    let publish = attempts("publish");
    assert_eq!(
        publish.len(),
        1,
        "the kill did not fail the folder agent's attempt: {publish:?}"
    );
    assert_eq!(publish[0].0, "COMPLETED");
    let review = attempts("review");
    let statuses: Vec<&str> = review.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(statuses, ["FAILED", "FAILED", "COMPLETED"], "{review:?}");
    let reason = |i: usize| review[i].1.clone().unwrap_or_default();
    assert!(reason(0).contains("timed out"), "{}", reason(0));
    assert!(reason(1).contains("malformed"), "{}", reason(1));
    let logs = r.task_logs(&review[2].2).expect("logs");
    assert!(
        logs.iter().any(|(_, l)| l == "reviewed on attempt 2"),
        "the result's logs went into the task log: {logs:?}"
    );

    // Nothing done twice: the scanner ran scan and publish once each.
    let runs = runs_log(root);
    assert_eq!(runs.matches("scan ").count(), 1, "{runs}");
    assert_eq!(runs.matches("publish ").count(), 1, "{runs}");
    assert_eq!(
        std::fs::read_to_string(root.join("report.txt"))
            .expect("report")
            .lines()
            .count(),
        3
    );

    // The folders: inboxes and outboxes empty, everything archived or rejected.
    for agent in [&scanner_dir, &reviewer_dir] {
        assert!(files_in(&agent.join("1N")).is_empty(), "{agent:?} 1N");
        assert!(files_in(&agent.join("0UT")).is_empty(), "{agent:?} 0UT");
    }
    let archive = files_in(&reviewer_dir.join("archive"));
    assert_eq!(
        archive.iter().filter(|n| n.ends_with(".note")).count(),
        1,
        "attempt 0's task file was withdrawn with a note: {archive:?}"
    );
    let rejected = rejected_files(&reviewer_dir);
    let notes: Vec<String> = rejected
        .iter()
        .map(|n| {
            std::fs::read_to_string(reviewer_dir.join("rejected").join(format!("{n}.error")))
                .unwrap_or_else(|_| panic!("{n} has its .error note"))
        })
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert!(
        notes
            .iter()
            .all(|n| n.contains("what is wrong:") && n.contains("expected:"))
    );
    for want in ["not valid JSON", "a duplicate", "already ended"] {
        assert!(
            notes.iter().any(|n| n.contains(want)),
            "a note says `{want}`: {notes:#?}"
        );
    }
    assert!(rejected_files(&scanner_dir).is_empty());
}

fn runs_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("runs.log")).unwrap_or_default()
}

/// Files in `rejected/` other than the `.error` notes.
fn rejected_files(agent: &Path) -> Vec<String> {
    files_in(&agent.join("rejected"))
        .into_iter()
        .filter(|n| !n.ends_with(".error"))
        .collect()
}

/// The README's ten-line Python agent works as printed.
#[test]
fn the_readme_python_agent_answers_tasks() {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).expect("README");
    let code = readme
        .split("A folder agent in Python, in ten lines")
        .nth(1)
        .and_then(|rest| rest.split("```python\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows the agent");
    assert!(code.trim().lines().count() <= 10, "{code}");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("agent.py"), code).expect("write");
    std::fs::write(
        root.join("wf.yaml"),
        "workflow:\n  id: readme-agent\n  name: readme_agent\n  version: 1\n  runners:\n    greet: {folder: {root: agents/greeter, format: json, timeout: 30s}}\n  tasks:\n    - id: greet\n      type: SIMPLE\n      input: {name: Ada}\n",
    )
    .expect("write");
    for d in ["1N", "0UT"] {
        std::fs::create_dir_all(root.join("agents/greeter").join(d)).expect("mkdir");
    }
    let _agent = Killed(
        Command::new("python3")
            .current_dir(root)
            .args(["agent.py", "agents/greeter"])
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn the README agent"),
    );
    let out = baton()
        .current_dir(root)
        .args(["run", "wf.yaml", "--quiet", "--db", "r.db"])
        .output()
        .expect("baton run");
    let output: serde_json::Value = serde_json::from_str(&common::ok(&out)).expect("JSON");
    assert_eq!(output["seen"], serde_json::json!({"name": "Ada"}));
}

/// `baton agent serve` answers each task file once, and a restarted agent does not
/// answer again what it (or anyone) already answered.
#[test]
fn a_restarted_agent_never_answers_a_task_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let inbox = root.join("agent/1N");
    let outbox = root.join("agent/0UT");
    std::fs::create_dir_all(&inbox).expect("mkdir");
    std::fs::create_dir_all(&outbox).expect("mkdir");
    std::fs::write(
        root.join("work.py"),
        "import json, sys\ntask = json.load(sys.stdin)\nopen('ran.log', 'a').write(task['task_id'] + '\\n')\nprint(json.dumps({'n': task['input']['n'] * 2}))\n",
    )
    .expect("write");
    let task = |wf: &str, n: u32| {
        format!(
            "workflow_id: {wf}\ntask_id: {wf}-t0\ntask_ref: double\ntask_name: double\nattempt: 0\nissued_at: \"2026-01-01T00:00:00Z\"\ndeadline: \"2999-01-01T00:00:00Z\"\ninput: {{n: {n}}}\n"
        )
    };
    // One task already answered (as if by an agent killed after writing its result),
    // one not yet.
    std::fs::write(inbox.join("task-w1-w1-t0.yaml"), task("w1", 1)).expect("write");
    std::fs::write(
        outbox.join("result-w1-w1-t0.yaml"),
        "status: COMPLETED\noutput: {n: 2}\n",
    )
    .expect("write");
    std::fs::write(inbox.join("task-w2-w2-t0.yaml"), task("w2", 21)).expect("write");
    let serve = || {
        Killed(
            baton()
                .current_dir(root)
                .args(["agent", "serve", "--root", "agent", "--rescan", "100ms"])
                .args(["--", "python3", "work.py"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn baton agent serve"),
        )
    };
    let agent = serve();
    let answer = outbox.join("result-w2-w2-t0.yaml");
    wait_for(Duration::from_secs(30), "the answer", || answer.exists());
    let text = std::fs::read_to_string(&answer).expect("read");
    assert!(
        text.contains("status: COMPLETED") && text.contains(": 42"),
        "{text}"
    );
    drop(agent);
    let again = serve();
    std::thread::sleep(Duration::from_millis(1500));
    drop(again);
    assert_eq!(
        std::fs::read_to_string(root.join("ran.log")).expect("ran"),
        "w2-t0\n",
        "each task ran once, across the restart; the answered one never"
    );
}
