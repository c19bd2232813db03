//! A [`WorkflowView`] in Conductor's Workflow JSON shape (camelCase: `workflowId`,
//! `tasks[].referenceTaskName`, times in ms with 0 for "not yet"), so that what a face
//! prints as JSON (`baton status --json`) has one shape whether the view was read in
//! process or over HTTP, and reads like `GET /api/workflow/{id}`.
//!
//! Only what the view knows is written: the keys are a subset of the server's
//! Conductor `Workflow`, plus Baton's own `mode`, `breakpoints`, `domain`, `hold` and
//! `role`.

use crate::{TaskView, WorkflowView};
use baton_core::{Hold, Timestamp};
use baton_model::Role;
use serde::Serialize;
use serde_json::Value;

/// A workflow as Conductor's JSON shows it, borrowed from a [`WorkflowView`].
///
/// ```
/// # use baton_control::{ConductorWorkflow, WorkflowView};
/// # fn show(view: &WorkflowView) -> serde_json::Result<String> {
/// let json = serde_json::to_string_pretty(&ConductorWorkflow::of(view))?;
/// # Ok(json) }
/// ```
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConductorWorkflow<'a> {
    workflow_id: &'a str,
    workflow_name: &'a str,
    workflow_version: u32,
    status: &'static str,
    input: &'a Value,
    output: &'a Value,
    variables: &'a Value,
    tasks: Vec<ConductorTask<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_for_incompletion: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_workflow_id: Option<&'a str>,
    create_time: Timestamp,
    start_time: Timestamp,
    update_time: Timestamp,
    end_time: Timestamp,
    mode: &'static str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    breakpoints: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
}

/// One task attempt as Conductor's JSON shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ConductorTask<'a> {
    task_id: &'a str,
    /// Conductor's: the queue name for worker tasks, else the system type.
    task_type: &'a str,
    task_def_name: &'a str,
    reference_task_name: &'a str,
    status: &'static str,
    input_data: &'a Value,
    output_data: &'a Value,
    retry_count: u32,
    seq: u64,
    workflow_instance_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_for_incompletion: Option<&'a str>,
    scheduled_time: Timestamp,
    start_time: Timestamp,
    end_time: Timestamp,
    iteration: u32,
    loop_over_task: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    hold: Option<Hold>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
}

impl<'a> ConductorWorkflow<'a> {
    /// The Conductor-shaped JSON of `w`.
    pub fn of(w: &'a WorkflowView) -> Self {
        ConductorWorkflow {
            workflow_id: &w.id,
            workflow_name: &w.name,
            workflow_version: w.version,
            status: w.status.as_str(),
            input: &w.input,
            output: &w.output,
            variables: &w.variables,
            tasks: w
                .tasks
                .iter()
                .map(|t| ConductorTask::of(t, &w.id))
                .collect(),
            correlation_id: w.correlation_id.as_deref(),
            reason_for_incompletion: w.reason.as_deref(),
            parent_workflow_id: w.parent_workflow_id.as_deref(),
            create_time: w.created_at,
            start_time: w.created_at,
            update_time: w.updated_at,
            end_time: w.ended_at.unwrap_or(0),
            mode: w.mode.as_str(),
            breakpoints: &w.breakpoints,
            domain: w.domain.as_deref(),
        }
    }
}

/// The number after the last `-t` of a task id (`<workflow id>-t<seq>`), 0 if none.
fn seq_of(task_id: &str) -> u64 {
    task_id
        .rsplit_once("-t")
        .and_then(|(_, s)| s.parse().ok())
        .unwrap_or(0)
}

/// The loop iteration in a ref's `__N` suffix, 0 outside loops.
fn iteration_of(ref_name: &str) -> u32 {
    ref_name
        .rsplit_once("__")
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

impl<'a> ConductorTask<'a> {
    fn of(t: &'a TaskView, workflow_id: &'a str) -> Self {
        let iteration = iteration_of(&t.ref_name);
        ConductorTask {
            task_id: &t.task_id,
            task_type: if t.task_type == "SIMPLE" {
                &t.name
            } else {
                &t.task_type
            },
            task_def_name: &t.name,
            reference_task_name: &t.ref_name,
            status: t.status.as_str(),
            input_data: &t.input,
            output_data: &t.output,
            retry_count: t.attempt,
            seq: seq_of(&t.task_id),
            workflow_instance_id: workflow_id,
            worker_id: t.worker_id.as_deref(),
            reason_for_incompletion: t.reason.as_deref(),
            scheduled_time: t.scheduled_at,
            start_time: t.started_at.unwrap_or(0),
            end_time: t.ended_at.unwrap_or(0),
            iteration,
            loop_over_task: iteration > 0,
            hold: t.hold,
            role: t.role,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_view_reads_as_conductor_json() {
        let view: WorkflowView = serde_json::from_value(json!({
            "id": "wf-1", "name": "review", "version": 2, "status": "RUNNING",
            "input": {"a": 1}, "output": null, "created_at": 1_000, "updated_at": 2_000,
            "tasks": [
                {"task_id": "wf-1-t0", "ref_name": "build", "def_ref": "build",
                 "name": "builder", "task_type": "SIMPLE", "status": "COMPLETED",
                 "attempt": 1, "input": {}, "output": {"ok": true},
                 "worker_id": "w1", "scheduled_at": 1_000, "started_at": 1_100,
                 "ended_at": 1_200},
                {"task_id": "wf-1-t3", "ref_name": "check__2", "def_ref": "check",
                 "name": "check", "task_type": "HUMAN", "status": "IN_PROGRESS",
                 "attempt": 0, "input": {}, "output": {}, "scheduled_at": 1_300,
                 "role": "L2"}
            ],
        }))
        .expect("a view");
        let j = serde_json::to_value(ConductorWorkflow::of(&view)).expect("json");
        assert_eq!(j["workflowId"], "wf-1");
        assert_eq!(j["workflowName"], "review");
        assert_eq!(j["workflowVersion"], 2);
        assert_eq!(j["endTime"], 0);
        assert_eq!(j["mode"], "auto");
        assert!(j.get("correlationId").is_none());
        let t = &j["tasks"];
        assert_eq!(t[0]["taskType"], "builder", "a worker task shows its queue");
        assert_eq!(t[0]["referenceTaskName"], "build");
        assert_eq!(t[0]["retryCount"], 1);
        assert_eq!(t[0]["workflowInstanceId"], "wf-1");
        assert_eq!(t[0]["startTime"], 1_100);
        assert_eq!(t[1]["taskType"], "HUMAN");
        assert_eq!(t[1]["seq"], 3);
        assert_eq!(t[1]["iteration"], 2);
        assert_eq!(t[1]["loopOverTask"], true);
        assert_eq!(t[1]["endTime"], 0);
        assert_eq!(t[1]["role"], "L2");
    }
}
