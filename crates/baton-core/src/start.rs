//! Creating task attempts: what each task type does when it starts.

use crate::decide::Decider;
use crate::event::{Effect, QueuedTask, StartRequest, TimerKind};
use crate::scope::StateScope;
use crate::state::{ControlState, ParentLink, TaskInstance, TaskStatus, Timestamp, WorkflowStatus};
use baton_expr::template;
use baton_model::{Evaluator, SwitchSpec, Task, TaskDef, TaskKind};
use serde_json::{Map, Value};

impl Decider<'_> {
    /// Creates attempt `attempt` of `task` and runs its start semantics.
    pub(crate) fn start_task(&mut self, task: &Task, suffix: &str, attempt: u32) -> usize {
        self.start_task_at(
            task,
            suffix,
            attempt,
            self.now.saturating_add(task.start_delay_ms),
        )
    }

    /// Like [`Self::start_task`], with the time a worker task becomes visible.
    pub(crate) fn start_task_at(
        &mut self,
        task: &Task,
        suffix: &str,
        attempt: u32,
        visible_at: Timestamp,
    ) -> usize {
        let input = self.resolve_input(task);
        let idx = self.create_instance(task, suffix, attempt, TaskStatus::Scheduled, input);
        if let Some(hold) = self.hold_for(task, attempt) {
            // Created with its input, scheduled when a person releases it.
            self.st.tasks[idx].hold = Some(hold);
            return idx;
        }
        self.launch(idx, task, visible_at);
        idx
    }

    /// The start semantics of attempt `idx` of `task`: queue it, resolve it, or begin
    /// waiting, as its kind says.
    pub(crate) fn launch(&mut self, idx: usize, task: &Task, visible_at: Timestamp) {
        match &task.kind {
            TaskKind::Simple | TaskKind::System { .. } => self.enqueue(idx, visible_at),
            TaskKind::Dynamic { name_param } => {
                match self.st.tasks[idx].input.get(name_param).and_then(Value::as_str).map(str::to_string) {
                    Some(name) if !name.is_empty() => {
                        self.st.tasks[idx].name = name;
                        self.enqueue(idx, visible_at);
                    }
                    _ => self.fail_task(
                        idx,
                        TaskStatus::FailedWithTerminalError,
                        format!("DYNAMIC task: input parameter `{name_param}` did not resolve to a task name"),
                        false,
                    ),
                }
            }
            TaskKind::Switch(spec) => self.start_switch(idx, spec),
            TaskKind::ForkJoin { .. } | TaskKind::Noop | TaskKind::ExclusiveJoin { .. } => {
                self.complete_now(idx, Value::Object(Map::new()))
            }
            TaskKind::Join { .. } => self.set_status(idx, TaskStatus::InProgress, None),
            TaskKind::ForkJoinDynamic(spec) => self.start_dynamic_fork(idx, spec),
            TaskKind::DoWhile(spec) => self.start_loop(idx, spec),
            TaskKind::Wait => self.start_wait(idx),
            TaskKind::Human(_) => {
                self.begin(idx);
                self.arm_task_timeout(idx);
            }
            TaskKind::SubWorkflow(spec) => {
                self.begin(idx);
                // The child's own timeout bounds the child; this one bounds the task
                // (and on firing terminates the child).
                self.arm_task_timeout(idx);
                let child = format!("{}.sub", self.st.tasks[idx].task_id);
                self.st.tasks[idx].control.child_id = Some(child.clone());
                self.st.tasks[idx].output = serde_json::json!({ "subWorkflowId": child });
                let parent = ParentLink {
                    workflow_id: self.st.workflow_id.clone(),
                    task_id: self.st.tasks[idx].task_id.clone(),
                };
                self.effects.push(Effect::StartWorkflow(StartRequest {
                    workflow_id: child,
                    name: spec.name.clone(),
                    version: spec.version,
                    definition: spec.definition.clone(),
                    input: self.st.tasks[idx].input.clone(),
                    correlation_id: self.st.correlation_id.clone(),
                    parent: Some(parent),
                    options: self.inherited(true),
                }));
            }
            TaskKind::StartWorkflow => self.start_other_workflow(idx),
            TaskKind::Terminate => self.start_terminate(idx),
            TaskKind::SetVariable => {
                if let Value::Object(vars) = &self.st.tasks[idx].input {
                    for (k, v) in vars.clone() {
                        self.st.variables.insert(k, v);
                    }
                }
                self.complete_now(idx, Value::Object(Map::new()));
            }
        }
    }

    /// What a run this one starts inherits: the domain, and for a sub-workflow (part of
    /// this run) the mode too.
    pub(crate) fn inherited(&self, sub_workflow: bool) -> crate::event::RunOptions {
        crate::event::RunOptions {
            mode: (sub_workflow && self.st.run.mode != baton_model::RunMode::Auto)
                .then_some(self.st.run.mode),
            breakpoints: Vec::new(),
            domain: self.st.run.domain.clone(),
            runners: None,
        }
    }

    /// Arms the task timeout of attempt `idx` when its task definition has one.
    fn arm_task_timeout(&mut self, idx: usize) {
        let td = self.task_def_of(idx);
        if td.timeout_ms > 0 {
            self.timer(
                TimerKind::TaskTimeout,
                idx,
                self.now.saturating_add(td.timeout_ms),
            );
        }
    }

    /// Records a new attempt without starting it.
    pub(crate) fn create_instance(
        &mut self,
        task: &Task,
        suffix: &str,
        attempt: u32,
        status: TaskStatus,
        input: Value,
    ) -> usize {
        let task_id = self.next_task_id();
        self.push_instance(TaskInstance {
            task_id,
            ref_name: format!("{}{suffix}", task.ref_name),
            def_ref: task.ref_name.clone(),
            task_type: task.kind.task_type(),
            name: task.name.clone(),
            status,
            attempt,
            suffix: suffix.to_string(),
            input: baton_state::compact::compact(input),
            output: Value::Object(Map::new()),
            reason: None,
            worker_id: None,
            scheduled_at: self.now,
            started_at: None,
            updated_at: None,
            ended_at: if status.is_terminal() {
                Some(self.now)
            } else {
                None
            },
            retried: false,
            branch_skipped: false,
            control: ControlState::default(),
            hold: None,
        })
    }

    /// Records a task that will not run.
    pub(crate) fn skip_new(&mut self, task: &Task, suffix: &str, why: &str, branch: bool) {
        let idx = self.create_instance(
            task,
            suffix,
            0,
            TaskStatus::Skipped,
            Value::Object(Map::new()),
        );
        self.st.tasks[idx].reason = Some(why.to_string());
        self.st.tasks[idx].branch_skipped = branch;
    }

    /// Resolves a task's input template (task definition's `input_template` underneath).
    fn resolve_input(&self, task: &Task) -> Value {
        let scope = StateScope {
            state: &self.st,
            task_id: None,
        };
        let mut out = match &task.task_def {
            Some(td) if !td.input_template.is_empty() => {
                match template::resolve(&Value::Object(td.input_template.clone()), &scope) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                }
            }
            _ => Map::new(),
        };
        if let Value::Object(m) = template::resolve(&Value::Object(task.input.clone()), &scope) {
            out.extend(m);
        }
        Value::Object(out)
    }

    fn begin(&mut self, idx: usize) {
        self.st.tasks[idx].started_at = Some(self.now);
        self.st.tasks[idx].updated_at = Some(self.now);
        self.set_status(idx, TaskStatus::InProgress, None);
    }

    /// Completes an attempt on the spot (control tasks).
    pub(crate) fn complete_now(&mut self, idx: usize, output: Value) {
        self.st.tasks[idx].started_at = Some(self.now);
        self.st.tasks[idx].output = output;
        self.set_status(idx, TaskStatus::Completed, None);
    }

    /// The queue entry for a worker task attempt.
    pub(crate) fn queued(&self, idx: usize, visible_at: Timestamp) -> Option<QueuedTask> {
        let t = self.st.tasks.get(idx)?;
        let queue = t.task_type.queue(&t.name)?.to_string();
        Some(QueuedTask {
            task_id: t.task_id.clone(),
            queue,
            task_type: t.task_type.clone(),
            ref_name: t.ref_name.clone(),
            input: t.input.clone(),
            attempt: t.attempt,
            visible_at,
            response_timeout_ms: self.task_def_of(idx).response_timeout_ms,
            agent_level: self.def_task(&t.def_ref).and_then(|d| d.role),
        })
    }

    fn enqueue(&mut self, idx: usize, visible_at: Timestamp) {
        if let Some(q) = self.queued(idx, visible_at) {
            self.effects.push(Effect::Enqueue(q));
        }
        let td = self.task_def_of(idx);
        if td.poll_timeout_ms > 0 {
            self.timer(
                TimerKind::PollTimeout,
                idx,
                visible_at.saturating_add(td.poll_timeout_ms),
            );
        }
    }

    /// The effective task definition of an attempt: the definition's inline one, else
    /// Conductor's defaults for worker tasks, else no retries.
    pub(crate) fn task_def_of(&self, idx: usize) -> TaskDef {
        let Some(t) = self.st.tasks.get(idx) else {
            return TaskDef::no_retries("");
        };
        let Some(task) = self.def_task(&t.def_ref) else {
            return TaskDef::no_retries(&t.name);
        };
        let mut td = match &task.task_def {
            Some(td) => td.clone(),
            None if task.kind.is_worker_task() => TaskDef::conductor_default(&task.name),
            None => TaskDef::no_retries(&task.name),
        };
        // Conductor's WorkflowTask.retryCount overrides the task definition's.
        if let Some(n) = task.extra.get("retryCount").and_then(Value::as_u64) {
            td.retry_count = u32::try_from(n).unwrap_or(u32::MAX);
        }
        td
    }

    /// The kind of the definition task behind an attempt.
    pub(crate) fn def_task_kind(&self, idx: usize) -> Option<&TaskKind> {
        let t = self.st.tasks.get(idx)?;
        self.def_task(&t.def_ref).map(|task| &task.kind)
    }

    /// The definition task with this ref: in the definition, or forked at run time or
    /// nested in a forked task (the latest fork's, through the state's index: a wide
    /// fork looks each of its tasks up).
    pub(crate) fn def_task(&self, def_ref: &str) -> Option<&Task> {
        if let Some(t) = self.find_def(def_ref) {
            return Some(t);
        }
        let at = |(i, p): (usize, usize)| {
            self.st
                .tasks
                .get(i)
                .and_then(|t| t.control.forked.get(p))
                .and_then(|f| baton_model::find_in(std::slice::from_ref(f), def_ref))
        };
        match self.st.forked_at(def_ref).map(at) {
            Some(Some(t)) => Some(t),
            // The index is rebuilt whenever attempts are dropped, so this is not expected;
            // a scan still gives the right answer.
            Some(None) => self
                .st
                .tasks
                .iter()
                .rev()
                .find_map(|t| baton_model::find_in(&t.control.forked, def_ref)),
            None => None,
        }
    }

    fn start_switch(&mut self, idx: usize, spec: &SwitchSpec) {
        let input = self.st.tasks[idx].input.clone();
        let value = match spec.evaluator {
            Evaluator::ValueParam => {
                Ok(input.get(&spec.expression).cloned().unwrap_or(Value::Null))
            }
            Evaluator::Javascript => crate::eval::javascript(&spec.expression, &input),
        };
        let value = match value {
            Ok(v) => v,
            Err(e) => {
                let why = format!("evaluating `{}`: {e}", spec.expression);
                self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
                return;
            }
        };
        let case = crate::eval::case_string(&value);
        let key = if spec.legacy_decision {
            "caseOutput"
        } else {
            "evaluationResult"
        };
        let mut out = Map::new();
        out.insert(key.into(), Value::Array(vec![Value::String(case.clone())]));
        out.insert("selectedCase".into(), Value::String(case.clone()));
        let native = !spec.next.is_empty() || spec.next_default.is_some();
        if native
            && !spec.next.contains_key(&case)
            && spec.next_default.is_none()
            && spec.fail_on_no_match
        {
            let cases: Vec<&str> = spec.next.keys().map(String::as_str).collect();
            let why = format!(
                "decision value `{case}` matches none of the cases {} and there is no default",
                cases.join(", ")
            );
            self.st.tasks[idx].output = Value::Object(out);
            self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
            return;
        }
        let matched = spec.cases.contains_key(&case) || spec.next.contains_key(&case);
        if !matched
            && spec.fail_on_no_match
            && spec.default_case.is_empty()
            && spec.next_default.is_none()
        {
            let why = format!("decision value `{case}` matches no case and there is no default");
            self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
            return;
        }
        self.st.tasks[idx].control.case = matched.then_some(case);
        self.complete_now(idx, Value::Object(out));
    }

    fn start_wait(&mut self, idx: usize) {
        self.begin(idx);
        let input = &self.st.tasks[idx].input;
        let due = match (input.get("duration"), input.get("until")) {
            (Some(Value::String(d)), _) => baton_model::duration::parse_duration(d)
                .map(|ms| Some(self.now.saturating_add(ms)))
                .map_err(|e| format!("WAIT `duration` {d:?}: {e}")),
            (_, Some(Value::String(u))) => crate::eval::parse_until(u)
                .map(Some)
                .map_err(|e| format!("WAIT `until` {u:?}: {e}")),
            (Some(v), _) | (_, Some(v)) if !v.is_null() => {
                Err(format!("WAIT: `duration`/`until` must be text, got {v}"))
            }
            _ => Ok(None),
        };
        match due {
            Ok(Some(at)) if at <= self.now => self.set_status(idx, TaskStatus::Completed, None),
            Ok(Some(at)) => self.timer(TimerKind::Wait, idx, at),
            // No duration and no time: the task waits for an external update (Conductor).
            Ok(None) => {}
            Err(why) => self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false),
        }
    }

    fn start_other_workflow(&mut self, idx: usize) {
        let input = self.st.tasks[idx].input.clone();
        let req = input.get("startWorkflow").cloned().unwrap_or(Value::Null);
        let Some(name) = req
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            let why = "START_WORKFLOW needs input `startWorkflow: {name, version?, input?, correlationId?}`".to_string();
            self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
            return;
        };
        let child = format!("{}.start", self.st.tasks[idx].task_id);
        self.st.tasks[idx].control.child_id = Some(child.clone());
        self.effects.push(Effect::StartWorkflow(StartRequest {
            workflow_id: child.clone(),
            name: name.to_string(),
            version: req
                .get("version")
                .and_then(Value::as_u64)
                .and_then(|v| u32::try_from(v).ok()),
            definition: None,
            input: req
                .get("input")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
            correlation_id: req
                .get("correlationId")
                .and_then(Value::as_str)
                .map(str::to_string),
            parent: None,
            options: self.inherited(false),
        }));
        self.complete_now(idx, serde_json::json!({ "workflowId": child }));
    }

    fn start_terminate(&mut self, idx: usize) {
        let input = self.st.tasks[idx].input.clone();
        let status = match input
            .get("terminationStatus")
            .and_then(Value::as_str)
            .unwrap_or("COMPLETED")
        {
            "COMPLETED" => WorkflowStatus::Completed,
            "FAILED" => WorkflowStatus::Failed,
            "TERMINATED" => WorkflowStatus::Terminated,
            other => {
                let why = format!(
                    "TERMINATE: terminationStatus must be COMPLETED, FAILED or TERMINATED, not `{other}`"
                );
                self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
                return;
            }
        };
        let reason = input
            .get("terminationReason")
            .and_then(Value::as_str)
            .map(str::to_string);
        let output = input.get("workflowOutput").cloned();
        self.complete_now(idx, input.clone());
        if let Some(out) = output {
            self.st.output = out;
            self.end_workflow_keep_output(status, reason);
        } else {
            self.end_workflow(status, reason);
        }
    }
}
