//! Plain, serialisable views: what an operator looks at, the same whichever
//! [`crate::Control`] answered.

use baton_core::{Event, Hold, Principal, TaskStatus, Timestamp, WorkflowStatus};
use baton_model::{Role, RunMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A workflow with its tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowView {
    /// Its id.
    pub id: String,
    /// Definition name.
    pub name: String,
    /// Definition version.
    pub version: u32,
    /// Where it stands.
    pub status: WorkflowStatus,
    /// Why it failed, timed out or was terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The workflow that started it as a sub-workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_id: Option<String>,
    /// Input.
    pub input: Value,
    /// Output (null until it has one).
    pub output: Value,
    /// When it was created (ms since the epoch).
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// Every task attempt, in the order they were scheduled.
    pub tasks: Vec<TaskView>,
    /// Execution mode.
    #[serde(default)]
    pub mode: RunMode,
    /// Debug breakpoints (task refs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakpoints: Vec<String>,
    /// The run's domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Workflow variables (SET_VARIABLE).
    #[serde(default)]
    pub variables: Value,
    /// The definition's description (a workset's goal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Every task ref of the definition, nested ones too, in definition order (what a
    /// run may still reach, for progress).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<String>,
}

impl WorkflowView {
    /// The tasks held before they run (gates and breakpoints), in creation order.
    pub fn held(&self) -> impl Iterator<Item = &TaskView> {
        self.tasks
            .iter()
            .filter(|t| t.hold.is_some() && !t.status.is_terminal())
    }
}

/// One attempt of one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    /// Unique id of this attempt.
    pub task_id: String,
    /// Reference name (with `__N` inside loops).
    pub ref_name: String,
    /// The reference name in the definition (without the loop suffix).
    pub def_ref: String,
    /// Task name (the queue, for worker tasks).
    pub name: String,
    /// Task type (`SIMPLE`, `HUMAN`, `SWITCH`, ...). A worker task is `SIMPLE` in
    /// process and over HTTP (where Conductor's JSON shows its queue name, the view
    /// reads the type from the definition the server sends along).
    pub task_type: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// 0 for the first attempt.
    pub attempt: u32,
    /// Resolved input.
    pub input: Value,
    /// Output.
    pub output: Value,
    /// Why it failed, timed out or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The worker that holds or held it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// When it was scheduled.
    pub scheduled_at: Timestamp,
    /// When a worker picked it up (or it started waiting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// The role its definition asks of whoever completes it (HUMAN tasks); `None` when
    /// the definition names none (then L0 decides) or is not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Held before it runs: waiting at a supervised run's gate or a debug breakpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
}

/// A row of a workflow list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowSummary {
    /// Its id.
    pub id: String,
    /// Definition name.
    pub name: String,
    /// Definition version.
    pub version: u32,
    /// Where it stands.
    pub status: WorkflowStatus,
    /// Correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// When it was created (ms since the epoch).
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Which workflows [`crate::Control::list`] returns (newest first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListFilter {
    /// Only this definition name.
    #[serde(default)]
    pub name: Option<String>,
    /// Only these statuses (empty = any).
    #[serde(default)]
    pub statuses: Vec<WorkflowStatus>,
    /// Only this correlation id.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Skip this many.
    #[serde(default)]
    pub start: usize,
    /// At most this many (0 = the implementation's default: 100 over HTTP, all in
    /// process).
    #[serde(default)]
    pub size: usize,
}

/// How to start a registered workflow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartRequest {
    /// Definition name.
    pub name: String,
    /// Version; `None` = the latest.
    #[serde(default)]
    pub version: Option<u32>,
    /// Input (a JSON object).
    #[serde(default)]
    pub input: Value,
    /// Correlation id.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Execution mode (`None`: the definition's, else auto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RunMode>,
    /// Debug breakpoints (task refs), added to the definition's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakpoints: Vec<String>,
    /// The run's domain (`None`: the definition's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Who starts it, for the audit trail and the authority check (in process; a server
    /// decides this itself from the caller's token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Principal>,
}

/// One event of a workflow's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// Position in the history, from 0.
    pub seq: u64,
    /// When it was applied (ms since the epoch).
    pub at: Timestamp,
    /// The event.
    pub event: HistoryEvent,
}

/// A history event: typed when this build knows its shape; otherwise (a newer server)
/// kept as the JSON it came as, so nothing is lost in showing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
// Nearly every item is `Known`, so boxing it would cost an allocation per event read.
#[allow(clippy::large_enum_variant)]
pub enum HistoryEvent {
    /// An event this build knows.
    Known(Event),
    /// An event of a shape this build does not know.
    Unknown(Value),
}

/// A HUMAN task waiting for a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    /// Its workflow.
    pub workflow_id: String,
    /// The workflow's definition name.
    pub workflow_name: String,
    /// The waiting attempt.
    pub task_id: String,
    /// The task's reference name.
    pub ref_name: String,
    /// Since when it waits (ms since the epoch).
    pub since: Timestamp,
    /// What the decision is about (the task's resolved input).
    pub input: Value,
    /// The least authority that may decide it (a lower level is more authority): the
    /// task's `role`, L0 when its definition names none; L0 for a gate.
    pub decided_by: Role,
    /// What waits: a HUMAN task, or a supervised run's gate before a task.
    #[serde(default)]
    pub kind: ApprovalKind,
    /// The waiting task's type (`HUMAN`, `SIMPLE`, ...).
    #[serde(default)]
    pub task_type: String,
}

/// What an approval is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    /// A HUMAN task: approve completes it, reject fails it.
    #[default]
    Human,
    /// A gate of a supervised run: approve schedules the task, reject fails (or skips) it.
    Gate,
}

impl ApprovalView {
    /// The HUMAN tasks and gates of `w` that wait for a decision.
    pub fn waiting_in(w: &WorkflowView) -> Vec<ApprovalView> {
        if w.status.is_terminal() {
            return Vec::new();
        }
        w.tasks
            .iter()
            .filter(|t| !t.status.is_terminal())
            .filter_map(|t| {
                let kind = match t.hold {
                    Some(Hold::Gate) => ApprovalKind::Gate,
                    None if t.task_type == "HUMAN" => ApprovalKind::Human,
                    _ => return None,
                };
                Some(ApprovalView {
                    workflow_id: w.id.clone(),
                    workflow_name: w.name.clone(),
                    task_id: t.task_id.clone(),
                    ref_name: t.ref_name.clone(),
                    since: t.scheduled_at,
                    input: t.input.clone(),
                    decided_by: match kind {
                        ApprovalKind::Gate => baton_core::GATE_ROLE,
                        ApprovalKind::Human => t.role.unwrap_or(Role::L0),
                    },
                    kind,
                    task_type: t.task_type.clone(),
                })
            })
            .collect()
    }
}
