//! The runner side of the process sandbox: worker processes, kept in a small pool.
//!
//! A worker is started with an empty environment (but for one allocator setting, see
//! [`MIMALLOC_LAZY_COMMIT`]), `/` as its directory and all three standard streams piped. It serves one evaluation at a time; after a clean answer it
//! goes back to the pool (at most [`MAX_IDLE_WORKERS`] wait there), so most evaluations
//! cost two pipe writes, not a process start. Any other ending — deadline, cancel, an
//! oversized or unreadable answer — kills it with SIGKILL and waits for it (no zombie, no
//! CPU burner left behind); it never serves again. A worker that died on its own is
//! waited for, and the end of its stderr tells why.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::failure::Failure;
use super::protocol::{self, ReadError, Request, Response};
use super::{MAX_IDLE_WORKERS, MAX_OUTPUT_BYTES, MAX_RUNNING_WORKERS};
use crate::text::tail;

/// How much of the end of a worker's stderr is kept.
const STDERR_KEEP_BYTES: usize = 8 * 1024;
/// How long a worker that closed its stdout may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The one variable a worker's otherwise empty environment holds. The `baton` binary's
/// allocator (mimalloc) maps a 1 GiB arena up front, committed, when the OS overcommits
/// (Linux). `RLIMIT_DATA` counts all of it at once — the evaluation thread's stack would
/// not fit under the limit — and nothing allocated inside it later, so the limit would
/// never bite. Committed as it is used, memory counts as it is used.
const MIMALLOC_LAZY_COMMIT: (&str, &str) = ("MIMALLOC_ARENA_EAGER_COMMIT", "0");

/// Process ids of the workers a pool holds (busy or idle).
type LivePids = Arc<Mutex<HashSet<u32>>>;

/// Worker processes of one runner (and its clones).
pub(crate) struct Pool {
    program: PathBuf,
    args: Vec<String>,
    memory_limit: u64,
    idle: Mutex<Vec<Worker>>,
    turns: Semaphore,
    live: LivePids,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("memory_limit", &self.memory_limit)
            .finish_non_exhaustive()
    }
}

/// One worker process and its pipes.
struct Worker {
    child: Child,
    pid: u32,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Collects the end of stderr; yields it once the process has exited.
    stderr: Option<JoinHandle<Vec<u8>>>,
    live: LivePids,
}

impl Drop for Worker {
    /// A worker dropped without [`retire`] (its evaluation's future was dropped) is
    /// killed by `kill_on_drop` and reaped by tokio in the background.
    fn drop(&mut self) {
        lock(&self.live).remove(&self.pid);
        if let Some(task) = self.stderr.take() {
            task.abort();
        }
    }
}

/// Why an exchange with a worker gave no response.
enum ExchangeError {
    /// The worker's pipes closed: it exited.
    Closed,
    /// The answer is longer than [`MAX_OUTPUT_BYTES`].
    TooLong,
    /// The answer is not a response.
    Garbled(String),
}

impl Pool {
    /// Workers run `program args… --memory-limit <memory_limit>`.
    pub(crate) fn new(program: PathBuf, args: Vec<String>, memory_limit: u64) -> Pool {
        Pool {
            program,
            args,
            memory_limit,
            idle: Mutex::new(Vec::new()),
            turns: Semaphore::new(MAX_RUNNING_WORKERS),
            live: Arc::default(),
        }
    }

