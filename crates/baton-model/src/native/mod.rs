//! The native YAML of seed 000:
//!
//! ```yaml
//! workflow:
//!   id: inventory-validation-v1        # the model's `name`
//!   name: Inventory Validation         # display name: `description` when none is given
//!   version: 1
//!   input: {required: [a], optional: [{b: false}, c]}
//!   output: [key, ...]                 # each key from the latest task output that has it
//!   tasks:
//!     - id: scan_files                 # the task's ref, and its worker queue name
//!       name: Scan Target Folder       # display name (`description`)
//!       type: SIMPLE                   # default; DECISION, HUMAN, WAIT, SUB_WORKFLOW, ...
//!       agent_level: L3                # role that may execute or complete it
//!       depends_on: [a, b]             # or `parallel_with: x`; default: the previous task
//!       retry_policy: {max_attempts: 3, backoff: exponential, initial_delay: 1s, max_delay: 1m}
//!       timeout: 30s                   # per attempt
//!       input: {folder: "${workflow.input.target_folder}"}
//!       output: [file_list]            # keys the task promises
//!   failure_workflow: other-workflow   # or {id, steps: [a, b]}
//!   monitoring: {report_frequency, log_to, metrics: [...]}
//!   timeout: 1h                        # whole workflow (times out the run)
//! ```
//!
//! A task's worker queue name (model `name`) is its `id`; its human `name` becomes the
//! `description` (or `extra.display_name` when a description is also given). Workflow-level
//! `agent_level` is checked and kept in `extra.agent_level`.
//!
//! Diagnostic codes: `BT0300` wrong type, `BT0301` missing field, `BT0302` unknown task type,
//! `BT0303` bad agent level, `BT0304` bad duration, `BT0305` bad retry policy,
//! `BT0306` bad `parallel_with`, `BT0307` bad decision, `BT0308` bad version,
//! `BT0309` bad `failure_workflow`; `BT0001` unknown field (warning).

mod common;
mod deps;
mod policy;
pub(crate) mod read;
mod task;

pub(crate) use common::{HeaderSpec, read_gate, read_header, record_field};
pub use policy::DEFAULT_INITIAL_DELAY_MS;
pub(crate) use policy::{PolicyCodes, read_input, read_role, read_task_def};
pub use task::{DECISION_PARAM, NATIVE_TASK_TYPES};

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::load::Loaded;
use crate::model::{FailureWorkflow, JsonMap, Monitoring, SourceFormat, WorkflowDef};
use crate::source::{Node, NodeKind};
use read::{Codes, Reader, child_path, index_path};
use serde_json::Value;

/// Diagnostic codes of the native front-end.
pub mod codes {
    /// A value of the wrong type.
    pub const SHAPE: &str = "BT0300";
    /// A required field is missing.
    pub const MISSING: &str = "BT0301";
    /// An unknown task type.
    pub const TASK_TYPE: &str = "BT0302";
    /// An `agent_level` other than L0..L3.
    pub const ROLE: &str = "BT0303";
    /// A duration that cannot be read.
    pub const DURATION: &str = "BT0304";
    /// A bad `retry_policy`.
    pub const RETRY: &str = "BT0305";
    /// `parallel_with` naming an unknown task, or going round in a circle.
    pub const PARALLEL_WITH: &str = "BT0306";
    /// A DECISION without usable `decision_param` / `decision_cases`.
    pub const DECISION: &str = "BT0307";
    /// A `version` that is not a number.
    pub const VERSION: &str = "BT0308";
    /// A bad `failure_workflow`.
    pub const FAILURE_WORKFLOW: &str = "BT0309";
}

const READER_CODES: Codes = Codes {
    shape: codes::SHAPE,
    missing: codes::MISSING,
    duration: codes::DURATION,
};

const WORKFLOW_FIELDS: &[&str] = &[
    "runners",
    "id",
    "name",
    "version",
    "description",
    "input",
    "output",
    "tasks",
    "failure_workflow",
    "monitoring",
    "timeout",
    "agent_level",
    "variables",
    "mode",
    "gates",
    "breakpoints",
    "domain",
];

/// Compiles a native `workflow:` document into the model.
///
/// Shape errors (wrong types, missing fields, unknown task types, bad durations) are
/// returned as errors; unknown fields become `BT0001` warnings in [`Loaded::diagnostics`].
pub fn from_node(root: &Node) -> Result<Loaded, Vec<Diagnostic>> {
    let mut r = Reader::new(READER_CODES);
    let mut sources = SourceMap::default();
    let mut ignored = JsonMap::new();
    r.unknown_fields(root, "", &["workflow"], &mut ignored);
    let def = match root.get("workflow") {
        Some(wf) if wf.as_map().is_some() => Some(read_workflow(&mut r, wf, &mut sources)),
        Some(wf) => {
            r.wrong_type(wf, "workflow", "a mapping");
            None
        }
        None => {
            r.missing(
                root.pos,
                "",
                "workflow",
                "start the document with `workflow:`",
            );
            None
        }
    };
    match def {
        Some(def) if !r.has_errors() => Ok(Loaded {
            def,
            sources,
            diagnostics: r.diagnostics,
        }),
        _ => Err(r.diagnostics),
    }
}

