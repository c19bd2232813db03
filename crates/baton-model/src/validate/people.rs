//! The people-in-the-loop settings of a definition: `breakpoints` name tasks of it, and
//! `gates.task_type` names task types that exist.

use super::codes;
use super::index::Index;
use super::suggest::did_you_mean;
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::{SYSTEM_TASK_TYPES, WorkflowDef};

/// Task types a gate rule may name: Baton's own kinds and the built-in runners' types.
const GATEABLE: &[&str] = &[
    "SIMPLE",
    "DYNAMIC",
    "WAIT",
    "HUMAN",
    "SUB_WORKFLOW",
    "START_WORKFLOW",
    "TERMINATE",
];

/// Reports breakpoints that name no task and gate rules on unknown task types.
pub(super) fn check(
    def: &WorkflowDef,
    index: &Index<'_>,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let refs: Vec<&str> = index.all.iter().map(|i| i.task.ref_name.as_str()).collect();
    for bp in &def.breakpoints {
        if refs.contains(&bp.as_str()) {
            continue;
        }
        let (pos, path) = sources.field("breakpoints");
        let help = match did_you_mean(bp, refs.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("name one of the tasks: {}", refs.join(", ")),
        };
        out.push(
            Diagnostic::error(
                codes::UNKNOWN_BREAKPOINT,
                pos,
                path,
                format!("breakpoint `{bp}` names no task of this workflow"),
            )
            .with_help(help),
        );
    }
    let known = GATEABLE.iter().chain(SYSTEM_TASK_TYPES);
    let known: Vec<&str> = known.copied().collect();
    for t in &def.gates.task_type {
        if known.iter().any(|k| k.eq_ignore_ascii_case(t)) {
            continue;
        }
        let (pos, path) = sources.field("gates");
        let help = match did_you_mean(t, known.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "gate one of the task types that do work or wait: {}",
                GATEABLE.join(", ")
            ),
        };
        out.push(
            Diagnostic::error(
                codes::UNKNOWN_GATE_TYPE,
                pos,
                path,
                format!("gates.task_type `{t}` is not a task type"),
            )
            .with_help(help),
        );
    }
}
