//! `baton-bench hotpath`: the engine's hot path with no concurrency, so that the work
//! per step does not depend on the machine.
//!
//! N chains are started one after the other, then a single caller takes one task at a
//! time and reports it with `send_and_poll` (result + next claim in one command), as a
//! local runner does, awaiting each reply. Every batch holds exactly one command, the
//! clock is a [`ManualClock`], workflow ids are fixed: the same binary does the same
//! work on every run, so an instruction count (`scripts/hotpath-instructions.sh` runs
//! this under `valgrind --tool=callgrind` at two sizes and divides the difference by the
//! extra steps) shows a regression of the per-step cost in review, whatever the noise.
//! Each workflow's output is checked at the end.

use crate::defs;
use crate::track::workflow_id;
use crate::verify::{self, Expected};
use anyhow::Context;
use baton_core::{Event, Principal, TaskResultStatus};
use baton_runtime::{Engine, EngineConfig, ManualClock, StartWorkflow};
use baton_store::sqlite::{Durability, SqliteStore};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a hotpath run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Hotpath {
    /// Workflows run.
    pub workflows: usize,
    /// Steps reported (workflows × steps).
    pub steps: usize,
    /// Wall time of the steps (starts excluded); noisy, for orientation only.
    pub wall: Duration,
}

const WORKER: &str = "hotpath";
const PREFIX: &str = "hotpath";

/// Runs `n` chains of `steps` steps one command at a time on a fresh durable store at
/// `db` (a temporary one when `None`) and checks every output.
pub async fn run(n: usize, steps: usize, db: Option<PathBuf>) -> anyhow::Result<Hotpath> {
    anyhow::ensure!(n >= 1, "--n must be at least 1");
    let (_tmp, db) = crate::run::fresh_db(db.as_deref())?;
    let store = SqliteStore::open(&db, Durability::default())
        .with_context(|| format!("cannot open {}", db.display()))?;
    let clock = Arc::new(ManualClock::at(1_800_000_000_000));
    let engine = Engine::start(store, clock, EngineConfig::default())?;
    let h = engine.handle();
    let outcome = async {
        let def = defs::chain(steps)?;
        let name = def.name.clone();
        h.register_workflow_def(def).await?;
        for i in 0..n {
            h.start(StartWorkflow {
                name: name.clone(),
                input: defs::chain_input(i),
                workflow_id: Some(workflow_id(PREFIX, i)),
                ..Default::default()
            })
            .await
            .context("a workflow did not start")?;
        }
        let began = Instant::now();
        let mut next = h.poll(defs::STEP, 1, WORKER, Duration::ZERO).await?;
        let mut done = 0usize;
        while let Some(claimed) = next.pop() {
            let output =
                defs::work(defs::STEP, &claimed.task.input).map_err(|e| anyhow::anyhow!("{e}"))?;
            let event = Event::TaskUpdated {
                task_id: claimed.task.task_id.clone(),
                status: TaskResultStatus::Completed,
                output,
                reason: None,
                callback_after_ms: None,
                worker_id: Some(WORKER.to_string()),
                by: Principal::worker(WORKER),
            };
            let (_, more) = h
                .send_and_poll(&claimed.workflow_id, event, defs::STEP, WORKER)
                .await?;
            next = more;
            done += 1;
            anyhow::ensure!(
                done <= n * steps,
                "more steps than {n} chains of {steps} have"
            );
        }
        let wall = began.elapsed();
        let reader = h.reader()?;
        verify::check_all(reader.as_ref(), PREFIX, n, |i| Expected {
            steps,
            output: defs::chain_output(i, steps),
        })?;
        Ok(Hotpath {
            workflows: n,
            steps: done,
            wall,
        })
    }
    .await;
    engine.shutdown().await;
    outcome
}
