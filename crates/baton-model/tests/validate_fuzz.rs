//! Garbage and mutated examples never make loading or validation panic.

use proptest::prelude::*;

const SEEDS: &[&str] = &[
    include_str!("../../../examples/inventory-validation.workflow.yaml"),
    include_str!("../../../examples/unified-pipeline.stages.yaml"),
    include_str!("../../../examples/incident-response.workflow.yaml"),
    include_str!("../../../examples/research-coordination.workflow.yaml"),
    include_str!("data/invalid/seed-000-original.workflow.yaml"),
];

fn check(text: &str) {
    if let Ok(loaded) = baton_model::load(text) {
        let _ = baton_model::validate::validate(&loaded.def, &loaded.sources);
        let _ = baton_model::validate::check_input(&loaded.def, &serde_json::json!({}));
    }
}

/// Replaces, deletes or inserts one character in `text`.
fn mutate(text: &str, at: usize, op: u8, c: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = at % (chars.len() + 1);
    match op % 3 {
        0 if at < chars.len() => chars[at] = c,
        1 if at < chars.len() => {
            chars.remove(at);
        }
        _ => chars.insert(at, c),
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn garbage_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn mutated_examples_never_panic(
        seed in 0..SEEDS.len(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), prop::sample::select(vec![' ', ':', '-', '\n', '[', '{', '}', '"', '$', 'x', '1', '\t', '#'])), 1..6),
    ) {
        let mut text = SEEDS[seed].to_string();
        for (at, op, c) in edits {
            text = mutate(&text, at, op, c);
        }
        check(&text);
    }

    #[test]
    fn mutated_references_never_panic(expr in "[a-z_.\\[\\]'$@?*0-9{} ]{0,30}") {
        let text = format!("workflow:\n  id: w\n  input: {{required: [a]}}\n  tasks:\n    - id: a\n      input: {{x: \"${{{expr}}}\"}}\n    - id: b\n      depends_on: [a]\n");
        check(&text);
    }
}
