//! JSON_JQ_TRANSFORM runner (jaq).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_runners::jq::{JqError, JqRunner, run_jq};
use baton_runners::{Runner, Runners};
use common::{completed, failed, req, run};
use serde_json::json;

fn jq() -> Arc<dyn Runner> {
    Runners::with_builtins()
        .get("JSON_JQ_TRANSFORM")
        .unwrap_or_else(|| panic!("no jq runner"))
}

#[tokio::test]
async fn transform() {
    let input = json!({
        "queryExpression": "{ key3: (.key1.value1 + .key2.value2) }",
        "key1": {"value1": ["a", "b"]},
        "key2": {"value2": ["c", "d"]},
    });
    let out = completed(run(&jq(), req("JSON_JQ_TRANSFORM", input)).await);
    assert_eq!(out["result"], json!({"key3": ["a", "b", "c", "d"]}));
    assert_eq!(out["resultList"], json!([{"key3": ["a", "b", "c", "d"]}]));
}

#[tokio::test]
async fn multiple_and_no_outputs() {
    let input = json!({"queryExpression": ".items[] | . * 2", "items": [1, 2.5, 3]});
    let out = completed(run(&jq(), req("JSON_JQ_TRANSFORM", input)).await);
    assert_eq!(out["result"], json!(2));
    assert_eq!(out["resultList"], json!([2, 5.0, 6]));

    let input = json!({"queryExpression": "empty"});
    let out = completed(run(&jq(), req("JSON_JQ_TRANSFORM", input)).await);
    assert_eq!(out, json!({"result": null, "resultList": []}));

    let input = json!({"queryExpression": "[.a | splits(\", \")] | map(ascii_upcase) | join(\"-\")", "a": "x, y"});
    let out = completed(run(&jq(), req("JSON_JQ_TRANSFORM", input)).await);
    assert_eq!(out["result"], "X-Y");
}

#[tokio::test]
async fn env_and_other_escapes_are_unavailable() {
    // PATH is set in any test environment: its value must not show up anywhere.
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin".to_owned());
    for program in [
        "env",
        "env.PATH",
        "$ENV",
        "$ENV.PATH",
        "input",
        "[inputs]",
        "halt",
        "halt_error",
        "debug",
        "stderr",
        "$__loc__",
        "input_filename",
    ] {
        let result = run_jq(program, &json!({"a": 1}));
        assert!(
            matches!(result, Err(JqError::Compile(_))),
            "{program}: {result:?}"
        );
        let outcome = run(
            &jq(),
            req("JSON_JQ_TRANSFORM", json!({"queryExpression": program})),
        )
        .await;
        let (reason, terminal) = failed(&outcome);
        assert!(
            reason.starts_with("jq compile error"),
            "{program}: {reason}"
        );
        assert!(terminal);
        assert!(!reason.contains(&path) && !outcome.output().to_string().contains(&path));
    }
}

#[tokio::test]
async fn compile_and_runtime_errors() {
    let outcome = run(
        &jq(),
        req("JSON_JQ_TRANSFORM", json!({"queryExpression": ".a | ("})),
    )
    .await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.starts_with("jq compile error: expected"), "{reason}");
    assert!(terminal);
    assert_eq!(outcome.output()["error"], reason);

    let outcome = run(
        &jq(),
        req(
            "JSON_JQ_TRANSFORM",
            json!({"queryExpression": "nosuchfn(1)"}),
        ),
    )
    .await;
    assert!(
        failed(&outcome).0.contains("undefined filter `nosuchfn`"),
        "{outcome:?}"
    );

    let outcome = run(
        &jq(),
        req(
            "JSON_JQ_TRANSFORM",
            json!({"queryExpression": ".queryExpression + 1"}),
        ),
    )
    .await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.starts_with("jq error: "), "{reason}");
    assert!(terminal);

    let outcome = run(
        &jq(),
        req(
            "JSON_JQ_TRANSFORM",
            json!({"queryExpression": "error(\"custom\")"}),
        ),
    )
    .await;
    assert!(failed(&outcome).0.contains("custom"), "{outcome:?}");

    let outcome = run(&jq(), req("JSON_JQ_TRANSFORM", json!({"other": 1}))).await;
    assert!(
        failed(&outcome).0.contains("queryExpression"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn infinite_loop_hits_the_deadline() {
    let runner: Arc<dyn Runner> = Arc::new(JqRunner::new(Duration::from_millis(500)));
    let started = Instant::now();
    let outcome = run(
        &runner,
        req(
            "JSON_JQ_TRANSFORM",
            json!({"queryExpression": "last(repeat(1))"}),
        ),
    )
    .await;
    let (reason, terminal) = failed(&outcome);
    assert_eq!(reason, "jq program did not finish within 500ms");
    assert!(!terminal);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn too_many_outputs() {
    let result = run_jq("limit(200000; repeat(1))", &json!(null));
    assert_eq!(result, Err(JqError::TooManyOutputs));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_programs_at_once_are_not_refused() {
    // Only programs past their deadline count against the runaway limit, not busy ones.
    let runner = jq();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..40 {
        let runner = runner.clone();
        set.spawn(async move {
            let input = json!({"queryExpression": "([range(0; 20000)] | length) + .k", "k": i});
            completed(run(&runner, req("JSON_JQ_TRANSFORM", input)).await)
        });
    }
    let mut n = 0;
    while let Some(out) = set.join_next().await {
        let out = out.unwrap_or_else(|e| panic!("task panicked: {e}"));
        assert!(out["result"].as_i64().is_some_and(|v| v >= 20000), "{out}");
        n += 1;
    }
    assert_eq!(n, 40);
}
