//! Running one workload: a fresh durable store, an engine, workers, the measurement, and
//! the checks.

use crate::defs;
use crate::report::BenchResult;
use crate::stats::Samples;
use crate::sys;
use crate::track::{self, Tracker, workflow_id};
use crate::verify::{self, Expected};
use crate::workers::{Mode, Workers};
use anyhow::{Context, anyhow, bail};
use baton_core::WorkflowStatus;
use baton_runtime::{Engine, EngineConfig, EngineHandle, StartWorkflow, SystemClock};
use baton_store::sqlite::{Durability, SqliteStore};
use clap::ValueEnum;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Most start requests in flight at once when "all workflows start at once".
const START_WINDOW: usize = 2048;

/// The benchmark workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// N chains of sequential steps, all started at once.
    W1,
    /// Fan-out: FORK_JOIN_DYNAMIC of F steps, JOIN, a summing step.
    W2,
    /// Latency: chains started one after the other.
    W3,
    /// Scale: W1 with many more workflows.
    W4,
    /// Long loop: a DO_WHILE of `--steps` iterations of one step (default 1 workflow).
    W5,
}

impl Workload {
    /// Every workload, in order.
    pub const ALL: [Workload; 5] = [
        Workload::W1,
        Workload::W2,
        Workload::W3,
        Workload::W4,
        Workload::W5,
    ];

    /// The name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "W1",
            Workload::W2 => "W2",
            Workload::W3 => "W3",
            Workload::W4 => "W4",
            Workload::W5 => "W5",
        }
    }

    /// Workflows run when `--n` is not given.
    pub fn default_n(self) -> usize {
        match self {
            Workload::W1 => 1_000,
            Workload::W2 => 20,
            Workload::W3 => 200,
            Workload::W4 => 100_000,
            Workload::W5 => 1,
        }
    }

    /// Workflows run by the smoke test.
    pub fn smoke_n(self) -> usize {
        match self {
            Workload::W1 => 20,
            Workload::W2 => 2,
            Workload::W3 => 5,
            Workload::W4 => 200,
            Workload::W5 => 1,
        }
    }
}

/// One run to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Which workload.
    pub workload: Workload,
    /// Where its steps run.
    pub mode: Mode,
    /// Workflows.
    pub n: usize,
    /// Steps per chain (W1, W3, W4).
    pub steps: usize,
    /// W5: the loop body is an INLINE task instead of a SIMPLE step.
    pub inline: bool,
    /// Branches per fan-out (W2).
    pub fan: usize,
    /// Database file to create; a temporary one when `None`.
    pub db: Option<PathBuf>,
    /// Most steps in flight at once.
    pub concurrency: usize,
    /// The run fails if it takes longer; a size-based default when `None`.
    pub timeout: Option<Duration>,
}

impl Plan {
    /// Worker steps per workflow.
    pub fn steps_per_workflow(&self) -> usize {
        match self.workload {
            Workload::W2 => self.fan + 1,
            _ => self.steps,
        }
    }

    fn deadline(&self) -> tokio::time::Instant {
        let total = (self.n * self.steps_per_workflow()) as u64;
        let timeout = self
            .timeout
            .unwrap_or(Duration::from_secs(60 + total / 200));
        tokio::time::Instant::now() + timeout
    }

    fn prefix(&self) -> String {
        self.workload.name().to_lowercase()
    }
}

/// What a workload measured before the checks.
struct Measured {
    wall: Duration,
    e2e: Samples,
    per_step: Samples,
    resyncs: u64,
}

