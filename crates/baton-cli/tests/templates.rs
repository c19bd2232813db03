//! The template library: every template is copied out with `baton template new` and
//! every `baton run` line of its header runs green in the copy, exactly as written,
//! after its `baton agent serve … &` lines have started its folder agents. A line
//! documented as waiting for a person is approved from a second process, through the
//! running process's control socket.

mod common;

use common::{baton, ok, wait_exit};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TEMPLATES: &[&str] = &[
    "ai-inference-pipeline",
    "compliance-audit",
    "data-migration",
    "end-to-end-process",
    "file-routing",
    "incident-response",
    "inventory-validation",
    "multi-agent-coordination",
    "multi-agent-deployment",
    "project-setup",
    "station-deployment",
];

/// Templates whose steps folder agents do (at least three, as the library promises).
const FOLDER_AGENTS: &[&str] = &[
    "multi-agent-coordination",
    "multi-agent-deployment",
    "station-deployment",
];

/// The header's `baton run` lines, each with whether it waits for an approval (the
/// comment line before it says so).
fn run_lines(workflow: &Path) -> Vec<(String, bool)> {
    let text = std::fs::read_to_string(workflow).expect("workflow file");
    let lines: Vec<&str> = text.lines().take_while(|l| l.starts_with('#')).collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(cmd) = l
            .trim_start_matches('#')
            .trim_start()
            .strip_prefix("baton run ")
        {
            let waits = i > 0 && lines[i - 1].to_lowercase().contains("approv");
            out.push((cmd.to_string(), waits));
        }
    }
    out
}

/// The header's `baton agent serve … &` lines (folder agents started before the runs).
fn agent_lines(workflow: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(workflow).expect("workflow file");
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| {
            let cmd = l.trim_start_matches('#').trim();
            let args = cmd.strip_prefix("baton agent serve ")?.strip_suffix('&')?;
            Some(args.trim().to_string())
        })
        .collect()
}

/// Folder agents of one template, killed when dropped.
struct Agents(Vec<std::process::Child>);

