//! The other side of the folder protocol: any command as a folder agent
//! (`baton agent serve --root DIR -- CMD ARGS...`).
//!
//! The agent watches `ROOT/1N`. For each task file without an answer it runs the command
//! with the task file, as JSON, on stdin (and the `exec` runner's `BATON_*` environment),
//! and writes what the command prints as `ROOT/0UT/result-….{yaml,json}`, in the task
//! file's format, whole or not at all. stdout is either a full result (`status`, and
//! only `output`, `reason`, `logs` besides) or, as with `exec`, just the output. A
//! non-zero exit is a `FAILED` result with the tail of stderr as its reason.
//!
//! It never answers a task twice: a task whose result is in `0UT`, `archive/` or
//! `rejected/` is skipped, so a restarted agent goes on where it stopped. A command
//! still running at the task's deadline is killed and nothing is written: Baton has
//! withdrawn the task by then.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use super::files::{
    self, ARCHIVE, INBOX, OUTBOX, REJECTED, ResultDocument, ResultStatus, TaskDocument,
};
use crate::config::{CommandSpec, ExecSpec};
use crate::exec::ExecRunner;
use crate::task::{TaskOutcome, TaskRequest};

/// How `baton agent serve` runs.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The agent's folder.
    pub root: PathBuf,
    /// The command and its arguments.
    pub command: Vec<String>,
    /// Most tasks worked at once.
    pub concurrency: usize,
    /// How often `1N` is rescanned in full, besides the file watch.
    pub rescan: Duration,
}

/// What went wrong starting an agent.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// No command was given.
    #[error(
        "no command given: write it after `--`, e.g. `baton agent serve --root DIR -- python3 agent.py`"
    )]
    NoCommand,
    /// The folders cannot be made.
    #[error("cannot create the agent's folders in {root}: {source}")]
    Folders {
        /// The root.
        root: String,
        /// Why.
        source: std::io::Error,
    },
}

/// What one task came to, for the agent's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The task file's name.
    pub task_file: String,
    /// `COMPLETED`, `FAILED`, ..., or what happened instead of a result.
    pub result: String,
}

/// Serves the folder until `cancel` fires; `on_handled` hears of every task it finished.
///
/// # Errors
/// [`AgentError`] when it cannot start; once running, a failing task becomes a `FAILED`
/// result, never an error.
pub async fn serve(
    config: AgentConfig,
    cancel: CancellationToken,
    on_handled: impl Fn(Handled) + Send + Sync + 'static,
) -> Result<(), AgentError> {
    if config.command.is_empty() {
        return Err(AgentError::NoCommand);
    }
    let root = std::path::absolute(&config.root).unwrap_or(config.root.clone());
    for d in [INBOX, OUTBOX] {
        std::fs::create_dir_all(root.join(d)).map_err(|source| AgentError::Folders {
            root: root.display().to_string(),
            source,
        })?;
    }
    let runner = Arc::new(ExecRunner::new(
        ExecSpec {
            command: CommandSpec::Argv(config.command.clone()),
            timeout: None,
            env: Default::default(),
            cwd: None,
        },
        &std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    ));
    let wake = Arc::new(Notify::new());
    let watcher = {
        let wake = Arc::clone(&wake);
        notify::recommended_watcher(move |_res: notify::Result<notify::Event>| wake.notify_one())
            .ok()
            .and_then(|mut w| {
                use notify::Watcher as _;
                w.watch(&root.join(INBOX), notify::RecursiveMode::NonRecursive)
                    .ok()
                    .map(|()| w)
            })
    };
    if watcher.is_none() {
        tracing::warn!("cannot watch {}/{INBOX}; rescanning only", root.display());
    }
    let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let on_handled = Arc::new(on_handled);
    let mut running = tokio::task::JoinSet::new();
    loop {
        let todo = {
            let (root, busy) = (root.clone(), Arc::clone(&busy));
            tokio::task::spawn_blocking(move || pending_tasks(&root, &busy))
                .await
                .unwrap_or_default()
        };
        for name in todo {
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                break;
            };
            busy.lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.clone());
            let (root, runner, busy, on_handled, cancel, wake) = (
                root.clone(),
                Arc::clone(&runner),
                Arc::clone(&busy),
                Arc::clone(&on_handled),
                cancel.clone(),
                Arc::clone(&wake),
            );
            running.spawn(async move {
                let result = work(&root, &name, &runner, cancel).await;
                on_handled(Handled {
                    task_file: name.clone(),
                    result,
                });
                busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&name);
                drop(permit);
                wake.notify_one();
            });
        }
        while running.try_join_next().is_some() {}
        tokio::select! {
            () = wake.notified() => tokio::time::sleep(Duration::from_millis(20)).await,
            () = tokio::time::sleep(config.rescan) => {}
            () = cancel.cancelled() => break,
        }
    }
    // Commands still running are killed (dropping their futures kills their process
    // groups); their tasks have no result and are worked again after a restart.
    running.shutdown().await;
    drop(watcher);
    Ok(())
}

