//! Checks on names and shapes: duplicate refs, `depends_on`, decision `next`, JOIN,
//! DO_WHILE, SWITCH, SUB_WORKFLOW, DYNAMIC, inputs and outputs.

use super::codes;
use super::index::{Index, TaskInfo};
use super::suggest::did_you_mean;
use super::{locate, locate_any};
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::{Evaluator, OutputSpec, SwitchSpec, TaskKind, WorkflowDef};
use std::collections::HashSet;

/// Runs every structural check.
pub(super) fn check(
    def: &WorkflowDef,
    index: &Index<'_>,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    // A Conductor event handler (`{event, actions}`) has no tasks by nature; the Conductor
    // front-end already says what it is.
    let is_event_handler = def.extra.contains_key("event") && def.extra.contains_key("actions");
    if def.tasks.is_empty() && !is_event_handler {
        let (pos, path) = sources.field("tasks");
        out.push(
            Diagnostic::error(codes::NO_TASKS, pos, path, "the workflow has no tasks")
                .with_help("add at least one task"),
        );
    }
    check_inputs(def, sources, out);
    check_duplicates(index, sources, out);
    for info in &index.all {
        check_task(index, *info, sources, out);
    }
    check_output_keys(def, sources, out);
}

fn check_inputs(def: &WorkflowDef, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    for input in &def.inputs {
        if !seen.insert(input.name.as_str()) {
            let (pos, path) = sources.field(&format!("input.{}", input.name));
            out.push(
                Diagnostic::error(
                    codes::DUPLICATE_INPUT,
                    pos,
                    path,
                    format!("input `{}` is declared twice", input.name),
                )
                .with_help("declare each input once, as required or as optional"),
            );
        }
    }
}

fn check_duplicates(index: &Index<'_>, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    for info in &index.all {
        let name = info.task.ref_name.as_str();
        if name.trim().is_empty() {
            let (pos, path) = locate(sources, name, "");
            out.push(
                Diagnostic::error(
                    codes::EMPTY_NAME,
                    pos,
                    path,
                    format!("a `{}` task has an empty ref", info.task.kind.type_name()),
                )
                .with_help("give every task a unique, non-empty reference name"),
            );
            continue;
        }
        if !seen.insert(name) && reported.insert(name) {
            let count = index.all.iter().filter(|i| i.task.ref_name == name).count();
            let (pos, path) = locate(sources, name, "");
            out.push(
                Diagnostic::error(
                    codes::DUPLICATE_REF,
                    pos,
                    path,
                    format!("task ref `{name}` is used by {count} tasks"),
                )
                .with_help(
                    "give every task a unique reference name, also inside branches and loops",
                ),
            );
        }
    }
}

fn check_task(
    index: &Index<'_>,
    info: TaskInfo<'_>,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let task = info.task;
    let me = task.ref_name.as_str();
    if let Some(deps) = &task.depends_on {
        for (i, dep) in deps.iter().enumerate() {
            let field = format!("depends_on[{i}]");
            check_sibling(
                index,
                info,
                dep,
                sources,
                out,
                Sibling::Dependency { field: &field },
            );
        }
    }
    match &task.kind {
        TaskKind::Switch(spec) => check_switch(index, info, spec, sources, out),
        TaskKind::Join { join_on } => {
            check_join(index, info, sources, out, false);
            check_join_on(index, me, join_on, sources, out);
        }
        TaskKind::ExclusiveJoin {
            join_on,
            default_exclusive_join_task,
        } => {
            check_join(index, info, sources, out, true);
            check_join_on(index, me, join_on, sources, out);
            check_join_on(index, me, default_exclusive_join_task, sources, out);
        }
        TaskKind::DoWhile(spec)
            if spec.condition.trim().is_empty() && spec.items_param.is_none() =>
        {
            let (pos, path) = locate_any(sources, me, &["loopCondition", "while", "condition"]);
            out.push(
                Diagnostic::error(
                    codes::EMPTY_LOOP_CONDITION,
                    pos,
                    path,
                    format!("loop `{me}` has no condition"),
                )
                .with_help("write a condition such as `$.iteration < 3` (or loop over items)"),
            );
        }
        TaskKind::SubWorkflow(spec) if spec.name.trim().is_empty() => {
            let (pos, path) = locate_any(
                sources,
                me,
                &["subWorkflowParam.name", "subWorkflowParam", "sub_workflow"],
            );
            out.push(
                Diagnostic::error(codes::UNNAMED_SUB_WORKFLOW, pos, path, format!("sub-workflow task `{me}` names no workflow"))
                    .with_help("name the child workflow (`subWorkflowParam: {name: ...}`, native `sub_workflow: name`)"),
            );
        }
        TaskKind::Dynamic { name_param } if name_param.trim().is_empty() => {
            let (pos, path) = locate_any(sources, me, &["dynamicTaskNameParam"]);
            out.push(
                Diagnostic::error(codes::DYNAMIC_WITHOUT_PARAM, pos, path, format!("dynamic task `{me}` has no `dynamicTaskNameParam`"))
                    .with_help("write `dynamicTaskNameParam: taskToExecute` and pass the task name in that input"),
            );
        }
        _ => {}
    }
}

