//! The engine: one thread that owns the store, and a cheap handle to talk to it.

mod batch;
mod cache;
mod commands;
mod event_log;
pub mod metrics;
mod recover;
mod start;

use crate::clock::Clock;
use crate::signals::QueueSignals;
use baton_core::{Event, Outcome, ParentLink, Timestamp, Transition, WorkflowStatus};
use baton_model::{TaskDef, ValidatedDef, WorkflowDef};
use baton_store::{Claimed, OpenReader, Reader, Store, StoreError};
use serde_json::Value;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};

/// Why an engine request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// The store failed; nothing of the request was committed. The store's kind is
    /// kept (`StoreError::is_retryable` tells whether trying again may work).
    #[error("storage failed: {0}")]
    Store(StoreError),
    /// The engine itself failed (it could not start its thread, encode an event).
    #[error("engine failure: {0}")]
    Internal(String),
    /// No registered definition has this name (and version).
    #[error("no workflow definition named `{name}`{}; register it first", version.map(|v| format!(" with version {v}")).unwrap_or_default())]
    UnknownDefinition {
        /// Name asked for.
        name: String,
        /// Version asked for.
        version: Option<u32>,
    },
    /// The definition does not validate.
    #[error("the definition is not valid: {0}")]
    InvalidDefinition(String),
    /// No workflow with this id.
    #[error("no workflow with id `{0}`")]
    UnknownWorkflow(String),
    /// The decider refused the request (wrong state, missing input, authority, ...).
    #[error("{0}")]
    Rejected(baton_core::Refusal),
    /// The engine has stopped.
    #[error("the engine has stopped")]
    Stopped,
    /// A start's idempotency key was used before, and its strategy (`Fail`, or
    /// `FailOnRunning` while that workflow runs) forbids starting again.
    #[error("workflow {workflow_id} was already started with idempotency key `{key}` (strategy {})", strategy.as_str())]
    AlreadyStarted {
        /// The workflow the key names.
        workflow_id: String,
        /// The key.
        key: String,
        /// The strategy the start asked for.
        strategy: IdempotencyStrategy,
    },
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        EngineError::Store(e)
    }
}

impl EngineError {
    /// Whether the same request may succeed if sent again.
    pub fn is_retryable(&self) -> bool {
        match self {
            EngineError::Store(e) => e.is_retryable(),
            EngineError::Stopped => true,
            _ => false,
        }
    }
}

/// How to start a workflow.
#[derive(Debug, Clone, Default)]
pub struct StartWorkflow {
    /// Registered definition name (ignored when `definition` is given).
    pub name: String,
    /// Version; `None` = latest.
    pub version: Option<u32>,
    /// An inline definition instead of a registered one.
    pub definition: Option<WorkflowDef>,
    /// Input.
    pub input: Value,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// Id to use (default: a new UUIDv7).
    pub workflow_id: Option<String>,
    /// A second start with the same key is decided by `idempotency_strategy`.
    pub idempotency_key: Option<String>,
    /// What a start whose key was used before does (default: return the first id).
    pub idempotency_strategy: IdempotencyStrategy,
    /// Parent link (sub-workflows).
    pub parent: Option<ParentLink>,
    /// Mode, breakpoints and domain of the run.
    pub options: baton_core::RunOptions,
    /// Who starts it (`None`: the engine or a parent); `authorize` checks it.
    pub by: Option<baton_core::Principal>,
}

/// What a start whose idempotency key names an existing workflow does (Conductor's
/// `idempotencyStrategy`). Decided on the engine thread, in the start's transaction, so
/// two concurrent starts with one key cannot both start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdempotencyStrategy {
    /// Answer the existing workflow's id; start nothing.
    #[default]
    ReturnExisting,
    /// Refuse: [`EngineError::AlreadyStarted`].
    Fail,
    /// Refuse while the existing workflow runs (or is paused); once it has ended, start
    /// a new one (the key keeps naming the first).
    FailOnRunning,
}

