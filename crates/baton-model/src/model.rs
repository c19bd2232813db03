//! The internal model every front-end compiles into and the decider runs.
//!
//! The model is a tree of task lists (Conductor's shape) in which each task may also name
//! explicit dependencies on earlier tasks of the same list (the native YAML's DAG). A task
//! without `depends_on` depends on the task listed just before it, so a plain list is a
//! sequence, exactly as in Conductor.
//!
//! Durations are milliseconds everywhere in the model; the Conductor front-end converts
//! its seconds on the way in and out.
//!
//! Invariant: a `WorkflowDef` that passed [`crate::validate`] has unique task refs across
//! the whole tree (including nested blocks), every `depends_on`/`next`/`join_on` name
//! exists, and the dependency graph of every block is acyclic. The decider relies on it.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A JSON object, key order preserved.
pub type JsonMap = serde_json::Map<String, Value>;

/// Milliseconds (durations and timestamps in the model are always milliseconds).
pub type Millis = u64;

/// Which front-end a definition was written in. Kept so tools can say where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Conductor `WorkflowDef` JSON (or the same shape written in YAML).
    #[default]
    Conductor,
    /// The native YAML of seed 000 (`workflow: {id, tasks: [{id, depends_on, ...}]}`).
    Native,
    /// The stage YAML of seed 004 (`workflow: {stages: [...]}`).
    Stages,
}

/// A complete workflow definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowDef {
    /// Unique name (with `version`) under which the definition is registered.
    pub name: String,
    /// Definition version, 1 when not given.
    pub version: u32,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Declared workflow inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputParam>,
    /// How the workflow's output is computed when it completes.
    #[serde(default)]
    pub output: OutputSpec,
    /// The top-level task list.
    pub tasks: Vec<Task>,
    /// What to start when the workflow fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_workflow: Option<FailureWorkflow>,
    /// Workflow timeout; 0 means none.
    #[serde(default)]
    pub timeout_ms: Millis,
    /// What happens when `timeout_ms` passes.
    #[serde(default)]
    pub timeout_policy: WorkflowTimeoutPolicy,
    /// Initial workflow variables (`${workflow.variables.x}`), changed by SET_VARIABLE.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub variables: JsonMap,
    /// Whether the workflow may be restarted once it ended.
    #[serde(default = "yes")]
    pub restartable: bool,
    /// Native `monitoring` block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// `mode:`: the execution mode of runs whose start does not choose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RunMode>,
    /// `gates:`: which tasks are gates in a supervised run.
    #[serde(default, skip_serializing_if = "GateRules::is_empty")]
    pub gates: GateRules,
    /// `breakpoints: [ref, ...]`: where a debug run pauses (none: before every task).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakpoints: Vec<String>,
    /// `domain:`: the domain of runs whose start names none (L2 principals act in
    /// their own domain only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Fields the model gives no meaning to (Conductor's `ownerEmail`, `schemaVersion`,
    /// unknown fields, ...), kept so that export loses nothing.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub extra: JsonMap,
    /// Which front-end produced this definition.
    #[serde(default)]
    pub format: SourceFormat,
}

fn yes() -> bool {
    true
}

/// A declared workflow input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputParam {
    /// Input name (`${workflow.input.<name>}`).
    pub name: String,
    /// A required input must be given at start, or the start is refused.
    #[serde(default)]
    pub required: bool,
    /// Value used when the input is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

/// How a completed workflow's output is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OutputSpec {
    /// Conductor: no `outputParameters`, the output is the last task's output.
    #[default]
    LastTask,
    /// Conductor `outputParameters`: a template resolved against the workflow.
    Template(JsonMap),
    /// Native `output: [key, ...]`: each key is taken from the latest task output that has it.
    Keys(Vec<String>),
}

/// Conductor `failureWorkflow` or the native inline form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureWorkflow {
    /// The name of a registered workflow.
    Named(String),
    /// Native inline `{id, steps: [a, b, c]}`: run as a sequence of SIMPLE tasks.
    Inline {
        /// The inline workflow's name.
        id: String,
        /// Task names, run in order.
        steps: Vec<String>,
    },
}

/// What happens when a workflow exceeds its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowTimeoutPolicy {
    /// Record an alert and keep running (Conductor's default).
    #[default]
    AlertOnly,
    /// End the workflow as TIMED_OUT.
    TimeOutWf,
}

/// Native `monitoring` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Monitoring {
    /// `per_task`, ... (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_frequency: Option<String>,
    /// File that receives the run's history as JSON lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_to: Option<String>,
    /// Metric names the user asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<String>,
}

