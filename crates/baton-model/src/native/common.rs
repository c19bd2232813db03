//! The workflow header both the native and the stage YAML share: unknown fields and
//! inline `runners`, the name, `version`, `description`, `input`, `output`, `timeout`.

use super::read::{Reader, child_path, index_path};
use crate::diagnostic::{FieldSource, SourceMap};
use crate::model::{
    GateRules, InputParam, JsonMap, Millis, OnReject, OutputSpec, RunMode, SourceFormat, Task,
    WorkflowDef, WorkflowTimeoutPolicy,
};
use crate::source::{Node, NodeKind};
use serde_json::Value;

/// The header fields of a `workflow:` mapping, read the same way by both YAML front-ends.
pub(crate) struct Header {
    /// The workflow's name (native `id`, stage `name`).
    pub name: String,
    /// Unknown fields, inline `runners`, `version_text`.
    pub extra: JsonMap,
    pub version: u32,
    pub description: Option<String>,
    pub inputs: Vec<InputParam>,
    pub output: OutputSpec,
    /// The whole run's `timeout` (0: none).
    pub timeout_ms: Millis,
    /// `mode`, `gates`, `breakpoints`, `domain`.
    pub people: People,
}

/// The header fields about people in the loop, shared by both YAML front-ends.
#[derive(Default)]
pub(crate) struct People {
    pub mode: Option<RunMode>,
    pub gates: GateRules,
    pub breakpoints: Vec<String>,
    pub domain: Option<String>,
}

/// Reads `mode: auto|supervised|debug`, `gates: {agent_level: [..], task_type: [..],
/// all: bool}`, `breakpoints: [ref, ..]` and `domain: NAME`.
fn read_people(r: &mut Reader, wf: &Node, path: &str, sources: &mut SourceMap) -> People {
    let mut people = People::default();
    if let Some(node) = wf.get("mode") {
        record_field(sources, wf, "mode", path);
        let p = child_path(path, "mode");
        if let Some(text) = r.string(node, &p) {
            people.mode = match text.trim().to_ascii_lowercase().as_str() {
                "auto" => Some(RunMode::Auto),
                "supervised" => Some(RunMode::Supervised),
                "debug" => Some(RunMode::Debug),
                _ => {
                    r.error(
                        r.codes.shape,
                        node.pos,
                        &p,
                        format!("`{text}` is not an execution mode"),
                        "write one of auto, supervised, debug".to_string(),
                    );
                    None
                }
            };
        }
    }
    if let Some(node) = wf.get("gates") {
        record_field(sources, wf, "gates", path);
        let p = child_path(path, "gates");
        let mut ignored = JsonMap::new();
        r.unknown_fields(node, &p, &["agent_level", "task_type", "all"], &mut ignored);
        if let Some(levels) = node.get("agent_level") {
            let lp = child_path(&p, "agent_level");
            let items: Vec<Node> = match r.list(levels, &lp) {
                Some(items) => items.to_vec(),
                None => Vec::new(),
            };
            for (i, item) in items.iter().enumerate() {
                if let Some(role) =
                    super::policy::read_role(r, r.codes.shape, item, &index_path(&lp, i))
                {
                    people.gates.agent_level.push(role);
                }
            }
        }
        if let Some(types) = node.get("task_type") {
            people.gates.task_type = r
                .string_list(types, &child_path(&p, "task_type"))
                .into_iter()
                .map(|(t, _)| t.trim().to_ascii_uppercase())
                .collect();
        }
        if let Some(all) = node.get("all") {
            people.gates.all = r.boolean(all, &child_path(&p, "all")).unwrap_or(false);
        }
    }
    if let Some(node) = wf.get("breakpoints") {
        record_field(sources, wf, "breakpoints", path);
        people.breakpoints = r
            .string_list(node, &child_path(path, "breakpoints"))
            .into_iter()
            .map(|(t, _)| t)
            .collect();
    }
    people.domain = r.opt_string(wf, "domain", path);
    people
}

