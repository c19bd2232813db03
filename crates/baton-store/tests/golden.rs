//! Golden files of the persisted formats: what today's Baton writes, later Batons must
//! read forever. `tests/golden/*.json` are the serde JSON the store writes (history
//! events, a checkpoint, a queue row, a timer, a definition body) and
//! `tests/golden/sqlite_v4.sql` a database dump at schema version 4.
//!
//! The files were written once by
//! `BATON_BLESS=1 cargo test -p baton-store --test golden bless` and are committed. Do not re-bless them to make a test pass: a failure means stored
//! data would become unreadable. A new format gets a new file.
//!
//! The check tolerates new fields with serde defaults: each golden value must read back
//! into its type, and everything in the golden JSON must be present and equal in the
//! re-serialised value (which may have more).

use baton_core::{Event, QueuedTask, Timer, WorkflowState, WorkflowStatus};
use baton_model::WorkflowDef;
use baton_store::Store;
use baton_store::sqlite::{Durability, SqliteStore};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn read_golden(name: &str) -> String {
    let path = golden_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where `new` does not contain everything in `old` (None when it does).
fn missing(old: &Value, new: &Value, at: &str) -> Option<String> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => o.iter().find_map(|(k, v)| match n.get(k) {
            None => Some(format!("{at}.{k} is gone")),
            Some(nv) => missing(v, nv, &format!("{at}.{k}")),
        }),
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => o
            .iter()
            .zip(n)
            .enumerate()
            .find_map(|(i, (o, n))| missing(o, n, &format!("{at}[{i}]"))),
        _ if old == new => None,
        _ => Some(format!("{at} was {old}, is now {new}")),
    }
}

/// Reads golden JSON into `T` and checks re-serialising keeps all of it.
fn reads_back<T: DeserializeOwned + Serialize>(what: &str, golden: &Value) -> T {
    let value: T = serde_json::from_value(golden.clone())
        .unwrap_or_else(|e| panic!("golden {what} no longer reads: {e}\n{golden:#}"));
    let again = serde_json::to_value(&value).expect("serialise");
    if let Some(diff) = missing(golden, &again, what) {
        panic!("golden {what} does not survive a round trip: {diff}");
    }
    value
}

fn golden_json(name: &str) -> Value {
    serde_json::from_str(&read_golden(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every variant name of `Event`, from serde's own list (its unknown-variant error).
fn event_variants() -> Vec<String> {
    let err = serde_json::from_value::<Event>(json!({"event": "__no_such_event__"}))
        .expect_err("an unknown variant is refused");
    let msg = err.to_string();
    let list = msg
        .split_once("expected one of ")
        .map(|(_, l)| l)
        .unwrap_or_else(|| panic!("unexpected serde message: {msg}"));
    list.split(", ")
        .map(|v| {
            v.trim_matches(|c: char| c == '`' || c.is_whitespace())
                .to_string()
        })
        .filter(|v| !v.is_empty())
        .collect()
}

#[test]
fn every_golden_event_reads_back_and_every_variant_has_one() {
    let golden = golden_json("events.json");
    let events = golden.as_array().expect("events.json is an array");
    let mut seen = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let event: Event = reads_back(&format!("events[{i}]"), e);
        let again = serde_json::to_value(&event).expect("serialise");
        seen.push(again["event"].as_str().expect("tagged").to_string());
    }
    let variants = event_variants();
    assert!(variants.len() > 10, "variants found: {variants:?}");
    for v in &variants {
        assert!(
            seen.contains(v),
            "Event::{v} has no golden example in tests/golden/events.json: add one (as \
             today's code writes it) — never edit the existing ones"
        );
    }
}

#[test]
fn golden_checkpoint_reads_back() {
    let state: WorkflowState = reads_back("checkpoint", &golden_json("workflow_state.json"));
    let statuses: std::collections::HashSet<_> = state.tasks.iter().map(|t| t.status).collect();
    assert!(statuses.len() >= 4, "several task statuses: {statuses:?}");
    assert!(
        state.tasks.iter().any(|t| !t.control.is_empty()),
        "a control state"
    );
}

#[test]
fn golden_queue_row_and_timer_read_back() {
    let _: QueuedTask = reads_back("queued task", &golden_json("queued_task.json"));
    let _: Timer = reads_back("timer", &golden_json("timer.json"));
}

#[test]
fn golden_definition_reads_back() {
    let def: WorkflowDef = reads_back("definition", &golden_json("workflow_def.json"));
    assert!(!def.tasks.is_empty(), "it has tasks");
}

/// The golden database: one workflow mid-run (checkpoint after its first event, three
/// events), one queued task, one timer, written by the store at schema version 4.
#[test]
fn golden_sqlite_database_opens_and_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(&read_golden("sqlite_v4.sql"))
            .expect("load the dump");
    }
    let store = SqliteStore::open(&path, Durability::Full).expect("opens, migrations run");
    let reader = store.reader().expect("reader");
    let w = reader.workflow("g1").expect("read").expect("the workflow");
    assert_eq!(w.meta.status, WorkflowStatus::Running, "mid-run");
    assert_eq!(w.history_len, 3, "three events");
    assert_eq!(w.snapshot_seq, 1, "checkpoint after the first");
    assert_eq!(
        w.tail.iter().map(|e| (e.seq, e.at)).collect::<Vec<_>>(),
        vec![(1, 110), (2, 120)],
        "the tail is the events after the checkpoint"
    );
    let history = reader.history("g1").expect("history");
    assert_eq!(history.len(), 3, "the whole history");
    assert!(
        matches!(history[0].event, Event::WorkflowStarted { .. }),
        "it starts with WorkflowStarted"
    );
    let def = reader
        .definition(&w.meta.def_hash)
        .expect("read")
        .expect("its definition");
    let def = baton_model::ValidatedDef::from_store(def);
    let now = baton_core::catch_up(&def, w.state, w.tail.iter().map(|e| (&e.event, e.at)));
    assert_eq!(now.status, WorkflowStatus::Running, "still running");
    assert_eq!(
        now.tasks
            .iter()
            .map(|t| t.status.as_str())
            .collect::<Vec<_>>(),
        ["COMPLETED", "SCHEDULED"],
        "caught up: the first task done, the second queued"
    );
    assert_eq!(
        reader.queue_sizes().expect("sizes"),
        vec![("second".to_string(), 1)],
        "the second task is queued"
    );
    assert_eq!(
        reader.next_timer_due().expect("timer"),
        Some(100_000),
        "the workflow timeout is armed"
    );
}

