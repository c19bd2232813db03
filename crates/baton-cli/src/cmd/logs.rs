//! `baton logs ID`: the full history of a workflow — who did what, when.

use super::local::time;
use super::target::{Access, Target};
use crate::exit::Code;
use baton_control::HistoryEvent;
use baton_core::Event;
use clap::Args;

/// Arguments of `baton logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The workflow id.
    pub id: String,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Prints the history, oldest first.
pub async fn run(args: &LogsArgs) -> anyhow::Result<Code> {
    let opened = args.target.open(Access::Read)?;
    let found = opened.control.history(&args.id).await;
    opened.close().await;
    let items = match found {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Code::Usage);
        }
    };
    for item in items {
        if args.json {
            crate::outln!(
                "{}",
                serde_json::json!({ "seq": item.seq, "at": time(item.at), "event": item.event })
            );
            continue;
        }
        match &item.event {
            HistoryEvent::Known(e) => {
                let (who, what) = describe(e);
                crate::outln!("{}  #{:<4} {:<14} {what}", time(item.at), item.seq, who);
            }
            // An event this build does not know (a newer server): shown as it came.
            HistoryEvent::Unknown(raw) => {
                crate::outln!("{}  #{:<4} {}", time(item.at), item.seq, raw)
            }
        }
    }
    Ok(Code::Ok)
}

/// Who caused an event and what it was, in words.
fn describe(e: &Event) -> (String, String) {
    let worker = |w: &Option<String>| w.clone().unwrap_or_else(|| "worker".to_string());
    match e {
        Event::WorkflowStarted {
            input,
            correlation_id,
            parent,
            ..
        } => (
            parent.as_ref().map_or("caller".to_string(), |p| {
                format!("parent {}", p.workflow_id)
            }),
            format!(
                "started with input {}{}",
                input,
                correlation_id
                    .as_ref()
                    .map(|c| format!(" (correlation {c})"))
                    .unwrap_or_default()
            ),
        ),
        Event::TaskStarted {
            task_id, worker_id, ..
        } => (worker(worker_id), format!("picked up {task_id}")),
        Event::TaskUpdated {
            task_id,
            status,
            output,
            reason,
            worker_id,
            ..
        } => (
            worker(worker_id),
            format!(
                "{task_id} {:?}{}{}",
                status,
                reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                if output.is_null() {
                    String::new()
                } else {
                    format!(" output {output}")
                }
            ),
        ),
        Event::TimerFired { timer } => (
            "timer".to_string(),
            format!(
                "{:?} fired for {}",
                timer.kind,
                timer.task_id.as_deref().unwrap_or("workflow")
            ),
        ),
        Event::HumanDecision {
            task_id,
            approved,
            by,
            comment,
        } => (
            format!("{} ({:?})", by.name, by.role),
            format!(
                "{} {task_id}{}",
                if *approved { "approved" } else { "rejected" },
                comment
                    .as_ref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            ),
        ),
        Event::ChildWorkflowEnded {
            child_id, status, ..
        } => (
            "engine".to_string(),
            format!("child {child_id} ended {}", status.as_str()),
        ),
        Event::Paused { by } => (by.name.clone(), "paused the workflow".to_string()),
        Event::Resumed { by } => (by.name.clone(), "resumed the workflow".to_string()),
        Event::Terminated { reason, by } => (
            by.name.clone(),
            format!("terminated the workflow: {reason}"),
        ),
        Event::Retried { by } => (by.name.clone(), "retried the failed tasks".to_string()),
        Event::Restarted { by } => (by.name.clone(), "restarted the workflow".to_string()),
        Event::Rerun {
            from_task_id, by, ..
        } => (
            by.name.clone(),
            format!(
                "reran the workflow from {}",
                from_task_id.as_deref().unwrap_or("the start")
            ),
        ),
        Event::TaskSkipped { ref_name, by } => (by.name.clone(), format!("skipped {ref_name}")),
    }
}
