//! Conductor `WorkflowDef` / `WorkflowTask` / `TaskDef`: reading them into the model and
//! writing any model definition back as Conductor JSON.
//!
//! # Reading
//!
//! [`from_node`] reads the full Conductor field set. Fields the model gives meaning to are
//! compiled (seconds become milliseconds); Conductor fields without model meaning
//! (`ownerEmail`, `sink`, `rateLimited`, task-level `retryCount`, ...) are kept in the
//! `extra` map of the workflow, task, task definition or sub-workflow parameters, so that
//! [`export`] restores them. Unknown fields are kept the same way and reported as warnings
//! (`BT0001`, with the closest known field as a hint). Conductor's empty defaults
//! (`"decisionCases": {}`, `"forkTasks": []`, `"startDelay": 0`, ...) are accepted silently
//! and not kept. A Conductor *event handler* document (`event` + `actions`, no `tasks`)
//! loads as a definition without tasks whose fields are all kept (warning `BT0208`).
//!
//! # Writing
//!
//! [`export`] writes any definition as Conductor JSON. Definitions that use the native
//! DAG features (`depends_on`, native DECISION branch heads `next`, stage `when:`) are
//! lowered to Conductor constructs when their graph is series-parallel: parallel tasks
//! become FORK_JOIN + JOIN, a native DECISION becomes a SWITCH whose cases hold the branch
//! tasks, a `when:` task is wrapped in a SWITCH on a javascript evaluator. A graph that is
//! not series-parallel is written as a flat task list carrying the Baton extension below;
//! nothing is ever dropped.
//!
//! # The `baton` extension field
//!
//! Model features Conductor has no field for are written into a `"baton"` object on the
//! workflow, a task, or a task definition, and read back by [`from_node`] (Conductor
//! itself ignores unknown fields):
//!
//! - workflow: `requiredInputs` (names of required inputs), `monitoring`
//!   (`{reportFrequency, logTo, metrics}`), `failureWorkflowSteps` (the steps of an inline
//!   failure workflow whose name is `failureWorkflow`), `outputKeys` (native output keys;
//!   `outputParameters` then holds the statically resolvable part for Conductor);
//! - task: `dependsOn`, `when`, `next` (`{case: ref}`), `nextDefault`, `failOnNoMatch`,
//!   `role` (`L0`..`L3`), `declaredOutputs`, `approval` (HUMAN), `itemsParam` and
//!   `maxIterations` (DO_WHILE);
//! - task definition: `maxRetryDelayMs`.
//!
//! Durations are written in whole seconds, rounded up.

mod export;
mod extension;
mod lower;
mod read;
mod series_parallel;
mod task;
mod task_def;
mod task_sources;
mod workflow;

use crate::diagnostic::Diagnostic;
use crate::load::Loaded;
use crate::model::TaskDef;
use crate::source::Node;

pub use export::{export, to_json_string};
pub use task_def::task_def_to_json;

/// Stable diagnostic codes of the Conductor front-end.
pub mod codes {
    /// An unknown field (warning); the field is kept and exported again.
    pub const UNKNOWN_FIELD: &str = "BT0001";
    /// A value has the wrong JSON type.
    pub const WRONG_TYPE: &str = "BT0201";
    /// A required field is missing.
    pub const MISSING_FIELD: &str = "BT0202";
    /// A task `type` that Baton does not know.
    pub const UNKNOWN_TASK_TYPE: &str = "BT0203";
    /// A value outside a fixed set (`timeoutPolicy`, `retryLogic`, `evaluatorType`, ...).
    pub const INVALID_VALUE: &str = "BT0204";
    /// A number that is negative, fractional or too large.
    pub const OUT_OF_RANGE: &str = "BT0205";
    /// A required string is empty.
    pub const EMPTY_VALUE: &str = "BT0206";
    /// Nested tasks or a Baton extension field that the task's type ignores (warning).
    pub const IGNORED_FIELD: &str = "BT0207";
    /// The document is a Conductor event handler, not a workflow definition (warning).
    pub const EVENT_HANDLER: &str = "BT0208";
}

/// Compiles a Conductor `WorkflowDef` document into the model.
///
/// Errors are shape errors (wrong types, missing fields, unknown task types, invalid enum
/// values); the `Err` list also holds the warnings found on the way. Never panics.
pub fn from_node(root: &Node) -> Result<Loaded, Vec<Diagnostic>> {
    workflow::load(root)
}

/// Reads one Conductor `TaskDef` (the body of `PUT /api/metadata/taskdefs` items). Absent
/// fields take Conductor's defaults ([`TaskDef::conductor_default`]). `Ok` carries the
/// warnings (unknown fields).
pub fn task_def_from_node(node: &Node) -> Result<(TaskDef, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut reader = read::Reader::default();
    let def = task_def::read(&mut reader, node, "");
    match def {
        Some(def) if !reader.has_errors() => Ok((def, reader.diagnostics)),
        _ => Err(reader.diagnostics),
    }
}

/// Reads a list of Conductor `TaskDef`s (the body of `POST /api/metadata/taskdefs`).
pub fn task_defs_from_node(
    node: &Node,
) -> Result<(Vec<TaskDef>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut reader = read::Reader::default();
    let Some(items) = node.as_seq() else {
        reader.wrong_type(node, "", "a list of task definitions");
        return Err(reader.diagnostics);
    };
    let mut defs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if let Some(def) = task_def::read(&mut reader, item, &read::index("", i)) {
            defs.push(def);
        }
    }
    if reader.has_errors() {
        Err(reader.diagnostics)
    } else {
        Ok((defs, reader.diagnostics))
    }
}
