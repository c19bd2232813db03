//! The entry point: one event in, the next state and its effects out.

use crate::event::{Effect, Event, TaskResultStatus, Timer, TimerKind, Transition};
use crate::refusal::{Refusal, RefusalKind};
use crate::state::{TaskInstance, TaskStatus, Timestamp, WorkflowState, WorkflowStatus};
use baton_model::{TaskKind, TaskTimeoutPolicy, ValidatedDef, WorkflowDef, WorkflowTimeoutPolicy};
use serde_json::Value;

/// What the decider made of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The event changed the workflow (or asked for effects): record it.
    Applied,
    /// The event changes nothing (a duplicate or late result, a stale timer). Applying it
    /// again is harmless; callers need not record it. The kind is `Duplicate` or `Stale`.
    Ignored(Refusal),
    /// The event is not allowed now (wrong state, insufficient authority, unknown task).
    /// Nothing changed; callers report the reason to whoever sent it.
    Rejected(Refusal),
}

pub(crate) fn rejected(kind: RefusalKind, message: impl Into<String>) -> Outcome {
    Outcome::Rejected(Refusal::new(kind, message))
}

pub(crate) fn ignored(kind: RefusalKind, message: impl Into<String>) -> Outcome {
    Outcome::Ignored(Refusal::new(kind, message))
}

/// The result of [`decide`].
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The next state.
    pub state: WorkflowState,
    /// What the runtime must do, in order.
    pub effects: Vec<Effect>,
    /// Task status changes, for progress displays.
    pub transitions: Vec<Transition>,
    /// Whether the event applied.
    pub outcome: Outcome,
}

/// The pure decider: no I/O, no clock (time is `now`), no randomness.
///
/// `definition` passed validation (its type says so); tasks that run on workers should
/// carry their effective task definition (`Task::task_def`, see
/// `ValidatedDef::fill_task_defs`), otherwise Conductor's defaults apply.
pub fn decide(
    definition: &ValidatedDef,
    state: WorkflowState,
    event: &Event,
    now: Timestamp,
) -> Decision {
    let mut d = Decider::new(definition, state, now);
    // Authority first: a refused event never reaches a handler.
    let outcome = match crate::authorize::authorize(definition, &d.st, event) {
        Ok(()) => d.handle(event),
        Err(refusal) => Outcome::Rejected(refusal),
    };
    if outcome == Outcome::Applied {
        d.st.updated_at = now;
    }
    Decision {
        state: d.st,
        effects: d.effects,
        transitions: d.transitions,
        outcome,
    }
}

/// Working memory of one `decide` call.
pub(crate) struct Decider<'d> {
    pub def: &'d WorkflowDef,
    /// The same definition, for its ref index.
    validated: &'d ValidatedDef,
    pub st: WorkflowState,
    pub now: Timestamp,
    pub effects: Vec<Effect>,
    pub transitions: Vec<Transition>,
    /// Set whenever a pass over the definition created or changed something.
    pub changed: bool,
}

impl<'d> Decider<'d> {
    fn new(def: &'d ValidatedDef, mut st: WorkflowState, now: Timestamp) -> Self {
        st.reindex();
        Decider {
            def,
            validated: def,
            st,
            now,
            effects: Vec::new(),
            transitions: Vec::new(),
            changed: false,
        }
    }