/// Reads a task's `gate: true` and `on_reject: fail|skip`.
pub(crate) fn read_gate(r: &mut Reader, node: &Node, path: &str) -> (bool, OnReject) {
    let gate = node
        .get("gate")
        .and_then(|n| r.boolean(n, &child_path(path, "gate")))
        .unwrap_or(false);
    let mut on_reject = OnReject::Fail;
    if let Some(n) = node.get("on_reject") {
        let p = child_path(path, "on_reject");
        if let Some(text) = r.string(n, &p) {
            match text.trim().to_ascii_lowercase().as_str() {
                "fail" => {}
                "skip" => on_reject = OnReject::Skip,
                _ => r.error(
                    r.codes.shape,
                    n.pos,
                    &p,
                    format!("`{text}` is not what a rejected gate can do"),
                    "write `on_reject: fail` (the default) or `on_reject: skip`".to_string(),
                ),
            }
        }
    }
    (gate, on_reject)
}

/// What a front-end calls its header fields.
pub(crate) struct HeaderSpec<'a> {
    /// Every field the front-end knows (the others are kept in `extra` with a warning).
    pub fields: &'a [&'a str],
    /// The key of the workflow's name, and how to fix its absence.
    pub name_key: &'a str,
    pub name_help: &'a str,
    /// The front-end's code for a bad `version`.
    pub version_code: &'static str,
}

/// Reads the header of the `workflow:` mapping `wf` at `path`, recording where each
/// field is.
pub(crate) fn read_header(
    r: &mut Reader,
    wf: &Node,
    path: &str,
    spec: &HeaderSpec<'_>,
    sources: &mut SourceMap,
) -> Header {
    let mut extra = JsonMap::new();
    r.unknown_fields(wf, path, spec.fields, &mut extra);
    // Inline runner bindings (same schema as a runners file); the runtime reads them.
    if let Some(runners) = wf.get("runners") {
        extra.insert("runners".to_string(), runners.to_json());
    }
    let name = r
        .required_string(wf, spec.name_key, path, spec.name_help)
        .unwrap_or_default();
    record_field(sources, wf, spec.name_key, path);
    let mut version = 1;
    if let Some(node) = wf.get("version") {
        let (v, text) = read_version(r, node, &child_path(path, "version"), spec.version_code);
        version = v;
        if let Some(text) = text {
            extra.insert("version_text".to_string(), Value::String(text));
        }
    }
    let description = r.opt_string(wf, "description", path);
    let inputs = wf
        .get("input")
        .map(|n| read_inputs(r, n, &child_path(path, "input"), sources))
        .unwrap_or_default();
    let output = wf.get("output").map_or(OutputSpec::LastTask, |n| {
        record_field(sources, wf, "output", path);
        read_output(r, n, &child_path(path, "output"), sources)
    });
    let mut timeout_ms = 0;
    if let Some(node) = wf.get("timeout") {
        record_field(sources, wf, "timeout", path);
        timeout_ms = r.duration(node, &child_path(path, "timeout")).unwrap_or(0);
    }
    let people = read_people(r, wf, path, sources);
    Header {
        name,
        extra,
        version,
        description,
        inputs,
        output,
        timeout_ms,
        people,
    }
}

impl Header {
    /// The definition of `tasks` with this header: a `timeout` times the run out.
    pub(crate) fn into_def(self, tasks: Vec<Task>, format: SourceFormat) -> WorkflowDef {
        WorkflowDef {
            description: self.description,
            inputs: self.inputs,
            output: self.output,
            timeout_ms: self.timeout_ms,
            timeout_policy: if self.timeout_ms > 0 {
                WorkflowTimeoutPolicy::TimeOutWf
            } else {
                WorkflowTimeoutPolicy::AlertOnly
            },
            extra: self.extra,
            format,
            mode: self.people.mode,
            gates: self.people.gates,
            breakpoints: self.people.breakpoints,
            domain: self.people.domain,
            ..WorkflowDef::new(self.name, self.version, tasks)
        }
    }
}

/// Records where the field `key` of `wf` is, when it is there.
pub(crate) fn record_field(sources: &mut SourceMap, wf: &Node, key: &str, path: &str) {
    if let Some(node) = wf.get(key) {
        sources.fields.insert(
            key.to_string(),
            FieldSource {
                pos: node.pos,
                path: child_path(path, key),
            },
        );
    }
}