/// Task files in `1N` that nobody is working on and that have no answer yet.
fn pending_tasks(root: &Path, busy: &Mutex<HashSet<String>>) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join(INBOX)) else {
        return Vec::new();
    };
    let busy = busy.lock().unwrap_or_else(|p| p.into_inner());
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !files::is_in_progress(n) && !busy.contains(n))
        .filter(|n| files::parse_file_name(n, "task").is_some())
        .filter(|n| !answered(root, n))
        .collect();
    names.sort();
    names
}

/// Whether a result for this task file exists anywhere (never answer twice).
fn answered(root: &Path, task_file: &str) -> bool {
    let Some(result) = task_file.strip_prefix("task-") else {
        return true;
    };
    let Some((stem, _)) = result.rsplit_once('.') else {
        return true;
    };
    [OUTBOX, ARCHIVE, REJECTED].iter().any(|dir| {
        ["yaml", "yml", "json"]
            .iter()
            .any(|ext| root.join(dir).join(format!("result-{stem}.{ext}")).exists())
    })
}

/// Works one task file; returns what came of it.
async fn work(root: &Path, name: &str, runner: &ExecRunner, cancel: CancellationToken) -> String {
    let Some(parsed) = files::parse_file_name(name, "task") else {
        return "skipped: not a task file".to_owned();
    };
    let path = root.join(INBOX).join(name);
    let started = Instant::now();
    let doc = files::read_capped(&path, files::MAX_RESULT_BYTES)
        .and_then(|b| parsed.format.decode(&b))
        .and_then(|v| {
            serde_json::from_value::<TaskDocument>(v).map_err(|e| format!("not a task file: {e}"))
        });
    let result = match doc {
        Err(_) if files::is_fresh(&path, Duration::from_secs(1)) => {
            return "skipped: still being written".to_owned();
        }
        Err(what) => ResultDocument {
            status: ResultStatus::FailedWithTerminalError,
            output: Map::new(),
            reason: Some(format!(
                "the agent could not read its task file {name}: {what}"
            )),
            logs: vec![],
        },
        Ok(doc) => {
            let deadline = doc.deadline.parse::<jiff::Timestamp>().ok();
            let left = deadline.map(|d| {
                d.duration_since(files::now())
                    .try_into()
                    .unwrap_or(Duration::ZERO)
            });
            if left == Some(Duration::ZERO) {
                return "skipped: its deadline has passed".to_owned();
            }
            let stdin = match serde_json::to_vec(&doc) {
                Ok(mut b) => {
                    b.push(b'\n');
                    b
                }
                Err(e) => return format!("skipped: cannot encode the task: {e}"),
            };
            let req = TaskRequest {
                workflow_id: doc.workflow_id.clone(),
                task_id: doc.task_id.clone(),
                ref_name: doc.task_ref.clone(),
                task_type: "SIMPLE".to_owned(),
                queue: doc.task_name.clone(),
                attempt: doc.attempt,
                input: doc.input.clone(),
                agent_level: doc.agent_level.clone(),
            };
            let run = runner.run_with_stdin(&req, stdin, cancel.clone());
            let outcome = match left {
                Some(left) => match tokio::time::timeout(left, run).await {
                    Ok(o) => o,
                    Err(_) => return "killed: the command ran past the task's deadline".to_owned(),
                },
                None => run.await,
            };
            if cancel.is_cancelled() {
                return "stopped: the agent is shutting down".to_owned();
            }
            result_of(outcome)
        }
    };
    let format = parsed.format;
    let result_name = files::result_file_name(&parsed.workflow_id, &parsed.task_id, format);
    let bytes = match format.encode(&result) {
        Ok(b) => b,
        Err(e) => return format!("failed: cannot encode the result: {e}"),
    };
    match files::write_atomic(&root.join(OUTBOX), &result_name, &bytes) {
        Ok(_) => format!(
            "{} in {:.1}s",
            status_name(result.status),
            started.elapsed().as_secs_f64()
        ),
        Err(e) => format!("failed: cannot write {OUTBOX}/{result_name}: {e}"),
    }
}

