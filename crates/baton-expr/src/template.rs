//! `${...}` parameter templates (tier 1) with Conductor's semantics.
//!
//! * A string that is exactly one `${...}` resolves to the referenced JSON value with its type
//!   kept (object, array, number, ...). A missing value is `null`.
//! * A `${...}` embedded in other text is replaced by its text form: strings without quotes,
//!   numbers and booleans as text, objects and arrays as compact JSON, and `null` or a missing
//!   value as the empty string (Conductor's `ParametersUtils` behaviour for null). Conductor
//!   would print objects with Java's `Map.toString`; compact JSON is the deliberate divergence.
//! * `$${` is an escape for a literal `${`. A `${` with no closing `}` is kept as literal text
//!   and `${}` (blank) becomes the empty string, as in Conductor; [`references`] reports both
//!   as [`TemplateError`]s so definitions can be rejected up front.
//! * Host environment variables are never consulted (Conductor reads them; that leaks secrets).
//!
//! # Paths
//! The text inside `${...}` is `root.key.rest`: `root` is `workflow`, a task reference name or
//! a special such as `CPEWF_TASK_ID`; `key` is the next segment (`input`, `output`,
//! `variables`, `workflowId`, `status`, ...). The pair is looked up with [`Scope::lookup`]; a
//! reference with no key (`${CPEWF_TASK_ID}`) calls `lookup(root, "")`. The root may also be
//! written `$.root` or `$['root']`, and names may be bracket-quoted (`['a.b']`).
//!
//! The rest is walked directly while it consists of simple segments (`.name`, `['name']`,
//! `[N]`, `[-N]` counting from the end). From the first other segment on (`[*]`, `.*`, `..`,
//! filters `[?@.x > 1]` / `[?(@.x > 1)]`, slices, unions) the remainder is evaluated as an
//! RFC 9535 JSONPath on the value reached so far, and the result is always an array of the
//! matches (empty when the value is missing). An invalid path resolves to `null`.

mod path;
mod scan;

use std::borrow::Cow;

use serde_json::{Map, Value};

use self::path::{Cursor, Seg, Step, step};
use self::scan::{Piece, Pieces};

/// One `${...}` occurrence found in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// First segment: `workflow`, or a task ref name (e.g. `scan_files`), or a special like `CPEWF_TASK_ID`.
    pub root: String,
    /// Second segment when present: `input`, `output`, `variables`, `workflowId`, `status`, ... (None for `${ref}` alone).
    pub key: Option<String>,
    /// The whole text between `${` and `}`, e.g. `scan_files.output.file_list[0]`.
    pub expr: String,
}

/// A malformed template (e.g. unterminated `${`, empty `${}`, a path that cannot be parsed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} in template `{text}`")]
pub struct TemplateError {
    /// What is wrong.
    pub message: String,
    /// The offending template text (`${...}`, or the unterminated tail starting at `${`).
    pub text: String,
}

impl TemplateError {
    fn new(message: impl Into<String>, text: impl Into<String>) -> Self {
        TemplateError {
            message: message.into(),
            text: text.into(),
        }
    }
}

/// Where template values come from.
pub trait Scope {
    /// The value of `root.key`: `root` is `workflow` or a task reference name (or a special
    /// such as `CPEWF_TASK_ID`), `key` the next segment, or `""` when the reference has no
    /// second segment. Returning None means "missing" (resolves to null).
    fn lookup(&self, root: &str, key: &str) -> Option<Cow<'_, Value>>;
}

/// A JSON document `{ root: { key: value } }` is a scope; an empty key returns `root` itself.
impl Scope for Value {
    fn lookup(&self, root: &str, key: &str) -> Option<Cow<'_, Value>> {
        let base = self.get(root)?;
        if key.is_empty() {
            Some(Cow::Borrowed(base))
        } else {
            base.get(key).map(Cow::Borrowed)
        }
    }
}

/// Every `${...}` in strings anywhere inside `value` (nested objects/arrays; object KEYS are
/// not templates), in document order. `$${` is an escape and is not a reference.
///
/// # Errors
/// The first malformed template found: an unterminated `${`, a blank `${}`, or a path that
/// cannot be parsed (including an invalid JSONPath suffix).
pub fn references(value: &Value) -> Result<Vec<Reference>, TemplateError> {
    let mut out = Vec::new();
    collect(value, &mut out)?;
    Ok(out)
}

