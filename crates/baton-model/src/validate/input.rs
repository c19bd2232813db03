//! The start input of a workflow against its declared inputs.

use super::codes;
use crate::diagnostic::Diagnostic;
use crate::model::{JsonMap, WorkflowDef};
use crate::source::Pos;
use serde_json::Value;

/// Checks `input` against `def.inputs` and returns it with the defaults of absent
/// optional inputs filled in. Inputs that are not declared are passed through unchanged
/// (Conductor's behaviour).
///
/// # Errors
/// `BT0120` when `input` is not a JSON object; `BT0121` naming every missing required
/// input and how to pass it.
pub fn check_input(def: &WorkflowDef, input: &Value) -> Result<JsonMap, Vec<Diagnostic>> {
    let Value::Object(given) = input else {
        return Err(vec![
            Diagnostic::error(
                codes::INPUT_NOT_OBJECT,
                Pos::UNKNOWN,
                "input",
                format!("the input of `{}` must be a JSON object", def.name),
            )
            .with_help("pass inputs as `--input name=value` or a JSON object such as `{\"name\": \"value\"}`"),
        ]);
    };
    let missing: Vec<&str> = def
        .inputs
        .iter()
        .filter(|i| i.required && given.get(&i.name).is_none_or(Value::is_null))
        .map(|i| i.name.as_str())
        .collect();
    if !missing.is_empty() {
        let names = missing
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let example = missing
            .iter()
            .map(|n| format!("--input {n}=value"))
            .collect::<Vec<_>>()
            .join(" ");
        let noun = if missing.len() == 1 {
            "input"
        } else {
            "inputs"
        };
        return Err(vec![
            Diagnostic::error(
                codes::MISSING_INPUT,
                Pos::UNKNOWN,
                "input",
                format!("workflow `{}` needs the required {noun} {names}", def.name),
            )
            .with_help(format!("pass them at start: `{example}`")),
        ]);
    }
    let mut out = given.clone();
    for param in &def.inputs {
        if let Some(default) = &param.default
            && !out.contains_key(&param.name)
        {
            out.insert(param.name.clone(), default.clone());
        }
    }
    Ok(out)
}
