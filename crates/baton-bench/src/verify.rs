//! After a run: every workflow is read back from the store and checked.

use anyhow::{Context, bail};
use baton_core::{TaskStatus, WorkflowState, WorkflowStatus};
use baton_store::Reader;
use serde_json::Value;

/// What one workflow must look like at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// Completed SIMPLE (worker) tasks, and no other SIMPLE attempts.
    pub steps: usize,
    /// The workflow's output.
    pub output: Value,
}

/// Checks one stored workflow state against `want`.
pub fn check(state: &WorkflowState, want: &Expected) -> anyhow::Result<()> {
    let id = &state.workflow_id;
    if state.status != WorkflowStatus::Completed {
        bail!("workflow {id} is {:?}, not COMPLETED", state.status);
    }
    let simple: Vec<_> = state
        .tasks
        .iter()
        .filter(|t| {
            t.task_type == baton_model::TaskType::Simple || t.task_type.as_str() == "INLINE"
        })
        .collect();
    let done = simple
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .count();
    if done != want.steps || simple.len() != want.steps {
        bail!(
            "workflow {id} has {done} completed worker steps out of {} attempts; expected {}",
            simple.len(),
            want.steps
        );
    }
    if state.output != want.output {
        bail!(
            "workflow {id} output is {}; expected {}",
            state.output,
            want.output
        );
    }
    Ok(())
}

/// Checks workflows `<prefix>-0 .. <prefix>-<n-1>`; `want(i)` says what workflow `i`
/// must look like. Returns the number of worker steps checked.
pub fn check_all(
    reader: &dyn Reader,
    prefix: &str,
    n: usize,
    want: impl Fn(usize) -> Expected,
) -> anyhow::Result<u64> {
    let mut steps = 0u64;
    for i in 0..n {
        let id = crate::track::workflow_id(prefix, i);
        let stored = reader
            .workflow(&id)
            .with_context(|| format!("cannot read workflow {id}"))?
            .with_context(|| format!("workflow {id} was never created"))?;
        if stored.meta.status != stored.state.status {
            bail!(
                "workflow {id}: row status {:?} differs from its snapshot's {:?}",
                stored.meta.status,
                stored.state.status
            );
        }
        let expected = want(i);
        check(&stored.state, &expected)?;
        steps += expected.steps as u64;
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejects_unfinished_wrong_count_and_wrong_output() {
        let mut s = WorkflowState::new("w1-0", "bench_chain", 1);
        let want = Expected {
            steps: 0,
            output: json!({"i": 10}),
        };
        assert!(
            check(&s, &want)
                .unwrap_err()
                .to_string()
                .contains("not COMPLETED")
        );
        s.status = WorkflowStatus::Completed;
        assert!(check(&s, &want).unwrap_err().to_string().contains("output"));
        s.output = json!({"i": 10});
        check(&s, &want).expect("matches");
        let more = Expected { steps: 1, ..want };
        assert!(
            check(&s, &more)
                .unwrap_err()
                .to_string()
                .contains("worker steps")
        );
    }
}
