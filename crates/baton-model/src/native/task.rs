//! One native task: `{id, name, type, agent_level, depends_on, parallel_with, retry_policy,
//! timeout, input, output, ...}` and the type-specific fields.

use super::codes;
use super::policy::{PolicyCodes, read_input, read_role, read_task_def};
use super::read::{Reader, child_path, index_path};
use crate::diagnostic::TaskSource;
use crate::model::{
    Evaluator, HumanSpec, JsonMap, SYSTEM_TASK_TYPES, SubWorkflowSpec, SwitchSpec, Task, TaskKind,
};
use crate::source::{Node, NodeKind, Pos};
use indexmap::IndexMap;
use serde_json::Value;

/// The native task types (besides the built-in system types such as `HTTP`, `INLINE`).
pub const NATIVE_TASK_TYPES: &[&str] = &[
    "SIMPLE",
    "DECISION",
    "SWITCH",
    "HUMAN",
    "WAIT",
    "SUB_WORKFLOW",
    "NOOP",
    "TERMINATE",
    "SET_VARIABLE",
];

/// Fields every task may have.
const COMMON_FIELDS: &[&str] = &[
    "gate",
    "on_reject",
    "id",
    "name",
    "type",
    "description",
    "agent_level",
    "depends_on",
    "parallel_with",
    "retry_policy",
    "timeout",
    "input",
    "output",
    "optional",
];

/// Input key the native DECISION stores its `decision_param` expression under.
pub const DECISION_PARAM: &str = "decision_param";

/// A task as read, before its dependencies are resolved against the other tasks.
#[derive(Debug)]
pub(crate) struct Draft {
    /// The task; `depends_on` is filled in later.
    pub task: Task,
    /// `depends_on` as written, with positions.
    pub depends_on: Option<Vec<(String, Pos)>>,
    /// `parallel_with` targets, with positions.
    pub parallel_with: Vec<(String, Pos)>,
    /// Where the task was written.
    pub source: TaskSource,
}

const POLICY_CODES: PolicyCodes = PolicyCodes {
    retry: codes::RETRY,
    role: codes::ROLE,
};

/// Reads the task at `path`; `None` when it has no usable `id`.
pub(crate) fn read_task(r: &mut Reader, node: &Node, path: &str) -> Option<Draft> {
    r.mapping(node, path)?;
    let id = r.required_string(node, "id", path, "give the task a unique `id: some_name`");
    let type_name = match node.get("type") {
        Some(t) => r
            .string(t, &child_path(path, "type"))
            .map(|s| s.to_ascii_uppercase()),
        None => Some("SIMPLE".to_string()),
    };
    let (id, type_name) = (id?, type_name?);
    let mut source = TaskSource {
        pos: node.pos,
        path: path.to_string(),
        fields: Default::default(),
    };
    record_key(node, "id", &mut source);
    record_key(node, "type", &mut source);
    record_key(node, "name", &mut source);
    let mut extra = JsonMap::new();
    let (kind, specific_fields) = read_kind(r, node, path, &type_name, &mut source)?;
    let mut known: Vec<&str> = COMMON_FIELDS.to_vec();
    known.extend_from_slice(specific_fields);
    r.unknown_fields(node, path, &known, &mut extra);

    let display_name = r.opt_string(node, "name", path);
    let mut description = r.opt_string(node, "description", path);
    match (&description, display_name) {
        (None, Some(name)) => description = Some(name),
        (Some(_), Some(name)) => {
            extra.insert("display_name".to_string(), Value::String(name));
        }
        _ => {}
    }
    let mut input = read_input(r, node, path, &mut source.fields);
    if let TaskKind::Switch(_) = kind
        && let Some(param) = node.get(DECISION_PARAM)
    {
        if input.contains_key(DECISION_PARAM) {
            r.error(
                codes::DECISION,
                param.pos,
                &child_path(path, DECISION_PARAM),
                "`decision_param` is given twice: as a field and in `input`".to_string(),
                "keep only the `decision_param:` field".to_string(),
            );
        }
        if let Some(expr) = r.string(param, &child_path(path, DECISION_PARAM)) {
            input.insert(DECISION_PARAM.to_string(), Value::String(expr));
        }
    }
    let role = node.get("agent_level").and_then(|n| {
        source.fields.insert("agent_level".to_string(), n.pos);
        read_role(r, POLICY_CODES.role, n, &child_path(path, "agent_level"))
    });
    let task_def = read_task_def(r, POLICY_CODES, node, path, &id, &mut source.fields);
    let optional = node
        .get("optional")
        .and_then(|n| r.boolean(n, &child_path(path, "optional")))
        .unwrap_or(false);
    let declared_outputs = read_declared_outputs(r, node, path, &mut extra, &mut source);
    let (gate, on_reject) = crate::native::read_gate(r, node, path);
    let depends_on = node.get("depends_on").map(|n| {
        source.fields.insert("depends_on".to_string(), n.pos);
        let list = r.string_list(n, &child_path(path, "depends_on"));
        for (i, (_, pos)) in list.iter().enumerate() {
            source.fields.insert(index_path("depends_on", i), *pos);
        }
        list
    });
    let parallel_with = node
        .get("parallel_with")
        .map(|n| {
            source.fields.insert("parallel_with".to_string(), n.pos);
            r.string_list(n, &child_path(path, "parallel_with"))
        })
        .unwrap_or_default();
    let task = Task {
        name: id.clone(),
        ref_name: id,
        kind,
        input,
        depends_on: None,
        when: None,
        optional,
        start_delay_ms: 0,
        async_complete: false,
        task_def: Some(task_def),
        role,
        description,
        declared_outputs,
        gate,
        on_reject,
        extra,
    };
    Some(Draft {
        task,
        depends_on,
        parallel_with,
        source,
    })
}

