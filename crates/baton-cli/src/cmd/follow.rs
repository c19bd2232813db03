//! Driving one workflow to its end in this process: local runners, live progress, the
//! local control socket, what waits for a person, Ctrl-C.

use super::local::{self, duration};
use super::socket::{About, ControlSocket, shell_word};
use crate::exit::Code;
use baton_core::{Hold, TaskStatus, WorkflowStatus};
use baton_model::Role;
use baton_runners::Runners;
use baton_runtime::dispatch::serve;
use baton_runtime::{Engine, EngineEvent};
use baton_store::{Reader, StoreError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How much to show.
#[derive(Debug, Clone, Copy)]
pub struct Display {
    /// No progress lines, only the output (and what waits for a person).
    pub quiet: bool,
}

/// What to follow, and with what.
pub struct Run<'a> {
    /// The workflow to drive to its end.
    pub workflow_id: &'a str,
    /// The local runners.
    pub runners: Arc<Runners>,
    /// The queues to serve from the start (more are served as the engine announces them).
    pub queues: Vec<String>,
    /// The database, as the user gave it (it appears in the commands printed).
    pub db: &'a Path,
    /// How much to show.
    pub display: Display,
    /// The command that follows (`run` or `resume`), as the control socket reports it.
    pub command: &'static str,
}

/// Runs local runners for the run's queues, serves the control socket, and shows the
/// workflow's progress until it ends or the user presses Ctrl-C (or sends SIGTERM).
/// `events` must have been subscribed before the workflow started (or was resumed), so
/// no transition is missed.
pub async fn follow(
    engine: Engine,
    mut events: broadcast::Receiver<EngineEvent>,
    run: Run<'_>,
) -> anyhow::Result<Code> {
    let Run {
        workflow_id,
        runners,
        queues,
        db,
        display,
        command,
    } = run;
    let handle = engine.handle();
    let about = About {
        command,
        workflow_id: workflow_id.to_string(),
        runners: runners.clone(),
    };
    let socket = match ControlSocket::serve(handle.clone(), db, about) {
        Ok(s) => Some(s),
        Err(e) => {
            crate::errln!(
                "warning: {e:#}\n  the run goes on, but other shells cannot control it (`baton pause|terminate ... --db` will say the database is in use)"
            );
            None
        }
    };
    let cancel = CancellationToken::new();
    let runners_for_hints = Arc::clone(&runners);
    let config = super::local::dispatch_config(true);
    let dispatcher = tokio::spawn(serve(
        handle.clone(),
        runners,
        queues,
        config,
        cancel.clone(),
    ));
    let mut progress = Progress::new(workflow_id, display);
    let mut people = WaitingHints::new(workflow_id, db);
    let mut agents = AgentHints::new(runners_for_hints);
    let interrupted = super::server::shutdown_signal();
    tokio::pin!(interrupted);
    let mut check = tokio::time::interval(Duration::from_millis(500));
    let outcome = loop {
        tokio::select! {
            ev = events.recv() => {
                people.changed();
                match ev {
                    Ok(ev) => progress.show(&ev),
                    Err(broadcast::error::RecvError::Lagged(n)) => progress.line(&format!("  ({n} progress events skipped)")),
                    Err(broadcast::error::RecvError::Closed) => break None,
                }
            },
            _ = check.tick() => {
                // The store is the truth: an end event may have been skipped under load.
                if let Ok(r) = handle.reader() {
                    if let Ok(Some(w)) = r.workflow(workflow_id) {
                        if w.meta.status.is_terminal() {
                            break Some(w);
                        }
                        for text in agents.check(&w.state) {
                            progress.line(&text);
                        }
                    }
                    for text in people.check(r.as_ref()) {
                        progress.always(&text);
                    }
                }
            }
            _ = &mut interrupted => {
                progress.finish();
                if let Some(s) = socket {
                    s.close().await;
                }
                cancel.cancel();
                let _ = dispatcher.await;
                engine.shutdown().await;
                crate::errln!(
                    "\nInterrupted. The run is saved; continue it with:\n  baton resume {} --db {}",
                    shell_word(workflow_id),
                    shell_word(&db.display().to_string())
                );
                return Ok(Code::Interrupted);
            }
        }
    };
    // A failure workflow is part of handling the failure: let it finish too.
    let failure_id = format!("{workflow_id}.failure");
    let failure_started = || {
        handle
            .reader()
            .ok()
            .and_then(|r| r.workflow(&failure_id).ok().flatten())
    };
    if outcome
        .as_ref()
        .is_some_and(|w| w.meta.status != WorkflowStatus::Completed)
        && failure_started().is_some()
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
        loop {
            if failure_started().is_none_or(|w| w.meta.status.is_terminal())
                || tokio::time::Instant::now() > deadline
            {
                break;
            }
            tokio::select! {
                ev = events.recv() => if let Ok(ev) = ev { progress.show(&ev) },
                _ = check.tick() => {}
                _ = &mut interrupted => break,
            }
        }
    }
    progress.finish();
    if let Some(s) = socket {
        s.close().await;
    }
    cancel.cancel();
    let _ = dispatcher.await;
    let stored = match outcome {
        Some(w) => Some(w),
        None => handle
            .reader()
            .ok()
            .and_then(|r| r.workflow(workflow_id).ok().flatten()),
    };
    engine.shutdown().await;
    let Some(w) = stored else {
        anyhow::bail!("workflow {workflow_id} disappeared from the database");
    };
    crate::outln!("{}", serde_json::to_string_pretty(&w.state.output)?);
    let took = w
        .state
        .ended_at
        .unwrap_or(w.meta.updated_at)
        .saturating_sub(w.state.created_at);
    match w.meta.status {
        WorkflowStatus::Completed => {
            if !display.quiet {
                crate::errln!(
                    "✓ {} COMPLETED in {} ({workflow_id})",
                    w.meta.name,
                    duration(took)
                );
            }
            Ok(Code::Ok)
        }
        s => {
            crate::errln!(
                "✗ {} {} after {}: {}",
                w.meta.name,
                s.as_str(),
                duration(took),
                w.state.reason.as_deref().unwrap_or("no reason recorded")
            );
            crate::errln!(
                "  history: baton logs {} --db {}",
                shell_word(workflow_id),
                shell_word(&db.display().to_string())
            );
            Ok(Code::Failed)
        }
    }
}