impl IdempotencyStrategy {
    /// Conductor's name (`RETURN_EXISTING`, `FAIL`, `FAIL_ON_RUNNING`).
    pub fn as_str(self) -> &'static str {
        match self {
            IdempotencyStrategy::ReturnExisting => "RETURN_EXISTING",
            IdempotencyStrategy::Fail => "FAIL",
            IdempotencyStrategy::FailOnRunning => "FAIL_ON_RUNNING",
        }
    }

    /// The strategy with Conductor's name `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::ReturnExisting, Self::Fail, Self::FailOnRunning]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// A line a worker logged with its result (`at` = when; `None` = when it is recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLogLine {
    /// When it was logged (ms since the epoch).
    pub at: Option<Timestamp>,
    /// The text.
    pub line: String,
}

/// Something that happened, for live displays (`baton run`, SSE). Sent after commit.
///
/// Every event but [`EngineEvent::QueueSeen`] (which concerns only this process) is also
/// written to the store's event log in the batch's transaction, under a durable id; see
/// [`EngineHandle::subscribe_durable`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A workflow started.
    WorkflowStarted {
        /// Its id.
        workflow_id: String,
        /// Definition name.
        name: String,
        /// When.
        at: Timestamp,
    },
    /// A task attempt changed status.
    Task {
        /// Its workflow.
        workflow_id: String,
        /// The change.
        transition: Transition,
        /// Attempt number.
        attempt: u32,
        /// When.
        at: Timestamp,
        /// Why (failures, skips).
        reason: Option<String>,
    },
    /// A workflow's status changed (paused, resumed, ended).
    WorkflowStatus {
        /// Its id.
        workflow_id: String,
        /// New status.
        status: WorkflowStatus,
        /// Why.
        reason: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// A task was queued on a queue this engine had not seen before (the local
    /// dispatcher starts serving it if it can).
    QueueSeen {
        /// The queue name.
        queue: String,
    },
    /// An ALERT_ONLY timeout or another condition an operator should see.
    Alert {
        /// Its workflow.
        workflow_id: String,
        /// What.
        message: String,
    },
}

impl EngineEvent {
    /// Whether the event goes to the durable event log (all but `QueueSeen`).
    pub fn is_durable(&self) -> bool {
        !matches!(self, EngineEvent::QueueSeen { .. })
    }

    /// The workflow it concerns, if any.
    pub fn workflow_id(&self) -> Option<&str> {
        match self {
            EngineEvent::WorkflowStarted { workflow_id, .. }
            | EngineEvent::Task { workflow_id, .. }
            | EngineEvent::WorkflowStatus { workflow_id, .. }
            | EngineEvent::Alert { workflow_id, .. } => Some(workflow_id),
            EngineEvent::QueueSeen { .. } => None,
        }
    }
}

/// An engine event with its durable id in the store's event log (`None` for events
/// that are not logged).
pub type NumberedEvent = (Option<u64>, EngineEvent);

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Most commands decided in one transaction.
    pub max_batch: usize,
    /// Lease given to a polled task with no response timeout.
    pub default_lease_ms: u64,
    /// Workflows kept in memory between events (ended ones are dropped at once).
    pub cache_capacity: usize,
    /// This node's id: the owner of the leases it hands out. At start the engine
    /// looks at the leases of this id only (its previous run's), never another node's.
    pub node_id: String,
    /// Worker ids of this node's in-process runners (the dispatcher's
    /// [`DispatchConfig::worker_id`](crate::dispatch::DispatchConfig::worker_id)). A
    /// graceful stop gives every lease back, so a lease one of them still holds at start
    /// is an attempt a crash interrupted: it is recorded as failed, and the task's retry
    /// policy decides what comes next. Leases of other workers (remote ones, over HTTP)
    /// are released: their tasks are handed out again, as the same attempt.
    pub local_workers: Vec<String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_batch: 1024,
            default_lease_ms: 600_000,
            cache_capacity: 5_000,
            node_id: "local".to_string(),
            local_workers: vec![crate::dispatch::LOCAL_WORKER.to_string()],
        }
    }
}

