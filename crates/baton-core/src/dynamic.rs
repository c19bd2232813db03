//! FORK_JOIN_DYNAMIC: turning run-time input into tasks.

use baton_model::{DynamicForkSpec, Task};
use serde_json::{Map, Value, json};

/// The tasks a dynamic fork starts, from its resolved input.
///
/// Two Conductor forms are accepted:
/// - `dynamicForkTasksParam` names an input holding a list of `WorkflowTask`s, and
///   `dynamicForkTasksInputParamName` an input holding `{ref: input}`;
/// - `forkTaskName` + `forkTaskInputs` (a list): one SIMPLE task per input, refs
///   `<forkTaskName>_<i>`.
pub(crate) fn forked_tasks(spec: &DynamicForkSpec, input: &Value) -> Result<Vec<Task>, String> {
    let (defs, inputs) = match &spec.tasks_param {
        Some(param) => {
            let defs = match input.get(param) {
                Some(Value::Array(list)) => list.clone(),
                other => {
                    return Err(format!(
                        "FORK_JOIN_DYNAMIC: input `{param}` must be a list of tasks, got {}",
                        other.map_or("nothing".to_string(), Value::to_string)
                    ));
                }
            };
            let inputs = spec
                .tasks_input_param
                .as_ref()
                .and_then(|p| input.get(p))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (defs, inputs)
        }
        None => from_fork_task_name(input)?,
    };
    let doc = json!({ "name": "dynamic_fork", "tasks": defs });
    let text = doc.to_string();
    let node = baton_model::source::parse(&text)
        .map_err(|e| format!("FORK_JOIN_DYNAMIC: {}", e.message))?;
    let loaded = baton_model::conductor::from_node(&node).map_err(|diags| {
        let msgs: Vec<String> = diags
            .iter()
            .map(|d| format!("{}: {}", d.field, d.message))
            .collect();
        format!(
            "FORK_JOIN_DYNAMIC: the forked tasks are not valid: {}",
            msgs.join("; ")
        )
    })?;
    let mut tasks = loaded.def.tasks;
    for t in &mut tasks {
        if let Some(Value::Object(i)) = inputs.get(&t.ref_name) {
            // Values given at run time are data, not templates: `$${` keeps them literal.
            t.input = escape_templates(i);
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = tasks.iter().find(|t| !seen.insert(t.ref_name.clone())) {
        return Err(format!(
            "FORK_JOIN_DYNAMIC: task ref `{}` appears twice",
            dup.ref_name
        ));
    }
    Ok(tasks)
}

fn from_fork_task_name(input: &Value) -> Result<(Vec<Value>, Map<String, Value>), String> {
    let Some(name) = input.get("forkTaskName").and_then(Value::as_str) else {
        return Err(
            "FORK_JOIN_DYNAMIC needs `dynamicForkTasksParam` or the inputs `forkTaskName` and `forkTaskInputs`".to_string(),
        );
    };
    let Some(list) = input.get("forkTaskInputs").and_then(Value::as_array) else {
        return Err("FORK_JOIN_DYNAMIC: input `forkTaskInputs` must be a list".to_string());
    };
    let task_type = input
        .get("forkTaskType")
        .and_then(Value::as_str)
        .unwrap_or("SIMPLE");
    let mut defs = Vec::with_capacity(list.len());
    let mut inputs = Map::new();
    for (i, item) in list.iter().enumerate() {
        let r = format!("{name}_{i}");
        defs.push(json!({ "name": name, "taskReferenceName": r, "type": task_type }));
        let value = match item {
            Value::Object(_) => item.clone(),
            other => json!({ "input": other }),
        };
        inputs.insert(r, value);
    }
    Ok((defs, inputs))
}

fn escape_templates(m: &Map<String, Value>) -> Map<String, Value> {
    fn esc(v: &Value) -> Value {
        match v {
            Value::String(s) if s.contains("${") => Value::String(s.replace("${", "$${")),
            Value::Array(a) => Value::Array(a.iter().map(esc).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), esc(v))).collect()),
            other => other.clone(),
        }
    }
    m.iter().map(|(k, v)| (k.clone(), esc(v))).collect()
}
