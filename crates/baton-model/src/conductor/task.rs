//! Conductor `WorkflowTask` → [`Task`].

use super::codes;
use super::extension::{self, TaskExtension};
use super::read::{Reader, closest_first, index, join};
use super::task_def;
use super::task_sources;
use super::workflow::{self, Context};
use crate::diagnostic::Diagnostic;
use crate::model::{
    DoWhileSpec, DynamicForkSpec, Evaluator, HumanSpec, JsonMap, SYSTEM_TASK_TYPES,
    SubWorkflowSpec, SwitchSpec, Task, TaskKind,
};
use crate::source::{Node, NodeKind};
use indexmap::IndexMap;
use serde_json::Value;

/// Every `WorkflowTask` field Conductor defines, in the order Conductor writes them, plus
/// the Baton extension object.
pub(super) const FIELDS: &[&str] = &[
    "name",
    "taskReferenceName",
    "description",
    "inputParameters",
    "type",
    "dynamicTaskNameParam",
    "caseValueParam",
    "caseExpression",
    "scriptExpression",
    "decisionCases",
    "dynamicForkJoinTasksParam",
    "dynamicForkTasksParam",
    "dynamicForkTasksInputParamName",
    "defaultCase",
    "forkTasks",
    "startDelay",
    "subWorkflowParam",
    "joinOn",
    "sink",
    "optional",
    "taskDefinition",
    "rateLimited",
    "defaultExclusiveJoinTask",
    "asyncComplete",
    "loopCondition",
    "loopOver",
    "retryCount",
    "evaluatorType",
    "expression",
    "onStateChange",
    "joinStatus",
    "joinMode",
    "cacheConfig",
    "permissive",
    "baton",
];

/// Fields every task type reads.
const COMMON: &[&str] = &[
    "name",
    "taskReferenceName",
    "type",
    "description",
    "inputParameters",
    "optional",
    "startDelay",
    "asyncComplete",
    "taskDefinition",
    "baton",
];

/// Type-specific fields Conductor writes on every task, usually empty; ignored when empty
/// on a type that does not use them, reported when not.
const CONTAINERS: &[&str] = &[
    "decisionCases",
    "defaultCase",
    "forkTasks",
    "loopOver",
    "joinOn",
    "defaultExclusiveJoinTask",
];

/// `subWorkflowParam` fields.
const SUB_WORKFLOW_FIELDS: &[&str] = &[
    "name",
    "version",
    "taskToDomain",
    "workflowDefinition",
    "idempotencyKey",
    "idempotencyStrategy",
    "priority",
];

/// The task types Conductor and Baton share, besides [`SYSTEM_TASK_TYPES`].
const CONTROL_TYPES: &[&str] = &[
    "SIMPLE",
    "SWITCH",
    "DECISION",
    "FORK_JOIN",
    "JOIN",
    "EXCLUSIVE_JOIN",
    "FORK_JOIN_DYNAMIC",
    "DYNAMIC",
    "DO_WHILE",
    "WAIT",
    "HUMAN",
    "SUB_WORKFLOW",
    "START_WORKFLOW",
    "TERMINATE",
    "SET_VARIABLE",
    "NOOP",
];

const SWITCH_EVALUATORS: &[&str] = &["value-param", "javascript", "graaljs"];
const LOOP_EVALUATORS: &[&str] = &["javascript", "graaljs"];

/// Every task type Baton accepts.
pub(super) fn all_types() -> Vec<&'static str> {
    CONTROL_TYPES
        .iter()
        .chain(SYSTEM_TASK_TYPES)
        .copied()
        .collect()
}

/// Reads a task list at `path`; `None` (after reporting) when any task cannot be built.
pub(super) fn read_list(ctx: &mut Context, node: &Node, path: &str) -> Option<Vec<Task>> {
    match &node.kind {
        NodeKind::Null => Some(Vec::new()),
        NodeKind::Seq(items) => {
            let mut tasks = Vec::with_capacity(items.len());
            let mut complete = true;
            for (i, item) in items.iter().enumerate() {
                match read(ctx, item, &index(path, i)) {
                    Some(task) => tasks.push(task),
                    None => complete = false,
                }
            }
            complete.then_some(tasks)
        }
        _ => {
            ctx.reader.wrong_type(node, path, "a list of tasks");
            None
        }
    }
}