/// What a waiting task waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitFor {
    /// A HUMAN task: someone approves or rejects it. `decided_by` is the least authority
    /// that may (the task's `role`, L0 when it names none).
    Decision {
        /// The least authority that may decide.
        decided_by: Role,
    },
    /// A supervised run's gate: approved, the task runs; rejected, it fails (or skips).
    Gate {
        /// The least authority that may decide.
        decided_by: Role,
    },
    /// A debug run paused before the task: step, continue, or inspect first.
    Breakpoint,
}

/// A task that waits for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Its workflow (the followed one, or one of its sub-workflows).
    pub workflow_id: String,
    /// The waiting attempt.
    pub task_id: String,
    /// Its reference name (what `baton approve ID REF` takes).
    pub ref_name: String,
    /// Since when it waits (ms since the epoch).
    pub since: u64,
    /// For what.
    pub wait_for: WaitFor,
}

/// The tasks of `root` and of its live sub-workflows that wait for a person; `None`
/// while something there still moves by itself (a worker task, a timer), so the hint
/// comes when the run really waits for someone.
pub fn waiting_for_people(
    reader: &dyn Reader,
    root: &str,
) -> Result<Option<Vec<Waiting>>, StoreError> {
    let mut out = Vec::new();
    let mut next = vec![root.to_string()];
    while let Some(id) = next.pop() {
        let Some(w) = reader.workflow(&id)? else {
            continue;
        };
        if w.meta.status.is_terminal() {
            continue;
        }
        let mut def = None;
        for t in w.state.tasks.iter().filter(|t| !t.status.is_terminal()) {
            let mut role = || -> Result<Role, StoreError> {
                if def.is_none() {
                    def = Some(reader.definition(&w.meta.def_hash)?);
                }
                Ok(def
                    .as_ref()
                    .and_then(Option::as_ref)
                    .and_then(|d| d.find(&t.def_ref))
                    .and_then(|d| d.role)
                    .unwrap_or(Role::L0))
            };
            let wait_for = match t.hold {
                // As `ApprovalView` words it: a gate is the commander's to decide.
                Some(Hold::Gate) => Some(WaitFor::Gate {
                    decided_by: baton_core::GATE_ROLE,
                }),
                Some(Hold::Breakpoint) => Some(WaitFor::Breakpoint),
                None if t.task_type.awaits_person() => Some(WaitFor::Decision {
                    decided_by: role()?,
                }),
                None => None,
            };
            match wait_for {
                Some(wait_for) => out.push(Waiting {
                    workflow_id: id.clone(),
                    task_id: t.task_id.clone(),
                    ref_name: t.ref_name.clone(),
                    since: t.scheduled_at,
                    wait_for,
                }),
                None if t.task_type.runs_on_worker() || t.task_type.waits_on_timer() => {
                    return Ok(None);
                }
                None => {
                    if t.task_type.has_child()
                        && let Some(child) = &t.control.child_id
                    {
                        next.push(child.clone());
                    }
                }
            }
        }
    }
    Ok(Some(out))
}

