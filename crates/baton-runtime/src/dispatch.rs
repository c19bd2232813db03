//! Local runners: poll the queues they serve and report results, exactly like a remote
//! worker does over HTTP (at-least-once delivery, results applied once).

use crate::engine::{EngineError, EngineEvent, EngineHandle, TaskLogLine};
use baton_core::{Event, Principal, TaskResultStatus};
use baton_runners::{
    AttemptLookup, AttemptState, BoxFuture, Runner, Runners, TaskOutcome, TaskRequest,
};
use baton_store::Claimed;
use std::any::Any;
use std::collections::HashSet;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::sync::broadcast;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The worker id local runners claim tasks with unless configured otherwise (see
/// [`EngineConfig::local_workers`](crate::EngineConfig::local_workers)).
pub const LOCAL_WORKER: &str = "baton-local";

/// How local runners are driven.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// Most tasks running at once, over all queues.
    pub concurrency: usize,
    /// Worker id recorded on the tasks. The engine must list it in
    /// [`EngineConfig::local_workers`](crate::EngineConfig::local_workers), so that an
    /// attempt a crash interrupts is counted at the next start.
    pub worker_id: String,
    /// Most tasks claimed per poll.
    pub batch: usize,
    /// Fail tasks of queues no runner serves (with a reason saying how to bind one)
    /// instead of leaving them for remote workers. `baton run` sets this: nothing else
    /// would ever pick them up.
    pub fail_unrouted: bool,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            concurrency: 64,
            worker_id: LOCAL_WORKER.to_string(),
            batch: 64,
            fail_unrouted: false,
        }
    }
}

/// Serves queues with `runners` until `cancel` fires: `queues` from the start, plus every
/// queue that already holds tasks and every queue the engine announces later (dynamic
/// forks and inline sub-workflows bring queues no definition listed). In-flight tasks
/// are canceled at the end and stay leased until [`crate::Engine::shutdown`] gives the
/// leases back: after a restart they run again, as the same attempt. (After a crash the
/// leases are still there, and the next start records those attempts as failed.)
pub async fn serve(
    engine: EngineHandle,
    runners: Arc<Runners>,
    queues: Vec<String>,
    config: DispatchConfig,
    cancel: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut events = engine.subscribe();
    let mut served = HashSet::new();
    let mut loops = JoinSet::new();
    let mut pending: Vec<String> = queues;
    let lookup = Arc::new(EngineLookup {
        engine: engine.clone(),
    });
    pending.extend(queues_in_store(&engine));
    loop {
        for queue in pending.drain(..) {
            if !served.insert(queue.clone()) {
                continue;
            }
            let runner: Arc<dyn Runner> = match runners.get(&queue) {
                Some(r) => r,
                None if config.fail_unrouted => Arc::new(Unrouted),
                None => continue,
            };
            runner.attach(Arc::clone(&lookup) as Arc<dyn AttemptLookup>);
            // A runner whose work outlives this process claims under its own worker id:
            // its attempts are handed out again after a crash instead of being failed.
            let mut config = config.clone();
            if let Some(id) = runner.worker_id() {
                config.worker_id = id;
            }
            let job = serve_queue(
                engine.clone(),
                runner,
                queue,
                permits.clone(),
                config,
                cancel.clone(),
            );
            loops.spawn(job);
        }
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(EngineEvent::QueueSeen { queue }) => pending.push(queue),
                Ok(_) => {}
                // Announcements may have been dropped: look at the queues in the store.
                Err(broadcast::error::RecvError::Lagged(_)) => pending.extend(queues_in_store(&engine)),
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = cancel.cancelled() => break,
        }
    }
    while loops.join_next().await.is_some() {}
}

/// Names of the queues that hold tasks now.
fn queues_in_store(engine: &EngineHandle) -> Vec<String> {
    match engine
        .reader()
        .and_then(|r| r.queue_sizes().map_err(EngineError::from))
    {
        Ok(sizes) => sizes.into_iter().map(|(q, _)| q).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list queues");
            Vec::new()
        }
    }
}

