//! The durable state of one workflow instance: what the decider reads and returns.
//!
//! The state is a plain serializable value. Replaying a workflow's event history through
//! `baton_core::decide` from [`WorkflowState::new`] reproduces it exactly; that replay is the
//! audit trail's proof.

use serde::{Deserialize, Serialize};
use serde_json::Value;
// foldhash: the ref index is looked up dozens of times per event (SipHash was 5 % of a
// step); its keys come from a validated, size-bounded definition.
use foldhash::HashMap;

/// Milliseconds since the Unix epoch, as handed to the decider by its caller.
pub type Timestamp = u64;

/// Lifecycle of a workflow instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowStatus {
    /// Created, waiting for its `WorkflowStarted` event.
    Pending,
    /// Running.
    Running,
    /// Paused by an operator: results are recorded, nothing new is scheduled.
    Paused,
    /// Ended successfully.
    Completed,
    /// Ended because a task failed (or a TERMINATE task said FAILED).
    Failed,
    /// Ended because the workflow or a TIME_OUT_WF task timed out.
    TimedOut,
    /// Ended by an operator or a TERMINATE task.
    Terminated,
}

impl WorkflowStatus {
    /// Whether the workflow has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::TimedOut | Self::Terminated
        )
    }

    /// Conductor's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Terminated => "TERMINATED",
        }
    }
}

/// Lifecycle of one task attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    /// Waiting in a queue (or for its start delay).
    Scheduled,
    /// Picked up by a worker, or waiting (WAIT, HUMAN, JOIN, DO_WHILE, SUB_WORKFLOW).
    InProgress,
    /// Finished successfully.
    Completed,
    /// An optional task that failed: the workflow goes on.
    CompletedWithErrors,
    /// Failed; may be retried.
    Failed,
    /// Failed; must not be retried.
    FailedWithTerminalError,
    /// Exceeded a timeout.
    TimedOut,
    /// Stopped because the workflow ended or moved on.
    Canceled,
    /// Not run: its branch was not taken, its condition was false, or an operator skipped it.
    Skipped,
}

impl TaskStatus {
    /// Whether the attempt has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Scheduled | Self::InProgress)
    }

    /// Whether the attempt ended in a way that lets its successors run.
    pub fn is_successful(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::CompletedWithErrors | Self::Skipped
        )
    }

    /// Conductor's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "SCHEDULED",
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::CompletedWithErrors => "COMPLETED_WITH_ERRORS",
            Self::Failed => "FAILED",
            Self::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
            Self::TimedOut => "TIMED_OUT",
            Self::Canceled => "CANCELED",
            Self::Skipped => "SKIPPED",
        }
    }
}

/// A workflow that started this one as a SUB_WORKFLOW.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    /// The parent workflow.
    pub workflow_id: String,
    /// The parent's SUB_WORKFLOW task attempt.
    pub task_id: String,
}

/// One attempt of one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInstance {
    /// Unique id of this attempt (`<workflow id>-t<seq>`; each retry gets a new one).
    pub task_id: String,
    /// Reference name, with `__N` for DO_WHILE iterations (Conductor's naming).
    pub ref_name: String,
    /// The reference name in the definition (without the iteration suffix).
    pub def_ref: String,
    /// Conductor task type (`SIMPLE`, `SWITCH`, ...), stored as its name.
    pub task_type: baton_model::TaskType,
    /// Queue name for worker tasks; the definition's task name otherwise.
    pub name: String,
    /// Current status.
    pub status: TaskStatus,
    /// 0 for the first attempt (Conductor's `retryCount`).
    pub attempt: u32,
    /// Iteration suffix of enclosing DO_WHILE loops (`""` outside loops, `"__2"` inside).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub suffix: String,
    /// Resolved input.
    #[serde(deserialize_with = "crate::compact::deserialize")]
    pub input: Value,
    /// Output (worker result, JOIN aggregate, DO_WHILE iterations, ...).
    #[serde(deserialize_with = "crate::compact::deserialize")]
    pub output: Value,
    /// Why it failed, timed out, was canceled or skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Worker that holds or held the attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// When the attempt was created.
    pub scheduled_at: Timestamp,
    /// When it became IN_PROGRESS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// Last progress report (response-timeout clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// When it reached a terminal status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// A later attempt replaces this one.
    #[serde(default)]
    pub retried: bool,
    /// SKIPPED because a DECISION did not take its branch: the skip spreads to tasks that
    /// depend only on skipped tasks (a `when:` or operator skip does not spread).
    #[serde(default)]
    pub branch_skipped: bool,
    /// What the control flow of this task decided (chosen case, loop iteration, forked
    /// tasks, child workflow).
    #[serde(default, skip_serializing_if = "ControlState::is_empty")]
    pub control: ControlState,
    /// Created (input resolved) but held before it is scheduled: a supervised run's gate
    /// waiting for approval, or a debug run's breakpoint waiting for a step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
}