/// Runs `plan` on a fresh database and checks every workflow's result.
pub async fn run(plan: &Plan) -> anyhow::Result<BenchResult> {
    anyhow::ensure!(plan.n >= 1, "--n must be at least 1");
    anyhow::ensure!(plan.fan >= 1, "--fan must be at least 1");
    let (_tmp, db) = fresh_db(plan.db.as_deref())?;
    sys::reset_peak_rss();
    let store = SqliteStore::open(&db, Durability::default())
        .with_context(|| format!("cannot open {}", db.display()))?;
    let engine = Engine::start(store, Arc::new(SystemClock), EngineConfig::default())?;
    let h = engine.handle();
    let outcome = measure_and_check(plan, &h).await;
    let db_bytes = sys::db_bytes(&db);
    let rss = sys::peak_rss_bytes();
    engine.shutdown().await;
    let (m, steps) =
        outcome.with_context(|| format!("{} {} failed", plan.workload.name(), plan.mode.name()))?;
    let wall_s = m.wall.as_secs_f64().max(1e-9);
    Ok(BenchResult {
        workload: plan.workload.name().to_string(),
        mode: plan.mode.name().to_string(),
        n: plan.n,
        steps_per_workflow: plan.steps_per_workflow(),
        steps,
        wall_s,
        workflows_per_s: plan.n as f64 / wall_s,
        steps_per_s: steps as f64 / wall_s,
        p50_ms: m.e2e.percentile(50.0),
        p99_ms: m.e2e.percentile(99.0),
        step_p50_ms: m.per_step.percentile(50.0),
        step_p99_ms: m.per_step.percentile(99.0),
        peak_rss_mib: rss.map(|b| b as f64 / (1024.0 * 1024.0)),
        db_mib: db_bytes as f64 / (1024.0 * 1024.0),
        tracker_resyncs: m.resyncs,
    })
}

/// The database file a run creates: `db`, which must not exist yet, or one in a new
/// temporary directory (returned too: the file lives as long as it).
pub fn fresh_db(
    db: Option<&std::path::Path>,
) -> anyhow::Result<(Option<tempfile::TempDir>, PathBuf)> {
    match db {
        Some(p) if p.exists() => bail!(
            "{} already exists; the benchmark needs a fresh database file",
            p.display()
        ),
        Some(p) => Ok((None, p.to_path_buf())),
        None => {
            let tmp = tempfile::Builder::new().prefix("baton-bench-").tempdir()?;
            let path = tmp.path().join("bench.db");
            Ok((Some(tmp), path))
        }
    }
}

/// Registers the definition, starts the workers, measures, stops the workers, checks.
async fn measure_and_check(plan: &Plan, h: &EngineHandle) -> anyhow::Result<(Measured, u64)> {
    let def = match plan.workload {
        Workload::W2 => defs::fanout()?,
        Workload::W5 => {
            anyhow::ensure!(
                !plan.inline || plan.mode == Mode::Embedded,
                "--inline runs the loop body on Baton's INLINE runner: use --workers embedded"
            );
            defs::looped(plan.steps, plan.inline)?
        }
        _ => defs::chain(plan.steps)?,
    };
    let name = def.name.clone();
    h.register_workflow_def(def).await?;
    let workers = Workers::start(plan.mode, h, plan.concurrency).await?;
    let prefix = plan.prefix();
    let deadline = plan.deadline();
    let fan = plan.fan;
    let measure = async {
        match plan.workload {
            Workload::W1 | Workload::W4 => {
                throughput(h, &name, &prefix, plan.n, deadline, defs::chain_input).await
            }
            Workload::W5 => {
                throughput(h, &name, &prefix, plan.n, deadline, |_| {
                    serde_json::json!({})
                })
                .await
            }
            Workload::W2 => {
                throughput(h, &name, &prefix, plan.n, deadline, move |i| {
                    defs::fanout_input(i, fan)
                })
                .await
            }
            Workload::W3 => latency(h, &name, &prefix, plan.n, deadline).await,
        }
    };
    let died = workers.died();
    let measured = tokio::select! {
        m = measure => m,
        _ = died.cancelled() => Err(anyhow!("the worker process exited during the run")),
    };
    let stopped = workers.stop().await;
    let measured = measured?;
    stopped?;
    let reader = h.reader()?;
    let (n, steps, workload) = (plan.n, plan.steps, plan.workload);
    let checked = tokio::task::spawn_blocking(move || {
        verify::check_all(reader.as_ref(), &prefix, n, |i| match workload {
            Workload::W2 => Expected {
                steps: fan + 1,
                output: defs::fanout_output(i, fan),
            },
            Workload::W5 => Expected {
                steps,
                output: defs::loop_output(steps),
            },
            _ => Expected {
                steps,
                output: defs::chain_output(i, steps),
            },
        })
    })
    .await
    .context("the checks panicked")??;
    Ok((measured, checked))
}