/// Reads one task at `path`.
fn read(ctx: &mut Context, node: &Node, path: &str) -> Option<Task> {
    let Some(entries) = node.as_map() else {
        ctx.reader.wrong_type(node, path, "a task mapping");
        return None;
    };
    let r = &mut ctx.reader;
    let name = r.required_string(node, "name", path, "the task's name");
    let ref_name = r.required_string(
        node,
        "taskReferenceName",
        path,
        "a reference name unique in the workflow",
    );
    let type_name = read_type(r, node, path);
    // The kind is read below, once every field is known.
    let mut task = Task::new(
        name.clone().unwrap_or_default(),
        ref_name.clone().unwrap_or_default(),
        TaskKind::Noop,
    );
    let mut ext = TaskExtension::default();
    for (key, value) in entries {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "description" => task.description = r.string(value, &p),
            "inputParameters" => task.input = r.json_map(value, &p).unwrap_or_default(),
            "optional" => task.optional = r.boolean(value, &p).unwrap_or(false),
            "startDelay" => task.start_delay_ms = r.seconds_as_ms(value, &p).unwrap_or(0),
            "asyncComplete" => task.async_complete = r.boolean(value, &p).unwrap_or(false),
            "taskDefinition" if !matches!(value.kind, NodeKind::Null) => {
                task.task_def = task_def::read(r, value, &p);
            }
            "baton" => ext = extension::read_task(r, value, &p),
            _ => {}
        }
    }
    let kind = match type_name.as_deref() {
        Some(t) => read_kind(ctx, node, path, t, &mut task.extra),
        None => None,
    };
    let consumed = type_name.as_deref().map(kind_fields).unwrap_or_default();
    keep_other_fields(
        &mut ctx.reader,
        node,
        path,
        consumed,
        type_name.as_deref(),
        &mut task.extra,
    );
    apply_extension(&mut ctx.reader, node, path, ext, kind?, &mut task);
    if ctx.record {
        task_sources::record(&mut ctx.sources, node, path, &task.ref_name);
    }
    (name.is_some() && ref_name.is_some()).then_some(task)
}

fn read_type(r: &mut Reader, node: &Node, path: &str) -> Option<String> {
    let Some(value) = node.get("type") else {
        return Some("SIMPLE".into());
    };
    let p = join(path, "type");
    let text = match &value.kind {
        NodeKind::Null => return Some("SIMPLE".into()),
        NodeKind::String(s) => s.clone(),
        _ => {
            r.wrong_type(value, &p, "a task type name");
            return None;
        }
    };
    let types = all_types();
    if types.contains(&text.as_str()) {
        return Some(text);
    }
    r.push(
        Diagnostic::error(
            codes::UNKNOWN_TASK_TYPE,
            value.pos,
            &p,
            format!("unknown task type `{text}`"),
        )
        .with_help(format!(
            "write one of: {}",
            closest_first(&text, &types).join(", ")
        )),
    );
    None
}

/// The fields the kind reader of `type_name` consumes.
fn kind_fields(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "SWITCH" => &[
            "evaluatorType",
            "expression",
            "decisionCases",
            "defaultCase",
        ],
        "DECISION" => &[
            "caseValueParam",
            "caseExpression",
            "decisionCases",
            "defaultCase",
        ],
        "FORK_JOIN" => &["forkTasks"],
        "JOIN" => &["joinOn"],
        "EXCLUSIVE_JOIN" => &["joinOn", "defaultExclusiveJoinTask"],
        "FORK_JOIN_DYNAMIC" => &["dynamicForkTasksParam", "dynamicForkTasksInputParamName"],
        "DYNAMIC" => &["dynamicTaskNameParam"],
        "DO_WHILE" => &["loopCondition", "loopOver", "evaluatorType"],
        "SUB_WORKFLOW" => &["subWorkflowParam"],
        _ => &[],
    }
}

