//! What can happen to a workflow (events in) and what the decider asks for (effects out).

use crate::state::{ParentLink, TaskStatus, Timestamp, WorkflowStatus};
use baton_model::{Role, RunMode, WorkflowDef};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who caused an event: a person, a token, a worker or the engine itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Name as shown in the audit trail.
    pub name: String,
    /// Authority (L0 commander … L3 worker).
    pub role: Role,
    /// The domain an L2 principal is confined to (`None`: every domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The API key the request authenticated with, for the audit trail (`None` for the
    /// engine, local users and workers without a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl Principal {
    /// `name` with `role`, no domain, no key.
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Principal {
            name: name.into(),
            role,
            domain: None,
            key_id: None,
        }
    }

    /// This principal confined to `domain`.
    pub fn with_domain(mut self, domain: Option<String>) -> Self {
        self.domain = domain;
        self
    }

    /// This principal as authenticated by the API key `key_id`.
    pub fn with_key(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }

    /// The engine acting on its own (timers, child workflows ending, terminating
    /// children): full authority.
    pub fn system() -> Self {
        Principal::new("baton", Role::L0)
    }

    /// A worker (remote over HTTP or a local runner): role L3, it may poll and update
    /// worker tasks only.
    pub fn worker(worker_id: impl Into<String>) -> Self {
        Principal::new(worker_id, Role::L3)
    }

    /// Who caused a `TaskStarted` / `TaskUpdated` stored before events carried their
    /// principal. Those events were applied with no authority check, so replaying them
    /// must not check either: the legacy principal has full authority (L0), which keeps
    /// the replay of old histories identical to what was applied then.
    pub fn legacy() -> Self {
        Principal::new("legacy", Role::L0)
    }

    /// Whether this is a worker (role L3) rather than a person, operator or the engine.
    pub fn is_worker(&self) -> bool {
        self.role == Role::L3
    }
}

/// What a start chooses for one run, over the definition's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Execution mode (`None`: the definition's `mode`, else auto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RunMode>,
    /// Refs the run pauses before in debug mode (added to the definition's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakpoints: Vec<String>,
    /// The run's domain (`None`: the definition's `domain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The local runner bindings `baton run` started it with, so `baton resume` binds
    /// the same runners. The decider never reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runners: Option<RunnerBindings>,
}

/// Where a local run's runners came from (see [`RunOptions::runners`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunnerBindings {
    /// The runners file as given (absolute), when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Its text when the run started (a file changed or moved since binds as it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The folder the definition was in (its own `runners:` block resolves there).
    pub definition_dir: String,
}

impl RunOptions {
    /// Whether nothing is chosen (so the event is stored as before these existed).
    pub fn is_default(&self) -> bool {
        self == &RunOptions::default()
    }
}