    fn handle(&mut self, event: &Event) -> Outcome {
        match event {
            Event::WorkflowStarted {
                input,
                correlation_id,
                parent,
                options,
                ..
            } => self.on_started(input, correlation_id.clone(), parent.clone(), options),
            Event::TaskStarted {
                task_id, worker_id, ..
            } => self.on_task_started(task_id, worker_id.clone()),
            Event::TaskUpdated {
                task_id,
                status,
                output,
                reason,
                callback_after_ms,
                worker_id,
                ..
            } => self.on_task_updated(
                task_id,
                *status,
                output,
                reason.clone(),
                *callback_after_ms,
                worker_id.clone(),
            ),
            Event::TimerFired { timer } => self.on_timer(timer),
            Event::HumanDecision {
                task_id,
                approved,
                by,
                comment,
                output,
            } => {
                self.on_human_decision(task_id, *approved, by, comment.as_deref(), output.as_ref())
            }
            Event::DebugStepped { task_ref, .. } => self.on_debug_step(task_ref.as_deref()),
            Event::DebugContinued { .. } => self.on_debug_continue(),
            Event::TaskInputEdited {
                task_ref, input, ..
            } => self.on_input_edited(task_ref, input),
            Event::TaskCanceled {
                task_ref,
                reason,
                by,
            } => self.on_task_canceled(task_ref, reason.as_deref(), by),
            Event::ChildWorkflowEnded {
                task_id,
                child_id,
                status,
                output,
                reason,
            } => self.on_child_ended(task_id, child_id, *status, output, reason.as_deref()),
            Event::Paused { .. } => match self.st.status {
                WorkflowStatus::Running => {
                    self.st.status = WorkflowStatus::Paused;
                    Outcome::Applied
                }
                s => rejected(
                    RefusalKind::WrongStatus,
                    format!(
                        "only a RUNNING workflow can be paused; this one is {}",
                        s.as_str()
                    ),
                ),
            },
            Event::Resumed { .. } => match self.st.status {
                WorkflowStatus::Paused => {
                    self.st.status = WorkflowStatus::Running;
                    self.advance();
                    Outcome::Applied
                }
                s => rejected(
                    RefusalKind::WrongStatus,
                    format!(
                        "only a PAUSED workflow can be resumed; this one is {}",
                        s.as_str()
                    ),
                ),
            },
            Event::Terminated { reason, by } => {
                if self.st.status.is_terminal() || self.st.status == WorkflowStatus::Pending {
                    return rejected(
                        RefusalKind::WrongStatus,
                        format!(
                            "the workflow is {}; only a running or paused workflow can be terminated",
                            self.st.status.as_str()
                        ),
                    );
                }
                self.end_workflow(
                    WorkflowStatus::Terminated,
                    Some(format!("terminated by {}: {reason}", by.name)),
                );
                Outcome::Applied
            }
            Event::Retried { .. } => self.on_retried(),
            Event::Restarted { .. } => self.on_restarted(),
            Event::Rerun {
                from_task_id,
                workflow_input,
                task_input,
                ..
            } => self.on_rerun(
                from_task_id.as_deref(),
                workflow_input.as_ref(),
                task_input.as_ref(),
            ),
            Event::TaskSkipped { ref_name, by } => self.on_task_skipped(ref_name, &by.name),
        }
    }

    fn on_started(
        &mut self,
        input: &Value,
        correlation_id: Option<String>,
        parent: Option<crate::state::ParentLink>,
        options: &crate::event::RunOptions,
    ) -> Outcome {
        if self.st.status != WorkflowStatus::Pending {
            return ignored(
                RefusalKind::Duplicate,
                "the workflow has already started".to_string(),
            );
        }
        let input = match crate::input::apply_defaults(self.def, input) {
            Ok(v) => v,
            Err(msg) => return rejected(RefusalKind::InvalidInput, msg),
        };
        self.st.input = input;
        self.st.correlation_id = correlation_id;
        self.st.parent = parent;
        if let Some(bp) = options
            .breakpoints
            .iter()
            .find(|bp| self.find_def(bp).is_none())
        {
            return rejected(
                RefusalKind::InvalidInput,
                format!(
                    "breakpoint `{bp}` names no task of workflow `{}`",
                    self.def.name
                ),
            );
        }
        let mode = options.mode.or(self.def.mode).unwrap_or_default();
        let breakpoints: Vec<String> = self
            .def
            .breakpoints
            .iter()
            .chain(&options.breakpoints)
            .cloned()
            .collect();
        self.st.run = crate::state::RunSettings {
            mode,
            // Without breakpoints a debug run pauses before every task.
            stepping: mode == baton_model::RunMode::Debug && breakpoints.is_empty(),
            breakpoints,
            domain: options.domain.clone().or_else(|| self.def.domain.clone()),
        };
        self.st.variables = self.def.variables.clone();
        self.st.status = WorkflowStatus::Running;
        self.st.created_at = self.now;
        if self.def.timeout_ms > 0 {
            self.effects.push(Effect::StartTimer(Timer {
                kind: TimerKind::WorkflowTimeout,
                task_id: None,
                fire_at: self.now.saturating_add(self.def.timeout_ms),
            }));
        }
        self.advance();
        Outcome::Applied
    }

