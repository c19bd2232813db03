//! Every Conductor definition of the conformance corpus loads, and export is the inverse
//! of loading.

use baton_model::conductor::{self, codes};
use baton_model::{Evaluator, OutputSpec, TaskKind, load};
use std::path::PathBuf;

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/conductor-defs");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("readable file");
            (
                path.file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .into_owned(),
                text,
            )
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "corpus is incomplete: {} files",
        files.len()
    );
    files
}

fn load_ok(name: &str, text: &str) -> baton_model::Loaded {
    match load(text) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!("{name} does not load: {diagnostics:#?}"),
    }
}

#[test]
fn every_corpus_file_loads_without_errors() {
    for (name, text) in corpus() {
        let loaded = load_ok(&name, &text);
        let warnings: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code != codes::EVENT_HANDLER)
            .collect();
        assert!(
            warnings.is_empty(),
            "{name}: unexpected warnings {warnings:#?}"
        );
    }
}

#[test]
fn export_then_load_gives_the_same_model() {
    for (name, text) in corpus() {
        let first = load_ok(&name, &text).def;
        let exported = conductor::to_json_string(&first);
        let second = load_ok(&name, &exported);
        assert_eq!(
            second.def, first,
            "{name}: round trip changed the model; exported:\n{exported}"
        );
        assert!(
            second
                .diagnostics
                .iter()
                .all(|d| d.code == codes::EVENT_HANDLER),
            "{name}: {:#?}",
            second.diagnostics
        );
    }
}

#[test]
fn exported_json_keeps_conductor_fields() {
    for (name, text) in corpus() {
        let original: serde_json::Value = serde_json::from_str(&text).expect("corpus is JSON");
        let exported = conductor::export(&load_ok(&name, &text).def);
        for key in [
            "name",
            "ownerEmail",
            "event",
            "actions",
            "createTime",
            "failureWorkflow",
        ] {
            let kept = original.get(key).filter(|v| **v != serde_json::json!(""));
            assert_eq!(
                exported.get(key).filter(|v| **v != serde_json::json!("")),
                kept,
                "{name}: `{key}`"
            );
        }
    }
}

fn corpus_def(file: &str) -> baton_model::WorkflowDef {
    let (name, text) = corpus()
        .into_iter()
        .find(|(n, _)| n == file)
        .expect("corpus file");
    load_ok(&name, &text).def
}

#[test]
fn legacy_decisions_read_their_case_value_param_or_expression() {
    let def = corpus_def("json_jq_transform_result_integration_test.json");
    let mut switches = Vec::new();
    def.walk(&mut |t| {
        if let TaskKind::Switch(spec) = &t.kind {
            switches.push((
                spec.evaluator,
                spec.legacy_decision,
                spec.expression.clone(),
            ));
        }
    });
    assert_eq!(switches.len(), 2);
    assert_eq!(
        switches[0],
        (Evaluator::ValueParam, true, "outcome".to_string())
    );
    assert_eq!(switches[1].0, Evaluator::Javascript);
    assert!(switches[1].2.contains("indexOf"));
}

#[test]
fn inline_sub_workflows_and_input_templates_are_read() {
    let def = corpus_def("simple_workflow_with_sub_workflow_inline_def_integration_test.json");
    let sub = def.find("swt").expect("sub-workflow task");
    let TaskKind::SubWorkflow(spec) = &sub.kind else {
        panic!("not a sub-workflow: {sub:?}")
    };
    let child = spec.definition.as_ref().expect("inline definition");
    assert_eq!(
        (spec.name.as_str(), spec.version),
        ("one_task_workflow", Some(1))
    );
    assert_eq!(child.tasks[0].ref_name, "t3");
    assert_eq!(
        child
            .inputs
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        ["imageType", "op"]
    );

    let def = corpus_def("simple_workflow_1_input_template_integration_test.json");
    let defaults: Vec<bool> = def.inputs.iter().map(|i| i.default.is_some()).collect();
    assert_eq!(defaults, [true, true, true, false]);
    assert!(matches!(def.output, OutputSpec::Template(_)));

    let def = corpus_def("simple_workflow_with_permissive_task_integration_test.json");
    let t1 = def.find("t1").expect("t1");
    let task_def = t1.task_def.as_ref().expect("inline task definition");
    assert_eq!(
        (
            task_def.retry_count,
            task_def.timeout_ms,
            task_def.retry_delay_ms
        ),
        (1, 120_000, 0)
    );
    assert_eq!(t1.extra.get("permissive"), Some(&serde_json::json!(true)));
    assert_eq!(t1.extra.get("retryCount"), Some(&serde_json::json!(1)));
}

#[test]
fn the_event_handler_loads_with_a_warning_and_exports_as_it_was() {
    let (_, text) = corpus()
        .into_iter()
        .find(|(n, _)| n == "complete-wait-handler.json")
        .expect("handler");
    let loaded = load_ok("handler", &text);
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(loaded.diagnostics[0].code, codes::EVENT_HANDLER);
    let original: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(conductor::export(&loaded.def), original);
}
