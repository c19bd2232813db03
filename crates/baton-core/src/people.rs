//! People in the loop: HUMAN decisions, supervised gates, debug breakpoints, input edits
//! and cancelling what waits for a person.
//!
//! A *held* attempt is created (id assigned, input resolved) but not scheduled: no queue
//! row, no timers, status SCHEDULED with `hold` set. Releasing it runs the start
//! semantics it skipped ([`Decider::launch`]). Only first attempts of tasks that
//! [`baton_model::TaskType::can_hold`] are held; retries run as the retry policy says.

use crate::decide::{Decider, Outcome, ignored, rejected};
use crate::event::Principal;
use crate::refusal::RefusalKind;
use crate::state::{Hold, TaskStatus, WorkflowStatus};
use baton_model::{OnReject, RunMode, Task};
use serde_json::{Map, Value};

impl Decider<'_> {
    /// Whether the new attempt `attempt` of `task` is held, and why.
    pub(crate) fn hold_for(&self, task: &Task, attempt: u32) -> Option<Hold> {
        if attempt > 0 || !task.kind.can_hold() {
            return None;
        }
        match self.st.run.mode {
            RunMode::Auto => None,
            RunMode::Supervised => self.def.gates.gates(task).then_some(Hold::Gate),
            RunMode::Debug => {
                let at_breakpoint = self.st.run.breakpoints.contains(&task.ref_name);
                (self.st.run.stepping || at_breakpoint).then_some(Hold::Breakpoint)
            }
        }
    }

    /// Schedules held attempt `idx`: the start semantics it was held before.
    fn release(&mut self, idx: usize) {
        self.st.tasks[idx].hold = None;
        let Some(task) = self.def_task(&self.st.tasks[idx].def_ref).cloned() else {
            return;
        };
        self.changed = true;
        self.launch(idx, &task, self.now.saturating_add(task.start_delay_ms));
    }

    /// The attempt a person acts on: the latest of `task_ref`, when it has not ended.
    fn waiting(&self, task_ref: &str, what: &str) -> Result<usize, Outcome> {
        if !matches!(
            self.st.status,
            WorkflowStatus::Running | WorkflowStatus::Paused
        ) {
            return Err(rejected(
                RefusalKind::WrongStatus,
                format!(
                    "the workflow is {}; only a running or paused workflow can be {what}",
                    self.st.status.as_str()
                ),
            ));
        }
        let Some(idx) = self.st.latest_index(task_ref) else {
            return Err(rejected(
                RefusalKind::UnknownTask,
                format!(
                    "workflow {} has no task `{task_ref}` scheduled",
                    self.st.workflow_id
                ),
            ));
        };
        let t = &self.st.tasks[idx];
        if t.status.is_terminal() {
            return Err(rejected(
                RefusalKind::WrongStatus,
                format!("task `{task_ref}` is already {}", t.status.as_str()),
            ));
        }
        Ok(idx)
    }

    /// A person's approve / reject of a HUMAN task or of a task held at a gate.
    pub(crate) fn on_human_decision(
        &mut self,
        task_id: &str,
        approved: bool,
        by: &Principal,
        comment: Option<&str>,
        extra: Option<&Value>,
    ) -> Outcome {
        let Some(idx) = self.st.task_index(task_id) else {
            return rejected(
                RefusalKind::UnknownTask,
                format!("no task `{task_id}` in workflow {}", self.st.workflow_id),
            );
        };
        let t = &self.st.tasks[idx];
        let gate = t.hold == Some(Hold::Gate);
        if !gate && !t.task_type.awaits_person() {
            return rejected(
                RefusalKind::InvalidInput,
                format!(
                    "task `{}` is a {} task that waits for no decision (neither HUMAN nor held at a gate)",
                    t.ref_name, t.task_type
                ),
            );
        }
        if t.status.is_terminal() {
            return ignored(
                RefusalKind::Duplicate,
                format!("task `{}` is already {}", t.ref_name, t.status.as_str()),
            );
        }
        if self.st.status.is_terminal() {
            return ignored(
                RefusalKind::Stale,
                format!("the workflow is {}", self.st.status.as_str()),
            );
        }
        if t.hold == Some(Hold::Breakpoint) {
            return rejected(
                RefusalKind::WrongStatus,
                format!(
                    "task `{}` is paused at a debug breakpoint, not waiting for a decision: step or continue the run first",
                    t.ref_name
                ),
            );
        }
        // The principal's role was checked by `authorize`.
        let record = decision_record(approved, by, comment, self.now);
        if gate {
            return self.decide_gate(idx, approved, by, comment, record);
        }
        let mut out = match extra {
            Some(Value::Object(m)) if approved => m.clone(),
            _ => Map::new(),
        };
        out.extend(record);
        self.st.tasks[idx].output = Value::Object(out);
        if approved {
            self.set_status(idx, TaskStatus::Completed, None);
        } else {
            self.fail_task(idx, TaskStatus::Failed, rejected_by(by, comment), false);
        }
        self.advance();
        Outcome::Applied
    }

    /// Approve schedules the gated task (its output shows the approval until the task
    /// reports its own); reject fails it, or skips it with `on_reject: skip`.
    fn decide_gate(
        &mut self,
        idx: usize,
        approved: bool,
        by: &Principal,
        comment: Option<&str>,
        record: Map<String, Value>,
    ) -> Outcome {
        if approved {
            let mut out = Map::new();
            out.insert("approval".into(), Value::Object(record));
            self.st.tasks[idx].output = Value::Object(out);
            self.release(idx);
        } else {
            self.st.tasks[idx].hold = None;
            self.st.tasks[idx].output = Value::Object(record);
            let on_reject = self
                .def_task(&self.st.tasks[idx].def_ref)
                .map_or(OnReject::Fail, |t| t.on_reject);
            let why = format!("gate {}", rejected_by(by, comment));
            match on_reject {
                OnReject::Skip => self.set_status(idx, TaskStatus::Skipped, Some(why)),
                OnReject::Fail => {
                    self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false)
                }
            }
        }
        self.advance();
        Outcome::Applied
    }

    /// Debug: schedule one held task and pause before the next one.
    pub(crate) fn on_debug_step(&mut self, task_ref: Option<&str>) -> Outcome {
        let idx = match self.held_breakpoint(task_ref, "stepped") {
            Ok(idx) => idx,
            Err(outcome) => return outcome,
        };
        self.st.run.stepping = true;
        self.release(idx);
        self.advance();
        Outcome::Applied
    }

    /// Debug: schedule every held task and run on to the next breakpoint.
    pub(crate) fn on_debug_continue(&mut self) -> Outcome {
        if let Err(outcome) = self.held_breakpoint(None, "continued") {
            return outcome;
        }
        self.st.run.stepping = false;
        let held: Vec<usize> = (0..self.st.tasks.len())
            .filter(|&i| self.st.tasks[i].hold == Some(Hold::Breakpoint))
            .collect();
        for idx in held {
            self.release(idx);
        }
        self.advance();
        Outcome::Applied
    }

    /// The task held at a breakpoint that a step or continue acts on.
    fn held_breakpoint(&self, task_ref: Option<&str>, what: &str) -> Result<usize, Outcome> {
        if self.st.run.mode != RunMode::Debug {
            return Err(rejected(
                RefusalKind::WrongStatus,
                format!(
                    "workflow {} runs in {} mode; only a debug run can be {what} (start it with --mode debug)",
                    self.st.workflow_id,
                    self.st.run.mode.as_str()
                ),
            ));
        }
        if self.st.status.is_terminal() {
            return Err(rejected(
                RefusalKind::WrongStatus,
                format!("the workflow is {}", self.st.status.as_str()),
            ));
        }
        let held = |i: &usize| self.st.tasks[*i].hold == Some(Hold::Breakpoint);
        let found = match task_ref {
            Some(r) => self.st.latest_index(r).filter(held),
            None => (0..self.st.tasks.len()).find(held),
        };
        found.ok_or_else(|| {
            rejected(
                RefusalKind::WrongStatus,
                match task_ref {
                    Some(r) => format!("task `{r}` is not paused at a breakpoint"),
                    None => "no task is paused at a breakpoint now (the next one pauses when it is ready)".to_string(),
                },
            )
        })
    }

    /// A person sets keys of a held task's input before it runs.
    pub(crate) fn on_input_edited(&mut self, task_ref: &str, input: &Value) -> Outcome {
        let idx = match self.waiting(task_ref, "edited") {
            Ok(idx) => idx,
            Err(outcome) => return outcome,
        };
        if self.st.tasks[idx].hold.is_none() {
            return rejected(
                RefusalKind::WrongStatus,
                format!(
                    "task `{task_ref}` is already scheduled; only a task paused at a breakpoint or gate can have its input changed"
                ),
            );
        }
        let Value::Object(set) = input else {
            return rejected(
                RefusalKind::InvalidInput,
                "the input to set must be a JSON object of keys and values".to_string(),
            );
        };
        match &mut self.st.tasks[idx].input {
            Value::Object(current) => current.extend(set.clone()),
            other => *other = input.clone(),
        }
        self.changed = true;
        Outcome::Applied
    }

    /// Operator: cancel what waits for a person (HUMAN task, held gate or breakpoint).
    pub(crate) fn on_task_canceled(
        &mut self,
        task_ref: &str,
        reason: Option<&str>,
        by: &Principal,
    ) -> Outcome {
        let idx = match self.waiting(task_ref, "changed") {
            Ok(idx) => idx,
            Err(outcome) => return outcome,
        };
        let t = &self.st.tasks[idx];
        if t.hold.is_none() && !t.task_type.awaits_person() {
            return rejected(
                RefusalKind::WrongStatus,
                format!(
                    "task `{task_ref}` is a {} task; only a task that waits for a person (HUMAN, or held at a gate or breakpoint) can be canceled — terminate the workflow or skip the task instead",
                    t.task_type
                ),
            );
        }
        self.st.tasks[idx].hold = None;
        let why = match reason {
            Some(r) => format!("canceled by {}: {r}", by.name),
            None => format!("canceled by {}", by.name),
        };
        self.fail_task(idx, TaskStatus::Canceled, why, false);
        self.advance();
        Outcome::Applied
    }
}

/// What a decision records: who, their role, when, the comment.
fn decision_record(
    approved: bool,
    by: &Principal,
    comment: Option<&str>,
    at: u64,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("approved".into(), Value::Bool(approved));
    out.insert(
        "decision".into(),
        Value::String(if approved { "approve" } else { "reject" }.into()),
    );
    out.insert("by".into(), Value::String(by.name.clone()));
    out.insert("role".into(), Value::String(format!("{:?}", by.role)));
    if let Some(k) = &by.key_id {
        out.insert("keyId".into(), Value::String(k.clone()));
    }
    out.insert("decidedAt".into(), Value::from(at));
    if let Some(c) = comment {
        out.insert("comment".into(), Value::String(c.to_string()));
    }
    out
}

fn rejected_by(by: &Principal, comment: Option<&str>) -> String {
    match comment {
        Some(c) => format!("rejected by {} ({:?}): {c}", by.name, by.role),
        None => format!("rejected by {} ({:?})", by.name, by.role),
    }
}