    fn on_task_started(&mut self, task_id: &str, worker_id: Option<String>) -> Outcome {
        let idx = match self.live_task(task_id) {
            Ok(idx) => idx,
            Err(outcome) => return outcome,
        };
        let t = &self.st.tasks[idx];
        let first_start = t.status == TaskStatus::Scheduled;
        let td = self.task_def_of(idx);
        self.st.tasks[idx].worker_id = worker_id;
        self.st.tasks[idx].updated_at = Some(self.now);
        if first_start {
            self.st.tasks[idx].started_at = Some(self.now);
            self.set_status(idx, TaskStatus::InProgress, None);
            if td.timeout_ms > 0 {
                self.timer(
                    TimerKind::TaskTimeout,
                    idx,
                    self.now.saturating_add(td.timeout_ms),
                );
            }
        }
        if td.response_timeout_ms > 0 {
            self.timer(
                TimerKind::ResponseTimeout,
                idx,
                self.now.saturating_add(td.response_timeout_ms),
            );
        }
        Outcome::Applied
    }

    fn on_task_updated(
        &mut self,
        task_id: &str,
        status: TaskResultStatus,
        output: &Value,
        reason: Option<String>,
        callback_after_ms: Option<u64>,
        worker_id: Option<String>,
    ) -> Outcome {
        let idx = match self.live_task(task_id) {
            Ok(idx) => idx,
            Err(outcome) => return outcome,
        };
        let t = &self.st.tasks[idx];
        let updatable = self
            .def_task_kind(idx)
            .is_none_or(TaskKind::accepts_updates);
        if !updatable {
            return rejected(
                RefusalKind::EngineOwned,
                format!(
                    "task {task_id} is a {} task, which the engine completes itself",
                    t.task_type
                ),
            );
        }
        if worker_id.is_some() {
            self.st.tasks[idx].worker_id = worker_id;
        }
        if !(output.is_null()
            || output.as_object().is_some_and(|o| o.is_empty())
                && status == TaskResultStatus::InProgress)
        {
            self.st.tasks[idx].output = baton_state::compact::compact_copy(output);
        }
        self.st.tasks[idx].updated_at = Some(self.now);
        match status {
            TaskResultStatus::InProgress => {
                if self.st.tasks[idx].status == TaskStatus::Scheduled {
                    self.st.tasks[idx].started_at = Some(self.now);
                    self.set_status(idx, TaskStatus::InProgress, None);
                }
                let td = self.task_def_of(idx);
                if td.response_timeout_ms > 0 {
                    self.timer(
                        TimerKind::ResponseTimeout,
                        idx,
                        self.now.saturating_add(td.response_timeout_ms),
                    );
                }
                if let Some(after) = callback_after_ms
                    && let Some(q) = self.queued(idx, self.now.saturating_add(after))
                {
                    self.effects.push(Effect::Enqueue(q));
                }
            }
            TaskResultStatus::Completed => {
                if self.st.tasks[idx].started_at.is_none() {
                    self.st.tasks[idx].started_at = Some(self.now);
                }
                self.set_status(idx, TaskStatus::Completed, None);
                self.advance();
            }
            TaskResultStatus::Failed => {
                self.fail_task(
                    idx,
                    TaskStatus::Failed,
                    reason.unwrap_or_else(|| "failed".to_string()),
                    false,
                );
                self.advance();
            }
            TaskResultStatus::FailedWithTerminalError => {
                self.fail_task(
                    idx,
                    TaskStatus::FailedWithTerminalError,
                    reason.unwrap_or_else(|| "failed with a terminal error".to_string()),
                    false,
                );
                self.advance();
            }
        }
        Outcome::Applied
    }

