//! Knowing when workflows end, from the engine's live events (no polling of the store).
//!
//! Workflows are started with ids `<prefix>-<index>`, so a terminal status event can be
//! attributed before the start call even returns. If the tracker falls behind the event
//! stream (the broadcast channel dropped events), it re-reads the ended workflows from
//! the store once and carries on.

use anyhow::{Context, anyhow, bail};
use baton_core::{TaskStatus, WorkflowStatus};
use baton_runtime::{EngineEvent, EngineHandle};
use baton_store::WorkflowFilter;
use std::time::Instant;
use tokio::sync::{broadcast, mpsc};

/// Id of workflow number `idx` of a run.
pub fn workflow_id(prefix: &str, idx: usize) -> String {
    format!("{prefix}-{idx}")
}

/// Counts the ends of the workflows `<prefix>-0` .. `<prefix>-<n-1>`.
#[derive(Debug)]
pub struct Tracker {
    prefix: String,
    ended: Vec<bool>,
    count: usize,
    /// Times the event stream was lost and the store re-read.
    pub resyncs: u64,
}

impl Tracker {
    /// Tracks `n` workflows named by `prefix`.
    pub fn new(prefix: &str, n: usize) -> Tracker {
        Tracker {
            prefix: format!("{prefix}-"),
            ended: vec![false; n],
            count: 0,
            resyncs: 0,
        }
    }

    /// Whether every tracked workflow ended.
    pub fn done(&self) -> bool {
        self.count == self.ended.len()
    }

    /// Workflows ended so far.
    pub fn ended(&self) -> usize {
        self.count
    }

    /// Records that workflow `id` reached `status`. A tracked workflow ending in any other
    /// way than COMPLETED is an error.
    pub fn note(
        &mut self,
        id: &str,
        status: WorkflowStatus,
        reason: Option<&str>,
    ) -> anyhow::Result<()> {
        if !status.is_terminal() {
            return Ok(());
        }
        let Some(idx) = id
            .strip_prefix(&self.prefix)
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&i| i < self.ended.len())
        else {
            return Ok(());
        };
        if status != WorkflowStatus::Completed {
            bail!(
                "workflow {id} ended {status:?}: {}",
                reason.unwrap_or("no reason given")
            );
        }
        if !self.ended[idx] {
            self.ended[idx] = true;
            self.count += 1;
        }
        Ok(())
    }

    /// Consumes events until every tracked workflow ended, one failed, or `deadline`.
    pub async fn wait(
        mut self,
        mut rx: broadcast::Receiver<EngineEvent>,
        engine: EngineHandle,
        def_name: &str,
        deadline: tokio::time::Instant,
    ) -> anyhow::Result<Tracker> {
        while !self.done() {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Ok(EngineEvent::WorkflowStatus {
                    workflow_id,
                    status,
                    reason,
                    ..
                })) => self.note(&workflow_id, status, reason.as_deref())?,
                Ok(Ok(_)) => {}
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                    self.resyncs += 1;
                    self.resync(&engine, def_name).await?;
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => {
                    bail!(
                        "the engine stopped with {} of {} workflows ended",
                        self.count,
                        self.ended.len()
                    )
                }
                Err(_) => {
                    self.resync(&engine, def_name).await?;
                    if !self.done() {
                        bail!(
                            "timed out: {} of {} workflows ended",
                            self.count,
                            self.ended.len()
                        );
                    }
                }
            }
        }
        Ok(self)
    }

    /// Marks the ended workflows the store knows of (after events were lost).
    async fn resync(&mut self, engine: &EngineHandle, def_name: &str) -> anyhow::Result<()> {
        let reader = engine.reader()?;
        let filter = WorkflowFilter {
            name: Some(def_name.to_string()),
            statuses: vec![
                WorkflowStatus::Completed,
                WorkflowStatus::Failed,
                WorkflowStatus::TimedOut,
                WorkflowStatus::Terminated,
            ],
            ..Default::default()
        };
        let ended = tokio::task::spawn_blocking(move || reader.list_workflows(&filter))
            .await
            .context("the store reader panicked")??;
        for meta in ended {
            self.note(&meta.id, meta.status, None)?;
        }
        Ok(())
    }
}

/// A task completion or a workflow end, stamped when the listener saw it.
#[derive(Debug, Clone)]
pub struct Stamped {
    /// When it was seen.
    pub at: Instant,
    /// Its workflow.
    pub workflow_id: String,
    /// `None` for a task completion, the workflow's status for a workflow end.
    pub ended: Option<WorkflowStatus>,
    /// The failure reason of a workflow end.
    pub reason: Option<String>,
}

/// Forwards task completions and workflow ends, time-stamped on arrival, so latencies do
/// not include the time the measuring loop spends elsewhere.
pub fn stamp(
    mut rx: broadcast::Receiver<EngineEvent>,
) -> mpsc::UnboundedReceiver<anyhow::Result<Stamped>> {
    let (tx, out) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let item = match rx.recv().await {
                Ok(EngineEvent::Task {
                    workflow_id,
                    transition,
                    ..
                }) if transition.to == TaskStatus::Completed => Ok(Stamped {
                    at: Instant::now(),
                    workflow_id,
                    ended: None,
                    reason: None,
                }),
                Ok(EngineEvent::WorkflowStatus {
                    workflow_id,
                    status,
                    reason,
                    ..
                }) if status.is_terminal() => Ok(Stamped {
                    at: Instant::now(),
                    workflow_id,
                    ended: Some(status),
                    reason,
                }),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    Err(anyhow!("the latency listener lost {n} events"))
                }
                Err(broadcast::error::RecvError::Closed) => break,
            };
            if tx.send(item).is_err() {
                break;
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_tracked_workflow_once_and_fails_on_a_bad_end() {
        let mut t = Tracker::new("w1", 2);
        t.note("w1-0", WorkflowStatus::Running, None).expect("ok");
        t.note("w1-0", WorkflowStatus::Completed, None).expect("ok");
        t.note("w1-0", WorkflowStatus::Completed, None).expect("ok");
        t.note("w2-1", WorkflowStatus::Completed, None).expect("ok");
        t.note("w1-7", WorkflowStatus::Completed, None).expect("ok");
        assert_eq!(t.ended(), 1);
        assert!(!t.done());
        t.note("w1-1", WorkflowStatus::Completed, None).expect("ok");
        assert!(t.done());
        let err = Tracker::new("w1", 1)
            .note("w1-0", WorkflowStatus::Failed, Some("boom"))
            .expect_err("a failed workflow is an error");
        assert!(err.to_string().contains("boom"));
    }
}
