//! Starting workflows: resolving the definition, checking it, first decision.

use super::batch::{Batch, Worker};
use super::cache::Cached;
use super::commands::KeyUse;
use super::{EngineError, EngineEvent, StartWorkflow};
use baton_core::{
    Decision, Event, Outcome, StartRequest, Timestamp, WorkflowState, WorkflowStatus, decide,
};
use baton_model::{ValidatedDef, WorkflowDef};
use baton_store::{Tx, WorkflowMeta};
use std::sync::Arc;

impl Worker {
    /// Starts a workflow inside the batch's transaction; returns its id.
    pub(super) fn start(
        &mut self,
        tx: &mut dyn Tx,
        mut req: StartWorkflow,
        checked: Option<ValidatedDef>,
        now: Timestamp,
        b: &mut Batch,
    ) -> Result<String, EngineError> {
        match self.key_use(tx, &req, b)? {
            KeyUse::Existing(id) => return Ok(id),
            KeyUse::StartWithoutKey => req.idempotency_key = None,
            KeyUse::Start => {}
        }
        let id = req
            .workflow_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        if self.cache.contains(&id)
            || tx
                .load_workflow(&id)
                .map_err(|e| self.fail(b, e.into()))?
                .is_some()
        {
            // Starting the same id twice (a replayed child start) is a no-op.
            return Ok(id);
        }
        let (hash, def) = self.resolve(tx, &req, checked, b)?;
        let state = WorkflowState::new(id.clone(), def.name.clone(), def.version);
        let event = Event::WorkflowStarted {
            input: req.input.clone(),
            correlation_id: req.correlation_id.clone(),
            parent: req.parent.clone(),
            options: req.options.clone(),
            by: req.by.clone(),
        };
        let decision = decide(&def, state, &event, now);
        match &decision.outcome {
            Outcome::Applied => {}
            Outcome::Rejected(r) | Outcome::Ignored(r) => {
                return Err(EngineError::Rejected(r.clone()));
            }
        }
        let meta = WorkflowMeta {
            id: id.clone(),
            name: def.name.clone(),
            version: def.version,
            def_hash: hash,
            status: WorkflowStatus::Running,
            correlation_id: req.correlation_id.clone(),
            parent_id: req.parent.as_ref().map(|p| p.workflow_id.clone()),
            idempotency_key: req.idempotency_key.clone(),
            created_at: now,
            updated_at: now,
        };
        tx.create_workflow(&meta, &decision.state)
            .map_err(|e| self.fail(b, e.into()))?;
        let Decision {
            state,
            effects,
            transitions,
            ..
        } = decision;
        let facts = super::batch::Facts::of(&state, &transitions, WorkflowStatus::Pending, now);
        self.cache.insert(
            &id,
            Cached {
                state,
                def: def.clone(),
                history_len: 0,
                snapshot_seq: 0,
            },
        );
        b.out.push(EngineEvent::WorkflowStarted {
            workflow_id: id.clone(),
            name: def.name.clone(),
            at: now,
        });
        let recorded = super::batch::Recorded {
            effects,
            transitions,
            facts,
        };
        self.record(tx, &id, event, recorded, WorkflowStatus::Pending, now, b);
        if let Some(e) = &b.failed_error() {
            return Err(e.clone());
        }
        Ok(id)
    }

    /// A start asked for by a decision (sub-workflow, START_WORKFLOW, failure workflow).
    /// If it cannot start, a waiting parent hears that its child failed.
    pub(super) fn start_requested(
        &mut self,
        tx: &mut dyn Tx,
        req: StartRequest,
        now: Timestamp,
        b: &mut Batch,
    ) {
        let parent = req.parent.clone();
        let child_id = req.workflow_id.clone();
        let start = StartWorkflow {
            name: req.name,
            version: req.version,
            definition: req.definition.map(|d| *d),
            input: req.input,
            correlation_id: req.correlation_id,
            workflow_id: Some(req.workflow_id),
            idempotency_key: None,
            idempotency_strategy: Default::default(),
            parent: req.parent,
            options: req.options,
            ..Default::default()
        };
        match self.start(tx, start, None, now, b) {
            Ok(_) => {}
            Err(e) if b.failed_error().is_some() => drop(e),
            Err(e) => {
                tracing::warn!(workflow_id = %child_id, error = %e, "a requested workflow could not start");
                if let Some(p) = parent {
                    let ev = Event::ChildWorkflowEnded {
                        task_id: p.task_id,
                        child_id,
                        status: WorkflowStatus::Failed,
                        output: serde_json::json!({}),
                        reason: Some(format!("the sub-workflow could not start: {e}")),
                    };
                    b.follow_ups
                        .push_back(super::batch::FollowUp::Event(p.workflow_id, ev));
                }
            }
        }
    }

    /// The definition to run, validated, with registered task definitions filled in:
    /// `checked` (validated by the caller), an inline definition the decider asked for
    /// (a child's, checked with its parent), or a registered one (checked when it was
    /// registered).
    fn resolve(
        &mut self,
        tx: &mut dyn Tx,
        req: &StartWorkflow,
        checked: Option<ValidatedDef>,
        b: &mut Batch,
    ) -> Result<(String, Arc<ValidatedDef>), EngineError> {
        let inline = match (checked, &req.definition) {
            (Some(def), _) => Some(def),
            (None, Some(def)) => Some(check(def.clone())?),
            (None, None) => None,
        };
        if let Some(def) = inline {
            let def = self.prepare(tx, def, b)?;
            let hash = tx
                .put_definition(&def)
                .map_err(|e| self.fail(b, e.into()))?;
            let def = Arc::new(def);
            self.cache.remember_definition(&hash, def.clone());
            return Ok((hash, def));
        }
        if let Some(hit) = self.cache.registered(&req.name, req.version) {
            return Ok(hit);
        }
        let def = tx
            .workflow_def(&req.name, req.version)
            .map_err(|e| self.fail(b, e.into()))?
            .ok_or_else(|| EngineError::UnknownDefinition {
                name: req.name.clone(),
                version: req.version,
            })?;
        // Registered definitions were validated when they were registered.
        let def = self.prepare(tx, ValidatedDef::from_store(def), b)?;
        let hash = tx
            .put_definition(&def)
            .map_err(|e| self.fail(b, e.into()))?;
        let def = Arc::new(def);
        self.cache.remember_definition(&hash, def.clone());
        self.cache
            .remember_registered(&req.name, req.version, hash.clone(), def.clone());
        Ok((hash, def))
    }

    fn prepare(
        &mut self,
        tx: &mut dyn Tx,
        mut def: ValidatedDef,
        b: &mut Batch,
    ) -> Result<ValidatedDef, EngineError> {
        def.fill_task_defs(&mut |name| tx.task_def(name))
            .map_err(|e| self.fail(b, e.into()))?;
        Ok(def)
    }

    pub(super) fn register_workflow_def(
        &mut self,
        tx: &mut dyn Tx,
        def: ValidatedDef,
    ) -> Result<(), EngineError> {
        tx.register_workflow_def(&def)?;
        self.cache.invalidate_registry();
        Ok(())
    }
}

/// Refuses definitions with validation errors (warnings pass).
pub(super) fn check(def: WorkflowDef) -> Result<ValidatedDef, EngineError> {
    match ValidatedDef::check(def, &baton_model::SourceMap::default()) {
        Ok((def, _warnings)) => Ok(def),
        Err(diags) => {
            let errors: Vec<String> = diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| format!("{} [{}]: {}", d.field, d.code, d.message))
                .collect();
            Err(EngineError::InvalidDefinition(errors.join("; ")))
        }
    }
}