/// Why a created attempt is held before it is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// A gate of a supervised run: approve schedules it, reject fails (or skips) it.
    Gate,
    /// A debug run's pause before the task: step or continue schedules it.
    Breakpoint,
}

impl Hold {
    /// The hold's name as written (`gate`, `breakpoint`).
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Gate => "gate",
            Hold::Breakpoint => "breakpoint",
        }
    }
}

/// How this run proceeds: its mode, breakpoints and domain (from the start and the
/// definition), and where a debug run stops next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Execution mode.
    #[serde(default, skip_serializing_if = "is_auto")]
    pub mode: baton_model::RunMode,
    /// Debug: refs to pause before (empty: every task).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakpoints: Vec<String>,
    /// Debug: pause before the next task whatever the breakpoints (set by a step,
    /// cleared by continue).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stepping: bool,
    /// The run's domain (an L2 principal operates its own domain's runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

fn is_auto(m: &baton_model::RunMode) -> bool {
    *m == baton_model::RunMode::Auto
}

impl RunSettings {
    /// Whether nothing differs from an auto run without a domain.
    pub fn is_default(&self) -> bool {
        self == &RunSettings::default()
    }
}

/// Bookkeeping of control-flow tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ControlState {
    /// SWITCH: the chosen case (`None` with `evaluated` = the default case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// DO_WHILE: the current iteration (1-based).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub iteration: u32,
    /// FORK_JOIN_DYNAMIC: the forked tasks, compiled from the input at run time. Shared,
    /// because every walk and join of the fork reads them.
    #[serde(default, skip_serializing_if = "no_tasks")]
    pub forked: std::sync::Arc<Vec<baton_model::Task>>,
    /// SUB_WORKFLOW / START_WORKFLOW: the started workflow's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_id: Option<String>,
}

fn no_tasks(v: &std::sync::Arc<Vec<baton_model::Task>>) -> bool {
    v.is_empty()
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

impl ControlState {
    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.case.is_none()
            && self.iteration == 0
            && self.forked.is_empty()
            && self.child_id.is_none()
    }
}

/// The state of one workflow instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkflowState {
    /// Unique id.
    pub workflow_id: String,
    /// Definition name.
    pub name: String,
    /// Definition version.
    pub version: u32,
    /// Lifecycle status.
    pub status: WorkflowStatus,
    /// Input, with defaults applied.
    pub input: Value,
    /// Output, once completed.
    pub output: Value,
    /// Workflow variables (SET_VARIABLE).
    pub variables: serde_json::Map<String, Value>,
    /// Every task attempt, in creation order.
    pub tasks: Vec<TaskInstance>,
    /// Why the workflow failed, timed out or was terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Ref of the task whose failure ended the workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_task_ref: Option<String>,
    /// Caller-supplied correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The parent when this is a sub-workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    /// When the workflow started.
    pub created_at: Timestamp,
    /// When the state last changed.
    pub updated_at: Timestamp,
    /// When the workflow ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// Counter behind task ids (deterministic, so replay gives the same ids).
    pub next_seq: u64,
    /// Sequence number of `tasks[0]` (task ids stay unique across restarts, which
    /// clear `tasks`).
    #[serde(default)]
    pub seq_base: u64,
    /// Mode, breakpoints and domain of this run.
    #[serde(default, skip_serializing_if = "RunSettings::is_default")]
    pub run: RunSettings,
    /// Latest attempt per ref name; derived from `tasks`, rebuilt after deserializing.
    #[serde(skip)]
    #[doc(hidden)] // kept consistent by the decider (`baton-core`)
    pub index: RefIndex,
}

