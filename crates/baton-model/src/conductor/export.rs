//! [`WorkflowDef`] → Conductor JSON.

use super::{extension, lower, task, task_def, workflow};
use crate::model::{
    Evaluator, FailureWorkflow, JsonMap, OutputSpec, SourceFormat, Task, TaskKind, WorkflowDef,
    WorkflowTimeoutPolicy,
};
use crate::tree::walk_list;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Writes a definition as Conductor `WorkflowDef` JSON, keys in Conductor's order.
///
/// The inverse of [`super::from_node`] for Conductor definitions; definitions using the
/// native DAG features are lowered to Conductor constructs (see the module documentation
/// of [`super`]). Never fails and drops nothing.
pub fn export(def: &WorkflowDef) -> Value {
    let mut state = ExportState::of(def);
    Value::Object(workflow_json(def, &mut state))
}

/// [`export`], pretty-printed.
pub fn to_json_string(def: &WorkflowDef) -> String {
    // Serializing a `Value` cannot fail (its map keys are strings).
    serde_json::to_string_pretty(&export(def)).unwrap_or_default()
}

/// Whole seconds for a duration in milliseconds, rounded up.
pub(super) fn seconds(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

/// `fields` with the keys of `order` first, in that order, then the others as they were.
pub(super) fn ordered(fields: JsonMap, order: &[&str]) -> JsonMap {
    let mut out = JsonMap::new();
    for key in order {
        if let Some(value) = fields.get(*key) {
            out.insert((*key).to_string(), value.clone());
        }
    }
    for (key, value) in fields {
        if !out.contains_key(&key) {
            out.insert(key, value);
        }
    }
    out
}

/// What the export of one definition needs to know throughout.
#[derive(Debug, Default)]
pub(super) struct ExportState {
    /// The task refs in use, for making up unique refs for generated tasks.
    used: HashSet<String>,
    /// Whether `extra` fields go into `baton.fields` rather than beside Conductor's own:
    /// true for definitions written in the native or stage format, whose extra fields are
    /// not Conductor fields and would read back as unknown.
    extras_in_extension: bool,
}

impl ExportState {
    fn of(def: &WorkflowDef) -> ExportState {
        let mut used = HashSet::new();
        walk_list(&def.tasks, &mut |t| {
            used.insert(t.ref_name.clone());
        });
        ExportState {
            used,
            extras_in_extension: def.format != SourceFormat::Conductor,
        }
    }

    /// `base`, or `base_2`, `base_3`, ... whichever is not used yet; it is used afterwards.
    pub fn fresh(&mut self, base: &str) -> String {
        let mut candidate = base.to_string();
        let mut n = 1u64;
        while self.used.contains(&candidate) {
            n += 1;
            candidate = format!("{base}_{n}");
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

fn workflow_json(def: &WorkflowDef, state: &mut ExportState) -> JsonMap {
    let mut fields = JsonMap::new();
    fields.insert("name".into(), json!(def.name));
    if def.tasks.is_empty() && def.extra.contains_key("event") && def.extra.contains_key("actions")
    {
        // An event handler read by `from_node`: give its fields back as they were.
        fields.extend(def.extra.clone());
        return fields;
    }
    if let Some(description) = &def.description {
        fields.insert("description".into(), json!(description));
    }
    fields.insert("version".into(), json!(def.version));
    fields.insert("tasks".into(), Value::Array(block(&def.tasks, state)));
    let names: Vec<&str> = def.inputs.iter().map(|i| i.name.as_str()).collect();
    fields.insert("inputParameters".into(), json!(names));
    fields.insert(
        "outputParameters".into(),
        Value::Object(output_parameters(def)),
    );
    let mut template = JsonMap::new();
    for input in &def.inputs {
        if let Some(default) = &input.default {
            template.insert(input.name.clone(), default.clone());
        }
    }
    if let Some(Value::Object(rest)) = def.extra.get("inputTemplate") {
        for (key, value) in rest {
            template.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    if !template.is_empty() {
        fields.insert("inputTemplate".into(), Value::Object(template));
    }
    match &def.failure_workflow {
        Some(FailureWorkflow::Named(name)) => {
            fields.insert("failureWorkflow".into(), json!(name));
        }
        Some(FailureWorkflow::Inline { id, .. }) => {
            fields.insert("failureWorkflow".into(), json!(id));
        }
        None => {}
    }
    fields.insert("schemaVersion".into(), json!(2));
    fields.insert("restartable".into(), json!(def.restartable));
    fields.insert("workflowStatusListenerEnabled".into(), json!(false));
    let policy = match def.timeout_policy {
        WorkflowTimeoutPolicy::AlertOnly => "ALERT_ONLY",
        WorkflowTimeoutPolicy::TimeOutWf => "TIME_OUT_WF",
    };
    fields.insert("timeoutPolicy".into(), json!(policy));
    fields.insert("timeoutSeconds".into(), json!(seconds(def.timeout_ms)));
    if !def.variables.is_empty() {
        fields.insert("variables".into(), Value::Object(def.variables.clone()));
    }
    let mut moved = JsonMap::new();
    for (key, value) in &def.extra {
        if state.extras_in_extension && key != "baton" {
            moved.insert(key.clone(), value.clone());
        } else if key == "schemaVersion" || key == "workflowStatusListenerEnabled" {
            // Kept non-default values win over the defaults written above.
            fields.insert(key.clone(), value.clone());
        } else if key != "baton" && key != "inputTemplate" {
            fields.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    let mut ext = extension::workflow_json(def);
    if !moved.is_empty() {
        ext.insert("fields".into(), Value::Object(moved));
    }
    if !ext.is_empty() {
        fields.insert("baton".into(), Value::Object(ext));
    }
    ordered(fields, workflow::FIELDS)
}

/// `outputParameters`: the template, or for native output keys the task output that
/// declares each key last (keys no task declares are only in `baton.outputKeys`).
fn output_parameters(def: &WorkflowDef) -> JsonMap {
    match &def.output {
        OutputSpec::LastTask => JsonMap::new(),
        OutputSpec::Template(template) => template.clone(),
        OutputSpec::Keys(keys) => {
            let mut out = JsonMap::new();
            for key in keys {
                let mut source = None;
                def.walk(&mut |t| {
                    if t.declared_outputs.contains(key) {
                        source = Some(t.ref_name.clone());
                    }
                });
                if let Some(task_ref) = source {
                    out.insert(key.clone(), json!(format!("${{{task_ref}.output.{key}}}")));
                }
            }
            out
        }
    }
}

/// A task list as Conductor tasks: as is, or lowered when it uses DAG features, or with
/// the DAG features in `baton` extension fields when it cannot be lowered.
pub(super) fn block(tasks: &[Task], refs: &mut ExportState) -> Vec<Value> {
    if !lower::needs_lowering(tasks) {
        return tasks
            .iter()
            .map(|t| Value::Object(task_json(t, false, refs)))
            .collect();
    }
    match lower::lower(tasks, refs) {
        Some(lowered) => lowered,
        None => tasks
            .iter()
            .map(|t| Value::Object(task_json(t, true, refs)))
            .collect(),
    }
}

/// One task as a Conductor `WorkflowTask`. With `keep_graph`, its DAG features are written
/// into the `baton` extension field (they were not lowered).
pub(super) fn task_json(task: &Task, keep_graph: bool, state: &mut ExportState) -> JsonMap {
    let mut fields = JsonMap::new();
    fields.insert("name".into(), json!(task.name));
    fields.insert("taskReferenceName".into(), json!(task.ref_name));
    if let Some(description) = &task.description {
        fields.insert("description".into(), json!(description));
    }
    fields.insert("inputParameters".into(), Value::Object(task.input.clone()));
    fields.insert("type".into(), json!(task.kind.type_name()));
    kind_fields(task, state, &mut fields);
    fields.insert("startDelay".into(), json!(seconds(task.start_delay_ms)));
    fields.insert("optional".into(), json!(task.optional));
    fields.insert("asyncComplete".into(), json!(task.async_complete));
    if let Some(def) = &task.task_def {
        fields.insert("taskDefinition".into(), task_def::task_def_to_json(def));
    }
    let mut moved = JsonMap::new();
    for (key, value) in &task.extra {
        if state.extras_in_extension && key != "baton" {
            moved.insert(key.clone(), value.clone());
        } else if key != "baton" {
            fields.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    let mut ext = extension::task_json(task, keep_graph);
    if !moved.is_empty() {
        ext.insert("fields".into(), Value::Object(moved));
    }
    if !ext.is_empty() {
        fields.insert("baton".into(), Value::Object(ext));
    }
    ordered(fields, task::FIELDS)
}

fn kind_fields(task: &Task, refs: &mut ExportState, fields: &mut JsonMap) {
    match &task.kind {
        TaskKind::Switch(spec) => {
            match (spec.legacy_decision, spec.evaluator) {
                (true, Evaluator::ValueParam) => {
                    fields.insert("caseValueParam".into(), json!(spec.expression))
                }
                (true, Evaluator::Javascript) => {
                    fields.insert("caseExpression".into(), json!(spec.expression))
                }
                (false, evaluator) => {
                    let name = if evaluator == Evaluator::ValueParam {
                        "value-param"
                    } else {
                        "javascript"
                    };
                    fields.insert("evaluatorType".into(), json!(name));
                    fields.insert("expression".into(), json!(spec.expression))
                }
            };
            let cases: JsonMap = spec
                .cases
                .iter()
                .map(|(k, tasks)| (k.clone(), Value::Array(block(tasks, refs))))
                .collect();
            fields.insert("decisionCases".into(), Value::Object(cases));
            let mut default_case = block(&spec.default_case, refs);
            if spec.fail_on_no_match && default_case.is_empty() && spec.next_default.is_none() {
                default_case.push(no_match_terminate(task, refs));
            }
            fields.insert("defaultCase".into(), Value::Array(default_case));
        }
        TaskKind::ForkJoin { branches } => {
            let branches: Vec<Value> = branches
                .iter()
                .map(|b| Value::Array(block(b, refs)))
                .collect();
            fields.insert("forkTasks".into(), Value::Array(branches));
        }
        TaskKind::Join { join_on } => {
            fields.insert("joinOn".into(), json!(join_on));
        }
        TaskKind::ExclusiveJoin {
            join_on,
            default_exclusive_join_task,
        } => {
            fields.insert("joinOn".into(), json!(join_on));
            fields.insert(
                "defaultExclusiveJoinTask".into(),
                json!(default_exclusive_join_task),
            );
        }
        TaskKind::ForkJoinDynamic(spec) => {
            if let Some(param) = &spec.tasks_param {
                fields.insert("dynamicForkTasksParam".into(), json!(param));
            }
            if let Some(param) = &spec.tasks_input_param {
                fields.insert("dynamicForkTasksInputParamName".into(), json!(param));
            }
        }
        TaskKind::Dynamic { name_param } => {
            fields.insert("dynamicTaskNameParam".into(), json!(name_param));
        }
        TaskKind::DoWhile(spec) => {
            fields.insert("loopCondition".into(), json!(spec.condition));
            fields.insert("loopOver".into(), Value::Array(block(&spec.body, refs)));
        }
        TaskKind::SubWorkflow(spec) => {
            let mut params = JsonMap::new();
            params.insert("name".into(), json!(spec.name));
            if let Some(version) = spec.version {
                params.insert("version".into(), json!(version));
            }
            for (key, value) in &spec.extra {
                params.entry(key.clone()).or_insert_with(|| value.clone());
            }
            if let Some(child) = &spec.definition {
                params.insert("workflowDefinition".into(), export(child));
            }
            fields.insert("subWorkflowParam".into(), Value::Object(params));
        }
        _ => {}
    }
}

/// The TERMINATE task that makes a native DECISION without a match fail, as Baton does.
fn no_match_terminate(decision: &Task, refs: &mut ExportState) -> Value {
    let task_ref = refs.fresh(&format!("{}_no_match", decision.ref_name));
    let cases: Vec<&str> = match &decision.kind {
        TaskKind::Switch(spec) => spec
            .cases
            .keys()
            .chain(spec.next.keys())
            .map(String::as_str)
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "name": "terminate",
        "taskReferenceName": task_ref,
        "inputParameters": {
            "terminationStatus": "FAILED",
            "terminationReason": format!("decision `{}`: the value matches none of the cases [{}] and there is no default", decision.ref_name, cases.join(", ")),
        },
        "type": "TERMINATE",
    })
}
