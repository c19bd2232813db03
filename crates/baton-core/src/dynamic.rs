//! FORK_JOIN_DYNAMIC: turning run-time input into tasks.

use baton_model::source::{Key, Node, NodeKind, Pos};
use baton_model::{DynamicForkSpec, JsonMap, SYSTEM_TASK_TYPES, Task, TaskKind};
use serde_json::{Map, Value};

/// The tasks a dynamic fork starts, from its resolved input.
///
/// Two Conductor forms are accepted:
/// - `dynamicForkTasksParam` names an input holding a list of `WorkflowTask`s, and
///   `dynamicForkTasksInputParamName` an input holding `{ref: input}`;
/// - `forkTaskName` + `forkTaskInputs` (a list): one task per input (SIMPLE unless
///   `forkTaskType` says otherwise), refs `<forkTaskName>_<i>`.
pub(crate) fn forked_tasks(spec: &DynamicForkSpec, input: &Value) -> Result<Vec<Task>, String> {
    let tasks = match &spec.tasks_param {
        Some(param) => {
            let Some(Value::Array(list)) = input.get(param) else {
                return Err(format!(
                    "FORK_JOIN_DYNAMIC: input `{param}` must be a list of tasks, got {}",
                    input
                        .get(param)
                        .map_or("nothing".to_string(), Value::to_string)
                ));
            };
            let mut tasks = read_task_list(list)?;
            let inputs = spec
                .tasks_input_param
                .as_ref()
                .and_then(|p| input.get(p))
                .and_then(Value::as_object);
            if let Some(inputs) = inputs {
                for t in &mut tasks {
                    if let Some(Value::Object(i)) = inputs.get(&t.ref_name) {
                        t.input = escape_templates(i);
                    }
                }
            }
            tasks
        }
        None => from_fork_task_name(input)?,
    };
    let mut seen = std::collections::HashSet::with_capacity(tasks.len());
    if let Some(dup) = tasks.iter().find(|t| !seen.insert(t.ref_name.as_str())) {
        return Err(format!(
            "FORK_JOIN_DYNAMIC: task ref `{}` appears twice",
            dup.ref_name
        ));
    }
    Ok(tasks)
}

/// Reads a list of Conductor `WorkflowTask`s given at run time with the Conductor
/// front-end, straight from the JSON value (no text in between).
fn read_task_list(list: &[Value]) -> Result<Vec<Task>, String> {
    let entry = |name: &str, kind: NodeKind| {
        let key = Key {
            pos: Pos::UNKNOWN,
            name: name.to_string(),
        };
        let node = Node {
            pos: Pos::UNKNOWN,
            kind,
        };
        (key, node)
    };
    let doc = Node {
        pos: Pos::UNKNOWN,
        kind: NodeKind::Map(vec![
            entry("name", NodeKind::String("dynamic_fork".to_string())),
            entry("tasks", NodeKind::Seq(list.iter().map(node_of).collect())),
        ]),
    };
    let loaded = baton_model::conductor::from_node(&doc).map_err(|diags| {
        let msgs: Vec<String> = diags
            .iter()
            .map(|d| format!("{}: {}", d.field, d.message))
            .collect();
        format!(
            "FORK_JOIN_DYNAMIC: the forked tasks are not valid: {}",
            msgs.join("; ")
        )
    })?;
    Ok(loaded.def.tasks)
}

/// A JSON value as a front-end node (positions unknown: it came from run-time data).
fn node_of(v: &Value) -> Node {
    let kind = match v {
        Value::Null => NodeKind::Null,
        Value::Bool(b) => NodeKind::Bool(*b),
        Value::Number(n) => NodeKind::Number(n.clone()),
        Value::String(s) => NodeKind::String(s.clone()),
        Value::Array(a) => NodeKind::Seq(a.iter().map(node_of).collect()),
        Value::Object(o) => NodeKind::Map(
            o.iter()
                .map(|(k, v)| {
                    let key = Key {
                        pos: Pos::UNKNOWN,
                        name: k.clone(),
                    };
                    (key, node_of(v))
                })
                .collect(),
        ),
    };
    Node {
        pos: Pos::UNKNOWN,
        kind,
    }
}

/// `forkTaskName` + `forkTaskInputs`: one task per input, built directly.
fn from_fork_task_name(input: &Value) -> Result<Vec<Task>, String> {
    let Some(name) = input.get("forkTaskName").and_then(Value::as_str) else {
        return Err(
            "FORK_JOIN_DYNAMIC needs `dynamicForkTasksParam` or the inputs `forkTaskName` and `forkTaskInputs`".to_string(),
        );
    };
    if name.is_empty() {
        return Err("FORK_JOIN_DYNAMIC: input `forkTaskName` is empty".to_string());
    }
    let Some(list) = input.get("forkTaskInputs").and_then(Value::as_array) else {
        return Err("FORK_JOIN_DYNAMIC: input `forkTaskInputs` must be a list".to_string());
    };
    let task_type = match input.get("forkTaskType") {
        None | Some(Value::Null) => "SIMPLE",
        Some(Value::String(t)) => t.as_str(),
        Some(other) => {
            return Err(format!(
                "FORK_JOIN_DYNAMIC: input `forkTaskType` must be a task type name, got {other}"
            ));
        }
    };
    let kind = match task_type {
        "SIMPLE" => TaskKind::Simple,
        t if SYSTEM_TASK_TYPES.contains(&t) => TaskKind::System {
            task_type: t.to_string(),
        },
        // The types that need no parameters besides their input.
        "WAIT" => TaskKind::Wait,
        "HUMAN" => TaskKind::Human(Default::default()),
        "START_WORKFLOW" => TaskKind::StartWorkflow,
        "TERMINATE" => TaskKind::Terminate,
        "SET_VARIABLE" => TaskKind::SetVariable,
        "NOOP" => TaskKind::Noop,
        other => {
            return Err(format!(
                "FORK_JOIN_DYNAMIC: `forkTaskType` `{other}` cannot be forked from \
                 `forkTaskName` (it is unknown or needs parameters); use SIMPLE, WAIT, HUMAN, \
                 START_WORKFLOW, TERMINATE, SET_VARIABLE, NOOP or one of {}, or list the \
                 tasks in `dynamicForkTasksParam`",
                SYSTEM_TASK_TYPES.join(", ")
            ));
        }
    };
    let mut tasks = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        // Values given at run time are data, not templates: `$${` keeps them literal.
        let task_input = match item {
            Value::Object(o) => escape_templates(o),
            other => {
                let mut m = Map::with_capacity(1);
                m.insert("input".to_string(), escape(other));
                m
            }
        };
        tasks.push(forked_task(
            name,
            format!("{name}_{i}"),
            kind.clone(),
            task_input,
        ));
    }
    Ok(tasks)
}

/// A forked task with nothing but its name, ref, kind and input: the rest takes the
/// defaults a Conductor `WorkflowTask` without those fields has.
fn forked_task(name: &str, ref_name: String, kind: TaskKind, input: JsonMap) -> Task {
    Task::new(name, ref_name, kind).with_input(input)
}

fn escape(v: &Value) -> Value {
    match v {
        Value::String(s) if s.contains("${") => Value::String(s.replace("${", "$${")),
        Value::Array(a) => Value::Array(a.iter().map(escape).collect()),
        Value::Object(o) => Value::Object(escape_templates(o)),
        other => other.clone(),
    }
}

fn escape_templates(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter().map(|(k, v)| (k.clone(), escape(v))).collect()
}
