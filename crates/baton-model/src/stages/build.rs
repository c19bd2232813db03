//! Stages to tasks: reads every stage, then wires the dependencies between them.

use super::codes;
use crate::diagnostic::{SourceMap, TaskSource};
use crate::model::{DoWhileSpec, JsonMap, Task, TaskKind};
use crate::native::read::{Reader, child_path, index_path};
use crate::native::{PolicyCodes, read_input, read_role, read_task_def};
use crate::source::{Node, Pos};
use crate::validate::suggest::did_you_mean;
use std::collections::HashSet;

const STAGE_FIELDS: &[&str] = &[
    "name",
    "type",
    "depends_on",
    "tasks",
    "while",
    "for_each",
    "max_iterations",
    "description",
];
const TASK_FIELDS: &[&str] = &[
    "gate",
    "on_reject",
    "agent",
    "action",
    "id",
    "input",
    "when",
    "retry_policy",
    "timeout",
    "agent_level",
    "optional",
    "description",
];
const STAGE_TYPES: &[&str] = &["sequential", "parallel", "conditional", "loop"];
const POLICY_CODES: PolicyCodes = PolicyCodes {
    retry: codes::RETRY,
    role: codes::ROLE,
};
/// Input key a `for_each` loop reads its items from.
const ITEMS_PARAM: &str = "items";

#[derive(Debug, Clone, Copy, PartialEq)]
enum StageType {
    Sequential,
    Parallel,
    Conditional,
    Loop,
}

/// One stage as read.
struct Stage {
    name: String,
    /// Display path of the stage node, e.g. `workflow.stages[1]`.
    path: String,
    kind: StageType,
    /// Names of the stages it waits for, with positions; `None`: the stage before.
    depends_on: Option<Vec<(String, Pos)>>,
    /// The stage's tasks (for a loop: the body).
    tasks: Vec<Task>,
    /// For a loop: the DO_WHILE task wrapping `tasks`.
    loop_task: Option<Task>,
}

impl Stage {
    /// Refs of the tasks the next stages wait for.
    fn last_refs(&self) -> Vec<String> {
        if let Some(task) = &self.loop_task {
            return vec![task.ref_name.clone()];
        }
        match self.kind {
            StageType::Sequential => self
                .tasks
                .last()
                .map(|t| vec![t.ref_name.clone()])
                .unwrap_or_default(),
            _ => self.tasks.iter().map(|t| t.ref_name.clone()).collect(),
        }
    }
}

/// Reads `stages` and returns the top-level task list.
pub(super) fn build(r: &mut Reader, stages: &Node, sources: &mut SourceMap) -> Vec<Task> {
    let path = "workflow.stages";
    let Some(items) = r.list(stages, path) else {
        return Vec::new();
    };
    let mut taken: HashSet<String> = HashSet::new();
    let mut read: Vec<Stage> = Vec::new();
    for (i, node) in items.iter().enumerate() {
        let stage_path = index_path(path, i);
        let Some(stage) = read_stage(r, node, &stage_path, &mut taken, sources) else {
            continue;
        };
        if read.iter().any(|s| s.name == stage.name) {
            let pos = node.get("name").map_or(node.pos, |n| n.pos);
            r.error(
                codes::DUPLICATE,
                pos,
                &child_path(&stage_path, "name"),
                format!("stage name `{}` is used twice", stage.name),
                "give every stage a unique `name`".to_string(),
            );
            continue;
        }
        read.push(stage);
    }
    wire(r, read)
}

/// Sets every task's dependencies and flattens the stages into one list.
fn wire(r: &mut Reader, stages: Vec<Stage>) -> Vec<Task> {
    let names: Vec<String> = stages.iter().map(|s| s.name.clone()).collect();
    let lasts: Vec<Vec<String>> = stages.iter().map(Stage::last_refs).collect();
    let mut out: Vec<Task> = Vec::new();
    for (i, stage) in stages.into_iter().enumerate() {
        let entry: Vec<String> = match &stage.depends_on {
            None => i
                .checked_sub(1)
                .and_then(|p| lasts.get(p))
                .cloned()
                .unwrap_or_default(),
            Some(deps) => {
                let mut refs = Vec::new();
                for (k, (dep, pos)) in deps.iter().enumerate() {
                    match names.iter().position(|n| n == dep) {
                        Some(d) => refs.extend(lasts.get(d).cloned().unwrap_or_default()),
                        None => {
                            let help = match did_you_mean(dep, names.iter().map(String::as_str)) {
                                Some(close) => format!("did you mean `{close}`?"),
                                None => format!("name one of the stages: {}", names.join(", ")),
                            };
                            r.error(
                                codes::UNKNOWN_STAGE,
                                *pos,
                                &format!("{}.depends_on[{k}]", stage.path),
                                format!(
                                    "stage `{}` depends on `{dep}`, which is not a stage",
                                    stage.name
                                ),
                                help,
                            );
                        }
                    }
                }
                refs
            }
        };
        match stage.loop_task {
            Some(mut task) => {
                task.depends_on = Some(entry);
                out.push(task);
            }
            None => {
                for (j, mut task) in stage.tasks.into_iter().enumerate() {
                    task.depends_on = match (stage.kind, j) {
                        (StageType::Sequential, j) if j > 0 => None,
                        _ => Some(entry.clone()),
                    };
                    out.push(task);
                }
            }
        }
    }
    normalize(&mut out);
    out
}

