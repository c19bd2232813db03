//! Conductor `WorkflowDef` → [`WorkflowDef`].

use super::codes;
use super::extension::{self, WorkflowExtension};
use super::read::{Reader, index, join};
use super::task;
use crate::diagnostic::{Diagnostic, FieldSource, SourceMap};
use crate::load::Loaded;
use crate::model::{
    FailureWorkflow, InputParam, JsonMap, OutputSpec, WorkflowDef, WorkflowTimeoutPolicy,
};
use crate::source::{Node, NodeKind, Pos};
use serde_json::Value;

/// Every `WorkflowDef` field Conductor defines, in the order Conductor writes them, plus
/// the Baton extension object.
pub(super) const FIELDS: &[&str] = &[
    "ownerApp",
    "createTime",
    "updateTime",
    "createdBy",
    "updatedBy",
    "accessPolicy",
    "name",
    "description",
    "version",
    "tasks",
    "inputParameters",
    "outputParameters",
    "inputTemplate",
    "failureWorkflow",
    "schemaVersion",
    "restartable",
    "workflowStatusListenerEnabled",
    "workflowStatusListenerSink",
    "ownerEmail",
    "timeoutPolicy",
    "timeoutSeconds",
    "variables",
    "inputSchema",
    "outputSchema",
    "enforceSchema",
    "rateLimitConfig",
    "metadata",
    "maskedFields",
    "cacheConfig",
    "tags",
    "baton",
];

const TIMEOUT_POLICIES: &[&str] = &["ALERT_ONLY", "TIME_OUT_WF"];

/// State shared while one document is read.
#[derive(Debug)]
pub(super) struct Context {
    /// Diagnostics found so far.
    pub reader: Reader,
    /// Positions of the top-level definition's parts.
    pub sources: SourceMap,
    /// Whether tasks read now go into `sources` (not for inline sub-workflow definitions).
    pub record: bool,
}

/// Reads a whole document.
pub(super) fn load(root: &Node) -> Result<Loaded, Vec<Diagnostic>> {
    let mut ctx = Context {
        reader: Reader::default(),
        sources: SourceMap::default(),
        record: true,
    };
    let def = if is_event_handler(root) {
        event_handler(&mut ctx, root)
    } else {
        read(&mut ctx, root, "")
    };
    match def {
        Some(def) if !ctx.reader.has_errors() => Ok(Loaded {
            def,
            sources: ctx.sources,
            diagnostics: ctx.reader.diagnostics,
        }),
        _ => Err(ctx.reader.diagnostics),
    }
}

/// A Conductor event handler: `event` and `actions`, no `tasks`.
pub(super) fn is_event_handler(root: &Node) -> bool {
    root.get("event").is_some() && root.get("actions").is_some() && root.get("tasks").is_none()
}

fn event_handler(ctx: &mut Context, root: &Node) -> Option<WorkflowDef> {
    let name = ctx
        .reader
        .required_string(root, "name", "", "the event handler's name");
    ctx.reader.push(
        Diagnostic::warning(
            codes::EVENT_HANDLER,
            root.pos,
            "",
            "this is a Conductor event handler, not a workflow definition: it defines no tasks; its fields are kept as is",
        )
        .with_help("register it as an event handler; to run tasks, write a workflow definition with `tasks`"),
    );
    let mut def = empty_def(name?);
    if let NodeKind::Map(entries) = &root.kind {
        for (key, value) in entries.iter().filter(|(k, _)| k.name != "name") {
            def.extra.insert(key.name.clone(), value.to_json());
        }
    }
    Some(def)
}

fn empty_def(name: String) -> WorkflowDef {
    WorkflowDef::new(name, 1, Vec::new())
}

