//! Sandboxed, deterministic JavaScript (tier 3), on QuickJS via `rquickjs`.
//!
//! Every evaluation gets a fresh QuickJS runtime and context, so no state leaks between
//! scripts and the instruction budget always starts from zero. The input is bound to the
//! global `$`; the completion value of the script is returned as JSON.
//!
//! # Determinism
//! * The budget counts QuickJS interrupt polls (one roughly every 10 000 bytecode branches
//!   or calls), never the wall clock, so a script either always finishes or always runs out.
//! * `Math.random` is a fixed-seed generator (the same sequence on every evaluation).
//! * `Date.now()` is `0` and `new Date()` / `Date()` is the Unix epoch; dates built from
//!   explicit arguments behave normally. Local-time methods (`getHours`, `toString`, ...)
//!   still use the host's time zone: run Baton with `TZ=UTC` for fully reproducible output.
//! * There is no I/O: no modules, timers, `std`/`os` objects or network.

mod compare;
mod outcome;

use std::cell::Cell;
use std::rc::Rc;

use rquickjs::{Context, Ctx, Runtime};
use serde_json::Value;

use self::outcome::{classify, to_json};

/// Code run before every script to make `Math.random` and `Date` deterministic.
const PRELUDE: &str = include_str!("js/prelude.js");

/// Deterministic limits: the same script with the same input always gives the same result
/// (no wall clock).
#[derive(Debug, Clone)]
pub struct JsLimits {
    /// Heap limit of the JavaScript runtime, in bytes.
    pub memory_bytes: usize,
    /// Maximum native stack the interpreter may use, in bytes (bounds recursion depth).
    pub stack_bytes: usize,
    /// How many interrupt polls the script may consume before it is stopped with
    /// [`JsError::BudgetExhausted`]. QuickJS polls about once per 10 000 branches or calls.
    pub max_interrupt_polls: u64,
}

impl Default for JsLimits {
    /// 32 MiB of heap, 512 KiB of stack and 1 000 polls (roughly 10 million loop iterations;
    /// `while (true) {}` stops well under a second even in debug builds).
    fn default() -> Self {
        JsLimits {
            memory_bytes: 32 * 1024 * 1024,
            stack_bytes: 512 * 1024,
            max_interrupt_polls: 1_000,
        }
    }
}

/// Why a script could not produce a JSON value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsError {
    /// The script does not parse.
    #[error("JavaScript syntax error: {0}")]
    Syntax(String),
    /// The script threw (the message includes the error name, e.g. `TypeError: ...`), or
    /// exceeded the stack limit (`RangeError: Maximum call stack size exceeded`).
    #[error("JavaScript error: {0}")]
    Runtime(String),
    /// The script exceeded [`JsLimits::memory_bytes`].
    #[error("JavaScript ran out of memory")]
    OutOfMemory,
    /// The script exceeded [`JsLimits::max_interrupt_polls`] (e.g. an infinite loop).
    #[error("JavaScript exceeded its execution budget")]
    BudgetExhausted,
    /// The result is not representable as JSON (a function, symbol, BigInt, cyclic object...).
    #[error("JavaScript result is not JSON: {0}")]
    NotJson(String),
    /// The JavaScript engine itself could not be set up.
    #[error("JavaScript engine failure: {0}")]
    Engine(String),
}

/// Evaluates `script` with `$` bound to `input` (a JSON value) and returns the completion
/// value of the script as JSON (`undefined` → null; functions/symbols → [`JsError::NotJson`]).
///
/// Works for all three Conductor styles: an expression (`$.a == 'x' ? 'y' : 'z'`), a statement
/// script with a completion value (`if ($.x < $.n) { true; } else { false; }`) and an IIFE
/// (`(function(){ return $.a + $.b; })()`). For bodies with a top-level `return` use
/// [`eval_function_body`].
///
/// # Errors
/// See [`JsError`].
pub fn eval(script: &str, input: &Value, limits: &JsLimits) -> Result<Value, JsError> {
    // A plain numeric comparison (most loop conditions) needs no JavaScript engine; the
    // answer is the same either way.
    if let Some(v) = compare::try_compare(script, input) {
        return Ok(v);
    }
    run(script, input, limits)
}

/// Evaluates a Conductor LAMBDA `scriptExpression`: a function body that uses `return` at top
/// level (`if ($.input.a == 1) { return {v: true} } else { return {v: false} }`). The body is
/// wrapped in a function called with `$` bound to `input`; its return value is the result.
///
/// # Errors
/// See [`JsError`].
pub fn eval_function_body(body: &str, input: &Value, limits: &JsLimits) -> Result<Value, JsError> {
    run(&format!("(function () {{\n{body}\n}})()"), input, limits)
}

/// JavaScript truthiness of a JSON value (for DO_WHILE conditions / `when:`): `false`, `0`,
/// `""` and `null` are false; everything else is true (the string `"false"` is truthy, as are
/// empty arrays and objects).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Sets up a limited runtime and runs `script` in a fresh context.
fn run(script: &str, input: &Value, limits: &JsLimits) -> Result<Value, JsError> {
    let runtime = Runtime::new().map_err(|e| JsError::Engine(e.to_string()))?;
    runtime.set_memory_limit(limits.memory_bytes);
    runtime.set_max_stack_size(limits.stack_bytes);
    let exhausted = Rc::new(Cell::new(false));
    let polls = Rc::new(Cell::new(0_u64));
    {
        let (exhausted, polls, max) = (
            Rc::clone(&exhausted),
            Rc::clone(&polls),
            limits.max_interrupt_polls,
        );
        // Must be installed outside `Context::with` (the runtime is borrowed inside it).
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let used = polls.get().saturating_add(1);
            polls.set(used);
            let stop = used > max;
            if stop {
                exhausted.set(true);
            }
            stop
        })));
    }
    let context = Context::full(&runtime).map_err(|e| JsError::Engine(e.to_string()))?;
    let result = context.with(|ctx| evaluate(&ctx, script, input, &exhausted));
    // Drop the handler (and its captured state) before the runtime goes away.
    runtime.set_interrupt_handler(None);
    result
}

/// Binds `$`, runs the prelude and the script, and converts the completion value.
fn evaluate(
    ctx: &Ctx<'_>,
    script: &str,
    input: &Value,
    exhausted: &Cell<bool>,
) -> Result<Value, JsError> {
    let fail = |error: rquickjs::Error| classify(ctx, &error, exhausted.get());
    ctx.eval::<(), _>(PRELUDE).map_err(fail)?;
    let dollar = ctx.json_parse(input.to_string()).map_err(fail)?;
    ctx.globals().set("$", dollar).map_err(fail)?;
    let completion = ctx.eval::<rquickjs::Value, _>(script).map_err(fail)?;
    to_json(ctx, completion, exhausted)
}

#[cfg(test)]
mod tests;
