//! Diagnostics: what is wrong, where (line, column, field), and what to write instead.

use crate::source::Pos;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The definition cannot be run.
    Error,
    /// The definition runs, but probably not as meant (e.g. a `${ref}` to a task that may
    /// not have run). `--strict` turns warnings into errors.
    Warning,
}

/// One finding about a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `BT0104`, so users can search for it.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where (unknown positions are `0:0`).
    #[serde(serialize_with = "ser_pos")]
    pub pos: Pos,
    /// Path of the offending field, e.g. `workflow.tasks[3].decision_cases.FAIL_SOFT.next`.
    pub field: String,
    /// What to write instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

fn ser_pos<S: serde::Serializer>(p: &Pos, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Pos", 2)?;
    st.serialize_field("line", &p.line)?;
    st.serialize_field("column", &p.col)?;
    st.end()
}

impl Diagnostic {
    /// An error.
    pub fn error(
        code: &'static str,
        pos: Pos,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            pos,
            field: field.into(),
            help: None,
        }
    }

    /// A warning.
    pub fn warning(
        code: &'static str,
        pos: Pos,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: Severity::Warning,
            message: message.into(),
            pos,
            field: field.into(),
            help: None,
        }
    }

    /// Adds the "write this instead" hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic for a terminal, with the offending source line:
    ///
    /// ```text
    /// error[BT0104]: decision case `FAIL_SOFT` points to task `x`, which is not defined
    ///   --> wf.yaml:98:15
    ///    |
    /// 98 |           next: "x"
    ///    |                 ^
    ///    = field: workflow.tasks[3].decision_cases.FAIL_SOFT.next
    ///    = help: define a task with `id: x`, or ...
    /// ```
    pub fn render(&self, file: &str, source: &str) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{sev}[{}]: {}\n", self.code, self.message);
        if self.pos.is_known() {
            let _ = writeln!(out, "  --> {file}:{}:{}", self.pos.line, self.pos.col);
            let line_text = source.lines().nth(self.pos.line as usize - 1);
            if let Some(line) = line_text {
                let num = self.pos.line.to_string();
                let pad = " ".repeat(num.len());
                let (text, caret_col) = clip_line(line, self.pos.col.saturating_sub(1) as usize);
                let caret_pad: String = text
                    .chars()
                    .take(caret_col)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{num} | {text}");
                let _ = writeln!(out, "{pad} | {caret_pad}^");
            }
        } else {
            let _ = writeln!(out, "  --> {file}");
        }
        if !self.field.is_empty() {
            let _ = writeln!(out, "   = field: {}", self.field);
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "   = help: {help}");
        }
        out
    }
}

/// Longest source line shown under a diagnostic, in characters.
const SHOWN_LINE_CHARS: usize = 120;

/// A window of at most [`SHOWN_LINE_CHARS`] of `line` around 0-based column `col` (a
/// megabyte-long line is not printed whole), with `…` where it was cut, and the column of
/// `col` inside the window.
fn clip_line(line: &str, col: usize) -> (String, usize) {
    let len = line.chars().count();
    if len <= SHOWN_LINE_CHARS {
        return (line.to_string(), col);
    }
    let start = col
        .saturating_sub(SHOWN_LINE_CHARS / 3)
        .min(len - SHOWN_LINE_CHARS);
    let mut text: String = line.chars().skip(start).take(SHOWN_LINE_CHARS).collect();
    let mut caret = col - start.min(col);
    if start > 0 {
        text.insert(0, '…');
        caret += 1;
    }
    if start + SHOWN_LINE_CHARS < len {
        text.push('…');
    }
    (text, caret)
}

/// Where each part of a definition was written, so checks on the model can point back
/// into the file. Filled by the front-ends; empty for definitions built in code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceMap {
    /// Per task ref: where the task is and the display path of its node.
    pub tasks: HashMap<String, TaskSource>,
    /// Top-level fields (`name`, `inputs`, `failure_workflow`, ...) by field name.
    pub fields: HashMap<String, FieldSource>,
}

/// Where a task was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskSource {
    /// Position of the task's node.
    pub pos: Pos,
    /// Display path of the task node, e.g. `workflow.tasks[3]`.
    pub path: String,
    /// Positions of the task's fields, keyed by their path relative to the task, e.g.
    /// `depends_on[1]`, `decision_cases.FAIL_SOFT.next`, `input.folder`.
    pub fields: HashMap<String, Pos>,
}

/// Where a top-level field was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSource {
    /// Position of the value.
    pub pos: Pos,
    /// Display path, e.g. `workflow.failure_workflow`.
    pub path: String,
}

impl SourceMap {
    /// Position and display path of `field` (relative path) of task `ref_name`, falling
    /// back to the task itself when the field's own position is unknown.
    pub fn task_field(&self, ref_name: &str, field: &str) -> (Pos, String) {
        match self.tasks.get(ref_name) {
            Some(t) => {
                let pos = t.fields.get(field).copied().unwrap_or(t.pos);
                let path = if field.is_empty() {
                    t.path.clone()
                } else {
                    format!("{}.{field}", t.path)
                };
                (pos, path)
            }
            None => (Pos::UNKNOWN, format!("task `{ref_name}`.{field}")),
        }
    }

    /// Position and display path of a top-level field.
    pub fn field(&self, name: &str) -> (Pos, String) {
        match self.fields.get(name) {
            Some(f) => (f.pos, f.path.clone()),
            None => (Pos::UNKNOWN, name.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clip_line;

    #[test]
    fn short_lines_are_shown_whole() {
        assert_eq!(clip_line("name: x", 6), ("name: x".to_string(), 6));
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(5000), "b".repeat(5000));
        let (text, caret) = clip_line(&line, 5000);
        assert!(text.chars().count() <= 122, "{text}");
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert_eq!(text.chars().nth(caret), Some('X'), "{text}");
        let (text, caret) = clip_line(&line, 0);
        assert!(text.starts_with('a') && text.ends_with('…'));
        assert_eq!(caret, 0);
        let (text, caret) = clip_line(&line, 10_000);
        assert!(text.starts_with('…') && text.ends_with('b'));
        assert_eq!(text.chars().nth(caret), Some('b'));
    }
}
