//! The benchmark's workflow definitions, their inputs, expected outputs, and the step
//! logic shared by the embedded runners and the HTTP worker process.

use anyhow::{Context, anyhow};
use baton_model::WorkflowDef;
use serde_json::{Value, json};

/// Queue of a chain step: returns `{"i": input.i + 1}`.
pub const STEP: &str = "bench_step";
/// Queue of a fan-out branch: returns `{"v": input.v}`.
pub const FAN: &str = "bench_fan";
/// Queue of the summing step: returns `{"sum": Σ parts[*].v}`.
pub const SUM: &str = "bench_sum";
/// Every queue a benchmark worker serves.
pub const QUEUES: [&str; 3] = [STEP, FAN, SUM];

/// Name of the chain definition (W1, W3, W4).
pub const CHAIN: &str = "bench_chain";
/// Name of the fan-out definition (W2).
pub const FANOUT: &str = "bench_fanout";
/// Name of the loop definition (W5).
pub const LOOP: &str = "bench_loop";

/// Runs one benchmark step: the output for a task of `queue` with `input`, or why the
/// input is wrong (which fails the task, and so the run).
pub fn work(queue: &str, input: &Value) -> Result<Value, String> {
    let int = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("{queue}: input `{key}` must be an integer, got {v}"))
    };
    match queue {
        STEP => Ok(json!({ "i": int(input, "i")? + 1 })),
        FAN => Ok(json!({ "v": int(input, "v")? })),
        SUM => {
            let parts = input
                .get("parts")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{SUM}: input `parts` must be the JOIN output object"))?;
            let mut sum = 0i64;
            for part in parts.values() {
                sum += int(part, "v")?;
            }
            Ok(json!({ "sum": sum, "parts": parts.len() }))
        }
        other => Err(format!("no benchmark step serves queue `{other}`")),
    }
}

/// A chain of `steps` sequential SIMPLE steps; each adds 1 to `i`, the workflow's output
/// `i` is its input `i` plus `steps`.
pub fn chain(steps: usize) -> anyhow::Result<WorkflowDef> {
    anyhow::ensure!(steps >= 1, "a chain needs at least one step");
    let tasks: Vec<Value> = (0..steps)
        .map(|k| {
            let from = if k == 0 {
                "${workflow.input.i}".to_string()
            } else {
                format!("${{s{}.output.i}}", k - 1)
            };
            json!({
                "name": STEP, "taskReferenceName": format!("s{k}"), "type": "SIMPLE",
                "inputParameters": { "i": from }
            })
        })
        .collect();
    let doc = json!({
        "name": CHAIN, "version": 1, "schemaVersion": 2,
        "tasks": tasks,
        "outputParameters": { "i": format!("${{s{}.output.i}}", steps - 1) }
    });
    load(&doc)
}

/// One FORK_JOIN_DYNAMIC of `workflow.input.items` branches (one `bench_fan` each), a JOIN,
/// and a `bench_sum` step over the JOIN output; the output `sum` is the sum of the items.
pub fn fanout() -> anyhow::Result<WorkflowDef> {
    let doc = json!({
        "name": FANOUT, "version": 1, "schemaVersion": 2,
        "tasks": [
            {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN_DYNAMIC",
             "inputParameters": {"forkTaskName": FAN, "forkTaskInputs": "${workflow.input.items}"}},
            {"name": "join", "taskReferenceName": "join", "type": "JOIN"},
            {"name": SUM, "taskReferenceName": "sum", "type": "SIMPLE",
             "inputParameters": {"parts": "${join.output}"}}
        ],
        "outputParameters": { "sum": "${sum.output.sum}", "parts": "${sum.output.parts}" }
    });
    load(&doc)
}

/// One DO_WHILE of `iterations` iterations of one `bench_step` (or, with `inline`, of
/// one INLINE task computing `$.i + 1`); the output `iterations` is the loop's final
/// iteration count.
pub fn looped(iterations: usize, inline: bool) -> anyhow::Result<WorkflowDef> {
    anyhow::ensure!(iterations >= 1, "a loop needs at least one iteration");
    let body = if inline {
        json!({"name": "inc", "taskReferenceName": "step", "type": "INLINE",
               "inputParameters": {"evaluatorType": "javascript", "expression": "$.i + 1", "i": 0}})
    } else {
        json!({"name": STEP, "taskReferenceName": "step", "type": "SIMPLE",
               "inputParameters": {"i": 0}})
    };
    let doc = json!({
        "name": LOOP, "version": 1, "schemaVersion": 2,
        "tasks": [
            {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
             "loopCondition": format!("$.loop['iteration'] < {iterations}"),
             "loopOver": [body]}
        ],
        "outputParameters": { "iterations": "${loop.output.iteration}" }
    });
    load(&doc)
}

/// Output a loop workflow of `iterations` must end with.
pub fn loop_output(iterations: usize) -> Value {
    json!({ "iterations": iterations })
}

fn load(doc: &Value) -> anyhow::Result<WorkflowDef> {
    baton_model::load(&doc.to_string())
        .map(|l| l.def)
        .map_err(|d| anyhow!("{d:?}"))
        .context("a benchmark definition does not load")
}

/// Input of chain workflow number `idx`.
pub fn chain_input(idx: usize) -> Value {
    json!({ "i": idx })
}

/// Output chain workflow number `idx` must end with.
pub fn chain_output(idx: usize, steps: usize) -> Value {
    json!({ "i": idx + steps })
}

/// Input of fan-out workflow number `idx` with `fan` branches.
pub fn fanout_input(idx: usize, fan: usize) -> Value {
    let items: Vec<Value> = (0..fan).map(|k| json!({ "v": idx * fan + k })).collect();
    json!({ "items": items })
}

/// Output fan-out workflow number `idx` with `fan` branches must end with.
pub fn fanout_output(idx: usize, fan: usize) -> Value {
    let sum: usize = (0..fan).map(|k| idx * fan + k).sum();
    json!({ "sum": sum, "parts": fan })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_load_and_validate() {
        for def in [chain(10), fanout(), looped(5, false), looped(5, true)] {
            let def = def.expect("loads");
            let diags = baton_model::validate::validate(&def, &baton_model::SourceMap::default());
            assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        }
    }

    #[test]
    fn steps_compute_what_the_checks_expect() {
        assert_eq!(work(STEP, &json!({"i": 4})), Ok(json!({"i": 5})));
        assert_eq!(work(FAN, &json!({"v": 7})), Ok(json!({"v": 7})));
        let parts = json!({"parts": {"a": {"v": 1}, "b": {"v": 2}}});
        assert_eq!(work(SUM, &parts), Ok(json!({"sum": 3, "parts": 2})));
        assert!(work(STEP, &json!({})).is_err());
        assert!(work(SUM, &json!({"parts": {"a": {}}})).is_err());
        assert!(work("other", &json!({})).is_err());
        assert_eq!(fanout_output(1, 3), json!({"sum": 3 + 4 + 5, "parts": 3}));
        assert_eq!(fanout_input(0, 2), json!({"items": [{"v": 0}, {"v": 1}]}));
    }
}