    fn on_timer(&mut self, timer: &Timer) -> Outcome {
        if timer.kind == TimerKind::WorkflowTimeout {
            if !matches!(
                self.st.status,
                WorkflowStatus::Running | WorkflowStatus::Paused
            ) {
                return ignored(RefusalKind::Stale, "the workflow has ended".to_string());
            }
            if self.st.created_at.saturating_add(self.def.timeout_ms) > self.now {
                return ignored(
                    RefusalKind::Stale,
                    "the workflow timeout is not due".to_string(),
                );
            }
            let msg = format!(
                "workflow exceeded its timeout of {} ms",
                self.def.timeout_ms
            );
            match self.def.timeout_policy {
                WorkflowTimeoutPolicy::TimeOutWf => {
                    self.end_workflow(WorkflowStatus::TimedOut, Some(msg))
                }
                WorkflowTimeoutPolicy::AlertOnly => {
                    self.effects.push(Effect::Alert { message: msg })
                }
            }
            return Outcome::Applied;
        }
        let Some(idx) = timer
            .task_id
            .as_deref()
            .and_then(|id| self.st.task_index(id))
        else {
            return ignored(
                RefusalKind::Stale,
                "the timer's task is unknown".to_string(),
            );
        };
        let t = &self.st.tasks[idx];
        if t.status.is_terminal() || self.st.status.is_terminal() {
            return ignored(RefusalKind::Stale, "the timer's task has ended".to_string());
        }
        let td = self.task_def_of(idx);
        match timer.kind {
            TimerKind::Wait => {
                if t.status != TaskStatus::InProgress || !t.task_type.waits_on_timer() {
                    return ignored(RefusalKind::Stale, "not a waiting WAIT task".to_string());
                }
                self.set_status(idx, TaskStatus::Completed, None);
            }
            TimerKind::TaskTimeout => {
                let since = t.started_at.unwrap_or(t.scheduled_at);
                if td.timeout_ms == 0 || since.saturating_add(td.timeout_ms) > self.now {
                    return ignored(
                        RefusalKind::Stale,
                        "the task timeout is not due".to_string(),
                    );
                }
                let msg = format!("task exceeded its timeout of {} ms", td.timeout_ms);
                match td.timeout_policy {
                    TaskTimeoutPolicy::AlertOnly => {
                        self.effects.push(Effect::Alert {
                            message: format!("{}: {msg}", t.ref_name),
                        });
                        return Outcome::Applied;
                    }
                    TaskTimeoutPolicy::Retry => {
                        self.fail_task(idx, TaskStatus::TimedOut, msg, false)
                    }
                    TaskTimeoutPolicy::TimeOutWf => {
                        self.fail_task(idx, TaskStatus::TimedOut, msg, true)
                    }
                }
            }
            TimerKind::ResponseTimeout => {
                if t.status != TaskStatus::InProgress || td.response_timeout_ms == 0 {
                    return ignored(RefusalKind::Stale, "the task is not running".to_string());
                }
                let due = t
                    .updated_at
                    .unwrap_or(t.scheduled_at)
                    .saturating_add(td.response_timeout_ms);
                if due > self.now {
                    // A progress report moved the deadline: wait for the new one.
                    self.timer(TimerKind::ResponseTimeout, idx, due);
                    return Outcome::Applied;
                }
                let msg = format!(
                    "no response from the worker within {} ms",
                    td.response_timeout_ms
                );
                let wf = td.timeout_policy == TaskTimeoutPolicy::TimeOutWf
                    && t.attempt >= td.retry_count;
                self.fail_task(idx, TaskStatus::TimedOut, msg, wf);
            }
            TimerKind::PollTimeout => {
                if t.status != TaskStatus::Scheduled || td.poll_timeout_ms == 0 {
                    return ignored(RefusalKind::Stale, "the task was picked up".to_string());
                }
                if t.scheduled_at.saturating_add(td.poll_timeout_ms) > self.now {
                    return ignored(
                        RefusalKind::Stale,
                        "the poll timeout is not due".to_string(),
                    );
                }
                let msg = format!(
                    "no worker picked the task up within {} ms",
                    td.poll_timeout_ms
                );
                self.fail_task(idx, TaskStatus::TimedOut, msg, false);
            }
            TimerKind::WorkflowTimeout => {
                return ignored(RefusalKind::Stale, "handled above".to_string());
            }
        }
        self.advance();
        Outcome::Applied
    }

