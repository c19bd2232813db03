//! The seeds' *workset*: one run as a unit of work with a goal, an owner, progress, its
//! tasks, failures and pending approvals. Computed from the views every [`crate::Control`]
//! gives, so a server and an in-process engine answer the same.

use crate::view::{ApprovalKind, ApprovalView, HistoryEvent, HistoryItem, WorkflowView};
use baton_core::{Event, TaskStatus, Timestamp, WorkflowStatus};
use baton_model::WorkflowDef;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A run as a workset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorksetView {
    /// `ws-{workflowId}`.
    pub id: String,
    /// What the run is for: its definition's description (else its name).
    pub goal: String,
    /// `in_progress`, `waiting` (for a person), `paused`, `completed`, `failed`,
    /// `timed_out`, `terminated`.
    pub status: String,
    /// Who started it (the start's principal), `unknown` for runs started before starts
    /// recorded it, or by the engine (a parent, a schedule).
    pub owner: String,
    /// The workflow behind it.
    pub workflow: WorksetWorkflow,
    /// Every task (the latest attempt of each), in the order they were scheduled.
    pub tasks: Vec<WorksetTask>,
    /// Failed attempts and retries.
    pub failures: WorksetFailures,
    /// What waits for a person.
    pub approvals: Vec<WorksetApproval>,
}

/// The workflow part of a workset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorksetWorkflow {
    /// Definition name.
    pub definition: String,
    /// Definition version.
    pub version: u32,
    /// The workflow id.
    pub instance_id: String,
    /// Its status (`RUNNING`, `COMPLETED`, ...).
    pub state: WorkflowStatus,
    /// The tasks running or waiting now.
    pub current_tasks: Vec<String>,
    /// Finished tasks over the tasks this run can still reach, in % (skipped branches
    /// count for neither; a completed run is 100).
    pub progress: u8,
    /// `finished/total` behind `progress`.
    pub progress_tasks: String,
    /// When it started (ms since the epoch).
    pub started: Timestamp,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<Timestamp>,
    /// How long it ran (until now, or until it ended), in ms.
    pub elapsed_ms: u64,
}

/// One task of a workset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorksetTask {
    /// The task's ref.
    pub id: String,
    /// Its type.
    pub task_type: String,
    /// Its status.
    pub status: TaskStatus,
    /// How many attempts it took so far.
    pub attempts: u32,
    /// When its latest attempt started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<Timestamp>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<Timestamp>,
    /// Where its output is: the task in the workflow's API view.
    pub output: String,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Failures of a workset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorksetFailures {
    /// Failed, timed-out or canceled attempts.
    pub count: usize,
    /// Each retry: the task, the attempt that failed, and why.
    pub retries: Vec<WorksetRetry>,
}

/// A failed attempt that was retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorksetRetry {
    /// The task.
    pub task: String,
    /// The attempt that failed (0 = the first).
    pub attempt: u32,
    /// Why.
    pub reason: String,
}

/// A pending approval of a workset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorksetApproval {
    /// The task.
    pub task: String,
    /// A HUMAN task or a gate.
    pub kind: ApprovalKind,
    /// `pending`.
    pub status: String,
    /// Since when (ms since the epoch).
    pub requested: Timestamp,
    /// Who may decide.
    pub decided_by: baton_model::Role,
}

/// Every task ref of `def`, nested ones too, in definition order.
pub fn planned_refs(def: &WorkflowDef) -> Vec<String> {
    let mut refs = Vec::new();
    let _ = def.visit(baton_model::Reach::Definition, &mut |v| {
        refs.push(v.task.ref_name.clone());
        std::ops::ControlFlow::<()>::Continue(())
    });
    refs
}

/// Who started a run, from its history.
pub fn owner_of(history: &[HistoryItem]) -> Option<String> {
    history.iter().find_map(|h| match &h.event {
        HistoryEvent::Known(Event::WorkflowStarted { by: Some(by), .. }) => {
            Some(format!("{} ({:?})", by.name, by.role))
        }
        _ => None,
    })
}

