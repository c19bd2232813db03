//! The sandbox worker: the process side of [`super::JqSandbox::Process`].
//!
//! `baton __jq-worker --memory-limit BYTES` runs [`serve_stdio`]: it lowers its own
//! resource limits first, then answers requests from stdin on stdout (one JSON value per
//! line each way: `{"program", "input"}` in, `{"outputs": [...]}`, `{"failed": ...}` or
//! `{"panicked": "..."}` out) until stdin closes. Evaluations run one at a time on a thread with
//! a large stack while the main thread keeps reading stdin, so the worker exits as soon as
//! the runner closes the pipe or dies — even in the middle of a program that never ends.
//!
//! Whatever a program does, only this process suffers: a stack overflow or a failed
//! allocation aborts it (the Rust runtime prints "has overflowed its stack" or "memory
//! allocation of N bytes failed" on stderr, which the runner reads to word the reason).

use std::io::{BufRead as _, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::sync::mpsc;

use rustix::process::{Resource, Rlimit, setrlimit};

use super::protocol::{self, Request, Response};
use super::{STACK_BYTES, run_jq};
use crate::registry::panic_message;

/// Room for the worker's own data beside the program's allowance and the evaluation
/// stack: the main thread, stdio buffers, the allocator's bookkeeping.
const RUNTIME_BYTES: u64 = 32 * 1024 * 1024;

/// Exit status when the worker cannot set itself up or the runner broke the protocol.
const SETUP_FAILED: u8 = 3;

/// Serves evaluation requests on stdin/stdout until stdin closes (see the module docs).
/// `memory_limit` is the program's allowance in bytes.
///
/// The limit is `RLIMIT_DATA`, which Linux applies to the heap and every private
/// writable mapping (so also to the evaluation thread's stack, which is added to it).
/// Core dumps are turned off: an aborted worker must not leave a core file of hundreds
/// of megabytes behind.
pub fn serve_stdio(memory_limit: u64) -> ExitCode {
    if let Err(e) = limit_resources(memory_limit) {
        eprintln!("the jq worker cannot limit its resources: {e}");
        return ExitCode::from(SETUP_FAILED);
    }
    // A panic in jaq is answered as `Response::Panicked`; nothing goes to stderr, which
    // is kept for the runtime's fatal messages.
    std::panic::set_hook(Box::new(|_| {}));
    let (requests, inbox) = mpsc::channel::<Request>();
    let evaluator = std::thread::Builder::new()
        .name("baton-jq".to_owned())
        .stack_size(STACK_BYTES)
        .spawn(move || evaluate_all(&inbox));
    if let Err(e) = evaluator {
        eprintln!("the jq worker cannot start its evaluation thread: {e}");
        return ExitCode::from(SETUP_FAILED);
    }
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else {
            return ExitCode::from(SETUP_FAILED);
        };
        let request = match serde_json::from_str::<Request>(&line) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("the jq worker got a request it cannot read: {e}");
                return ExitCode::from(SETUP_FAILED);
            }
        };
        if requests.send(request).is_err() {
            return ExitCode::from(SETUP_FAILED);
        }
    }
    // The runner closed stdin (or is gone): returning ends the process, and with it any
    // evaluation still running.
    ExitCode::SUCCESS
}

/// Lowers this process's limits: data (heap and anonymous mappings) and core dumps.
fn limit_resources(memory_limit: u64) -> std::io::Result<()> {
    let data = memory_limit
        .saturating_add(STACK_BYTES as u64)
        .saturating_add(RUNTIME_BYTES);
    let at_most = |n: u64| Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    setrlimit(Resource::Data, at_most(data))?;
    setrlimit(Resource::Core, at_most(0))?;
    Ok(())
}

/// Evaluates requests in order and writes each answer as one line on stdout.
fn evaluate_all(inbox: &mpsc::Receiver<Request>) {
    for request in inbox {
        let response = match catch_unwind(AssertUnwindSafe(|| {
            run_jq(&request.program, &request.input)
        })) {
            Ok(Ok(outputs)) => Response::Outputs(outputs),
            Ok(Err(e)) => Response::Failed(e),
            Err(payload) => Response::Panicked(panic_message(payload.as_ref())),
        };
        drop(request);
        let Ok(line) = protocol::encode(&response) else {
            std::process::exit(i32::from(SETUP_FAILED));
        };
        let mut out = std::io::stdout().lock();
        if out.write_all(&line).and_then(|()| out.flush()).is_err() {
            // Nobody is listening any more.
            std::process::exit(i32::from(SETUP_FAILED));
        }
    }
}