    fn on_child_ended(
        &mut self,
        task_id: &str,
        child_id: &str,
        status: WorkflowStatus,
        output: &Value,
        reason: Option<&str>,
    ) -> Outcome {
        let Some(idx) = self.st.task_index(task_id) else {
            return rejected(
                RefusalKind::UnknownTask,
                format!("no task `{task_id}` in workflow {}", self.st.workflow_id),
            );
        };
        let t = &self.st.tasks[idx];
        if t.control.child_id.as_deref() != Some(child_id) {
            return ignored(
                RefusalKind::Stale,
                format!("task {task_id} did not start workflow {child_id}"),
            );
        }
        if t.status.is_terminal() || self.st.status.is_terminal() {
            return ignored(
                RefusalKind::Duplicate,
                format!("task {task_id} is already {}", t.status.as_str()),
            );
        }
        let mut out = output.as_object().cloned().unwrap_or_default();
        out.insert("subWorkflowId".into(), Value::String(child_id.to_string()));
        self.st.tasks[idx].output = Value::Object(out);
        match status {
            WorkflowStatus::Completed => self.set_status(idx, TaskStatus::Completed, None),
            s if s.is_terminal() => {
                let why = format!(
                    "sub-workflow {child_id} ended {}{}",
                    s.as_str(),
                    reason.map(|r| format!(": {r}")).unwrap_or_default()
                );
                self.fail_task(idx, TaskStatus::Failed, why, false);
            }
            s => {
                return rejected(
                    RefusalKind::InvalidInput,
                    format!("a child cannot end with status {}", s.as_str()),
                );
            }
        }
        self.advance();
        Outcome::Applied
    }

    fn on_retried(&mut self) -> Outcome {
        if !matches!(
            self.st.status,
            WorkflowStatus::Failed | WorkflowStatus::TimedOut | WorkflowStatus::Terminated
        ) {
            return rejected(
                RefusalKind::WrongStatus,
                format!(
                    "only a FAILED, TIMED_OUT or TERMINATED workflow can be retried; this one is {}",
                    self.st.status.as_str()
                ),
            );
        }
        let to_retry: Vec<usize> = (0..self.st.tasks.len())
            .filter(|&i| {
                let t = &self.st.tasks[i];
                !t.retried
                    && matches!(
                        t.status,
                        TaskStatus::Failed
                            | TaskStatus::FailedWithTerminalError
                            | TaskStatus::TimedOut
                            | TaskStatus::Canceled
                    )
                    && self.st.latest_index(&t.ref_name) == Some(i)
            })
            .collect();
        self.st.status = WorkflowStatus::Running;
        self.st.reason = None;
        self.st.failed_task_ref = None;
        self.st.ended_at = None;
        for idx in to_retry {
            self.retry_task(idx, self.now);
        }
        self.advance();
        Outcome::Applied
    }

    fn on_rerun(
        &mut self,
        from: Option<&str>,
        workflow_input: Option<&Value>,
        task_input: Option<&Value>,
    ) -> Outcome {
        if !self.st.status.is_terminal() {
            return rejected(
                RefusalKind::WrongStatus,
                format!(
                    "only an ended workflow can be rerun; this one is {}",
                    self.st.status.as_str()
                ),
            );
        }
        let Some(task_id) = from else {
            if let Some(input) = workflow_input {
                match crate::input::apply_defaults(self.def, input) {
                    Ok(v) => self.st.input = v,
                    Err(msg) => return rejected(RefusalKind::InvalidInput, msg),
                }
            }
            return self.restart_unchecked();
        };
        let Some(pos) = self.st.task_index(task_id) else {
            return rejected(
                RefusalKind::UnknownTask,
                format!("no task `{task_id}` in workflow {}", self.st.workflow_id),
            );
        };
        let t = &self.st.tasks[pos];
        let Some(task) = self.def_task(&t.def_ref).cloned() else {
            return rejected(
                RefusalKind::InvalidInput,
                format!("task `{}` is not in the definition", t.ref_name),
            );
        };
        if !task.kind.can_rerun_from() {
            return rejected(
                RefusalKind::InvalidInput,
                format!(
                    "rerun from a {} task is not supported; rerun from the task before it",
                    t.task_type
                ),
            );
        }
        let (suffix, reason) = (t.suffix.clone(), format!("rerun from {}", t.ref_name));
        self.st.truncate_tasks(pos);
        self.st.status = WorkflowStatus::Running;
        self.st.reason = None;
        self.st.failed_task_ref = None;
        self.st.ended_at = None;
        let idx = self.start_task(&task, &suffix, 0);
        if let (Some(Value::Object(extra)), Value::Object(input)) =
            (task_input, &mut self.st.tasks[idx].input)
        {
            for (k, v) in extra {
                input.insert(k.clone(), v.clone());
            }
            // The queue entry must carry the new input too.
            let updated = self.st.tasks[idx].input.clone();
            for e in &mut self.effects {
                if let Effect::Enqueue(q) = e
                    && q.task_id == self.st.tasks[idx].task_id
                {
                    q.input = updated.clone();
                }
            }
        }
        self.st.tasks[idx].reason = Some(reason);
        self.reopen_kept(pos);
        self.advance();
        Outcome::Applied
    }