/// The lines that say what `w` waits for, since when, who may decide, and the exact
/// commands that decide it (on the database `db`, written as the user gave it).
pub fn hint(w: &Waiting, root: &str, db: &Path) -> Vec<String> {
    let on = |verb: &str, with_ref: bool| {
        let mut c = format!("baton {verb} {}", shell_word(&w.workflow_id));
        if with_ref {
            c.push(' ');
            c.push_str(&shell_word(&w.ref_name));
        }
        c.push_str(" --db ");
        c.push_str(&shell_word(&db.display().to_string()));
        c
    };
    let place = if w.workflow_id == root {
        String::new()
    } else {
        format!(" (in sub-workflow {})", w.workflow_id)
    };
    let since = local::time(w.since);
    match w.wait_for {
        WaitFor::Decision { decided_by } => vec![
            format!(
                "  ⏸ {}{place} waits for a decision since {since}; {} may decide:",
                w.ref_name,
                who(decided_by)
            ),
            format!("      approve: {}", on("approve", true)),
            format!("      reject:  {}", on("reject", true)),
        ],
        WaitFor::Gate { decided_by } => vec![
            format!(
                "  ⏸ {}{place} is a gate: it runs once approved (waiting since {since}); {} may decide:",
                w.ref_name,
                who(decided_by)
            ),
            format!("      approve: {}", on("approve", true)),
            format!("      reject:  {}", on("reject", true)),
        ],
        WaitFor::Breakpoint => vec![
            format!(
                "  ⏸ {}{place}: the debug run paused before it (since {since})",
                w.ref_name
            ),
            format!("      inspect:  {}", on("inspect", false)),
            format!("      step:     {}", on("step", false)),
            format!("      continue: {}", on("continue", false)),
        ],
    }
}

/// Who may decide, in words: `L0 (commander)`, `L1 (bridge) or L0`, ...
fn who(role: Role) -> String {
    let name = |r: Role| match r {
        Role::L0 => "L0 (commander)",
        Role::L1 => "L1 (bridge)",
        Role::L2 => "L2 (station ops)",
        Role::L3 => "L3 (worker)",
    };
    match role {
        Role::L0 => name(role).to_string(),
        r => format!("{} or a higher role", name(r)),
    }
}

/// Prints, once per waiting task, what the run waits for and how to decide it.
struct WaitingHints {
    root: String,
    db: std::path::PathBuf,
    shown: HashSet<String>,
    dirty: bool,
}

