//! Rows and errors shared by every store implementation.

use baton_state::{Event, QueuedTask, Timestamp, WorkflowState, WorkflowStatus};
use serde::{Deserialize, Serialize};

/// Why a store operation failed. The kind survives every boundary (engine, server), so
/// callers can tell a retryable condition from a broken store; see
/// [`StoreError::is_retryable`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error of no more specific kind.
    #[error("database error: {0}")]
    Database(String),
    /// Someone else wrote first: the history of `workflow` is not at the length the
    /// writer expected. Nothing was written; decide again on the stored state.
    #[error(
        "conflict on workflow {workflow}: its history has {found} events, the writer expected {expected}"
    )]
    Conflict {
        /// The workflow.
        workflow: String,
        /// The history length the writer decided on.
        expected: u64,
        /// The stored history length.
        found: u64,
    },
    /// A row with this key exists already.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The row the operation needs does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The database cannot be used right now (busy, I/O, disk full); trying again later
    /// may work.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be decoded (corruption or an incompatible version).
    #[error("stored {what} is unreadable: {message}")]
    Corrupt {
        /// What was being read.
        what: String,
        /// The decoder's message.
        message: String,
    },
    /// Another process holds the database for writing.
    #[error(
        "the database {0} is in use by another Baton process; stop it, or talk to it with --server"
    )]
    Locked(String),
    /// The database file was written by a newer Baton.
    #[error(
        "the database schema version {found} is newer than this Baton understands ({supported}); upgrade Baton"
    )]
    TooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// A row was written in a format newer than this build reads (a newer Baton wrote
    /// it); nothing is guessed.
    #[error(
        "{what} was written in row format {found}, newer than this Baton reads ({supported}); upgrade Baton"
    )]
    FormatTooNew {
        /// Which row.
        what: String,
        /// Format found.
        found: i64,
        /// Newest format this build reads.
        supported: i64,
    },
}

impl StoreError {
    /// Whether the same operation may succeed if tried again (a conflict is decided
    /// again on fresh state; an unavailable database may come back).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict { .. } | StoreError::Unavailable(_)
        )
    }
}

/// The indexed columns of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowMeta {
    /// Workflow id.
    pub id: String,
    /// Definition name.
    pub name: String,
    /// Definition version.
    pub version: u32,
    /// Content hash of the definition it runs.
    pub def_hash: String,
    /// Current status.
    pub status: WorkflowStatus,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// Parent workflow, for sub-workflows.
    pub parent_id: Option<String>,
    /// Idempotency key given at start.
    pub idempotency_key: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A workflow as stored: row, checkpoint, and the history events after the checkpoint.
///
/// The store never runs the decider: `state` is the checkpoint as written, covering the
/// first `snapshot_seq` events, and `tail` holds the events after it. Callers that need
/// the current state catch the checkpoint up with `baton_state::catch_up` (the engine's
/// cache and the readers it hands out do).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredWorkflow {
    /// Indexed columns.
    pub meta: WorkflowMeta,
    /// The decider's state as of the checkpoint (or caught up, when `tail` is empty).
    pub state: WorkflowState,
    /// Number of history events (the next event's sequence number).
    pub history_len: u64,
    /// How many of those events the stored checkpoint covers.
    pub snapshot_seq: u64,
    /// The history events after the checkpoint, in order (`history_len - snapshot_seq`
    /// of them; empty once caught up).
    pub tail: Vec<HistoryEntry>,
}

/// One engine event as kept by the store: a durable, monotonic id (1, 2, 3, ... across
/// restarts) and the event's JSON, for streams that resume after a disconnect.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in the store's event log, from 1; never reused.
    pub id: u64,
    /// When the batch that produced it committed (engine clock).
    pub at: Timestamp,
    /// The event, as the engine serialised it.
    pub body: serde_json::Value,
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// Position in the history, from 0.
    pub seq: u64,
    /// When it was applied.
    pub at: Timestamp,
    /// The event.
    pub event: Event,
}

/// A task handed to a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// Its workflow.
    pub workflow_id: String,
    /// The task.
    pub task: QueuedTask,
}

/// A lease on a queued task: who holds it (see [`crate::QueueTx::leases`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lease {
    /// The task's workflow.
    pub workflow_id: String,
    /// The leased attempt.
    pub task_id: String,
    /// The worker it was handed to.
    pub worker_id: String,
}

/// Which workflows to list.
#[derive(Debug, Clone, Default)]
pub struct WorkflowFilter {
    /// Only this definition name.
    pub name: Option<String>,
    /// Only these statuses (empty = all).
    pub statuses: Vec<WorkflowStatus>,
    /// Only this correlation id.
    pub correlation_id: Option<String>,
    /// Only workflows running this definition hash.
    pub def_hash: Option<String>,
    /// At most this many (0 = no limit).
    pub limit: usize,
    /// Skip this many.
    pub offset: usize,
}

/// One queue's load (see [`crate::QueueRead::queue_stats`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    /// The queue's name.
    pub queue: String,
    /// Tasks queued (visible, delayed or leased).
    pub depth: u64,
    /// When the longest-waiting task that no worker holds became ready (it may lie in
    /// the future for a delayed task); `None` when every task is held.
    pub oldest_ready_at: Option<Timestamp>,
}