    /// After a rerun dropped the attempts from `pos` on, the kept ones that depended on
    /// what was dropped run again: attempts the workflow's end canceled get a new
    /// attempt (as an operator retry gives them), and so does a completed JOIN one of
    /// whose joined tasks no longer has a successful attempt — otherwise it would stay
    /// completed and let its successors run before the rerun tasks end.
    fn reopen_kept(&mut self, pos: usize) {
        let mut reopen = Vec::new();
        for i in 0..pos.min(self.st.tasks.len()) {
            let t = &self.st.tasks[i];
            if t.retried || self.st.latest_index(&t.ref_name) != Some(i) {
                continue;
            }
            let stale_join = t.status == TaskStatus::Completed
                && matches!(self.def_task_kind(i), Some(TaskKind::Join { .. }))
                && t.output.as_object().is_some_and(|joined| {
                    joined.keys().any(|r| {
                        self.st
                            .latest(&format!("{r}{}", t.suffix))
                            .is_none_or(|j| !j.status.is_successful())
                    })
                });
            if t.status == TaskStatus::Canceled || stale_join {
                reopen.push(i);
            }
        }
        for i in reopen {
            self.retry_task(i, self.now);
        }
    }

    fn on_restarted(&mut self) -> Outcome {
        if !self.st.status.is_terminal() {
            return rejected(
                RefusalKind::WrongStatus,
                format!(
                    "only an ended workflow can be restarted; this one is {}",
                    self.st.status.as_str()
                ),
            );
        }
        if !self.def.restartable {
            return rejected(
                RefusalKind::WrongStatus,
                "the definition is not restartable (restartable: false)".to_string(),
            );
        }
        self.restart_unchecked()
    }

    fn restart_unchecked(&mut self) -> Outcome {
        self.st.clear_tasks();
        self.st.run.stepping =
            self.st.run.mode == baton_model::RunMode::Debug && self.st.run.breakpoints.is_empty();
        self.st.status = WorkflowStatus::Running;
        self.st.reason = None;
        self.st.failed_task_ref = None;
        self.st.ended_at = None;
        self.st.output = Value::Object(Default::default());
        self.st.variables = self.def.variables.clone();
        self.st.created_at = self.now;
        if self.def.timeout_ms > 0 {
            self.effects.push(Effect::StartTimer(Timer {
                kind: TimerKind::WorkflowTimeout,
                task_id: None,
                fire_at: self.now.saturating_add(self.def.timeout_ms),
            }));
        }
        self.advance();
        Outcome::Applied
    }

    fn on_task_skipped(&mut self, ref_name: &str, by: &str) -> Outcome {
        let Some(idx) = self.st.latest_index(ref_name) else {
            return rejected(
                RefusalKind::WrongStatus,
                format!(
                    "task `{ref_name}` has not been scheduled; only a scheduled or running task can be skipped"
                ),
            );
        };
        if self.st.tasks[idx].status.is_terminal() {
            return rejected(
                RefusalKind::WrongStatus,
                format!(
                    "task `{ref_name}` is already {}",
                    self.st.tasks[idx].status.as_str()
                ),
            );
        }
        if !matches!(
            self.st.status,
            WorkflowStatus::Running | WorkflowStatus::Paused
        ) {
            return rejected(
                RefusalKind::WrongStatus,
                format!("the workflow is {}", self.st.status.as_str()),
            );
        }
        self.set_status(idx, TaskStatus::Skipped, Some(format!("skipped by {by}")));
        self.advance();
        Outcome::Applied
    }