/// A closure run inside the engine's write transaction (metadata changes, task logs).
/// A job run inside the batch's transaction: its write status, and the reply to send
/// once the batch has committed (or failed).
pub(crate) type TxJob =
    Box<dyn FnOnce(&mut dyn baton_store::Tx) -> (Result<(), StoreError>, DeferredReply) + Send>;

/// A reply held until the batch's fate is known: `None` = committed.
pub(crate) type DeferredReply = Box<dyn FnOnce(Option<&EngineError>) + Send>;

/// A start whose inline definition (if any) was validated before it reached the engine
/// thread: validation is the caller's work, never the engine's.
pub(crate) struct PreparedStart {
    pub req: StartWorkflow,
    pub checked: Option<ValidatedDef>,
}

pub(crate) enum Command {
    Start(
        Box<PreparedStart>,
        oneshot::Sender<Result<String, EngineError>>,
    ),
    Event(String, Event, oneshot::Sender<Result<Outcome, EngineError>>),
    /// A worker's result and the log lines that came with it: the lines are kept only
    /// when the result is applied, in its transaction.
    EventWithLogs {
        workflow_id: String,
        event: Event,
        task_id: String,
        logs: Vec<TaskLogLine>,
        reply: oneshot::Sender<Result<Outcome, EngineError>>,
    },
    EventAndPoll {
        workflow_id: String,
        event: Event,
        queue: String,
        worker: String,
        reply: oneshot::Sender<Result<(Outcome, Vec<Claimed>), EngineError>>,
    },
    Poll {
        queue: String,
        count: usize,
        worker: String,
        reply: oneshot::Sender<Result<Vec<Claimed>, EngineError>>,
    },
    RegisterWorkflowDef(Box<ValidatedDef>, oneshot::Sender<Result<(), EngineError>>),
    RegisterTaskDef(Box<TaskDef>, oneshot::Sender<Result<(), EngineError>>),
    RemoveWorkflow(String, oneshot::Sender<Result<bool, EngineError>>),
    WithTx(TxJob),
    /// Start-up: fail the attempts a crash interrupted, release the other leases (see
    /// [`EngineConfig::local_workers`]). Only [`Engine::start`] sends it, first.
    Recover(oneshot::Sender<Result<(), EngineError>>),
    Shutdown(oneshot::Sender<()>),
}

/// A running engine. Dropping every handle and calling [`Engine::shutdown`] stops it.
pub struct Engine {
    handle: EngineHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A cheap, cloneable way to talk to the engine from any thread or task.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Command>,
    signals: Arc<QueueSignals>,
    events: broadcast::Sender<EngineEvent>,
    numbered: broadcast::Sender<Arc<Vec<NumberedEvent>>>,
    readers: Arc<dyn OpenReader>,
    clock: Arc<dyn Clock>,
}

impl Engine {
    /// Starts the engine thread over `store`. First, in one transaction decided like any
    /// other, it settles the leases this node (`config.node_id`) still held when its
    /// previous run stopped: attempts its local runners held were interrupted by a
    /// crash and are recorded as failed; the other leases are released, so their tasks
    /// are handed out again (see [`EngineConfig::local_workers`]). Other nodes' leases
    /// are theirs until they expire.
    pub fn start<S: Store + 'static>(
        store: S,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Result<Engine, EngineError> {
        let (tx, rx) = mpsc::channel();
        let signals = Arc::new(QueueSignals::default());
        let (events, _) = broadcast::channel(16_384);
        let (numbered, _) = broadcast::channel(1024);
        let readers: Arc<dyn OpenReader> =
            Arc::new(crate::caught_up::CaughtUpReaders(store.readers()));
        let mut worker = batch::Worker::new(
            Box::new(store),
            clock.clone(),
            config,
            signals.clone(),
            events.clone(),
            numbered.clone(),
        );
        // Decided here, before the thread runs anything else, so a failure is start's.
        let (reply, mut recovered) = oneshot::channel();
        worker.process(vec![Command::Recover(reply)]);
        match recovered.try_recv() {
            Ok(result) => result?,
            Err(_) => {
                return Err(EngineError::Internal(
                    "the start-up lease check gave no answer".to_string(),
                ));
            }
        }
        let thread = std::thread::Builder::new()
            .name("baton-engine".into())
            .spawn(move || worker.run(rx))
            .map_err(|e| EngineError::Internal(format!("cannot start the engine thread: {e}")))?;
        Ok(Engine {
            handle: EngineHandle {
                tx,
                signals,
                events,
                numbered,
                readers,
                clock,
            },
            thread: Some(thread),
        })
    }

