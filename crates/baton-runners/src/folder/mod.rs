//! The `folder` runner: agents reached through an inbox and an outbox folder (the seeds'
//! `1N`/`0UT` protocol).
//!
//! ```yaml
//! runners:
//!   scanner:
//!     folder: {root: agents/scanner, format: yaml, timeout: 5m}
//! ```
//!
//! For each attempt Baton writes `ROOT/1N/task-{workflowId}-{taskId}.yaml` (a
//! [`TaskDocument`](files::TaskDocument)), whole or not at all. The agent answers with
//! `ROOT/0UT/result-{workflowId}-{taskId}.yaml` (a [`ResultDocument`](files::ResultDocument):
//! `status`, `output`, `reason`, `logs`), best written under a name starting with `.` and
//! renamed. Baton watches `0UT`, applies a valid result like any worker's and moves it,
//! and the task file, to `archive/`. A malformed result, one for an unknown task or for an
//! attempt that ended, and a duplicate go to `rejected/` with a `NAME.error` note; a
//! malformed result for a live attempt fails that attempt with the note's reason. When
//! the deadline passes the task file is withdrawn to `archive/` with a `.note`, and the
//! attempt fails (`timed out`): the task's retry policy writes a new task file.
//!
//! The folders are the durable record of the exchange: a Baton that restarts picks up
//! where it was (a claim of the same attempt finds its task file, its deadline and any
//! result already written), so a folder agent's attempts are handed out again after a
//! crash instead of being failed (see [`Runner::worker_id`]).

pub mod agent;
pub mod files;
mod mailbox;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::config::format_duration;
use crate::task::{AttemptLookup, BoxFuture, Runner, TaskOutcome, TaskRequest, WaitsOn};
use files::{ARCHIVE, FileFormat, INBOX, OUTBOX, ResultDocument, ResultStatus, TaskDocument};
use mailbox::{Delivery, Mailbox};

/// Default `timeout` of a folder runner.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default interval of the full rescan of `0UT`.
pub const DEFAULT_RESCAN: Duration = Duration::from_secs(2);
/// A claim waits at most this long before it reports the attempt still running, which
/// renews its lease (shorter than the engine's default lease of 10 minutes).
const LEASE_RENEWAL: Duration = Duration::from_secs(240);

/// A `folder:` runner.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderSpec {
    /// The agent's folder (holding `1N`, `0UT`, `archive/`, `rejected/`), relative to the
    /// config's base directory.
    pub root: PathBuf,
    /// How task files are written (results are read in either format).
    pub format: FileFormat,
    /// How long an attempt waits for its result.
    pub timeout: Duration,
    /// How often `0UT` is rescanned in full, besides the file watch.
    pub rescan: Duration,
}

/// Runs tasks through an agent's folders (see the module docs).
pub struct FolderRunner {
    agent: String,
    spec: FolderSpec,
    mailbox: Arc<Mailbox>,
}

impl std::fmt::Debug for FolderRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderRunner")
            .field("agent", &self.agent)
            .field("root", &self.mailbox.root)
            .finish()
    }
}

impl FolderRunner {
    /// A runner for the agent `agent` (its name in the runners file), with a relative
    /// `root` resolved against `base_dir`.
    pub fn new(agent: &str, spec: FolderSpec, base_dir: &Path) -> Self {
        let root = base_dir.join(&spec.root);
        let root = std::path::absolute(&root).unwrap_or(root);
        FolderRunner {
            agent: agent.to_owned(),
            mailbox: Mailbox::for_root(&root, spec.rescan),
            spec,
        }
    }

    /// The agent's folder.
    pub fn root(&self) -> &Path {
        &self.mailbox.root
    }

    /// The root as the runners file wrote it (relative paths read best in hints).
    fn root_as_given(&self) -> String {
        self.spec.root.display().to_string()
    }