/// How a run proceeds (seed 000's execution modes), chosen per run or by the definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// Every task runs as soon as it is ready.
    #[default]
    Auto,
    /// Tasks that are gates wait for an approval before they are scheduled.
    Supervised,
    /// The run pauses before every task (or only at breakpoints) until stepped.
    Debug,
}

impl RunMode {
    /// The mode's name as written (`auto`, `supervised`, `debug`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Auto => "auto",
            RunMode::Supervised => "supervised",
            RunMode::Debug => "debug",
        }
    }
}

/// Authority levels (seed 000): L0 commander … L3 worker. Lower number = more authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Commander: everything, approves HUMAN steps.
    L0,
    /// Bridge: start/stop workflows, change definitions.
    L1,
    /// Station ops: start workflows in its own namespace.
    L2,
    /// Worker: poll and update tasks only.
    L3,
}

/// One task of a definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Task name: for worker tasks the queue workers poll (Conductor's task def name).
    pub name: String,
    /// Reference name, unique in the workflow (Conductor `taskReferenceName`, native `id`).
    pub ref_name: String,
    /// What the task does.
    pub kind: TaskKind,
    /// Input template (`inputParameters`), resolved when the task is scheduled.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub input: JsonMap,
    /// Explicit dependencies (refs of tasks in the same list). `None`: the previous task in
    /// the list (nothing for the first one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
    /// Stage YAML `when:`: a condition; the task is SKIPPED when it is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// A failed optional task lets the workflow continue (COMPLETED_WITH_ERRORS).
    #[serde(default)]
    pub optional: bool,
    /// Delay before the task becomes visible to workers.
    #[serde(default)]
    pub start_delay_ms: Millis,
    /// The task is completed from outside (API), not by its own execution.
    #[serde(default)]
    pub async_complete: bool,
    /// Retry and timeout behaviour. `None`: the registered task definition for `name`, or
    /// Conductor's defaults when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_def: Option<TaskDef>,
    /// Role that may execute or complete the task (native `agent_level`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Native `output: [keys]`: the output keys this task promises (used to resolve the
    /// workflow's `output` keys and for static checks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declared_outputs: Vec<String>,
    /// `gate: true`: in a supervised run the task waits for an approval before it is
    /// scheduled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gate: bool,
    /// What a rejected gate does to the task (`on_reject: fail|skip`).
    #[serde(default, skip_serializing_if = "OnReject::is_fail")]
    pub on_reject: OnReject,
    /// Fields with no meaning to the model, kept for export.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub extra: JsonMap,
}

/// What a rejected gate does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnReject {
    /// The task fails (retries, `optional`, the failure workflow apply as for any failure).
    #[default]
    Fail,
    /// The task is SKIPPED and its successors run.
    Skip,
}

impl OnReject {
    /// Whether this is the default (fail).
    pub fn is_fail(&self) -> bool {
        *self == OnReject::Fail
    }
}

/// Which tasks are gates in a supervised run, besides those with `gate: true`
/// (`gates: {agent_level: [L1, L2], task_type: [HTTP]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateRules {
    /// Tasks whose `agent_level` is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_level: Vec<Role>,
    /// Tasks of these types (Conductor type names: `SIMPLE`, `HTTP`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_type: Vec<String>,
    /// Every task is a gate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

impl GateRules {
    /// Whether no rule is given.
    pub fn is_empty(&self) -> bool {
        self == &GateRules::default()
    }

    /// Whether `task` is a gate by these rules or its own `gate: true`.
    pub fn gates(&self, task: &Task) -> bool {
        task.gate
            || self.all
            || task.role.is_some_and(|r| self.agent_level.contains(&r))
            || self
                .task_type
                .iter()
                .any(|t| t.eq_ignore_ascii_case(task.kind.task_type().as_str()))
    }
}

