//! The engine thread: collect commands, decide them in one transaction, commit, reply.

use super::cache::Cache;
use super::metrics::{BatchMetrics, DecisionMetrics};
use super::{Command, EngineConfig, EngineError, EngineEvent, NumberedEvent};
use crate::clock::Clock;
use crate::signals::QueueSignals;
use baton_core::{Decision, Effect, Event, Outcome, Principal, Timestamp, WorkflowStatus, decide};
use baton_store::{Claimed, Store, Tx};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};

/// Longest the thread sleeps without looking at timers.
const IDLE_WAKE_MS: u64 = 1000;
/// Fewest events between two checkpoints of a workflow's state.
const CHECKPOINT_EVERY: u64 = 16;

/// Events between two checkpoints of a workflow with `tasks` task attempts: at least
/// [`CHECKPOINT_EVERY`], and a quarter of its tasks for a big one. A checkpoint costs the
/// size of the state, so a fixed interval made a long loop or a wide fork cost the square
/// of its length; this way each event pays for about four tasks' worth of writing, and a
/// read replays at most a quarter as many events as the workflow has tasks.
pub(crate) fn checkpoint_interval(tasks: usize) -> u64 {
    CHECKPOINT_EVERY.max(tasks as u64 / 4)
}
/// Most due timers fired per batch.
const TIMERS_PER_BATCH: usize = 1024;

pub(crate) struct Worker {
    store: Option<Box<dyn Store>>,
    clock: Arc<dyn Clock>,
    pub(super) config: EngineConfig,
    signals: Arc<QueueSignals>,
    events: broadcast::Sender<EngineEvent>,
    numbered: broadcast::Sender<Arc<Vec<NumberedEvent>>>,
    pub(super) cache: Cache,
    /// Earliest known due time of a timer (waking early is harmless).
    next_timer: Option<Timestamp>,
    /// Queues to wake when delayed tasks become visible.
    delayed: BTreeMap<Timestamp, HashSet<String>>,
    /// Queues tasks were put on since start (to announce new ones).
    known_queues: HashSet<String>,
    /// The `monitoring.log_to` writer: file I/O runs on its own thread, never here.
    log_files: Option<LogWriter>,
}

/// A reply waiting for the batch to commit.
enum Reply {
    Start(
        oneshot::Sender<Result<String, EngineError>>,
        Result<String, EngineError>,
    ),
    Event(
        oneshot::Sender<Result<Outcome, EngineError>>,
        Result<Outcome, EngineError>,
    ),
    Poll(
        oneshot::Sender<Result<Vec<Claimed>, EngineError>>,
        Result<Vec<Claimed>, EngineError>,
    ),
    EventAndPoll(
        oneshot::Sender<Result<(Outcome, Vec<Claimed>), EngineError>>,
        Result<(Outcome, Vec<Claimed>), EngineError>,
    ),
    Unit(
        oneshot::Sender<Result<(), EngineError>>,
        Result<(), EngineError>,
    ),
    Removed(
        oneshot::Sender<Result<bool, EngineError>>,
        Result<bool, EngineError>,
    ),
    /// A transaction job's own reply.
    Deferred(super::DeferredReply),
}

impl Reply {
    fn send(self, failed: Option<&EngineError>) {
        match (self, failed) {
            (Reply::Start(s, r), None) => drop(s.send(r)),
            (Reply::Start(s, _), Some(e)) => drop(s.send(Err(e.clone()))),
            (Reply::Event(s, r), None) => drop(s.send(r)),
            (Reply::Event(s, _), Some(e)) => drop(s.send(Err(e.clone()))),
            (Reply::Poll(s, r), None) => drop(s.send(r)),
            (Reply::Poll(s, _), Some(e)) => drop(s.send(Err(e.clone()))),
            (Reply::EventAndPoll(s, r), None) => drop(s.send(r)),
            (Reply::EventAndPoll(s, _), Some(e)) => drop(s.send(Err(e.clone()))),
            (Reply::Unit(s, r), None) => drop(s.send(r)),
            (Reply::Unit(s, _), Some(e)) => drop(s.send(Err(e.clone()))),
            (Reply::Removed(s, r), None) => drop(s.send(r)),
            (Reply::Removed(s, _), Some(e)) => drop(s.send(Err(e.clone()))),
            (Reply::Deferred(f), failed) => f(failed),
        }
    }
}

