//! A YAML/JSON document parsed into a tree whose every node knows its line and column.
//!
//! All front-ends read definitions through this tree (JSON is a subset of YAML 1.2), so
//! every diagnostic, whatever the format, can point at `file:line:col`. The tree is
//! built with `serde-saphyr`'s `Spanned`, which also gives us duplicate-key rejection and
//! resource budgets against hostile input.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use std::fmt;

/// A 1-based line and column in a source file. `0:0` means "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number.
    pub col: u32,
}

impl Pos {
    /// Position that is not known (for definitions built in code).
    pub const UNKNOWN: Pos = Pos { line: 0, col: 0 };

    /// Whether this position points somewhere real.
    pub fn is_known(self) -> bool {
        self.line > 0
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One node of a parsed document with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What the node holds.
    pub kind: NodeKind,
}

/// The shape of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any number.
    Number(Number),
    /// A string scalar.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order. Keys are strings (non-string keys are stringified).
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its own position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// Where the key is written.
    pub pos: Pos,
    /// The key text.
    pub name: String,
}

impl Node {
    /// The node's type as a user would name it, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Number(_) => "a number",
            NodeKind::String(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// Looks up `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// Looks up `key` in a mapping node, returning the key too (for its position).
    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The mapping entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// Converts the subtree to plain JSON (positions dropped).
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Number(n) => Value::Number(n.clone()),
            NodeKind::String(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A syntax error in a document: where and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// The parser's explanation.
    pub message: String,
}

/// Parses YAML (or JSON) text into a positioned tree.
///
/// Never panics on any input; budgets in the underlying parser bound depth and size.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let spanned: serde_saphyr::Spanned<Raw> = serde_saphyr::from_str(text).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos {
                line: clamp(l.line()),
                col: clamp(l.column()),
            })
            .unwrap_or(Pos::UNKNOWN);
        // The first line of saphyr's message is the explanation; the rest is a snippet we render ourselves.
        let message = e
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid YAML")
            .trim()
            .to_string();
        SyntaxError { pos, message }
    })?;
    Ok(into_node(spanned))
}

fn clamp(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn pos_of<T>(s: &serde_saphyr::Spanned<T>) -> Pos {
    Pos {
        line: clamp(s.referenced.line()),
        col: clamp(s.referenced.column()),
    }
}

fn into_node(s: serde_saphyr::Spanned<Raw>) -> Node {
    let pos = pos_of(&s);
    let kind = match s.value {
        Raw::Null => NodeKind::Null,
        Raw::Bool(b) => NodeKind::Bool(b),
        Raw::Number(n) => NodeKind::Number(n),
        Raw::String(v) => NodeKind::String(v),
        Raw::Seq(items) => NodeKind::Seq(items.into_iter().map(into_node).collect()),
        Raw::Map(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let kpos = pos_of(&k);
                    (
                        Key {
                            pos: kpos,
                            name: k.value.0,
                        },
                        into_node(v),
                    )
                })
                .collect(),
        ),
    };
    Node { pos, kind }
}

/// The raw tree as deserialized; children keep their spans.
enum Raw {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<serde_saphyr::Spanned<Raw>>),
    Map(Vec<(serde_saphyr::Spanned<KeyText>, serde_saphyr::Spanned<Raw>)>),
}

/// A mapping key rendered as text, whatever scalar it was written as.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyText, E> {
                Ok(KeyText(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Raw, D2::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
                Ok(Raw::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
                // NaN and infinities have no JSON form; keep them as text rather than lose them.
                Ok(Number::from_f64(v)
                    .map(Raw::Number)
                    .unwrap_or_else(|| Raw::String(v.to_string())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::String(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    entries.push(entry);
                }
                Ok(Raw::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_nodes() {
        let doc = parse("a: 1\nb:\n  - x\n  - {c: true}\n").expect("valid yaml");
        let (ka, a) = doc.entry("a").expect("a");
        assert_eq!(ka.pos, Pos { line: 1, col: 1 });
        assert_eq!(a.pos.line, 1);
        let b = doc.get("b").and_then(Node::as_seq).expect("b list");
        assert_eq!(b[0].pos.line, 3);
        assert_eq!(b[1].get("c").map(|n| n.pos.line), Some(4));
    }

    #[test]
    fn json_is_accepted() {
        let doc = parse("{\n  \"name\": \"x\",\n  \"n\": [1, 2.5, null]\n}").expect("json");
        assert_eq!(doc.get("name").and_then(Node::as_str), Some("x"));
        assert_eq!(doc.get("n").map(|n| n.pos.line), Some(3));
        assert_eq!(
            doc.to_json(),
            serde_json::json!({"name": "x", "n": [1, 2.5, null]})
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("a: [1, 2\nb: 3\n").expect_err("unterminated flow sequence");
        assert!(err.pos.is_known(), "{err:?}");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        assert!(parse("a: 1\na: 2\n").is_err());
    }
}
