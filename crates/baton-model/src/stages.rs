//! Stage YAML of seed 004 (helper-owned).

use crate::diagnostic::Diagnostic;
use crate::load::Loaded;
use crate::source::Node;

/// Compiles a stage `workflow: {stages}` document into the model.
pub fn from_node(root: &Node) -> Result<Loaded, Vec<Diagnostic>> {
    Err(vec![Diagnostic::error("BT0002", root.pos, "", "stage front-end is being written")])
}
