//! Where `${...}` templates find their values: the workflow and its task attempts.

use crate::state::WorkflowState;
use baton_expr::template::Scope;
use serde_json::Value;
use std::borrow::Cow;

/// A read-only view of a workflow's state for template resolution.
pub(crate) struct StateScope<'a> {
    pub state: &'a WorkflowState,
    /// The attempt whose input is being resolved (`${CPEWF_TASK_ID}`).
    pub task_id: Option<&'a str>,
}

impl Scope for StateScope<'_> {
    fn lookup(&self, root: &str, key: &str) -> Option<Cow<'_, Value>> {
        let st = self.state;
        if root == "workflow" {
            return match key {
                "input" => Some(Cow::Borrowed(&st.input)),
                "output" => Some(Cow::Borrowed(&st.output)),
                "variables" => Some(Cow::Owned(Value::Object(st.variables.clone()))),
                "workflowId" => Some(Cow::Owned(Value::String(st.workflow_id.clone()))),
                "workflowType" | "name" => Some(Cow::Owned(Value::String(st.name.clone()))),
                "version" => Some(Cow::Owned(Value::from(st.version))),
                "status" => Some(Cow::Owned(Value::String(st.status.as_str().to_string()))),
                "correlationId" => st
                    .correlation_id
                    .as_ref()
                    .map(|c| Cow::Owned(Value::String(c.clone()))),
                "parentWorkflowId" => st
                    .parent
                    .as_ref()
                    .map(|p| Cow::Owned(Value::String(p.workflow_id.clone()))),
                "parentWorkflowTaskId" => st
                    .parent
                    .as_ref()
                    .map(|p| Cow::Owned(Value::String(p.task_id.clone()))),
                "createTime" => Some(Cow::Owned(Value::from(st.created_at))),
                "reasonForIncompletion" => st
                    .reason
                    .as_ref()
                    .map(|r| Cow::Owned(Value::String(r.clone()))),
                _ => None,
            };
        }
        if root == "CPEWF_TASK_ID" {
            return self
                .task_id
                .map(|t| Cow::Owned(Value::String(t.to_string())));
        }
        let task = st.latest_of_def(root)?;
        match key {
            "input" => Some(Cow::Borrowed(&task.input)),
            "output" => Some(Cow::Borrowed(&task.output)),
            "status" => Some(Cow::Owned(Value::String(task.status.as_str().to_string()))),
            "taskId" => Some(Cow::Owned(Value::String(task.task_id.clone()))),
            "referenceTaskName" => Some(Cow::Owned(Value::String(task.ref_name.clone()))),
            "retryCount" => Some(Cow::Owned(Value::from(task.attempt))),
            "reasonForIncompletion" => task
                .reason
                .as_ref()
                .map(|r| Cow::Owned(Value::String(r.clone()))),
            "workerId" => task
                .worker_id
                .as_ref()
                .map(|w| Cow::Owned(Value::String(w.clone()))),
            _ => None,
        }
    }
}
