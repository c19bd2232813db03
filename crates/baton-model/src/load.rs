//! Reading a definition of any of the three formats.

use crate::diagnostic::Diagnostic;
use crate::model::{SourceFormat, WorkflowDef};
use crate::source::{self, Node};
use crate::validate::ValidatedDef;
use crate::{SourceMap, conductor, native, stages};

/// A definition read from text, with where its parts were written.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The compiled definition.
    pub def: WorkflowDef,
    /// Positions of its parts, for diagnostics.
    pub sources: SourceMap,
    /// Findings that did not stop the front-end (unknown fields are warnings with code
    /// `BT0001`; `baton validate --strict` treats them as errors).
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Runs the model checks ([`ValidatedDef::check`]) with the front-end's positions:
    /// the definition with every warning (the front-end's first), or every diagnostic
    /// when there is an error.
    pub fn validated(self) -> Result<(ValidatedDef, Vec<Diagnostic>), Vec<Diagnostic>> {
        let mut diagnostics = self.diagnostics;
        match ValidatedDef::check(self.def, &self.sources) {
            Ok((def, warnings)) => {
                diagnostics.extend(warnings);
                Ok((def, diagnostics))
            }
            Err(found) => {
                diagnostics.extend(found);
                Err(diagnostics)
            }
        }
    }
}

/// Detects the format of `text` and compiles it into the model.
///
/// Errors are syntax and shape errors (wrong types, missing fields, unknown task types,
/// bad durations). Cross-task checks (unknown refs, cycles, ...) are [`crate::validate`]'s.
/// Never panics.
pub fn load(text: &str) -> Result<Loaded, Vec<Diagnostic>> {
    let cleaned = strip_banner(text);
    let root = source::parse(&cleaned).map_err(|e| {
        vec![
            Diagnostic::error(
                "BT0000",
                e.pos,
                "",
                format!("not valid YAML/JSON: {}", e.message),
            )
            .with_help("fix the syntax at this position"),
        ]
    })?;
    match detect(&root) {
        SourceFormat::Conductor => conductor::from_node(&root),
        SourceFormat::Native => native::from_node(&root),
        SourceFormat::Stages => stages::from_node(&root),
    }
}

/// Which front-end a parsed document belongs to: a top-level `workflow:` mapping is the
/// native format, or the stage format when it has `stages`; anything else is Conductor.
pub fn detect(root: &Node) -> SourceFormat {
    match root.get("workflow") {
        Some(wf) if wf.get("stages").is_some() => SourceFormat::Stages,
        // Any other `workflow:` is native, so that `workflow: 3` is reported as "must be a
        // mapping" rather than as a Conductor file missing its `name`.
        Some(_) => SourceFormat::Native,
        _ => SourceFormat::Conductor,
    }
}

/// Blanks the decorative banner lines of seed 000 (`///▙▖…`, `▛//▞▞ …`, `〔…〕 :: ∎`)
/// before and after the YAML body. Lines are blanked, not removed, so positions in
/// diagnostics still match the file.
pub fn strip_banner(text: &str) -> std::borrow::Cow<'_, str> {
    let lines: Vec<&str> = text.split('\n').collect();
    let is_banner = |l: &str| {
        let t = l.trim_start();
        t.starts_with("//") || t.chars().next().is_some_and(|c| !c.is_ascii())
    };
    let is_blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    let mut banner = vec![false; lines.len()];
    for (i, l) in lines.iter().enumerate() {
        if is_blank(l) {
            continue;
        }
        if !is_banner(l) {
            break;
        }
        banner[i] = true;
    }
    for (i, l) in lines.iter().enumerate().rev() {
        if is_blank(l) {
            continue;
        }
        if !is_banner(l) {
            break;
        }
        banner[i] = true;
    }
    if !banner.contains(&true) {
        return std::borrow::Cow::Borrowed(text);
    }
    let out: Vec<&str> = lines
        .iter()
        .zip(&banner)
        .map(|(l, b)| if *b { "" } else { *l })
        .collect();
    std::borrow::Cow::Owned(out.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_lines_are_blanked_keeping_line_numbers() {
        let text = "# c\n///▙▖▙▖\n▛//▞▞ x\n〔atlas〕 :: ∎\n\nworkflow:\n  id: a\n//▙▖▙▖\n";
        let out = strip_banner(text);
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(!out.contains('▙'));
        assert!(out.contains("workflow:\n  id: a"));
    }

    #[test]
    fn plain_text_is_untouched() {
        assert!(matches!(
            strip_banner("a: 1\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
