//! JavaScript system tasks: `INLINE` and the legacy `LAMBDA`, on Baton's sandboxed,
//! deterministic QuickJS ([`baton_expr::js`]).
//!
//! Scripts run on tokio's blocking pool (they are CPU-bound). They cannot run forever: the
//! interpreter stops them after [`JsLimits::max_interrupt_polls`] polls and at
//! [`JsLimits::memory_bytes`] of heap. A script error fails the task terminally, since running
//! the same script on the same input again gives the same error.

use baton_expr::js::{self, JsError, JsLimits};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::task::{BoxFuture, Runner, TaskOutcome, TaskRequest, input_field};

/// The `INLINE` task: `input.evaluatorType` is `javascript` (default) or `graaljs` (both run
/// `input.expression` with `$` bound to the whole task input), or `value-param` (the result
/// is `input[expression]`). Output: `{"result": value}`.
#[derive(Debug, Clone, Default)]
pub struct InlineRunner {
    /// Limits for every script (default: 32 MiB heap, bounded steps).
    pub limits: JsLimits,
}

/// The legacy `LAMBDA` task: `input.scriptExpression` is a function body (with `return`),
/// `$` is the whole task input. Output: `{"result": value}`.
#[derive(Debug, Clone, Default)]
pub struct LambdaRunner {
    /// Limits for every script.
    pub limits: JsLimits,
}

impl Runner for InlineRunner {
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let limits = self.limits.clone();
        Box::pin(async move {
            let evaluator = match input_field(&req.input, "evaluatorType") {
                None | Some(Value::Null) => "javascript".to_owned(),
                Some(Value::String(s)) => s.to_ascii_lowercase(),
                Some(other) => {
                    return TaskOutcome::terminal(format!(
                        "`evaluatorType` must be javascript, graaljs or value-param, found {other}"
                    ));
                }
            };
            let expression = match input_field(&req.input, "expression") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                _ => {
                    return TaskOutcome::terminal(
                        "the INLINE task needs an `expression` input (a non-empty string)",
                    );
                }
            };
            match evaluator.as_str() {
                "javascript" | "graaljs" => {
                    run_js(cancel, move || js::eval(&expression, &req.input, &limits)).await
                }
                "value-param" => {
                    let value = input_field(&req.input, &expression)
                        .cloned()
                        .unwrap_or(Value::Null);
                    TaskOutcome::completed(json!({ "result": value }))
                }
                other => TaskOutcome::terminal(format!(
                    "unknown evaluatorType `{other}`: use javascript, graaljs or value-param"
                )),
            }
        })
    }
}

impl Runner for LambdaRunner {
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let limits = self.limits.clone();
        Box::pin(async move {
            let body = match input_field(&req.input, "scriptExpression") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                _ => {
                    return TaskOutcome::terminal(
                        "the LAMBDA task needs a `scriptExpression` input (a non-empty string)",
                    );
                }
            };
            run_js(cancel, move || {
                js::eval_function_body(&body, &req.input, &limits)
            })
            .await
        })
    }
}

/// Runs a script on the blocking pool and maps its result to an outcome. On cancellation the
/// outcome is `canceled` at once; the script itself stops at its step budget.
async fn run_js(
    cancel: CancellationToken,
    script: impl FnOnce() -> Result<Value, JsError> + Send + 'static,
) -> TaskOutcome {
    if cancel.is_cancelled() {
        return TaskOutcome::canceled();
    }
    let handle = tokio::task::spawn_blocking(script);
    let joined = tokio::select! {
        j = handle => j,
        () = cancel.cancelled() => return TaskOutcome::canceled(),
    };
    match joined {
        Ok(Ok(value)) => TaskOutcome::completed(json!({ "result": value })),
        Ok(Err(JsError::Engine(msg))) => {
            TaskOutcome::failed(format!("JavaScript engine failure: {msg}"))
        }
        Ok(Err(e)) => {
            TaskOutcome::terminal(e.to_string()).with_output(json!({ "error": e.to_string() }))
        }
        Err(e) => TaskOutcome::failed(format!("JavaScript evaluation crashed: {e}")),
    }
}
