//! The `exec` runner: any program, in any language, as a task worker.
//!
//! Protocol:
//! * The task is written as JSON on stdin (`{"workflowId","taskId","refName","taskType",
//!   "queue","attempt","input"}`), then stdin is closed.
//! * The environment is the inherited one plus the config's `env`, `BATON_WORKFLOW_ID`,
//!   `BATON_TASK_ID`, `BATON_TASK_REF`, `BATON_QUEUE`, `BATON_ATTEMPT`, and
//!   `BATON_INPUT_<key>` for every top-level scalar input value (strings as-is, numbers and
//!   booleans as text; values over [`MAX_ENV_VALUE_BYTES`] and names with `=` are left out,
//!   as the OS limits environment sizes: read big values from stdin).
//! * stdout must be one JSON value: an object becomes the output, any other value becomes
//!   `{"result": v}`, empty stdout gives `{}`.
//! * A non-zero exit, a signal, a timeout or non-JSON stdout fail the task, with the tail of
//!   stderr in the reason.
//!
//! The command runs in its own process group: a timeout or a cancellation kills the whole
//! group (children and grandchildren too). When the command exits but something it started
//! keeps its stdout/stderr open, Baton waits [`PIPE_GRACE`] and then kills the group.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use process_wrap::tokio::{ChildWrapper, CommandWrap, ProcessGroup};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{CommandSpec, ExecSpec, format_duration};
use crate::task::{BoxFuture, Runner, TaskOutcome, TaskRequest, object_or_result};
use crate::text::{head, tail};

/// Most stdout kept; more fails the task (the rest is drained and dropped).
pub const MAX_STDOUT_BYTES: usize = 16 * 1024 * 1024;
/// How much of the end of stderr is kept.
const STDERR_KEEP_BYTES: usize = 64 * 1024;
/// How much of stderr goes into a failure reason.
const STDERR_REASON_LINES: usize = 20;
/// How many bytes of stderr go into a failure reason.
const STDERR_REASON_BYTES: usize = 2 * 1024;
/// Longest input value passed as a `BATON_INPUT_<key>` variable.
pub const MAX_ENV_VALUE_BYTES: usize = 32 * 1024;
/// Most bytes of all `BATON_INPUT_<key>` values together.
const MAX_ENV_TOTAL_BYTES: usize = 512 * 1024;
/// How long to wait for stdout/stderr to close after the command exited.
pub const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Runs a configured command for each task (see the module docs).
#[derive(Debug, Clone)]
pub struct ExecRunner {
    program: PathBuf,
    args: Vec<String>,
    /// How the command is named in failure reasons.
    display: String,
    timeout: Option<Duration>,
    env: Vec<(String, String)>,
    cwd: PathBuf,
}

impl ExecRunner {
    /// Builds a runner from its spec. A relative `cwd` is resolved against `base_dir`, and so
    /// is a program path with a `/` in it (`./agent.sh`, `bin/tool`); bare program names are
    /// looked up on `PATH`.
    pub fn new(spec: ExecSpec, base_dir: &Path) -> Self {
        let cwd = match &spec.cwd {
            Some(c) => base_dir.join(c),
            None => base_dir.to_path_buf(),
        };
        let (program, args, display) = match spec.command {
            CommandSpec::Shell(line) => (
                PathBuf::from("sh"),
                vec!["-c".to_owned(), line.clone()],
                line,
            ),
            CommandSpec::Argv(mut argv) => {
                let display = argv.join(" ");
                let first = if argv.is_empty() {
                    String::new()
                } else {
                    argv.remove(0)
                };
                let program = if first.contains('/') {
                    cwd.join(&first)
                } else {
                    PathBuf::from(&first)
                };
                (program, argv, display)
            }
        };
        ExecRunner {
            program,
            args,
            display,
            timeout: spec.timeout,
            env: spec.env.into_iter().collect(),
            cwd,
        }
    }
}

impl Runner for ExecRunner {
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let this = self.clone();
        Box::pin(async move { this.execute(req, cancel).await })
    }
}

