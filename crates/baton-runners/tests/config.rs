//! Runner files and the routing table.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use baton_runners::config::{CommandSpec, RunnerSpec};
use baton_runners::{ConfigError, RunnerConfig, Runners, TaskOutcome};
use common::{completed, failed, req, run};
use serde_json::json;

const SAMPLE: &str = r#"
runners:
  python.data_preprocessing:
    exec:
      command: ["python3", "agents/preprocess.py"]
      timeout: 30s
      env: {MODE: fast, LEVEL: 3}
      cwd: "."
  scan_files:
    exec: {command: "ls -1 ${BATON_INPUT_folder} | jq -R . | jq -s '{file_list: .}'"}
  notify:
    http: {uri: "http://127.0.0.1:9000/hook", method: post}
  python:
    exec: {command: ["python3", "agent.py"]}
"#;

#[test]
fn parses_the_sample() {
    let cfg = RunnerConfig::from_yaml(SAMPLE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.runners.len(), 4);
    let Some(RunnerSpec::Exec(prep)) = cfg.runners.get("python.data_preprocessing") else {
        panic!("not exec: {cfg:?}");
    };
    assert_eq!(
        prep.command,
        CommandSpec::Argv(vec!["python3".into(), "agents/preprocess.py".into()])
    );
    assert_eq!(prep.timeout, Some(Duration::from_secs(30)));
    assert_eq!(prep.env.get("LEVEL").map(String::as_str), Some("3"));
    let Some(RunnerSpec::Exec(scan)) = cfg.runners.get("scan_files") else {
        panic!("not exec");
    };
    assert!(matches!(&scan.command, CommandSpec::Shell(s) if s.starts_with("ls -1")));
    assert_eq!(scan.timeout, None);
    let Some(RunnerSpec::Http(notify)) = cfg.runners.get("notify") else {
        panic!("not http");
    };
    assert_eq!(notify.method, "POST");
    assert_eq!(notify.uri, "http://127.0.0.1:9000/hook");

    let same = RunnerConfig::from_json(
        &json!({"runners": {"python": {"exec": {"command": ["python3", "agent.py"]}}}}),
    );
    assert_eq!(
        same.map(|c| c.runners.get("python").cloned()),
        Ok(cfg.runners.get("python").cloned())
    );
    assert_eq!(RunnerConfig::from_yaml(""), Ok(RunnerConfig::default()));
    assert_eq!(
        RunnerConfig::from_yaml("runners:\n"),
        Ok(RunnerConfig::default())
    );
}

#[test]
fn lookup_order() {
    let cfg = RunnerConfig::from_yaml(SAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let mut runners = Runners::with_builtins();
    runners
        .load_config(&cfg, Path::new("/tmp"))
        .unwrap_or_else(|e| panic!("{e}"));
    let exact = runners.get("python.data_preprocessing");
    let agent = runners.get("python.other_action");
    let agent_again = runners.get("python.x.y");
    let (Some(exact), Some(agent), Some(agent_again)) = (exact, agent, agent_again) else {
        panic!("missing runners");
    };
    assert!(!Arc::ptr_eq(&exact, &agent));
    assert!(Arc::ptr_eq(&agent, &agent_again));
    assert!(runners.get("HTTP").is_some());
    assert!(runners.get("ruby.x").is_none());
    assert!(runners.get("pythonic").is_none());
    assert!(runners.handles("python.anything"));
    assert_eq!(
        runners.queues(),
        vec![
            "HTTP",
            "INLINE",
            "JSON_JQ_TRANSFORM",
            "LAMBDA",
            "NOOP",
            "notify",
            "python",
            "python.data_preprocessing",
            "scan_files"
        ]
    );
}

#[tokio::test]
async fn entries_override_builtins_and_closures_run() {
    let mut runners = Runners::with_builtins();
    let noop = runners.get("NOOP").unwrap_or_else(|| panic!("no NOOP"));
    assert_eq!(
        completed(run(&noop, req("NOOP", json!({"a": 1}))).await),
        json!({})
    );

    runners.insert_fn("HTTP", |r| TaskOutcome::completed(json!({"fake": r.queue})));
    runners.insert_fn("double", |r| match r.input["n"].as_i64() {
        Some(n) => TaskOutcome::completed(json!({"n": n * 2})),
        None => TaskOutcome::terminal("n must be a number"),
    });
    runners.insert_fn("boom", |_| panic!("kaboom"));
    runners.insert_async_fn("later", |r| async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        TaskOutcome::completed(json!({"attempt": r.attempt}))
    });
    let get = |q: &str| runners.get(q).unwrap_or_else(|| panic!("no {q}"));
    assert_eq!(
        completed(run(&get("HTTP"), req("HTTP", json!({}))).await),
        json!({"fake": "HTTP"})
    );
    assert_eq!(
        completed(run(&get("double"), req("double", json!({"n": 21}))).await),
        json!({"n": 42})
    );
    let outcome = run(&get("double"), req("double", json!({}))).await;
    assert_eq!(failed(&outcome), ("n must be a number", true));
    let outcome = run(&get("boom"), req("boom", json!({}))).await;
    assert_eq!(failed(&outcome).0, "runner panicked: kaboom");
    assert_eq!(
        completed(run(&get("later"), req("later", json!({}))).await),
        json!({"attempt": 0})
    );
}

