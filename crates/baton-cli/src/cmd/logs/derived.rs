//! What the engine decided between the recorded events: tasks scheduled, system tasks
//! completed, branches skipped. The history records what came in (starts, results,
//! decisions of people, timers); the decider's own steps follow from those by replay,
//! so they are read back from the workflow view's task attempts and their times.

use baton_control::{HistoryItem, TaskView, WorkflowView};
use baton_core::{Event, TaskStatus, Timestamp};
use std::collections::HashSet;

/// A line the engine's decisions add to the history.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Derived {
    /// When it happened.
    pub at: Timestamp,
    /// The attempt's id (empty for the workflow's own end).
    pub task_id: String,
    /// What happened, in words, with the task's ref.
    pub what: String,
}

/// The task ids and refs whose end the history itself records (a result, a person's
/// decision, a timer, an operator's skip or cancel): those need no derived line.
fn ended_by_events(history: &[HistoryItem]) -> (HashSet<&str>, HashSet<&str>) {
    let mut ids = HashSet::new();
    let mut refs = HashSet::new();
    for item in history {
        let baton_control::HistoryEvent::Known(e) = &item.event else {
            continue;
        };
        match e {
            Event::TaskUpdated { task_id, .. } | Event::HumanDecision { task_id, .. } => {
                ids.insert(task_id.as_str());
            }
            Event::TaskSkipped { ref_name, .. } => {
                refs.insert(ref_name.as_str());
            }
            Event::TaskCanceled { task_ref, .. } => {
                refs.insert(task_ref.as_str());
            }
            _ => {}
        }
    }
    (ids, refs)
}

fn name(t: &TaskView) -> String {
    format!("{} ({})", t.ref_name, t.task_id)
}

/// The derived lines of `w`, in time order (a task's scheduling before its end).
pub(super) fn derive(w: &WorkflowView, history: &[HistoryItem]) -> Vec<Derived> {
    let (ended_ids, ended_refs) = ended_by_events(history);
    let mut out = Vec::new();
    for t in &w.tasks {
        let attempt = if t.attempt > 0 {
            format!(", attempt {}", t.attempt + 1)
        } else {
            String::new()
        };
        let held = match t.hold {
            Some(h) => format!(", held at a {}", h.as_str()),
            None => String::new(),
        };
        out.push(Derived {
            at: t.scheduled_at,
            task_id: t.task_id.clone(),
            what: format!("scheduled {} {}{attempt}{held}", name(t), t.task_type),
        });
        let Some(end) = t.ended_at.filter(|_| t.status.is_terminal()) else {
            continue;
        };
        // A worker's result or a person's decision is in the history already; a
        // retried attempt that failed by a timer is said by the timer's line and this.
        if ended_ids.contains(t.task_id.as_str()) || ended_refs.contains(t.ref_name.as_str()) {
            continue;
        }
        let reason = t
            .reason
            .as_ref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        let what = match t.status {
            TaskStatus::Skipped => format!("skipped {}{reason}", name(t)),
            status => {
                let output =
                    if t.output.is_null() || t.output.as_object().is_some_and(|o| o.is_empty()) {
                        String::new()
                    } else {
                        format!(" output {}", t.output)
                    };
                format!("decided {} {}{reason}{output}", name(t), status.as_str())
            }
        };
        out.push(Derived {
            at: end,
            task_id: t.task_id.clone(),
            what,
        });
    }
    if let Some(end) = w.ended_at.filter(|_| w.status.is_terminal()) {
        let reason = w
            .reason
            .as_ref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        out.push(Derived {
            at: end,
            task_id: String::new(),
            what: format!("workflow {}{reason}", w.status.as_str()),
        });
    }
    // Stable: a task's scheduling stays before its end at the same millisecond, and
    // the workflow's end after its last task.
    out.sort_by_key(|d| d.at);
    out
}

/// The task id an event is about, when it names one.
pub(super) fn task_of(e: &Event) -> Option<&str> {
    match e {
        Event::TaskStarted { task_id, .. }
        | Event::TaskUpdated { task_id, .. }
        | Event::HumanDecision { task_id, .. } => Some(task_id),
        Event::TimerFired { timer } => timer.task_id.as_deref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view() -> WorkflowView {
        serde_json::from_value(json!({
            "id": "wf", "name": "n", "version": 1, "status": "COMPLETED",
            "input": {}, "output": {}, "created_at": 10, "updated_at": 30, "ended_at": 30,
            "tasks": [
                {"task_id": "wf-t0", "ref_name": "work", "def_ref": "work", "name": "w",
                 "task_type": "SIMPLE", "status": "COMPLETED", "attempt": 0, "input": {},
                 "output": {"x": 1}, "scheduled_at": 10, "started_at": 12, "ended_at": 20},
                {"task_id": "wf-t1", "ref_name": "pick", "def_ref": "pick", "name": "pick",
                 "task_type": "SWITCH", "status": "COMPLETED", "attempt": 0, "input": {},
                 "output": {"evaluationResult": ["a"]}, "scheduled_at": 20, "ended_at": 20},
                {"task_id": "wf-t2", "ref_name": "maybe", "def_ref": "maybe", "name": "m",
                 "task_type": "NOOP", "status": "SKIPPED", "attempt": 0, "input": {},
                 "output": {}, "reason": "its condition was false",
                 "scheduled_at": 20, "ended_at": 20}
            ],
        }))
        .expect("a view")
    }

    fn result_for(task_id: &str) -> HistoryItem {
        serde_json::from_value(json!({"seq": 2, "at": 20, "event": {
            "event": "task_updated", "task_id": task_id, "status": "COMPLETED",
            "output": {"x": 1}, "by": {"name": "w1", "role": "L3"}}}))
        .expect("an item")
    }

    #[test]
    fn scheduling_system_tasks_and_skips_are_derived_results_are_not() {
        let lines = derive(&view(), &[result_for("wf-t0")]);
        let what: Vec<&str> = lines.iter().map(|d| d.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "scheduled work (wf-t0) SIMPLE",
                "scheduled pick (wf-t1) SWITCH",
                "decided pick (wf-t1) COMPLETED output {\"evaluationResult\":[\"a\"]}",
                "scheduled maybe (wf-t2) NOOP",
                "skipped maybe (wf-t2): its condition was false",
                "workflow COMPLETED",
            ]
        );
    }

    #[test]
    fn without_the_result_event_the_end_is_derived_too() {
        let lines = derive(&view(), &[]);
        assert!(
            lines
                .iter()
                .any(|d| d.what == "decided work (wf-t0) COMPLETED output {\"x\":1}"),
            "{lines:?}"
        );
    }
}
