//! The `baton` extension object: model features Conductor has no field for (see the
//! module documentation of [`super`]), on the workflow and on tasks.

use super::read::{Reader, join};
use crate::model::{
    FailureWorkflow, GateRules, JsonMap, Monitoring, OnReject, OutputSpec, Role, RunMode, Task,
    TaskKind, WorkflowDef,
};
use crate::source::Node;
use indexmap::IndexMap;
use serde_json::{Value, json};

/// Fields of the workflow's `baton` object.
const WORKFLOW_FIELDS: &[&str] = &[
    "requiredInputs",
    "monitoring",
    "failureWorkflowSteps",
    "fields",
    "outputKeys",
    "mode",
    "gates",
    "breakpoints",
    "domain",
];
/// Fields of `baton.gates`.
const GATE_FIELDS: &[&str] = &["agentLevel", "taskType", "all"];
const MODES: &[&str] = &["auto", "supervised", "debug"];
/// Fields of `baton.monitoring`.
const MONITORING_FIELDS: &[&str] = &["reportFrequency", "logTo", "metrics"];
/// Fields of a task's `baton` object.
const TASK_FIELDS: &[&str] = &[
    "dependsOn",
    "when",
    "next",
    "nextDefault",
    "failOnNoMatch",
    "role",
    "declaredOutputs",
    "approval",
    "itemsParam",
    "maxIterations",
    "fields",
    "gate",
    "onReject",
];
const ROLES: &[&str] = &["L0", "L1", "L2", "L3"];

/// The workflow's `baton` object, read.
#[derive(Debug, Default)]
pub(super) struct WorkflowExtension {
    /// Names of required inputs.
    pub required_inputs: Vec<String>,
    /// Native monitoring block.
    pub monitoring: Option<Monitoring>,
    /// Steps of an inline failure workflow.
    pub failure_steps: Option<Vec<String>>,
    /// Native output keys.
    pub output_keys: Option<Vec<String>>,
    /// Extra fields of a native or stage definition (the model's `extra`).
    pub fields: JsonMap,
    /// Execution mode of runs whose start chooses none.
    pub mode: Option<RunMode>,
    /// Which tasks are gates in a supervised run.
    pub gates: GateRules,
    /// Where a debug run pauses.
    pub breakpoints: Vec<String>,
    /// The runs' domain.
    pub domain: Option<String>,
    /// Unknown fields of the object, kept.
    pub unknown: JsonMap,
}

/// A task's `baton` object, read.
#[derive(Debug, Default)]
pub(super) struct TaskExtension {
    /// Explicit dependencies.
    pub depends_on: Option<Vec<String>>,
    /// Stage `when:` condition.
    pub when: Option<String>,
    /// Native DECISION branch heads by case.
    pub next: IndexMap<String, String>,
    /// Native DECISION default head.
    pub next_default: Option<String>,
    /// Native DECISION: no match fails the run.
    pub fail_on_no_match: bool,
    /// Role that may run or complete the task.
    pub role: Option<Role>,
    /// Output keys the task promises.
    pub declared_outputs: Vec<String>,
    /// HUMAN approval gate.
    pub approval: bool,
    /// DO_WHILE: loop over the list in this input parameter.
    pub items_param: Option<String>,
    /// DO_WHILE: iteration guard.
    pub max_iterations: Option<u32>,
    /// Extra fields of a native or stage task (the model's `extra`).
    pub fields: JsonMap,
    /// A gate in supervised runs.
    pub gate: bool,
    /// What a rejected gate does.
    pub on_reject: OnReject,
    /// Unknown fields of the object, kept.
    pub unknown: JsonMap,
}