    /// A handle to the engine.
    pub fn handle(&self) -> EngineHandle {
        self.handle.clone()
    }

    /// Finishes the commands already sent, commits, gives back every lease this node
    /// handed out (stop local runners first: their tasks then run again, as the same
    /// attempt, after a restart), and stops the thread.
    pub async fn shutdown(mut self) {
        let (reply, done) = oneshot::channel();
        if self.handle.tx.send(Command::Shutdown(reply)).is_ok() {
            let _ = done.await;
        }
        self.handle.signals.wake_all();
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }
}

impl EngineHandle {
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, EngineError>>) -> Command,
    ) -> Result<T, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Starts a workflow; returns its id once the start is committed. An inline
    /// definition is validated here, on the blocking pool, before the engine sees it.
    pub async fn start(&self, mut req: StartWorkflow) -> Result<String, EngineError> {
        let checked = match req.definition.take() {
            Some(def) => Some(validate_off_thread(def).await?),
            None => None,
        };
        let prepared = PreparedStart { req, checked };
        self.ask(|r| Command::Start(Box::new(prepared), r)).await
    }

    /// Starts a workflow on an inline definition the caller has already validated (its
    /// `req.definition` is not used), so it is not validated twice.
    pub async fn start_validated(
        &self,
        mut req: StartWorkflow,
        def: ValidatedDef,
    ) -> Result<String, EngineError> {
        req.definition = None;
        let prepared = PreparedStart {
            req,
            checked: Some(def),
        };
        self.ask(|r| Command::Start(Box::new(prepared), r)).await
    }

    /// Delivers an event to a workflow; returns what the decider made of it.
    pub async fn send(&self, workflow_id: &str, event: Event) -> Result<Outcome, EngineError> {
        let id = workflow_id.to_string();
        self.ask(|r| Command::Event(id, event, r)).await
    }

    /// Delivers a worker's result with the log lines it sent for `task_id`, in one
    /// transaction: the lines are appended only when the result is applied (a duplicate
    /// or late result changes nothing, its logs included).
    pub async fn send_with_logs(
        &self,
        workflow_id: &str,
        event: Event,
        task_id: &str,
        logs: Vec<TaskLogLine>,
    ) -> Result<Outcome, EngineError> {
        let (workflow_id, task_id) = (workflow_id.to_string(), task_id.to_string());
        self.ask(|reply| Command::EventWithLogs {
            workflow_id,
            event,
            task_id,
            logs,
            reply,
        })
        .await
    }

    /// Delivers a worker's result and, in the same transaction, leases the next visible
    /// task of `queue` to the same worker (Conductor's `update-v2`): one commit instead of
    /// two per step.
    pub async fn send_and_poll(
        &self,
        workflow_id: &str,
        event: Event,
        queue: &str,
        worker: &str,
    ) -> Result<(Outcome, Vec<Claimed>), EngineError> {
        let (workflow_id, queue, worker) = (
            workflow_id.to_string(),
            queue.to_string(),
            worker.to_string(),
        );
        self.ask(|reply| Command::EventAndPoll {
            workflow_id,
            event,
            queue,
            worker,
            reply,
        })
        .await
    }

    /// Registers a workflow definition version (validated here, on the blocking pool,
    /// before the engine sees it).
    pub async fn register_workflow_def(&self, def: WorkflowDef) -> Result<(), EngineError> {
        let def = validate_off_thread(def).await?;
        self.register_validated_def(def).await
    }

    /// Registers a workflow definition the caller has already validated.
    pub async fn register_validated_def(&self, def: ValidatedDef) -> Result<(), EngineError> {
        self.ask(|r| Command::RegisterWorkflowDef(Box::new(def), r))
            .await
    }

    /// Registers a task definition.
    pub async fn register_task_def(&self, def: TaskDef) -> Result<(), EngineError> {
        self.ask(|r| Command::RegisterTaskDef(Box::new(def), r))
            .await
    }

    /// Deletes a workflow with its history, queue rows and timers (Conductor's
    /// `DELETE /workflow/{id}/remove`); false if there was none.
    pub async fn remove_workflow(&self, workflow_id: &str) -> Result<bool, EngineError> {
        let id = workflow_id.to_string();
        self.ask(|r| Command::RemoveWorkflow(id, r)).await
    }

    /// Runs `f` inside the engine's next write transaction and returns its result once
    /// committed. For metadata changes (deleting definitions, task logs); workflow state
    /// must only change through [`EngineHandle::send`].
    pub async fn with_tx<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn baton_store::Tx) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, EngineError> {
        let (reply, rx) = oneshot::channel::<Result<T, EngineError>>();
        let job: TxJob = Box::new(move |tx| {
            let (out, status) = match f(tx) {
                Ok(v) => (Ok(v), Ok(())),
                Err(e) => (Err(EngineError::Store(e.clone())), Err(e)),
            };
            // Answered only after commit: a caller that reads right after must see it.
            let deferred: DeferredReply = Box::new(move |failed| {
                let _ = reply.send(match failed {
                    None => out,
                    Some(e) => Err(e.clone()),
                });
            });
            (status, deferred)
        });
        self.tx
            .send(Command::WithTx(job))
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Leases up to `count` tasks of `queue`, waiting up to `wait` for one to appear.
    /// Returns an empty list when none came (never busy-waits).
    pub async fn poll(
        &self,
        queue: &str,
        count: usize,
        worker: &str,
        wait: Duration,
    ) -> Result<Vec<Claimed>, EngineError> {
        let deadline = tokio::time::Instant::now() + wait;
        let notify = self.signals.get(queue);
        let mut signalled = true;
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Without a wake-up, only a delayed task can have become visible: look with a
            // cheap read first, so idle pollers never occupy the writer.
            if !signalled {
                let ready = self
                    .readers
                    .open()
                    .and_then(|r| r.has_ready_task(queue, self.clock.now()))
                    .unwrap_or(true);
                if !ready {
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        return Ok(Vec::new());
                    }
                    let nap = (deadline - now).min(Duration::from_secs(1));
                    signalled = tokio::time::timeout(nap, notified).await.is_ok();
                    continue;
                }
            }
            let (q, w) = (queue.to_string(), worker.to_string());
            let got = self
                .ask(|r| Command::Poll {
                    queue: q,
                    count,
                    worker: w,
                    reply: r,
                })
                .await?;
            if !got.is_empty() {
                return Ok(got);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(got);
            }
            // Delayed tasks (retry backoff, start delay) are not signalled when they
            // become visible, so look again at least once a second.
            let nap = (deadline - now).min(Duration::from_secs(1));
            signalled = tokio::time::timeout(nap, notified).await.is_ok();
        }
    }

    /// Subscribes to live engine events.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// Subscribes to committed events with their durable ids, one message per committed
    /// batch. A subscriber that falls behind gets `Lagged` and should catch up from the
    /// store (`Reader::events_after`) — nothing is lost, as every numbered event is in
    /// the store's event log before it is sent here.
    pub fn subscribe_durable(&self) -> broadcast::Receiver<Arc<Vec<NumberedEvent>>> {
        self.numbered.subscribe()
    }

    /// A read-only view of committed data.
    pub fn reader(&self) -> Result<Box<dyn Reader>, EngineError> {
        self.readers.open().map_err(EngineError::from)
    }
}

/// Validates a definition on tokio's blocking pool: a large one costs its caller time,
/// never the engine thread nor an async worker.
async fn validate_off_thread(def: WorkflowDef) -> Result<ValidatedDef, EngineError> {
    tokio::task::spawn_blocking(move || start::check(def))
        .await
        .map_err(|e| EngineError::Internal(format!("validation did not finish: {e}")))?
}