/// How the wait for the command ended.
enum Ended {
    Exited(std::io::Result<ExitStatus>),
    TimedOut(Duration),
    Canceled,
}

/// Kills the process group when dropped before the command finished (e.g. when the
/// engine drops the future).
struct GroupGuard {
    child: Box<dyn ChildWrapper>,
    finished: bool,
}

impl GroupGuard {
    /// Sends SIGKILL to the whole group; errors (the group is already gone) are ignored.
    fn kill_group(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.kill_group();
        }
    }
}

impl ExecRunner {
    /// Runs the command for one task.
    async fn execute(&self, req: TaskRequest, cancel: CancellationToken) -> TaskOutcome {
        let stdin_json = match serde_json::to_vec(&req) {
            Ok(mut bytes) => {
                bytes.push(b'\n');
                bytes
            }
            Err(e) => return TaskOutcome::terminal(format!("cannot encode the task as JSON: {e}")),
        };
        self.run_with_stdin(&req, stdin_json, cancel).await
    }

    /// Runs the command for `req` with `stdin` as its standard input instead of the
    /// task's JSON (the environment is the same). Folder agents pass their task file.
    pub async fn run_with_stdin(
        &self,
        req: &TaskRequest,
        stdin_json: Vec<u8>,
        cancel: CancellationToken,
    ) -> TaskOutcome {
        if cancel.is_cancelled() {
            return TaskOutcome::canceled();
        }
        let mut cmd = CommandWrap::with_new(&self.program, |c| {
            c.args(&self.args)
                .current_dir(&self.cwd)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            for (k, v) in &self.env {
                c.env(k, v);
            }
            for (k, v) in task_env(req) {
                c.env(k, v);
            }
        });
        cmd.wrap(ProcessGroup::leader());
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => return TaskOutcome::failed(self.spawn_error(&e)),
        };
        let mut guard = GroupGuard {
            child,
            finished: false,
        };
        let stdin = guard.child.stdin().take();
        let stdout = guard.child.stdout().take();
        let stderr = guard.child.stderr().take();
        let writer = tokio::spawn(async move {
            if let Some(mut stdin) = stdin {
                // A command that does not read its stdin is fine: ignore broken pipes.
                let _ = stdin.write_all(&stdin_json).await;
                let _ = stdin.shutdown().await;
            }
        });
        let mut readers = Readers {
            out: tokio::spawn(read_capped(stdout, MAX_STDOUT_BYTES, false)),
            err: tokio::spawn(read_capped(stderr, STDERR_KEEP_BYTES, true)),
            out_done: None,
            err_done: None,
        };

        let ended = {
            let wait = guard.child.wait();
            tokio::select! {
                status = wait => Ended::Exited(status),
                () = sleep_or_forever(self.timeout) => Ended::TimedOut(self.timeout.unwrap_or_default()),
                () = cancel.cancelled() => Ended::Canceled,
            }
        };
        let status = match ended {
            Ended::Exited(status) => status,
            Ended::TimedOut(_) | Ended::Canceled => {
                guard.kill_group();
                let _ = guard.child.wait().await;
                guard.finished = true;
                writer.abort();
                // The group is dead, so the pipes close; bound the wait all the same.
                readers.finish(PIPE_GRACE).await;
                return match ended {
                    Ended::TimedOut(d) => failure(
                        format!("timed out after {}", format_duration(d)),
                        None,
                        &readers.stderr_text(),
                    ),
                    _ => TaskOutcome::canceled(),
                };
            }
        };
        let status = match status {
            Ok(s) => s,
            Err(e) => {
                guard.kill_group();
                guard.finished = true;
                return TaskOutcome::failed(format!("waiting for `{}` failed: {e}", self.display));
            }
        };
        // Normal exit: give the pipes a moment to drain; kill leftovers that hold them open.
        if !readers.finish(PIPE_GRACE).await {
            guard.kill_group();
            readers.finish(PIPE_GRACE).await;
        }
        guard.finished = true;
        writer.abort();
        let stderr_text = readers.stderr_text();