fn read_kind(
    ctx: &mut Context,
    node: &Node,
    path: &str,
    type_name: &str,
    extra: &mut JsonMap,
) -> Option<TaskKind> {
    let r = &mut ctx.reader;
    Some(match type_name {
        "SIMPLE" => TaskKind::Simple,
        "SWITCH" => {
            let evaluator = match node.get("evaluatorType") {
                Some(v) => r
                    .choice(v, &join(path, "evaluatorType"), SWITCH_EVALUATORS)
                    .map(evaluator),
                None => {
                    r.missing(
                        node.pos,
                        &join(path, "evaluatorType"),
                        "`value-param` or `javascript`",
                    );
                    None
                }
            };
            let expression = r.required_string(
                node,
                "expression",
                path,
                "the input parameter name or the script",
            );
            let (cases, default_case) = read_cases(ctx, node, path);
            TaskKind::Switch(switch(
                evaluator?,
                expression?,
                cases?,
                default_case?,
                false,
            ))
        }
        "DECISION" => {
            let by_script = node
                .get("caseExpression")
                .filter(|v| !matches!(v.kind, NodeKind::Null));
            let (evaluator, key) = match by_script {
                Some(_) => (Evaluator::Javascript, "caseExpression"),
                None => (Evaluator::ValueParam, "caseValueParam"),
            };
            if by_script.is_some()
                && let Some(unused) = node.get("caseValueParam")
            {
                extra.insert("caseValueParam".into(), unused.to_json());
            }
            let expression = r.required_string(
                node,
                key,
                path,
                "the input parameter holding the case value",
            );
            let (cases, default_case) = read_cases(ctx, node, path);
            TaskKind::Switch(switch(evaluator, expression?, cases?, default_case?, true))
        }
        "FORK_JOIN" => {
            let p = join(path, "forkTasks");
            let Some(value) = node.get("forkTasks") else {
                r.missing(node.pos, &p, "a list of branches, each a list of tasks");
                return None;
            };
            TaskKind::ForkJoin {
                branches: read_branches(ctx, value, &p)?,
            }
        }
        "JOIN" => TaskKind::Join {
            join_on: string_list(r, node, path, "joinOn")?,
        },
        "EXCLUSIVE_JOIN" => TaskKind::ExclusiveJoin {
            join_on: string_list(r, node, path, "joinOn")?,
            default_exclusive_join_task: string_list(r, node, path, "defaultExclusiveJoinTask")?,
        },
        "FORK_JOIN_DYNAMIC" => TaskKind::ForkJoinDynamic(DynamicForkSpec {
            tasks_param: optional_string(r, node, path, "dynamicForkTasksParam"),
            tasks_input_param: optional_string(r, node, path, "dynamicForkTasksInputParamName"),
        }),
        "DYNAMIC" => TaskKind::Dynamic {
            name_param: r.required_string(
                node,
                "dynamicTaskNameParam",
                path,
                "the input parameter holding the task name",
            )?,
        },
        "DO_WHILE" => {
            if let Some(v) = node.get("evaluatorType") {
                r.choice(v, &join(path, "evaluatorType"), LOOP_EVALUATORS);
            }
            let condition = r.required_string(
                node,
                "loopCondition",
                path,
                "a javascript condition over `$`",
            );
            let body = match node.get("loopOver") {
                Some(v) => read_list(ctx, v, &join(path, "loopOver")),
                None => Some(Vec::new()),
            };
            TaskKind::DoWhile(DoWhileSpec {
                condition: condition?,
                body: body?,
                items_param: None,
                max_iterations: None,
            })
        }
        "SUB_WORKFLOW" => TaskKind::SubWorkflow(read_sub_workflow(ctx, node, path)?),
        "WAIT" => TaskKind::Wait,
        "HUMAN" => TaskKind::Human(HumanSpec::default()),
        "START_WORKFLOW" => TaskKind::StartWorkflow,
        "TERMINATE" => TaskKind::Terminate,
        "SET_VARIABLE" => TaskKind::SetVariable,
        "NOOP" => TaskKind::Noop,
        system => TaskKind::System {
            task_type: system.to_string(),
        },
    })
}

fn evaluator(name: &str) -> Evaluator {
    if name == "value-param" {
        Evaluator::ValueParam
    } else {
        Evaluator::Javascript
    }
}