/// Reads `version`: a whole number, or a text such as `"1.0"` whose major number is used.
/// Returns the version and, when it was written as text, the text (kept in `extra`).
pub(crate) fn read_version(
    r: &mut Reader,
    node: &Node,
    path: &str,
    code: &'static str,
) -> (u32, Option<String>) {
    let bad = |r: &mut Reader, shown: String| {
        r.error(
            code,
            node.pos,
            path,
            format!("`{path}` must be a whole number such as `1` or a text such as `\"1.0\"`, found {shown}"),
            "write `version: 1`".to_string(),
        );
        (1, None)
    };
    match &node.kind {
        NodeKind::Number(n) => match n.as_u64().and_then(|v| u32::try_from(v).ok()) {
            Some(v) => (v, None),
            None => bad(r, n.to_string()),
        },
        NodeKind::String(text) => {
            let major = text.trim().split('.').next().unwrap_or_default();
            match major.parse::<u32>() {
                Ok(v)
                    if text
                        .trim()
                        .split('.')
                        .all(|part| part.parse::<u32>().is_ok()) =>
                {
                    (v, Some(text.clone()))
                }
                _ => bad(r, format!("`{text}`")),
            }
        }
        _ => bad(r, node.type_name().to_string()),
    }
}

/// Reads `input: {required: [name, ...], optional: [name | {name: default}, ...]}`.
pub(crate) fn read_inputs(
    r: &mut Reader,
    node: &Node,
    path: &str,
    sources: &mut SourceMap,
) -> Vec<InputParam> {
    let mut inputs = Vec::new();
    if r.mapping(node, path).is_none() {
        return inputs;
    }
    let mut ignored = crate::model::JsonMap::new();
    r.unknown_fields(node, path, &["required", "optional"], &mut ignored);
    if let Some(required) = node.get("required") {
        let list_path = child_path(path, "required");
        for (name, pos) in r.string_list(required, &list_path) {
            sources.fields.insert(
                format!("input.{name}"),
                FieldSource {
                    pos,
                    path: list_path.clone(),
                },
            );
            inputs.push(InputParam {
                name,
                required: true,
                default: None,
            });
        }
    }
    if let Some(optional) = node.get("optional") {
        let list_path = child_path(path, "optional");
        read_optional(r, optional, &list_path, sources, &mut inputs);
    }
    inputs
}

fn read_optional(
    r: &mut Reader,
    node: &Node,
    path: &str,
    sources: &mut SourceMap,
    inputs: &mut Vec<InputParam>,
) {
    let mut add = |name: &str, default: Option<serde_json::Value>, pos, field_path: String| {
        sources.fields.insert(
            format!("input.{name}"),
            FieldSource {
                pos,
                path: field_path,
            },
        );
        inputs.push(InputParam {
            name: name.to_string(),
            required: false,
            default,
        });
    };
    match &node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                add(
                    &key.name,
                    Some(value.to_json()),
                    key.pos,
                    child_path(path, &key.name),
                );
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let item_path = index_path(path, i);
                match &item.kind {
                    NodeKind::String(name) => add(name, None, item.pos, item_path),
                    NodeKind::Map(entries) if entries.len() == 1 => {
                        for (key, value) in entries {
                            add(&key.name, Some(value.to_json()), key.pos, item_path.clone());
                        }
                    }
                    _ => r.wrong_type(
                        item,
                        &item_path,
                        "a name or a one-entry mapping `name: default`",
                    ),
                }
            }
        }
        _ => r.wrong_type(node, path, "a list of names or `name: default` entries"),
    }
}

/// Reads `output`: a list of keys (taken from the task outputs that produce them) or a
/// mapping of templates.
pub(crate) fn read_output(
    r: &mut Reader,
    node: &Node,
    path: &str,
    sources: &mut SourceMap,
) -> OutputSpec {
    match &node.kind {
        NodeKind::Seq(_) => {
            let keys = r.string_list(node, path);
            for (i, (key, pos)) in keys.iter().enumerate() {
                sources.fields.insert(
                    format!("output.{key}"),
                    FieldSource {
                        pos: *pos,
                        path: index_path(path, i),
                    },
                );
            }
            OutputSpec::Keys(keys.into_iter().map(|(k, _)| k).collect())
        }
        NodeKind::Map(entries) => {
            let mut template = crate::model::JsonMap::new();
            for (key, value) in entries {
                sources.fields.insert(
                    format!("output.{}", key.name),
                    FieldSource {
                        pos: value.pos,
                        path: child_path(path, &key.name),
                    },
                );
                template.insert(key.name.clone(), value.to_json());
            }
            OutputSpec::Template(template)
        }
        _ => {
            r.wrong_type(
                node,
                path,
                "a list of output keys or a mapping of templates",
            );
            OutputSpec::LastTask
        }
    }
}
