//! `baton-bench validate`: how long loading and validating a large definition takes.
//!
//! The definition is N flat SIMPLE tasks in Conductor JSON, each referring to the task
//! before it and to the first one (every reference checked for "may not have run"). The
//! work should grow linearly with N; the table shows milliseconds per 1,000 tasks.

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use std::time::Instant;

/// Default sizes.
pub const SIZES: &[usize] = &[1_000, 10_000];

/// One size's timing (medians of three runs).
#[derive(Debug, Clone, Copy)]
pub struct ValidationResult {
    /// Tasks in the definition.
    pub tasks: usize,
    /// Parsing and building the model, ms.
    pub load_ms: f64,
    /// The model checks, ms.
    pub validate_ms: f64,
}

/// The benchmark definition of `n` tasks, as JSON text.
pub fn definition(n: usize) -> String {
    let tasks: Vec<Value> = (0..n)
        .map(|i| {
            let input = if i == 0 {
                json!({})
            } else {
                json!({"previous": format!("${{t{}.output.v}}", i - 1), "first": "${t0.output.v}"})
            };
            json!({"name": format!("q{i}"), "taskReferenceName": format!("t{i}"),
                   "type": "SIMPLE", "inputParameters": input})
        })
        .collect();
    json!({"name": format!("validate-{n}"), "version": 1, "tasks": tasks}).to_string()
}

/// Times one size; fails if the definition does not validate cleanly.
pub fn measure(n: usize) -> anyhow::Result<ValidationResult> {
    let text = definition(n);
    let mut loads = Vec::new();
    let mut checks = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let loaded = baton_model::load(&text)
            .map_err(|d| anyhow::anyhow!("the benchmark definition does not load: {d:?}"))?;
        loads.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let found = baton_model::validate::validate(&loaded.def, &loaded.sources);
        checks.push(t.elapsed().as_secs_f64() * 1e3);
        if !found.is_empty() {
            bail!("the benchmark definition has findings: {:?}", found.first());
        }
    }
    Ok(ValidationResult {
        tasks: n,
        load_ms: median(&mut loads),
        validate_ms: median(&mut checks),
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Runs every size and prints the table.
pub fn run(sizes: &[usize]) -> anyhow::Result<Vec<ValidationResult>> {
    let mut out = Vec::new();
    println!("validation  tasks   load_ms  validate_ms  ms/1k_tasks");
    for &n in sizes {
        let r = measure(n).with_context(|| format!("validating {n} tasks"))?;
        let per_k = (r.load_ms + r.validate_ms) * 1_000.0 / n.max(1) as f64;
        println!(
            "validation  {:>6}  {:>8.1}  {:>11.1}  {:>11.2}",
            r.tasks, r.load_ms, r.validate_ms, per_k
        );
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definition_validates_cleanly_and_is_measured() {
        let r = measure(50).expect("measure");
        assert_eq!(r.tasks, 50);
        assert!(r.load_ms >= 0.0 && r.validate_ms >= 0.0);
    }
}
