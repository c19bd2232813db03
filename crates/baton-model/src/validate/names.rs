//! Length limits on names: a definition name, task names and task refs are identifiers
//! (keys, queue names, log fields), so a name of megabytes is a mistake, not data.

use super::codes;
use super::index::Index;
use super::locate;
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::WorkflowDef;

/// Longest accepted definition name, task name or task ref, in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// Reports every name of `def` longer than [`MAX_NAME_CHARS`].
pub(super) fn check(
    def: &WorkflowDef,
    index: &Index<'_>,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(d) = too_long("workflow name", &def.name) {
        let (pos, path) = sources.field("name");
        out.push(d.at(pos, path));
    }
    for info in &index.all {
        let task = info.task;
        if let Some(d) = too_long("task ref", &task.ref_name) {
            let (pos, path) = locate(sources, &task.ref_name, "");
            out.push(d.at(pos, path));
        }
        if let Some(d) = too_long("task name", &task.name) {
            let (pos, path) = locate(sources, &task.ref_name, "name");
            out.push(d.at(pos, path));
        }
    }
}

/// What a too-long name is reported as, before its position is known.
struct TooLong {
    message: String,
}

impl TooLong {
    fn at(self, pos: crate::source::Pos, path: String) -> Diagnostic {
        Diagnostic::error(codes::NAME_TOO_LONG, pos, path, self.message).with_help(format!(
            "use a short identifier of at most {MAX_NAME_CHARS} characters; keep data in \
             inputs, not in names"
        ))
    }
}

fn too_long(what: &str, name: &str) -> Option<TooLong> {
    let chars = name.chars().count();
    (chars > MAX_NAME_CHARS).then(|| TooLong {
        message: format!(
            "{what} `{}` is {chars} characters long; the limit is {MAX_NAME_CHARS}",
            preview(name)
        ),
    })
}

/// The start of a long name, so a diagnostic stays readable.
fn preview(name: &str) -> String {
    const SHOWN: usize = 32;
    if name.chars().count() <= SHOWN {
        return name.to_string();
    }
    let head: String = name.chars().take(SHOWN).collect();
    format!("{head}…")
}
