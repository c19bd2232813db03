//! Native YAML of seed 000 (helper-owned).

use crate::diagnostic::Diagnostic;
use crate::load::Loaded;
use crate::source::Node;

/// Compiles a native `workflow:` document into the model.
pub fn from_node(root: &Node) -> Result<Loaded, Vec<Diagnostic>> {
    Err(vec![Diagnostic::error("BT0002", root.pos, "", "native front-end is being written")])
}