fn collect(value: &Value, out: &mut Vec<Reference>) -> Result<(), TemplateError> {
    match value {
        Value::String(s) => collect_str(s, out),
        Value::Array(items) => items.iter().try_for_each(|item| collect(item, out)),
        Value::Object(map) => map.values().try_for_each(|item| collect(item, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// Every `${...}` in one string.
///
/// # Errors
/// As for [`references`].
pub fn references_in_str(s: &str) -> Result<Vec<Reference>, TemplateError> {
    let mut out = Vec::new();
    collect_str(s, &mut out)?;
    Ok(out)
}

fn collect_str(s: &str, out: &mut Vec<Reference>) -> Result<(), TemplateError> {
    if !s.contains("${") {
        return Ok(());
    }
    for piece in Pieces::new(s) {
        match piece {
            Piece::Text(_) => {}
            Piece::Ref(expr) => out.push(parse_reference(expr)?),
            Piece::Unterminated(tail) => {
                return Err(TemplateError::new("unterminated `${` (missing `}`)", tail));
            }
        }
    }
    Ok(())
}

/// Parses and validates the text of one reference.
fn parse_reference(expr: &str) -> Result<Reference, TemplateError> {
    let err = |message: &str| TemplateError::new(message, format!("${{{expr}}}"));
    let trimmed = expr.trim();
    if trimmed.is_empty() {
        return Err(err("empty reference"));
    }
    let mut cursor = Cursor::new(trimmed);
    let root = cursor.root().map_err(err)?;
    let key = match cursor.next_seg() {
        Step::End => None,
        Step::Seg(Seg::Name(key)) => Some(key.into_owned()),
        Step::Seg(Seg::Index(_)) => {
            return Err(err("expected a key name after the root, found an index"));
        }
        Step::Complex => return Err(err("expected a key name after the root")),
        Step::Invalid(message) => return Err(err(message)),
    };
    loop {
        match cursor.next_seg() {
            Step::End => break,
            Step::Seg(_) => {}
            Step::Complex => {
                let query = format!("${}", cursor.remainder());
                crate::jsonpath::parse(&query).map_err(|e| err(&e.to_string()))?;
                break;
            }
            Step::Invalid(message) => return Err(err(message)),
        }
    }
    Ok(Reference {
        root: root.into_owned(),
        key,
        expr: expr.to_owned(),
    })
}

/// Resolves every template in `value` (recursively through objects and arrays) with
/// Conductor's semantics (see the [module docs](self)). Object keys and non-string scalars
/// are copied unchanged.
pub fn resolve(value: &Value, scope: &dyn Scope) -> Value {
    match value {
        Value::String(s) => resolve_str(s, scope),
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| resolve(item, scope)).collect())
        }
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, item) in map {
                out.insert(key.clone(), resolve(item, scope));
            }
            Value::Object(out)
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
    }
}

/// Resolves one string template: a string that is exactly one `${...}` gives the referenced
/// value with its type; anything else gives a string.
pub fn resolve_str(s: &str, scope: &dyn Scope) -> Value {
    if !s.contains("${") {
        return Value::String(s.to_owned());
    }
    let mut pieces = Pieces::new(s);
    let first = pieces.next();
    if let Some(Piece::Ref(expr)) = first
        && pieces.next().is_none()
    {
        return resolve_expr(expr, scope);
    }
    let mut out = String::with_capacity(s.len());
    for piece in Pieces::new(s) {
        match piece {
            Piece::Text(text) | Piece::Unterminated(text) => out.push_str(text),
            Piece::Ref(expr) => push_text(&mut out, &resolve_expr(expr, scope)),
        }
    }
    Value::String(out)
}

/// Appends the embedded-text form of `value`.
fn push_text(out: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::String(s) => out.push_str(s),
        Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_) => {
            out.push_str(&value.to_string())
        }
    }
}

/// Resolves the text of one reference; anything unparseable is `null`, blank is `""`.
fn resolve_expr(expr: &str, scope: &dyn Scope) -> Value {
    let trimmed = expr.trim();
    if trimmed.is_empty() {
        return Value::String(String::new());
    }
    let mut cursor = Cursor::new(trimmed);
    let Ok(root) = cursor.root() else {
        return Value::Null;
    };
    let key = match cursor.next_seg() {
        Step::End => Cow::Borrowed(""),
        Step::Seg(Seg::Name(key)) => key,
        Step::Seg(Seg::Index(_)) | Step::Complex | Step::Invalid(_) => return Value::Null,
    };
    let base = scope.lookup(&root, &key);
    let mut current = base.as_deref();
    loop {
        match cursor.next_seg() {
            Step::End => return current.cloned().unwrap_or(Value::Null),
            Step::Seg(seg) => current = current.and_then(|value| step(value, &seg)),
            Step::Complex => {
                let Ok(query) = crate::jsonpath::parse(&format!("${}", cursor.remainder())) else {
                    return Value::Null;
                };
                let matches =
                    current.map(|value| query.query(value).into_iter().cloned().collect());
                return Value::Array(matches.unwrap_or_default());
            }
            Step::Invalid(_) => return Value::Null,
        }
    }
}

#[cfg(test)]
mod tests;
