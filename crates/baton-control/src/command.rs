//! What an operator does to a workflow, and who does it.

use baton_core::{Event, Principal};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An operator action on one workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Stop scheduling new tasks (results are still recorded).
    Pause,
    /// Resume a paused workflow.
    Resume,
    /// End the workflow now.
    Terminate {
        /// Why (recorded as the reason for incompletion).
        reason: String,
    },
    /// Run an ended workflow again from the start, with the same id and input.
    Restart,
    /// Retry the failed task(s) of a failed or timed-out workflow.
    Retry,
    /// Run an ended workflow again: from the start (with `workflow_input` as the new
    /// input when given) or from the task attempt `from_task_id` (with `task_input`
    /// merged over its input).
    Rerun {
        /// The task attempt to run again from; `None` = from the start.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_task_id: Option<String>,
        /// New workflow input (from the start only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workflow_input: Option<Value>,
        /// Input merged over the task's (from a task only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_input: Option<Value>,
    },
    /// Skip a task that has not finished; its successors run.
    SkipTask {
        /// The task's reference name.
        ref_name: String,
    },
    /// Delete the workflow with its history.
    Remove,
    /// Approve a HUMAN task or a supervised run's gate: the task completes (HUMAN,
    /// with `output` merged into its output) or is scheduled (gate).
    Approve {
        /// The task's reference name.
        task_ref: String,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        /// Values for the HUMAN task's output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
    },
    /// Reject a HUMAN task or a gate: the task fails (a gate with `on_reject: skip` is
    /// skipped).
    Reject {
        /// The task's reference name.
        task_ref: String,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// Cancel a task that waits for a person (HUMAN, or held at a gate or breakpoint).
    CancelTask {
        /// The task's reference name.
        task_ref: String,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Debug: run one paused task (`task_ref`, or the first paused) and pause again.
    Step {
        /// The paused task's reference name; `None` = the first paused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_ref: Option<String>,
    },
    /// Debug: run every paused task and on to the next breakpoint.
    Continue,
    /// Set keys of a paused task's input before it runs.
    SetInput {
        /// The paused task's reference name.
        task_ref: String,
        /// The keys to set (a JSON object), merged over its input.
        input: Value,
    },
}

impl Operation {
    /// The operation's name in words (`pause`, `skip task`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Pause => "pause",
            Operation::Resume => "resume",
            Operation::Terminate { .. } => "terminate",
            Operation::Restart => "restart",
            Operation::Retry => "retry",
            Operation::Rerun { .. } => "rerun",
            Operation::SkipTask { .. } => "skip task",
            Operation::Remove => "remove",
            Operation::Approve { .. } => "approve",
            Operation::Reject { .. } => "reject",
            Operation::CancelTask { .. } => "cancel task",
            Operation::Step { .. } => "step",
            Operation::Continue => "continue",
            Operation::SetInput { .. } => "set input",
        }
    }

    /// The task whose current attempt id the event needs (approve and reject name the
    /// attempt they decide): the caller looks it up and passes it to
    /// [`OperatorCommand::event`].
    pub fn decided_task(&self) -> Option<&str> {
        match self {
            Operation::Approve { task_ref, .. } | Operation::Reject { task_ref, .. } => {
                Some(task_ref)
            }
            _ => None,
        }
    }
}

/// An operation, the workflow it acts on, and who asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorCommand {
    /// The workflow.
    pub workflow_id: String,
    /// What to do.
    pub operation: Operation,
    /// Who asks: recorded in the history by an in-process engine. Over HTTP the server
    /// decides who the caller is (its operator principal, until tokens exist).
    pub actor: Principal,
}

impl OperatorCommand {
    /// `operation` on `workflow_id`, asked by `actor`.
    pub fn new(workflow_id: impl Into<String>, operation: Operation, actor: Principal) -> Self {
        OperatorCommand {
            workflow_id: workflow_id.into(),
            operation,
            actor,
        }
    }

    /// The decider event this command is, or `None` for [`Operation::Remove`] (which
    /// deletes rather than records). Approve and reject need `task_id`, the current
    /// attempt of [`Operation::decided_task`]; without it they are `None` too.
    pub fn event(&self, task_id: Option<&str>) -> Option<Event> {
        let by = self.actor.clone();
        Some(match &self.operation {
            Operation::Pause => Event::Paused { by },
            Operation::Resume => Event::Resumed { by },
            Operation::Terminate { reason } => Event::Terminated {
                reason: reason.clone(),
                by,
            },
            Operation::Restart => Event::Restarted { by },
            Operation::Retry => Event::Retried { by },
            Operation::Rerun {
                from_task_id,
                workflow_input,
                task_input,
            } => Event::Rerun {
                from_task_id: from_task_id.clone(),
                workflow_input: workflow_input.clone(),
                task_input: task_input.clone(),
                by,
            },
            Operation::SkipTask { ref_name } => Event::TaskSkipped {
                ref_name: ref_name.clone(),
                by,
            },
            Operation::Remove => return None,
            Operation::Approve {
                comment, output, ..
            } => Event::HumanDecision {
                task_id: task_id?.to_string(),
                approved: true,
                by,
                comment: comment.clone(),
                output: output.clone(),
            },
            Operation::Reject { comment, .. } => Event::HumanDecision {
                task_id: task_id?.to_string(),
                approved: false,
                by,
                comment: comment.clone(),
                output: None,
            },
            Operation::CancelTask { task_ref, reason } => Event::TaskCanceled {
                task_ref: task_ref.clone(),
                reason: reason.clone(),
                by,
            },
            Operation::Step { task_ref } => Event::DebugStepped {
                task_ref: task_ref.clone(),
                by,
            },
            Operation::Continue => Event::DebugContinued { by },
            Operation::SetInput { task_ref, input } => Event::TaskInputEdited {
                task_ref: task_ref.clone(),
                input: input.clone(),
                by,
            },
        })
    }
}

/// What became of a command the engine did not refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CommandOutcome {
    /// It was recorded (or, for remove, carried out).
    Applied,
    /// It changed nothing (a duplicate, or overtaken); the reason says why. A server
    /// answers success for these, so only an in-process engine reports them.
    Ignored {
        /// Why.
        reason: String,
    },
}