        if let Some(code) = status.code() {
            if code != 0 {
                return failure(format!("exit code {code}"), Some(code), &stderr_text);
            }
        } else {
            let signal = exit_signal(&status);
            return failure(
                format!("killed by {}", signal_name(signal)),
                None,
                &stderr_text,
            );
        }
        let Some(out) = readers.out_done.take() else {
            return TaskOutcome::failed(
                "could not read stdout (a process the command started keeps it open)",
            );
        };
        if out.overflowed {
            return TaskOutcome::failed(format!(
                "stdout exceeded {} MiB",
                MAX_STDOUT_BYTES / (1024 * 1024)
            ));
        }
        parse_stdout(&out.bytes)
    }

    /// A clear reason for a command that could not start.
    fn spawn_error(&self, e: &std::io::Error) -> String {
        let program = self.program.display();
        match e.kind() {
            std::io::ErrorKind::NotFound if !self.cwd.is_dir() => {
                format!(
                    "cannot start `{}`: working directory {} does not exist",
                    self.display,
                    self.cwd.display()
                )
            }
            std::io::ErrorKind::NotFound => {
                format!(
                    "cannot start `{}`: executable `{program}` not found",
                    self.display
                )
            }
            std::io::ErrorKind::PermissionDenied => {
                format!(
                    "cannot start `{}`: permission denied for `{program}` (is it executable?)",
                    self.display
                )
            }
            _ => format!("cannot start `{}`: {e}", self.display),
        }
    }
}

/// Sleeps for `d`, or forever when there is no timeout.
async fn sleep_or_forever(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// The stdout and stderr readers of a command.
struct Readers {
    out: JoinHandle<Captured>,
    err: JoinHandle<Captured>,
    out_done: Option<Captured>,
    err_done: Option<Captured>,
}

impl Readers {
    /// Waits up to `limit` for both pipes to close; returns whether both did. Readers still
    /// running when `limit` passes keep running (call again, or drop to abort them).
    async fn finish(&mut self, limit: Duration) -> bool {
        let deadline = tokio::time::sleep(limit);
        tokio::pin!(deadline);
        while self.out_done.is_none() || self.err_done.is_none() {
            tokio::select! {
                o = &mut self.out, if self.out_done.is_none() => {
                    self.out_done = Some(o.unwrap_or_default());
                }
                e = &mut self.err, if self.err_done.is_none() => {
                    self.err_done = Some(e.unwrap_or_default());
                }
                () = &mut deadline => return false,
            }
        }
        true
    }

    /// What was read from stderr, as text.
    fn stderr_text(&self) -> String {
        self.err_done
            .as_ref()
            .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
            .unwrap_or_default()
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.out.abort();
        self.err.abort();
    }
}

/// A failed outcome with the stderr tail in the reason and the output.
fn failure(what: String, exit_code: Option<i32>, stderr: &str) -> TaskOutcome {
    let excerpt = tail(stderr, STDERR_REASON_LINES, STDERR_REASON_BYTES);
    let reason = if excerpt.is_empty() {
        format!("{what} (no stderr)")
    } else {
        format!("{what}: {excerpt}")
    };
    let mut output = Map::new();
    if let Some(code) = exit_code {
        output.insert("exitCode".to_owned(), json!(code));
    }
    output.insert("stderr".to_owned(), Value::String(excerpt));
    TaskOutcome::failed(reason).with_output(Value::Object(output))
}

/// Turns stdout into the task output.
fn parse_stdout(bytes: &[u8]) -> TaskOutcome {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return TaskOutcome::completed(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) => TaskOutcome::completed(object_or_result(v)),
        Err(e) => TaskOutcome::failed(format!(
            "stdout is not JSON: {e}; stdout starts with: {}",
            head(trimmed, 200)
        )),
    }
}

