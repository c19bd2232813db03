//! Baton's durable storage.
//!
//! The engine drives a [`Store`] from a single thread: it opens one write transaction
//! ([`Store::begin`]), applies a batch of decisions through [`Tx`] (history appends,
//! snapshot updates, queue rows, timers), and commits once — a group commit. A
//! transaction that is not committed leaves no trace, so a crash at any point loses no
//! committed transition and never exposes half of one.
//!
//! Readers ([`Store::reader`]) see committed data only and may live on other threads.
//!
//! Both sides are composed of narrow per-table traits — definitions, workflows and
//! their history, the queue, timers, logs — so a caller or a new table (tokens,
//! approvals, schedules) names only what it uses: [`Tx`] is [`DefinitionsTx`] +
//! [`WorkflowsTx`] + [`QueueTx`] + [`TimersTx`] + [`LogsTx`] + commit, and every type
//! with the five read traits is a [`Reader`]. `use baton_store::prelude::*` brings
//! them all into scope.
//!
//! Implementations: [`sqlite::SqliteStore`] (embedded default). A PostgreSQL
//! implementation fits the same trait: `claim` becomes `FOR UPDATE SKIP LOCKED`, and
//! `load_workflow` locks the workflow row so several nodes can share one database.

pub mod keys;
pub mod sqlite;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod types;

pub use keys::ApiKey;
pub use types::*;

/// The store traits, to import at once where a `dyn Tx` or `dyn Reader` is used (their
/// methods live on the per-table traits they are composed of).
pub mod prelude {
    pub use crate::{
        DefinitionsRead, DefinitionsTx, KeysRead, KeysTx, LogsRead, LogsTx, OpenReader, QueueRead,
        QueueTx, Reader, Store, TimersRead, TimersTx, Tx, WorkflowsRead, WorkflowsTx,
    };
}

use baton_model::{TaskDef, WorkflowDef};
use baton_state::{Event, QueuedTask, Timer, Timestamp, WorkflowState};

/// A store of workflows, their histories, queues and timers.
pub trait Store: Send {
    /// Opens a write transaction. Only one is open at a time.
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>, StoreError>;

    /// Something that opens read-only views of committed data from any thread.
    fn readers(&self) -> std::sync::Arc<dyn OpenReader>;

    /// Opens a read-only view of committed data, usable from another thread.
    fn reader(&self) -> Result<Box<dyn Reader>, StoreError> {
        self.readers().open()
    }
}

