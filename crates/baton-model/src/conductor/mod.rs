//! Conductor `WorkflowDef` / `WorkflowTask` / `TaskDef` (helper-owned; see ARCHITECTURE.md).

use crate::diagnostic::Diagnostic;
use crate::load::Loaded;
use crate::source::Node;

/// Compiles a Conductor `WorkflowDef` document into the model.
pub fn from_node(root: &Node) -> Result<Loaded, Vec<Diagnostic>> {
    Err(vec![Diagnostic::error("BT0002", root.pos, "", "Conductor front-end is being written")])
}
