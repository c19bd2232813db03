//! Cross-task checks on the model, the same for every front-end.
//!
//! [`validate`] reports errors (the definition cannot run) and warnings (it runs, but
//! probably not as meant); a definition without errors satisfies the model's invariant
//! (unique refs, every `depends_on` / `next` / `join_on` name exists, acyclic lists).
//! [`check_input`] checks a workflow input against the declared inputs at start.

mod graph;
mod index;
mod input;
mod names;
mod people;
mod structure;
pub mod suggest;
mod templates;
mod validated;

pub use input::check_input;
pub use names::MAX_NAME_CHARS;
pub use validated::ValidatedDef;

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::WorkflowDef;
use crate::source::Pos;

/// Diagnostic codes of the model checks.
pub mod codes {
    /// Two tasks share a ref.
    pub const DUPLICATE_REF: &str = "BT0101";
    /// `depends_on` names a task that does not exist.
    pub const UNKNOWN_DEPENDENCY: &str = "BT0102";
    /// `depends_on` names a task of another list (branch, loop body, ...).
    pub const FOREIGN_DEPENDENCY: &str = "BT0103";
    /// A decision case's `next` names a task that does not exist.
    pub const UNKNOWN_NEXT: &str = "BT0104";
    /// A decision case's `next` names a task of another list.
    pub const FOREIGN_NEXT: &str = "BT0105";
    /// The dependencies of a list go round in a circle.
    pub const CYCLE: &str = "BT0106";
    /// A JOIN with no fork before it.
    pub const ORPHAN_JOIN: &str = "BT0107";
    /// A JOIN waiting for a task that does not exist.
    pub const UNKNOWN_JOIN_ON: &str = "BT0108";
    /// A DO_WHILE without a condition (and without items).
    pub const EMPTY_LOOP_CONDITION: &str = "BT0109";
    /// A value-param SWITCH whose parameter is not among the task's inputs.
    pub const MISSING_SWITCH_PARAM: &str = "BT0110";
    /// A SUB_WORKFLOW without a workflow name.
    pub const UNNAMED_SUB_WORKFLOW: &str = "BT0111";
    /// A DYNAMIC task without `dynamicTaskNameParam`.
    pub const DYNAMIC_WITHOUT_PARAM: &str = "BT0112";
    /// A `${...}` reference to something that is neither `workflow` nor a task.
    pub const UNKNOWN_REFERENCE: &str = "BT0113";
    /// A `${...}` reference to a task that may not have run yet (warning).
    pub const NOT_UPSTREAM: &str = "BT0114";
    /// A malformed `${...}` template.
    pub const MALFORMED_TEMPLATE: &str = "BT0115";
    /// `${workflow.input.x}` with `x` not declared (warning).
    pub const UNDECLARED_INPUT: &str = "BT0116";
    /// A workflow output key that no task declares (warning).
    pub const UNDECLARED_OUTPUT: &str = "BT0117";
    /// A workflow without tasks.
    pub const NO_TASKS: &str = "BT0118";
    /// Two inputs with the same name.
    pub const DUPLICATE_INPUT: &str = "BT0119";
    /// A start input that is not a JSON object.
    pub const INPUT_NOT_OBJECT: &str = "BT0120";
    /// Required inputs missing at start.
    pub const MISSING_INPUT: &str = "BT0121";
    /// `${NAME}` with no key: an environment variable in Conductor, null in Baton (warning).
    pub const BARE_REFERENCE: &str = "BT0122";
    /// A task with an empty ref or name.
    pub const EMPTY_NAME: &str = "BT0123";
    /// A workflow name, task name or task ref longer than [`super::MAX_NAME_CHARS`].
    pub const NAME_TOO_LONG: &str = "BT0124";
    /// A `breakpoints` entry names no task.
    pub const UNKNOWN_BREAKPOINT: &str = "BT0125";
    /// A `gates.task_type` entry is not a task type.
    pub const UNKNOWN_GATE_TYPE: &str = "BT0126";
    /// A `${task.output.key}` reference to a key the task's `output:` does not declare
    /// (warning).
    pub const UNDECLARED_TASK_OUTPUT: &str = "BT0127";
}

/// Checks `def` as a whole; `sources` (from the front-end) gives the positions.
/// Diagnostics come in a stable order: structure, cycles, then references.
pub fn validate(def: &WorkflowDef, sources: &SourceMap) -> Vec<Diagnostic> {
    let index = index::Index::build(def);
    let mut out = Vec::new();
    structure::check(def, &index, sources, &mut out);
    names::check(def, &index, sources, &mut out);
    people::check(def, &index, sources, &mut out);
    graph::check_cycles(&index, sources, &mut out);
    templates::check(def, &index, sources, &mut out);
    out
}

/// Position and display path of `field` of task `ref_name`: the field's own position when
/// the front-end recorded it, else the nearest recorded parent field, else the task.
pub(crate) fn locate(sources: &SourceMap, ref_name: &str, field: &str) -> (Pos, String) {
    let Some(task) = sources.tasks.get(ref_name) else {
        return (Pos::UNKNOWN, format!("task `{ref_name}`.{field}"));
    };
    let path = if field.is_empty() {
        task.path.clone()
    } else {
        format!("{}.{field}", task.path)
    };
    let mut probe = field;
    loop {
        if let Some(pos) = task.fields.get(probe) {
            return (*pos, path);
        }
        match probe.rfind(['.', '[']) {
            Some(cut) => probe = probe.get(..cut).unwrap_or_default(),
            None => return (task.pos, path),
        }
    }
}

/// Like [`locate`], trying several field names (front-ends name fields differently).
pub(crate) fn locate_any(sources: &SourceMap, ref_name: &str, fields: &[&str]) -> (Pos, String) {
    for field in fields {
        let found = sources
            .tasks
            .get(ref_name)
            .is_some_and(|t| t.fields.contains_key(*field));
        if found {
            return locate(sources, ref_name, field);
        }
    }
    locate(
        sources,
        ref_name,
        fields.first().copied().unwrap_or_default(),
    )
}
