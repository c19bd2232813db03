//! Every per-kind question, answered in one place.
//!
//! [`TaskType`] names the type of a task attempt (what a history records, Conductor's
//! `taskType`); [`TaskKind`] is what a definition task does. Each question is one
//! exhaustive `match` on [`TaskType`] with no catch-all arm, so a new kind does not
//! compile until every question has an answer for it. [`TaskKind`]'s questions ask its
//! type.

mod name;

use crate::model::{Task, TaskKind};

/// The type of a task attempt, serialised as Conductor's type string (`"SIMPLE"`,
/// `"SUB_WORKFLOW"`, `"HTTP"`, ...).
///
/// Every string reads back: a name Baton does not resolve itself (the built-in runners'
/// `HTTP`, `INLINE`, ..., or a type from another version's history) is a
/// [`TaskType::System`] type, scheduled on the queue of its own name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskType {
    /// `SIMPLE`: a worker task on the queue of its name.
    Simple,
    /// `SWITCH`.
    Switch,
    /// `DECISION`: the legacy spelling of SWITCH.
    Decision,
    /// `FORK_JOIN`.
    ForkJoin,
    /// `JOIN`.
    Join,
    /// `EXCLUSIVE_JOIN`.
    ExclusiveJoin,
    /// `FORK_JOIN_DYNAMIC`.
    ForkJoinDynamic,
    /// `DYNAMIC`: a worker task whose queue comes from its input.
    Dynamic,
    /// `DO_WHILE`.
    DoWhile,
    /// `WAIT`.
    Wait,
    /// `HUMAN`.
    Human,
    /// `SUB_WORKFLOW`.
    SubWorkflow,
    /// `START_WORKFLOW`.
    StartWorkflow,
    /// `TERMINATE`.
    Terminate,
    /// `SET_VARIABLE`.
    SetVariable,
    /// `NOOP`.
    Noop,
    /// Any other type: run by a built-in runner on the queue of the type's name. Build it
    /// with [`TaskType::from_name`], which never puts one of the names above here.
    System(String),
}

impl TaskType {
    /// Whether the task waits on a queue for a worker (remote SDK worker or local runner)
    /// rather than being resolved by the decider.
    pub fn runs_on_worker(&self) -> bool {
        match self {
            TaskType::Simple | TaskType::Dynamic | TaskType::System(_) => true,
            TaskType::Switch
            | TaskType::Decision
            | TaskType::ForkJoin
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::ForkJoinDynamic
            | TaskType::DoWhile
            | TaskType::Wait
            | TaskType::Human
            | TaskType::SubWorkflow
            | TaskType::StartWorkflow
            | TaskType::Terminate
            | TaskType::SetVariable
            | TaskType::Noop => false,
        }
    }