/// Opens readers; shared by the API and CLI threads while the store itself lives on the
/// engine thread.
pub trait OpenReader: Send + Sync {
    /// A new read-only view.
    fn open(&self) -> Result<Box<dyn Reader>, StoreError>;
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls everything back.
pub trait Tx: DefinitionsTx + WorkflowsTx + QueueTx + TimersTx + LogsTx + KeysTx {
    /// Makes everything durable.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Definitions in a write transaction: content-addressed workflow definitions, their
/// registered names and versions, and task definitions.
pub trait DefinitionsTx {
    /// Stores a definition by content hash (idempotent) and returns the hash.
    fn put_definition(&mut self, def: &WorkflowDef) -> Result<String, StoreError>;
    /// A definition by content hash.
    fn definition(&mut self, hash: &str) -> Result<Option<WorkflowDef>, StoreError>;
    /// Registers `def` under its name and version (replacing that version).
    fn register_workflow_def(&mut self, def: &WorkflowDef) -> Result<(), StoreError>;
    /// A registered definition: the given version, or the latest.
    fn workflow_def(
        &mut self,
        name: &str,
        version: Option<u32>,
    ) -> Result<Option<WorkflowDef>, StoreError>;
    /// Removes a registered definition version; false if there was none.
    fn delete_workflow_def(&mut self, name: &str, version: u32) -> Result<bool, StoreError>;
    /// Registers (or replaces) a task definition.
    fn put_task_def(&mut self, def: &TaskDef) -> Result<(), StoreError>;
    /// A task definition by name.
    fn task_def(&mut self, name: &str) -> Result<Option<TaskDef>, StoreError>;
    /// Removes a task definition; false if there was none.
    fn delete_task_def(&mut self, name: &str) -> Result<bool, StoreError>;
}

/// Workflows in a write transaction: rows, checkpoints and the history (the record of
/// truth), with the expected-length check that makes a second writer a typed conflict.
pub trait WorkflowsTx {
    /// Creates a workflow row; false (and nothing written) if the id exists.
    fn create_workflow(
        &mut self,
        meta: &WorkflowMeta,
        state: &WorkflowState,
    ) -> Result<bool, StoreError>;
    /// A workflow's row and snapshot.
    fn load_workflow(&mut self, id: &str) -> Result<Option<StoredWorkflow>, StoreError>;
    /// Replaces a workflow's checkpoint — the state after its first `covers` history
    /// events — and the status column. Between checkpoints, readers replay the history
    /// after it (the history is the record of truth; the checkpoint saves replay work).
    fn save_state(
        &mut self,
        id: &str,
        state: &WorkflowState,
        covers: u64,
    ) -> Result<(), StoreError>;
    /// Appends events to a workflow's history, numbered from `first_seq` (and moves the
    /// row's `updated_at` to the last event's time). `first_seq` is the length the
    /// writer expects the history to have: if it has another, nothing is written and the
    /// error is [`StoreError::Conflict`] (another writer got there first).
    fn append_history(
        &mut self,
        id: &str,
        first_seq: u64,
        events: &[(Timestamp, &Event)],
    ) -> Result<(), StoreError>;
    /// The stored length of a workflow's history (`None` if there is no such workflow):
    /// the cheap read that tells a writer whether its cached copy is still current.
    fn history_len(&mut self, id: &str) -> Result<Option<u64>, StoreError>;
    /// Deletes a workflow with its history, queued tasks and timers; false if absent.
    fn delete_workflow(&mut self, id: &str) -> Result<bool, StoreError>;
    /// Idempotency: the workflow started earlier with this key, if any.
    fn workflow_by_key(&mut self, key: &str) -> Result<Option<String>, StoreError>;
}

/// The task queue in a write transaction: enqueue, dequeue, leased claims.
pub trait QueueTx {
    /// Puts a task on its queue (replacing a row with the same task id).
    fn enqueue(&mut self, workflow_id: &str, task: &QueuedTask) -> Result<(), StoreError>;
    /// Removes a task from its queue (no-op if absent).
    fn dequeue(&mut self, task_id: &str) -> Result<(), StoreError>;
    /// Leases up to `max` visible tasks of `queue` to `worker` until `now + lease_ms`,
    /// on behalf of the node `owner`. A task whose lease expired is visible again
    /// (at-least-once delivery).
    #[allow(clippy::too_many_arguments)]
    fn claim(
        &mut self,
        queue: &str,
        max: usize,
        now: Timestamp,
        lease_ms: u64,
        worker: &str,
        owner: &str,
    ) -> Result<Vec<Claimed>, StoreError>;
    /// Releases the leases node `owner` handed out (when that node restarts, its
    /// workers' leases are void); other nodes' leases are left alone and simply expire.
    fn release_leases(&mut self, owner: &str) -> Result<u64, StoreError>;
    /// Every lease node `owner` handed out that is still on a queued task, expired or
    /// not (an expired lease still names the last worker that got the task), ordered by
    /// task id. A restarting node reads them to tell which attempts its own runners were
    /// running when it stopped.
    fn leases(&mut self, owner: &str) -> Result<Vec<Lease>, StoreError>;
}

/// Timers in a write transaction.
pub trait TimersTx {
    /// Arms a timer, replacing the one with the same id for this workflow.
    fn put_timer(&mut self, workflow_id: &str, timer: &Timer) -> Result<(), StoreError>;
    /// Removes a timer (no-op if absent).
    fn delete_timer(&mut self, workflow_id: &str, timer_id: &str) -> Result<(), StoreError>;
    /// Removes every timer of a workflow.
    fn delete_timers_of(&mut self, workflow_id: &str) -> Result<(), StoreError>;
    /// Timers due at `now`, earliest first.
    fn due_timers(
        &mut self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(String, Timer)>, StoreError>;

    /// When the earliest timer is due.
    fn next_timer_due(&mut self) -> Result<Option<Timestamp>, StoreError>;
}

/// Append-only logs in a write transaction: task execution logs and the engine event log.
pub trait LogsTx {
    /// Appends a line to a task's execution log.
    fn append_task_log(
        &mut self,
        task_id: &str,
        at: Timestamp,
        log: &str,
    ) -> Result<(), StoreError>;

