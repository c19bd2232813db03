//! The CI smoke: every workload at a tiny size, in both modes, through the real binary
//! (so HTTP mode spawns the real worker process).

use serde_json::Value;
use std::process::Command;

fn bench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_baton-bench"))
}

#[test]
fn smoke_runs_every_workload_in_both_modes_and_checks_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let json = dir.path().join("smoke.json");
    let out = bench()
        .arg("smoke")
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run baton-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "smoke failed:\n{stdout}\n{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written")).expect("json");
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), 10, "{report}");
    for r in results {
        let steps = r["steps"].as_u64().expect("steps");
        let want = r["n"].as_u64().expect("n") * r["steps_per_workflow"].as_u64().expect("spw");
        assert_eq!(steps, want, "{r}");
        assert!(r["steps_per_s"].as_f64().is_some_and(|s| s > 0.0), "{r}");
    }
    let w3: Vec<&Value> = results.iter().filter(|r| r["workload"] == "W3").collect();
    assert_eq!(w3.len(), 2);
    assert!(w3.iter().all(|r| r["step_p50_ms"].as_f64().is_some()));
    assert_eq!(
        results[2]["steps_per_workflow"], 11,
        "W2 smoke: 10 branches + the sum"
    );
    assert!(stdout.starts_with("workload"), "{stdout}");
    assert!(
        stdout.contains("validation     100"),
        "smoke validates a small definition too: {stdout}"
    );
}

#[test]
fn a_run_that_cannot_finish_exits_non_zero() {
    let out = bench()
        .args(["W1", "--n", "50", "--timeout", "0"])
        .output()
        .expect("run baton-bench");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("timed out"), "{stderr}");
}

#[test]
fn refuses_an_existing_database() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("b.db");
    std::fs::write(&db, b"precious").expect("write");
    let out = bench()
        .args(["W1", "--n", "1", "--db"])
        .arg(&db)
        .output()
        .expect("run baton-bench");
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&db).expect("read"), b"precious");
}

#[test]
fn hotpath_runs_every_step_one_at_a_time_and_checks_the_outputs() {
    let out = bench()
        .args(["hotpath", "--n", "3", "--steps", "4"])
        .output()
        .expect("run baton-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("workflows 3  steps 12"), "{stdout}");
    // A database that exists is refused, not reused.
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("taken.db");
    std::fs::write(&db, "").expect("write");
    let refused = bench()
        .args(["hotpath", "--n", "1", "--db"])
        .arg(&db)
        .output()
        .expect("run baton-bench");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));
}
