//! Commands that combine a decision with a rule that used to live in the HTTP handlers,
//! so each runs on the engine thread in one transaction: a worker's result with its
//! log lines, and a start's idempotency strategy.

use super::batch::{Batch, Worker};
use super::{EngineError, IdempotencyStrategy, StartWorkflow, TaskLogLine};
use baton_core::{Event, Outcome, Timestamp};
use baton_store::Tx;

/// What a start with a used idempotency key does.
pub(super) enum KeyUse {
    /// Answer this existing workflow's id.
    Existing(String),
    /// Start a new workflow, without recording the key (it keeps naming the first).
    StartWithoutKey,
    /// The key is new (or there is none): start as asked.
    Start,
}

impl Worker {
    /// Applies a worker's result and, only if it was applied, appends its log lines.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_with_logs(
        &mut self,
        tx: &mut dyn Tx,
        workflow_id: &str,
        event: Event,
        task_id: &str,
        logs: Vec<TaskLogLine>,
        now: Timestamp,
        b: &mut Batch,
    ) -> Result<Outcome, EngineError> {
        let outcome = self.apply(tx, workflow_id, event, now, b)?;
        if outcome == Outcome::Applied {
            for l in logs.iter().filter(|l| !l.line.is_empty()) {
                tx.append_task_log(task_id, l.at.filter(|t| *t > 0).unwrap_or(now), &l.line)
                    .map_err(|e| self.fail(b, e.into()))?;
            }
        }
        Ok(outcome)
    }

    /// Decides what a start with an idempotency key does, reading the key's workflow in
    /// the batch's transaction (so a start earlier in the same batch counts).
    pub(super) fn key_use(
        &mut self,
        tx: &mut dyn Tx,
        req: &StartWorkflow,
        b: &mut Batch,
    ) -> Result<KeyUse, EngineError> {
        let Some(key) = &req.idempotency_key else {
            return Ok(KeyUse::Start);
        };
        let Some(id) = tx
            .workflow_by_key(key)
            .map_err(|e| self.fail(b, e.into()))?
        else {
            return Ok(KeyUse::Start);
        };
        let refuse = |id: String| EngineError::AlreadyStarted {
            workflow_id: id,
            key: key.clone(),
            strategy: req.idempotency_strategy,
        };
        match req.idempotency_strategy {
            IdempotencyStrategy::ReturnExisting => Ok(KeyUse::Existing(id)),
            IdempotencyStrategy::Fail => Err(refuse(id)),
            IdempotencyStrategy::FailOnRunning => {
                let running = match self.cache.get(&id) {
                    Some(c) => !c.state.status.is_terminal(),
                    None => tx
                        .load_workflow(&id)
                        .map_err(|e| self.fail(b, e.into()))?
                        .is_some_and(|w| !w.meta.status.is_terminal()),
                };
                if running {
                    Err(refuse(id))
                } else {
                    Ok(KeyUse::StartWithoutKey)
                }
            }
        }
    }
}
