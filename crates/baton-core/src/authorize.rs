//! The one authority check: who may cause which event. [`crate::decide`] runs it first,
//! before any handler, so a refused event never reaches the state machine.
//!
//! Rules (roles: L0 commander … L3 worker; a lower number is more authority):
//! - A HUMAN task is completed or failed (`TaskUpdated` COMPLETED / FAILED /
//!   FAILED_WITH_TERMINAL_ERROR, or `HumanDecision`) only by a principal whose role is at
//!   or above the task's `role` (default L0).
//! - Workers (L3) poll and update worker tasks, never a HUMAN task (not even IN_PROGRESS).
//! - A decision on a task held at a supervised run's gate needs L0.
//! - Operator events (pause, resume, terminate, retry, restart, rerun, skip, cancel a
//!   waiting task, debug step / continue / input edits) need L1 or higher, or L2 in the
//!   workflow's own domain.
//! - A start that names who started it (`WorkflowStarted.by`) is checked by [`permit`]
//!   as [`Action::StartWorkflow`] in the run's domain.
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

/// The authority deciding a supervised run's gate needs.
pub const GATE_ROLE: Role = Role::L0;

/// Whether `event` is allowed for the principal it carries, in this workflow state.
/// Pure: no I/O, clock or randomness.
pub fn authorize(
    definition: &WorkflowDef,
    state: &WorkflowState,
    event: &Event,
) -> Result<(), Refusal> {
    match event {
        Event::WorkflowStarted {
            by: Some(by),
            options,
            ..
        } => {
            let domain = options.domain.as_deref().or(definition.domain.as_deref());
            permit(by, &Action::StartWorkflow { domain })
        }
        Event::WorkflowStarted { by: None, .. }
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
        Event::HumanDecision { task_id, by, .. }
            if state
                .task_index(task_id)
                .is_some_and(|i| state.tasks[i].hold == Some(crate::state::Hold::Gate)) =>
        {
            if by.role > GATE_ROLE {
                let t = &state.tasks[state.task_index(task_id).unwrap_or_default()];
                return Err(Refusal::forbidden(format!(
                    "{} has role {:?}; deciding the gate before task {} needs {:?}",
                    by.name, by.role, t.ref_name, GATE_ROLE
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
        Event::Paused { by } => operator(state, by, "pausing"),
        Event::Resumed { by } => operator(state, by, "resuming"),
        Event::Terminated { by, .. } => operator(state, by, "terminating"),
        Event::Retried { by } => operator(state, by, "retrying"),
        Event::Restarted { by } => operator(state, by, "restarting"),
        Event::Rerun { by, .. } => operator(state, by, "rerunning"),
        Event::TaskSkipped { by, .. } => operator(state, by, "skipping a task of"),
        Event::TaskCanceled { by, .. } => operator(state, by, "canceling a task of"),
        Event::DebugStepped { by, .. } => operator(state, by, "stepping"),
        Event::DebugContinued { by } => operator(state, by, "continuing"),
        Event::TaskInputEdited { by, .. } => operator(state, by, "changing a task input of"),
    }
}

/// Operator events need L1, or L2 in the workflow's own domain.
fn operator(state: &WorkflowState, by: &Principal, verb: &str) -> Result<(), Refusal> {
    if by.role == Role::L2 {
        let domain = state.run.domain.as_deref();
        if by.domain.is_some() && by.domain.as_deref() == domain {
            return Ok(());
        }
        return Err(Refusal::forbidden(format!(
            "{} has role L2{}; {verb} a workflow{} needs {:?} or higher, or role L2 in its domain",
            by.name,
            in_domain(by.domain.as_deref()),
            in_domain(domain),
            OPERATOR_ROLE
        )));
    }
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

/// What a request asks to do that is not an event on one workflow: the request-level
/// half of the one authority check. [`permit`] answers it; [`authorize`] answers events.
/// Servers map each endpoint to one action and call [`permit`] once, before the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Read workflows, their tasks, history, approvals and the event stream.
    ReadWorkflows,
    /// Read workflow and task definitions.
    ReadDefinitions,
    /// Register, change or delete workflow and task definitions.
    ChangeDefinitions,
    /// Start a workflow in `domain` (`None`: no domain).
    StartWorkflow {
        /// The domain the new workflow will have.
        domain: Option<&'a str>,
    },
    /// Operate a workflow of `domain` (pause, terminate, remove, ...): the events are
    /// checked again by [`authorize`]; this is for actions without an event (remove).
    OperateWorkflow {
        /// The workflow's domain.
        domain: Option<&'a str>,
    },
    /// Poll tasks, report results, ack, append task logs (what workers do).
    WorkTasks,
    /// Create, list and revoke API keys.
    ManageTokens,
}

impl Action<'_> {
    /// The action in words, for a refusal.
    fn describe(&self) -> String {
        match self {
            Action::ReadWorkflows => "reading workflows".into(),
            Action::ReadDefinitions => "reading definitions".into(),
            Action::ChangeDefinitions => "changing definitions".into(),
            Action::StartWorkflow { domain } => {
                format!("starting a workflow{}", in_domain(*domain))
            }
            Action::OperateWorkflow { domain } => {
                format!("operating a workflow{}", in_domain(*domain))
            }
            Action::WorkTasks => "polling and updating tasks".into(),
            Action::ManageTokens => "managing API keys".into(),
        }
    }
}

fn in_domain(domain: Option<&str>) -> String {
    match domain {
        Some(d) => format!(" in domain `{d}`"),
        None => " without a domain".to_string(),
    }
}

/// Whether `by` may do `action`. Roles: L0 everything; L1 everything but managing API
/// keys; L2 reads, works tasks, and starts and operates workflows of its own domain only;
/// L3 works tasks only. A refusal is [`crate::RefusalKind::Forbidden`] naming the role or
/// domain that is needed. Pure: no I/O.
pub fn permit(by: &Principal, action: &Action<'_>) -> Result<(), Refusal> {
    let needed = match action {
        Action::WorkTasks => Role::L3,
        Action::ReadWorkflows | Action::ReadDefinitions => Role::L2,
        Action::StartWorkflow { domain } | Action::OperateWorkflow { domain } => {
            if by.role == Role::L2 {
                return in_own_domain(by, *domain, action);
            }
            Role::L1
        }
        Action::ChangeDefinitions => Role::L1,
        Action::ManageTokens => Role::L0,
    };
    if by.role > needed {
        return Err(Refusal::forbidden(format!(
            "{} has role {:?}; {} needs {:?} or higher",
            by.name,
            by.role,
            action.describe(),
            needed
        )));
    }
    Ok(())
}

/// An L2 principal acts in its own domain only.
fn in_own_domain(by: &Principal, domain: Option<&str>, action: &Action<'_>) -> Result<(), Refusal> {
    match (by.domain.as_deref(), domain) {
        (Some(own), Some(d)) if own == d => Ok(()),
        (own, _) => Err(Refusal::forbidden(format!(
            "{} has role L2{}; {} needs L1 or higher, or role L2 in that domain",
            by.name,
            match own {
                Some(o) => format!(" in domain `{o}`"),
                None => " without a domain".to_string(),
            },
            action.describe()
        ))),
    }
}