impl Drop for Agents {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn workflow_of(dir: &Path) -> std::path::PathBuf {
    for name in ["workflow.yaml", "workflow.stages.yaml", "workflow.json"] {
        if dir.join(name).exists() {
            return dir.join(name);
        }
    }
    panic!("no workflow file in {}", dir.display());
}

#[test]
fn the_library_is_listed() {
    let listed = ok(&baton().args(["template", "list"]).output().expect("run"));
    for t in TEMPLATES {
        assert!(listed.contains(t), "{t} in {listed}");
    }
    let bad = baton()
        .args(["template", "new", "nope", "x"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("file-routing"));
}

#[test]
fn every_template_runs_as_its_header_says() {
    let root = tempfile::tempdir().expect("temp dir");
    let bin = env!("CARGO_BIN_EXE_baton");
    for t in TEMPLATES {
        let dir = root.path().join(t);
        let made = ok(&baton()
            .args(["template", "new", t])
            .arg(&dir)
            .output()
            .expect("run"));
        assert!(made.contains("run it:"), "{made}");
        // A second copy into the same place is refused and writes nothing.
        let again = baton()
            .args(["template", "new", t])
            .arg(&dir)
            .output()
            .expect("run");
        assert_eq!(again.status.code(), Some(2), "{t}");
        let lines = run_lines(&workflow_of(&dir));
        assert!(!lines.is_empty(), "{t}: its header shows how to run it");
        let agents = Agents(
            agent_lines(&workflow_of(&dir))
                .iter()
                .map(|args| {
                    Command::new("sh")
                        .args(["-c", &format!("exec {bin} agent serve {args}")])
                        .current_dir(&dir)
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .expect("spawn agent")
                })
                .collect(),
        );
        if FOLDER_AGENTS.contains(t) {
            assert!(
                !agents.0.is_empty(),
                "{t}: its header starts its folder agents"
            );
        }
        for (i, (line, waits)) in lines.iter().enumerate() {
            let db = format!("run{i}.db");
            let cmd = format!("{bin} run {line} --db {db}");
            let mut child = Command::new("sh")
                .args(["-c", &cmd])
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            if *waits {
                approve_what_waits(&dir, &db, t);
            }
            let code = wait_exit(&mut child, Duration::from_secs(120), t);
            let out = child.wait_with_output().expect("output");
            assert_eq!(
                code,
                Some(0),
                "{t}: `baton run {line}` failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Waits until the run on `db` waits for a decision, then approves it.
fn approve_what_waits(dir: &Path, db: &str, t: &str) {
    let start = Instant::now();
    let (id, task_ref) = loop {
        let out = baton()
            .args(["approvals", "--json", "--db", db])
            .current_dir(dir)
            .output()
            .expect("run");
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            if let Some(a) = v.as_array().and_then(|a| a.first()) {
                break (
                    a["workflow_id"].as_str().unwrap_or_default().to_string(),
                    a["ref_name"].as_str().unwrap_or_default().to_string(),
                );
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{t}: nothing waited for approval"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    ok(&baton()
        .args([
            "approve",
            &id,
            &task_ref,
            "--comment",
            "template test",
            "--db",
            db,
        ])
        .current_dir(dir)
        .output()
        .expect("run"));
}

/// Seed 004's stage format end to end: a parallel stage, a loop stage that repeats until
/// its condition holds, and a conditional stage that is skipped.
#[test]
fn the_stage_pipeline_loops_until_done_and_skips_its_conditional_stage() {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("ai");
    ok(&baton()
        .args(["template", "new", "ai-inference-pipeline"])
        .arg(&dir)
        .output()
        .expect("run"));
    let out = baton()
        .args([
            "run",
            "workflow.stages.yaml",
            "--runners",
            "runners.yaml",
            "--input",
            "batch_size=2",
            "--db",
            "t.db",
        ])
        .current_dir(&dir)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{err}");
    let id = err
        .split_whitespace()
        .skip_while(|w| *w != "as")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let w: Value = serde_json::from_str(&ok(&baton()
        .args(["inspect", &id, "--json", "--db", "t.db"])
        .current_dir(&dir)
        .output()
        .expect("run")))
    .expect("json");
    let tasks = w["tasks"].as_array().cloned().unwrap_or_default();
    let status_of = |r: &str| {
        tasks
            .iter()
            .rev()
            .find(|t| t["ref_name"] == r)
            .map(|t| t["status"].as_str().unwrap_or_default().to_string())
    };
    // Seven texts in batches of two: four iterations.
    let iterations = tasks
        .iter()
        .filter(|t| t["def_ref"] == "infer_batch")
        .count();
    assert_eq!(iterations, 4, "{w}");
    assert_eq!(status_of("escalate").as_deref(), Some("SKIPPED"), "{w}");
    for r in ["preprocess", "load_model", "infer", "aggregate"] {
        assert_eq!(status_of(r).as_deref(), Some("COMPLETED"), "{r}: {w}");
    }
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out/summary.json")).expect("summary"),
    )
    .expect("json");
    assert_eq!(summary["scored"], 7, "{summary}");

    // The run as a workset: done, 100 % though a stage was skipped.
    let ws = |format: &str| {
        ok(&baton()
            .args(["workset", &id, "--db", "t.db", "--format", format])
            .current_dir(&dir)
            .output()
            .expect("run"))
    };
    let v: Value = serde_json::from_str(&ws("json")).expect("json");
    assert_eq!(v["id"], Value::String(format!("ws-{id}")));
    assert_eq!(v["workflow"]["progress"], 100, "{v}");
    assert_eq!(v["status"], "completed", "{v}");
    let yaml = ws("yaml");
    assert!(
        yaml.starts_with("workset:") && yaml.contains("progress: 100"),
        "{yaml}"
    );
    let text = ws("text");
    assert!(text.contains("100%") && text.contains("escalate"), "{text}");
}