/// Reads a `WorkflowDef` mapping at `path` (the root, or an inline sub-workflow).
pub(super) fn read(ctx: &mut Context, node: &Node, path: &str) -> Option<WorkflowDef> {
    let Some(entries) = node.as_map() else {
        ctx.reader
            .wrong_type(node, path, "a workflow definition mapping");
        return None;
    };
    if ctx.record {
        record_fields(&mut ctx.sources, node);
    }
    let name = ctx
        .reader
        .required_string(node, "name", path, "the workflow's name");
    let mut def = empty_def(name.clone().unwrap_or_default());
    let mut tasks = None;
    let mut template = JsonMap::new();
    let mut failure = None;
    let mut ext = WorkflowExtension::default();
    for (key, value) in entries {
        let p = join(path, &key.name);
        let r = &mut ctx.reader;
        match key.name.as_str() {
            "name" => {}
            "description" => def.description = r.string(value, &p),
            "version" => def.version = r.u32(value, &p).unwrap_or(1),
            "tasks" => tasks = task::read_list(ctx, value, &p),
            "inputParameters" => {
                let names = r.string_list(value, &p).unwrap_or_default();
                def.inputs = names
                    .into_iter()
                    .map(|name| InputParam {
                        name,
                        required: false,
                        default: None,
                    })
                    .collect();
            }
            "inputTemplate" => template = r.json_map(value, &p).unwrap_or_default(),
            "outputParameters" => {
                let map = r.json_map(value, &p).unwrap_or_default();
                def.output = if map.is_empty() {
                    OutputSpec::LastTask
                } else {
                    OutputSpec::Template(map)
                };
            }
            "failureWorkflow" => failure = r.string(value, &p).filter(|s| !s.is_empty()),
            "timeoutPolicy" => {
                if let Some(policy) = r.choice(value, &p, TIMEOUT_POLICIES) {
                    def.timeout_policy = match policy {
                        "TIME_OUT_WF" => WorkflowTimeoutPolicy::TimeOutWf,
                        _ => WorkflowTimeoutPolicy::AlertOnly,
                    };
                }
            }
            "timeoutSeconds" => def.timeout_ms = r.seconds_as_ms(value, &p).unwrap_or(0),
            "variables" => def.variables = r.json_map(value, &p).unwrap_or_default(),
            "restartable" => def.restartable = r.boolean(value, &p).unwrap_or(true),
            "baton" => ext = extension::read_workflow(r, value, &p),
            "schemaVersion" if value.to_json() == 2 => {}
            "workflowStatusListenerEnabled" if value.to_json() == false => {}
            known if FIELDS.contains(&known) => {
                def.extra.insert(key.name.clone(), value.to_json());
            }
            _ => {}
        }
    }
    ctx.reader
        .unknown_fields(node, path, FIELDS, "a workflow definition", &mut def.extra);
    if node.get("tasks").is_none() {
        ctx.reader
            .missing(node.pos, &join(path, "tasks"), "the list of tasks to run");
    }
    apply_template(&mut def, template);
    apply_extension(&mut def, ext, failure);
    def.tasks = tasks?;
    name.map(|_| def)
}

/// `inputTemplate` entries become the defaults of the inputs they name; the others are
/// kept in `extra.inputTemplate`.
fn apply_template(def: &mut WorkflowDef, template: JsonMap) {
    let mut rest = JsonMap::new();
    for (key, value) in template {
        match def.inputs.iter_mut().find(|input| input.name == key) {
            Some(input) => input.default = Some(value),
            None => {
                rest.insert(key, value);
            }
        }
    }
    if !rest.is_empty() {
        def.extra
            .insert("inputTemplate".into(), Value::Object(rest));
    }
}

fn apply_extension(def: &mut WorkflowDef, ext: WorkflowExtension, failure: Option<String>) {
    for name in ext.required_inputs {
        match def.inputs.iter_mut().find(|input| input.name == name) {
            Some(input) => input.required = true,
            None => def.inputs.push(InputParam {
                name,
                required: true,
                default: None,
            }),
        }
    }
    def.monitoring = ext.monitoring;
    def.mode = ext.mode;
    def.gates = ext.gates;
    def.breakpoints = ext.breakpoints;
    def.domain = ext.domain;
    def.failure_workflow = match (failure, ext.failure_steps) {
        (name, Some(steps)) => Some(FailureWorkflow::Inline {
            id: name.unwrap_or_default(),
            steps,
        }),
        (Some(name), None) => Some(FailureWorkflow::Named(name)),
        (None, None) => None,
    };
    if let Some(keys) = ext.output_keys {
        def.output = OutputSpec::Keys(keys);
    }
    def.extra.extend(ext.fields);
    if !ext.unknown.is_empty() {
        def.extra.insert("baton".into(), Value::Object(ext.unknown));
    }
}

/// Records the top-level fields (and the entries of mappings and lists one level down),
/// under their Conductor names and, for the main ones, their model names too.
fn record_fields(sources: &mut SourceMap, node: &Node) {
    let Some(entries) = node.as_map() else { return };
    for (key, value) in entries {
        add_field(sources, key.name.clone(), key.name.clone(), value.pos);
        if let Some(alias) = model_alias(&key.name) {
            add_field(sources, alias.to_string(), key.name.clone(), value.pos);
        }
        match &value.kind {
            NodeKind::Map(children) if key.name != "tasks" => {
                for (child, v) in children {
                    let path = join(&key.name, &child.name);
                    add_field(sources, path.clone(), path, v.pos);
                }
            }
            NodeKind::Seq(items) if key.name != "tasks" => {
                for (i, item) in items.iter().enumerate() {
                    let path = index(&key.name, i);
                    add_field(sources, path.clone(), path, item.pos);
                }
            }
            _ => {}
        }
    }
}

fn add_field(sources: &mut SourceMap, key: String, path: String, pos: Pos) {
    sources
        .fields
        .entry(key)
        .or_insert(FieldSource { pos, path });
}

fn model_alias(field: &str) -> Option<&'static str> {
    Some(match field {
        "inputParameters" => "inputs",
        "outputParameters" => "output",
        "failureWorkflow" => "failure_workflow",
        "timeoutSeconds" => "timeout_ms",
        "timeoutPolicy" => "timeout_policy",
        _ => return None,
    })
}
