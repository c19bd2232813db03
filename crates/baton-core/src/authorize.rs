//! The one authority check: who may cause which event. [`crate::decide`] runs it first,
//! before any handler, so a refused event never reaches the state machine.
//!
//! Rules (roles: L0 commander … L3 worker; a lower number is more authority):
//! - A HUMAN task is completed or failed (`TaskUpdated` COMPLETED / FAILED /
//!   FAILED_WITH_TERMINAL_ERROR, or `HumanDecision`) only by a principal whose role is at
//!   or above the task's `role` (default L0).
//! - Workers (L3) poll and update worker tasks, never a HUMAN task (not even IN_PROGRESS).
//! - Operator events (pause, resume, terminate, retry, restart, rerun, skip) need L1 or
//!   higher.
//! - Events without a principal (workflow started, timer fired, child workflow ended) come
//!   from the engine or from whoever was allowed to start the workflow: always allowed.
//!
//! Events stored before `TaskStarted` / `TaskUpdated` carried a principal read as
//! [`Principal::legacy`] (L0), so replaying old histories is unchanged.
//!
//! An event that names a task the workflow does not have passes here; its handler
//! refuses it as [`crate::RefusalKind::UnknownTask`].

use crate::event::{Event, Principal, TaskResultStatus};
use crate::refusal::Refusal;
use crate::state::{TaskInstance, WorkflowState};
use baton_model::{Role, WorkflowDef};

/// The least authority operator events need.
pub const OPERATOR_ROLE: Role = Role::L1;

/// Whether `event` is allowed for the principal it carries, in this workflow state.
/// Pure: no I/O, clock or randomness.
pub fn authorize(
    definition: &WorkflowDef,
    state: &WorkflowState,
    event: &Event,
) -> Result<(), Refusal> {
    match event {
        Event::WorkflowStarted { .. }
        | Event::TimerFired { .. }
        | Event::ChildWorkflowEnded { .. } => Ok(()),
        Event::TaskStarted { task_id, by, .. } => match human_task(state, task_id) {
            Some(t) if by.is_worker() => Err(worker_on_human(definition, by, t)),
            _ => Ok(()),
        },
        Event::TaskUpdated {
            task_id,
            status,
            by,
            ..
        } => {
            let Some(t) = human_task(state, task_id) else {
                return Ok(());
            };
            if by.is_worker() {
                return Err(worker_on_human(definition, by, t));
            }
            let verb = match status {
                TaskResultStatus::InProgress => return Ok(()),
                TaskResultStatus::Completed => "completing",
                TaskResultStatus::Failed | TaskResultStatus::FailedWithTerminalError => "failing",
            };
            let required = required_role(definition, t);
            if by.role > required {
                return Err(Refusal::forbidden(format!(
                    "{} has role {:?}; {verb} task {} needs {:?} or higher",
                    by.name, by.role, t.ref_name, required
                )));
            }
            Ok(())
        }
        Event::HumanDecision { task_id, by, .. } => {
            let Some(t) = human_task(state, task_id) else {
                // Unknown or not HUMAN: the handler says which.
                return Ok(());
            };
            let required = required_role(definition, t);
            if by.role > required {
                return Err(Refusal::forbidden(format!(
                    "{} has role {:?}; deciding task {} needs {:?} or higher",
                    by.name, by.role, t.ref_name, required
                )));
            }
            Ok(())
        }
        Event::Paused { by } => operator(by, "pausing"),
        Event::Resumed { by } => operator(by, "resuming"),
        Event::Terminated { by, .. } => operator(by, "terminating"),
        Event::Retried { by } => operator(by, "retrying"),
        Event::Restarted { by } => operator(by, "restarting"),
        Event::Rerun { by, .. } => operator(by, "rerunning"),
        Event::TaskSkipped { by, .. } => operator(by, "skipping a task of"),
    }
}

fn operator(by: &Principal, verb: &str) -> Result<(), Refusal> {
    if by.role > OPERATOR_ROLE {
        return Err(Refusal::forbidden(format!(
            "{} has role {:?}; {verb} a workflow needs {:?} or higher",
            by.name, by.role, OPERATOR_ROLE
        )));
    }
    Ok(())
}

/// The attempt, if it exists and is a HUMAN task.
fn human_task<'s>(state: &'s WorkflowState, task_id: &str) -> Option<&'s TaskInstance> {
    state
        .task_index(task_id)
        .map(|i| &state.tasks[i])
        .filter(|t| t.task_type.awaits_person())
}

/// The role a HUMAN task's decision needs (its `role`, default L0).
fn required_role(definition: &WorkflowDef, t: &TaskInstance) -> Role {
    definition
        .find(&t.def_ref)
        .and_then(|d| d.role)
        .unwrap_or(Role::L0)
}

fn worker_on_human(definition: &WorkflowDef, by: &Principal, t: &TaskInstance) -> Refusal {
    Refusal::forbidden(format!(
        "{} is a worker (role {:?}); workers cannot update HUMAN task {}: deciding it needs {:?} or higher",
        by.name,
        by.role,
        t.ref_name,
        required_role(definition, t)
    ))
}
