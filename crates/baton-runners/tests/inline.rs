//! INLINE and LAMBDA (JavaScript) runners.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_runners::{Runner, Runners};
use common::{completed, failed, req, run};
use serde_json::json;

fn builtin(name: &str) -> Arc<dyn Runner> {
    Runners::with_builtins()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} runner"))
}

#[tokio::test]
async fn expression_styles() {
    let inline = builtin("INLINE");
    let cases = [
        (
            json!({"evaluatorType": "javascript", "expression": "$.a + $.b", "a": 1, "b": 2}),
            json!(3),
        ),
        (
            json!({"evaluatorType": "graaljs", "expression": "if ($.x < $.n) { true; } else { false; }", "x": 1, "n": 5}),
            json!(true),
        ),
        (
            json!({"expression": "(function(){ return {sum: $.v.reduce((a, b) => a + b, 0)}; })()", "v": [1, 2, 3]}),
            json!({"sum": 6}),
        ),
        (
            json!({"expression": "$.evaluatorType", "evaluatorType": "javascript"}),
            json!("javascript"),
        ),
        (json!({"expression": "undefined"}), json!(null)),
    ];
    for (input, expected) in cases {
        let out = completed(run(&inline, req("INLINE", input.clone())).await);
        assert_eq!(out, json!({"result": expected}), "{input}");
    }
}

#[tokio::test]
async fn value_param() {
    let inline = builtin("INLINE");
    let input =
        json!({"evaluatorType": "value-param", "expression": "status", "status": {"ok": true}});
    assert_eq!(
        completed(run(&inline, req("INLINE", input)).await),
        json!({"result": {"ok": true}})
    );
    let input = json!({"evaluatorType": "value-param", "expression": "nope"});
    assert_eq!(
        completed(run(&inline, req("INLINE", input)).await),
        json!({"result": null})
    );
}

#[tokio::test]
async fn errors_are_terminal_with_the_message() {
    let inline = builtin("INLINE");
    let outcome = run(&inline, req("INLINE", json!({"expression": "$.a.b.c"}))).await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.contains("TypeError"), "{reason}");
    assert!(terminal);
    assert!(outcome.output()["error"].is_string());

    let outcome = run(
        &inline,
        req(
            "INLINE",
            json!({"expression": "throw new Error('nope ' + $.x)", "x": 7}),
        ),
    )
    .await;
    assert!(failed(&outcome).0.contains("nope 7"), "{outcome:?}");

    let outcome = run(&inline, req("INLINE", json!({"expression": "1 +"}))).await;
    assert!(failed(&outcome).0.contains("syntax error"), "{outcome:?}");

    let outcome = run(
        &inline,
        req(
            "INLINE",
            json!({"evaluatorType": "python", "expression": "1"}),
        ),
    )
    .await;
    assert!(
        failed(&outcome)
            .0
            .contains("unknown evaluatorType `python`"),
        "{outcome:?}"
    );

    let outcome = run(
        &inline,
        req("INLINE", json!({"evaluatorType": "javascript"})),
    )
    .await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.contains("`expression`") && terminal, "{reason}");
}

#[tokio::test]
async fn infinite_loop_is_stopped() {
    let inline = builtin("INLINE");
    let started = Instant::now();
    let outcome = run(
        &inline,
        req("INLINE", json!({"expression": "while (true) {}"})),
    )
    .await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.contains("execution budget"), "{reason}");
    assert!(terminal);
    assert!(started.elapsed() < Duration::from_secs(15));

    let outcome = run(
        &inline,
        req(
            "INLINE",
            json!({"expression": "let a = []; while (true) { a.push('x'.repeat(1000)); }"}),
        ),
    )
    .await;
    let (reason, _) = failed(&outcome);
    assert!(
        reason.contains("out of memory") || reason.contains("execution budget"),
        "{reason}"
    );
}

#[tokio::test]
async fn lambda() {
    let lambda = builtin("LAMBDA");
    let input = json!({"value": 3, "scriptExpression": "if ($.value > 2) { return {big: true}; } else { return {big: false}; }"});
    assert_eq!(
        completed(run(&lambda, req("LAMBDA", input)).await),
        json!({"result": {"big": true}})
    );
    let outcome = run(
        &lambda,
        req("LAMBDA", json!({"scriptExpression": "return $.x.y;"})),
    )
    .await;
    let (reason, terminal) = failed(&outcome);
    assert!(reason.contains("TypeError") && terminal, "{reason}");
    let outcome = run(&lambda, req("LAMBDA", json!({}))).await;
    assert!(
        failed(&outcome).0.contains("scriptExpression"),
        "{outcome:?}"
    );
}