    /// The worker processes held now, busy or idle.
    pub(crate) fn pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = lock(&self.live).iter().copied().collect();
        pids.sort_unstable();
        pids
    }

    /// Runs one request in a worker, within `deadline` (counted from when a worker is
    /// free to take it) and until `cancel` fires.
    pub(crate) async fn evaluate(
        &self,
        request: &Request,
        deadline: Duration,
        cancel: &CancellationToken,
    ) -> Result<Response, Failure> {
        let line = protocol::encode(request).map_err(|e| Failure::Protocol(e.to_string()))?;
        let _turn = tokio::select! {
            turn = self.turns.acquire() => turn.map_err(|_| Failure::Canceled)?,
            () = cancel.cancelled() => return Err(Failure::Canceled),
        };
        let mut worker = match self.take_idle() {
            Some(w) => w,
            None => self.spawn()?,
        };
        let ended = {
            let exchange = tokio::time::timeout(deadline, worker.exchange(&line));
            tokio::select! {
                r = exchange => Some(r),
                () = cancel.cancelled() => None,
            }
        };
        match ended {
            None => {
                retire(worker).await;
                Err(Failure::Canceled)
            }
            Some(Err(_elapsed)) => {
                retire(worker).await;
                Err(Failure::Timeout(deadline))
            }
            Some(Ok(Ok(response))) => {
                self.give_back(worker).await;
                Ok(response)
            }
            Some(Ok(Err(ExchangeError::Closed))) => Err(self.autopsy(worker).await),
            Some(Ok(Err(ExchangeError::TooLong))) => {
                retire(worker).await;
                Err(Failure::OutputTooLarge(MAX_OUTPUT_BYTES as u64))
            }
            Some(Ok(Err(ExchangeError::Garbled(why)))) => {
                retire(worker).await;
                Err(Failure::Protocol(why))
            }
        }
    }

    /// An idle worker that is still alive, if any (dead ones are reaped and dropped).
    fn take_idle(&self) -> Option<Worker> {
        let mut idle = lock(&self.idle);
        while let Some(mut w) = idle.pop() {
            if matches!(w.child.try_wait(), Ok(None)) {
                return Some(w);
            }
        }
        None
    }

    /// Starts a worker process.
    fn spawn(&self) -> Result<Worker, Failure> {
        let spawn_failed = |error: String| Failure::Spawn {
            program: self.program.display().to_string(),
            error,
        };
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .arg("--memory-limit")
            .arg(self.memory_limit.to_string())
            .env_clear()
            .env(MIMALLOC_LAZY_COMMIT.0, MIMALLOC_LAZY_COMMIT.1)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| spawn_failed(e.to_string()))?;
        let (Some(stdin), Some(stdout), Some(stderr), Some(pid)) = (
            child.stdin.take(),
            child.stdout.take(),
            child.stderr.take(),
            child.id(),
        ) else {
            // Dropping the child kills it.
            return Err(spawn_failed("its pipes could not be set up".to_owned()));
        };
        lock(&self.live).insert(pid);
        Ok(Worker {
            child,
            pid,
            stdin,
            stdout: BufReader::new(stdout),
            stderr: Some(tokio::spawn(keep_tail(stderr))),
            live: Arc::clone(&self.live),
        })
    }

    /// Puts a worker that answered cleanly back in the pool, or retires it when the
    /// pool is full.
    async fn give_back(&self, worker: Worker) {
        let extra = {
            let mut idle = lock(&self.idle);
            if idle.len() < MAX_IDLE_WORKERS {
                idle.push(worker);
                None
            } else {
                Some(worker)
            }
        };
        if let Some(w) = extra {
            retire(w).await;
        }
    }

    /// Waits for a worker that closed its pipes and tells why it died.
    async fn autopsy(&self, mut worker: Worker) -> Failure {
        let status = match tokio::time::timeout(EXIT_GRACE, worker.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            _ => {
                let _ = worker.child.start_kill();
                worker.child.wait().await.ok()
            }
        };
        let stderr = match worker.stderr.take() {
            Some(task) => match tokio::time::timeout(EXIT_GRACE, task).await {
                Ok(Ok(bytes)) => bytes,
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        classify(status, &stderr, self.memory_limit)
    }
}

impl Worker {
    /// Sends one request line and reads one response line.
    async fn exchange(&mut self, line: &[u8]) -> Result<Response, ExchangeError> {
        // A write error means the worker is gone (EPIPE); its pipes tell the rest.
        if self.stdin.write_all(line).await.is_err() || self.stdin.flush().await.is_err() {
            return Err(ExchangeError::Closed);
        }
        let answer = match protocol::read_line(&mut self.stdout, MAX_OUTPUT_BYTES).await {
            Ok(a) => a,
            Err(ReadError::Closed) => return Err(ExchangeError::Closed),
            Err(ReadError::TooLong) => return Err(ExchangeError::TooLong),
        };
        serde_json::from_slice(&answer).map_err(|e| ExchangeError::Garbled(e.to_string()))
    }
}

/// Kills a worker and waits for it to be gone.
async fn retire(mut worker: Worker) {
    let _ = worker.child.start_kill();
    let _ = worker.child.wait().await;
}

/// Why a worker died, from its exit status and the end of its stderr: the Rust runtime
/// prints "thread '…' has overflowed its stack" before aborting on a stack overflow, and
/// "memory allocation of N bytes failed" when an allocation fails.
fn classify(status: Option<ExitStatus>, stderr: &[u8], memory_limit: u64) -> Failure {
    let text = String::from_utf8_lossy(stderr);
    if text.contains("has overflowed its stack") {
        Failure::Stack
    } else if text.contains("memory allocation of") {
        Failure::Memory(memory_limit)
    } else {
        let last = tail(&text, 5, 500);
        Failure::Crashed {
            status: status.map_or_else(|| "status unknown".to_owned(), |s| s.to_string()),
            stderr: if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            },
        }
    }
}

/// Reads a worker's stderr to its end, keeping the last [`STDERR_KEEP_BYTES`].
async fn keep_tail(mut stderr: ChildStderr) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stderr.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > 2 * STDERR_KEEP_BYTES {
                    kept.drain(..kept.len() - STDERR_KEEP_BYTES);
                }
            }
        }
    }
    if kept.len() > STDERR_KEEP_BYTES {
        kept.drain(..kept.len() - STDERR_KEEP_BYTES);
    }
    kept
}

/// Locks a mutex whose data stays valid even if a holder panicked.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deaths_are_told_apart() {
        let stack = b"\nthread 'baton-jq' has overflowed its stack\nfatal runtime error: stack overflow, aborting\n";
        assert_eq!(classify(None, stack, 1), Failure::Stack);
        let memory = b"memory allocation of 2147483648 bytes failed\n";
        assert_eq!(classify(None, memory, 7), Failure::Memory(7));
        let other = classify(None, b"something else\n", 7);
        assert!(
            other
                .to_string()
                .starts_with("the jq sandbox stopped unexpectedly")
                && other.to_string().ends_with(": something else"),
            "{other}"
        );
    }

    #[tokio::test]
    async fn a_missing_program_is_a_clear_failure() {
        let pool = Pool::new(PathBuf::from("/nonexistent/baton"), Vec::new(), 1 << 20);
        let request = Request {
            program: ".".into(),
            input: serde_json::Value::Null,
        };
        let cancel = CancellationToken::new();
        let failure = pool
            .evaluate(&request, Duration::from_secs(1), &cancel)
            .await
            .expect_err("no such program");
        assert!(
            failure
                .to_string()
                .starts_with("cannot start the jq sandbox `/nonexistent/baton`"),
            "{failure}"
        );
        assert!(pool.pids().is_empty());
    }
}