/// What `record` needs of a decision, taken before the new state moves into the cache.
pub(super) struct Recorded {
    pub effects: Vec<Effect>,
    pub transitions: Vec<baton_core::Transition>,
    pub facts: Facts,
}

/// The few parts of a new state that the published engine events read (copied, so the
/// state itself is not). Writes come from the effects alone.
pub(super) struct Facts {
    status: WorkflowStatus,
    reason: Option<String>,
    /// (attempt, reason) of the task of each transition, in order.
    tasks: Vec<(u32, Option<String>)>,
    /// What the decision adds to the metrics.
    metrics: DecisionMetrics,
}

impl Facts {
    pub(super) fn of(
        state: &baton_core::WorkflowState,
        transitions: &[baton_core::Transition],
        before: WorkflowStatus,
        now: Timestamp,
    ) -> Facts {
        let tasks = transitions
            .iter()
            .map(|t| {
                state
                    .task(&t.task_id)
                    .map_or((0, None), |i| (i.attempt, i.reason.clone()))
            })
            .collect();
        Facts {
            status: state.status,
            reason: state.reason.clone(),
            tasks,
            metrics: DecisionMetrics::of(state, transitions, before, now),
        }
    }
}

/// Work the decisions of one batch asked for in other workflows.
pub(super) enum FollowUp {
    Start(baton_core::StartRequest),
    Event(String, Event),
}

/// Everything a batch accumulates until its commit.
#[derive(Default)]
pub(super) struct Batch {
    replies: Vec<Reply>,
    /// Per workflow: history length before the batch and the events it appended.
    pub(super) dirty: HashMap<String, (u64, Vec<(Timestamp, Event)>)>,
    pub(super) follow_ups: VecDeque<FollowUp>,
    wake: HashSet<String>,
    pub(super) out: Vec<EngineEvent>,
    ended: Vec<String>,
    /// A store error: the whole batch is abandoned.
    failed: Option<EngineError>,
    /// Workflows whose status changed in this batch (their checkpoint is written, so the
    /// status column that lists and searches read stays current).
    status_changed: HashSet<String>,
    /// Checkpoints written: (workflow, events covered), applied to the cache on commit.
    checkpointed: Vec<(String, u64)>,
    /// Durable id of the batch's first logged event (0: none logged).
    first_event_id: u64,
    /// Queues first used in this batch (announced and remembered after commit).
    new_queues: HashSet<String>,
    /// What the batch adds to the metrics (recorded after commit).
    metrics: BatchMetrics,
}

impl Batch {
    /// The store error that abandoned this batch, if any.
    pub(super) fn failed_error(&self) -> Option<EngineError> {
        self.failed.clone()
    }
}

impl Worker {
    pub(crate) fn new(
        store: Box<dyn Store>,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
        signals: Arc<QueueSignals>,
        events: broadcast::Sender<EngineEvent>,
        numbered: broadcast::Sender<Arc<Vec<NumberedEvent>>>,
    ) -> Self {
        let cache = Cache::new(config.cache_capacity);
        // Timers from a previous run: look at them right away.
        Worker {
            store: Some(store),
            clock,
            config,
            signals,
            events,
            numbered,
            cache,
            next_timer: Some(0),
            delayed: BTreeMap::new(),
            known_queues: HashSet::new(),
            log_files: None,
        }
    }

