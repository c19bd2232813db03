//! The `JSON_JQ_TRANSFORM` task: jq (via jaq) on the task input.
//!
//! Input: `queryExpression` (a jq program); the program's input is the whole task input.
//! Output: `{"result": <first output or null>, "resultList": [<all outputs>]}`.
//!
//! Sandboxing: `env` (it would leak the server's secrets), `input`/`inputs`, `halt`,
//! `halt_error`, `debug` and `stderr` are removed from the library before compiling, and
//! `$ENV` is not defined; using them is a compile error.
//!
//! jq has no step limit, so each program runs on its own thread (with a large stack) and
//! the task fails when it has not finished by the deadline (default 5 s). **The thread of a
//! program that never finishes cannot be stopped and keeps running**; to bound the damage,
//! the runner refuses new programs while [`MAX_RUNAWAY_THREADS`] are still running.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Ctx, Vars, data};
use jaq_json::Val;
use serde::Deserialize;
use serde_json::{Map, Number, Value, json};
use tokio_util::sync::CancellationToken;

use crate::config::format_duration;
use crate::task::{BoxFuture, Runner, TaskOutcome, TaskRequest, input_field};

/// Default deadline of one program.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);
/// At most this many outputs are collected; more fails the task.
pub const MAX_OUTPUTS: usize = 100_000;
/// Stack size of a jq thread (deeply recursive programs).
const STACK_BYTES: usize = 64 * 1024 * 1024;
/// While this many jq programs that ran past their deadline are still running, new
/// programs fail at once.
pub const MAX_RUNAWAY_THREADS: usize = 8;
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

/// The `JSON_JQ_TRANSFORM` runner (see the module docs).
#[derive(Debug, Clone)]
pub struct JqRunner {
    /// How long one program may run.
    pub deadline: Duration,
    /// Programs past their deadline whose threads are still running.
    runaway: Arc<AtomicUsize>,
}

impl Default for JqRunner {
    fn default() -> Self {
        JqRunner::new(DEFAULT_DEADLINE)
    }
}

impl JqRunner {
    /// A runner whose programs must finish within `deadline`.
    pub fn new(deadline: Duration) -> Self {
        JqRunner {
            deadline,
            runaway: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// Why a program produced no usable result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
/// with no time limit: use [`JqRunner`] for untrusted programs.
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

/// Whether one program has finished and whether it overran its deadline.
#[derive(Default)]
struct ProgramState {
    done: bool,
    overdue: bool,
}

/// Held by a jq thread: when it ends (even by panic), a program counted as runaway stops
/// being counted.
struct RunningGuard {
    state: Arc<std::sync::Mutex<ProgramState>>,
    runaway: Arc<AtomicUsize>,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        let mut st = match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        st.done = true;
        if st.overdue {
            self.runaway.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Marks a program as runaway (past its deadline) unless it has just finished.
fn mark_overdue(state: &std::sync::Mutex<ProgramState>, runaway: &AtomicUsize) {
    let mut st = match state.lock() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    };
    if !st.done && !st.overdue {
        st.overdue = true;
        runaway.fetch_add(1, Ordering::SeqCst);
    }
}

impl Runner for JqRunner {
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let this = self.clone();
        Box::pin(async move {
            let program = match input_field(&req.input, "queryExpression") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                _ => {
                    return TaskOutcome::terminal(
                        "the JSON_JQ_TRANSFORM task needs a `queryExpression` input (a jq program)",
                    );
                }
            };
            let runaway = this.runaway.load(Ordering::SeqCst);
            if runaway >= MAX_RUNAWAY_THREADS {
                return TaskOutcome::failed(format!(
                    "jq runner overloaded: {runaway} earlier programs ran past their deadline and are still running"
                ));
            }
            let state = Arc::new(std::sync::Mutex::new(ProgramState::default()));
            let guard = RunningGuard {
                state: Arc::clone(&state),
                runaway: Arc::clone(&this.runaway),
            };
            let (tx, rx) = tokio::sync::oneshot::channel();
            let input = req.input;
            let spawned = std::thread::Builder::new()
                .name("baton-jq".to_owned())
                .stack_size(STACK_BYTES)
                .spawn(move || {
                    let _guard = guard;
                    let _ = tx.send(run_jq(&program, &input));
                });
            if let Err(e) = spawned {
                return TaskOutcome::failed(format!("cannot start a jq thread: {e}"));
            }
            let result = tokio::select! {
                r = tokio::time::timeout(this.deadline, rx) => r,
                () = cancel.cancelled() => return TaskOutcome::canceled(),
            };
            match result {
                Err(_) => {
                    mark_overdue(&state, &this.runaway);
                    TaskOutcome::failed(format!(
                        "jq program did not finish within {}",
                        format_duration(this.deadline)
                    ))
                }
                Ok(Err(_)) => TaskOutcome::failed("jq program crashed"),
                Ok(Ok(Ok(outputs))) => {
                    let first = outputs.first().cloned().unwrap_or(Value::Null);
                    TaskOutcome::completed(json!({"result": first, "resultList": outputs}))
                }
                Ok(Ok(Err(e))) => {
                    let terminal = !matches!(e, JqError::Input(_));
                    let reason = e.to_string();
                    let outcome = if terminal {
                        TaskOutcome::terminal(reason.clone())
                    } else {
                        TaskOutcome::failed(reason.clone())
                    };
                    outcome.with_output(json!({"error": reason}))
                }
            }
        })
    }
}
