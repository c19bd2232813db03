//! Property: no input makes loading (or exporting what loaded) panic.

use baton_model::{conductor, load, source};
use proptest::prelude::*;
use std::path::PathBuf;

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/conductor-defs");
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .map(|e| {
            let path = e.expect("entry").path();
            let bytes = std::fs::read(&path).expect("readable");
            (path, bytes)
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, bytes)| bytes).collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Replace(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        any::<u8>(),
        proptest::sample::select(b"{}[]\",:0-9 tn\\".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), 1usize..200).prop_map(|(at, len)| Mutation::Duplicate(at, len)),
        (any::<usize>(), interesting).prop_map(|(at, byte)| Mutation::Replace(at, byte)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match *mutation {
        Mutation::Delete(at, len) => {
            let at = at % bytes.len();
            let end = (at + len).min(bytes.len());
            bytes.drain(at..end);
        }
        Mutation::Duplicate(at, len) => {
            let at = at % bytes.len();
            let end = (at + len).min(bytes.len());
            let copy: Vec<u8> = bytes[at..end].to_vec();
            bytes.splice(at..at, copy);
        }
        Mutation::Replace(at, byte) => {
            let at = at % bytes.len();
            bytes[at] = byte;
        }
    }
}

/// Loads `text`; when it loads, exports it and loads the export again. Nothing may panic.
fn exercise(text: &str) {
    if let Ok(loaded) = load(text) {
        let exported = conductor::to_json_string(&loaded.def);
        let _ = load(&exported);
    }
    if let Ok(node) = source::parse(text) {
        let _ = conductor::task_defs_from_node(&node);
        let _ = conductor::task_def_from_node(&node);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        exercise(&text);
    }

    #[test]
    fn json_like_text_never_panics(text in "[\\[\\]{}\",: a-zA-Z0-9_\\-.]{0,200}") {
        exercise(&text);
    }

    #[test]
    fn mutated_corpus_files_never_panic(
        file in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let files = corpus();
        let mut bytes = file.get(&files).clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        exercise(&String::from_utf8_lossy(&bytes));
    }
}