/// What a name in the same list is for.
enum Sibling<'f> {
    /// `depends_on[i]`.
    Dependency { field: &'f str },
    /// A decision case's `next`.
    Next { case: &'f str, field: &'f str },
}

/// Checks that `target` names a task of the same list as `info`.
fn check_sibling(
    index: &Index<'_>,
    info: TaskInfo<'_>,
    target: &str,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
    what: Sibling<'_>,
) {
    let me = info.task.ref_name.as_str();
    let siblings: Vec<&str> = index
        .lists
        .get(info.list)
        .map(|l| {
            l.tasks
                .iter()
                .map(|t| t.ref_name.as_str())
                .filter(|r| *r != me)
                .collect()
        })
        .unwrap_or_default();
    if siblings.contains(&target) || target == me {
        return;
    }
    let (field, code_unknown, code_foreign) = match what {
        Sibling::Dependency { field } => {
            (field, codes::UNKNOWN_DEPENDENCY, codes::FOREIGN_DEPENDENCY)
        }
        Sibling::Next { field, .. } => (field, codes::UNKNOWN_NEXT, codes::FOREIGN_NEXT),
    };
    let (pos, path) = locate(sources, me, field);
    let subject = match what {
        Sibling::Dependency { .. } => format!("task `{me}` depends on `{target}`"),
        Sibling::Next { case, .. } => {
            format!("decision case `{case}` of `{me}` points to task `{target}`")
        }
    };
    if index.tasks.contains_key(target) {
        out.push(
            Diagnostic::error(
                code_foreign,
                pos,
                path,
                format!("{subject}, which is in another branch or block"),
            )
            .with_help(format!(
                "name a task of the same list: {}",
                siblings.join(", ")
            )),
        );
        return;
    }
    let help = match (did_you_mean(target, siblings.iter().copied()), &what) {
        (Some(close), Sibling::Next { .. }) => {
            format!(
                "did you mean `{close}`? Otherwise define a task with `id: {target}` in this list"
            )
        }
        (None, Sibling::Next { .. }) => format!(
            "define a task with `id: {target}` in this list, or point the case to an existing task: {}",
            siblings.join(", ")
        ),
        (Some(close), Sibling::Dependency { .. }) => format!("did you mean `{close}`?"),
        (None, Sibling::Dependency { .. }) => format!("name one of: {}", siblings.join(", ")),
    };
    out.push(
        Diagnostic::error(
            code_unknown,
            pos,
            path,
            format!("{subject}, which is not defined"),
        )
        .with_help(help),
    );
}