/// Starts `n` workflows as fast as the engine takes them and waits for all to complete.
async fn throughput(
    h: &EngineHandle,
    name: &str,
    prefix: &str,
    n: usize,
    deadline: tokio::time::Instant,
    input: impl Fn(usize) -> Value,
) -> anyhow::Result<Measured> {
    let rx = h.subscribe();
    let t0 = Instant::now();
    let tracker = {
        let (h, name) = (h.clone(), name.to_string());
        let t = Tracker::new(prefix, n);
        tokio::spawn(async move { t.wait(rx, h, &name, deadline).await })
    };
    if let Err(e) = start_all(h, name, prefix, n, input).await {
        tracker.abort();
        return Err(e);
    }
    let tracker = tracker.await.context("the tracker panicked")??;
    Ok(Measured {
        wall: t0.elapsed(),
        e2e: Samples::default(),
        per_step: Samples::default(),
        resyncs: tracker.resyncs,
    })
}

/// Starts workflows `<prefix>-0..n`, at most [`START_WINDOW`] requests in flight.
async fn start_all(
    h: &EngineHandle,
    name: &str,
    prefix: &str,
    n: usize,
    input: impl Fn(usize) -> Value,
) -> anyhow::Result<()> {
    let window = Arc::new(Semaphore::new(START_WINDOW));
    let mut set = JoinSet::new();
    for i in 0..n {
        let permit = window.clone().acquire_owned().await?;
        let req = StartWorkflow {
            name: name.to_string(),
            input: input(i),
            workflow_id: Some(workflow_id(prefix, i)),
            ..Default::default()
        };
        let h = h.clone();
        set.spawn(async move {
            let r = h.start(req).await;
            drop(permit);
            r
        });
        while let Some(r) = set.try_join_next() {
            r.context("a start task panicked")?
                .context("a workflow did not start")?;
        }
    }
    while let Some(r) = set.join_next().await {
        r.context("a start task panicked")?
            .context("a workflow did not start")?;
    }
    Ok(())
}

/// Runs `n` workflows one after the other; records end-to-end and per-step latency.
async fn latency(
    h: &EngineHandle,
    name: &str,
    prefix: &str,
    n: usize,
    deadline: tokio::time::Instant,
) -> anyhow::Result<Measured> {
    let mut events = track::stamp(h.subscribe());
    let mut e2e = Samples::default();
    let mut per_step = Samples::default();
    let t_all = Instant::now();
    for i in 0..n {
        let id = workflow_id(prefix, i);
        let t0 = Instant::now();
        h.start(StartWorkflow {
            name: name.to_string(),
            input: defs::chain_input(i),
            workflow_id: Some(id.clone()),
            ..Default::default()
        })
        .await
        .with_context(|| format!("workflow {id} did not start"))?;
        let mut prev = t0;
        loop {
            let ev = tokio::time::timeout_at(deadline, events.recv())
                .await
                .map_err(|_| anyhow!("timed out waiting for workflow {id} ({i} of {n} done)"))?
                .ok_or_else(|| anyhow!("the engine stopped"))??;
            if ev.workflow_id != id {
                continue;
            }
            match ev.ended {
                None => {
                    per_step.push(ev.at.saturating_duration_since(prev));
                    prev = ev.at;
                }
                Some(WorkflowStatus::Completed) => {
                    e2e.push(ev.at.saturating_duration_since(t0));
                    break;
                }
                Some(status) => bail!(
                    "workflow {id} ended {status:?}: {}",
                    ev.reason.as_deref().unwrap_or("no reason given")
                ),
            }
        }
    }
    Ok(Measured {
        wall: t_all.elapsed(),
        e2e,
        per_step,
        resyncs: 0,
    })
}