/// Reads the workflow's `baton` object at `path`.
pub(super) fn read_workflow(reader: &mut Reader, node: &Node, path: &str) -> WorkflowExtension {
    let mut ext = WorkflowExtension::default();
    if node.as_map().is_none() {
        reader.wrong_type(node, path, "a mapping of Baton extension fields");
        return ext;
    }
    if let Some(v) = node.get("requiredInputs") {
        ext.required_inputs = reader
            .string_list(v, &join(path, "requiredInputs"))
            .unwrap_or_default();
    }
    if let Some(v) = node.get("monitoring") {
        ext.monitoring = read_monitoring(reader, v, &join(path, "monitoring"), &mut ext.unknown);
    }
    if let Some(v) = node.get("failureWorkflowSteps") {
        ext.failure_steps = reader.string_list(v, &join(path, "failureWorkflowSteps"));
    }
    if let Some(v) = node.get("outputKeys") {
        ext.output_keys = reader.string_list(v, &join(path, "outputKeys"));
    }
    if let Some(v) = node.get("mode") {
        ext.mode = reader
            .choice(v, &join(path, "mode"), MODES)
            .map(|m| match m {
                "supervised" => RunMode::Supervised,
                "debug" => RunMode::Debug,
                _ => RunMode::Auto,
            });
    }
    if let Some(v) = node.get("gates") {
        let p = join(path, "gates");
        if let Some(levels) = v.get("agentLevel") {
            let lp = join(&p, "agentLevel");
            for (i, name) in reader
                .string_list(levels, &lp)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                match ROLES.iter().find(|r| r.eq_ignore_ascii_case(name)) {
                    Some(r) => ext.gates.agent_level.push(role(r)),
                    None => {
                        reader.wrong_type(levels, &format!("{lp}[{i}]"), "one of L0, L1, L2, L3")
                    }
                }
            }
        }
        if let Some(types) = v.get("taskType") {
            ext.gates.task_type = reader
                .string_list(types, &join(&p, "taskType"))
                .unwrap_or_default()
                .into_iter()
                .map(|t| t.to_ascii_uppercase())
                .collect();
        }
        if let Some(all) = v.get("all") {
            ext.gates.all = reader.boolean(all, &join(&p, "all")).unwrap_or(false);
        }
        let mut ignored = JsonMap::new();
        reader.unknown_fields(v, &p, GATE_FIELDS, "`baton.gates`", &mut ignored);
    }
    if let Some(v) = node.get("breakpoints") {
        ext.breakpoints = reader
            .string_list(v, &join(path, "breakpoints"))
            .unwrap_or_default();
    }
    if let Some(v) = node.get("domain") {
        ext.domain = reader.string(v, &join(path, "domain"));
    }
    if let Some(v) = node.get("fields") {
        ext.fields = reader
            .json_map(v, &join(path, "fields"))
            .unwrap_or_default();
    }
    reader.unknown_fields(
        node,
        path,
        WORKFLOW_FIELDS,
        "the `baton` extension",
        &mut ext.unknown,
    );
    ext
}

fn read_monitoring(
    reader: &mut Reader,
    node: &Node,
    path: &str,
    unknown: &mut JsonMap,
) -> Option<Monitoring> {
    if node.as_map().is_none() {
        reader.wrong_type(node, path, "a mapping");
        return None;
    }
    let mut monitoring = Monitoring::default();
    if let Some(v) = node.get("reportFrequency") {
        monitoring.report_frequency = reader.string(v, &join(path, "reportFrequency"));
    }
    if let Some(v) = node.get("logTo") {
        monitoring.log_to = reader.string(v, &join(path, "logTo"));
    }
    if let Some(v) = node.get("metrics") {
        monitoring.metrics = reader
            .string_list(v, &join(path, "metrics"))
            .unwrap_or_default();
    }
    let mut kept = JsonMap::new();
    reader.unknown_fields(
        node,
        path,
        MONITORING_FIELDS,
        "`baton.monitoring`",
        &mut kept,
    );
    if !kept.is_empty() {
        unknown.insert("monitoring".into(), Value::Object(kept));
    }
    Some(monitoring)
}

/// Reads a task's `baton` object at `path`.
pub(super) fn read_task(reader: &mut Reader, node: &Node, path: &str) -> TaskExtension {
    let mut ext = TaskExtension::default();
    if node.as_map().is_none() {
        reader.wrong_type(node, path, "a mapping of Baton extension fields");
        return ext;
    }
    if let Some(v) = node.get("dependsOn") {
        ext.depends_on = reader.string_list(v, &join(path, "dependsOn"));
    }
    if let Some(v) = node.get("when") {
        ext.when = reader.string(v, &join(path, "when"));
    }
    if let Some(v) = node.get("next") {
        let p = join(path, "next");
        match v.as_map() {
            Some(entries) => {
                for (key, head) in entries {
                    if let Some(head) = reader.string(head, &join(&p, &key.name)) {
                        ext.next.insert(key.name.clone(), head);
                    }
                }
            }
            None => reader.wrong_type(v, &p, "a mapping from case value to task reference"),
        }
    }
    if let Some(v) = node.get("nextDefault") {
        ext.next_default = reader.string(v, &join(path, "nextDefault"));
    }
    if let Some(v) = node.get("failOnNoMatch") {
        ext.fail_on_no_match = reader
            .boolean(v, &join(path, "failOnNoMatch"))
            .unwrap_or(false);
    }
    if let Some(v) = node.get("role") {
        ext.role = reader.choice(v, &join(path, "role"), ROLES).map(role);
    }
    if let Some(v) = node.get("declaredOutputs") {
        ext.declared_outputs = reader
            .string_list(v, &join(path, "declaredOutputs"))
            .unwrap_or_default();
    }
    if let Some(v) = node.get("approval") {
        ext.approval = reader.boolean(v, &join(path, "approval")).unwrap_or(false);
    }
    if let Some(v) = node.get("itemsParam") {
        ext.items_param = reader.string(v, &join(path, "itemsParam"));
    }
    if let Some(v) = node.get("gate") {
        ext.gate = reader.boolean(v, &join(path, "gate")).unwrap_or(false);
    }
    if let Some(v) = node.get("onReject") {
        ext.on_reject = match reader.choice(v, &join(path, "onReject"), &["fail", "skip"]) {
            Some("skip") => OnReject::Skip,
            _ => OnReject::Fail,
        };
    }
    if let Some(v) = node.get("maxIterations") {
        ext.max_iterations = reader.u32(v, &join(path, "maxIterations"));
    }
    if let Some(v) = node.get("fields") {
        ext.fields = reader
            .json_map(v, &join(path, "fields"))
            .unwrap_or_default();
    }
    reader.unknown_fields(
        node,
        path,
        TASK_FIELDS,
        "the `baton` extension",
        &mut ext.unknown,
    );
    ext
}

