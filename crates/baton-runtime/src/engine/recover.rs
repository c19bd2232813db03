//! Start-up: the leases this node's previous run still held.
//!
//! A graceful stop gives every lease back (`Worker::release_leases`), so a lease found
//! at start means that run ended without one: a crash, a kill, a power cut. Handing the
//! task out again as if nothing happened would run the very attempt that may have
//! brought the process down, again and again. So an attempt one of this node's local
//! runners held is recorded as a failed attempt, through the decider like any result:
//! the task's retry policy then schedules a new attempt (with its backoff) or fails the
//! task, and the failed attempt's `Dequeue` removes its queue row. Remote workers'
//! leases are only released: such a worker lives on elsewhere and may still report.

use super::EngineError;
use super::batch::{Batch, Worker};
use baton_core::{Event, Outcome, Principal, TaskResultStatus, Timestamp};
use baton_store::{Lease, Tx};
use serde_json::json;

impl Worker {
    /// Fails the attempts this node's local runners held (see the module docs), then
    /// releases the remaining leases of this node, in the batch's transaction.
    pub(super) fn recover_leases(
        &mut self,
        tx: &mut dyn Tx,
        now: Timestamp,
        b: &mut Batch,
    ) -> Result<(), EngineError> {
        let node = self.config.node_id.clone();
        let leases = tx.leases(&node).map_err(|e| self.fail(b, e.into()))?;
        let interrupted: Vec<Lease> = leases
            .into_iter()
            .filter(|l| self.config.local_workers.contains(&l.worker_id))
            .collect();
        for lease in interrupted {
            match self.apply(tx, &lease.workflow_id, interrupted_event(&lease), now, b) {
                Ok(Outcome::Applied) => {
                    tracing::warn!(
                        workflow_id = %lease.workflow_id,
                        task_id = %lease.task_id,
                        "an attempt was interrupted by the previous stop; recorded as failed"
                    );
                }
                // The attempt had ended anyway; its row is released below and dropped
                // when next claimed.
                Ok(_) | Err(EngineError::UnknownWorkflow(_)) => {}
                Err(e) => return Err(e),
            }
            self.run_follow_ups(tx, now, b);
        }
        if let Some(e) = b.failed_error() {
            return Err(e);
        }
        tx.release_leases(&node)
            .map(|_| ())
            .map_err(|e| self.fail(b, e.into()))
    }
}

/// The failed result of an attempt a stop interrupted, sent by the engine itself.
fn interrupted_event(lease: &Lease) -> Event {
    Event::TaskUpdated {
        task_id: lease.task_id.clone(),
        status: TaskResultStatus::Failed,
        output: json!({}),
        reason: Some(format!(
            "the attempt was interrupted: baton stopped while its local runner `{}` ran it",
            lease.worker_id
        )),
        callback_after_ms: None,
        worker_id: None,
        by: Principal::system(),
    }
}