impl PartialEq for WorkflowState {
    fn eq(&self, other: &Self) -> bool {
        // `index` is derived from `tasks`, so it takes no part in equality.
        self.workflow_id == other.workflow_id
            && self.name == other.name
            && self.version == other.version
            && self.status == other.status
            && self.input == other.input
            && self.output == other.output
            && self.variables == other.variables
            && self.tasks == other.tasks
            && self.reason == other.reason
            && self.failed_task_ref == other.failed_task_ref
            && self.correlation_id == other.correlation_id
            && self.parent == other.parent
            && self.created_at == other.created_at
            && self.updated_at == other.updated_at
            && self.ended_at == other.ended_at
            && self.next_seq == other.next_seq
            && self.seq_base == other.seq_base
            && self.run == other.run
    }
}

/// Map from ref name (with suffix) to the index of its latest attempt in `tasks`, and
/// what the decider keeps about dynamic forks between events.
#[derive(Debug, Clone, Default)]
#[doc(hidden)] // kept consistent by the decider (`baton-core`)
pub struct RefIndex {
    latest: HashMap<String, usize>,
    /// Latest attempt per definition ref (any iteration), for `${ref.output}` lookups.
    latest_def: HashMap<String, usize>,
    /// Forked task ref → (fork attempt, position in its `forked` list); a later fork wins.
    forked: HashMap<String, (usize, usize)>,
    /// Progress cursors of dynamic forks, by fork attempt.
    fork_cursors: ForkCursors,
    built_for: usize,
}

/// How far a dynamic fork's forked tasks are known to have got, so that each event looks
/// at the first task not yet there instead of all of them (a wide fork would cost the
/// square of its width). Every property counted is monotonic while the attempts stay:
/// a task that has an attempt keeps one, and one that is done stays done. Dropping
/// attempts (rerun, restart) drops the cursors with the rest of the index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[doc(hidden)] // kept consistent by the decider (`baton-core`)
pub struct ForkCursor {
    /// Forked tasks `[..started]` all have an attempt.
    pub started: usize,
    /// Forked tasks `[..joined]` are all done as their successors see them.
    pub joined: usize,
    /// Forked tasks `[..done]` are done, with everything they started.
    pub done: usize,
    /// Positions of forked tasks with nested work (SWITCH, FORK, DO_WHILE, JOIN), the
    /// only ones a walk must visit once started; `None` until first computed.
    pub nested: Option<std::sync::Arc<[usize]>>,
}

/// Cursors are advanced while the decider reads progress, through a shared reference.
#[derive(Default)]
struct ForkCursors(std::sync::Mutex<HashMap<usize, ForkCursor>>);

impl ForkCursors {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<usize, ForkCursor>> {
        // A panic elsewhere cannot leave a map of plain values half-written.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clone for ForkCursors {
    fn clone(&self) -> Self {
        ForkCursors(std::sync::Mutex::new(self.map().clone()))
    }
}

impl std::fmt::Debug for ForkCursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.map().iter()).finish()
    }
}

impl WorkflowState {
    /// A workflow that exists but has not started.
    pub fn new(workflow_id: impl Into<String>, name: impl Into<String>, version: u32) -> Self {
        WorkflowState {
            workflow_id: workflow_id.into(),
            name: name.into(),
            version,
            status: WorkflowStatus::Pending,
            input: Value::Object(Default::default()),
            output: Value::Object(Default::default()),
            variables: Default::default(),
            tasks: Vec::new(),
            reason: None,
            failed_task_ref: None,
            correlation_id: None,
            parent: None,
            created_at: 0,
            updated_at: 0,
            ended_at: None,
            next_seq: 0,
            seq_base: 0,
            run: RunSettings::default(),
            index: RefIndex::default(),
        }
    }

    /// Forgets every task attempt (restart); ids keep counting up.
    #[doc(hidden)] // kept consistent by the decider (`baton-core`)
    pub fn clear_tasks(&mut self) {
        self.tasks.clear();
        self.seq_base = self.next_seq;
        self.index = RefIndex::default();
    }

    /// Drops the attempts from position `pos` on (rerun from a task).
    #[doc(hidden)] // kept consistent by the decider (`baton-core`)
    pub fn truncate_tasks(&mut self, pos: usize) {
        self.tasks.truncate(pos);
        self.index = RefIndex::default();
        self.reindex();
    }