/// The `BATON_*` environment of a task.
fn task_env(req: &TaskRequest) -> Vec<(String, String)> {
    let mut env = vec![
        ("BATON_WORKFLOW_ID".to_owned(), req.workflow_id.clone()),
        ("BATON_TASK_ID".to_owned(), req.task_id.clone()),
        ("BATON_TASK_REF".to_owned(), req.ref_name.clone()),
        ("BATON_QUEUE".to_owned(), req.queue.clone()),
        ("BATON_ATTEMPT".to_owned(), req.attempt.to_string()),
    ];
    let mut total = 0_usize;
    if let Value::Object(m) = &req.input {
        for (k, v) in m {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            // Names with `=` or NUL, and values with NUL, cannot be environment variables.
            if k.is_empty() || k.contains(['=', '\0']) || text.contains('\0') {
                continue;
            }
            if text.len() > MAX_ENV_VALUE_BYTES || total + text.len() > MAX_ENV_TOTAL_BYTES {
                continue;
            }
            total += text.len();
            env.push((format!("BATON_INPUT_{k}"), text));
        }
    }
    env
}

/// What was read from a pipe.
#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    /// More than the cap arrived (dropped from the end for stdout, from the start for stderr).
    overflowed: bool,
}

/// Reads a pipe to its end, keeping at most `cap` bytes: the first ones, or the last ones
/// when `keep_tail`. Always drains the pipe so the writer never blocks.
async fn read_capped<R: AsyncRead + Unpin>(
    pipe: Option<R>,
    cap: usize,
    keep_tail: bool,
) -> Captured {
    let mut captured = Captured::default();
    let Some(mut pipe) = pipe else {
        return captured;
    };
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if keep_tail {
            captured.bytes.extend_from_slice(chunk);
            if captured.bytes.len() > cap {
                let excess = captured.bytes.len() - cap;
                captured.bytes.drain(..excess);
                captured.overflowed = true;
            }
        } else if captured.bytes.len() + n <= cap {
            captured.bytes.extend_from_slice(chunk);
        } else {
            let room = cap - captured.bytes.len();
            captured.bytes.extend_from_slice(&chunk[..room]);
            captured.overflowed = true;
        }
    }
    captured
}

/// The signal that ended a process (0 when unknown).
fn exit_signal(status: &ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.signal().unwrap_or(0)
}

/// `SIGKILL (9)` style name of a signal number.
fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        _ => return format!("signal {sig}"),
    };
    format!("signal {name} ({sig})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_shapes() {
        assert_eq!(parse_stdout(b""), TaskOutcome::completed(json!({})));
        assert_eq!(
            parse_stdout(b" {\"a\":1}\n"),
            TaskOutcome::completed(json!({"a": 1}))
        );
        assert_eq!(
            parse_stdout(b"[1,2]"),
            TaskOutcome::completed(json!({"result": [1, 2]}))
        );
        let bad = parse_stdout(b"hello");
        assert!(
            bad.reason()
                .is_some_and(|r| r.starts_with("stdout is not JSON") && r.ends_with("hello"))
        );
    }

    #[test]
    fn env_from_input() {
        let req = TaskRequest {
            workflow_id: "w".into(),
            task_id: "t".into(),
            ref_name: "r".into(),
            task_type: "SIMPLE".into(),
            queue: "q".into(),
            attempt: 2,
            input: json!({"s": "x", "n": 3, "b": true, "o": {}, "a=b": "no", "nul": "a\u{0}b"}),
            agent_level: None,
        };
        let env = task_env(&req);
        assert!(env.contains(&("BATON_INPUT_s".into(), "x".into())));
        assert!(env.contains(&("BATON_INPUT_n".into(), "3".into())));
        assert!(env.contains(&("BATON_INPUT_b".into(), "true".into())));
        assert!(env.contains(&("BATON_ATTEMPT".into(), "2".into())));
        assert!(
            !env.iter()
                .any(|(k, _)| k == "BATON_INPUT_o" || k.contains('=') || k.ends_with("nul"))
        );
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(9), "signal SIGKILL (9)");
        assert_eq!(signal_name(64), "signal 64");
    }
}
