//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use baton_runners::{Runner, TaskOutcome, TaskRequest};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// A request for `queue` with `input`.
pub fn req(queue: &str, input: Value) -> TaskRequest {
    TaskRequest {
        workflow_id: "wf-1".to_owned(),
        task_id: "task-1".to_owned(),
        ref_name: "ref_1".to_owned(),
        task_type: "SIMPLE".to_owned(),
        queue: queue.to_owned(),
        attempt: 0,
        input,
        agent_level: None,
    }
}

/// Runs with a generous overall limit so a hung runner fails the test instead of hanging.
pub async fn run(runner: &Arc<dyn Runner>, req: TaskRequest) -> TaskOutcome {
    run_with(runner, req, CancellationToken::new()).await
}

/// As [`run`], with a cancellation token.
pub async fn run_with(
    runner: &Arc<dyn Runner>,
    req: TaskRequest,
    cancel: CancellationToken,
) -> TaskOutcome {
    match tokio::time::timeout(Duration::from_secs(30), runner.run(req, cancel)).await {
        Ok(outcome) => outcome,
        Err(_) => panic!("runner did not finish within 30 s"),
    }
}

/// The output of a completed outcome; panics with the outcome otherwise.
pub fn completed(outcome: TaskOutcome) -> Value {
    match outcome {
        TaskOutcome::Completed { output } => output,
        other => panic!("expected Completed, got {other:?}"),
    }
}

/// The reason and terminal flag of a failed outcome; panics otherwise.
pub fn failed(outcome: &TaskOutcome) -> (&str, bool) {
    match outcome {
        TaskOutcome::Failed {
            reason, terminal, ..
        } => (reason.as_str(), *terminal),
        other => panic!("expected Failed, got {other:?}"),
    }
}
