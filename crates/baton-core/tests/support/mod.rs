//! A tiny in-memory "runtime" for decider tests: applies events, interprets the effects
//! one to one as the engine does (queue, timers, events for other workflows) without
//! adding rules of its own, and checks after every step that replaying the history
//! reproduces the state.

#![allow(dead_code)]

use baton_core::*;
use baton_model::*;
use serde_json::{Value, json};

/// A task with no retries and the given kind.
pub fn task(r: &str, kind: TaskKind) -> Task {
    Task {
        task_def: Some(TaskDef::no_retries(r)),
        ..Task::new(r, r, kind)
    }
}

/// A SIMPLE task with no retries.
pub fn simple(r: &str) -> Task {
    task(r, TaskKind::Simple)
}

/// Sets a task's input template.
pub fn with_input(mut t: Task, input: Value) -> Task {
    t.input = input.as_object().cloned().unwrap_or_default();
    t
}

/// Sets explicit dependencies.
pub fn after(mut t: Task, deps: &[&str]) -> Task {
    t.depends_on = Some(deps.iter().map(|s| s.to_string()).collect());
    t
}

/// A workflow definition around `tasks`.
pub fn wf(tasks: Vec<Task>) -> WorkflowDef {
    WorkflowDef::new("test", 1, tasks)
}

/// A workflow being driven by a test.
pub struct Run {
    pub def: ValidatedDef,
    pub state: WorkflowState,
    pub now: Timestamp,
    pub history: Vec<(Event, Timestamp)>,
    pub effects: Vec<Effect>,
    pub queue: Vec<QueuedTask>,
    pub timers: Vec<Timer>,
    /// Events handed to other workflows (`Effect::DeliverEvent`), in order.
    pub delivered: Vec<(String, Event)>,
    pub last: Option<Outcome>,
}

impl Run {
    /// A run of `def`, which must pass validation (the decider runs nothing else).
    pub fn new(def: WorkflowDef) -> Run {
        let def = match ValidatedDef::check(def, &SourceMap::default()) {
            Ok((def, _warnings)) => def,
            Err(diagnostics) => panic!("the test definition is invalid: {diagnostics:?}"),
        };
        let state = WorkflowState::new("wf", def.name.clone(), def.version);
        Run {
            def,
            state,
            now: 1_000_000,
            history: Vec::new(),
            effects: Vec::new(),
            queue: Vec::new(),
            timers: Vec::new(),
            delivered: Vec::new(),
            last: None,
        }
    }

    /// Starts with `input`.
    pub fn started(def: WorkflowDef, input: Value) -> Run {
        let mut run = Run::new(def);
        run.apply(Event::WorkflowStarted {
            input,
            correlation_id: None,
            parent: None,
            options: Default::default(),
            by: None,
        });
        run
    }

    /// Applies one event and checks the replay invariant.
    pub fn apply(&mut self, event: Event) -> Outcome {
        // The same event on the state as a checkpoint reads back (derived indexes and
        // fork cursors rebuilt from nothing) must decide exactly the same.
        let cold: WorkflowState =
            serde_json::from_str(&serde_json::to_string(&self.state).expect("serialize"))
                .expect("deserialize");
        let d = decide(&self.def, self.state.clone(), &event, self.now);
        let c = decide(&self.def, cold, &event, self.now);
        assert_eq!(
            (&c.state, &c.effects, &c.outcome),
            (&d.state, &d.effects, &d.outcome),
            "a state read back from a checkpoint must decide as the live one"
        );
        if d.outcome == Outcome::Applied {
            self.history.push((event, self.now));
            self.state = d.state;
            for e in &d.effects {
                match e {
                    Effect::Enqueue(q) => {
                        self.queue.retain(|x| x.task_id != q.task_id);
                        self.queue.push(q.clone());
                    }
                    Effect::Dequeue { task_id } => self.queue.retain(|x| &x.task_id != task_id),
                    Effect::StartTimer(t) => {
                        self.timers.retain(|x| x.id() != t.id());
                        self.timers.push(t.clone());
                    }
                    Effect::ClearTimers => self.timers.clear(),
                    Effect::DeliverEvent { workflow_id, event } => {
                        self.delivered
                            .push((workflow_id.clone(), (**event).clone()));
                    }
                    Effect::StartWorkflow(_)
                    | Effect::WorkflowEnded { .. }
                    | Effect::Alert { .. } => {}
                }
            }
            self.effects.extend(d.effects);
            let replayed = replay(&self.def, "wf", self.history.iter().map(|(e, t)| (e, *t)));
            assert_eq!(
                replayed, self.state,
                "replaying the history must reproduce the state"
            );
        } else {
            assert_eq!(
                d.state, self.state,
                "an event that does not apply must not change the state"
            );
            assert!(
                d.effects.is_empty(),
                "an event that does not apply must not ask for effects"
            );
        }
        self.last = Some(d.outcome.clone());
        d.outcome
    }

