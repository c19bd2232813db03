//! Conductor's JSON shapes (`Task`, `Workflow`, `WorkflowSummary`, `TaskResult`, ...) and
//! their construction from Baton's state.

use baton_core::{ControlState, TaskInstance, Timestamp, WorkflowState};
use baton_model::TaskType;
use baton_store::{Claimed, WorkflowMeta};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A task attempt as Conductor shows it (`com.netflix.conductor.common.metadata.tasks.Task`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Unique id of this attempt.
    pub task_id: String,
    /// The queue for worker tasks (Conductor sets the task name for SIMPLE tasks), else the system type.
    pub task_type: String,
    /// The task (definition) name.
    pub task_def_name: String,
    /// Reference name in the workflow (with `__N` inside loops).
    pub reference_task_name: String,
    /// SCHEDULED, IN_PROGRESS, COMPLETED, FAILED, ...
    pub status: String,
    /// Resolved input.
    #[schema(value_type = Object)]
    pub input_data: Value,
    /// Output.
    #[schema(value_type = Object)]
    pub output_data: Value,
    /// Attempt number (0 for the first).
    pub retry_count: u32,
    /// Sequence number within the workflow.
    pub seq: u64,
    /// Its workflow.
    pub workflow_instance_id: String,
    /// Its workflow's definition name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_type: Option<String>,
    /// Its workflow's correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Worker that holds or held the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// Why it failed, timed out or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    /// When it was scheduled (ms since the epoch).
    pub scheduled_time: Timestamp,
    /// When a worker picked it up (0 = not yet).
    pub start_time: Timestamp,
    /// When it ended (0 = not yet).
    pub end_time: Timestamp,
    /// Last update.
    pub update_time: Timestamp,
    /// How often it was handed out (0 or 1 here).
    pub poll_count: u32,
    /// Callback delay asked for by the worker.
    pub callback_after_seconds: u64,
    /// A worker must report within this time.
    pub response_timeout_seconds: u64,
    /// Start delay.
    pub start_delay_in_seconds: u64,
    /// Whether a later attempt replaced this one.
    pub retried: bool,
    /// Whether it ran.
    pub executed: bool,
    /// Whether a worker reported on it.
    pub callback_from_worker: bool,
    /// Loop iteration (DO_WHILE), 0 outside loops.
    pub iteration: u32,
    /// Whether it runs inside a loop.
    pub loop_over_task: bool,
    /// The child of a SUB_WORKFLOW / START_WORKFLOW task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_workflow_id: Option<String>,
    /// Workflow priority (always 0: Baton has no priorities).
    pub workflow_priority: i32,
    /// Time it waited in the queue, in ms.
    pub queue_wait_time: u64,
    /// Baton: held before it runs, at a supervised run's `gate` or a debug
    /// `breakpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub hold: Option<baton_core::Hold>,
}

