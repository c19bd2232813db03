//! Baton workflow definitions.
//!
//! Three front-ends read definitions into one [`model::WorkflowDef`]:
//! - [`conductor`]: Conductor `WorkflowDef` / `TaskDef` JSON (or YAML of the same shape);
//! - [`native`]: the native YAML of seed 000 (`workflow: {id, tasks: [...]}`);
//! - [`stages`]: the stage YAML of seed 004 (`workflow: {stages: [...]}`).
//!
//! [`load`] detects the format and parses; [`validate`] checks the model and reports
//! [`diagnostic::Diagnostic`]s with file positions; [`conductor::export`] writes any
//! definition back as Conductor JSON.
//!
//! This crate does no I/O beyond what its caller hands it (text in, values out).

pub mod conductor;
pub mod diagnostic;
pub mod duration;
pub mod kind;
pub mod load;
pub mod model;
pub mod native;
pub mod source;
pub mod stages;
pub mod tree;
pub mod validate;

pub use diagnostic::{Diagnostic, Severity, SourceMap};
pub use kind::TaskType;
pub use load::{Loaded, load};
pub use model::*;
pub use tree::{Reach, Visit, find_in, visit_list, walk_list, walk_list_mut};
pub use validate::ValidatedDef;