    /// Runs one claim of an attempt: finds or writes its task file, then waits for its
    /// result, its deadline, a lease renewal or cancellation.
    async fn execute(
        &self,
        req: TaskRequest,
        cancel: CancellationToken,
    ) -> (TaskOutcome, Vec<String>) {
        self.mailbox.ensure_started();
        let prepared = {
            let (mailbox, agent, spec, req) = (
                Arc::clone(&self.mailbox),
                self.agent.clone(),
                self.spec.clone(),
                req.clone(),
            );
            tokio::task::spawn_blocking(move || prepare(&mailbox, &agent, &spec, &req))
                .await
                .unwrap_or_else(|e| Err(format!("preparing the task file failed: {e}")))
        };
        let deadline = match prepared {
            Ok(Prepared::Done(outcome, logs)) => return (outcome, logs),
            Ok(Prepared::Wait(deadline)) => deadline,
            Err(e) => {
                return (
                    TaskOutcome::failed(format!("folder agent `{}`: {e}", self.agent)),
                    vec![],
                );
            }
        };
        let rx = self.mailbox.wait_for(&req.workflow_id, &req.task_id);
        let left = deadline
            .duration_since(files::now())
            .try_into()
            .unwrap_or(Duration::ZERO);
        let renew = left > LEASE_RENEWAL;
        let wait = if renew { LEASE_RENEWAL } else { left };
        tokio::pin!(rx);
        let delivery = tokio::select! {
            d = &mut rx => d.ok(),
            () = tokio::time::sleep(wait) => None,
            () = cancel.cancelled() => None,
        };
        let delivery = match delivery {
            Some(d) => d,
            // The wait ended; unless a delivery took it meanwhile, nothing will come.
            None if self.mailbox.stop_waiting(&req.task_id) => {
                if cancel.is_cancelled() {
                    return (TaskOutcome::canceled(), vec![]);
                }
                if renew {
                    return (still_running(), vec![]);
                }
                return (self.withdraw(&req, deadline).await, vec![]);
            }
            None => match rx.await {
                Ok(d) => d,
                Err(_) => return (still_running(), vec![]),
            },
        };
        match delivery {
            Delivery::Result(doc) => outcome_of(doc),
            Delivery::Malformed(what) => (
                TaskOutcome::failed(format!(
                    "folder agent `{}` wrote a malformed result: {what}",
                    self.agent
                )),
                vec![],
            ),
            Delivery::Superseded => (still_running(), vec![]),
        }
    }

    /// The deadline passed: moves the task file to `archive/` with a note and fails
    /// the attempt.
    async fn withdraw(&self, req: &TaskRequest, deadline: jiff::Timestamp) -> TaskOutcome {
        let (mailbox, spec, req2) = (Arc::clone(&self.mailbox), self.spec.clone(), req.clone());
        let _ = tokio::task::spawn_blocking(move || {
            withdraw_task_file(&mailbox, &spec, &req2, deadline);
        })
        .await;
        timed_out(&self.agent, &self.spec, deadline)
    }
}

impl Runner for FolderRunner {
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let fut = self.run_logged(req, cancel);
        Box::pin(async move { fut.await.0 })
    }

    fn run_logged(
        &self,
        req: TaskRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<(TaskOutcome, Vec<String>)> {
        let this = FolderRunner {
            agent: self.agent.clone(),
            spec: self.spec.clone(),
            mailbox: Arc::clone(&self.mailbox),
        };
        Box::pin(async move { this.execute(req, cancel).await })
    }

    fn worker_id(&self) -> Option<String> {
        Some(format!("folder:{}", self.agent))
    }

    fn attach(&self, lookup: Arc<dyn AttemptLookup>) {
        self.mailbox.attach(lookup);
    }

    fn waits_on(&self) -> Option<WaitsOn> {
        let root = self.root_as_given();
        Some(WaitsOn {
            what: format!("folder agent `{}`", self.agent),
            place: format!("{root}/{INBOX}"),
            start: format!("baton agent serve --root {root} -- CMD ARGS..."),
        })
    }
}

/// What a claim found before waiting.
enum Prepared {
    /// The attempt is decided already (a result was there, or its deadline passed).
    Done(TaskOutcome, Vec<String>),
    /// The task file is in `1N`; wait until this deadline.
    Wait(jiff::Timestamp),
}