/// What a task does. Control-flow kinds carry their nested task lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskKind {
    /// A worker task: queued under `name` for a worker (remote SDK worker or local runner).
    Simple,
    /// A task executed by a built-in runner (HTTP, INLINE, LAMBDA, JSON_JQ_TRANSFORM,
    /// EVENT, ...). Scheduled like a worker task, on the queue named by its type.
    System {
        /// The Conductor task type, e.g. `HTTP`.
        task_type: String,
    },
    /// SWITCH (and legacy DECISION).
    Switch(SwitchSpec),
    /// FORK_JOIN: branches run in parallel.
    ForkJoin {
        /// Each branch is a sequence.
        branches: Vec<Vec<Task>>,
    },
    /// JOIN: waits for `join_on` refs (the fork's branch ends), or all dynamic fork tasks.
    Join {
        /// Refs to wait for.
        join_on: Vec<String>,
    },
    /// EXCLUSIVE_JOIN: completes when the one branch that ran finishes.
    ExclusiveJoin {
        /// Refs of which one must finish.
        join_on: Vec<String>,
        /// Refs used when none of `join_on` ran.
        default_exclusive_join_task: Vec<String>,
    },
    /// FORK_JOIN_DYNAMIC: the tasks to fork come from input at run time.
    ForkJoinDynamic(DynamicForkSpec),
    /// DYNAMIC: a worker task whose name comes from an input parameter.
    Dynamic {
        /// Input parameter that holds the task name.
        name_param: String,
    },
    /// DO_WHILE: runs `body` until the condition is false.
    DoWhile(DoWhileSpec),
    /// WAIT: for a duration (`duration` input), until a time (`until` input), or for an
    /// external completion.
    Wait,
    /// HUMAN: waits for a person's decision.
    Human(HumanSpec),
    /// SUB_WORKFLOW: starts a child workflow and completes with it.
    SubWorkflow(SubWorkflowSpec),
    /// START_WORKFLOW: starts another workflow and completes at once.
    StartWorkflow,
    /// TERMINATE: ends the workflow (`terminationStatus`, `workflowOutput`, `terminationReason` inputs).
    Terminate,
    /// SET_VARIABLE: merges its input into the workflow variables.
    SetVariable,
    /// NOOP: completes at once.
    Noop,
}

/// How a SWITCH chooses its case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwitchSpec {
    /// `value-param` or `javascript` (`graaljs` is read as javascript).
    pub evaluator: Evaluator,
    /// For `value-param`: the name of the input parameter holding the case value. For
    /// `javascript`: the expression, with `$` bound to the task's resolved input.
    pub expression: String,
    /// Case value → the tasks run for it (Conductor `decisionCases`).
    #[serde(default)]
    pub cases: IndexMap<String, Vec<Task>>,
    /// Tasks run when no case matches (Conductor `defaultCase`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_case: Vec<Task>,
    /// Native DECISION: case value → ref of a task in the *same* list that heads the
    /// branch. Heads depend on the decision and run only when their case is chosen.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub next: IndexMap<String, String>,
    /// Ref of the head to run when no case of `next` matches (native `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_default: Option<String>,
    /// Native: no matching case and no default fails the run (Conductor just continues).
    #[serde(default)]
    pub fail_on_no_match: bool,
    /// Written as the legacy `DECISION` type (for export fidelity).
    #[serde(default)]
    pub legacy_decision: bool,
}

/// An expression language for SWITCH and DO_WHILE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evaluator {
    /// The value of an input parameter.
    ValueParam,
    /// A JavaScript expression over `$` (the task's resolved input).
    Javascript,
}

/// FORK_JOIN_DYNAMIC parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamicForkSpec {
    /// Input parameter holding the list of task definitions to fork (Conductor
    /// `dynamicForkTasksParam`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks_param: Option<String>,
    /// Input parameter holding `{ref: input}` for the forked tasks
    /// (`dynamicForkTasksInputParamName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks_input_param: Option<String>,
}

/// DO_WHILE parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoWhileSpec {
    /// JavaScript condition, evaluated after each iteration with `$` bound to the loop's
    /// input plus each body task's output by ref and the loop's own `{iteration}` output.
    pub condition: String,
    /// The tasks of one iteration (refs become `ref__N` at run time).
    pub body: Vec<Task>,
    /// Loop over the list in this input parameter (stage `for_each`, Conductor `items`):
    /// one iteration per item, `${loop.output.item}`-style access via the loop's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_param: Option<String>,
    /// Hard guard on the number of iterations (stage `max_iterations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
}

/// HUMAN parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HumanSpec {
    /// Native `wait_for_approval`: the task waits for approve/reject; reject fails it.
    #[serde(default)]
    pub approval: bool,
}

/// SUB_WORKFLOW parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubWorkflowSpec {
    /// Name of the child workflow.
    pub name: String,
    /// Its version; `None` = latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// An inline child definition (Conductor `workflowDefinition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Box<WorkflowDef>>,
    /// Other `subWorkflowParam` fields (`taskToDomain`, ...), kept for export.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub extra: JsonMap,
}