/// Makes every dependency explicit, then leaves `None` where the list's default (the
/// task before) is exactly the answer.
fn normalize(tasks: &mut [Task]) {
    let mut previous: Option<String> = None;
    for task in tasks.iter_mut() {
        let deps = task
            .depends_on
            .take()
            .unwrap_or_else(|| previous.iter().cloned().collect());
        let is_default = match &previous {
            None => deps.is_empty(),
            Some(prev) => deps.len() == 1 && deps.first() == Some(prev),
        };
        task.depends_on = if is_default { None } else { Some(deps) };
        previous = Some(task.ref_name.clone());
    }
}

fn read_stage(
    r: &mut Reader,
    node: &Node,
    path: &str,
    taken: &mut HashSet<String>,
    sources: &mut SourceMap,
) -> Option<Stage> {
    r.mapping(node, path)?;
    let mut extra = JsonMap::new();
    r.unknown_fields(node, path, STAGE_FIELDS, &mut extra);
    let name = r.required_string(node, "name", path, "name the stage: `name: build`")?;
    let kind = read_stage_type(r, node, path)?;
    let depends_on = node
        .get("depends_on")
        .map(|n| r.string_list(n, &child_path(path, "depends_on")));
    let tasks_path = child_path(path, "tasks");
    let Some(task_nodes) = node.get("tasks") else {
        r.missing(
            node.pos,
            path,
            "tasks",
            "list the stage's tasks: `tasks: [{agent: python, action: run}]`",
        );
        return None;
    };
    let items = r.list(task_nodes, &tasks_path)?;
    if items.is_empty() {
        r.error(
            codes::MISSING,
            task_nodes.pos,
            &tasks_path,
            format!("stage `{name}` has no tasks"),
            "add at least one task `{agent: ..., action: ...}`".to_string(),
        );
    }
    let mut tasks = Vec::new();
    for (j, item) in items.iter().enumerate() {
        if let Some((task, source)) =
            read_stage_task(r, item, &index_path(&tasks_path, j), &name, kind, taken)
        {
            sources.tasks.insert(task.ref_name.clone(), source);
            tasks.push(task);
        }
    }
    let loop_task = if kind == StageType::Loop {
        let (task, source) = loop_task(r, node, path, &name, std::mem::take(&mut tasks), taken);
        sources.tasks.insert(task.ref_name.clone(), source);
        Some(task)
    } else {
        None
    };
    Some(Stage {
        name,
        path: path.to_string(),
        kind,
        depends_on,
        tasks,
        loop_task,
    })
}

fn read_stage_type(r: &mut Reader, node: &Node, path: &str) -> Option<StageType> {
    let Some(type_node) = node.get("type") else {
        return Some(StageType::Sequential);
    };
    let field = child_path(path, "type");
    let text = r.string(type_node, &field)?;
    let kind = match text.to_ascii_lowercase().as_str() {
        "sequential" => StageType::Sequential,
        "parallel" => StageType::Parallel,
        "conditional" => StageType::Conditional,
        "loop" => StageType::Loop,
        _ => {
            let help = match did_you_mean(&text, STAGE_TYPES.iter().copied()) {
                Some(close) => format!("did you mean `type: {close}`?"),
                None => format!("write one of: {}", STAGE_TYPES.join(", ")),
            };
            r.error(
                codes::STAGE_TYPE,
                type_node.pos,
                &field,
                format!("unknown stage type `{text}`"),
                help,
            );
            return None;
        }
    };
    Some(kind)
}