    /// Appends one batch of engine events (each the text of one JSON value) to the durable event log
    /// and returns the id given to the first; the others follow it one by one. Ids only
    /// grow and are never reused, so a stream can resume after the last id it saw.
    /// Returns 0 and writes nothing for an empty batch.
    fn append_events(&mut self, at: Timestamp, events: &[String]) -> Result<u64, StoreError>;
}

/// API keys in a write transaction.
pub trait KeysTx {
    /// Stores a new key; a key id that exists is [`StoreError::AlreadyExists`].
    fn insert_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError>;
    /// Revokes a key at `at`; false when there is no such key or it was revoked before.
    fn revoke_api_key(&mut self, key_id: &str, at: Timestamp) -> Result<bool, StoreError>;
}

/// Read-only access to committed data.
pub trait Reader:
    DefinitionsRead + WorkflowsRead + QueueRead + TimersRead + LogsRead + KeysRead + Send
{
}

impl<T: DefinitionsRead + WorkflowsRead + QueueRead + TimersRead + LogsRead + KeysRead + Send>
    Reader for T
{
}

/// API keys, read from committed data.
pub trait KeysRead {
    /// A key by id (revoked ones too).
    fn api_key(&self, key_id: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Every key, revoked ones too, oldest first.
    fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError>;
}

/// Definitions, read from committed data.
pub trait DefinitionsRead {
    /// A definition by content hash.
    fn definition(&self, hash: &str) -> Result<Option<WorkflowDef>, StoreError>;
    /// A registered definition: the given version, or the latest.
    fn workflow_def(
        &self,
        name: &str,
        version: Option<u32>,
    ) -> Result<Option<WorkflowDef>, StoreError>;
    /// Every registered definition (all versions).
    fn workflow_defs(&self) -> Result<Vec<WorkflowDef>, StoreError>;
    /// Every task definition.
    fn task_defs(&self) -> Result<Vec<TaskDef>, StoreError>;
    /// A task definition by name.
    fn task_def(&self, name: &str) -> Result<Option<TaskDef>, StoreError>;
}

/// Workflows and their histories, read from committed data.
pub trait WorkflowsRead {
    /// A workflow's row and snapshot.
    fn workflow(&self, id: &str) -> Result<Option<StoredWorkflow>, StoreError>;
    /// A workflow's history in order.
    fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError>;
    /// Workflows matching `filter`, newest first.
    fn list_workflows(&self, filter: &WorkflowFilter) -> Result<Vec<WorkflowMeta>, StoreError>;
}

/// The task queue, read from committed data.
pub trait QueueRead {
    /// Whether `queue` holds a task visible at `now` (a cheap check before claiming).
    fn has_ready_task(&self, queue: &str, now: Timestamp) -> Result<bool, StoreError>;
    /// Number of queued tasks per queue (visible or not).
    fn queue_sizes(&self) -> Result<Vec<(String, u64)>, StoreError>;
    /// Per queue, by name: the tasks queued, and when the one that has waited longest
    /// without a worker became ready (for metrics and dashboards).
    fn queue_stats(&self) -> Result<Vec<QueueStats>, StoreError>;
}

/// Timers, read from committed data.
pub trait TimersRead {
    /// When the earliest timer is due.
    fn next_timer_due(&self) -> Result<Option<Timestamp>, StoreError>;
}

/// Task logs and the engine event log, read from committed data.
pub trait LogsRead {
    /// A task's execution log, oldest first: (time, line).
    fn task_logs(&self, task_id: &str) -> Result<Vec<(Timestamp, String)>, StoreError>;
    /// Engine events with an id above `after`, oldest first, at most `limit` of them.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;
    /// The id of the newest engine event (0 when none was stored).
    fn last_event_id(&self) -> Result<u64, StoreError>;
}