fn switch(
    evaluator: Evaluator,
    expression: String,
    cases: IndexMap<String, Vec<Task>>,
    default_case: Vec<Task>,
    legacy_decision: bool,
) -> SwitchSpec {
    SwitchSpec {
        evaluator,
        expression,
        cases,
        default_case,
        next: IndexMap::new(),
        next_default: None,
        fail_on_no_match: false,
        legacy_decision,
    }
}

type Cases = (Option<IndexMap<String, Vec<Task>>>, Option<Vec<Task>>);

fn read_cases(ctx: &mut Context, node: &Node, path: &str) -> Cases {
    let mut cases = Some(IndexMap::new());
    if let Some(value) = node.get("decisionCases") {
        let p = join(path, "decisionCases");
        match &value.kind {
            NodeKind::Null => {}
            NodeKind::Map(entries) => {
                for (key, list) in entries {
                    let tasks = read_list(ctx, list, &join(&p, &key.name));
                    match (tasks, cases.as_mut()) {
                        (Some(tasks), Some(cases)) => {
                            cases.insert(key.name.clone(), tasks);
                        }
                        _ => cases = None,
                    }
                }
            }
            _ => {
                ctx.reader
                    .wrong_type(value, &p, "a mapping from case value to a list of tasks");
                cases = None;
            }
        }
    }
    let default_case = match node.get("defaultCase") {
        Some(value) => read_list(ctx, value, &join(path, "defaultCase")),
        None => Some(Vec::new()),
    };
    (cases, default_case)
}

fn read_branches(ctx: &mut Context, node: &Node, path: &str) -> Option<Vec<Vec<Task>>> {
    let Some(items) = node.as_seq() else {
        ctx.reader
            .wrong_type(node, path, "a list of branches, each a list of tasks");
        return None;
    };
    let mut branches = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        match read_list(ctx, item, &index(path, i)) {
            Some(branch) => branches.push(branch),
            None => complete = false,
        }
    }
    complete.then_some(branches)
}

fn string_list(r: &mut Reader, node: &Node, path: &str, key: &str) -> Option<Vec<String>> {
    match node.get(key) {
        Some(value) => r.string_list(value, &join(path, key)),
        None => Some(Vec::new()),
    }
}

fn optional_string(r: &mut Reader, node: &Node, path: &str, key: &str) -> Option<String> {
    node.get(key)
        .and_then(|value| r.string(value, &join(path, key)))
}

fn read_sub_workflow(ctx: &mut Context, node: &Node, path: &str) -> Option<SubWorkflowSpec> {
    let p = join(path, "subWorkflowParam");
    let Some(params) = node.get("subWorkflowParam") else {
        ctx.reader
            .missing(node.pos, &p, "`{name, version}` of the child workflow");
        return None;
    };
    let Some(entries) = params.as_map() else {
        ctx.reader.wrong_type(
            params,
            &p,
            "a mapping with the child workflow's `name` and `version`",
        );
        return None;
    };
    let name = ctx
        .reader
        .required_string(params, "name", &p, "the child workflow's name");
    let mut spec = SubWorkflowSpec {
        name: name.unwrap_or_default(),
        version: None,
        definition: None,
        extra: JsonMap::new(),
    };
    let mut complete = true;
    for (key, value) in entries {
        let vp = join(&p, &key.name);
        match key.name.as_str() {
            "name" => {}
            "version" => spec.version = ctx.reader.u32(value, &vp),
            "workflowDefinition" if value.as_map().is_some() => {
                let recording = std::mem::replace(&mut ctx.record, false);
                match workflow::read(ctx, value, &vp) {
                    Some(def) => spec.definition = Some(Box::new(def)),
                    None => complete = false,
                }
                ctx.record = recording;
            }
            known if SUB_WORKFLOW_FIELDS.contains(&known) => {
                spec.extra.insert(key.name.clone(), value.to_json());
            }
            _ => {}
        }
    }
    ctx.reader.unknown_fields(
        params,
        &p,
        SUB_WORKFLOW_FIELDS,
        "`subWorkflowParam`",
        &mut spec.extra,
    );
    (complete && !spec.name.is_empty()).then_some(spec)
}