/// A unique ref: `wanted`, else `wanted_2`, `wanted_3`, ...
fn unique_ref(wanted: &str, taken: &mut HashSet<String>) -> String {
    let mut candidate = wanted.to_string();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{wanted}_{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

fn read_stage_task(
    r: &mut Reader,
    node: &Node,
    path: &str,
    stage: &str,
    kind: StageType,
    taken: &mut HashSet<String>,
) -> Option<(Task, TaskSource)> {
    r.mapping(node, path)?;
    let mut extra = JsonMap::new();
    r.unknown_fields(node, path, TASK_FIELDS, &mut extra);
    let agent = r.required_string(
        node,
        "agent",
        path,
        "name who runs the task: `agent: python`",
    );
    let action = r.required_string(
        node,
        "action",
        path,
        "name what it does: `action: data_preprocessing`",
    );
    let (agent, action) = (agent?, action?);
    let mut source = TaskSource {
        pos: node.pos,
        path: path.to_string(),
        fields: Default::default(),
    };
    for key in ["agent", "action", "id", "when"] {
        if let Some(value) = node.get(key) {
            source.fields.insert(key.to_string(), value.pos);
        }
    }
    let ref_name = match node.get("id") {
        Some(id_node) => {
            let id = r.string(id_node, &child_path(path, "id"))?;
            if !taken.insert(id.clone()) {
                r.error(
                    codes::DUPLICATE,
                    id_node.pos,
                    &child_path(path, "id"),
                    format!("task id `{id}` is used twice"),
                    "give every task a unique `id`".to_string(),
                );
            }
            id
        }
        None => unique_ref(&format!("{stage}.{agent}.{action}"), taken),
    };
    let when = r.opt_string(node, "when", path);
    if kind == StageType::Conditional && when.is_none() {
        r.error(
            codes::MISSING_WHEN,
            node.pos,
            &child_path(path, "when"),
            format!("task `{ref_name}` of conditional stage `{stage}` has no `when:`"),
            "add a condition such as `when: \"${workflow.input.deploy}\"`, or move the task to a sequential stage".to_string(),
        );
    }
    let name = format!("{agent}.{action}");
    let input = read_input(r, node, path, &mut source.fields);
    let role = node
        .get("agent_level")
        .and_then(|n| read_role(r, POLICY_CODES.role, n, &child_path(path, "agent_level")));
    let task_def = read_task_def(r, POLICY_CODES, node, path, &name, &mut source.fields);
    let optional = node
        .get("optional")
        .and_then(|n| r.boolean(n, &child_path(path, "optional")))
        .unwrap_or(false);
    let description = r.opt_string(node, "description", path);
    let (gate, on_reject) = crate::native::read_gate(r, node, path);
    let task = Task {
        name,
        ref_name,
        kind: TaskKind::Simple,
        input,
        depends_on: None,
        when,
        optional,
        start_delay_ms: 0,
        async_complete: false,
        task_def: Some(task_def),
        role,
        description,
        declared_outputs: Vec::new(),
        gate,
        on_reject,
        extra,
    };
    Some((task, source))
}

/// The DO_WHILE task of a loop stage.
fn loop_task(
    r: &mut Reader,
    node: &Node,
    path: &str,
    stage: &str,
    body: Vec<Task>,
    taken: &mut HashSet<String>,
) -> (Task, TaskSource) {
    let mut source = TaskSource {
        pos: node.pos,
        path: path.to_string(),
        fields: Default::default(),
    };
    let condition = r.opt_string(node, "while", path).unwrap_or_default();
    if let Some(n) = node.get("while") {
        source.fields.insert("while".to_string(), n.pos);
        source.fields.insert("loopCondition".to_string(), n.pos);
    }
    let mut input = JsonMap::new();
    let mut items_param = None;
    if let Some(n) = node.get("for_each") {
        source.fields.insert(format!("input.{ITEMS_PARAM}"), n.pos);
        input.insert(ITEMS_PARAM.to_string(), n.to_json());
        items_param = Some(ITEMS_PARAM.to_string());
    }
    let max_iterations = node.get("max_iterations").and_then(|n| {
        let field = child_path(path, "max_iterations");
        match r.count(n, &field) {
            Some(0) => {
                r.error(
                    codes::MAX_ITERATIONS,
                    n.pos,
                    &field,
                    "`max_iterations: 0` would never run the loop".to_string(),
                    "write a limit of 1 or more".to_string(),
                );
                None
            }
            other => other,
        }
    });
    if condition.trim().is_empty() && items_param.is_none() {
        r.error(
            codes::LOOP_WITHOUT_CONDITION,
            node.pos,
            path,
            format!("loop stage `{stage}` has neither `while:` nor `for_each:`"),
            "add `while: <condition>` (with `max_iterations`) or `for_each: \"${workflow.input.items}\"`".to_string(),
        );
    } else if !condition.trim().is_empty()
        && max_iterations.is_none()
        && node.get("max_iterations").is_none()
    {
        r.warning(
            codes::UNGUARDED_LOOP,
            node.get("while").map_or(node.pos, |n| n.pos),
            &child_path(path, "while"),
            format!("loop stage `{stage}` has no `max_iterations`; a condition that stays true loops forever"),
            "add `max_iterations: 10` (or another bound)".to_string(),
        );
    }
    let ref_name = unique_ref(stage, taken);
    let task = Task {
        input,
        description: r.opt_string(node, "description", path),
        ..Task::new(
            stage,
            ref_name,
            TaskKind::DoWhile(DoWhileSpec {
                condition,
                body,
                items_param,
                max_iterations,
            }),
        )
    };
    (task, source)
}
