//! `baton validate` and `baton def export`, run as the built binary.

use std::process::{Command, Output};

fn repo(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

const SEED: &str = "crates/baton-model/tests/data/invalid/seed-000-original.workflow.yaml";

fn baton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .expect("baton runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn corrected_examples_validate() {
    let examples = [
        "examples/inventory-validation.workflow.yaml",
        "examples/unified-pipeline.stages.yaml",
        "examples/hello.workflow.json",
        "examples/incident-response.workflow.yaml",
        "examples/research-coordination.workflow.yaml",
        "examples/station-deployment.workflow.yaml",
    ];
    let paths: Vec<String> = examples.iter().map(|e| repo(e)).collect();
    let mut args = vec!["validate", "--strict"];
    args.extend(paths.iter().map(String::as_str));
    let out = baton(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("ok: ") && l.ends_with("(0 warnings)"))
            .count(),
        examples.len(),
        "{stdout}"
    );
}

#[test]
fn the_seed_original_fails_with_position_and_help() {
    let out = baton(&["validate", &repo(SEED)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[BT0104]"), "{stderr}");
    assert!(stderr.contains("generate_warning_receipt"), "{stderr}");
    assert!(
        stderr.contains("seed-000-original.workflow.yaml:76:17"),
        "{stderr}"
    );
    assert!(
        stderr.contains("= help: define a task with `id: generate_warning_receipt`"),
        "{stderr}"
    );
    assert!(text(&out.stdout).contains("invalid: "), "summary line");
}

#[test]
fn json_output_has_one_report_per_file() {
    let out = baton(&[
        "validate",
        "--json",
        &repo(SEED),
        &repo("examples/hello.workflow.json"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["ok"], false);
    let seed = &doc["files"][0];
    assert_eq!(seed["ok"], false);
    assert_eq!(seed["format"], "native");
    assert_eq!(seed["name"], "inventory-validation-v1");
    assert_eq!(seed["errors"], 1);
    assert_eq!(seed["warnings"], 2);
    let first = &seed["diagnostics"][0];
    assert_eq!(first["code"], "BT0104");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["pos"], serde_json::json!({"line": 76, "column": 17}));
    assert_eq!(
        first["field"],
        "workflow.tasks[3].decision_cases.FAIL_SOFT.next"
    );
    assert!(
        first["help"]
            .as_str()
            .is_some_and(|h| h.contains("generate_warning_receipt"))
    );
    assert_eq!(doc["files"][1]["ok"], true);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn strict_turns_warnings_into_failure() {
    let dir = std::env::temp_dir().join(format!("baton-cli-strict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("warn.workflow.yaml");
    std::fs::write(
        &file,
        "workflow:\n  id: w\n  colour: blue\n  tasks:\n    - id: a\n",
    )
    .expect("write");
    let path = file.to_string_lossy().into_owned();
    let relaxed = baton(&["validate", &path]);
    assert_eq!(relaxed.status.code(), Some(0));
    assert!(
        text(&relaxed.stdout).contains("(1 warning)"),
        "{}",
        text(&relaxed.stdout)
    );
    assert!(text(&relaxed.stderr).contains("warning[BT0001]: unknown field `colour`"));
    let strict = baton(&["validate", "--strict", &path]);
    assert_eq!(strict.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_files_and_bad_usage_exit_2() {
    let out = baton(&["validate", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read `does/not/exist.yaml`"),
        "{}",
        text(&out.stderr)
    );
    let json = baton(&["validate", "--json", "does/not/exist.yaml"]);
    assert_eq!(json.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert!(
        doc["files"][0]["io_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot read"))
    );
    assert_eq!(baton(&["validate"]).status.code(), Some(2), "no FILE");
    assert_eq!(
        baton(&["frobnicate"]).status.code(),
        Some(2),
        "unknown command"
    );
}

#[test]
fn syntax_errors_are_invalid_definitions() {
    let dir = std::env::temp_dir().join(format!("baton-cli-syntax-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("broken.yaml");
    std::fs::write(&file, "workflow:\n  id: [unclosed\n").expect("write");
    let out = baton(&["validate", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error[BT0000]"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_prints_conductor_json() {
    let out = baton(&[
        "def",
        "export",
        "--format",
        "conductor",
        &repo("examples/unified-pipeline.stages.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["name"], "unified-pipeline");
    assert!(doc["tasks"].as_array().is_some_and(|t| !t.is_empty()));

    let invalid = baton(&["def", "export", "--format", "conductor", &repo(SEED)]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(invalid.stdout.is_empty());
    assert!(text(&invalid.stderr).contains("not exported"));
    assert_eq!(
        baton(&["def", "export", "--format", "bpmn", &repo(SEED)])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn absurdly_long_names_fail_with_bt0124() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("long-name.workflow.json");
    let def = format!(
        r#"{{"name": "{}", "tasks": [{{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}}]}}"#,
        "w".repeat(1 << 20)
    );
    std::fs::write(&path, def).expect("write");
    let out = baton(&["validate", &path.display().to_string()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[BT0124]"), "{stderr}");
    assert!(stderr.contains("the limit is 256"), "{stderr}");
    assert!(stderr.len() < 4096, "the name is shown shortened");
}