impl WorksetView {
    /// The workset of `w` at `now`, owned by `owner`.
    pub fn of(w: &WorkflowView, owner: Option<String>, now: Timestamp) -> WorksetView {
        // The latest attempt per ref (loops: per iteration), in scheduling order.
        let mut latest: Vec<usize> = Vec::new();
        let mut at: HashMap<&str, usize> = HashMap::new();
        for (i, t) in w.tasks.iter().enumerate() {
            match at.get(t.ref_name.as_str()) {
                Some(&slot) => latest[slot] = i,
                None => {
                    at.insert(&t.ref_name, latest.len());
                    latest.push(i);
                }
            }
        }
        let tasks: Vec<&crate::TaskView> = latest.iter().map(|&i| &w.tasks[i]).collect();
        let seen: std::collections::HashSet<&str> =
            w.tasks.iter().map(|t| t.def_ref.as_str()).collect();
        let finished = tasks
            .iter()
            .filter(|t| t.status.is_terminal() && t.status != TaskStatus::Skipped)
            .count();
        let live = tasks.iter().filter(|t| !t.status.is_terminal()).count();
        let unscheduled = if w.status.is_terminal() {
            0
        } else {
            w.planned
                .iter()
                .filter(|r| !seen.contains(r.as_str()))
                .count()
        };
        let total = finished + live + unscheduled;
        let progress = if w.status == WorkflowStatus::Completed || total == 0 {
            100
        } else {
            u8::try_from(finished * 100 / total).unwrap_or(100)
        };
        let approvals = ApprovalView::waiting_in(w);
        let status = match w.status {
            WorkflowStatus::Running if !approvals.is_empty() => "waiting",
            WorkflowStatus::Running | WorkflowStatus::Pending => "in_progress",
            WorkflowStatus::Paused => "paused",
            WorkflowStatus::Completed => "completed",
            WorkflowStatus::Failed => "failed",
            WorkflowStatus::TimedOut => "timed_out",
            WorkflowStatus::Terminated => "terminated",
        };
        let failed = |s: TaskStatus| {
            matches!(
                s,
                TaskStatus::Failed
                    | TaskStatus::FailedWithTerminalError
                    | TaskStatus::TimedOut
                    | TaskStatus::Canceled
            )
        };
        let retries: Vec<WorksetRetry> = w
            .tasks
            .iter()
            .enumerate()
            .filter(|(i, t)| failed(t.status) && !latest.contains(i))
            .map(|(_, t)| WorksetRetry {
                task: t.ref_name.clone(),
                attempt: t.attempt,
                reason: t.reason.clone().unwrap_or_default(),
            })
            .collect();
        WorksetView {
            id: format!("ws-{}", w.id),
            goal: w.description.clone().unwrap_or_else(|| w.name.clone()),
            status: status.to_string(),
            owner: owner.unwrap_or_else(|| "unknown".to_string()),
            workflow: WorksetWorkflow {
                definition: w.name.clone(),
                version: w.version,
                instance_id: w.id.clone(),
                state: w.status,
                current_tasks: tasks
                    .iter()
                    .filter(|t| !t.status.is_terminal())
                    .map(|t| t.ref_name.clone())
                    .collect(),
                progress,
                progress_tasks: format!("{finished}/{total}"),
                started: w.created_at,
                ended: w.ended_at,
                elapsed_ms: w.ended_at.unwrap_or(now).saturating_sub(w.created_at),
            },
            tasks: tasks
                .iter()
                .map(|t| WorksetTask {
                    id: t.ref_name.clone(),
                    task_type: t.task_type.clone(),
                    status: t.status,
                    attempts: t.attempt + 1,
                    started: t.started_at,
                    completed: t.ended_at.filter(|_| t.status.is_terminal()),
                    output: format!("/api/workflow/{}#tasks[{}].outputData", w.id, t.ref_name),
                    reason: t.reason.clone(),
                })
                .collect(),
            failures: WorksetFailures {
                count: w.tasks.iter().filter(|t| failed(t.status)).count(),
                retries,
            },
            approvals: approvals
                .into_iter()
                .map(|a| WorksetApproval {
                    task: a.ref_name,
                    kind: a.kind,
                    status: "pending".to_string(),
                    requested: a.since,
                    decided_by: a.decided_by,
                })
                .collect(),
        }
    }
}
