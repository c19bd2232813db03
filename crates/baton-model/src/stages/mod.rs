//! The stage YAML of seed 004:
//!
//! ```yaml
//! workflow:
//!   name: unified-pipeline
//!   version: "1.0"                 # the model keeps the major number; the text is in extra
//!   stages:
//!     - name: init
//!       type: parallel             # sequential | parallel | conditional | loop
//!       tasks:
//!         - {agent: python, action: data_preprocessing}
//!     - name: process
//!       depends_on: [init]         # default: the stage before
//!       tasks: [...]
//! ```
//!
//! Each task becomes a worker task named `<agent>.<action>` with the ref
//! `<stage>.<agent>.<action>` (made unique with `_2`, `_3`, ...) unless it has an `id`.
//! Dotted refs cannot be used in `${...}` templates: give a task an `id` to refer to it.
//!
//! - `sequential`: the tasks run one after another;
//! - `parallel`: the tasks all start together;
//! - `conditional`: like parallel, each task needs a `when:` and is skipped when it is false;
//! - `loop`: one DO_WHILE task (ref = the stage name) whose body is the tasks in sequence,
//!   repeated `while:` a condition holds and/or once per item of `for_each:`
//!   (`max_iterations` guards it).
//!
//! A stage starts when all the last tasks of the stages it depends on have finished.
//!
//! Diagnostic codes: `BT0400` wrong type, `BT0401` missing field, `BT0402` unknown stage
//! type, `BT0403` unknown stage in `depends_on`, `BT0404` duplicate stage or task id,
//! `BT0405` loop without `while`/`for_each`, `BT0406` loop without `max_iterations`
//! (warning), `BT0407` conditional task without `when`, `BT0408` bad version, `BT0409`
//! bad duration, `BT0410` bad retry policy, `BT0411` bad agent level, `BT0412` bad
//! `max_iterations`; `BT0001` unknown field (warning).

mod build;

use crate::diagnostic::{Diagnostic, FieldSource, SourceMap};
use crate::load::Loaded;
use crate::model::{JsonMap, SourceFormat, WorkflowDef};
use crate::native::read::{Codes, Reader, child_path};
use crate::native::{HeaderSpec, read_header};
use crate::source::Node;

/// Diagnostic codes of the stage front-end.
pub mod codes {
    /// A value of the wrong type.
    pub const SHAPE: &str = "BT0400";
    /// A required field is missing.
    pub const MISSING: &str = "BT0401";
    /// An unknown stage type.
    pub const STAGE_TYPE: &str = "BT0402";
    /// `depends_on` names a stage that does not exist.
    pub const UNKNOWN_STAGE: &str = "BT0403";
    /// Two stages with one name, or two tasks with one `id`.
    pub const DUPLICATE: &str = "BT0404";
    /// A loop stage without `while:` or `for_each:`.
    pub const LOOP_WITHOUT_CONDITION: &str = "BT0405";
    /// A `while:` loop without `max_iterations` (warning).
    pub const UNGUARDED_LOOP: &str = "BT0406";
    /// A task of a conditional stage without `when:`.
    pub const MISSING_WHEN: &str = "BT0407";
    /// A `version` that is not a number.
    pub const VERSION: &str = "BT0408";
    /// A duration that cannot be read.
    pub const DURATION: &str = "BT0409";
    /// A bad `retry_policy`.
    pub const RETRY: &str = "BT0410";
    /// A bad `agent_level`.
    pub const ROLE: &str = "BT0411";
    /// A `max_iterations` of 0.
    pub const MAX_ITERATIONS: &str = "BT0412";
}

const READER_CODES: Codes = Codes {
    shape: codes::SHAPE,
    missing: codes::MISSING,
    duration: codes::DURATION,
};

const WORKFLOW_FIELDS: &[&str] = &[
    "runners",
    "name",
    "version",
    "description",
    "input",
    "output",
    "stages",
    "timeout",
    "mode",
    "gates",
    "breakpoints",
    "domain",
];

/// Compiles a stage `workflow: {stages}` document into the model.
///
/// Shape errors are returned as errors; unknown fields become `BT0001` warnings in
/// [`Loaded::diagnostics`].
pub fn from_node(root: &Node) -> Result<Loaded, Vec<Diagnostic>> {
    let mut r = Reader::new(READER_CODES);
    let mut sources = SourceMap::default();
    let mut ignored = JsonMap::new();
    r.unknown_fields(root, "", &["workflow"], &mut ignored);
    let Some(wf) = root.get("workflow") else {
        r.missing(
            root.pos,
            "",
            "workflow",
            "start the document with `workflow:`",
        );
        return Err(r.diagnostics);
    };
    if r.mapping(wf, "workflow").is_none() {
        return Err(r.diagnostics);
    }
    let def = read_workflow(&mut r, wf, &mut sources);
    if r.has_errors() {
        Err(r.diagnostics)
    } else {
        Ok(Loaded {
            def,
            sources,
            diagnostics: r.diagnostics,
        })
    }
}

fn read_workflow(r: &mut Reader, wf: &Node, sources: &mut SourceMap) -> WorkflowDef {
    let path = "workflow";
    let spec = HeaderSpec {
        fields: WORKFLOW_FIELDS,
        name_key: "name",
        name_help: "name the workflow: `name: my-pipeline`",
        version_code: codes::VERSION,
    };
    let header = read_header(r, wf, path, &spec, sources);
    let tasks = match wf.get("stages") {
        Some(stages) => {
            sources.fields.insert(
                "tasks".to_string(),
                FieldSource {
                    pos: stages.pos,
                    path: child_path(path, "stages"),
                },
            );
            build::build(r, stages, sources)
        }
        None => {
            r.missing(
                wf.pos,
                path,
                "stages",
                "list the pipeline's stages under `stages:`",
            );
            Vec::new()
        }
    };
    header.into_def(tasks, SourceFormat::Stages)
}