    // ---- helpers shared by the other modules ----

    /// The position of an attempt a worker's report can still change, or why the report
    /// does not apply: an unknown task is refused, a late one (the attempt or the
    /// workflow has ended) is ignored.
    fn live_task(&self, task_id: &str) -> Result<usize, Outcome> {
        let Some(idx) = self.st.task_index(task_id) else {
            return Err(rejected(
                RefusalKind::UnknownTask,
                format!("no task `{task_id}` in workflow {}", self.st.workflow_id),
            ));
        };
        let t = &self.st.tasks[idx];
        if t.status.is_terminal() {
            return Err(ignored(
                RefusalKind::Duplicate,
                format!("task {task_id} is already {}", t.status.as_str()),
            ));
        }
        if let Some(hold) = t.hold {
            return Err(rejected(
                RefusalKind::WrongStatus,
                match hold {
                    crate::state::Hold::Gate => format!(
                        "task `{}` waits at a gate for approval (baton approve {} {}) before it runs",
                        t.ref_name, self.st.workflow_id, t.ref_name
                    ),
                    crate::state::Hold::Breakpoint => format!(
                        "task `{}` is paused at a debug breakpoint (baton step {}) before it runs",
                        t.ref_name, self.st.workflow_id
                    ),
                },
            ));
        }
        if self.st.status.is_terminal() {
            return Err(ignored(
                RefusalKind::Stale,
                format!("the workflow is {}", self.st.status.as_str()),
            ));
        }
        Ok(idx)
    }

    /// The definition task with this ref (not the ones forked at run time).
    pub(crate) fn find_def(&self, def_ref: &str) -> Option<&'d baton_model::Task> {
        // The index lives with the definition (the engine caches it), not per decision.
        let def: &'d ValidatedDef = self.validated;
        def.task_by_ref(def_ref)
    }

    /// Changes a task's status, recording the transition. An attempt that leaves
    /// SCHEDULED / IN_PROGRESS for an end status leaves its queue too (a no-op for
    /// attempts that were never queued).
    pub(crate) fn set_status(&mut self, idx: usize, to: TaskStatus, reason: Option<String>) {
        let now = self.now;
        let t = &mut self.st.tasks[idx];
        let from = t.status;
        t.status = to;
        if reason.is_some() {
            t.reason = reason;
        }
        if to.is_terminal() {
            t.ended_at = Some(now);
            t.hold = None;
            if !from.is_terminal() {
                self.effects.push(Effect::Dequeue {
                    task_id: t.task_id.clone(),
                });
            }
        }
        self.changed = true;
        self.transitions.push(Transition {
            task_id: t.task_id.clone(),
            ref_name: t.ref_name.clone(),
            from: Some(from),
            to,
        });
    }

    /// Arms a timer for a task.
    pub(crate) fn timer(&mut self, kind: TimerKind, idx: usize, fire_at: Timestamp) {
        self.effects.push(Effect::StartTimer(Timer {
            kind,
            task_id: Some(self.st.tasks[idx].task_id.clone()),
            fire_at,
        }));
    }

    /// Pushes a new attempt and records its creation.
    pub(crate) fn push_instance(&mut self, inst: TaskInstance) -> usize {
        self.transitions.push(Transition {
            task_id: inst.task_id.clone(),
            ref_name: inst.ref_name.clone(),
            from: None,
            to: inst.status,
        });
        self.st.tasks.push(inst);
        self.st.reindex();
        self.changed = true;
        self.st.tasks.len() - 1
    }

    /// A fresh, deterministic task id.
    pub(crate) fn next_task_id(&mut self) -> String {
        let seq = self.st.next_seq;
        self.st.next_seq += 1;
        format!("{}-t{seq}", self.st.workflow_id)
    }
}