// ---- Blessing: writes the files once. Run with BATON_BLESS=1. ----

fn blessing() -> bool {
    std::env::var_os("BATON_BLESS").is_some_and(|v| v == "1")
}

/// Passes `literal` through `T`, so the file is exactly what today's type writes.
fn through<T: DeserializeOwned + Serialize>(literal: Value) -> Value {
    let v: T = serde_json::from_value(literal.clone())
        .unwrap_or_else(|e| panic!("bless literal does not read: {e}\n{literal:#}"));
    serde_json::to_value(&v).expect("serialise")
}

fn write(name: &str, text: &str) {
    let path = golden_dir().join(name);
    std::fs::create_dir_all(golden_dir()).expect("mkdir");
    std::fs::write(&path, text).expect("write golden");
    eprintln!("blessed {}", path.display());
}

fn write_json(name: &str, v: &Value) {
    write(
        name,
        &format!("{}\n", serde_json::to_string_pretty(v).expect("json")),
    );
}

fn by(name: &str, role: &str) -> Value {
    json!({"name": name, "role": role})
}

fn golden_events() -> Vec<Value> {
    [
        json!({"event": "workflow_started", "input": {"n": 3, "who": "ada"},
               "correlation_id": "corr-1",
               "parent": {"workflow_id": "p1", "task_id": "p1-t2"}}),
        json!({"event": "task_started", "task_id": "w1-t0", "worker_id": "worker-a"}),
        json!({"event": "task_updated", "task_id": "w1-t0", "status": "IN_PROGRESS",
               "output": {"progress": 50}, "callback_after_ms": 5000, "worker_id": "worker-a"}),
        json!({"event": "task_updated", "task_id": "w1-t0", "status": "FAILED",
               "output": {}, "reason": "boom", "worker_id": "worker-a"}),
        json!({"event": "timer_fired", "timer": {"kind": "task_timeout", "task_id": "w1-t1", "fire_at": 9000}}),
        json!({"event": "human_decision", "task_id": "w1-t3", "approved": true,
               "by": by("grace", "L1"), "comment": "looks right"}),
        json!({"event": "child_workflow_ended", "task_id": "w1-t4", "child_id": "w1-t4-child",
               "status": "FAILED", "output": {"partial": true}, "reason": "child failed"}),
        json!({"event": "paused", "by": by("ops", "L0")}),
        json!({"event": "resumed", "by": by("ops", "L0")}),
        json!({"event": "terminated", "reason": "no longer needed", "by": by("ops", "L0")}),
        json!({"event": "retried", "by": by("baton", "L0")}),
        json!({"event": "restarted", "by": by("ops", "L0")}),
        json!({"event": "rerun", "from_task_id": "w1-t2", "task_input": {"x": 2},
               "by": by("ops", "L0")}),
        json!({"event": "rerun", "workflow_input": {"n": 4}, "by": by("ops", "L0")}),
        json!({"event": "task_skipped", "ref_name": "step__2", "by": by("ops", "L0")}),
    ]
    .into_iter()
    .map(through::<Event>)
    .collect()
}