impl WaitingHints {
    fn new(root: &str, db: &Path) -> Self {
        WaitingHints {
            root: root.to_string(),
            db: db.to_path_buf(),
            shown: HashSet::new(),
            // A resumed run may wait already.
            dirty: true,
        }
    }

    /// Something happened: look again at the next check.
    fn changed(&mut self) {
        self.dirty = true;
    }

    /// The lines to print for tasks that newly wait for a person (none while anything
    /// else moves, or when nothing changed since the last look).
    fn check(&mut self, reader: &dyn Reader) -> Vec<String> {
        if !std::mem::take(&mut self.dirty) {
            return Vec::new();
        }
        let Ok(Some(waiting)) = waiting_for_people(reader, &self.root) else {
            return Vec::new();
        };
        waiting
            .iter()
            .filter(|w| self.shown.insert(w.task_id.clone()))
            .flat_map(|w| hint(w, &self.root, &self.db))
            .collect()
    }
}

/// How long an attempt of an outside agent may stay unanswered before `run` says what
/// it waits for.
const AGENT_HINT_AFTER_MS: u64 = 5_000;

/// Says, once per attempt, that a task waits for an outside agent (a folder agent that
/// may not be running), where its work is, and how to start one.
struct AgentHints {
    runners: Arc<Runners>,
    shown: HashSet<String>,
}

impl AgentHints {
    fn new(runners: Arc<Runners>) -> Self {
        AgentHints {
            runners,
            shown: HashSet::new(),
        }
    }

    fn check(&mut self, state: &baton_core::WorkflowState) -> Vec<String> {
        let now = local::now_ms();
        let mut out = Vec::new();
        for t in &state.tasks {
            let waited = t
                .started_at
                .is_some_and(|s| now.saturating_sub(s) >= AGENT_HINT_AFTER_MS);
            if t.status != TaskStatus::InProgress || !waited || self.shown.contains(&t.task_id) {
                continue;
            }
            let Some(on) = t
                .task_type
                .queue(&t.name)
                .and_then(|q| self.runners.get(q))
                .and_then(|r| r.waits_on())
            else {
                continue;
            };
            self.shown.insert(t.task_id.clone());
            out.push(format!(
                "  ⋯ {} waits for {}: its task file is in {}; if no agent is running, start one:\n      {}",
                t.ref_name, on.what, on.place, on.start
            ));
        }
        out
    }
}

/// Live progress: a line per task state change, and a bar when stderr is a terminal.
struct Progress {
    workflow_id: String,
    quiet: bool,
    bar: Option<ProgressBar>,
    started: HashMap<String, u64>,
    total: u64,
    done: u64,
}