fn role(name: &str) -> Role {
    match name {
        "L0" => Role::L0,
        "L1" => Role::L1,
        "L2" => Role::L2,
        _ => Role::L3,
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::L0 => "L0",
        Role::L1 => "L1",
        Role::L2 => "L2",
        Role::L3 => "L3",
    }
}

/// Starts an extension object from the unknown extension fields kept in `extra`.
fn kept(extra: &JsonMap) -> JsonMap {
    match extra.get("baton") {
        Some(Value::Object(kept)) => kept.clone(),
        _ => JsonMap::new(),
    }
}

/// The workflow's `baton` object (empty when it needs none).
pub(super) fn workflow_json(def: &WorkflowDef) -> JsonMap {
    let mut ext = kept(&def.extra);
    let required: Vec<&str> = def
        .inputs
        .iter()
        .filter(|i| i.required)
        .map(|i| i.name.as_str())
        .collect();
    if !required.is_empty() {
        ext.insert("requiredInputs".into(), json!(required));
    }
    if let Some(monitoring) = &def.monitoring {
        let mut m = match ext.get("monitoring") {
            Some(Value::Object(kept)) => kept.clone(),
            _ => JsonMap::new(),
        };
        if let Some(f) = &monitoring.report_frequency {
            m.insert("reportFrequency".into(), json!(f));
        }
        if let Some(l) = &monitoring.log_to {
            m.insert("logTo".into(), json!(l));
        }
        if !monitoring.metrics.is_empty() {
            m.insert("metrics".into(), json!(monitoring.metrics));
        }
        ext.insert("monitoring".into(), Value::Object(m));
    }
    if let Some(FailureWorkflow::Inline { steps, .. }) = &def.failure_workflow {
        ext.insert("failureWorkflowSteps".into(), json!(steps));
    }
    if let OutputSpec::Keys(keys) = &def.output {
        ext.insert("outputKeys".into(), json!(keys));
    }
    if let Some(mode) = def.mode {
        ext.insert("mode".into(), json!(mode.as_str()));
    }
    if !def.gates.is_empty() {
        let mut g = JsonMap::new();
        if !def.gates.agent_level.is_empty() {
            let levels: Vec<&str> = def
                .gates
                .agent_level
                .iter()
                .map(|r| role_name(*r))
                .collect();
            g.insert("agentLevel".into(), json!(levels));
        }
        if !def.gates.task_type.is_empty() {
            g.insert("taskType".into(), json!(def.gates.task_type));
        }
        if def.gates.all {
            g.insert("all".into(), json!(true));
        }
        ext.insert("gates".into(), Value::Object(g));
    }
    if !def.breakpoints.is_empty() {
        ext.insert("breakpoints".into(), json!(def.breakpoints));
    }
    if let Some(d) = &def.domain {
        ext.insert("domain".into(), json!(d));
    }
    ext
}

/// A task's `baton` object (empty when it needs none). With `keep_graph`, the DAG features
/// (`dependsOn`, `when`, `next`, `nextDefault`) are written too (they were not lowered).
pub(super) fn task_json(task: &Task, keep_graph: bool) -> JsonMap {
    let mut ext = kept(&task.extra);
    if keep_graph {
        if let Some(deps) = &task.depends_on {
            ext.insert("dependsOn".into(), json!(deps));
        }
        if let Some(when) = &task.when {
            ext.insert("when".into(), json!(when));
        }
        if let TaskKind::Switch(spec) = &task.kind {
            if !spec.next.is_empty() {
                ext.insert("next".into(), json!(spec.next));
            }
            if let Some(head) = &spec.next_default {
                ext.insert("nextDefault".into(), json!(head));
            }
        }
    }
    if let Some(role) = task.role {
        ext.insert("role".into(), json!(role_name(role)));
    }
    if !task.declared_outputs.is_empty() {
        ext.insert("declaredOutputs".into(), json!(task.declared_outputs));
    }
    if task.gate {
        ext.insert("gate".into(), json!(true));
    }
    if task.on_reject == OnReject::Skip {
        ext.insert("onReject".into(), json!("skip"));
    }
    match &task.kind {
        TaskKind::Human(h) if h.approval => {
            ext.insert("approval".into(), json!(true));
        }
        TaskKind::DoWhile(d) => {
            if let Some(items) = &d.items_param {
                ext.insert("itemsParam".into(), json!(items));
            }
            if let Some(max) = d.max_iterations {
                ext.insert("maxIterations".into(), json!(max));
            }
        }
        _ => {}
    }
    ext
}