/// Something that happened to a workflow. Every event is appended to the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The workflow starts with this input.
    WorkflowStarted {
        /// Input as given by the caller (defaults are applied by the decider).
        input: Value,
        /// Caller's correlation id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correlation_id: Option<String>,
        /// Set when started by a parent's SUB_WORKFLOW task.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<ParentLink>,
        /// Mode, breakpoints and domain chosen at start (the definition's apply where
        /// these say nothing).
        #[serde(default, skip_serializing_if = "RunOptions::is_default")]
        options: RunOptions,
        /// Who started it (`None`: the engine, a parent, or a history from before
        /// starts carried their principal). Checked by `authorize`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Principal>,
    },
    /// A worker picked the task up (poll).
    TaskStarted {
        /// The attempt.
        task_id: String,
        /// The worker's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worker_id: Option<String>,
        /// Who polled (a worker, L3). Histories stored before this field existed read
        /// as [`Principal::legacy`].
        #[serde(default = "Principal::legacy")]
        by: Principal,
    },
    /// A worker (or an API call) reports on a task: Conductor's `TaskResult`.
    TaskUpdated {
        /// The attempt.
        task_id: String,
        /// New status: IN_PROGRESS (progress / callback), COMPLETED, FAILED,
        /// FAILED_WITH_TERMINAL_ERROR.
        status: TaskResultStatus,
        /// Output data (replaces the previous output).
        #[serde(default)]
        output: Value,
        /// Why it failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// With IN_PROGRESS: hand the task out again after this delay.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        callback_after_ms: Option<u64>,
        /// The worker's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worker_id: Option<String>,
        /// Who reported (a worker is L3). Histories stored before this field existed read
        /// as [`Principal::legacy`].
        #[serde(default = "Principal::legacy")]
        by: Principal,
    },
    /// A timer the decider asked for is due.
    TimerFired {
        /// The timer.
        timer: Timer,
    },
    /// A person approved or rejected a HUMAN task.
    HumanDecision {
        /// The HUMAN task attempt.
        task_id: String,
        /// Approve (true) or reject (false).
        approved: bool,
        /// Who decided.
        by: Principal,
        /// Their comment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        /// Values the approver adds to the task's output (approve only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
    },
    /// Debug: schedule one held task (`task_ref`, or the first held) and pause before
    /// the next task again.
    DebugStepped {
        /// The held task's ref (with suffix); `None` = the first held task.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_ref: Option<String>,
        /// Who.
        by: Principal,
    },
    /// Debug: schedule every held task and run on to the next breakpoint.
    DebugContinued {
        /// Who.
        by: Principal,
    },
    /// A person changed the input of a held task before it runs (keys merged over it).
    TaskInputEdited {
        /// The held task's ref (with suffix).
        task_ref: String,
        /// The keys set, merged over the resolved input.
        input: Value,
        /// Who.
        by: Principal,
    },
    /// Operator: cancel a task that waits for a person (a HUMAN task or a held gate or
    /// breakpoint); it ends CANCELED and the workflow treats that as its failure.
    TaskCanceled {
        /// The task's ref (with suffix).
        task_ref: String,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Who.
        by: Principal,
    },
    /// A child workflow (SUB_WORKFLOW) ended.
    ChildWorkflowEnded {
        /// The parent's SUB_WORKFLOW attempt.
        task_id: String,
        /// The child's id.
        child_id: String,
        /// The child's final status.
        status: WorkflowStatus,
        /// The child's output.
        #[serde(default)]
        output: Value,
        /// Why it did not complete.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Operator: stop scheduling new tasks.
    Paused {
        /// Who.
        by: Principal,
    },
    /// Operator: continue a paused workflow.
    Resumed {
        /// Who.
        by: Principal,
    },
    /// Operator: end the workflow now.
    Terminated {
        /// Why.
        reason: String,
        /// Who.
        by: Principal,
    },
    /// Operator: retry the failed task(s) of a FAILED / TIMED_OUT workflow.
    Retried {
        /// Who.
        by: Principal,
    },
    /// Operator: run an ended workflow again from the start, with the same id and input.
    Restarted {
        /// Who.
        by: Principal,
    },
    /// Operator: run an ended workflow again, from the start (with a new input if given)
    /// or from one task (the attempts created after it are dropped; that task runs again,
    /// with `task_input` merged over its input if given). Conductor's `rerun`.
    Rerun {
        /// The task attempt to run again from; `None` = from the start.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_task_id: Option<String>,
        /// New workflow input (from the start only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workflow_input: Option<Value>,
        /// Input values merged over the rerun task's input.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_input: Option<Value>,
        /// Who.
        by: Principal,
    },
    /// Operator: skip a task that has not finished; its successors run.
    TaskSkipped {
        /// Reference name (with suffix) of the task.
        ref_name: String,
        /// Who.
        by: Principal,
    },
}

/// Status a worker may report (Conductor's `TaskResult.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskResultStatus {
    /// Still working (progress or heartbeat).
    InProgress,
    /// Done.
    Completed,
    /// Failed; retry per the task definition.
    Failed,
    /// Failed; do not retry.
    FailedWithTerminalError,
}

impl TaskResultStatus {
    /// Conductor's name for the status (as it is written in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
        }
    }
}

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// WAIT task's duration / until.
    Wait,
    /// Task attempt exceeded `timeoutSeconds` (also HUMAN / native `timeout`).
    TaskTimeout,
    /// Running attempt gave no update within `responseTimeoutSeconds`.
    ResponseTimeout,
    /// Scheduled attempt not picked up within `pollTimeoutSeconds`.
    PollTimeout,
    /// The workflow's own timeout.
    WorkflowTimeout,
}

