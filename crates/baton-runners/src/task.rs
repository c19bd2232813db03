//! The runner contract: what a runner receives and what it reports.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

/// A boxed, sendable future, as returned by [`Runner::run`].
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a runner receives (built by the engine from a queued task).
///
/// Serialized (for `exec` runners' stdin) with camelCase keys:
/// `{"workflowId","taskId","refName","taskType","queue","attempt","input"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRequest {
    /// Id of the workflow the task belongs to.
    pub workflow_id: String,
    /// Id of this task attempt.
    pub task_id: String,
    /// Task reference name (with any loop suffix).
    pub ref_name: String,
    /// Conductor task type (`SIMPLE`, `HTTP`, `INLINE`, ...).
    pub task_type: String,
    /// Queue name: the task name for SIMPLE tasks, the type for system tasks.
    pub queue: String,
    /// Attempt number (0 = first).
    pub attempt: u32,
    /// The resolved task input.
    pub input: Value,
    /// The role the definition gives the task (`L0`..`L3`, native `agent_level`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_level: Option<String>,
}

/// What a runner reports.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    /// The task succeeded with this output (a JSON object).
    Completed {
        /// Task output.
        output: Value,
    },
    /// The task failed.
    Failed {
        /// Why, for people: a short, specific message.
        reason: String,
        /// Whatever output is useful for diagnosis (e.g. the HTTP response, the exit code).
        output: Value,
        /// `true` when retrying cannot help (a syntax error in a script, a missing
        /// parameter); the engine should not retry.
        terminal: bool,
    },
    /// The task is still running; the engine should call back after `callback_after_ms`.
    InProgress {
        /// Progress output so far.
        output: Value,
        /// When to look again, in milliseconds.
        callback_after_ms: u64,
    },
}

impl TaskOutcome {
    /// A completed outcome.
    pub fn completed(output: Value) -> Self {
        TaskOutcome::Completed { output }
    }

    /// A retryable failure with an empty output.
    pub fn failed(reason: impl Into<String>) -> Self {
        TaskOutcome::Failed {
            reason: reason.into(),
            output: Value::Object(Map::new()),
            terminal: false,
        }
    }

    /// A failure that retrying cannot fix, with an empty output.
    pub fn terminal(reason: impl Into<String>) -> Self {
        TaskOutcome::Failed {
            reason: reason.into(),
            output: Value::Object(Map::new()),
            terminal: true,
        }
    }

    /// The outcome of a canceled task: a retryable failure with reason `canceled`.
    pub fn canceled() -> Self {
        TaskOutcome::failed("canceled")
    }

    /// Replaces the output of a `Failed` or `InProgress` outcome (and the output of a
    /// `Completed` one).
    pub fn with_output(mut self, new_output: Value) -> Self {
        match &mut self {
            TaskOutcome::Completed { output }
            | TaskOutcome::Failed { output, .. }
            | TaskOutcome::InProgress { output, .. } => *output = new_output,
        }
        self
    }

    /// Whether this is a `Completed` outcome.
    pub fn is_completed(&self) -> bool {
        matches!(self, TaskOutcome::Completed { .. })
    }

    /// The output of any outcome.
    pub fn output(&self) -> &Value {
        match self {
            TaskOutcome::Completed { output }
            | TaskOutcome::Failed { output, .. }
            | TaskOutcome::InProgress { output, .. } => output,
        }
    }

    /// The failure reason, if this is a `Failed` outcome.
    pub fn reason(&self) -> Option<&str> {
        match self {
            TaskOutcome::Failed { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// Something that executes tasks of one or more queues.
pub trait Runner: Send + Sync {
    /// Runs one task. Must never panic: errors become [`TaskOutcome::Failed`] with a clear
    /// reason. When `cancel` fires, the runner stops the work as far as it can and returns
    /// [`TaskOutcome::canceled`].
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome>;

    /// Runs one task like [`Runner::run`], with the log lines the task's log should get
    /// (folder agents report them in their result files). The default has none.
    fn run_logged(
        &self,
        req: TaskRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<(TaskOutcome, Vec<String>)> {
        let fut = self.run(req, cancel);
        Box::pin(async move { (fut.await, Vec::new()) })
    }

    /// The worker id this runner's claims carry, for runners whose work outlives the
    /// Baton process (folder agents). `None` (the default) means an in-process runner:
    /// an attempt a crash interrupted is recorded as failed. A runner with its own id
    /// has its attempts handed out again after a crash, as the same attempt, and must
    /// pick up where the previous claim was.
    fn worker_id(&self) -> Option<String> {
        None
    }

    /// Gives the runner a way to ask about attempts it is not running (a folder agent
    /// uses it to reject results for unknown or ended attempts). The default ignores it.
    fn attach(&self, _lookup: Arc<dyn AttemptLookup>) {}

    /// What a running attempt of this runner waits for, when that is something outside
    /// Baton a person may have to start (a folder agent): shown by `baton run` when an
    /// attempt stays unanswered. The default says nothing.
    fn waits_on(&self) -> Option<WaitsOn> {
        None
    }
}

/// Something outside Baton that a runner's attempts wait for (see [`Runner::waits_on`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitsOn {
    /// What it is, for people (``folder agent `scanner` ``).
    pub what: String,
    /// Where the work is handed over (`agents/scanner/1N`).
    pub place: String,
    /// How to start it (`baton agent serve --root agents/scanner -- CMD`).
    pub start: String,
}

/// Where an attempt stands, as the engine's store says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptState {
    /// No such task in that workflow (or no such workflow).
    Unknown,
    /// Scheduled or in progress.
    Live,
    /// Ended, with this status (`COMPLETED`, `FAILED`, `CANCELED`, ...).
    Ended(String),
}

/// Answers where an attempt stands (implemented by the engine's dispatcher).
pub trait AttemptLookup: Send + Sync {
    /// The state of task `task_id` of workflow `workflow_id`. Errors reading the store
    /// answer [`AttemptState::Live`]: the caller looks again later.
    fn attempt(&self, workflow_id: &str, task_id: &str) -> AttemptState;
}

/// Wraps a non-object JSON value as `{"result": v}`; objects are returned unchanged.
pub(crate) fn object_or_result(v: Value) -> Value {
    match v {
        Value::Object(_) => v,
        other => {
            let mut m = Map::new();
            m.insert("result".to_owned(), other);
            Value::Object(m)
        }
    }
}

/// Looks up `key` in an object input (`None` for non-objects and missing keys).
pub(crate) fn input_field<'a>(input: &'a Value, key: &str) -> Option<&'a Value> {
    input.as_object().and_then(|m| m.get(key))
}
