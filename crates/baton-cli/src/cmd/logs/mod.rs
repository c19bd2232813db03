//! `baton logs ID`: the full history of a workflow — who did what, when.
//!
//! The text interleaves the recorded events (`#seq`) with what the engine decided
//! from them (`-`: tasks scheduled, system tasks decided, tasks skipped; see
//! [`derived`]), and names tasks by their reference with the id beside it. `--json`
//! prints the recorded history only, one event per line, with each task's `task_ref`.

mod derived;
mod describe;

use super::local::time;
use super::target::{Access, Target};
use crate::exit::Code;
use baton_control::{HistoryEvent, HistoryItem};
use clap::Args;
use derived::{Derived, derive, task_of};
use describe::describe;
use std::collections::{HashMap, HashSet};

/// Arguments of `baton logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The workflow id.
    pub id: String,
    /// The recorded history as JSON lines: `seq`, `at`, `event` and, for an event
    /// about a task, `task_ref` (the engine's derived lines are text only).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Prints the history, oldest first.
pub async fn run(args: &LogsArgs) -> anyhow::Result<Code> {
    let opened = args.target.open(Access::Read)?;
    let found = opened.control.history(&args.id).await;
    // Task ids read better as the refs people wrote (best effort: a view that cannot
    // be read leaves the ids and the derived lines out).
    let view = match &found {
        Ok(_) => opened.control.workflow(&args.id).await.ok(),
        Err(_) => None,
    };
    opened.close().await;
    let items = match found {
        Ok(h) => h,
        Err(e) => {
            crate::errln!("error: {e}");
            return Ok(Code::Usage);
        }
    };
    let refs: HashMap<&str, &str> = view
        .iter()
        .flat_map(|w| &w.tasks)
        .map(|t| (t.task_id.as_str(), t.ref_name.as_str()))
        .collect();
    if args.json {
        for item in &items {
            let mut line = serde_json::json!({
                "seq": item.seq, "at": time(item.at), "event": item.event,
            });
            if let HistoryEvent::Known(e) = &item.event
                && let Some(r) = task_of(e).and_then(|id| refs.get(id))
            {
                line["task_ref"] = (*r).into();
            }
            crate::outln!("{line}");
        }
        return Ok(Code::Ok);
    }
    let derived = view.as_ref().map(|w| derive(w, &items)).unwrap_or_default();
    for line in interleave(&items, &derived, &refs) {
        crate::outln!("{line}");
    }
    Ok(Code::Ok)
}

/// The text lines: each event, with the derived lines before it that happened
/// earlier (and the scheduling of the task it is about), the rest after the last.
fn interleave(
    items: &[HistoryItem],
    derived: &[Derived],
    refs: &HashMap<&str, &str>,
) -> Vec<String> {
    let task = |id: &str| {
        refs.get(id)
            .map_or_else(|| id.to_string(), |r| format!("{r} ({id})"))
    };
    let engine_line =
        |d: &Derived| format!("{}  {:<5} {:<14} {}", time(d.at), "-", "engine", d.what);
    // Where each attempt's scheduling line is, so an event finds it without a scan.
    let scheduling: HashMap<&str, usize> = derived
        .iter()
        .enumerate()
        .filter(|(_, d)| d.what.starts_with("scheduled"))
        .map(|(i, d)| (d.task_id.as_str(), i))
        .collect();
    let mut out = Vec::new();
    let mut shown: HashSet<usize> = HashSet::new();
    let mut next = 0;
    for item in items {
        let about = match &item.event {
            HistoryEvent::Known(e) => task_of(e),
            HistoryEvent::Unknown(_) => None,
        };
        while next < derived.len() && derived[next].at < item.at {
            if shown.insert(next) {
                out.push(engine_line(&derived[next]));
            }
            next += 1;
        }
        // A task is scheduled before anyone picks it up, even within one millisecond.
        if let Some(&i) = about.and_then(|id| scheduling.get(id))
            && shown.insert(i)
        {
            out.push(engine_line(&derived[i]));
        }
        match &item.event {
            HistoryEvent::Known(e) => {
                let (who, what) = describe(e, &task, &time(item.at));
                out.push(format!(
                    "{}  #{:<4} {:<14} {what}",
                    time(item.at),
                    item.seq,
                    who
                ));
            }
            // An event this build does not know (a newer server): shown as it came.
            HistoryEvent::Unknown(raw) => {
                out.push(format!("{}  #{:<4} {}", time(item.at), item.seq, raw));
            }
        }
    }
    for (i, d) in derived.iter().enumerate().skip(next) {
        if shown.insert(i) {
            out.push(engine_line(d));
        }
    }
    out
}
