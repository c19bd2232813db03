//! How `baton status` and `baton list` look: marks, progress bars, times, plain text
//! (no ANSI codes) when stdout is not a terminal, and their `--json` shapes.

mod common;
use common::{baton, ok, repo};

use serde_json::Value;
use std::path::Path;

/// Runs `baton ARGS --db DB` (with `NO_COLOR` unset, so only the missing terminal keeps
/// colours away) and answers its stdout.
fn at(db: &Path, args: &[&str]) -> String {
    ok(&baton()
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("NO_COLOR")
        .current_dir(repo())
        .output()
        .expect("baton"))
}

/// `baton list --json`, one object per line.
fn listed(db: &Path) -> Vec<Value> {
    at(db, &["list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn plain(text: &str) {
    assert!(
        !text.contains("\x1b["),
        "no ANSI codes when stdout is not a terminal: {text:?}"
    );
}

/// A completed `hello` run and, recorded after it, a run whose HUMAN task waits.
fn two_runs(dir: &Path) -> (std::path::PathBuf, String, String) {
    let db = dir.join("b.db");
    at(
        &db,
        &["run", "examples/hello.workflow.json", "-i", "name=Ada"],
    );
    let def = dir.join("asks.json");
    std::fs::write(
        &def,
        r#"{"name": "asks", "tasks": [
            {"name": "ask", "taskReferenceName": "ask", "type": "HUMAN"},
            {"name": "after", "taskReferenceName": "after", "type": "NOOP"}]}"#,
    )
    .expect("write");
    at(&db, &["def", "register", &def.display().to_string()]);
    let asks = at(&db, &["start", "asks"]).trim().to_string();
    let rows = listed(&db);
    let hello = rows
        .iter()
        .find(|r| r["name"] == "hello")
        .and_then(|r| r["workflowId"].as_str())
        .expect("the hello run is listed")
        .to_string();
    (db, hello, asks)
}

#[test]
fn status_and_list_show_marks_and_bars_in_plain_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let (db, hello, asks) = two_runs(dir.path());

    let s = at(&db, &["status", &hello]);
    plain(&s);
    let first = s.lines().next().unwrap_or_default();
    assert_eq!(first, format!("✓ {hello}  hello v1  COMPLETED"), "{s}");
    assert!(
        s.contains(&format!("  {} 100%  5/5 tasks\n", "█".repeat(20))),
        "a full bar: {s}"
    );
    assert!(
        s.contains("  started  ") && s.contains("  ended    "),
        "{s}"
    );
    assert!(
        !s.contains("  now  "),
        "nothing is current in an ended run: {s}"
    );
    for task in ["compose", "shape", "language", "set_english", "done"] {
        assert!(
            s.contains(&format!("\n  ✓ {task} ")),
            "{task} has its mark: {s}"
        );
    }
    assert!(s.contains("TOOK") && s.contains("INLINE"), "{s}");
    assert!(s.contains("  output {\"greeting\":\"Hello, Ada!\""), "{s}");

    let s = at(&db, &["status", &asks]);
    plain(&s);
    assert!(
        s.starts_with(&format!(
            "⏸ {asks}  asks v1  RUNNING · waiting for a person\n"
        )),
        "{s}"
    );
    assert!(
        s.contains(&format!("  {}   0%  0/2 tasks\n", "░".repeat(20))),
        "{s}"
    );
    assert!(
        s.contains("  now      ⏸ ask (waiting ") && s.contains(" for a person)"),
        "{s}"
    );
    assert!(s.contains("  elapsed  ") && !s.contains("  ended  "), "{s}");
    assert!(s.contains("\n  ⏸ ask ") && s.contains("IN_PROGRESS"), "{s}");

    let l = at(&db, &["list"]);
    plain(&l);
    let lines: Vec<&str> = l.lines().collect();
    assert_eq!(lines.len(), 3, "a header and one row per run: {l}");
    assert!(
        lines[0].contains("ID") && lines[0].contains("PROGRESS"),
        "{l}"
    );
    // Active runs first, though the completed one is older.
    assert!(lines[1].starts_with(&format!("⏸ {asks}  asks v1 ")), "{l}");
    assert!(
        lines[1].contains(&format!("{}   0%", "░".repeat(10))) && lines[1].ends_with("⏸ ask"),
        "{l}"
    );
    assert!(lines[2].starts_with(&format!("✓ {hello}  hello v1")), "{l}");
    assert!(
        lines[2].contains("COMPLETED") && lines[2].contains(&format!("{} 100%", "█".repeat(10))),
        "{l}"
    );

    // Nothing matches: nothing printed, not even the header.
    let none = at(&db, &["list", "--name", "nothing"]);
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn json_shapes_stay_and_list_adds_progress_and_current() {
    let dir = tempfile::tempdir().expect("tmp");
    let (db, hello, asks) = two_runs(dir.path());

    // `status --json` is the workflow in Conductor's shape.
    let view: Value = serde_json::from_str(&at(&db, &["status", &hello, "--json"]))
        .expect("the workflow as JSON");
    assert_eq!(view["workflowId"], Value::from(hello.as_str()), "{view}");
    assert_eq!(view["status"], "COMPLETED", "{view}");
    assert_eq!(view["tasks"].as_array().map(Vec::len), Some(5), "{view}");
    assert!(
        view["createTime"].is_u64() && view["endTime"].as_u64() > Some(0),
        "{view}"
    );
    assert!(
        view.get("progress").is_none() && view.get("current").is_none(),
        "{view}"
    );

    let rows = listed(&db);
    assert_eq!(rows.len(), 2, "{rows:?}");
    for r in &rows {
        let mut keys: Vec<&str> = r
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "current",
                "name",
                "progress",
                "startTime",
                "status",
                "version",
                "workflowId"
            ],
            "{r}"
        );
    }
    assert_eq!(rows[0]["workflowId"], Value::from(asks.as_str()));
    assert_eq!(rows[0]["status"], "RUNNING");
    assert_eq!(rows[0]["progress"], 0);
    assert_eq!(rows[0]["current"], serde_json::json!(["ask"]));
    assert_eq!(rows[1]["workflowId"], Value::from(hello.as_str()));
    assert_eq!(rows[1]["name"], "hello");
    assert_eq!(rows[1]["version"], 1);
    assert_eq!(rows[1]["status"], "COMPLETED");
    assert_eq!(rows[1]["progress"], 100);
    assert_eq!(rows[1]["current"], serde_json::json!([]));
    assert!(
        rows[1]["startTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{}",
        rows[1]
    );

    // An ended run that did not complete: its progress is not read, so not known.
    at(&db, &["terminate", &asks]);
    let rows = listed(&db);
    let ended = rows
        .iter()
        .find(|r| r["workflowId"] == asks.as_str())
        .expect("listed");
    assert_eq!(ended["status"], "TERMINATED");
    assert!(ended["progress"].is_null(), "{ended}");
    assert_eq!(ended["current"], serde_json::json!([]));
    let l = at(&db, &["list", "--status", "TERMINATED"]);
    plain(&l);
    assert!(
        l.lines()
            .nth(1)
            .is_some_and(|r| r.starts_with(&format!("■ {asks}  asks v1  TERMINATED"))),
        "{l}"
    );
}
