//! The `JSON_JQ_TRANSFORM` task: jq (via jaq) on the task input.
//!
//! Input: `queryExpression` (a jq program); the program's input is the whole task input.
//! Output: `{"result": <first output or null>, "resultList": [<all outputs>]}`.
//!
//! **No escapes.** `env` (it would leak the server's secrets), `input`/`inputs`, `halt`,
//! `halt_error`, `debug` and `stderr` are removed from the library before compiling, and
//! `$ENV` is not defined; using them is a compile error.
//!
//! **Bounded evaluation.** jq has no step, memory or depth limit of its own: `def f: 1 +
//! f; f` recurses until the stack overflows (which aborts the process it runs in),
//! `last(repeat(1))` never ends, `[range(1e9)]` and `"a" | until(length > 1e10; . + .)`
//! allocate until the machine runs out. So where programs come from workflow
//! definitions, each one runs in a sandbox process ([`JqSandbox::Process`], the
//! `baton __jq-worker` subcommand, which `baton run` and `baton server` always use):
//! * the worker limits its own memory at start (`RLIMIT_DATA`, [`DEFAULT_MEMORY_LIMIT`]
//!   by default plus its evaluation stack): a runaway allocation aborts the worker, and
//!   the task fails with "jq program exceeded its memory limit of 256 MiB";
//! * it evaluates on a thread with a [`STACK_BYTES`] stack: a stack overflow aborts the
//!   worker, and the task fails with "jq program recursed too deeply (stack overflow)";
//! * the runner kills the worker (SIGKILL, then waits for it) at the deadline
//!   ([`DEFAULT_DEADLINE`]: "jq program did not finish within 5s") or when the task is
//!   canceled, so nothing keeps running afterwards; a worker also exits by itself when
//!   its stdin closes, so one outlives its server by no more than a pipe's close;
//! * an answer is read up to [`MAX_OUTPUT_BYTES`] of JSON ("output is too large").
//!
//! Workers start with an empty environment (but for an allocator setting that makes the
//! memory limit count what is used) and are reused: a small pool keeps up to
//! [`MAX_IDLE_WORKERS`] idle ones, at most [`MAX_RUNNING_WORKERS`]
//! evaluate at once, and a worker that failed in any way is never reused.
//! Every failure is a failed (retryable) outcome with its reason, never a panic.
//!
//! [`JqSandbox::InThread`] runs programs on a thread of the calling process, with the
//! deadline only: memory and depth are unbounded, a program past its deadline keeps its
//! thread busy until it ends, and a stack overflow aborts the process. It is for trusted
//! programs (tests, embedding); [`JqSandbox::from_env`] decides the library default.

mod eval;
mod failure;
mod protocol;
mod sandbox;
pub mod worker;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use eval::{JqError, run_jq};

use crate::registry::panic_message;
use crate::task::{BoxFuture, Runner, TaskOutcome, TaskRequest, input_field};
use failure::Failure;
use protocol::{Request, Response};

/// Default deadline of one program.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);
/// Default memory allowance of one program in the process sandbox.
pub const DEFAULT_MEMORY_LIMIT: u64 = 256 * 1024 * 1024;
/// At most this many outputs are collected; more fails the task.
pub const MAX_OUTPUTS: usize = 100_000;
/// Most bytes of JSON a sandboxed program may answer; more fails the task.
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;
/// Most idle sandbox workers kept for reuse.
pub const MAX_IDLE_WORKERS: usize = 4;
/// Most sandboxed evaluations running at once, each in its own worker; more wait for a
/// turn (their deadline starts when it comes). Bounds the memory all workers take together.
pub const MAX_RUNNING_WORKERS: usize = 8;
/// Stack size of a jq evaluation thread (deeply recursive programs).
pub const STACK_BYTES: usize = 64 * 1024 * 1024;
/// The hidden `baton` subcommand that runs [`worker::serve_stdio`].
pub const WORKER_COMMAND: &str = "__jq-worker";
/// Names a `baton` executable whose [`WORKER_COMMAND`] the library default sandbox runs
/// (see [`JqSandbox::from_env`]).
pub const WORKER_ENV: &str = "BATON_JQ_WORKER";

/// Where jq programs run (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JqSandbox {
    /// In worker processes run as `program args… --memory-limit BYTES`, which must serve
    /// [`worker::serve_stdio`] (`baton __jq-worker` does): bounded in time, memory and
    /// depth.
    Process {
        /// The worker executable (a path: workers get no `PATH`).
        program: PathBuf,
        /// Arguments before `--memory-limit`.
        args: Vec<String>,
    },
    /// On a thread of this process, with the deadline only: unbounded memory and depth.
    /// For trusted programs.
    InThread,
}

impl JqSandbox {
    /// Workers run by a `baton` executable: `baton __jq-worker`.
    pub fn baton_worker(baton: impl Into<PathBuf>) -> JqSandbox {
        JqSandbox::Process {
            program: baton.into(),
            args: vec![WORKER_COMMAND.to_owned()],
        }
    }

