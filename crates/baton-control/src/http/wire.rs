//! The server's JSON (Conductor's shapes) as far as this client reads it, and its
//! translation into the typed views. Every field has a default, so a Conductor server
//! that leaves some out is still read.

use crate::{ControlError, ErrorKind, TaskView, WorkflowSummary, WorkflowView};
use baton_core::{TaskStatus, Timestamp, WorkflowStatus};
use serde::Deserialize;
use serde_json::Value;

/// A server's error body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    pub message: String,
    #[serde(default)]
    pub validation_errors: Vec<WireValidation>,
}

/// One field-level problem of a request.
#[derive(Debug, Deserialize)]
pub(crate) struct WireValidation {
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub line: Option<u32>,
    #[serde(default)]
    pub column: Option<u32>,
}

/// One page of `GET /api/workflow/search`.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchResult {
    #[serde(default)]
    pub results: Vec<WireSummary>,
}

/// Conductor's `WorkflowSummary` (times as ISO 8601 text).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireSummary {
    /// Definition name.
    #[serde(default)]
    pub workflow_type: String,
    /// Definition version.
    #[serde(default)]
    pub version: u32,
    /// The id.
    pub workflow_id: String,
    /// Correlation id.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Creation time.
    #[serde(default)]
    pub start_time: String,
    /// Last change.
    #[serde(default)]
    pub update_time: String,
    /// Status name.
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireWorkflow {
    workflow_id: String,
    #[serde(default)]
    workflow_name: String,
    #[serde(default)]
    workflow_version: u32,
    status: String,
    #[serde(default)]
    input: Value,
    #[serde(default)]
    output: Value,
    #[serde(default)]
    tasks: Vec<WireTask>,
    #[serde(default)]
    correlation_id: Option<String>,
    #[serde(default)]
    reason_for_incompletion: Option<String>,
    #[serde(default)]
    parent_workflow_id: Option<String>,
    #[serde(default)]
    create_time: Timestamp,
    #[serde(default)]
    update_time: Timestamp,
    #[serde(default)]
    end_time: Timestamp,
    #[serde(default)]
    workflow_definition: Option<Value>,
    #[serde(default)]
    variables: Value,
    /// Baton: the run's mode, breakpoints and domain.
    #[serde(default)]
    mode: baton_model::RunMode,
    #[serde(default)]
    breakpoints: Vec<String>,
    #[serde(default)]
    domain: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTask {
    task_id: String,
    #[serde(default)]
    task_type: String,
    #[serde(default)]
    task_def_name: String,
    #[serde(default)]
    reference_task_name: String,
    status: String,
    #[serde(default)]
    input_data: Value,
    #[serde(default)]
    output_data: Value,
    #[serde(default)]
    retry_count: u32,
    #[serde(default)]
    worker_id: Option<String>,
    #[serde(default)]
    reason_for_incompletion: Option<String>,
    #[serde(default)]
    scheduled_time: Timestamp,
    #[serde(default)]
    start_time: Timestamp,
    #[serde(default)]
    end_time: Timestamp,
    /// Baton: held at a gate or breakpoint.
    #[serde(default)]
    hold: Option<baton_core::Hold>,
}

fn status<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, ControlError> {
    serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
        ControlError::new(
            ErrorKind::Internal,
            format!("the server sent an unknown {what} status `{s}`"),
        )
    })
}

/// `0` means "not yet" in Conductor's JSON.
fn when(ms: Timestamp) -> Option<Timestamp> {
    (ms > 0).then_some(ms)
}

/// The definition's ref of a (possibly looped) ref name: `step__2` → `step`.
fn def_ref(ref_name: &str) -> &str {
    let mut r = ref_name;
    while let Some((head, n)) = r.rsplit_once("__") {
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        r = head;
    }
    r
}

/// ISO 8601 text as ms since the epoch (0 when empty or unreadable).
fn millis(iso: &str) -> Timestamp {
    iso.parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| u64::try_from(t.as_millisecond()).ok())
        .unwrap_or(0)
}

impl WireWorkflow {
    /// The typed view. Task roles come from the definition the server sent along.
    pub(crate) fn into_view(self) -> Result<WorkflowView, ControlError> {
        let def = self
            .workflow_definition
            .as_ref()
            .and_then(|d| baton_model::load(&d.to_string()).ok())
            .map(|l| l.def);
        let mut tasks = Vec::with_capacity(self.tasks.len());
        for t in self.tasks {
            let def_ref = def_ref(&t.reference_task_name).to_string();
            let def_task = def.as_ref().and_then(|d| d.find(&def_ref));
            // Conductor shows a worker task's queue as its type; the view says SIMPLE,
            // as it does in process, so status looks the same wherever it is read.
            let task_type = match def_task {
                Some(d) if d.kind.task_type() == baton_model::TaskType::Simple => {
                    "SIMPLE".to_string()
                }
                _ => t.task_type,
            };
            tasks.push(TaskView {
                role: def_task.and_then(|d| d.role),
                task_id: t.task_id,
                def_ref,
                ref_name: t.reference_task_name,
                name: t.task_def_name,
                task_type,
                status: status::<TaskStatus>(&t.status, "task")?,
                attempt: t.retry_count,
                input: t.input_data,
                output: t.output_data,
                reason: t.reason_for_incompletion,
                worker_id: t.worker_id,
                scheduled_at: t.scheduled_time,
                started_at: when(t.start_time),
                ended_at: when(t.end_time),
                hold: t.hold,
            });
        }
        Ok(WorkflowView {
            status: status::<WorkflowStatus>(&self.status, "workflow")?,
            id: self.workflow_id,
            name: self.workflow_name,
            version: self.workflow_version,
            reason: self.reason_for_incompletion,
            correlation_id: self.correlation_id,
            parent_workflow_id: self.parent_workflow_id,
            input: self.input,
            output: self.output,
            created_at: self.create_time,
            updated_at: self.update_time,
            ended_at: when(self.end_time),
            tasks,
            mode: self.mode,
            breakpoints: self.breakpoints,
            domain: self.domain,
            variables: self.variables,
            description: def.as_ref().and_then(|d| d.description.clone()),
            planned: def
                .as_ref()
                .map(crate::workset::planned_refs)
                .unwrap_or_default(),
        })
    }
}

impl WireSummary {
    /// The typed view.
    pub(crate) fn into_view(self) -> Result<WorkflowSummary, ControlError> {
        Ok(WorkflowSummary {
            status: status::<WorkflowStatus>(&self.status, "workflow")?,
            created_at: millis(&self.start_time),
            updated_at: millis(&self.update_time),
            id: self.workflow_id,
            name: self.workflow_type,
            version: self.version,
            correlation_id: self.correlation_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looped_refs_and_times_read_back() {
        assert_eq!(def_ref("step__2"), "step");
        assert_eq!(def_ref("a__1__3"), "a");
        assert_eq!(def_ref("odd__name"), "odd__name");
        assert_eq!(def_ref("plain"), "plain");
        assert_eq!(millis("1970-01-01T00:00:01.5Z"), 1500);
        assert_eq!(millis(""), 0);
    }

    #[test]
    fn unknown_statuses_are_errors_not_panics() {
        let w: WireWorkflow =
            serde_json::from_value(serde_json::json!({"workflowId": "w", "status": "WEIRD"}))
                .expect("shape");
        let e = w.into_view().expect_err("unknown status");
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(e.message().contains("WEIRD"));
    }
}