impl Progress {
    fn new(workflow_id: &str, display: Display) -> Self {
        let bar = (!display.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} tasks  {elapsed}  {msg}",
            ) {
                bar.set_style(style.progress_chars("█▉░"));
            }
            bar
        });
        Progress {
            workflow_id: workflow_id.to_string(),
            quiet: display.quiet,
            bar,
            started: HashMap::new(),
            total: 0,
            done: 0,
        }
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        self.always(text);
    }

    /// A line shown even with `--quiet` (what waits for a person).
    fn always(&self, text: &str) {
        match &self.bar {
            Some(b) => b.println(text),
            None => crate::errln!("{text}"),
        }
    }

    fn show(&mut self, ev: &EngineEvent) {
        match ev {
            EngineEvent::Task {
                workflow_id,
                transition,
                attempt,
                at,
                reason,
            } => {
                let child = workflow_id != &self.workflow_id;
                if !workflow_id.starts_with(&self.workflow_id) {
                    return;
                }
                let name = if child {
                    format!("{}/{}", short(workflow_id), transition.ref_name)
                } else {
                    transition.ref_name.clone()
                };
                if transition.from.is_none() {
                    self.total += 1;
                }
                let key = transition.task_id.clone();
                let retry = if *attempt > 0 {
                    format!(" (attempt {})", attempt + 1)
                } else {
                    String::new()
                };
                let text = match transition.to {
                    TaskStatus::Scheduled => {
                        self.started.insert(key, *at);
                        format!("  ⋯ {name:<28} scheduled{retry}")
                    }
                    TaskStatus::InProgress => {
                        self.started.entry(key).or_insert(*at);
                        format!("  ⟳ {name:<28} running{retry}")
                    }
                    s => {
                        self.done += 1;
                        let took = self
                            .started
                            .remove(&key)
                            .map(|t| duration(at.saturating_sub(t)))
                            .unwrap_or_default();
                        let why = reason
                            .as_deref()
                            .map(|r| format!(" — {r}"))
                            .unwrap_or_default();
                        let mark = match s {
                            TaskStatus::Completed => "✓",
                            TaskStatus::Skipped => "⊘",
                            TaskStatus::CompletedWithErrors => "✓!",
                            TaskStatus::Canceled => "■",
                            _ => "✗",
                        };
                        format!(
                            "  {mark} {name:<28} {:<22} {took:>7}{retry}{why}",
                            s.as_str()
                        )
                    }
                };
                self.line(&text);
                if let Some(b) = &self.bar {
                    b.set_length(self.total);
                    b.set_position(self.done);
                    b.set_message(transition.ref_name.clone());
                }
            }
            EngineEvent::WorkflowStatus {
                workflow_id,
                status,
                reason,
                ..
            } if workflow_id == &self.workflow_id && !status.is_terminal() => {
                let why = reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                self.line(&format!("workflow {}{why}", status.as_str()));
            }
            EngineEvent::WorkflowStarted {
                workflow_id, name, ..
            } if workflow_id != &self.workflow_id && workflow_id.starts_with(&self.workflow_id) => {
                self.line(&format!("  ↳ started {name} ({})", short(workflow_id)));
            }
            EngineEvent::Alert {
                workflow_id,
                message,
            } if workflow_id.starts_with(&self.workflow_id) => {
                self.line(&format!("  ! {message}"));
            }
            _ => {}
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The last part of a child workflow id (`<parent>-t3.sub` → `t3.sub`).
fn short(id: &str) -> &str {
    id.rsplit('-').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(workflow_id: &str, wait_for: WaitFor) -> Waiting {
        Waiting {
            workflow_id: workflow_id.to_string(),
            task_id: format!("{workflow_id}-t1"),
            ref_name: "review".to_string(),
            since: 0,
            wait_for,
        }
    }

    #[test]
    fn hints_give_the_exact_commands() {
        let db = Path::new("my runs/b.db");
        let h = hint(
            &waiting(
                "w1",
                WaitFor::Decision {
                    decided_by: Role::L0,
                },
            ),
            "w1",
            db,
        );
        assert!(h[0].contains("review waits for a decision since 1970-01-01T00:00:00.000Z"));
        assert!(h[0].contains("L0 (commander) may decide"), "{h:?}");
        assert_eq!(
            h[1],
            "      approve: baton approve w1 review --db 'my runs/b.db'"
        );
        assert_eq!(
            h[2],
            "      reject:  baton reject w1 review --db 'my runs/b.db'"
        );

        let h = hint(
            &waiting(
                "w1-t3.sub",
                WaitFor::Gate {
                    decided_by: Role::L1,
                },
            ),
            "w1",
            Path::new("b.db"),
        );
        assert!(
            h[0].contains("(in sub-workflow w1-t3.sub) is a gate"),
            "{h:?}"
        );
        assert!(h[0].contains("L1 (bridge) or a higher role"), "{h:?}");
        assert_eq!(
            h[1],
            "      approve: baton approve w1-t3.sub review --db b.db"
        );

        let h = hint(&waiting("w1", WaitFor::Breakpoint), "w1", Path::new("b.db"));
        assert_eq!(h[1], "      inspect:  baton inspect w1 --db b.db");
        assert_eq!(h[2], "      step:     baton step w1 --db b.db");
        assert_eq!(h[3], "      continue: baton continue w1 --db b.db");
    }
}
