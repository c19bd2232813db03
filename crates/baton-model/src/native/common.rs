//! Workflow-level fields shared by the native and the stage YAML: `version`, `input`,
//! `output`.

use super::read::{Reader, child_path, index_path};
use crate::diagnostic::{FieldSource, SourceMap};
use crate::model::{InputParam, OutputSpec};
use crate::source::{Node, NodeKind};

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