fn golden_definition() -> WorkflowDef {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../baton-model/tests/data/conductor-defs/do_while_integration_test.json");
    let text = std::fs::read_to_string(&path).expect("conductor definition");
    baton_model::load(&text).expect("loads").def
}

fn golden_checkpoint(forked_task: Value) -> Value {
    let task = |id: &str, r: &str, ty: &str, status: &str| {
        json!({"task_id": id, "ref_name": r, "def_ref": r.split("__").next().unwrap_or(r),
               "task_type": ty, "name": r, "status": status, "attempt": 0,
               "input": {"x": 1}, "output": {}, "scheduled_at": 1000})
    };
    let mut tasks = vec![
        task("w1-t0", "fetch", "SIMPLE", "COMPLETED"),
        task("w1-t1", "fetch", "SIMPLE", "FAILED"),
        task("w1-t2", "pick", "SWITCH", "COMPLETED"),
        task("w1-t3", "loop", "DO_WHILE", "IN_PROGRESS"),
        task("w1-t4", "step__2", "SIMPLE", "SCHEDULED"),
        task("w1-t5", "child", "SUB_WORKFLOW", "IN_PROGRESS"),
        task("w1-t6", "fan", "FORK_JOIN_DYNAMIC", "COMPLETED"),
        task("w1-t7", "maybe", "SIMPLE", "SKIPPED"),
        task("w1-t8", "late", "SIMPLE", "TIMED_OUT"),
    ];
    tasks[0]["output"] = json!({"rows": [1, 2, 3]});
    tasks[0]["worker_id"] = json!("worker-a");
    tasks[0]["started_at"] = json!(1010);
    tasks[0]["updated_at"] = json!(1020);
    tasks[0]["ended_at"] = json!(1030);
    tasks[1]["attempt"] = json!(1);
    tasks[1]["reason"] = json!("boom");
    tasks[1]["retried"] = json!(true);
    tasks[2]["control"] = json!({"case": "big"});
    tasks[3]["control"] = json!({"iteration": 2});
    tasks[4]["suffix"] = json!("__2");
    tasks[5]["control"] = json!({"child_id": "w1-t5-child"});
    tasks[6]["control"] = json!({"forked": [forked_task]});
    tasks[7]["branch_skipped"] = json!(true);
    through::<WorkflowState>(json!({
        "workflow_id": "w1", "name": "golden", "version": 2, "status": "RUNNING",
        "input": {"n": 3}, "output": {}, "variables": {"count": 1},
        "tasks": tasks, "correlation_id": "corr-1",
        "parent": {"workflow_id": "p1", "task_id": "p1-t2"},
        "created_at": 1000, "updated_at": 1100, "next_seq": 9, "seq_base": 0
    }))
}

#[test]
fn bless() {
    if !blessing() {
        return;
    }
    write_json("events.json", &Value::Array(golden_events()));
    let def = golden_definition();
    let forked = serde_json::to_value(&def.tasks[0]).expect("task");
    write_json(
        "workflow_def.json",
        &serde_json::to_value(&def).expect("def"),
    );
    write_json("workflow_state.json", &golden_checkpoint(forked));
    write_json(
        "queued_task.json",
        &through::<QueuedTask>(json!({
            "task_id": "w1-t4", "queue": "step", "task_type": "SIMPLE", "ref_name": "step__2",
            "input": {"x": 1}, "attempt": 1, "visible_at": 2000, "response_timeout_ms": 30000
        })),
    );
    write_json(
        "timer.json",
        &through::<Timer>(json!({"kind": "wait", "task_id": "w1-t3", "fire_at": 5000})),
    );
    write("sqlite_v4.sql", &bless_database());
}