    /// The queue an attempt of this type waits on; `name` is the attempt's task name
    /// (for DYNAMIC, the name its input resolved to). `None`: it is never queued.
    pub fn queue<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        match self {
            TaskType::Simple | TaskType::Dynamic => Some(name),
            TaskType::System(task_type) => Some(task_type),
            TaskType::Switch
            | TaskType::Decision
            | TaskType::ForkJoin
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::ForkJoinDynamic
            | TaskType::DoWhile
            | TaskType::Wait
            | TaskType::Human
            | TaskType::SubWorkflow
            | TaskType::StartWorkflow
            | TaskType::Terminate
            | TaskType::SetVariable
            | TaskType::Noop => None,
        }
    }

    /// Whether a task update from outside (a worker's result, an external completion of
    /// a WAIT, a person's decision, a child's result) may complete or fail it. The other
    /// kinds are engine-owned: the decider alone ends them.
    pub fn accepts_updates(&self) -> bool {
        match self {
            TaskType::Simple
            | TaskType::Dynamic
            | TaskType::System(_)
            | TaskType::Wait
            | TaskType::Human
            | TaskType::SubWorkflow => true,
            TaskType::Switch
            | TaskType::Decision
            | TaskType::ForkJoin
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::ForkJoinDynamic
            | TaskType::DoWhile
            | TaskType::StartWorkflow
            | TaskType::Terminate
            | TaskType::SetVariable
            | TaskType::Noop => false,
        }
    }

    /// Whether only the decider ends tasks of this type (the opposite of
    /// [`Self::accepts_updates`]).
    pub fn is_engine_owned(&self) -> bool {
        !self.accepts_updates()
    }

    /// Whether an operator may rerun a workflow from a task of this type: it is started
    /// afresh and finished from outside — exactly the types that accept updates.
    /// Control tasks are re-entered from the task before them instead.
    pub fn can_rerun_from(&self) -> bool {
        self.accepts_updates()
    }

    /// Whether a failed attempt is retried under its task definition's `retry_count`.
    pub fn is_retryable(&self) -> bool {
        match self {
            TaskType::Simple | TaskType::Dynamic | TaskType::System(_) | TaskType::SubWorkflow => {
                true
            }
            TaskType::Switch
            | TaskType::Decision
            | TaskType::ForkJoin
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::ForkJoinDynamic
            | TaskType::DoWhile
            | TaskType::Wait
            | TaskType::Human
            | TaskType::StartWorkflow
            | TaskType::Terminate
            | TaskType::SetVariable
            | TaskType::Noop => false,
        }
    }

    /// Whether the task completes when its own timer (a WAIT's duration or deadline)
    /// fires.
    pub fn waits_on_timer(&self) -> bool {
        match self {
            TaskType::Wait => true,
            TaskType::Simple
            | TaskType::Dynamic
            | TaskType::System(_)
            | TaskType::Switch
            | TaskType::Decision
            | TaskType::ForkJoin
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::ForkJoinDynamic
            | TaskType::DoWhile
            | TaskType::Human
            | TaskType::SubWorkflow
            | TaskType::StartWorkflow
            | TaskType::Terminate
            | TaskType::SetVariable
            | TaskType::Noop => false,
        }
    }

    /// Whether the task has a child workflow that lives and dies with it: the child
    /// reports its end back, and is terminated when the task times out or the parent
    /// ends. (START_WORKFLOW starts a workflow too, but does not own it.)
    pub fn has_child(&self) -> bool {
        match self {
            TaskType::SubWorkflow => true,
            TaskType::Simple
            | TaskType::Dynamic
            | TaskType::System(_)
            | TaskType::Switch
            | TaskType::Decision
            | TaskType::ForkJoin
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::ForkJoinDynamic
            | TaskType::DoWhile
            | TaskType::Wait
            | TaskType::Human
            | TaskType::StartWorkflow
            | TaskType::Terminate
            | TaskType::SetVariable
            | TaskType::Noop => false,
        }
    }

    /// Whether the task is a step a person may hold before it is scheduled: a gate of
    /// a supervised run or a debug run's breakpoint. Steps do work or wait (workers,
    /// HUMAN, WAIT, child workflows, TERMINATE); the control flow around them (SWITCH,
    /// forks, joins, loops, NOOP, SET_VARIABLE) is resolved on the spot and never held.
    pub fn can_hold(&self) -> bool {
        match self {
            TaskType::Simple
            | TaskType::Dynamic
            | TaskType::System(_)
            | TaskType::Wait
            | TaskType::Human
            | TaskType::SubWorkflow
            | TaskType::StartWorkflow
            | TaskType::Terminate => true,
            TaskType::Switch
            | TaskType::Decision
            | TaskType::ForkJoin
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::ForkJoinDynamic
            | TaskType::DoWhile
            | TaskType::SetVariable
            | TaskType::Noop => false,
        }
    }

    /// Whether the task waits for a person's decision (approve / reject), which only a
    /// principal with the task's role may give.
    pub fn awaits_person(&self) -> bool {
        match self {
            TaskType::Human => true,
            TaskType::Simple
            | TaskType::Dynamic
            | TaskType::System(_)
            | TaskType::Switch
            | TaskType::Decision
            | TaskType::ForkJoin
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::ForkJoinDynamic
            | TaskType::DoWhile
            | TaskType::Wait
            | TaskType::SubWorkflow
            | TaskType::StartWorkflow
            | TaskType::Terminate
            | TaskType::SetVariable
            | TaskType::Noop => false,
        }
    }

    /// What a JOIN in the same list can wait for: `Some(true)` for a fork (JOIN and
    /// EXCLUSIVE_JOIN), `Some(false)` for a switch (EXCLUSIVE_JOIN only), `None` otherwise.
    pub fn opens_join(&self) -> Option<bool> {
        match self {
            TaskType::ForkJoin | TaskType::ForkJoinDynamic => Some(true),
            TaskType::Switch | TaskType::Decision => Some(false),
            TaskType::Simple
            | TaskType::Dynamic
            | TaskType::System(_)
            | TaskType::Join
            | TaskType::ExclusiveJoin
            | TaskType::DoWhile
            | TaskType::Wait
            | TaskType::Human
            | TaskType::SubWorkflow
            | TaskType::StartWorkflow
            | TaskType::Terminate
            | TaskType::SetVariable
            | TaskType::Noop => None,
        }
    }
}

impl TaskKind {
    /// The type of this kind's attempts.
    pub fn task_type(&self) -> TaskType {
        match self {
            TaskKind::System { task_type } => TaskType::from_name(task_type),
            _ => self.shape(),
        }
    }

    /// The type of this kind, with an empty name for system types: enough for the
    /// questions, which do not depend on the name, without allocating.
    fn shape(&self) -> TaskType {
        match self {
            TaskKind::Simple => TaskType::Simple,
            TaskKind::System { .. } => TaskType::System(String::new()),
            TaskKind::Switch(s) if s.legacy_decision => TaskType::Decision,
            TaskKind::Switch(_) => TaskType::Switch,
            TaskKind::ForkJoin { .. } => TaskType::ForkJoin,
            TaskKind::Join { .. } => TaskType::Join,
            TaskKind::ExclusiveJoin { .. } => TaskType::ExclusiveJoin,
            TaskKind::ForkJoinDynamic(_) => TaskType::ForkJoinDynamic,
            TaskKind::Dynamic { .. } => TaskType::Dynamic,
            TaskKind::DoWhile(_) => TaskType::DoWhile,
            TaskKind::Wait => TaskType::Wait,
            TaskKind::Human(_) => TaskType::Human,
            TaskKind::SubWorkflow(_) => TaskType::SubWorkflow,
            TaskKind::StartWorkflow => TaskType::StartWorkflow,
            TaskKind::Terminate => TaskType::Terminate,
            TaskKind::SetVariable => TaskType::SetVariable,
            TaskKind::Noop => TaskType::Noop,
        }
    }