/// The sequence number in a task id (`<workflow id>-t<seq>`).
fn seq_of(task_id: &str) -> u64 {
    task_id
        .rsplit("-t")
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The iteration in a DO_WHILE suffix (`__3` → 3).
fn iteration_of(suffix: &str) -> u32 {
    suffix
        .rsplit("__")
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Conductor's task type: worker tasks show their queue name.
fn conductor_task_type(task_type: &TaskType, name: &str) -> String {
    if *task_type == TaskType::Simple {
        name.to_string()
    } else {
        task_type.to_string()
    }
}

/// The workflow id of a task id: everything before the last `-t`.
pub fn workflow_of_task(task_id: &str) -> Option<&str> {
    task_id
        .rsplit_once("-t")
        .map(|(w, _)| w)
        .filter(|w| !w.is_empty())
}

impl Task {
    /// A task of a stored workflow.
    pub fn from_state(t: &TaskInstance, wf: &WorkflowState) -> Self {
        let ControlState { child_id, .. } = &t.control;
        let iteration = iteration_of(&t.suffix);
        Task {
            task_id: t.task_id.clone(),
            task_type: conductor_task_type(&t.task_type, &t.name),
            task_def_name: t.name.clone(),
            reference_task_name: t.ref_name.clone(),
            status: t.status.as_str().to_string(),
            input_data: t.input.clone(),
            output_data: t.output.clone(),
            retry_count: t.attempt,
            seq: seq_of(&t.task_id),
            workflow_instance_id: wf.workflow_id.clone(),
            workflow_type: Some(wf.name.clone()),
            correlation_id: wf.correlation_id.clone(),
            worker_id: t.worker_id.clone(),
            reason_for_incompletion: t.reason.clone(),
            scheduled_time: t.scheduled_at,
            start_time: t.started_at.unwrap_or(0),
            end_time: t.ended_at.unwrap_or(0),
            update_time: t
                .updated_at
                .or(t.ended_at)
                .or(t.started_at)
                .unwrap_or(t.scheduled_at),
            poll_count: u32::from(t.started_at.is_some() && t.worker_id.is_some()),
            callback_after_seconds: 0,
            response_timeout_seconds: 0,
            start_delay_in_seconds: 0,
            retried: t.retried,
            executed: t.status.is_terminal(),
            callback_from_worker: true,
            iteration,
            loop_over_task: iteration > 0,
            sub_workflow_id: child_id.clone(),
            workflow_priority: 0,
            queue_wait_time: t
                .started_at
                .map(|s| s.saturating_sub(t.scheduled_at))
                .unwrap_or(0),
            hold: t.hold,
        }
    }

    /// A task just handed to a worker by a poll.
    pub fn from_claimed(c: &Claimed, worker: &str, now: Timestamp) -> Self {
        let q = &c.task;
        let iteration = q
            .ref_name
            .rsplit_once("__")
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0);
        Task {
            task_id: q.task_id.clone(),
            task_type: conductor_task_type(&q.task_type, &q.queue),
            task_def_name: q.queue.clone(),
            reference_task_name: q.ref_name.clone(),
            status: "IN_PROGRESS".to_string(),
            input_data: q.input.clone(),
            output_data: Value::Object(Map::new()),
            retry_count: q.attempt,
            seq: seq_of(&q.task_id),
            workflow_instance_id: c.workflow_id.clone(),
            workflow_type: None,
            correlation_id: None,
            worker_id: Some(worker.to_string()),
            reason_for_incompletion: None,
            scheduled_time: q.visible_at,
            start_time: now,
            end_time: 0,
            update_time: now,
            poll_count: 1,
            callback_after_seconds: 0,
            response_timeout_seconds: q.response_timeout_ms.div_ceil(1000),
            start_delay_in_seconds: 0,
            retried: false,
            executed: false,
            callback_from_worker: true,
            iteration,
            loop_over_task: iteration > 0,
            sub_workflow_id: None,
            workflow_priority: 0,
            queue_wait_time: now.saturating_sub(q.visible_at),
            hold: None,
        }
    }
}

/// A workflow as Conductor shows it (`com.netflix.conductor.common.run.Workflow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// Unique id.
    pub workflow_id: String,
    /// Definition name.
    pub workflow_name: String,
    /// Definition version.
    pub workflow_version: u32,
    /// RUNNING, PAUSED, COMPLETED, FAILED, TIMED_OUT, TERMINATED.
    pub status: String,
    /// Input.
    #[schema(value_type = Object)]
    pub input: Value,
    /// Output.
    #[schema(value_type = Object)]
    pub output: Value,
    /// Workflow variables.
    #[schema(value_type = Object)]
    pub variables: Value,
    /// Task attempts in creation order (empty unless `includeTasks`).
    pub tasks: Vec<Task>,
    /// Correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Why it failed or was terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    /// Parent (sub-workflows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_id: Option<String>,
    /// The parent's SUB_WORKFLOW task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_task_id: Option<String>,
    /// Refs of the tasks whose failure ended the workflow.
    pub failed_reference_task_names: Vec<String>,
    /// Names of the tasks whose failure ended the workflow.
    pub failed_task_names: Vec<String>,
    /// Creation time (ms since the epoch).
    pub create_time: Timestamp,
    /// Start time.
    pub start_time: Timestamp,
    /// Last change.
    pub update_time: Timestamp,
    /// End time (0 while running).
    pub end_time: Timestamp,
    /// Priority (always 0).
    pub priority: i32,
    /// Task-to-domain mapping (always empty: Baton has no domains).
    pub task_to_domain: BTreeMap<String, String>,
    /// The definition it runs, as Conductor JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub workflow_definition: Option<Value>,
    /// Baton: execution mode (`auto`, `supervised`, `debug`).
    #[schema(value_type = String)]
    pub mode: baton_model::RunMode,
    /// Baton: debug breakpoints (task refs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakpoints: Vec<String>,
    /// Baton: the run's domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl Workflow {
    /// Builds the Conductor view of a workflow.
    pub fn from_state(st: &WorkflowState, include_tasks: bool, definition: Option<Value>) -> Self {
        let failed: Vec<&TaskInstance> = st
            .failed_task_ref
            .as_deref()
            .and_then(|r| {
                st.latest(r)
                    .or_else(|| st.tasks.iter().rev().find(|t| t.ref_name == r))
            })
            .into_iter()
            .collect();
        Workflow {
            workflow_id: st.workflow_id.clone(),
            workflow_name: st.name.clone(),
            workflow_version: st.version,
            status: st.status.as_str().to_string(),
            input: st.input.clone(),
            output: st.output.clone(),
            variables: Value::Object(st.variables.clone()),
            tasks: if include_tasks {
                st.tasks.iter().map(|t| Task::from_state(t, st)).collect()
            } else {
                Vec::new()
            },
            correlation_id: st.correlation_id.clone(),
            reason_for_incompletion: st.reason.clone(),
            parent_workflow_id: st.parent.as_ref().map(|p| p.workflow_id.clone()),
            parent_workflow_task_id: st.parent.as_ref().map(|p| p.task_id.clone()),
            failed_reference_task_names: st.failed_task_ref.iter().cloned().collect(),
            failed_task_names: failed.iter().map(|t| t.name.clone()).collect(),
            create_time: st.created_at,
            start_time: st.created_at,
            update_time: st.updated_at,
            end_time: st.ended_at.unwrap_or(0),
            priority: 0,
            task_to_domain: BTreeMap::new(),
            workflow_definition: definition,
            mode: st.run.mode,
            breakpoints: st.run.breakpoints.clone(),
            domain: st.run.domain.clone(),
        }
    }
}

