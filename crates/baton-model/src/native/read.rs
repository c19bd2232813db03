//! Typed access to positioned nodes for the YAML front-ends: every shape error becomes a
//! [`Diagnostic`] at the offending node instead of stopping the read.

use crate::diagnostic::Diagnostic;
use crate::duration::{ACCEPTED_FORMS, parse_duration};
use crate::model::JsonMap;
use crate::source::{Key, Node, NodeKind, Pos};
use crate::validate::suggest::did_you_mean;

/// The diagnostic codes a front-end uses for the generic problems found while reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Codes {
    /// A value of the wrong type (a list where a string was expected, ...).
    pub shape: &'static str,
    /// A required field is absent.
    pub missing: &'static str,
    /// A duration that cannot be read.
    pub duration: &'static str,
}

/// Collects diagnostics while a front-end reads a document.
#[derive(Debug)]
pub(crate) struct Reader {
    /// The codes of this front-end.
    pub codes: Codes,
    /// Everything found so far, errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// `parent.key`, or `key` when the parent path is empty.
pub(crate) fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(crate) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

impl Reader {
    /// A reader reporting with `codes`.
    pub fn new(codes: Codes) -> Reader {
        Reader {
            codes,
            diagnostics: Vec::new(),
        }
    }

    /// Whether any error (not warning) was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Records an error with a help text.
    pub fn error(
        &mut self,
        code: &'static str,
        pos: Pos,
        field: &str,
        message: String,
        help: String,
    ) {
        self.diagnostics
            .push(Diagnostic::error(code, pos, field, message).with_help(help));
    }

    /// Records a warning with a help text.
    pub fn warning(
        &mut self,
        code: &'static str,
        pos: Pos,
        field: &str,
        message: String,
        help: String,
    ) {
        self.diagnostics
            .push(Diagnostic::warning(code, pos, field, message).with_help(help));
    }

    /// Reports a value of the wrong type.
    pub fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        self.error(
            self.codes.shape,
            node.pos,
            path,
            format!("`{path}` must be {expected}, found {}", node.type_name()),
            format!("write {expected} here"),
        );
    }

    /// Reports a missing required field of the mapping at `pos`.
    pub fn missing(&mut self, pos: Pos, path: &str, key: &str, help: &str) {
        self.error(
            self.codes.missing,
            pos,
            &child_path(path, key),
            format!("`{path}` has no `{key}`"),
            help.to_string(),
        );
    }

    /// The entries of a mapping, or an error when `node` is not one.
    pub fn mapping<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [(Key, Node)]> {
        let entries = node.as_map();
        if entries.is_none() {
            self.wrong_type(node, path, "a mapping");
        }
        entries
    }

    /// The items of a list, or an error when `node` is not one.
    pub fn list<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        let items = node.as_seq();
        if items.is_none() {
            self.wrong_type(node, path, "a list");
        }
        items
    }

    /// A scalar read as text (numbers and booleans are accepted and written out).
    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.kind {
            NodeKind::String(s) => Some(s.clone()),
            NodeKind::Number(n) => Some(n.to_string()),
            NodeKind::Bool(b) => Some(b.to_string()),
            _ => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    /// The text of `parent.key` if present.
    pub fn opt_string(&mut self, parent: &Node, key: &str, path: &str) -> Option<String> {
        let node = parent.get(key)?;
        self.string(node, &child_path(path, key))
    }

    /// The text of `parent.key`, reporting its absence with `help`.
    pub fn required_string(
        &mut self,
        parent: &Node,
        key: &str,
        path: &str,
        help: &str,
    ) -> Option<String> {
        if parent.get(key).is_none() {
            self.missing(parent.pos, path, key, help);
            return None;
        }
        self.opt_string(parent, key, path)
    }

    /// A string or a list of strings, each with its position.
    pub fn string_list(&mut self, node: &Node, path: &str) -> Vec<(String, Pos)> {
        match &node.kind {
            NodeKind::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    self.string(item, &index_path(path, i))
                        .map(|s| (s, item.pos))
                })
                .collect(),
            NodeKind::String(s) => vec![(s.clone(), node.pos)],
            _ => {
                self.wrong_type(node, path, "a string or a list of strings");
                Vec::new()
            }
        }
    }

    /// A boolean.
    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.kind {
            NodeKind::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, path, "`true` or `false`");
                None
            }
        }
    }

    /// A non-negative integer that fits in 32 bits.
    pub fn count(&mut self, node: &Node, path: &str) -> Option<u32> {
        let value = match &node.kind {
            NodeKind::Number(n) => n.as_u64().and_then(|v| u32::try_from(v).ok()),
            _ => None,
        };
        if value.is_none() {
            self.wrong_type(node, path, "a whole number ≥ 0");
        }
        value
    }

    /// A duration (`30s`, `PT5M`, ...) in milliseconds.
    pub fn duration(&mut self, node: &Node, path: &str) -> Option<u64> {
        let text = match &node.kind {
            NodeKind::String(s) => s.clone(),
            _ => {
                self.error(
                    self.codes.duration,
                    node.pos,
                    path,
                    format!("`{path}` must be a duration, found {}", node.type_name()),
                    ACCEPTED_FORMS.to_string(),
                );
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(ms) => Some(ms),
            Err(e) => {
                self.error(
                    self.codes.duration,
                    node.pos,
                    path,
                    format!("`{text}` is not a duration: {}", e.reason),
                    ACCEPTED_FORMS.to_string(),
                );
                None
            }
        }
    }

    /// Keeps the fields of `node` that are not in `known` in `extra`, warning about each
    /// with code `BT0001` and a "did you mean" when a known field is close.
    pub fn unknown_fields(&mut self, node: &Node, path: &str, known: &[&str], extra: &mut JsonMap) {
        let Some(entries) = node.as_map() else { return };
        // A known block left empty (`input:` with nothing under it) next to unknown
        // fields: most likely those fields were meant to be indented under it.
        let empty_block = entries
            .iter()
            .find(|(k, v)| known.contains(&k.name.as_str()) && v.to_json().is_null())
            .map(|(k, _)| (k.name.clone(), k.pos.line));
        for (key, value) in entries {
            if known.contains(&key.name.as_str()) {
                continue;
            }
            let help = match (&empty_block, did_you_mean(&key.name, known.iter().copied())) {
                (_, Some(close)) => format!("did you mean `{close}`? This field has no effect"),
                (Some((block, line)), None) => format!(
                    "`{block}:` (line {line}) is empty: if `{}` belongs to it, indent it under `{block}:`; as it is, this field has no effect",
                    key.name
                ),
                (None, None) => format!(
                    "known fields here: {}; this field has no effect",
                    known.join(", ")
                ),
            };
            let field = child_path(path, &key.name);
            self.warning(
                "BT0001",
                key.pos,
                &field,
                format!("unknown field `{}`", key.name),
                help,
            );
            extra.insert(key.name.clone(), value.to_json());
        }
    }
}

/// Records the position of every key under `node` (a mapping) as `prefix.key`,
/// `prefix.key.sub`, ..., into `fields`. Lists are indexed `prefix.key[0]`.
pub(crate) fn record_positions(
    node: &Node,
    prefix: &str,
    fields: &mut std::collections::HashMap<String, Pos>,
) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                let path = child_path(prefix, &key.name);
                fields.insert(path.clone(), value.pos);
                record_positions(value, &path, fields);
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = index_path(prefix, i);
                fields.insert(path.clone(), item.pos);
                record_positions(item, &path, fields);
            }
        }
        _ => {}
    }
}