/// The error of a YAML text, as a string.
fn error(yaml: &str) -> String {
    match RunnerConfig::from_yaml(yaml) {
        Ok(cfg) => panic!("expected an error, got {cfg:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_the_runner_and_what_to_write() {
    let e = error("runners:\n  a:\n    docker: {image: x}\n");
    assert!(
        e.starts_with("runner `a`: unknown runner kind `docker`") && e.contains("exec:"),
        "{e}"
    );

    let e = error("runners:\n  a:\n    exec: {command: [x], timeuot: 3s}\n");
    assert!(
        e.contains("runner `a`") && e.contains("unknown key `timeuot`") && e.contains("timeout"),
        "{e}"
    );

    let e = error("runners:\n  a:\n    exec: {command: [x], timeout: 30}\n");
    assert!(
        e.contains("runner `a`") && e.contains("timeout") && e.contains("30s"),
        "{e}"
    );

    let e = error("runners:\n  a:\n    exec: {command: [x], timeout: 3 days}\n");
    assert!(e.contains("runner `a`") && e.contains("duration"), "{e}");

    let e = error("runners:\n  a:\n    exec: {timeout: 3s}\n");
    assert!(e.contains("runner `a`: exec needs a `command`"), "{e}");

    let e = error("runners:\n  a:\n    exec: {command: []}\n");
    assert!(e.contains("no program"), "{e}");

    let e = error("runners:\n  a:\n    exec: {command: [x]}\n    http: {uri: \"http://x\"}\n");
    assert!(e.contains("exactly one kind"), "{e}");

    let e = error("runners:\n  a:\n    http: {uri: \"ftp://x\"}\n");
    assert!(e.contains("must start with http://"), "{e}");

    let e = error("runners:\n  a:\n    http: {uri: \"http://x\", expectedStatus: [999]}\n");
    assert!(e.contains("expectedStatus"), "{e}");

    let e = error("runners:\n  a:\n    exec: {command: [x], env: {A: [1]}}\n");
    assert!(e.contains("env") && e.contains("`A`"), "{e}");

    let e = error("runner:\n  a: {}\n");
    assert!(e.contains("unknown key `runner`"), "{e}");

    let e = error("runners: [a, b]\n");
    assert!(e.contains("`runners` must be a map"), "{e}");

    let e = error("runners: {a: [b\n");
    assert!(e.starts_with("runner file is not valid YAML"), "{e}");

    let e = match RunnerConfig::from_path(Path::new("/nonexistent/runners.yaml")) {
        Err(e @ ConfigError::Io { .. }) => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(e.contains("/nonexistent/runners.yaml"), "{e}");
}