    /// The library default: [`JqSandbox::baton_worker`] of the executable named by
    /// `BATON_JQ_WORKER` when it is set and not empty, else [`JqSandbox::InThread`]. A
    /// library cannot know of a worker executable by itself; the `baton` binary does not
    /// rely on this and always passes itself.
    pub fn from_env() -> JqSandbox {
        match std::env::var_os(WORKER_ENV) {
            Some(path) if !path.is_empty() => JqSandbox::baton_worker(path),
            _ => JqSandbox::InThread,
        }
    }
}

/// How a runner evaluates, with its workers if it has any.
#[derive(Debug)]
enum Evaluator {
    InThread,
    Process(sandbox::Pool),
}

/// The `JSON_JQ_TRANSFORM` runner (see the module docs). Clones share their workers.
#[derive(Debug, Clone)]
pub struct JqRunner {
    /// How long one program may run.
    pub deadline: Duration,
    evaluator: Arc<Evaluator>,
}

impl Default for JqRunner {
    fn default() -> Self {
        JqRunner::new(DEFAULT_DEADLINE)
    }
}

impl JqRunner {
    /// A runner whose programs must finish within `deadline`, in the library default
    /// sandbox ([`JqSandbox::from_env`]).
    pub fn new(deadline: Duration) -> Self {
        JqRunner::with_sandbox(deadline, JqSandbox::from_env())
    }

    /// A runner whose programs must finish within `deadline`, run where `sandbox` says,
    /// with the [`DEFAULT_MEMORY_LIMIT`].
    pub fn with_sandbox(deadline: Duration, sandbox: JqSandbox) -> Self {
        JqRunner::with_limits(deadline, sandbox, DEFAULT_MEMORY_LIMIT)
    }

    /// Like [`JqRunner::with_sandbox`], with a memory allowance of `memory_limit` bytes
    /// per program (process sandbox only).
    pub fn with_limits(deadline: Duration, sandbox: JqSandbox, memory_limit: u64) -> Self {
        let evaluator = match sandbox {
            JqSandbox::InThread => Evaluator::InThread,
            JqSandbox::Process { program, args } => {
                Evaluator::Process(sandbox::Pool::new(program, args, memory_limit))
            }
        };
        JqRunner {
            deadline,
            evaluator: Arc::new(evaluator),
        }
    }

    /// Process ids of the worker processes this runner holds now, busy or idle (none
    /// in-thread): for monitoring, and for tests that check a stopped program's worker
    /// is gone.
    pub fn worker_pids(&self) -> Vec<u32> {
        match &*self.evaluator {
            Evaluator::InThread => Vec::new(),
            Evaluator::Process(pool) => pool.pids(),
        }
    }

    /// Evaluates one program where this runner's sandbox says.
    async fn evaluate(
        &self,
        request: Request,
        cancel: &CancellationToken,
    ) -> Result<Response, Failure> {
        match &*self.evaluator {
            Evaluator::InThread => in_thread(request, self.deadline, cancel).await,
            Evaluator::Process(pool) => pool.evaluate(&request, self.deadline, cancel).await,
        }
    }
}

/// Runs a program on its own thread of this process, within the deadline. A program
/// past its deadline is abandoned, not stopped: its thread runs on until it ends.
async fn in_thread(
    request: Request,
    deadline: Duration,
    cancel: &CancellationToken,
) -> Result<Response, Failure> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("baton-jq".to_owned())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let response = match catch_unwind(AssertUnwindSafe(|| {
                run_jq(&request.program, &request.input)
            })) {
                Ok(Ok(outputs)) => Response::Outputs(outputs),
                Ok(Err(e)) => Response::Failed(e),
                Err(payload) => Response::Panicked(panic_message(payload.as_ref())),
            };
            let _ = tx.send(response);
        })
        .map_err(|e| Failure::Thread(e.to_string()))?;
    tokio::select! {
        r = tokio::time::timeout(deadline, rx) => match r {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(Failure::Panicked("the jq thread ended without an answer".to_owned())),
            Err(_) => Err(Failure::Timeout(deadline)),
        },
        () = cancel.cancelled() => Err(Failure::Canceled),
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
            let request = Request {
                program,
                input: req.input,
            };
            match this.evaluate(request, &cancel).await {
                Ok(Response::Outputs(outputs)) => {
                    let first = outputs.first().cloned().unwrap_or(Value::Null);
                    TaskOutcome::completed(json!({"result": first, "resultList": outputs}))
                }
                Ok(Response::Failed(e)) => {
                    let reason = e.to_string();
                    let outcome = if matches!(e, JqError::Input(_)) {
                        TaskOutcome::failed(reason.clone())
                    } else {
                        TaskOutcome::terminal(reason.clone())
                    };
                    outcome.with_output(json!({"error": reason}))
                }
                Ok(Response::Panicked(message)) => failed(&Failure::Panicked(message)),
                Err(Failure::Canceled) => TaskOutcome::canceled(),
                Err(failure) => failed(&failure),
            }
        })
    }
}

/// A retryable failure whose output repeats the reason. Limits are not terminal: whether
/// another attempt can help (a less busy machine, for a deadline) is the retry policy's
/// call.
fn failed(failure: &Failure) -> TaskOutcome {
    let reason = failure.to_string();
    TaskOutcome::failed(reason.clone()).with_output(json!({"error": reason}))
}