/// Looks for what an earlier claim of the attempt left (its result, its task file, its
/// withdrawal), else writes the task file.
fn prepare(
    mailbox: &Mailbox,
    agent: &str,
    spec: &FolderSpec,
    req: &TaskRequest,
) -> Result<Prepared, String> {
    mailbox.ensure_dirs().map_err(|e| {
        format!(
            "cannot create its folders in {}: {e}",
            mailbox.root.display()
        )
    })?;
    let (wf, task) = (&req.workflow_id, &req.task_id);
    // A result archived by a claim that then could not report it (a crash between the
    // two): this attempt is live, so that result was never applied.
    for f in [FileFormat::Yaml, FileFormat::Json] {
        let archived = mailbox
            .dir(ARCHIVE)
            .join(files::result_file_name(wf, task, f));
        let in_outbox = mailbox
            .dir(OUTBOX)
            .join(files::result_file_name(wf, task, f));
        if archived.exists()
            && !in_outbox.exists()
            && let Ok(doc) = files::read_result(&archived, f)
        {
            mailbox.archive_task_file(wf, task);
            let (outcome, logs) = outcome_of(doc);
            return Ok(Prepared::Done(outcome, logs));
        }
    }
    // A result waiting in `0UT` (the agent may have taken its task file away): the
    // watch hands it over as soon as this claim waits; never issue the task again.
    if [FileFormat::Yaml, FileFormat::Json].into_iter().any(|f| {
        mailbox
            .dir(OUTBOX)
            .join(files::result_file_name(wf, task, f))
            .exists()
    }) {
        return Ok(Prepared::Wait(add(files::now(), spec.timeout)));
    }
    for f in [FileFormat::Yaml, FileFormat::Json] {
        let inbox = mailbox.dir(INBOX).join(files::task_file_name(wf, task, f));
        if inbox.exists() {
            let deadline = files::read_capped(&inbox, files::MAX_RESULT_BYTES)
                .ok()
                .and_then(|b| f.decode(&b).ok())
                .and_then(|v| serde_json::from_value::<TaskDocument>(v).ok())
                .and_then(|d| d.deadline.parse::<jiff::Timestamp>().ok());
            // A task file Baton cannot read back keeps the attempt waiting a full timeout.
            let deadline = deadline.unwrap_or_else(|| add(files::now(), spec.timeout));
            return Ok(Prepared::Wait(deadline));
        }
        let withdrawn = mailbox
            .dir(ARCHIVE)
            .join(format!("{}.note", files::task_file_name(wf, task, f)));
        if withdrawn.exists() {
            // Withdrawn at its deadline by a claim that could not report the timeout.
            return Ok(Prepared::Done(
                TaskOutcome::failed(format!(
                    "timed out: folder agent `{agent}` did not answer by the deadline (see archive/{})",
                    withdrawn
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                )),
                vec![],
            ));
        }
    }
    let now = files::now();
    let deadline = add(now, spec.timeout);
    let doc = TaskDocument {
        workflow_id: wf.clone(),
        task_id: task.clone(),
        task_ref: req.ref_name.clone(),
        task_name: req.queue.clone(),
        attempt: req.attempt,
        agent_level: req.agent_level.clone(),
        issued_at: now.to_string(),
        deadline: deadline.to_string(),
        input: req.input.clone(),
    };
    let bytes = spec
        .format
        .encode(&doc)
        .map_err(|e| format!("cannot encode the task file: {e}"))?;
    let name = files::task_file_name(wf, task, spec.format);
    files::write_atomic(&mailbox.dir(INBOX), &name, &bytes)
        .map_err(|e| format!("cannot write {INBOX}/{name}: {e}"))?;
    Ok(Prepared::Wait(deadline))
}

/// Moves the task file of a timed-out attempt to `archive/` and writes its `.note`.
fn withdraw_task_file(
    mailbox: &Mailbox,
    spec: &FolderSpec,
    req: &TaskRequest,
    deadline: jiff::Timestamp,
) {
    for f in [FileFormat::Yaml, FileFormat::Json] {
        let name = files::task_file_name(&req.workflow_id, &req.task_id, f);
        let path = mailbox.dir(INBOX).join(&name);
        if !path.exists() {
            continue;
        }
        let archive = mailbox.dir(ARCHIVE);
        let moved = files::move_into(&path, &archive);
        let moved_name = moved
            .as_ref()
            .ok()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(name);
        let note = format!(
            "withdrawn at: {}\nwhy: no result by the deadline {deadline} (timeout {})\n\
             next: the task's retry policy decides; a retry gets a new task file with a new task id\n",
            files::now(),
            format_duration(spec.timeout),
        );
        if let Err(e) =
            files::write_atomic(&archive, &format!("{moved_name}.note"), note.as_bytes())
        {
            tracing::warn!("folder agent: cannot write the note for {moved_name}: {e}");
        }
    }
}

fn timed_out(agent: &str, spec: &FolderSpec, deadline: jiff::Timestamp) -> TaskOutcome {
    TaskOutcome::failed(format!(
        "timed out: folder agent `{agent}` did not answer within {} (deadline {deadline}); \
         the task file was withdrawn to archive/",
        format_duration(spec.timeout)
    ))
}

/// The claim ends without a result; the attempt stays running and is claimed again at
/// once (which renews its lease).
fn still_running() -> TaskOutcome {
    TaskOutcome::InProgress {
        output: Value::Object(serde_json::Map::new()),
        callback_after_ms: 0,
    }
}

/// The outcome and log lines of a valid result.
fn outcome_of(doc: ResultDocument) -> (TaskOutcome, Vec<String>) {
    let output = Value::Object(doc.output);
    let outcome = match doc.status {
        ResultStatus::Completed => TaskOutcome::Completed { output },
        ResultStatus::Failed | ResultStatus::FailedWithTerminalError => TaskOutcome::Failed {
            reason: doc
                .reason
                .unwrap_or_else(|| "the agent reported the task failed".to_owned()),
            output,
            terminal: doc.status == ResultStatus::FailedWithTerminalError,
        },
    };
    (outcome, doc.logs)
}

fn add(t: jiff::Timestamp, d: Duration) -> jiff::Timestamp {
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d).ok())
        .unwrap_or(jiff::Timestamp::MAX)
}
