//! Compiling and running one jq program (jaq) on one input, on the calling thread.
//!
//! Both the in-thread runner and the sandbox worker process call [`run_jq`]; only the
//! worker bounds it (see the parent module).

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Ctx, Vars, data};
use jaq_json::Val;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::MAX_OUTPUTS;

/// Library filters that are removed: they reach outside the sandbox.
const FORBIDDEN: &[&str] = &[
    "env",
    "input",
    "inputs",
    "halt",
    "halt_error",
    "debug",
    "debug_empty",
    "stderr",
    "stderr_empty",
    "input_filename",
    "$__loc__",
];

/// Why a program produced no usable result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum JqError {
    /// The program does not parse or uses an undefined (or removed) filter or variable.
    #[error("jq compile error: {0}")]
    Compile(String),
    /// The program raised an error while running.
    #[error("jq error: {0}")]
    Runtime(String),
    /// The program produced more than [`MAX_OUTPUTS`] outputs.
    #[error("jq program produced more than {MAX_OUTPUTS} outputs")]
    TooManyOutputs,
    /// The task input cannot be given to jq.
    #[error("jq input: {0}")]
    Input(String),
}

/// Compiles and runs `program` on `input`, returning all outputs. Runs on the calling thread
/// with no limit of time, memory or depth: untrusted programs belong in a
/// [`JqRunner`](super::JqRunner) with the [`JqSandbox::Process`](super::JqSandbox::Process) sandbox.
///
/// # Errors
/// See [`JqError`].
pub fn run_jq(program: &str, input: &Value) -> Result<Vec<Value>, JqError> {
    let input = Val::deserialize(input).map_err(|e| JqError::Input(e.to_string()))?;
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .filter(|d| !FORBIDDEN.contains(&d.name));
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|f| !FORBIDDEN.contains(&f.0));
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(
            &arena,
            File {
                code: program,
                path: (),
            },
        )
        .map_err(|errs| JqError::Compile(load_errors(errs)))?;
    let filter = jaq_core::Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            let msgs: Vec<String> = errs
                .into_iter()
                .flat_map(|(_, es)| es)
                .map(|(name, undefined)| format!("undefined {} `{name}`", undefined.as_str()))
                .collect();
            JqError::Compile(msgs.join("; "))
        })?;
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    let mut outputs = Vec::new();
    for item in filter.id.run((ctx, input)) {
        match item {
            Ok(v) => {
                if outputs.len() >= MAX_OUTPUTS {
                    return Err(JqError::TooManyOutputs);
                }
                outputs.push(to_json(&v));
            }
            Err(exn) => {
                let msg = match exn.get_err() {
                    Ok(err) => err.to_string(),
                    Err(_) => "the program stopped abnormally".to_owned(),
                };
                return Err(JqError::Runtime(msg));
            }
        }
    }
    Ok(outputs)
}

/// Formats jaq's load (lex/parse/io) errors.
fn load_errors<P>(errs: jaq_core::load::Errors<&str, P>) -> String {
    use jaq_core::load::Error;
    let mut msgs = Vec::new();
    for (_, err) in errs {
        match err {
            Error::Io(es) => msgs.extend(es.into_iter().map(|(path, e)| format!("{path}: {e}"))),
            Error::Lex(es) => {
                msgs.extend(es.into_iter().map(|(expect, at)| {
                    format!("expected {} at `{}`", expect.as_str(), snippet(at))
                }))
            }
            Error::Parse(es) => msgs.extend(es.into_iter().map(|(expect, at)| {
                if at.is_empty() {
                    format!("expected {} at the end", expect.as_str())
                } else {
                    format!("expected {} at `{}`", expect.as_str(), snippet(at))
                }
            })),
        }
    }
    if msgs.is_empty() {
        "invalid program".to_owned()
    } else {
        msgs.join("; ")
    }
}

/// The start of the rest of the program, for error messages.
fn snippet(rest: &str) -> String {
    crate::text::head(rest, 40)
}

/// Converts a jaq value to JSON (byte strings as lossy text, non-string keys as their jq
/// text, non-finite numbers as null, as jq prints them).
fn to_json(v: &Val) -> Value {
    match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => {
            let text = n.to_string();
            serde_json::from_str::<Number>(&text)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        }
        Val::TStr(b) | Val::BStr(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Val::Arr(items) => Value::Array(items.iter().map(to_json).collect()),
        Val::Obj(map) => {
            let mut out = Map::new();
            for (k, v) in map.iter() {
                let key = match k {
                    Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
                    other => other.to_string(),
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
    }
}
