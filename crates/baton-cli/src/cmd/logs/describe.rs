//! One history event in words: who caused it and what it was.

use baton_core::{Event, Principal};

/// `name (L1)`, with the key id when the principal authenticated with one.
fn person(by: &Principal) -> String {
    match &by.key_id {
        Some(k) if k != &by.name => format!("{} ({:?}, key {k})", by.name, by.role),
        _ => format!("{} ({:?})", by.name, by.role),
    }
}

fn quoted(comment: &Option<String>) -> String {
    comment
        .as_ref()
        .map(|c| format!(": '{c}'"))
        .unwrap_or_default()
}

/// Who caused an event and what it was, in words.
pub(super) fn describe(e: &Event, task: &dyn Fn(&str) -> String, at: &str) -> (String, String) {
    let worker = |w: &Option<String>| w.clone().unwrap_or_else(|| "worker".to_string());
    match e {
        Event::WorkflowStarted {
            input,
            correlation_id,
            parent,
            options,
            by,
        } => (
            match (parent, by) {
                (Some(p), _) => format!("parent {}", p.workflow_id),
                (None, Some(by)) => by.name.clone(),
                (None, None) => "caller".to_string(),
            },
            format!(
                "started{} with input {}{}{}{}",
                by.as_ref()
                    .map(|b| format!(" by {}", person(b)))
                    .unwrap_or_default(),
                input,
                correlation_id
                    .as_ref()
                    .map(|c| format!(" (correlation {c})"))
                    .unwrap_or_default(),
                options
                    .mode
                    .map(|m| format!(", mode {}", m.as_str()))
                    .unwrap_or_default(),
                options
                    .domain
                    .as_ref()
                    .map(|d| format!(", domain {d}"))
                    .unwrap_or_default()
            ),
        ),
        Event::TaskStarted {
            task_id, worker_id, ..
        } => (worker(worker_id), format!("picked up {}", task(task_id))),
        Event::TaskUpdated {
            task_id,
            status,
            output,
            reason,
            worker_id,
            by,
            ..
        } => (
            // The worker the result names, else who sent it (a local runner sends its
            // results under its own id).
            worker_id.clone().unwrap_or_else(|| by.name.clone()),
            format!(
                "{} {}{}{}",
                task(task_id),
                status.as_str(),
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
                timer
                    .task_id
                    .as_deref()
                    .map_or("workflow".to_string(), task)
            ),
        ),
        Event::HumanDecision {
            task_id,
            approved,
            by,
            comment,
            output,
        } => (
            by.name.clone(),
            format!(
                "{}: {} by {} at {at}{}{}",
                task(task_id),
                if *approved { "approved" } else { "rejected" },
                person(by),
                quoted(comment),
                match output {
                    Some(o) if *approved => format!(" (output {o})"),
                    _ => String::new(),
                }
            ),
        ),
        Event::DebugStepped { task_ref, by } => (
            by.name.clone(),
            format!(
                "stepped {} by {}",
                task_ref.as_deref().unwrap_or("the next task"),
                person(by)
            ),
        ),
        Event::DebugContinued { by } => (
            by.name.clone(),
            format!("continued to the next breakpoint by {}", person(by)),
        ),
        Event::TaskInputEdited {
            task_ref,
            input,
            by,
        } => (
            by.name.clone(),
            format!("{task_ref}: input set to {input} by {}", person(by)),
        ),
        Event::TaskCanceled {
            task_ref,
            reason,
            by,
        } => (
            by.name.clone(),
            format!("{task_ref}: canceled by {}{}", person(by), quoted(reason)),
        ),
        Event::ChildWorkflowEnded {
            child_id, status, ..
        } => (
            "engine".to_string(),
            format!("child {child_id} ended {}", status.as_str()),
        ),
        Event::Paused { by } => (by.name.clone(), format!("paused by {}", person(by))),
        Event::Resumed { by } => (by.name.clone(), format!("resumed by {}", person(by))),
        Event::Terminated { reason, by } => (
            by.name.clone(),
            format!("terminated by {}: '{reason}'", person(by)),
        ),
        Event::Retried { by } => (
            by.name.clone(),
            format!("failed tasks retried by {}", person(by)),
        ),
        Event::Restarted { by } => (by.name.clone(), format!("restarted by {}", person(by))),
        Event::Rerun {
            from_task_id, by, ..
        } => (
            by.name.clone(),
            format!(
                "rerun from {} by {}",
                from_task_id
                    .as_deref()
                    .map_or("the start".to_string(), task),
                person(by)
            ),
        ),
        Event::TaskSkipped { ref_name, by } => (
            by.name.clone(),
            format!("{ref_name}: skipped by {}", person(by)),
        ),
    }
}
