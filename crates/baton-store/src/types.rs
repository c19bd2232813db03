//! Rows and errors shared by every store implementation.

use baton_core::{Event, QueuedTask, Timestamp, WorkflowState, WorkflowStatus};
use serde::{Deserialize, Serialize};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(String),
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

/// A workflow as stored: row, snapshot and history length.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredWorkflow {
    /// Indexed columns.
    pub meta: WorkflowMeta,
    /// The decider's state.
    pub state: WorkflowState,
    /// Number of history events (the next event's sequence number).
    pub history_len: u64,
    /// How many of those events the stored checkpoint covers (the rest were replayed
    /// to build `state`).
    pub snapshot_seq: u64,
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
