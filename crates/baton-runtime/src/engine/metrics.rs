//! What the engine counts, through the `metrics` facade. Facts are gathered while a
//! batch is decided and recorded only after it commits, so a counter never counts work
//! a failed batch threw away. Without an installed recorder (`baton run`, tests) every
//! call is a no-op; `baton server` installs the Prometheus one.
//!
//! Labels are definition names and task names/types, never ids, so cardinality is
//! bounded by the definitions.

use baton_core::{TaskStatus, Timestamp, WorkflowState, WorkflowStatus};

/// Workflows started, by definition name.
pub const WORKFLOWS_STARTED: &str = "baton_workflows_started_total";
/// Workflows that reached an end status, by definition name and status.
pub const WORKFLOWS_ENDED: &str = "baton_workflows_ended_total";
/// From start to end, by definition name (histogram, seconds).
pub const WORKFLOW_DURATION: &str = "baton_workflow_duration_seconds";
/// Task attempts that reached an end status, by task type and status.
pub const TASKS_ENDED: &str = "baton_tasks_ended_total";
/// From an attempt's start to its end, by task type (histogram, seconds).
pub const TASK_DURATION: &str = "baton_task_duration_seconds";
/// Attempts after the first, by task type.
pub const TASK_RETRIES: &str = "baton_task_retries_total";
/// One store transaction's commit (histogram, seconds).
pub const STORE_COMMIT: &str = "baton_store_commit_seconds";
/// Commands decided in one transaction (histogram).
pub const STORE_BATCH_SIZE: &str = "baton_store_batch_size";

/// The `task_type` label of an attempt: the queue name for worker tasks (the task's
/// name for SIMPLE tasks, the type for system tasks), the type for the rest.
pub fn task_label(task_type: &baton_model::TaskType, name: &str) -> String {
    task_type
        .queue(name)
        .map_or_else(|| task_type.to_string(), str::to_owned)
}

/// The countable facts of one decision.
#[derive(Debug, Default)]
pub(crate) struct DecisionMetrics {
    started: Option<String>,
    ended: Option<(String, WorkflowStatus, f64)>,
    tasks_ended: Vec<(String, TaskStatus, Option<f64>)>,
    retries: Vec<String>,
}

impl DecisionMetrics {
    /// What `state` (after a decision that made `transitions`) adds to the counts.
    pub(crate) fn of(
        state: &WorkflowState,
        transitions: &[baton_core::Transition],
        before: WorkflowStatus,
        now: Timestamp,
    ) -> DecisionMetrics {
        let mut m = DecisionMetrics::default();
        for t in transitions {
            let new_attempt = t.from.is_none();
            if !(t.to.is_terminal() || new_attempt) {
                continue;
            }
            let Some(i) = state.task(&t.task_id) else {
                continue;
            };
            if new_attempt && i.attempt > 0 {
                m.retries.push(task_label(&i.task_type, &i.name));
            }
            if t.to.is_terminal() {
                let took = i.started_at.map(|s| seconds(now.saturating_sub(s)));
                m.tasks_ended
                    .push((task_label(&i.task_type, &i.name), t.to, took));
            }
        }
        if before == WorkflowStatus::Pending && state.status != WorkflowStatus::Pending {
            m.started = Some(state.name.clone());
        }
        if state.status.is_terminal() && !before.is_terminal() {
            m.ended = Some((
                state.name.clone(),
                state.status,
                seconds(now.saturating_sub(state.created_at)),
            ));
        }
        m
    }

    fn is_empty(&self) -> bool {
        self.started.is_none()
            && self.ended.is_none()
            && self.tasks_ended.is_empty()
            && self.retries.is_empty()
    }
}

/// The facts of one batch, recorded once it committed.
#[derive(Debug, Default)]
pub(crate) struct BatchMetrics {
    decisions: Vec<DecisionMetrics>,
    commands: usize,
    commit_seconds: Option<f64>,
}

impl BatchMetrics {
    pub(crate) fn add(&mut self, m: DecisionMetrics) {
        if !m.is_empty() {
            self.decisions.push(m);
        }
    }

    pub(crate) fn committed(&mut self, commands: usize, commit_seconds: f64) {
        self.commands = commands;
        self.commit_seconds = Some(commit_seconds);
    }

    /// Records everything (after the commit).
    pub(crate) fn record(self) {
        if let Some(s) = self.commit_seconds {
            metrics::histogram!(STORE_COMMIT).record(s);
            metrics::histogram!(STORE_BATCH_SIZE).record(self.commands as f64);
        }
        for d in self.decisions {
            if let Some(name) = d.started {
                metrics::counter!(WORKFLOWS_STARTED, "workflow" => name).increment(1);
            }
            if let Some((name, status, took)) = d.ended {
                metrics::histogram!(WORKFLOW_DURATION, "workflow" => name.clone()).record(took);
                metrics::counter!(WORKFLOWS_ENDED, "workflow" => name, "status" => status.as_str())
                    .increment(1);
            }
            for (label, status, took) in d.tasks_ended {
                if let Some(took) = took {
                    metrics::histogram!(TASK_DURATION, "task_type" => label.clone()).record(took);
                }
                metrics::counter!(TASKS_ENDED, "task_type" => label, "status" => status.as_str())
                    .increment(1);
            }
            for label in d.retries {
                metrics::counter!(TASK_RETRIES, "task_type" => label).increment(1);
            }
        }
    }
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}