/// One search hit (`com.netflix.conductor.common.run.WorkflowSummary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSummary {
    /// Definition name.
    pub workflow_type: String,
    /// Definition version.
    pub version: u32,
    /// Workflow id.
    pub workflow_id: String,
    /// Correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Start time, RFC 3339.
    pub start_time: String,
    /// Last change, RFC 3339.
    pub update_time: String,
    /// End time, RFC 3339 (empty while running).
    pub end_time: String,
    /// Status.
    pub status: String,
    /// Input, as a JSON string.
    pub input: String,
    /// Output, as a JSON string.
    pub output: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    /// End time minus start time, in ms (0 while running).
    pub execution_time: u64,
    /// Comma-separated refs of the failed tasks.
    pub failed_reference_task_names: String,
    /// Names of the failed tasks.
    pub failed_task_names: Vec<String>,
    /// Priority (always 0).
    pub priority: i32,
}

/// RFC 3339 text of a timestamp (empty for 0).
pub fn iso(ms: Timestamp) -> String {
    if ms == 0 {
        return String::new();
    }
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

impl WorkflowSummary {
    /// From a stored workflow (state when loaded, otherwise its indexed columns).
    pub fn new(meta: &WorkflowMeta, state: Option<&WorkflowState>) -> Self {
        let wf = state.map(|s| Workflow::from_state(s, false, None));
        let end = wf.as_ref().map(|w| w.end_time).unwrap_or(0);
        WorkflowSummary {
            workflow_type: meta.name.clone(),
            version: meta.version,
            workflow_id: meta.id.clone(),
            correlation_id: meta.correlation_id.clone(),
            start_time: iso(meta.created_at),
            update_time: iso(meta.updated_at),
            end_time: iso(end),
            status: state
                .map(|s| s.status)
                .unwrap_or(meta.status)
                .as_str()
                .to_string(),
            input: wf.as_ref().map(|w| w.input.to_string()).unwrap_or_default(),
            output: wf
                .as_ref()
                .map(|w| w.output.to_string())
                .unwrap_or_default(),
            reason_for_incompletion: wf.as_ref().and_then(|w| w.reason_for_incompletion.clone()),
            execution_time: if end > 0 {
                end.saturating_sub(meta.created_at)
            } else {
                0
            },
            failed_reference_task_names: wf
                .as_ref()
                .map(|w| w.failed_reference_task_names.join(","))
                .unwrap_or_default(),
            failed_task_names: wf.map(|w| w.failed_task_names).unwrap_or_default(),
            priority: 0,
        }
    }
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// Number of matches over all pages.
    pub total_hits: u64,
    /// This page.
    pub results: Vec<WorkflowSummary>,
}

/// One line of a task's execution log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskExecLog {
    /// The text.
    #[serde(default)]
    pub log: String,
    /// The task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// When (ms since the epoch).
    #[serde(default)]
    pub created_time: Timestamp,
}