/// A database at today's schema: workflow g1 mid-run, its checkpoint older than its
/// history, a queued task and a timer. Dumped as SQL text.
fn bless_database() -> String {
    let text = r#"{"name": "golden_two_steps", "version": 1, "schemaVersion": 2,
      "tasks": [
        {"name": "first", "taskReferenceName": "first", "type": "SIMPLE", "inputParameters": {"x": "${workflow.input.x}"}},
        {"name": "second", "taskReferenceName": "second", "type": "SIMPLE", "inputParameters": {"y": "${first.output.y}"}}
      ]}"#;
    let (def, _) = baton_model::load(text)
        .and_then(baton_model::Loaded::validated)
        .expect("definition");
    let events: Vec<(u64, Event)> = [
        (100, json!({"event": "workflow_started", "input": {"x": 1}})),
        (
            110,
            json!({"event": "task_started", "task_id": "g1-t0", "worker_id": "w"}),
        ),
        (
            120,
            json!({"event": "task_updated", "task_id": "g1-t0", "status": "COMPLETED", "output": {"y": 2}}),
        ),
    ]
    .into_iter()
    .map(|(at, e)| (at, serde_json::from_value(e).expect("event")))
    .collect();
    let mut state = WorkflowState::new("g1", def.name.clone(), def.version);
    let mut checkpoint = None;
    let mut queued = Vec::new();
    for (at, e) in &events {
        let d = baton_core::decide(&def, state, e, *at);
        state = d.state;
        checkpoint.get_or_insert_with(|| state.clone());
        for effect in d.effects {
            match effect {
                baton_core::Effect::Enqueue(t) => queued.push(t),
                baton_core::Effect::Dequeue { task_id } => queued.retain(|t| t.task_id != task_id),
                _ => {}
            }
        }
    }
    let checkpoint = checkpoint.expect("a checkpoint");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.db");
    {
        let mut store = SqliteStore::open(&path, Durability::Full).expect("open");
        let mut tx = store.begin().expect("begin");
        let hash = tx.put_definition(&def).expect("def");
        tx.register_workflow_def(&def).expect("register");
        let mut meta = baton_store::testsuite::meta("g1", &hash, None);
        meta.name = def.name.clone();
        meta.created_at = 100;
        meta.updated_at = 100;
        tx.create_workflow(&meta, &WorkflowState::new("g1", def.name.clone(), 1))
            .expect("create");
        let refs: Vec<(u64, &Event)> = events.iter().map(|(at, e)| (*at, e)).collect();
        tx.append_history("g1", 0, &refs).expect("history");
        tx.save_state("g1", &checkpoint, 1).expect("checkpoint");
        assert_eq!(queued.len(), 1, "the second task is queued: {queued:?}");
        for t in &queued {
            tx.enqueue("g1", t).expect("enqueue");
        }
        let timer: Timer =
            serde_json::from_value(json!({"kind": "workflow_timeout", "fire_at": 100_000}))
                .expect("timer");
        tx.put_timer("g1", &timer).expect("timer");
        tx.commit().expect("commit");
    }
    dump(&rusqlite::Connection::open(&path).expect("open"))
}

/// `sqlite3 .dump`, small: schema, rows, user_version.
fn dump(conn: &rusqlite::Connection) -> String {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    let mut out = format!(
        "-- Golden Baton database at schema version {version}, written by the store (see tests/golden.rs).\n\
         -- Never edit: later Batons must open it and migrate it.\nPRAGMA user_version = {version};\n"
    );
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
        .expect("schema");
    let items: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (_, _, sql) in &items {
        out.push_str(&format!("{sql};\n"));
    }
    for (kind, name, _) in items.iter().filter(|(k, _, _)| k == "table") {
        let _ = kind;
        let mut rows = conn
            .prepare(&format!("SELECT * FROM \"{name}\""))
            .expect("select");
        let n = rows.column_count();
        let lines: Vec<String> = rows
            .query_map([], |r| {
                let mut vals = Vec::new();
                for i in 0..n {
                    use rusqlite::types::ValueRef;
                    vals.push(match r.get_ref(i)? {
                        ValueRef::Null => "NULL".to_string(),
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Real(v) => v.to_string(),
                        ValueRef::Text(t) => {
                            format!("'{}'", String::from_utf8_lossy(t).replace('\'', "''"))
                        }
                        ValueRef::Blob(_) => panic!("no blobs in the schema"),
                    });
                }
                Ok(format!(
                    "INSERT INTO \"{name}\" VALUES({});",
                    vals.join(",")
                ))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}