/// Polls one queue and runs what it gets, within the shared concurrency limit.
async fn serve_queue(
    engine: EngineHandle,
    runner: Arc<dyn Runner>,
    queue: String,
    permits: Arc<Semaphore>,
    config: DispatchConfig,
    cancel: CancellationToken,
) {
    let mut running = JoinSet::new();
    loop {
        // Claim only as many tasks as can start now.
        let first = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = cancel.cancelled() => break,
        };
        let extra = permits
            .available_permits()
            .min(config.batch.saturating_sub(1));
        let claimed = tokio::select! {
            r = engine.poll(&queue, extra + 1, &config.worker_id, Duration::from_secs(1)) => r,
            _ = cancel.cancelled() => break,
        };
        let claimed = match claimed {
            Ok(c) => c,
            Err(EngineError::Stopped) => break,
            Err(e) => {
                tracing::warn!(%queue, error = %e, "poll failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let mut first = Some(first);
        for c in claimed {
            let permit = match first.take() {
                Some(p) => p,
                None => match permits.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let (engine, runner, token) = (engine.clone(), runner.clone(), cancel.child_token());
            let worker = config.worker_id.clone();
            running.spawn(async move {
                run_one(&engine, runner.as_ref(), c, &worker, token).await;
                drop(permit);
            });
        }
        while running.try_join_next().is_some() {}
    }
    running.shutdown().await;
}

/// Fails every task it gets: stands in for a missing runner under `fail_unrouted`.
struct Unrouted;

impl Runner for Unrouted {
    fn run(
        &self,
        req: TaskRequest,
        _cancel: CancellationToken,
    ) -> baton_runners::BoxFuture<TaskOutcome> {
        let reason = format!(
            "no runner is bound to task type `{q}`; bind it in a runners file (runners: {{{q}: {{exec: {{command: [...]}}}}}}) and pass --runners",
            q = req.queue
        );
        Box::pin(async move { TaskOutcome::terminal(reason) })
    }
}

async fn run_one(
    engine: &EngineHandle,
    runner: &dyn Runner,
    first: Claimed,
    worker: &str,
    cancel: CancellationToken,
) {
    let mut next = Some(first);
    // Each result is reported together with a claim of the queue's next task, which this
    // loop runs at once with the same permit (Conductor's update-v2).
    while let Some(c) = next.take() {
        let req = TaskRequest {
            workflow_id: c.workflow_id.clone(),
            task_id: c.task.task_id.clone(),
            ref_name: c.task.ref_name.clone(),
            task_type: c.task.task_type.to_string(),
            queue: c.task.queue.clone(),
            attempt: c.task.attempt,
            input: c.task.input.clone(),
            agent_level: c.task.agent_level.map(|r| format!("{r:?}")),
        };
        let (outcome, logs) = run_guarded(runner, req, cancel.clone()).await;
        if cancel.is_cancelled() {
            // Shutting down: no result. The engine's shutdown gives the lease back; the
            // task runs again, as the same attempt, after a restart.
            return;
        }
        let event = outcome_event(c.task.task_id.clone(), outcome, worker);
        if !logs.is_empty() {
            report_with_logs(engine, &c, event, logs).await;
            continue;
        }
        // A failed report leaves the task leased; it is handed out again later
        // (at-least-once), and the duplicate result is ignored.
        let reported = with_retries(&c.task.task_id, || {
            engine.send_and_poll(&c.workflow_id, event.clone(), &c.task.queue, worker)
        })
        .await;
        next = reported.and_then(|(_, claimed)| claimed.into_iter().next());
    }
}

/// Runs a runner, turning a panic — while it builds its future or while the future
/// runs — into a failed outcome. Runners must not panic, but one that does would
/// otherwise end this task's tokio task silently and leave the task leased until its
/// lease expires.
async fn run_guarded(
    runner: &dyn Runner,
    req: TaskRequest,
    cancel: CancellationToken,
) -> (TaskOutcome, Vec<String>) {
    let run = match catch_unwind(AssertUnwindSafe(|| runner.run_logged(req, cancel))) {
        Ok(run) => run,
        Err(payload) => return (panicked(payload.as_ref()), Vec::new()),
    };
    match (CatchUnwind { inner: run }).await {
        Ok(reported) => reported,
        Err(payload) => (panicked(payload.as_ref()), Vec::new()),
    }
}

/// Reports a result with the log lines its runner gave, in one transaction (the lines
/// are kept only when the result is applied). Retried like any report.
async fn report_with_logs(engine: &EngineHandle, c: &Claimed, event: Event, logs: Vec<String>) {
    let lines: Vec<TaskLogLine> = logs
        .into_iter()
        .map(|line| TaskLogLine { at: None, line })
        .collect();
    with_retries(&c.task.task_id, || {
        engine.send_with_logs(
            &c.workflow_id,
            event.clone(),
            &c.task.task_id,
            lines.clone(),
        )
    })
    .await;
}

/// Sends a result, retrying a failed send a few times with a growing pause. `None` when
/// the engine stopped or every try failed: the task stays leased and is handed out
/// again later (at-least-once), and a duplicate result is ignored.
async fn with_retries<T, Fut>(task_id: &str, mut send: impl FnMut() -> Fut) -> Option<T>
where
    Fut: Future<Output = Result<T, EngineError>>,
{
    for attempt in 0..5u64 {
        match send().await {
            Ok(v) => return Some(v),
            Err(EngineError::Stopped) => return None,
            Err(e) => {
                tracing::warn!(%task_id, error = %e, "could not record a task result; retrying");
                tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
            }
        }
    }
    None
}

/// Where an attempt stands, read from the engine's store (for folder agents).
struct EngineLookup {
    engine: EngineHandle,
}

impl AttemptLookup for EngineLookup {
    fn attempt(&self, workflow_id: &str, task_id: &str) -> AttemptState {
        let stored = match self
            .engine
            .reader()
            .and_then(|r| r.workflow(workflow_id).map_err(EngineError::from))
        {
            Ok(Some(w)) => w,
            Ok(None) => return AttemptState::Unknown,
            Err(_) => return AttemptState::Live,
        };
        // The engine's readers catch the checkpoint up with its history.
        match stored.state.tasks.iter().find(|t| t.task_id == task_id) {
            Some(t) if t.status.is_terminal() => AttemptState::Ended(t.status.as_str().to_owned()),
            Some(_) => AttemptState::Live,
            None => AttemptState::Unknown,
        }
    }
}

/// The failed outcome of a runner that panicked.
fn panicked(payload: &(dyn Any + Send)) -> TaskOutcome {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    TaskOutcome::failed(format!("the runner panicked: {message}"))
}

/// A future that catches a panic of the future it polls.
struct CatchUnwind {
    inner: BoxFuture<(TaskOutcome, Vec<String>)>,
}

impl Future for CatchUnwind {
    type Output = Result<(TaskOutcome, Vec<String>), Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.inner;
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(Poll::Ready(outcome)) => Poll::Ready(Ok(outcome)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The decider event for a runner's outcome, reported by `worker` (a local runner acts
/// as a worker: role L3).
pub fn outcome_event(task_id: String, outcome: TaskOutcome, worker: &str) -> Event {
    let by = Principal::worker(worker);
    match outcome {
        TaskOutcome::Completed { output } => Event::TaskUpdated {
            task_id,
            status: TaskResultStatus::Completed,
            output,
            reason: None,
            callback_after_ms: None,
            worker_id: None,
            by,
        },
        TaskOutcome::Failed {
            reason,
            output,
            terminal,
        } => Event::TaskUpdated {
            task_id,
            status: if terminal {
                TaskResultStatus::FailedWithTerminalError
            } else {
                TaskResultStatus::Failed
            },
            output,
            reason: Some(reason),
            callback_after_ms: None,
            worker_id: None,
            by,
        },
        TaskOutcome::InProgress {
            output,
            callback_after_ms,
        } => Event::TaskUpdated {
            task_id,
            status: TaskResultStatus::InProgress,
            output,
            reason: None,
            callback_after_ms: Some(callback_after_ms),
            worker_id: None,
            by,
        },
    }
}
