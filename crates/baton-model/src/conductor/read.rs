//! Typed reading of [`Node`]s with diagnostics: every getter reports a wrong type or an
//! out-of-range value at the node's position, with the field path and a hint, and returns
//! `None` so the caller can go on and report more problems in one pass.

use super::codes;
use crate::diagnostic::Diagnostic;
use crate::model::JsonMap;
use crate::source::{Node, NodeKind, Pos};

/// Collects diagnostics while a document is read.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    /// Everything found so far, in the order it was found.
    pub diagnostics: Vec<Diagnostic>,
}

/// `parent.key`, or `key` at the root.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(crate) fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

impl Reader {
    /// Whether an error (not just a warning) was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Records a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Reports a value of the wrong JSON type.
    pub fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        self.push(
            Diagnostic::error(
                codes::WRONG_TYPE,
                node.pos,
                path,
                format!("`{path}` must be {expected}, found {}", node.type_name()),
            )
            .with_help(format!("write {expected} here")),
        );
    }

    /// Reports a required field that is absent.
    pub fn missing(&mut self, pos: Pos, path: &str, what: &str) {
        self.push(
            Diagnostic::error(
                codes::MISSING_FIELD,
                pos,
                path,
                format!("required field `{path}` is missing"),
            )
            .with_help(format!("add `{}`: {what}", last_segment(path))),
        );
    }

    /// A string; `null` reads as absent.
    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.kind {
            NodeKind::String(s) => Some(s.clone()),
            NodeKind::Null => None,
            _ => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    /// A required, non-empty string field of `map`.
    pub fn required_string(
        &mut self,
        map: &Node,
        key: &str,
        path: &str,
        what: &str,
    ) -> Option<String> {
        let field_path = join(path, key);
        match map.get(key) {
            Some(node) => {
                let value = self.string(node, &field_path);
                match value {
                    Some(s) if s.trim().is_empty() => {
                        self.push(
                            Diagnostic::error(
                                codes::EMPTY_VALUE,
                                node.pos,
                                &field_path,
                                format!("`{field_path}` is empty"),
                            )
                            .with_help(format!("write {what}")),
                        );
                        None
                    }
                    Some(s) => Some(s),
                    None => {
                        if matches!(node.kind, NodeKind::Null) {
                            self.missing(node.pos, &field_path, what);
                        }
                        None
                    }
                }
            }
            None => {
                self.missing(map.pos, &field_path, what);
                None
            }
        }
    }

    /// A boolean (`"true"`/`"false"` strings are accepted, as Conductor's Jackson does);
    /// `null` reads as absent.
    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.kind {
            NodeKind::Bool(b) => Some(*b),
            NodeKind::String(s) if s == "true" => Some(true),
            NodeKind::String(s) if s == "false" => Some(false),
            NodeKind::Null => None,
            _ => {
                self.wrong_type(node, path, "`true` or `false`");
                None
            }
        }
    }

    /// A whole number in `0..=max` (numeric strings and integral floats are accepted, as
    /// Conductor's Jackson does); `null` reads as absent.
    pub fn unsigned(&mut self, node: &Node, path: &str, max: u64) -> Option<u64> {
        let value = match &node.kind {
            NodeKind::Null => return None,
            NodeKind::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                    .map(|f| f as u64)
            }),
            NodeKind::String(s) => match s.trim().parse::<u64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    self.wrong_type(node, path, "a whole number");
                    return None;
                }
            },
            _ => {
                self.wrong_type(node, path, "a whole number");
                return None;
            }
        };
        match value {
            Some(v) if v <= max => Some(v),
            _ => {
                self.push(
                    Diagnostic::error(
                        codes::OUT_OF_RANGE,
                        node.pos,
                        path,
                        format!("`{path}` must be a whole number from 0 to {max}"),
                    )
                    .with_help(format!("write a whole number from 0 to {max}")),
                );
                None
            }
        }
    }

    /// A whole number that fits `u32`.
    pub fn u32(&mut self, node: &Node, path: &str) -> Option<u32> {
        self.unsigned(node, path, u64::from(u32::MAX))
            .and_then(|v| u32::try_from(v).ok())
    }

    /// A number of seconds, converted to milliseconds.
    pub fn seconds_as_ms(&mut self, node: &Node, path: &str) -> Option<u64> {
        self.unsigned(node, path, u64::MAX / 1000).map(|s| s * 1000)
    }

    /// A mapping, as JSON; `null` reads as an empty mapping.
    pub fn json_map(&mut self, node: &Node, path: &str) -> Option<JsonMap> {
        match node.to_json() {
            serde_json::Value::Object(map) => Some(map),
            serde_json::Value::Null => Some(JsonMap::new()),
            _ => {
                self.wrong_type(node, path, "a mapping");
                None
            }
        }
    }

    /// A list of strings; `null` reads as an empty list.
    pub fn string_list(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        match &node.kind {
            NodeKind::Null => Some(Vec::new()),
            NodeKind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match &item.kind {
                        NodeKind::String(s) => out.push(s.clone()),
                        _ => {
                            self.wrong_type(item, &index(path, i), "a string");
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            _ => {
                self.wrong_type(node, path, "a list of strings");
                None
            }
        }
    }

    /// One value of a fixed set (`valid`), matched exactly; the error lists the valid values,
    /// closest first.
    pub fn choice<'v>(&mut self, node: &Node, path: &str, valid: &[&'v str]) -> Option<&'v str> {
        let text = self.string(node, path)?;
        if let Some(found) = valid.iter().find(|v| **v == text) {
            return Some(found);
        }
        self.push(
            Diagnostic::error(
                codes::INVALID_VALUE,
                node.pos,
                path,
                format!("`{text}` is not a valid `{}`", last_segment(path)),
            )
            .with_help(format!(
                "write one of: {}",
                closest_first(&text, valid).join(", ")
            )),
        );
        None
    }

    /// Reports every key of `map` not in `known` as an unknown field (warning `BT0001`,
    /// with the closest known field as a hint) and copies it into `extra`.
    pub fn unknown_fields(
        &mut self,
        map: &Node,
        path: &str,
        known: &[&str],
        what: &str,
        extra: &mut JsonMap,
    ) {
        let Some(entries) = map.as_map() else { return };
        for (key, value) in entries {
            if known.contains(&key.name.as_str()) {
                continue;
            }
            let field_path = join(path, &key.name);
            let mut diagnostic = Diagnostic::warning(
                codes::UNKNOWN_FIELD,
                key.pos,
                &field_path,
                format!(
                    "unknown field `{}` in {what}; it is kept as is but has no effect",
                    key.name
                ),
            );
            if let Some(near) = closest(&key.name, known) {
                diagnostic = diagnostic.with_help(format!("did you mean `{near}`?"));
            } else {
                diagnostic = diagnostic.with_help(format!("known fields: {}", known.join(", ")));
            }
            self.push(diagnostic);
            extra.insert(key.name.clone(), value.to_json());
        }
    }
}

/// The part of a path after the last `.`.
fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Edit distance between two strings, ignoring ASCII case.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The known name closest to `name`, if it is close enough to be a likely typo.
pub(crate) fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (name.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// `valid`, sorted by closeness to `name` (stable for ties).
pub(crate) fn closest_first<'v>(name: &str, valid: &[&'v str]) -> Vec<&'v str> {
    let mut sorted: Vec<&str> = valid.to_vec();
    sorted.sort_by_key(|v| edit_distance(name, v));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("taskReferenceNme", "taskReferenceName"), 1);
        assert_eq!(edit_distance("SWTICH", "switch"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn closest_ignores_far_names() {
        assert_eq!(
            closest("taskReferenceNme", &["name", "taskReferenceName"]),
            Some("taskReferenceName")
        );
        assert_eq!(closest("zzzzzz", &["name", "type"]), None);
    }

    #[test]
    fn closest_first_sorts_by_distance() {
        assert_eq!(
            closest_first("SWICH", &["HTTP", "SWITCH", "WAIT"])[0],
            "SWITCH"
        );
    }
}