    /// Brings the ref index up to date with `tasks` (cheap when nothing was added).
    #[doc(hidden)] // kept consistent by the decider (`baton-core`)
    pub fn reindex(&mut self) {
        if self.index.built_for > self.tasks.len() {
            self.index = RefIndex::default();
        }
        for i in self.index.built_for..self.tasks.len() {
            let t = &self.tasks[i];
            self.index.latest.insert(t.ref_name.clone(), i);
            self.index.latest_def.insert(t.def_ref.clone(), i);
            index_forked_refs(&mut self.index.forked, i, &t.control.forked);
        }
        self.index.built_for = self.tasks.len();
    }

    /// Indexes the tasks attempt `idx` (a dynamic fork that just started) forked.
    #[doc(hidden)] // kept consistent by the decider (`baton-core`)
    pub fn index_forked(&mut self, idx: usize) {
        if let Some(t) = self.tasks.get(idx) {
            index_forked_refs(&mut self.index.forked, idx, &t.control.forked);
        }
    }

    /// The (fork attempt, position) of the forked task with this definition ref, or of
    /// the forked task it is nested in.
    #[doc(hidden)] // kept consistent by the decider (`baton-core`)
    pub fn forked_at(&self, def_ref: &str) -> Option<(usize, usize)> {
        self.index.forked.get(def_ref).copied()
    }

    /// The progress cursor of the dynamic fork attempt `idx` (zero when none yet).
    #[doc(hidden)] // kept consistent by the decider (`baton-core`)
    pub fn fork_cursor(&self, idx: usize) -> ForkCursor {
        self.index
            .fork_cursors
            .map()
            .get(&idx)
            .cloned()
            .unwrap_or_default()
    }

    /// Records how far the dynamic fork attempt `idx` is known to have got.
    #[doc(hidden)] // kept consistent by the decider (`baton-core`)
    pub fn set_fork_cursor(&self, idx: usize, cursor: ForkCursor) {
        self.index.fork_cursors.map().insert(idx, cursor);
    }

    /// Index of the latest attempt with exactly this ref name (suffix included).
    pub fn latest_index(&self, ref_name: &str) -> Option<usize> {
        match self.index.latest.get(ref_name) {
            Some(i) if self.index.built_for == self.tasks.len() => Some(*i),
            _ if self.index.built_for == self.tasks.len() => None,
            _ => self.tasks.iter().rposition(|t| t.ref_name == ref_name),
        }
    }

    /// The latest attempt with exactly this ref name.
    pub fn latest(&self, ref_name: &str) -> Option<&TaskInstance> {
        self.latest_index(ref_name).and_then(|i| self.tasks.get(i))
    }

    /// The latest attempt of a definition ref, in whatever loop iteration (what
    /// `${ref.output}` means inside and after a DO_WHILE).
    pub fn latest_of_def(&self, def_ref: &str) -> Option<&TaskInstance> {
        if let Some(t) = self.latest(def_ref) {
            return Some(t);
        }
        let i = if self.index.built_for == self.tasks.len() {
            self.index.latest_def.get(def_ref).copied()
        } else {
            self.tasks.iter().rposition(|t| t.def_ref == def_ref)
        };
        i.and_then(|i| self.tasks.get(i))
    }

    /// Finds an attempt by task id.
    pub fn task(&self, task_id: &str) -> Option<&TaskInstance> {
        self.task_index(task_id).and_then(|i| self.tasks.get(i))
    }

    /// Position of an attempt by task id.
    pub fn task_index(&self, task_id: &str) -> Option<usize> {
        // Ids end in `-t<seq>` and seq - seq_base is the position, so try that first.
        if let Some(seq) = task_id
            .rsplit("-t")
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            && let Some(pos) = seq
                .checked_sub(self.seq_base)
                .and_then(|p| usize::try_from(p).ok())
            && self.tasks.get(pos).is_some_and(|t| t.task_id == task_id)
        {
            return Some(pos);
        }
        self.tasks.iter().position(|t| t.task_id == task_id)
    }
}

/// Maps every ref in the tasks fork attempt `idx` forked, nested ones included, to
/// (`idx`, position of the forked task holding it).
fn index_forked_refs(
    map: &mut HashMap<String, (usize, usize)>,
    idx: usize,
    forked: &[baton_model::Task],
) {
    for (p, f) in forked.iter().enumerate() {
        baton_model::walk_list(std::slice::from_ref(f), &mut |t| {
            map.insert(t.ref_name.clone(), (idx, p));
        });
    }
}
