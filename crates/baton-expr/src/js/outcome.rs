//! Turning QuickJS results and exceptions into JSON values and [`JsError`]s.

use std::cell::Cell;

use rquickjs::{Ctx, Type, Value as JsValue};
use serde_json::Value;

use super::JsError;

/// Maps a failed QuickJS call to a [`JsError`], reading the pending exception from `ctx`.
/// `exhausted` says whether the interrupt budget ran out (which QuickJS reports as an
/// uncatchable `InternalError: interrupted`).
pub(super) fn classify(ctx: &Ctx<'_>, error: &rquickjs::Error, exhausted: bool) -> JsError {
    if exhausted {
        return JsError::BudgetExhausted;
    }
    match error {
        rquickjs::Error::Exception => from_exception(ctx, &ctx.catch()),
        rquickjs::Error::Allocation => JsError::OutOfMemory,
        other => JsError::Runtime(other.to_string()),
    }
}

/// Describes a thrown JavaScript value.
fn from_exception<'js>(ctx: &Ctx<'js>, thrown: &JsValue<'js>) -> JsError {
    let Some(object) = thrown.as_object() else {
        if thrown.is_null() || thrown.is_undefined() {
            // QuickJS throws a bare null when it cannot even allocate the error object.
            return JsError::OutOfMemory;
        }
        return JsError::Runtime(describe(ctx, thrown));
    };
    let name = object.get::<_, Option<String>>("name").ok().flatten();
    let message = object.get::<_, Option<String>>("message").ok().flatten();
    match (name.as_deref(), message) {
        (Some("SyntaxError"), Some(message)) => JsError::Syntax(with_location(object, message)),
        (Some("InternalError"), Some(message)) if message.contains("out of memory") => {
            JsError::OutOfMemory
        }
        (Some(name), Some(message)) => JsError::Runtime(format!("{name}: {message}")),
        (None, Some(message)) => JsError::Runtime(message),
        (_, None) => JsError::Runtime(describe(ctx, thrown)),
    }
}

/// Appends the first line of the stack (which holds `<eval>:line:column`) to a syntax error.
fn with_location(object: &rquickjs::Object<'_>, message: String) -> String {
    let stack = object
        .get::<_, Option<String>>("stack")
        .ok()
        .flatten()
        .unwrap_or_default();
    match stack.lines().map(str::trim).find(|line| !line.is_empty()) {
        Some(location) => format!("{message} ({location})"),
        None => message,
    }
}

/// A thrown non-Error value as text (its JSON form, or its type when it has none).
fn describe<'js>(ctx: &Ctx<'js>, thrown: &JsValue<'js>) -> String {
    if let Some(text) = thrown.as_string().and_then(|s| s.to_string().ok()) {
        return text;
    }
    match ctx.json_stringify(thrown.clone()) {
        Ok(Some(text)) => text
            .to_string()
            .unwrap_or_else(|_| thrown.type_name().to_owned()),
        Ok(None) | Err(_) => {
            // Clear any exception raised while describing the value.
            let _ = ctx.catch();
            format!("uncaught {}", thrown.type_name())
        }
    }
}

/// Converts the completion value of a script to JSON with `JSON.stringify` semantics.
pub(super) fn to_json<'js>(
    ctx: &Ctx<'js>,
    value: JsValue<'js>,
    exhausted: &Cell<bool>,
) -> Result<Value, JsError> {
    match value.type_of() {
        Type::Undefined | Type::Uninitialized | Type::Null => return Ok(Value::Null),
        Type::Function | Type::Constructor | Type::Symbol => {
            return Err(JsError::NotJson(format!(
                "a {} has no JSON form",
                value.type_name()
            )));
        }
        _ => {}
    }
    let text = match ctx.json_stringify(value) {
        Ok(Some(text)) => text
            .to_string()
            .map_err(|e| JsError::NotJson(e.to_string()))?,
        Ok(None) => return Ok(Value::Null),
        Err(error) => {
            return Err(match classify(ctx, &error, exhausted.get()) {
                JsError::Runtime(message) | JsError::Syntax(message) => JsError::NotJson(message),
                other => other,
            });
        }
    };
    serde_json::from_str(&text).map_err(|e| JsError::NotJson(e.to_string()))
}