/// The result file for a command's outcome.
fn result_of(outcome: TaskOutcome) -> ResultDocument {
    match outcome {
        TaskOutcome::Completed { output } => {
            if let Some(doc) = as_result(&output) {
                return doc;
            }
            ResultDocument {
                status: ResultStatus::Completed,
                output: into_map(output),
                reason: None,
                logs: vec![],
            }
        }
        TaskOutcome::Failed {
            reason,
            output,
            terminal,
        } => ResultDocument {
            status: if terminal {
                ResultStatus::FailedWithTerminalError
            } else {
                ResultStatus::Failed
            },
            output: into_map(output),
            reason: Some(reason),
            logs: vec![],
        },
        TaskOutcome::InProgress { output, .. } => ResultDocument {
            status: ResultStatus::Failed,
            output: into_map(output),
            reason: Some("the command reported the task still in progress".to_owned()),
            logs: vec![],
        },
    }
}

/// stdout that is a whole result: a `status` of the protocol's and no keys but the
/// result's.
fn as_result(output: &Value) -> Option<ResultDocument> {
    let map = output.as_object()?;
    let status = map.get("status")?.as_str()?;
    if !["COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR"].contains(&status) {
        return None;
    }
    files::check_result(output.clone()).ok()
}

fn into_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            let mut m = Map::new();
            m.insert("result".to_owned(), other);
            m
        }
    }
}

fn status_name(s: ResultStatus) -> &'static str {
    match s {
        ResultStatus::Completed => "COMPLETED",
        ResultStatus::Failed => "FAILED",
        ResultStatus::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder::files::FileFormat;
    use serde_json::json;

    #[test]
    fn stdout_is_a_result_only_when_it_has_the_result_shape() {
        let full = result_of(TaskOutcome::completed(
            json!({"status": "FAILED", "reason": "no disk", "output": {}}),
        ));
        assert_eq!(full.status, ResultStatus::Failed);
        assert_eq!(full.reason.as_deref(), Some("no disk"));
        let plain = result_of(TaskOutcome::completed(json!({"status": "green", "n": 1})));
        assert_eq!(plain.status, ResultStatus::Completed);
        assert_eq!(plain.output.get("status"), Some(&json!("green")));
        let mixed = result_of(TaskOutcome::completed(
            json!({"status": "COMPLETED", "n": 1}),
        ));
        assert_eq!(mixed.status, ResultStatus::Completed);
        assert_eq!(
            mixed.output.get("n"),
            Some(&json!(1)),
            "plain output with a status key"
        );
        let failed = result_of(TaskOutcome::terminal("bad input"));
        assert_eq!(failed.status, ResultStatus::FailedWithTerminalError);
    }

    #[test]
    fn a_task_with_a_result_anywhere_is_answered() {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in [INBOX, OUTBOX, ARCHIVE, REJECTED] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        let name = files::task_file_name("w", "w-t1", FileFormat::Yaml);
        assert!(!answered(dir.path(), &name));
        std::fs::write(dir.path().join(ARCHIVE).join("result-w-w-t1.json"), "{}").expect("write");
        assert!(answered(dir.path(), &name));
    }
}