/// Keeps the fields no reader consumed in `extra`: known Conductor fields silently (empty
/// containers are dropped, non-empty ones on the wrong type are reported), unknown ones
/// with a `BT0001` warning.
fn keep_other_fields(
    r: &mut Reader,
    node: &Node,
    path: &str,
    consumed: &[&str],
    type_name: Option<&str>,
    extra: &mut JsonMap,
) {
    let Some(entries) = node.as_map() else { return };
    for (key, value) in entries {
        let name = key.name.as_str();
        if COMMON.contains(&name) || consumed.contains(&name) || extra.contains_key(name) {
            continue;
        }
        if CONTAINERS.contains(&name) {
            if is_empty(value) {
                continue;
            }
            if let Some(type_name) = type_name {
                r.push(
                    Diagnostic::warning(
                        codes::IGNORED_FIELD,
                        key.pos,
                        join(path, name),
                        format!("`{name}` has no effect on a {type_name} task; it is kept as is"),
                    )
                    .with_help(format!("remove `{name}`, or change the task's type")),
                );
            }
        }
        if FIELDS.contains(&name) {
            extra.insert(name.to_string(), value.to_json());
        }
    }
    r.unknown_fields(node, path, FIELDS, "a task", extra);
}

fn is_empty(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Null => true,
        NodeKind::Seq(items) => items.is_empty(),
        NodeKind::Map(entries) => entries.is_empty(),
        _ => false,
    }
}

/// Moves the `baton` extension's values into the task; values the task's kind ignores are
/// reported and kept in `extra.baton`.
fn apply_extension(
    r: &mut Reader,
    node: &Node,
    path: &str,
    ext: TaskExtension,
    kind: TaskKind,
    task: &mut Task,
) {
    let mut kept = ext.unknown;
    task.extra.extend(ext.fields);
    task.depends_on = ext.depends_on;
    task.when = ext.when;
    task.role = ext.role;
    task.gate = ext.gate;
    task.on_reject = ext.on_reject;
    task.declared_outputs = ext.declared_outputs;
    let mut ignored: Vec<(&str, Value)> = Vec::new();
    let is_switch = matches!(kind, TaskKind::Switch(_));
    if !is_switch && !ext.next.is_empty() {
        ignored.push(("next", serde_json::json!(ext.next)));
    }
    if !is_switch && let Some(head) = &ext.next_default {
        ignored.push(("nextDefault", Value::String(head.clone())));
    }
    if !is_switch && ext.fail_on_no_match {
        ignored.push(("failOnNoMatch", Value::Bool(true)));
    }
    if !matches!(kind, TaskKind::Human(_)) && ext.approval {
        ignored.push(("approval", Value::Bool(true)));
    }
    let is_loop = matches!(kind, TaskKind::DoWhile(_));
    if !is_loop && let Some(items) = &ext.items_param {
        ignored.push(("itemsParam", Value::String(items.clone())));
    }
    if !is_loop && let Some(max) = ext.max_iterations {
        ignored.push(("maxIterations", Value::from(max)));
    }
    let ext_path = join(path, "baton");
    for (key, value) in ignored {
        let pos = node
            .get("baton")
            .and_then(|b| b.entry(key))
            .map(|(k, _)| k.pos)
            .unwrap_or(node.pos);
        r.push(
            Diagnostic::warning(
                codes::IGNORED_FIELD,
                pos,
                join(&ext_path, key),
                format!(
                    "`baton.{key}` has no effect on a {} task; it is kept as is",
                    kind.type_name()
                ),
            )
            .with_help(format!("remove `baton.{key}`")),
        );
        kept.insert(key.to_string(), value);
    }
    if !kept.is_empty() {
        task.extra.insert("baton".into(), Value::Object(kept));
    }
    task.kind = kind;
    match &mut task.kind {
        TaskKind::Switch(spec) => {
            spec.next = ext.next;
            spec.next_default = ext.next_default;
            spec.fail_on_no_match = ext.fail_on_no_match;
        }
        TaskKind::Human(spec) => spec.approval = ext.approval,
        TaskKind::DoWhile(spec) => {
            spec.items_param = ext.items_param;
            spec.max_iterations = ext.max_iterations;
        }
        _ => {}
    }
}