fn read_workflow(r: &mut Reader, wf: &Node, sources: &mut SourceMap) -> WorkflowDef {
    let path = "workflow";
    let spec = HeaderSpec {
        fields: WORKFLOW_FIELDS,
        name_key: "id",
        name_help: "give the workflow a unique `id: my-workflow`",
        version_code: codes::VERSION,
    };
    let mut header = read_header(r, wf, path, &spec, sources);
    record_field(sources, wf, "name", path);
    match (&header.description, r.opt_string(wf, "name", path)) {
        (None, Some(name)) => header.description = Some(name),
        (Some(_), Some(name)) => {
            header
                .extra
                .insert("display_name".to_string(), Value::String(name));
        }
        _ => {}
    }
    let tasks = read_tasks(r, wf, sources);
    let failure_workflow = wf.get("failure_workflow").and_then(|n| {
        record_field(sources, wf, "failure_workflow", path);
        read_failure_workflow(r, n, &child_path(path, "failure_workflow"))
    });
    let monitoring = wf
        .get("monitoring")
        .map(|n| read_monitoring(r, n, &child_path(path, "monitoring"), &mut header.extra));
    if let Some(node) = wf.get("agent_level")
        && let Some(role) = read_role(r, codes::ROLE, node, &child_path(path, "agent_level"))
    {
        header.extra.insert(
            "agent_level".to_string(),
            Value::String(format!("{role:?}")),
        );
    }
    let variables = match wf.get("variables") {
        Some(node) => match node.to_json() {
            Value::Object(map) => map,
            _ => {
                r.wrong_type(node, &child_path(path, "variables"), "a mapping");
                JsonMap::new()
            }
        },
        None => JsonMap::new(),
    };
    WorkflowDef {
        failure_workflow,
        variables,
        monitoring,
        ..header.into_def(tasks, SourceFormat::Native)
    }
}

fn read_tasks(r: &mut Reader, wf: &Node, sources: &mut SourceMap) -> Vec<crate::model::Task> {
    let path = "workflow.tasks";
    let Some(list) = wf.get("tasks") else {
        r.missing(
            wf.pos,
            "workflow",
            "tasks",
            "list the steps under `tasks:`, each with an `id`",
        );
        return Vec::new();
    };
    record_field(sources, wf, "tasks", "workflow");
    let Some(items) = r.list(list, path) else {
        return Vec::new();
    };
    let mut drafts: Vec<task::Draft> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| task::read_task(r, item, &index_path(path, i)))
        .collect();
    report_duplicate_ids(r, &drafts);
    deps::resolve(r, &mut drafts);
    drafts
        .into_iter()
        .map(|draft| {
            sources
                .tasks
                .entry(draft.task.ref_name.clone())
                .or_insert(draft.source);
            draft.task
        })
        .collect()
}

/// Two tasks with one `id`: reported here, where both positions are known.
fn report_duplicate_ids(r: &mut Reader, drafts: &[task::Draft]) {
    for (i, draft) in drafts.iter().enumerate() {
        let first = drafts
            .iter()
            .take(i)
            .find(|d| d.task.ref_name == draft.task.ref_name);
        if let Some(first) = first {
            let pos = draft
                .source
                .fields
                .get("id")
                .copied()
                .unwrap_or(draft.source.pos);
            let first_line = first
                .source
                .fields
                .get("id")
                .copied()
                .unwrap_or(first.source.pos)
                .line;
            r.error(
                crate::validate::codes::DUPLICATE_REF,
                pos,
                &child_path(&draft.source.path, "id"),
                format!(
                    "task id `{}` is already used on line {first_line}",
                    draft.task.ref_name
                ),
                "give every task a unique `id`".to_string(),
            );
        }
    }
}

fn read_failure_workflow(r: &mut Reader, node: &Node, path: &str) -> Option<FailureWorkflow> {
    match &node.kind {
        NodeKind::String(name) if !name.trim().is_empty() => {
            Some(FailureWorkflow::Named(name.clone()))
        }
        NodeKind::Map(_) => {
            let mut ignored = JsonMap::new();
            r.unknown_fields(node, path, &["id", "steps"], &mut ignored);
            let id = r.required_string(
                node,
                "id",
                path,
                "name the failure handler: `id: my-failure-handler`",
            )?;
            let Some(steps_node) = node.get("steps") else {
                r.missing(
                    node.pos,
                    path,
                    "steps",
                    "list the handler's steps: `steps: [notify, cleanup]`",
                );
                return None;
            };
            let steps: Vec<String> = r
                .string_list(steps_node, &child_path(path, "steps"))
                .into_iter()
                .map(|(s, _)| s)
                .collect();
            if steps.is_empty() {
                r.error(
                    codes::FAILURE_WORKFLOW,
                    steps_node.pos,
                    &child_path(path, "steps"),
                    "the failure workflow has no steps".to_string(),
                    "list at least one step: `steps: [notify_commander]`".to_string(),
                );
                return None;
            }
            Some(FailureWorkflow::Inline { id, steps })
        }
        _ => {
            r.error(
                codes::FAILURE_WORKFLOW,
                node.pos,
                path,
                format!("`{path}` must be a workflow name or `{{id, steps}}`, found {}", node.type_name()),
                "write `failure_workflow: handler-workflow` or `failure_workflow: {id: handler, steps: [a, b]}`"
                    .to_string(),
            );
            None
        }
    }
}

fn read_monitoring(r: &mut Reader, node: &Node, path: &str, extra: &mut JsonMap) -> Monitoring {
    let mut monitoring = Monitoring::default();
    if r.mapping(node, path).is_none() {
        return monitoring;
    }
    let mut unknown = JsonMap::new();
    r.unknown_fields(
        node,
        path,
        &["report_frequency", "log_to", "metrics"],
        &mut unknown,
    );
    if !unknown.is_empty() {
        extra.insert("monitoring".to_string(), Value::Object(unknown));
    }
    monitoring.report_frequency = r.opt_string(node, "report_frequency", path);
    monitoring.log_to = r.opt_string(node, "log_to", path);
    if let Some(metrics) = node.get("metrics") {
        monitoring.metrics = r
            .string_list(metrics, &child_path(path, "metrics"))
            .into_iter()
            .map(|(m, _)| m)
            .collect();
    }
    monitoring
}