    /// Conductor's type string for this kind.
    pub fn type_name(&self) -> &str {
        match self {
            TaskKind::System { task_type } => task_type,
            known => known.shape().static_name().unwrap_or_default(),
        }
    }

    /// Whether a worker (remote or local runner) executes the task, as opposed to the
    /// decider resolving it itself.
    pub fn is_worker_task(&self) -> bool {
        self.shape().runs_on_worker()
    }

    /// See [`TaskType::accepts_updates`].
    pub fn accepts_updates(&self) -> bool {
        self.shape().accepts_updates()
    }

    /// See [`TaskType::can_rerun_from`].
    pub fn can_rerun_from(&self) -> bool {
        self.shape().can_rerun_from()
    }

    /// See [`TaskType::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        self.shape().is_retryable()
    }

    /// See [`TaskType::can_hold`].
    pub fn can_hold(&self) -> bool {
        self.shape().can_hold()
    }

    /// See [`TaskType::opens_join`].
    pub fn opens_join(&self) -> Option<bool> {
        self.shape().opens_join()
    }

    /// The queue a definition task `named` goes to, when it is known before the run:
    /// DYNAMIC tasks choose theirs from their input, so they have none here.
    pub fn static_queue<'a>(&'a self, named: &'a str) -> Option<&'a str> {
        match self {
            TaskKind::Simple => Some(named),
            TaskKind::System { task_type } => Some(task_type),
            TaskKind::Dynamic { .. } => None,
            other => other.shape().queue(named).is_some().then_some(named),
        }
    }

    /// The nested task lists of a control-flow task, in order (an inline sub-workflow's
    /// tasks are another definition's, not a block of this one).
    pub fn blocks(&self) -> Vec<&Vec<Task>> {
        match self {
            TaskKind::Switch(s) => {
                let mut v: Vec<&Vec<Task>> = s.cases.values().collect();
                v.push(&s.default_case);
                v
            }
            TaskKind::ForkJoin { branches } => branches.iter().collect(),
            TaskKind::DoWhile(d) => vec![&d.body],
            TaskKind::Simple
            | TaskKind::System { .. }
            | TaskKind::Join { .. }
            | TaskKind::ExclusiveJoin { .. }
            | TaskKind::ForkJoinDynamic(_)
            | TaskKind::Dynamic { .. }
            | TaskKind::Wait
            | TaskKind::Human(_)
            | TaskKind::SubWorkflow(_)
            | TaskKind::StartWorkflow
            | TaskKind::Terminate
            | TaskKind::SetVariable
            | TaskKind::Noop => Vec::new(),
        }
    }

    /// [`Self::blocks`], mutable.
    pub fn blocks_mut(&mut self) -> Vec<&mut Vec<Task>> {
        match self {
            TaskKind::Switch(s) => {
                let mut v: Vec<&mut Vec<Task>> = s.cases.values_mut().collect();
                v.push(&mut s.default_case);
                v
            }
            TaskKind::ForkJoin { branches } => branches.iter_mut().collect(),
            TaskKind::DoWhile(d) => vec![&mut d.body],
            TaskKind::Simple
            | TaskKind::System { .. }
            | TaskKind::Join { .. }
            | TaskKind::ExclusiveJoin { .. }
            | TaskKind::ForkJoinDynamic(_)
            | TaskKind::Dynamic { .. }
            | TaskKind::Wait
            | TaskKind::Human(_)
            | TaskKind::SubWorkflow(_)
            | TaskKind::StartWorkflow
            | TaskKind::Terminate
            | TaskKind::SetVariable
            | TaskKind::Noop => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_their_types_agree() {
        let system = TaskKind::System {
            task_type: "HTTP".into(),
        };
        assert_eq!(system.task_type(), TaskType::System("HTTP".into()));
        assert_eq!(system.type_name(), "HTTP");
        assert_eq!(TaskKind::Wait.type_name(), "WAIT");
        assert!(system.is_worker_task() && system.is_retryable());
        assert!(!TaskKind::Noop.accepts_updates());
        assert!(TaskType::Wait.waits_on_timer() && !TaskType::Human.waits_on_timer());
        assert_eq!(TaskType::Simple.queue("q"), Some("q"));
        assert_eq!(TaskType::System("HTTP".into()).queue("x"), Some("HTTP"));
        assert_eq!(TaskType::Join.queue("j"), None);
        assert_eq!(
            TaskKind::Dynamic {
                name_param: "n".into()
            }
            .static_queue("d"),
            None
        );
    }
}
