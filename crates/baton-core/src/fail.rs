//! Failures, retries and the end of a workflow.

use crate::decide::Decider;
use crate::event::{Effect, Event, Principal, StartRequest};
use crate::scope::StateScope;
use crate::state::{TaskStatus, Timestamp, WorkflowStatus};
use baton_model::{
    FailureWorkflow, OutputSpec, SourceFormat, Task, TaskDef, TaskKind, WorkflowDef,
};
use serde_json::{Map, Value};

impl Decider<'_> {
    /// An attempt failed (or timed out): retry it, let an optional task pass, or end the
    /// workflow. `time_out_workflow` applies a TIME_OUT_WF policy.
    pub(crate) fn fail_task(
        &mut self,
        idx: usize,
        status: TaskStatus,
        reason: String,
        time_out_workflow: bool,
    ) {
        self.set_status(idx, status, Some(reason.clone()));
        if let Some(child) = self.st.tasks[idx].control.child_id.clone()
            && self.st.tasks[idx].task_type.has_child()
            && status == TaskStatus::TimedOut
        {
            self.effects.push(terminate(child, reason.clone()));
        }
        let td = self.task_def_of(idx);
        let kind = self.def_task_kind(idx);
        let retryable = kind.as_ref().is_some_and(|k| k.is_retryable());
        let t = &self.st.tasks[idx];
        if time_out_workflow {
            let why = format!("task `{}` timed out: {reason}", t.ref_name);
            self.st.failed_task_ref = Some(t.ref_name.clone());
            self.end_workflow(WorkflowStatus::TimedOut, Some(why));
            return;
        }
        if retryable && status != TaskStatus::FailedWithTerminalError && t.attempt < td.retry_count
        {
            let delay = crate::backoff::retry_delay_ms(&td, t.attempt, &t.task_id);
            self.retry_task(idx, self.now.saturating_add(delay));
            return;
        }
        let optional = self.def_task(&t.def_ref).is_some_and(|d| d.optional);
        if optional {
            self.set_status(idx, TaskStatus::CompletedWithErrors, None);
            return;
        }
        let why = format!(
            "task `{}` {}: {reason}",
            t.ref_name,
            status.as_str().to_lowercase().replace('_', " ")
        );
        self.st.failed_task_ref = Some(t.ref_name.clone());
        self.end_workflow(WorkflowStatus::Failed, Some(why));
    }

    /// Starts the next attempt of the task behind attempt `idx`, visible at `visible_at`.
    pub(crate) fn retry_task(&mut self, idx: usize, visible_at: Timestamp) {
        let t = &self.st.tasks[idx];
        let Some(task) = self.def_task(&t.def_ref).cloned() else {
            return;
        };
        let (suffix, attempt) = (t.suffix.clone(), t.attempt + 1);
        self.st.tasks[idx].retried = true;
        let new_idx = self.start_task_at(&task, &suffix, attempt, visible_at);
        // A control task restarted by an operator retry keeps the iteration it was in.
        let control = self.st.tasks[idx].control.clone();
        if matches!(task.kind, TaskKind::DoWhile(_)) && control.iteration > 0 {
            self.st.tasks[new_idx].control.iteration = control.iteration;
        }
    }

    /// Ends the workflow: cancels what is still running, computes the output, starts the
    /// failure workflow when there is one.
    pub(crate) fn end_workflow(&mut self, status: WorkflowStatus, reason: Option<String>) {
        if status == WorkflowStatus::Completed {
            self.st.output = self.workflow_output();
        }
        self.end_workflow_keep_output(status, reason);
    }

    /// [`Self::end_workflow`] without recomputing the output (TERMINATE sets it).
    pub(crate) fn end_workflow_keep_output(
        &mut self,
        status: WorkflowStatus,
        reason: Option<String>,
    ) {
        for idx in 0..self.st.tasks.len() {
            if self.st.tasks[idx].status.is_terminal() {
                continue;
            }
            let t = &self.st.tasks[idx];
            if let Some(child) = &t.control.child_id
                && t.task_type.has_child()
            {
                let why = format!(
                    "parent workflow {} ended {}",
                    self.st.workflow_id,
                    status.as_str()
                );
                self.effects.push(terminate(child.clone(), why));
            }
            let why = format!("workflow ended {}", status.as_str());
            self.set_status(idx, TaskStatus::Canceled, Some(why));
        }
        self.st.status = status;
        self.st.reason = reason;
        self.st.ended_at = Some(self.now);
        self.effects.push(Effect::ClearTimers);
        if let Some(parent) = &self.st.parent {
            let event = Event::ChildWorkflowEnded {
                task_id: parent.task_id.clone(),
                child_id: self.st.workflow_id.clone(),
                status,
                output: self.st.output.clone(),
                reason: self.st.reason.clone(),
            };
            self.effects.push(Effect::DeliverEvent {
                workflow_id: parent.workflow_id.clone(),
                event: Box::new(event),
            });
        }
        self.effects.push(Effect::WorkflowEnded { status });
        if matches!(status, WorkflowStatus::Failed | WorkflowStatus::TimedOut) {
            self.start_failure_workflow(status);
        }
    }

    fn start_failure_workflow(&mut self, status: WorkflowStatus) {
        let Some(fw) = &self.def.failure_workflow else {
            return;
        };
        let mut input = Map::new();
        input.insert(
            "workflowId".into(),
            Value::String(self.st.workflow_id.clone()),
        );
        input.insert(
            "reason".into(),
            self.st.reason.clone().map_or(Value::Null, Value::String),
        );
        input.insert(
            "failureStatus".into(),
            Value::String(status.as_str().to_string()),
        );
        input.insert(
            "failedTaskRef".into(),
            self.st
                .failed_task_ref
                .clone()
                .map_or(Value::Null, Value::String),
        );
        input.insert("input".into(), self.st.input.clone());
        let (name, definition) = match fw {
            FailureWorkflow::Named(n) => (n.clone(), None),
            FailureWorkflow::Inline { id, steps } => {
                (id.clone(), Some(Box::new(inline_failure_def(id, steps))))
            }
        };
        self.effects.push(Effect::StartWorkflow(StartRequest {
            workflow_id: format!("{}.failure", self.st.workflow_id),
            name,
            version: None,
            definition,
            input: Value::Object(input),
            correlation_id: self.st.correlation_id.clone(),
            parent: None,
            options: self.inherited(false),
        }));
    }

    /// The output of a completed workflow.
    fn workflow_output(&self) -> Value {
        match &self.def.output {
            OutputSpec::Template(t) => {
                let scope = StateScope {
                    state: &self.st,
                    task_id: None,
                };
                baton_expr::template::resolve(&Value::Object(t.clone()), &scope)
            }
            OutputSpec::LastTask => self
                .st
                .tasks
                .iter()
                .rev()
                .find(|t| t.status == TaskStatus::Completed)
                .map_or_else(|| Value::Object(Map::new()), |t| t.output.clone()),
            OutputSpec::Keys(keys) => {
                let mut out = Map::new();
                for key in keys {
                    let found = self
                        .st
                        .tasks
                        .iter()
                        .rev()
                        .filter(|t| t.status == TaskStatus::Completed)
                        .find_map(|t| t.output.get(key));
                    if let Some(v) = found {
                        out.insert(key.clone(), v.clone());
                    }
                }
                Value::Object(out)
            }
        }
    }
}

/// The event that stops a child workflow (`reason` says why), from the engine itself.
fn terminate(child: String, reason: String) -> Effect {
    Effect::DeliverEvent {
        workflow_id: child,
        event: Box::new(Event::Terminated {
            reason,
            by: Principal::system(),
        }),
    }
}

/// The native inline failure workflow `{id, steps: [a, b]}`: a sequence of worker tasks
/// named after the steps, each given the failure input.
pub fn inline_failure_def(id: &str, steps: &[String]) -> WorkflowDef {
    let tasks = steps
        .iter()
        .map(|s| {
            let mut input = Map::new();
            input.insert("failure".into(), Value::String("${workflow.input}".into()));
            let mut task = Task::new(s.clone(), s.clone(), TaskKind::Simple).with_input(input);
            task.task_def = Some(TaskDef::no_retries(s));
            task
        })
        .collect();
    WorkflowDef {
        description: Some("failure handler".to_string()),
        format: SourceFormat::Native,
        ..WorkflowDef::new(id, 1, tasks)
    }
}