/// Conductor `TaskDef`: retries, timeouts and limits of a worker task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDef {
    /// The task name this definition is for.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Retries after the first attempt.
    pub retry_count: u32,
    /// How the delay grows between retries.
    pub retry_logic: RetryLogic,
    /// Base delay between retries.
    pub retry_delay_ms: Millis,
    /// LINEAR_BACKOFF multiplier.
    pub backoff_scale_factor: u32,
    /// Upper bound on a retry delay (native `max_delay`); `None`: unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retry_delay_ms: Option<Millis>,
    /// Time an attempt may take once IN_PROGRESS; 0 = none.
    pub timeout_ms: Millis,
    /// What happens on `timeout_ms`.
    pub timeout_policy: TaskTimeoutPolicy,
    /// A running attempt must report within this time, or it is retried; 0 = none.
    pub response_timeout_ms: Millis,
    /// A scheduled attempt must be picked up within this time; 0 = none.
    pub poll_timeout_ms: Millis,
    /// Rate limit: at most this many per `rate_limit_frequency_ms` (0 = none).
    pub rate_limit_per_frequency: u32,
    /// Rate limit window.
    pub rate_limit_frequency_ms: Millis,
    /// At most this many attempts in progress at once (0 = unlimited).
    pub concurrent_exec_limit: u32,
    /// Documented input keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_keys: Vec<String>,
    /// Documented output keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_keys: Vec<String>,
    /// Default input merged under the task's input.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub input_template: JsonMap,
    /// Fields with no meaning to the model, kept for export.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub extra: JsonMap,
}

impl TaskDef {
    /// Conductor's defaults for a task with no registered definition: 3 retries, 60 s
    /// FIXED delay, TIME_OUT_WF policy, no timeout, 3600 s response timeout.
    pub fn conductor_default(name: &str) -> TaskDef {
        TaskDef {
            name: name.to_string(),
            description: None,
            retry_count: 3,
            retry_logic: RetryLogic::Fixed,
            retry_delay_ms: 60_000,
            backoff_scale_factor: 1,
            max_retry_delay_ms: None,
            timeout_ms: 0,
            timeout_policy: TaskTimeoutPolicy::TimeOutWf,
            response_timeout_ms: 3_600_000,
            poll_timeout_ms: 0,
            rate_limit_per_frequency: 0,
            rate_limit_frequency_ms: 1_000,
            concurrent_exec_limit: 0,
            input_keys: Vec::new(),
            output_keys: Vec::new(),
            input_template: JsonMap::new(),
            extra: JsonMap::new(),
        }
    }

    /// A definition with no retries and no timeouts (native YAML tasks without a
    /// `retry_policy`, control tasks).
    pub fn no_retries(name: &str) -> TaskDef {
        TaskDef {
            retry_count: 0,
            retry_delay_ms: 0,
            response_timeout_ms: 0,
            timeout_policy: TaskTimeoutPolicy::Retry,
            ..TaskDef::conductor_default(name)
        }
    }
}

/// Conductor `retryLogic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetryLogic {
    /// Same delay each time.
    Fixed,
    /// delay × 2^retry.
    ExponentialBackoff,
    /// delay × scale × (retry + 1).
    LinearBackoff,
}

/// Conductor task `timeoutPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskTimeoutPolicy {
    /// Time out the attempt and retry it if retries remain.
    Retry,
    /// Time out the whole workflow.
    TimeOutWf,
    /// Record an alert; the attempt keeps running.
    AlertOnly,
}

/// Task types executed by built-in runners rather than by the decider.
pub const SYSTEM_TASK_TYPES: &[&str] = &[
    "HTTP",
    "INLINE",
    "LAMBDA",
    "JSON_JQ_TRANSFORM",
    "EVENT",
    "KAFKA_PUBLISH",
    "BUSINESS_RULE",
];

impl WorkflowDef {
    /// A Conductor-format definition of `tasks` with everything else at its default
    /// (no inputs, the last task's output, no timeout, restartable).
    pub fn new(name: impl Into<String>, version: u32, tasks: Vec<Task>) -> WorkflowDef {
        WorkflowDef {
            name: name.into(),
            version,
            description: None,
            inputs: Vec::new(),
            output: OutputSpec::default(),
            tasks,
            failure_workflow: None,
            timeout_ms: 0,
            timeout_policy: WorkflowTimeoutPolicy::default(),
            variables: JsonMap::new(),
            restartable: true,
            monitoring: None,
            mode: None,
            gates: GateRules::default(),
            breakpoints: Vec::new(),
            domain: None,
            extra: JsonMap::new(),
            format: SourceFormat::default(),
        }
    }
}

impl Task {
    /// A task `name` with ref `ref_name` doing `kind`; everything else defaulted (no
    /// input, depends on the task before it, not optional, no task definition).
    pub fn new(name: impl Into<String>, ref_name: impl Into<String>, kind: TaskKind) -> Task {
        Task {
            name: name.into(),
            ref_name: ref_name.into(),
            kind,
            input: JsonMap::new(),
            depends_on: None,
            when: None,
            optional: false,
            start_delay_ms: 0,
            async_complete: false,
            task_def: None,
            role: None,
            description: None,
            declared_outputs: Vec::new(),
            gate: false,
            on_reject: OnReject::Fail,
            extra: JsonMap::new(),
        }
    }

    /// The task with this input template.
    pub fn with_input(mut self, input: JsonMap) -> Task {
        self.input = input;
        self
    }
}
