//! Crash safety: SIGKILL `baton run` at random points, run it again on the same database,
//! and check that nothing committed was lost or applied twice, and that each attempt a
//! kill interrupted was counted as a failed one (then retried).

use baton_core::{Event, TaskResultStatus, WorkflowStatus, replay};
use baton_store::prelude::*;
use baton_store::{Reader, WorkflowFilter, sqlite::SqliteReader};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const N: u64 = 60;

fn data(name: &str) -> String {
    format!("{}/tests/data/crash/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn baton_run(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baton"));
    c.args([
        "run",
        &data("fanout.json"),
        "--input-file",
        &data("input.json"),
        "--runners",
        &data("runners.yaml"),
        "--quiet",
    ])
    .arg("--db")
    .arg(db)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    c
}

/// A small deterministic generator (the seed is printed, so a failure can be replayed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

#[test]
fn sigkill_at_random_points_loses_nothing_and_applies_nothing_twice() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    eprintln!("seed {seed}");
    let mut rng = Lcg(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("crash.db");

    let mut kills = 0;
    for _ in 0..3 {
        // A run that completed before the kill landed is done: running the definition
        // again would rightly start a new run.
        if parent_completed(&db) {
            break;
        }
        let mut child = baton_run(&db).spawn().expect("spawn baton run");
        // The first kill comes early, so every run of this test crashes at least once.
        let wait = if kills == 0 {
            Duration::from_millis(40 + rng.next(160))
        } else {
            Duration::from_millis(100 + rng.next(500))
        };
        let started = Instant::now();
        let mut finished = false;
        while started.elapsed() < wait {
            if child.try_wait().expect("try_wait").is_some() {
                finished = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if finished {
            break;
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        kills += 1;
    }
    eprintln!("killed the run {kills} times");
    assert!(
        kills >= 1,
        "the run finished before the first kill; nothing was tested"
    );

    // Run again on the same database until it finishes; it resumes the unfinished run.
    if !parent_completed(&db) {
        let out = baton_run(&db).output().expect("final run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "final run failed: {stderr}");
        let output: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("output is JSON");
        assert_eq!(
            output,
            serde_json::json!({"sum": N * (N - 1)}),
            "printed output"
        );
    }

    let reader =
        baton_runtime::CaughtUpReader::new(Box::new(SqliteReader::open(&db).expect("reader")));
    let all = reader
        .list_workflows(&WorkflowFilter::default())
        .expect("list");
    let parents: Vec<_> = all.iter().filter(|w| w.parent_id.is_none()).collect();
    assert_eq!(
        parents.len(),
        1,
        "the re-runs resumed the same workflow instead of starting new ones"
    );
    let parent = reader
        .workflow(&parents[0].id)
        .expect("read")
        .expect("parent");
    assert_eq!(
        parent.state.output,
        serde_json::json!({"sum": N * (N - 1)}),
        "every child's result arrived exactly once"
    );
    assert_eq!(all.len() as u64, 1 + N, "one parent and {N} children");
    let mut interrupted: HashMap<String, usize> = HashMap::new();
    for w in &all {
        for task in check_workflow(&reader, &w.id) {
            *interrupted.entry(task).or_default() += 1;
        }
    }
    eprintln!("attempts interrupted by a kill, by task: {interrupted:?}");
}

fn parent_completed(db: &Path) -> bool {
    if !db.exists() {
        return false;
    }
    let Ok(reader) = SqliteReader::open(db) else {
        return false;
    };
    let filter = WorkflowFilter {
        statuses: vec![WorkflowStatus::Completed],
        ..Default::default()
    };
    reader
        .list_workflows(&filter)
        .is_ok_and(|ws| ws.iter().any(|w| w.parent_id.is_none()))
}

/// Checks one workflow; returns the tasks whose attempts a kill interrupted (one entry
/// per attempt).
fn check_workflow(reader: &dyn Reader, id: &str) -> Vec<String> {
    let stored = reader.workflow(id).expect("read").expect("exists");
    assert_eq!(
        stored.meta.status,
        WorkflowStatus::Completed,
        "{id}: {:?}",
        stored.state.reason
    );
    let history = reader.history(id).expect("history");
    assert_eq!(
        history.len() as u64,
        stored.history_len,
        "{id}: history length"
    );
    for (i, e) in history.iter().enumerate() {
        assert_eq!(e.seq, i as u64, "{id}: history has no gaps");
    }
    let def = reader
        .definition(&stored.meta.def_hash)
        .expect("read")
        .expect("definition");
    // Validated when the run started; replay reads it back as the engine does.
    let def = baton_model::ValidatedDef::from_store(def);
    let replayed = replay(&def, id, history.iter().map(|e| (&e.event, e.at)));
    assert_eq!(
        replayed, stored.state,
        "{id}: replaying the history gives the stored snapshot"
    );
    // A kill interrupts the attempts that were running: each is a failed attempt (the
    // task's retries, immediate here, finish the work); no other failure happens.
    let mut interrupted = Vec::new();
    for t in &stored.state.tasks {
        if t.status == baton_core::TaskStatus::Failed {
            interrupted.push(t.def_ref.clone());
            assert_eq!(
                t.reason.as_deref(),
                Some(
                    "the attempt was interrupted: baton stopped while its local runner `baton-local` ran it"
                ),
                "{id}: {}",
                t.ref_name
            );
        }
    }
    let mut results: HashMap<&str, usize> = HashMap::new();
    for e in &history {
        if let Event::TaskUpdated {
            task_id, status, ..
        } = &e.event
            && *status != TaskResultStatus::InProgress
        {
            *results.entry(task_id.as_str()).or_default() += 1;
        }
    }
    for (task, n) in results {
        assert_eq!(n, 1, "{id}: the result of {task} was applied {n} times");
    }
    interrupted
}