fn record_key(node: &Node, key: &str, source: &mut TaskSource) {
    if let Some(value) = node.get(key) {
        source.fields.insert(key.to_string(), value.pos);
    }
}

/// `output: [keys]` or `output: {key: where}`; the mapping is kept in `extra.output`.
fn read_declared_outputs(
    r: &mut Reader,
    node: &Node,
    path: &str,
    extra: &mut JsonMap,
    source: &mut TaskSource,
) -> Vec<String> {
    let Some(output) = node.get("output") else {
        return Vec::new();
    };
    source.fields.insert("output".to_string(), output.pos);
    let output_path = child_path(path, "output");
    match &output.kind {
        NodeKind::Map(entries) => {
            extra.insert("output".to_string(), output.to_json());
            entries.iter().map(|(k, _)| k.name.clone()).collect()
        }
        _ => r
            .string_list(output, &output_path)
            .into_iter()
            .map(|(k, _)| k)
            .collect(),
    }
}

/// The task kind for `type_name` and the fields specific to it; `None` (with an error)
/// for an unknown type.
fn read_kind(
    r: &mut Reader,
    node: &Node,
    path: &str,
    type_name: &str,
    source: &mut TaskSource,
) -> Option<(TaskKind, &'static [&'static str])> {
    let kind = match type_name {
        "SIMPLE" => (TaskKind::Simple, &[][..]),
        "DECISION" | "SWITCH" => {
            let spec = read_decision(r, node, path, type_name == "DECISION", source);
            (
                TaskKind::Switch(spec),
                &["decision_param", "decision_cases"][..],
            )
        }
        "HUMAN" => {
            let approval = node
                .get("wait_for_approval")
                .and_then(|n| r.boolean(n, &child_path(path, "wait_for_approval")))
                .unwrap_or(false);
            (
                TaskKind::Human(HumanSpec { approval }),
                &["wait_for_approval"][..],
            )
        }
        "WAIT" => (TaskKind::Wait, &[][..]),
        "SUB_WORKFLOW" => (
            TaskKind::SubWorkflow(read_sub_workflow(r, node, path, source)),
            &["sub_workflow"][..],
        ),
        "NOOP" => (TaskKind::Noop, &[][..]),
        "TERMINATE" => (TaskKind::Terminate, &[][..]),
        "SET_VARIABLE" => (TaskKind::SetVariable, &[][..]),
        other if SYSTEM_TASK_TYPES.contains(&other) => (
            TaskKind::System {
                task_type: other.to_string(),
            },
            &[][..],
        ),
        other => {
            let pos = node.get("type").map_or(node.pos, |n| n.pos);
            let mut valid: Vec<&str> = NATIVE_TASK_TYPES.to_vec();
            valid.extend_from_slice(SYSTEM_TASK_TYPES);
            let hint = if matches!(other, "FORK" | "FORK_JOIN" | "JOIN") {
                " (for parallel tasks write `parallel_with: <id>` or a shared `depends_on`; a task that depends on several tasks is their join)"
            } else {
                ""
            };
            r.error(
                codes::TASK_TYPE,
                pos,
                &child_path(path, "type"),
                format!("unknown task type `{other}`"),
                format!("write one of {}{hint}", valid.join(", ")),
            );
            return None;
        }
    };
    Some(kind)
}

