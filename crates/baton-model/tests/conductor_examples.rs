//! Every example definition of the repository (any format) exports to Conductor JSON that
//! loads back without diagnostics.

use baton_model::{TaskKind, conductor, load};
use std::path::PathBuf;

#[test]
fn every_example_exports_to_conductor_json_that_loads_back() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let entries = std::fs::read_dir(&dir).expect("examples/");
    let mut exported_count = 0;
    for entry in entries {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name.contains(".workflow.") || name.ends_with(".stages.yaml")) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let loaded = load(&text).unwrap_or_else(|e| panic!("{path:?} does not load: {e:#?}"));
        exported_count += 1;
        let exported = conductor::to_json_string(&loaded.def);
        let back = load(&exported)
            .unwrap_or_else(|e| panic!("{path:?}: export does not load: {e:#?}\n{exported}"));
        assert!(
            back.diagnostics.is_empty(),
            "{path:?}: {:#?}\n{exported}",
            back.diagnostics
        );
        let mut graph_left = Vec::new();
        back.def.walk(&mut |t| {
            let heads = matches!(&t.kind, TaskKind::Switch(s) if !s.next.is_empty());
            if t.depends_on.is_some() || t.when.is_some() || heads {
                graph_left.push(t.ref_name.clone());
            }
        });
        assert!(
            graph_left.is_empty(),
            "{path:?}: not lowered: {graph_left:?}\n{exported}"
        );
    }
    assert!(
        exported_count >= 5,
        "only {exported_count} examples exported"
    );
}
