//! Names longer than the limit are refused with BT0124, saying what, the limit and the fix.

use baton_model::validate::{MAX_NAME_CHARS, validate};
use baton_model::{Diagnostic, load};

fn diagnostics(name: &str, ref_name: &str, task: &str) -> Vec<Diagnostic> {
    let def = serde_json::json!({
        "name": name,
        "tasks": [{"name": task, "taskReferenceName": ref_name, "type": "SIMPLE"}],
    });
    let loaded = load(&def.to_string()).unwrap_or_else(|e| panic!("{e:?}"));
    validate(&loaded.def, &loaded.sources)
}

fn too_long(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    diags.iter().filter(|d| d.code == "BT0124").collect()
}

#[test]
fn names_at_the_limit_are_accepted() {
    let at = "n".repeat(MAX_NAME_CHARS);
    let diags = diagnostics(&at, &at, &at);
    assert!(too_long(&diags).is_empty(), "{diags:?}");
}

#[test]
fn a_megabyte_workflow_name_is_refused_with_the_limit_and_the_fix() {
    let diags = diagnostics(&"w".repeat(1 << 20), "a", "a");
    let [d] = too_long(&diags)[..] else {
        panic!("{diags:?}")
    };
    assert_eq!(d.field, "name");
    assert!(d.message.contains("workflow name"), "{}", d.message);
    assert!(d.message.contains("1048576 characters"), "{}", d.message);
    assert!(d.message.contains(&format!("limit is {MAX_NAME_CHARS}")));
    assert!(
        d.message.len() < 200,
        "the name is shown shortened: {}",
        d.message
    );
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("short identifier"))
    );
}

#[test]
fn long_task_names_and_refs_are_refused() {
    let long = "t".repeat(MAX_NAME_CHARS + 1);
    let diags = diagnostics("wf", &long, &long);
    let found = too_long(&diags);
    assert_eq!(found.len(), 2, "{diags:?}");
    assert!(found.iter().any(|d| d.message.starts_with("task ref")));
    assert!(found.iter().any(|d| d.message.starts_with("task name")));
}
