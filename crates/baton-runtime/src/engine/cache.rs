//! Hot workflows and definitions kept in memory, so a step does not re-read and re-parse
//! its workflow. The store stays the truth: on any failed batch, touched entries are
//! forgotten and re-read.

use super::EngineError;
use baton_core::WorkflowState;
use baton_model::ValidatedDef;
use baton_store::Tx;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A workflow in memory.
pub(crate) struct Cached {
    pub state: WorkflowState,
    pub def: Arc<ValidatedDef>,
    pub history_len: u64,
    /// How many history events the stored checkpoint covers.
    pub snapshot_seq: u64,
}

pub(crate) struct Cache {
    workflows: HashMap<String, Cached>,
    defs: HashMap<String, Arc<ValidatedDef>>,
    /// Resolved registered definitions: (name, version asked) -> (hash, definition).
    registry: HashMap<(String, Option<u32>), (String, Arc<ValidatedDef>)>,
    capacity: usize,
}

impl Cache {
    pub(crate) fn new(capacity: usize) -> Self {
        Cache {
            workflows: HashMap::new(),
            defs: HashMap::new(),
            registry: HashMap::new(),
            capacity,
        }
    }

    /// The workflow, from memory or the store. With `verify`, a copy in memory is first
    /// checked against the history length stored (one indexed read, inside the batch's
    /// transaction): if another writer moved the workflow on, the copy is dropped and
    /// the workflow re-read, so only that workflow's command sees the change, decided
    /// on the current state — the cache is a cache, not an authority. Callers pass
    /// `verify = false` for a workflow this batch already changed (its memory copy is
    /// ahead of the store until the batch flushes).
    pub(crate) fn get_or_load(
        &mut self,
        tx: &mut dyn Tx,
        id: &str,
        verify: bool,
    ) -> Result<Option<&mut Cached>, EngineError> {
        if verify && let Some(c) = self.workflows.get(id) {
            let stored = tx.history_len(id)?;
            if stored != Some(c.history_len) {
                tracing::debug!(
                    workflow_id = id,
                    cached = c.history_len,
                    ?stored,
                    "cached workflow was stale; re-reading it"
                );
                self.workflows.remove(id);
            }
        }
        if !self.workflows.contains_key(id) {
            let Some(stored) = tx.load_workflow(id)? else {
                return Ok(None);
            };
            let def = self.definition(tx, &stored.meta.def_hash)?;
            let tail = stored.tail.iter().map(|e| (&e.event, e.at));
            let mut state = baton_core::catch_up(&def, stored.state, tail);
            state.workflow_id = id.to_string();
            self.workflows.insert(
                id.to_string(),
                Cached {
                    state,
                    def,
                    history_len: stored.history_len,
                    snapshot_seq: stored.snapshot_seq,
                },
            );
        }
        Ok(self.workflows.get_mut(id))
    }

    /// A definition by hash.
    pub(crate) fn definition(
        &mut self,
        tx: &mut dyn Tx,
        hash: &str,
    ) -> Result<Arc<ValidatedDef>, EngineError> {
        if let Some(d) = self.defs.get(hash) {
            return Ok(d.clone());
        }
        let def = tx.definition(hash)?.ok_or_else(|| {
            EngineError::Store(baton_store::StoreError::Corrupt {
                what: format!("definition {hash}"),
                message: "missing from the store".into(),
            })
        })?;
        // It was validated when it was first run.
        let def = Arc::new(ValidatedDef::from_store(def));
        self.defs.insert(hash.to_string(), def.clone());
        Ok(def)
    }

    pub(crate) fn remember_definition(&mut self, hash: &str, def: Arc<ValidatedDef>) {
        self.defs.insert(hash.to_string(), def);
    }

    pub(crate) fn insert(&mut self, id: &str, cached: Cached) {
        self.workflows.insert(id.to_string(), cached);
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.workflows.contains_key(id)
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Cached> {
        self.workflows.get(id)
    }

    pub(crate) fn set_snapshot_seq(&mut self, id: &str, covers: u64) {
        if let Some(c) = self.workflows.get_mut(id) {
            c.snapshot_seq = covers;
        }
    }

    pub(crate) fn history_len(&self, id: &str) -> u64 {
        self.workflows.get(id).map_or(0, |c| c.history_len)
    }

    pub(crate) fn bump_history(&mut self, id: &str) {
        if let Some(c) = self.workflows.get_mut(id) {
            c.history_len += 1;
        }
    }

    pub(crate) fn log_to(&self, id: &str) -> Option<String> {
        self.workflows
            .get(id)?
            .def
            .monitoring
            .as_ref()?
            .log_to
            .clone()
    }

    pub(crate) fn forget(&mut self, id: &str) {
        self.workflows.remove(id);
    }

    pub(crate) fn registered(
        &self,
        name: &str,
        version: Option<u32>,
    ) -> Option<(String, Arc<ValidatedDef>)> {
        self.registry.get(&(name.to_string(), version)).cloned()
    }

    pub(crate) fn remember_registered(
        &mut self,
        name: &str,
        version: Option<u32>,
        hash: String,
        def: Arc<ValidatedDef>,
    ) {
        self.registry
            .insert((name.to_string(), version), (hash, def));
    }

    /// Registered definitions or task definitions changed: resolve again.
    pub(crate) fn invalidate_registry(&mut self) {
        self.registry.clear();
    }

    /// Keeps the cache within capacity, preferring the workflows just touched.
    pub(crate) fn trim(&mut self, touched: &HashSet<&String>) {
        if self.workflows.len() > self.capacity {
            self.workflows.retain(|id, _| touched.contains(id));
        }
        if self.defs.len() > self.capacity {
            self.defs.clear();
        }
    }
}