/// A worker's report (`TaskResult`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    /// The workflow (derived from `taskId` when absent).
    #[serde(default)]
    pub workflow_instance_id: Option<String>,
    /// The task attempt.
    #[serde(default)]
    pub task_id: Option<String>,
    /// IN_PROGRESS, COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR.
    #[serde(default)]
    pub status: Option<String>,
    /// Output data (replaces the previous output).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub output_data: Option<Value>,
    /// Why it failed.
    #[serde(default)]
    pub reason_for_incompletion: Option<String>,
    /// With IN_PROGRESS: hand the task out again after this many seconds.
    #[serde(default)]
    pub callback_after_seconds: Option<u64>,
    /// The worker.
    #[serde(default)]
    pub worker_id: Option<String>,
    /// Log lines to append to the task's execution log.
    #[serde(default)]
    pub logs: Option<Vec<TaskExecLog>>,
    /// Lease extension (heartbeat): recorded as an IN_PROGRESS update.
    #[serde(default)]
    pub extend_lease: Option<bool>,
}

/// Request body of `POST /api/workflow`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartWorkflowRequest {
    /// Registered definition name (optional with `workflowDef`).
    #[serde(default)]
    pub name: Option<String>,
    /// Version; latest when absent.
    #[serde(default)]
    pub version: Option<u32>,
    /// Input.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub input: Option<Value>,
    /// Correlation id.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Priority 0..99 (accepted; Baton does not order by priority).
    #[serde(default)]
    pub priority: Option<i64>,
    /// Task domains (not supported: must be empty).
    #[serde(default)]
    pub task_to_domain: Option<BTreeMap<String, String>>,
    /// An inline definition (Conductor WorkflowDef JSON).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub workflow_def: Option<Value>,
    /// A second start with the same key answers with the first workflow's id.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// RETURN_EXISTING (default), FAIL or FAIL_ON_RUNNING.
    #[serde(default)]
    pub idempotency_strategy: Option<String>,
    /// Baton: execution mode (`auto`, `supervised`, `debug`; default: the definition's).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub mode: Option<baton_model::RunMode>,
    /// Baton: debug breakpoints (task refs).
    #[serde(default)]
    pub breakpoints: Option<Vec<String>>,
    /// Baton: the run's domain (default: the definition's, or an L2 caller's own).
    #[serde(default)]
    pub domain: Option<String>,
}

/// Request body of `POST /api/workflow/{id}/rerun`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RerunWorkflowRequest {
    /// The workflow (must match the path when given).
    #[serde(default)]
    pub re_run_from_workflow_id: Option<String>,
    /// New input, for a rerun from the start.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub workflow_input: Option<Value>,
    /// The task attempt to run again from; from the start when absent.
    #[serde(default)]
    pub re_run_from_task_id: Option<String>,
    /// Values merged over that task's input.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub task_input: Option<Value>,
    /// Not supported (must be absent): a rerun keeps the correlation id.
    #[serde(default)]
    pub correlation_id: Option<String>,
}

/// Request body of `PUT /api/workflow/{id}/skiptask/{ref}` (optional).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkipTaskRequest {
    /// Input for the skipped task (not supported: must be empty).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub task_input: Option<Value>,
    /// Output for the skipped task (not supported: must be empty).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub task_output: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_iterations() {
        assert_eq!(seq_of("abc-t12"), 12);
        assert_eq!(workflow_of_task("a-tb-t3"), Some("a-tb"));
        assert_eq!(workflow_of_task("-t3"), None);
        assert_eq!(workflow_of_task("nope"), None);
        assert_eq!(iteration_of("__4"), 4);
        assert_eq!(iteration_of(""), 0);
        assert_eq!(conductor_task_type(&TaskType::Simple, "q"), "q");
        assert_eq!(conductor_task_type(&TaskType::Switch, "s"), "SWITCH");
        assert_eq!(
            conductor_task_type(&TaskType::from_name("HTTP"), "h"),
            "HTTP"
        );
    }

    #[test]
    fn iso_times() {
        assert_eq!(iso(0), "");
        assert_eq!(iso(1_000), "1970-01-01T00:00:01Z");
    }
}