fn check_switch(
    index: &Index<'_>,
    info: TaskInfo<'_>,
    spec: &SwitchSpec,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let me = info.task.ref_name.as_str();
    for (case, target) in &spec.next {
        let field = format!("decision_cases.{case}.next");
        check_sibling(
            index,
            info,
            target,
            sources,
            out,
            Sibling::Next {
                case,
                field: &field,
            },
        );
    }
    if let Some(target) = &spec.next_default {
        check_sibling(
            index,
            info,
            target,
            sources,
            out,
            Sibling::Next {
                case: "default",
                field: "decision_cases.default.next",
            },
        );
    }
    if spec.evaluator == Evaluator::ValueParam
        && !info.task.input.contains_key(spec.expression.as_str())
    {
        let (pos, path) = locate_any(
            sources,
            me,
            &["expression", "caseValueParam", "decision_param"],
        );
        let inputs: Vec<&str> = info.task.input.keys().map(String::as_str).collect();
        let help = match did_you_mean(&spec.expression, inputs.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "add `{}: \"${{...}}\"` to the task's input parameters, or name one of: {}",
                spec.expression,
                if inputs.is_empty() {
                    "(none)".to_string()
                } else {
                    inputs.join(", ")
                }
            ),
        };
        out.push(
            Diagnostic::error(
                codes::MISSING_SWITCH_PARAM,
                pos,
                path,
                format!(
                    "switch `{me}` branches on input parameter `{}`, which the task does not have",
                    spec.expression
                ),
            )
            .with_help(help),
        );
    }
}

/// A JOIN needs a fork before it in its list; an EXCLUSIVE_JOIN a fork or a SWITCH.
fn check_join(
    index: &Index<'_>,
    info: TaskInfo<'_>,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
    exclusive: bool,
) {
    // A fork opens every join; a switch only an exclusive one.
    let opens = |kind: &TaskKind| kind.opens_join().is_some_and(|fork| fork || exclusive);
    let has_opener_before = index
        .lists
        .get(info.list)
        .is_some_and(|l| l.tasks.iter().take(info.position).any(|t| opens(&t.kind)));
    if !has_opener_before {
        let me = info.task.ref_name.as_str();
        let (pos, path) = locate(sources, me, "type");
        let (what, openers) = if exclusive {
            (
                "exclusive join",
                "SWITCH, DECISION, FORK_JOIN or FORK_JOIN_DYNAMIC",
            )
        } else {
            ("join", "FORK_JOIN or FORK_JOIN_DYNAMIC")
        };
        out.push(
            Diagnostic::error(
                codes::ORPHAN_JOIN,
                pos,
                path,
                format!(
                    "{what} `{me}` has nothing to join: no {openers} comes before it in its list"
                ),
            )
            .with_help("put the join right after the task whose branches it joins, or remove it"),
        );
    }
}

fn check_join_on(
    index: &Index<'_>,
    me: &str,
    names: &[String],
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    for (i, name) in names.iter().enumerate() {
        if index.tasks.contains_key(name.as_str()) {
            continue;
        }
        let (pos, path) = locate_any(sources, me, &[&format!("joinOn[{i}]"), "joinOn"]);
        let help = match did_you_mean(name, index.tasks.keys().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => "name the last task of each fork branch to wait for".to_string(),
        };
        out.push(
            Diagnostic::error(
                codes::UNKNOWN_JOIN_ON,
                pos,
                path,
                format!("join `{me}` waits for `{name}`, which is not defined"),
            )
            .with_help(help),
        );
    }
}

fn check_output_keys(def: &WorkflowDef, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let OutputSpec::Keys(keys) = &def.output else {
        return;
    };
    let mut declared = HashSet::new();
    def.walk(&mut |t| declared.extend(t.declared_outputs.iter().map(String::as_str)));
    for key in keys {
        if declared.contains(key.as_str()) {
            continue;
        }
        let (pos, path) = sources.field(&format!("output.{key}"));
        let help = match did_you_mean(key, declared.iter().copied()) {
            Some(close) => format!(
                "did you mean `{close}`? Otherwise add `{key}` to the `output:` of the task that produces it"
            ),
            None => format!("add `{key}` to the `output:` list of the task that produces it"),
        };
        out.push(
            Diagnostic::warning(
                codes::UNDECLARED_OUTPUT,
                pos,
                path,
                format!("workflow output `{key}` is not declared by any task"),
            )
            .with_help(help),
        );
    }
}