    pub(crate) fn run(&mut self, rx: mpsc::Receiver<Command>) {
        loop {
            let now = self.clock.now();
            let wait = self.wait_ms(now);
            let first = match rx.recv_timeout(Duration::from_millis(wait)) {
                Ok(c) => Some(c),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    self.release_leases();
                    self.close_log_files();
                    return;
                }
            };
            let mut cmds: Vec<Command> = first.into_iter().collect();
            while cmds.len() < self.config.max_batch {
                match rx.try_recv() {
                    Ok(c) => cmds.push(c),
                    Err(_) => break,
                }
            }
            let mut stop = Vec::new();
            let cmds: Vec<Command> = cmds
                .into_iter()
                .filter_map(|c| match c {
                    Command::Shutdown(s) => {
                        stop.push(s);
                        None
                    }
                    c => Some(c),
                })
                .collect();
            self.process(cmds);
            self.wake_delayed();
            if !stop.is_empty() {
                self.release_leases();
                // Log lines of committed batches are written before anyone hears "stopped".
                self.close_log_files();
                for s in stop {
                    let _ = s.send(());
                }
                return;
            }
        }
    }

    fn wait_ms(&self, now: Timestamp) -> u64 {
        let mut wait = IDLE_WAKE_MS;
        if let Some(t) = self.next_timer {
            wait = wait.min(t.saturating_sub(now));
        }
        if let Some((t, _)) = self.delayed.first_key_value() {
            wait = wait.min(t.saturating_sub(now));
        }
        wait
    }

    fn wake_delayed(&mut self) {
        let now = self.clock.now();
        while let Some(entry) = self.delayed.first_entry() {
            if *entry.key() > now {
                break;
            }
            for q in entry.remove() {
                self.signals.wake(&q);
            }
        }
    }

    /// A graceful stop: gives back every lease this node handed out, so the next start
    /// finds only what a crash left (see `EngineConfig::local_workers`). A failure
    /// here leaves them to that start, which then counts local attempts as interrupted.
    fn release_leases(&mut self) {
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let released = store.begin().and_then(|mut tx| {
            let n = tx.release_leases(&self.config.node_id)?;
            tx.commit().map(|()| n)
        });
        if let Err(e) = released {
            tracing::warn!(error = %e, "cannot give back this node's leases at shutdown");
        }
    }

    /// Decides and commits one batch of commands (plus due timers).
    pub(super) fn process(&mut self, mut cmds: Vec<Command>) {
        let now = self.clock.now();
        let mut b = Batch::default();
        let timers_due = self.next_timer.is_some_and(|t| t <= now);
        if cmds.is_empty() && !timers_due {
            return;
        }
        let Some(mut store) = self.store.take() else {
            return;
        };
        let commands = cmds.len();
        let result = match store.begin() {
            Ok(mut tx) => {
                for cmd in cmds.drain(..) {
                    self.command(&mut *tx, cmd, now, &mut b);
                }
                if timers_due {
                    self.fire_timers(&mut *tx, now, &mut b);
                }
                self.flush(&mut *tx, &mut b);
                self.log_events(&mut *tx, now, &mut b);
                match b.failed.take() {
                    Some(e) => Err(e),
                    None => {
                        let commit = std::time::Instant::now();
                        let r = tx.commit().map_err(EngineError::from);
                        b.metrics
                            .committed(commands, commit.elapsed().as_secs_f64());
                        r
                    }
                }
            }
            Err(e) => Err(EngineError::from(e)),
        };
        self.store = Some(store);
        match result {
            Ok(()) => self.deliver(b),
            Err(e) => {
                tracing::error!(error = %e, "batch abandoned; nothing of it was committed");
                // Commands not yet taken (the transaction could not even begin).
                for cmd in cmds {
                    refuse(cmd, &e);
                }
                for id in b.dirty.keys() {
                    self.cache.forget(id);
                }
                for r in b.replies {
                    r.send(Some(&e));
                }
            }
        }
    }

    fn command(&mut self, tx: &mut dyn Tx, cmd: Command, now: Timestamp, b: &mut Batch) {
        match cmd {
            Command::Start(prepared, reply) => {
                let super::PreparedStart { req, checked } = *prepared;
                let r = self.start(tx, req, checked, now, b);
                self.run_follow_ups(tx, now, b);
                b.replies.push(Reply::Start(reply, r));
            }
            Command::Event(id, event, reply) => {
                let r = self.apply(tx, &id, event, now, b);
                self.run_follow_ups(tx, now, b);
                b.replies.push(Reply::Event(reply, r));
            }
            Command::EventWithLogs {
                workflow_id,
                event,
                task_id,
                logs,
                reply,
            } => {
                let r = self.apply_with_logs(tx, &workflow_id, event, &task_id, logs, now, b);
                self.run_follow_ups(tx, now, b);
                b.replies.push(Reply::Event(reply, r));
            }
            Command::EventAndPoll {
                workflow_id,
                event,
                queue,
                worker,
                reply,
            } => {
                let r = self.apply(tx, &workflow_id, event, now, b);
                self.run_follow_ups(tx, now, b);
                let r = r.and_then(|outcome| {
                    self.poll(tx, &queue, 1, &worker, now, b)
                        .map(|next| (outcome, next))
                });
                b.replies.push(Reply::EventAndPoll(reply, r));
            }
            Command::Poll {
                queue,
                count,
                worker,
                reply,
            } => {
                let r = self.poll(tx, &queue, count, &worker, now, b);
                b.replies.push(Reply::Poll(reply, r));
            }
            Command::RegisterWorkflowDef(def, reply) => {
                let r = self.register_workflow_def(tx, *def);
                b.replies.push(Reply::Unit(reply, r));
            }
            Command::RegisterTaskDef(def, reply) => {
                let r = tx.put_task_def(&def).map_err(EngineError::from);
                self.cache.invalidate_registry();
                b.replies.push(Reply::Unit(reply, r));
            }
            Command::RemoveWorkflow(id, reply) => {
                let r = tx.delete_workflow(&id).map_err(|e| self.fail(b, e.into()));
                self.cache.forget(&id);
                b.replies.push(Reply::Removed(reply, r));
            }
            Command::WithTx(job) => {
                // The job's reply waits for the commit like every other; a failure
                // abandons the batch. It may change or delete definitions, so registered
                // ones are resolved again.
                let (status, reply) = job(tx);
                b.replies.push(Reply::Deferred(reply));
                if let Err(e) = status {
                    self.fail(b, e.into());
                }
                self.cache.invalidate_registry();
            }
            Command::Recover(reply) => {
                let r = self.recover_leases(tx, now, b);
                b.replies.push(Reply::Unit(reply, r));
            }
            Command::Shutdown(reply) => {
                let _ = reply.send(());
            }
        }
    }

    fn poll(
        &mut self,
        tx: &mut dyn Tx,
        queue: &str,
        count: usize,
        worker: &str,
        now: Timestamp,
        b: &mut Batch,
    ) -> Result<Vec<Claimed>, EngineError> {
        let claimed = match tx.claim(
            queue,
            count.max(1),
            now,
            self.config.default_lease_ms,
            worker,
            &self.config.node_id,
        ) {
            Ok(c) => c,
            Err(e) => return Err(self.fail(b, e.into())),
        };
        let mut out = Vec::with_capacity(claimed.len());
        for c in claimed {
            let event = Event::TaskStarted {
                task_id: c.task.task_id.clone(),
                worker_id: Some(worker.to_string()),
                by: Principal::worker(worker),
            };
            match self.apply(tx, &c.workflow_id, event, now, b) {
                Ok(Outcome::Applied) => out.push(c),
                // The task ended while it sat in the queue (canceled, timed out): drop the row.
                Ok(_) | Err(EngineError::UnknownWorkflow(_)) => {
                    if let Err(e) = tx.dequeue(&c.task.task_id) {
                        return Err(self.fail(b, e.into()));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    fn fire_timers(&mut self, tx: &mut dyn Tx, now: Timestamp, b: &mut Batch) {
        let due = match tx.due_timers(now, TIMERS_PER_BATCH) {
            Ok(d) => d,
            Err(e) => {
                self.fail(b, e.into());
                return;
            }
        };
        for (wf, timer) in due {
            if let Err(e) = tx.delete_timer(&wf, &timer.id()) {
                self.fail(b, e.into());
                return;
            }
            match self.apply(tx, &wf, Event::TimerFired { timer }, now, b) {
                Ok(_) | Err(EngineError::UnknownWorkflow(_)) => {}
                Err(_) => return,
            }
            self.run_follow_ups(tx, now, b);
        }
        match tx.next_timer_due() {
            Ok(next) => self.next_timer = next,
            Err(e) => {
                self.fail(b, e.into());
            }
        }
    }

    /// Records a store error for the batch and returns it.
    pub(super) fn fail(&mut self, b: &mut Batch, e: EngineError) -> EngineError {
        if b.failed.is_none() {
            b.failed = Some(e.clone());
        }
        e
    }

    /// Delivers an event to a workflow inside the batch's transaction.
    pub(super) fn apply(
        &mut self,
        tx: &mut dyn Tx,
        id: &str,
        event: Event,
        now: Timestamp,
        b: &mut Batch,
    ) -> Result<Outcome, EngineError> {
        if b.failed.is_some() {
            return Err(b.failed.clone().unwrap_or(EngineError::Stopped));
        }
        let verify = !b.dirty.contains_key(id);
        let entry = match self.cache.get_or_load(tx, id, verify) {
            Ok(Some(e)) => e,
            Ok(None) => return Err(EngineError::UnknownWorkflow(id.to_string())),
            Err(e) => return Err(self.fail(b, e)),
        };
        let def = entry.def.clone();
        let state = std::mem::replace(&mut entry.state, baton_core::WorkflowState::new("", "", 0));
        let before = state.status;
        let Decision {
            state,
            effects,
            transitions,
            outcome,
        } = decide(&def, state, &event, now);
        let facts = Facts::of(&state, &transitions, before, now);
        // The state goes back to the cache without a copy; `record` works from `facts`.
        entry.state = state;
        if outcome == Outcome::Applied {
            self.record(
                tx,
                id,
                event,
                Recorded {
                    effects,
                    transitions,
                    facts,
                },
                before,
                now,
                b,
            );
        }
        Ok(outcome)
    }

    /// Writes what an applied decision asked for, within the batch's transaction: the
    /// event, then each effect exactly as the decider wrote it (no write is inferred from
    /// the transitions or the state), then the engine events to publish.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &mut self,
        tx: &mut dyn Tx,
        id: &str,
        event: Event,
        decision: Recorded,
        before: WorkflowStatus,
        now: Timestamp,
        b: &mut Batch,
    ) {
        let history_len = self.cache.history_len(id);
        let entry = b
            .dirty
            .entry(id.to_string())
            .or_insert_with(|| (history_len, Vec::new()));
        entry.1.push((now, event));
        self.cache.bump_history(id);
        let mut decision = decision;
        b.metrics.add(std::mem::take(&mut decision.facts.metrics));
        let state = &decision.facts;
        for (t, (attempt, reason)) in decision.transitions.iter().zip(&state.tasks) {
            b.out.push(EngineEvent::Task {
                workflow_id: id.to_string(),
                transition: t.clone(),
                attempt: *attempt,
                at: now,
                reason: reason.clone(),
            });
        }
        if state.status != before {
            b.status_changed.insert(id.to_string());
        }
        if state.status != before && before != WorkflowStatus::Pending {
            b.out.push(EngineEvent::WorkflowStatus {
                workflow_id: id.to_string(),
                status: state.status,
                reason: state.reason.clone(),
                at: now,
            });
        }
        for effect in decision.effects {
            let r = match effect {
                Effect::Enqueue(q) => {
                    // Remembered only once committed (see `deliver`): a failed batch
                    // must not keep the next one from announcing the queue.
                    if !self.known_queues.contains(&q.queue) && b.new_queues.insert(q.queue.clone())
                    {
                        b.out.push(EngineEvent::QueueSeen {
                            queue: q.queue.clone(),
                        });
                    }
                    if q.visible_at <= now {
                        b.wake.insert(q.queue.clone());
                    } else {
                        self.delayed
                            .entry(q.visible_at)
                            .or_default()
                            .insert(q.queue.clone());
                    }
                    tx.enqueue(id, &q)
                }
                Effect::Dequeue { task_id } => tx.dequeue(&task_id),
                Effect::StartTimer(t) => {
                    self.next_timer = Some(self.next_timer.map_or(t.fire_at, |n| n.min(t.fire_at)));
                    tx.put_timer(id, &t)
                }
                Effect::StartWorkflow(req) => {
                    b.follow_ups.push_back(FollowUp::Start(req));
                    Ok(())
                }
                Effect::ClearTimers => tx.delete_timers_of(id),
                Effect::DeliverEvent { workflow_id, event } => {
                    b.follow_ups.push_back(FollowUp::Event(workflow_id, *event));
                    Ok(())
                }
                Effect::WorkflowEnded { .. } => {
                    // The cache lets go of it once the batch is committed.
                    b.ended.push(id.to_string());
                    Ok(())
                }
                Effect::Alert { message } => {
                    tracing::warn!(workflow_id = id, %message, "alert");
                    b.out.push(EngineEvent::Alert {
                        workflow_id: id.to_string(),
                        message,
                    });
                    Ok(())
                }
            };
            if let Err(e) = r {
                self.fail(b, e.into());
                return;
            }
        }
    }

    /// Runs the cross-workflow work the batch's decisions asked for.
    pub(super) fn run_follow_ups(&mut self, tx: &mut dyn Tx, now: Timestamp, b: &mut Batch) {
        while let Some(f) = b.follow_ups.pop_front() {
            if b.failed.is_some() {
                return;
            }
            match f {
                FollowUp::Event(id, event) => match self.apply(tx, &id, event, now, b) {
                    Ok(_) => {}
                    Err(EngineError::UnknownWorkflow(w)) => {
                        tracing::warn!(workflow_id = %w, "an event for a workflow that does not exist was dropped");
                    }
                    Err(_) => {}
                },
                FollowUp::Start(req) => self.start_requested(tx, req, now, b),
            }
        }
    }

    /// Writes history and snapshots of every workflow the batch changed.
    fn flush(&mut self, tx: &mut dyn Tx, b: &mut Batch) {
        if b.failed.is_some() {
            return;
        }
        for (id, (first_seq, events)) in &b.dirty {
            let refs: Vec<(Timestamp, &Event)> = events.iter().map(|(t, e)| (*t, e)).collect();
            let mut r = tx.append_history(id, *first_seq, &refs);
            // The history is the record of truth; the checkpoint only saves replay work.
            // Write it when the status changes (lists read the status column), when the
            // workflow ends, and every CHECKPOINT_EVERY events.
            if let Some(c) = self.cache.get(id) {
                let due = c.history_len.saturating_sub(c.snapshot_seq)
                    >= checkpoint_interval(c.state.tasks.len());
                if r.is_ok()
                    && (due || b.status_changed.contains(id) || c.state.status.is_terminal())
                {
                    r = tx.save_state(id, &c.state, c.history_len);
                    if r.is_ok() {
                        b.checkpointed.push((id.clone(), c.history_len));
                    }
                }
            }
            if let Err(e) = r {
                self.fail(b, e.into());
                return;
            }
        }
    }

    /// Writes the batch's engine events to the store's event log, in its transaction, so
    /// a stream that reconnects can be handed exactly what it missed.
    fn log_events(&mut self, tx: &mut dyn Tx, now: Timestamp, b: &mut Batch) {
        if b.failed.is_some() {
            return;
        }
        let mut bodies = Vec::new();
        for e in b.out.iter().filter(|e| e.is_durable()) {
            match super::event_log::encode(e, now) {
                Ok(v) => bodies.push(v),
                Err(err) => {
                    self.fail(
                        b,
                        EngineError::Internal(format!("cannot encode an event: {err}")),
                    );
                    return;
                }
            }
        }
        match tx.append_events(now, &bodies) {
            Ok(first) => b.first_event_id = first,
            Err(e) => {
                self.fail(b, e.into());
            }
        }
    }

    /// After commit: answer callers, wake pollers, publish events, write `log_to` files.
    fn deliver(&mut self, mut b: Batch) {
        std::mem::take(&mut b.metrics).record();
        self.known_queues.extend(b.new_queues.iter().cloned());
        for r in b.replies {
            r.send(None);
        }
        for (id, covers) in &b.checkpointed {
            self.cache.set_snapshot_seq(id, *covers);
        }
        for q in &b.wake {
            self.signals.wake(q);
        }
        for (id, (_, events)) in &b.dirty {
            if let Some(path) = self.cache.log_to(id) {
                self.log_files
                    .get_or_insert_with(LogWriter::start)
                    .send(path, id, events);
            }
        }
        if self.numbered.receiver_count() > 0 {
            let mut next = b.first_event_id;
            let numbered: Vec<NumberedEvent> = b
                .out
                .iter()
                .map(|e| {
                    let id = e.is_durable().then(|| {
                        next += 1;
                        next - 1
                    });
                    (id, e.clone())
                })
                .collect();
            if !numbered.is_empty() {
                let _ = self.numbered.send(Arc::new(numbered));
            }
        }
        for e in b.out {
            let _ = self.events.send(e);
        }
        for id in &b.ended {
            self.cache.forget(id);
        }
        let touched: HashSet<&String> = b.dirty.keys().collect();
        self.cache.trim(&touched);
    }
}

/// Lines for one `log_to` file: (path, workflow id, events).
type LogJob = (String, String, Vec<(Timestamp, Event)>);

/// Writes `monitoring.log_to` files on a thread of its own, in commit order, so a slow
/// or full disk never holds up the engine thread.
struct LogWriter {
    jobs: Option<mpsc::Sender<LogJob>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LogWriter {
    fn start() -> LogWriter {
        let (jobs, rx) = mpsc::channel::<LogJob>();
        let thread = std::thread::Builder::new()
            .name("baton-log-to".into())
            .spawn(move || {
                for (path, id, events) in rx {
                    append_log(&path, &id, &events);
                }
            })
            .map_err(|e| tracing::warn!(error = %e, "cannot start the log_to writer"))
            .ok();
        LogWriter {
            jobs: Some(jobs),
            thread,
        }
    }

    fn send(&self, path: String, workflow_id: &str, events: &[(Timestamp, Event)]) {
        if let Some(jobs) = &self.jobs
            && jobs
                .send((path, workflow_id.to_string(), events.to_vec()))
                .is_err()
        {
            tracing::warn!(
                workflow_id,
                "the log_to writer has stopped; lines not written"
            );
        }
    }
}

impl Worker {
    /// Lets the log writer finish what it was given, then stops it.
    fn close_log_files(&mut self) {
        if let Some(mut w) = self.log_files.take() {
            drop(w.jobs.take());
            if let Some(t) = w.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// `monitoring.log_to`: one JSON line per event. Failures to write are logged, not fatal:
/// the history in the store is the record of truth.
fn append_log(path: &str, workflow_id: &str, events: &[(Timestamp, Event)]) {
    use std::io::Write;
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        tracing::warn!(%path, error = %e, "cannot create the folder of monitoring.log_to");
        return;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(%path, error = %e, "cannot open monitoring.log_to file");
            return;
        }
    };
    for (at, event) in events {
        let line = serde_json::json!({ "workflowId": workflow_id, "at": at, "event": event });
        if let Err(e) = writeln!(file, "{line}") {
            tracing::warn!(%path, error = %e, "cannot write monitoring.log_to file");
            return;
        }
    }
}

/// Answers a command that could not be processed.
fn refuse(cmd: Command, e: &EngineError) {
    match cmd {
        Command::Start(_, r) => drop(r.send(Err(e.clone()))),
        Command::Event(_, _, r) => drop(r.send(Err(e.clone()))),
        Command::EventWithLogs { reply, .. } => drop(reply.send(Err(e.clone()))),
        Command::EventAndPoll { reply, .. } => drop(reply.send(Err(e.clone()))),
        Command::Poll { reply, .. } => drop(reply.send(Err(e.clone()))),
        Command::RegisterWorkflowDef(_, r) | Command::RegisterTaskDef(_, r) => {
            drop(r.send(Err(e.clone())))
        }
        Command::RemoveWorkflow(_, r) => drop(r.send(Err(e.clone()))),
        Command::WithTx(_) => {}
        Command::Recover(r) => drop(r.send(Err(e.clone()))),
        Command::Shutdown(r) => drop(r.send(())),
    }
}