/// A durable timer. Stale timers (their task moved on) are ignored when they fire, so
/// they never need cancelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timer {
    /// What the timer is for.
    pub kind: TimerKind,
    /// The task attempt it concerns (`None` for the workflow timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// When it is due.
    pub fire_at: Timestamp,
}

impl Timer {
    /// Stable id: one live timer per (kind, task); re-arming replaces it.
    pub fn id(&self) -> String {
        let kind = match self.kind {
            TimerKind::Wait => "wait",
            TimerKind::TaskTimeout => "timeout",
            TimerKind::ResponseTimeout => "response",
            TimerKind::PollTimeout => "poll",
            TimerKind::WorkflowTimeout => "workflow",
        };
        match &self.task_id {
            Some(t) => format!("{kind}:{t}"),
            None => kind.to_string(),
        }
    }
}

/// A worker task put on a queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedTask {
    /// The attempt.
    pub task_id: String,
    /// Queue name: the task name for SIMPLE tasks, the type for system tasks.
    pub queue: String,
    /// Conductor task type, stored as its name.
    pub task_type: baton_model::TaskType,
    /// Reference name (with suffix).
    pub ref_name: String,
    /// Resolved input.
    pub input: Value,
    /// Attempt number (0 = first).
    pub attempt: u32,
    /// Not handed out before this time (start delay, retry backoff, callback).
    pub visible_at: Timestamp,
    /// A worker holding it must report within this time, else it is retried (0 = none).
    pub response_timeout_ms: u64,
    /// The role the definition gives the task (native `agent_level`), for runners that
    /// pass it on (folder agents' task files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_level: Option<baton_model::Role>,
}

/// Request to start another workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRequest {
    /// Id for the new workflow (deterministic, so a replayed effect is idempotent).
    pub workflow_id: String,
    /// Name of a registered definition (ignored when `definition` is given).
    pub name: String,
    /// Version; `None` = latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// Inline definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Box<WorkflowDef>>,
    /// Input.
    pub input: Value,
    /// Correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Parent link for SUB_WORKFLOW (its end is reported back); `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    /// What the new run inherits: a sub-workflow its parent's mode and domain, other
    /// starts the domain.
    #[serde(default, skip_serializing_if = "RunOptions::is_default")]
    pub options: RunOptions,
}

/// What the decider asks the runtime to do. Effects are applied in the same transaction
/// as the state change that produced them, in order, each exactly as written: the runtime
/// adds no writes of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Put a worker task on its queue (or back on it, for a callback).
    Enqueue(QueuedTask),
    /// Take an attempt off its queue: asked for whenever an attempt leaves SCHEDULED or
    /// IN_PROGRESS for an end status, so a worker can no longer be handed it.
    Dequeue {
        /// The attempt.
        task_id: String,
    },
    /// Arm (or re-arm) a timer.
    StartTimer(Timer),
    /// Delete every timer of this workflow: it ended, so they could only fire stale.
    ClearTimers,
    /// Start another workflow (sub-workflow, START_WORKFLOW, failure workflow).
    StartWorkflow(StartRequest),
    /// Hand an event to another workflow, in the same transaction: a child's end to its
    /// parent's SUB_WORKFLOW task, or a termination to a child that must stop.
    DeliverEvent {
        /// The workflow that receives the event.
        workflow_id: String,
        /// The event (boxed: it is rare and larger than the other effects).
        event: Box<Event>,
    },
    /// The workflow ended (for the runtime's caches, metrics and progress displays).
    WorkflowEnded {
        /// Final status.
        status: WorkflowStatus,
    },
    /// Something an operator should know (ALERT_ONLY timeouts).
    Alert {
        /// What happened.
        message: String,
    },
}

/// A task status change, for progress displays and event streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The attempt.
    pub task_id: String,
    /// Its ref name (with suffix).
    pub ref_name: String,
    /// Previous status (`None` when the attempt was just created).
    pub from: Option<TaskStatus>,
    /// New status.
    pub to: TaskStatus,
}