/// `sub_workflow: name` or `sub_workflow: {name, version}`.
fn read_sub_workflow(
    r: &mut Reader,
    node: &Node,
    path: &str,
    source: &mut TaskSource,
) -> SubWorkflowSpec {
    let mut spec = SubWorkflowSpec {
        name: String::new(),
        version: None,
        definition: None,
        extra: JsonMap::new(),
    };
    let Some(sub) = node.get("sub_workflow") else {
        r.missing(
            node.pos,
            path,
            "sub_workflow",
            "name the child workflow: `sub_workflow: other-workflow-id`",
        );
        return spec;
    };
    source.fields.insert("sub_workflow".to_string(), sub.pos);
    let sub_path = child_path(path, "sub_workflow");
    match &sub.kind {
        NodeKind::Map(_) => {
            r.unknown_fields(sub, &sub_path, &["name", "version"], &mut spec.extra);
            spec.name = r
                .required_string(sub, "name", &sub_path, "write `name: other-workflow-id`")
                .unwrap_or_default();
            spec.version = sub
                .get("version")
                .and_then(|v| r.count(v, &child_path(&sub_path, "version")));
        }
        _ => spec.name = r.string(sub, &sub_path).unwrap_or_default(),
    }
    spec
}

/// `decision_param` + `decision_cases: {CASE: {next: id}, default: {next: id}}`.
fn read_decision(
    r: &mut Reader,
    node: &Node,
    path: &str,
    legacy: bool,
    source: &mut TaskSource,
) -> SwitchSpec {
    let mut spec = SwitchSpec {
        evaluator: Evaluator::ValueParam,
        expression: DECISION_PARAM.to_string(),
        cases: IndexMap::new(),
        default_case: Vec::new(),
        next: IndexMap::new(),
        next_default: None,
        fail_on_no_match: true,
        legacy_decision: legacy,
    };
    match node.get(DECISION_PARAM) {
        Some(param) => {
            for key in [DECISION_PARAM, "expression", "input.decision_param"] {
                source.fields.insert(key.to_string(), param.pos);
            }
        }
        None => r.missing(
            node.pos,
            path,
            DECISION_PARAM,
            "write the value to branch on, e.g. `decision_param: \"${check.output.status}\"`",
        ),
    }
    let cases_path = child_path(path, "decision_cases");
    let Some(cases) = node.get("decision_cases") else {
        r.missing(
            node.pos,
            path,
            "decision_cases",
            "write `decision_cases: {PASS: {next: some_task}}`",
        );
        return spec;
    };
    let Some(entries) = r.mapping(cases, &cases_path) else {
        return spec;
    };
    if entries.is_empty() {
        r.error(
            codes::DECISION,
            cases.pos,
            &cases_path,
            "`decision_cases` is empty".to_string(),
            "add at least one case: `PASS: {next: some_task}`".to_string(),
        );
    }
    for (key, value) in entries {
        let case_path = child_path(&cases_path, &key.name);
        let target = match &value.kind {
            NodeKind::Map(_) => {
                let mut ignored = JsonMap::new();
                r.unknown_fields(value, &case_path, &["next"], &mut ignored);
                value
                    .get("next")
                    .map(|n| (n, r.string(n, &child_path(&case_path, "next"))))
            }
            NodeKind::String(_) => Some((value, r.string(value, &case_path))),
            _ => {
                r.wrong_type(value, &case_path, "a mapping `{next: task_id}`");
                continue;
            }
        };
        let Some((target_node, Some(target))) = target else {
            if target.is_none() {
                r.missing(
                    value.pos,
                    &case_path,
                    "next",
                    "write `next: task_id` (the task this case runs)",
                );
            }
            continue;
        };
        source
            .fields
            .insert(format!("decision_cases.{}.next", key.name), target_node.pos);
        if key.name == "default" {
            spec.next_default = Some(target);
        } else {
            spec.next.insert(key.name.clone(), target);
        }
    }
    spec
}