    /// The latest attempt of `r`.
    pub fn t(&self, r: &str) -> &TaskInstance {
        self.state
            .latest(r)
            .unwrap_or_else(|| panic!("no task {r}; tasks: {:?}", self.refs()))
    }

    /// How many attempts `r` has.
    pub fn attempts(&self, r: &str) -> usize {
        self.state.tasks.iter().filter(|t| t.ref_name == r).count()
    }

    /// Starts with `input` and run options.
    pub fn started_with(def: WorkflowDef, input: Value, options: baton_core::RunOptions) -> Run {
        let mut run = Run::new(def);
        run.apply(Event::WorkflowStarted {
            input,
            correlation_id: None,
            parent: None,
            options,
            by: None,
        });
        run
    }

    pub fn status(&self, r: &str) -> Option<TaskStatus> {
        self.state.latest(r).map(|t| t.status)
    }

    pub fn refs(&self) -> Vec<String> {
        self.state
            .tasks
            .iter()
            .map(|t| format!("{}:{}", t.ref_name, t.status.as_str()))
            .collect()
    }

    /// Refs of queued worker tasks, in queue order.
    pub fn queued(&self) -> Vec<String> {
        self.queue.iter().map(|q| q.ref_name.clone()).collect()
    }

    pub fn id(&self, r: &str) -> String {
        self.t(r).task_id.clone()
    }

    /// A worker polls the task.
    pub fn poll(&mut self, r: &str) -> Outcome {
        let task_id = self.id(r);
        self.apply(Event::TaskStarted {
            task_id,
            worker_id: Some("w1".into()),
            by: Principal::worker("w1"),
        })
    }

    /// A worker completes the task with `output`.
    pub fn complete(&mut self, r: &str, output: Value) -> Outcome {
        let task_id = self.id(r);
        self.apply(Event::TaskUpdated {
            task_id,
            status: TaskResultStatus::Completed,
            output,
            reason: None,
            callback_after_ms: None,
            worker_id: Some("w1".into()),
            by: Principal::worker("w1"),
        })
    }

    /// A worker fails the task.
    pub fn fail(&mut self, r: &str, reason: &str) -> Outcome {
        let task_id = self.id(r);
        self.apply(Event::TaskUpdated {
            task_id,
            status: TaskResultStatus::Failed,
            output: Value::Null,
            reason: Some(reason.into()),
            callback_after_ms: None,
            worker_id: None,
            by: Principal::worker("w1"),
        })
    }

    /// Moves the clock and fires every timer due by then, in due order.
    pub fn advance_to(&mut self, t: Timestamp) {
        loop {
            self.timers.sort_by_key(|x| x.fire_at);
            let Some(pos) = self.timers.iter().position(|x| x.fire_at <= t) else {
                break;
            };
            let timer = self.timers.remove(pos);
            self.now = self.now.max(timer.fire_at);
            self.apply(Event::TimerFired { timer });
        }
        self.now = t;
    }

    /// Completes every queued task with `{}` until nothing is queued (bounded).
    pub fn drain(&mut self) {
        for _ in 0..1000 {
            let Some(q) = self.queue.first().cloned() else {
                return;
            };
            let outcome = self.apply(Event::TaskUpdated {
                task_id: q.task_id.clone(),
                status: TaskResultStatus::Completed,
                output: json!({}),
                reason: None,
                callback_after_ms: None,
                worker_id: None,
                by: Principal::worker("w1"),
            });
            if outcome != Outcome::Applied {
                // As the engine's poll does with a row whose attempt has ended.
                self.queue.retain(|x| x.task_id != q.task_id);
            }
        }
    }

    pub fn wf_status(&self) -> WorkflowStatus {
        self.state.status
    }

    /// The StartWorkflow effects asked for so far.
    pub fn started_workflows(&self) -> Vec<StartRequest> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::StartWorkflow(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }
}
