//! Readers that hand out current workflow states.
//!
//! A store returns a workflow's checkpoint and the history events after it; it never runs
//! the decider. [`CaughtUpReader`] catches the checkpoint up (`baton_core::catch_up`) so
//! every caller of [`Reader::workflow`] sees the state the workflow has now.

use baton_core::{Timestamp, catch_up};
use baton_model::{TaskDef, ValidatedDef, WorkflowDef};
use baton_store::prelude::*;
use baton_store::{
    HistoryEntry, StoreError, StoredEvent, StoredWorkflow, WorkflowFilter, WorkflowMeta,
};
use std::sync::Arc;

/// A [`Reader`] whose `workflow` is caught up with its history; every other read passes
/// through unchanged.
pub struct CaughtUpReader(pub Box<dyn Reader>);

impl CaughtUpReader {
    /// Wraps a store's reader.
    pub fn new(inner: Box<dyn Reader>) -> Self {
        CaughtUpReader(inner)
    }
}

/// Opens [`CaughtUpReader`]s over a store's readers.
pub(crate) struct CaughtUpReaders(pub Arc<dyn OpenReader>);

impl OpenReader for CaughtUpReaders {
    fn open(&self) -> Result<Box<dyn Reader>, StoreError> {
        Ok(Box::new(CaughtUpReader(self.0.open()?)))
    }
}

impl DefinitionsRead for CaughtUpReader {
    fn definition(&self, hash: &str) -> Result<Option<WorkflowDef>, StoreError> {
        self.0.definition(hash)
    }
    fn workflow_def(
        &self,
        name: &str,
        version: Option<u32>,
    ) -> Result<Option<WorkflowDef>, StoreError> {
        self.0.workflow_def(name, version)
    }
    fn workflow_defs(&self) -> Result<Vec<WorkflowDef>, StoreError> {
        self.0.workflow_defs()
    }
    fn task_defs(&self) -> Result<Vec<TaskDef>, StoreError> {
        self.0.task_defs()
    }
    fn task_def(&self, name: &str) -> Result<Option<TaskDef>, StoreError> {
        self.0.task_def(name)
    }
}

impl WorkflowsRead for CaughtUpReader {
    fn workflow(&self, id: &str) -> Result<Option<StoredWorkflow>, StoreError> {
        let Some(mut stored) = self.0.workflow(id)? else {
            return Ok(None);
        };
        if !stored.tail.is_empty() {
            let def =
                self.0
                    .definition(&stored.meta.def_hash)?
                    .ok_or_else(|| StoreError::Corrupt {
                        what: format!("definition of workflow {id}"),
                        message: "missing".into(),
                    })?;
            // The stored definition was validated when the workflow started.
            let def = ValidatedDef::from_store(def);
            let tail = std::mem::take(&mut stored.tail);
            stored.state = catch_up(&def, stored.state, tail.iter().map(|e| (&e.event, e.at)));
        }
        Ok(Some(stored))
    }
    fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        self.0.history(id)
    }
    fn list_workflows(&self, filter: &WorkflowFilter) -> Result<Vec<WorkflowMeta>, StoreError> {
        self.0.list_workflows(filter)
    }
}

impl QueueRead for CaughtUpReader {
    fn has_ready_task(&self, queue: &str, now: Timestamp) -> Result<bool, StoreError> {
        self.0.has_ready_task(queue, now)
    }
    fn queue_sizes(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.0.queue_sizes()
    }
    fn queue_stats(&self) -> Result<Vec<baton_store::QueueStats>, StoreError> {
        self.0.queue_stats()
    }
}

impl TimersRead for CaughtUpReader {
    fn next_timer_due(&self) -> Result<Option<Timestamp>, StoreError> {
        self.0.next_timer_due()
    }
}

impl LogsRead for CaughtUpReader {
    fn task_logs(&self, task_id: &str) -> Result<Vec<(Timestamp, String)>, StoreError> {
        self.0.task_logs(task_id)
    }
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.0.events_after(after, limit)
    }
    fn last_event_id(&self) -> Result<u64, StoreError> {
        self.0.last_event_id()
    }
}

impl baton_store::KeysRead for CaughtUpReader {
    fn api_key(&self, key_id: &str) -> Result<Option<baton_store::ApiKey>, StoreError> {
        self.0.api_key(key_id)
    }
    fn api_keys(&self) -> Result<Vec<baton_store::ApiKey>, StoreError> {
        self.0.api_keys()
    }
}
