//! Driving one workflow to its end in this process: local runners, live progress, Ctrl-C.

use super::local::duration;
use crate::exit::Code;
use baton_core::{TaskStatus, WorkflowStatus};
use baton_runners::Runners;
use baton_runtime::dispatch::serve;
use baton_runtime::{Engine, EngineEvent};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How much to show.
#[derive(Debug, Clone, Copy)]
pub struct Display {
    /// No progress lines, only the output.
    pub quiet: bool,
}

/// Runs local runners for `queues` and shows `workflow_id`'s progress until it ends or
/// the user presses Ctrl-C. `events` must have been subscribed before the workflow
/// started (or was resumed), so no transition is missed.
pub async fn follow(
    engine: Engine,
    mut events: broadcast::Receiver<EngineEvent>,
    workflow_id: &str,
    runners: Arc<Runners>,
    queues: Vec<String>,
    db: &std::path::Path,
    display: Display,
) -> anyhow::Result<Code> {
    let handle = engine.handle();
    let cancel = CancellationToken::new();
    let config = super::local::dispatch_config(true);
    let dispatcher = tokio::spawn(serve(
        handle.clone(),
        runners,
        queues,
        config,
        cancel.clone(),
    ));
    let mut progress = Progress::new(workflow_id, display);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut check = tokio::time::interval(Duration::from_millis(500));
    let outcome = loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) => progress.show(&ev),
                Err(broadcast::error::RecvError::Lagged(n)) => progress.line(&format!("  ({n} progress events skipped)")),
                Err(broadcast::error::RecvError::Closed) => break None,
            },
            _ = check.tick() => {
                // The store is the truth: an end event may have been skipped under load.
                if let Ok(r) = handle.reader()
                    && let Ok(Some(w)) = r.workflow(workflow_id)
                    && w.meta.status.is_terminal()
                {
                    break Some(w);
                }
            }
            _ = &mut ctrl_c => {
                progress.finish();
                cancel.cancel();
                let _ = dispatcher.await;
                engine.shutdown().await;
                eprintln!(
                    "\nInterrupted. The run is saved; continue it with:\n  baton resume {workflow_id} --db {}",
                    db.display()
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
                _ = &mut ctrl_c => break,
            }
        }
    }
    progress.finish();
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
                eprintln!(
                    "✓ {} COMPLETED in {} ({workflow_id})",
                    w.meta.name,
                    duration(took)
                );
            }
            Ok(Code::Ok)
        }
        s => {
            eprintln!(
                "✗ {} {} after {}: {}",
                w.meta.name,
                s.as_str(),
                duration(took),
                w.state.reason.as_deref().unwrap_or("no reason recorded")
            );
            eprintln!("  history: baton logs {workflow_id} --db {}", db.display());
            Ok(Code::Failed)
        }
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
        match &self.bar {
            Some(b) => b.println(text),
            None => eprintln!("{text}"),
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
