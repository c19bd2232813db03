//! Workflow input: defaults and required inputs.

use baton_model::WorkflowDef;
use serde_json::{Map, Value};

/// Applies declared defaults and checks required inputs. The message names every
/// missing input and how to pass it.
pub fn apply_defaults(def: &WorkflowDef, input: &Value) -> Result<Value, String> {
    let mut map = match input {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => return Err(format!("workflow input must be a JSON object, got {other}")),
    };
    let mut missing = Vec::new();
    for p in &def.inputs {
        if map.get(&p.name).is_some_and(|v| !v.is_null()) {
            continue;
        }
        match (&p.default, p.required) {
            (Some(d), _) => {
                map.insert(p.name.clone(), d.clone());
            }
            (None, true) => missing.push(p.name.as_str()),
            (None, false) => {}
        }
    }
    if missing.is_empty() {
        Ok(Value::Object(map))
    } else {
        let how: Vec<String> = missing.iter().map(|m| format!("--input {m}=...")).collect();
        Err(format!(
            "missing required input{} {}; pass {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            how.join(" ")
        ))
    }
}
