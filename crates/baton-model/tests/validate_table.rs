//! One small invalid file per check: each must report its code at the right line and field.

use baton_model::diagnostic::Severity;
use baton_model::validate::{check_input, validate};
use baton_model::{Diagnostic, load};

fn data(path: &str) -> String {
    let full = format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Front-end diagnostics, or front-end warnings plus the model checks.
fn diagnostics(text: &str) -> Vec<Diagnostic> {
    match load(text) {
        Ok(loaded) => {
            let mut all = loaded.diagnostics.clone();
            all.extend(validate(&loaded.def, &loaded.sources));
            all
        }
        Err(errors) => errors,
    }
}

#[test]
fn each_invalid_file_reports_its_code_line_and_field() {
    use Severity::{Error, Warning};
    let table: &[(&str, &str, Severity, u32, &str)] = &[
        (
            "seed-000-original.workflow.yaml",
            "BT0104",
            Error,
            76,
            "workflow.tasks[3].decision_cases.FAIL_SOFT.next",
        ),
        (
            "seed-000-original.workflow.yaml",
            "BT0117",
            Warning,
            22,
            "workflow.output[0]",
        ),
        (
            "duplicate-id.workflow.yaml",
            "BT0101",
            Error,
            6,
            "workflow.tasks[2].id",
        ),
        (
            "duplicate-ref.workflow.json",
            "BT0101",
            Error,
            5,
            "tasks[0]",
        ),
        (
            "unknown-dependency.workflow.yaml",
            "BT0102",
            Error,
            9,
            "workflow.tasks[2].depends_on[1]",
        ),
        (
            "cycle.workflow.yaml",
            "BT0106",
            Error,
            5,
            "workflow.tasks[0].depends_on[0]",
        ),
        (
            "join-without-fork.workflow.json",
            "BT0107",
            Error,
            6,
            "tasks[1].type",
        ),
        (
            "join-on-unknown.workflow.json",
            "BT0108",
            Error,
            9,
            "tasks[1].joinOn[1]",
        ),
        (
            "switch-without-param.workflow.json",
            "BT0110",
            Error,
            8,
            "tasks[0].expression",
        ),
        (
            "sub-workflow-unnamed.workflow.yaml",
            "BT0111",
            Error,
            6,
            "workflow.tasks[0].sub_workflow",
        ),
        (
            "unknown-reference.workflow.yaml",
            "BT0113",
            Error,
            7,
            "workflow.tasks[1].input.files",
        ),
        (
            "not-upstream.workflow.yaml",
            "BT0114",
            Warning,
            6,
            "workflow.tasks[0].input.later",
        ),
        (
            "malformed-template.workflow.yaml",
            "BT0115",
            Error,
            6,
            "workflow.tasks[0].input.broken",
        ),
        (
            "undeclared-input.workflow.yaml",
            "BT0116",
            Warning,
            8,
            "workflow.tasks[0].input.folder",
        ),
        (
            "no-tasks.workflow.yaml",
            "BT0118",
            Error,
            3,
            "workflow.tasks",
        ),
        (
            "duplicate-input.workflow.yaml",
            "BT0119",
            Error,
            6,
            "workflow.input.optional[0]",
        ),
        (
            "bare-reference.workflow.yaml",
            "BT0122",
            Warning,
            6,
            "workflow.tasks[0].input.home",
        ),
        (
            "unknown-task-type.workflow.yaml",
            "BT0302",
            Error,
            5,
            "workflow.tasks[0].type",
        ),
        (
            "bad-agent-level.workflow.yaml",
            "BT0303",
            Error,
            5,
            "workflow.tasks[0].agent_level",
        ),
        (
            "bad-duration.workflow.yaml",
            "BT0304",
            Error,
            5,
            "workflow.tasks[0].timeout",
        ),
        (
            "bad-retry-policy.workflow.yaml",
            "BT0305",
            Error,
            6,
            "workflow.tasks[0].retry_policy.max_attempts",
        ),
        (
            "bad-retry-policy.workflow.yaml",
            "BT0305",
            Error,
            7,
            "workflow.tasks[0].retry_policy.backoff",
        ),
        (
            "parallel-with-unknown.workflow.yaml",
            "BT0306",
            Error,
            6,
            "workflow.tasks[1].parallel_with",
        ),
        (
            "decision-without-param.workflow.yaml",
            "BT0301",
            Error,
            4,
            "workflow.tasks[0].decision_param",
        ),
        (
            "unknown-stage-type.stages.yaml",
            "BT0402",
            Error,
            5,
            "workflow.stages[0].type",
        ),
        (
            "stage-task-without-agent.stages.yaml",
            "BT0401",
            Error,
            6,
            "workflow.stages[0].tasks[0].agent",
        ),
        (
            "stage-unknown-dependency.stages.yaml",
            "BT0403",
            Error,
            8,
            "workflow.stages[1].depends_on[0]",
        ),
        (
            "loop-without-condition.stages.yaml",
            "BT0405",
            Error,
            4,
            "workflow.stages[0]",
        ),
        (
            "conditional-without-when.stages.yaml",
            "BT0407",
            Error,
            7,
            "workflow.stages[0].tasks[0].when",
        ),
    ];
    for (file, code, severity, line, field) in table {
        let found = diagnostics(&data(&format!("invalid/{file}")));
        let hit = found.iter().find(|d| d.code == *code && d.field == *field);
        let Some(hit) = hit else {
            panic!("{file}: no {code} at {field}; got {found:#?}")
        };
        assert_eq!(hit.severity, *severity, "{file}: {hit:?}");
        assert_eq!(hit.pos.line, *line, "{file}: {hit:?}");
        assert!(hit.help.is_some(), "{file}: {code} has no help");
    }
}

#[test]
fn messages_name_the_problem_and_the_fix() {
    let seed = diagnostics(&data("invalid/seed-000-original.workflow.yaml"));
    let next = seed.iter().find(|d| d.code == "BT0104").expect("BT0104");
    assert!(
        next.message.contains("FAIL_SOFT") && next.message.contains("generate_warning_receipt"),
        "{next:?}"
    );
    let help = next.help.as_deref().unwrap_or_default();
    assert!(
        help.contains("id: generate_warning_receipt") && help.contains("generate_receipt"),
        "{help}"
    );

    let cycle = diagnostics(&data("invalid/cycle.workflow.yaml"));
    assert!(
        cycle.iter().any(|d| d.message.contains("a -> c -> b -> a")),
        "{cycle:#?}"
    );

    let reference = diagnostics(&data("invalid/unknown-reference.workflow.yaml"));
    assert!(
        reference
            .iter()
            .any(|d| d.help.as_deref() == Some("did you mean `scan_files`?")),
        "{reference:#?}"
    );

    let duration = diagnostics(&data("invalid/bad-duration.workflow.yaml"));
    assert!(
        duration
            .iter()
            .any(|d| d.help.as_deref().is_some_and(|h| h.contains("`30s`"))),
        "{duration:#?}"
    );
}

#[test]
fn rendered_seed_diagnostics_match_the_snapshot() {
    let text = data("invalid/seed-000-original.workflow.yaml");
    let rendered: Vec<String> = diagnostics(&text)
        .iter()
        .map(|d| d.render("inventory-validation.workflow.yaml", &text))
        .collect();
    insta::assert_snapshot!("seed_000_original", rendered.join("\n"));
}

#[test]
fn corrected_examples_have_no_findings() {
    let dir = format!("{}/../../examples", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/") {
        let path = entry.expect("entry").path();
        // Definitions only: examples/ also holds runner bindings, agents and data files.
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name.contains(".workflow.") || name.ends_with(".stages.yaml")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable example");
        let found = diagnostics(&text);
        assert!(found.is_empty(), "{}: {found:#?}", path.display());
        count += 1;
    }
    assert!(count >= 5, "only {count} examples");
}

mod in_code {
    //! Checks that no front-end can trigger, on definitions built in code.

    use super::*;
    use baton_model::{DoWhileSpec, Evaluator, SourceMap, SwitchSpec, Task, TaskKind, WorkflowDef};
    use indexmap::IndexMap;

    fn task(name: &str, kind: TaskKind) -> Task {
        Task::new(name, name, kind)
    }

    fn workflow(tasks: Vec<Task>) -> WorkflowDef {
        let text = r#"{"name": "w", "version": 1, "tasks": [{"name": "x", "taskReferenceName": "x", "type": "SIMPLE"}]}"#;
        let mut def = load(text).expect("minimal Conductor workflow").def;
        def.tasks = tasks;
        def
    }

    fn switch_with_branch(branch: Vec<Task>, next: &[(&str, &str)]) -> Task {
        let mut cases = IndexMap::new();
        cases.insert("A".to_string(), branch);
        let spec = SwitchSpec {
            evaluator: Evaluator::Javascript,
            expression: "$.x".to_string(),
            cases,
            default_case: Vec::new(),
            next: next
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            next_default: None,
            fail_on_no_match: false,
            legacy_decision: false,
        };
        task("switch", TaskKind::Switch(spec))
    }

    fn codes(def: &WorkflowDef) -> Vec<&'static str> {
        validate(def, &SourceMap::default())
            .iter()
            .map(|d| d.code)
            .collect()
    }

    #[test]
    fn dependency_on_a_task_of_another_list() {
        let mut after = task("after", TaskKind::Simple);
        after.depends_on = Some(vec!["inner".to_string()]);
        let def = workflow(vec![
            switch_with_branch(vec![task("inner", TaskKind::Simple)], &[]),
            after,
        ]);
        assert_eq!(codes(&def), vec!["BT0103"]);
    }

    #[test]
    fn next_to_a_task_of_another_list() {
        let def = workflow(vec![switch_with_branch(
            vec![task("inner", TaskKind::Simple)],
            &[("A", "inner")],
        )]);
        assert_eq!(codes(&def), vec!["BT0105"]);
    }

    #[test]
    fn loop_without_condition() {
        let spec = DoWhileSpec {
            condition: " ".to_string(),
            body: vec![task("b", TaskKind::Simple)],
            items_param: None,
            max_iterations: None,
        };
        let def = workflow(vec![task("loop", TaskKind::DoWhile(spec.clone()))]);
        assert_eq!(codes(&def), vec!["BT0109"]);
        let over_items = DoWhileSpec {
            items_param: Some("items".to_string()),
            ..spec
        };
        assert!(codes(&workflow(vec![task("loop", TaskKind::DoWhile(over_items))])).is_empty());
    }

    #[test]
    fn dynamic_without_name_param() {
        let def = workflow(vec![task(
            "dyn",
            TaskKind::Dynamic {
                name_param: String::new(),
            },
        )]);
        assert_eq!(codes(&def), vec!["BT0112"]);
    }

    #[test]
    fn loop_conditions_may_refer_to_the_body() {
        let spec = DoWhileSpec {
            condition: "${b.output.more} == true".to_string(),
            body: vec![task("b", TaskKind::Simple)],
            items_param: None,
            max_iterations: Some(3),
        };
        assert!(codes(&workflow(vec![task("loop", TaskKind::DoWhile(spec))])).is_empty());
    }

    #[test]
    fn tasks_after_a_block_may_refer_to_its_tasks_and_body_tasks_to_the_block() {
        let mut inner = task("inner", TaskKind::Simple);
        inner
            .input
            .insert("n".to_string(), "${switch.output.x}".into());
        let mut after = task("after", TaskKind::Simple);
        after
            .input
            .insert("x".to_string(), "${inner.output.x}".into());
        let def = workflow(vec![switch_with_branch(vec![inner], &[]), after]);
        assert!(
            codes(&def).is_empty(),
            "{:?}",
            validate(&def, &SourceMap::default())
        );
    }
}

mod start_input {
    use super::*;
    use serde_json::json;

    fn inventory() -> baton_model::WorkflowDef {
        let text = std::fs::read_to_string(format!(
            "{}/../../examples/inventory-validation.workflow.yaml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("example");
        load(&text).expect("valid example").def
    }

    #[test]
    fn defaults_are_filled_and_extra_inputs_kept() {
        let input = json!({"target_folder": ".", "policy_file": "p.yaml", "other": 1});
        let checked = check_input(&inventory(), &input).expect("complete input");
        assert_eq!(
            serde_json::Value::Object(checked),
            json!({"target_folder": ".", "policy_file": "p.yaml", "other": 1, "strict_mode": false})
        );
        let given = json!({"target_folder": ".", "policy_file": "p.yaml", "strict_mode": true});
        assert_eq!(
            check_input(&inventory(), &given)
                .expect("ok")
                .get("strict_mode"),
            Some(&json!(true))
        );
    }

    #[test]
    fn missing_required_inputs_are_named_with_how_to_pass_them() {
        let errors =
            check_input(&inventory(), &json!({"policy_file": null})).expect_err("missing inputs");
        let [error] = errors.as_slice() else {
            panic!("{errors:?}")
        };
        assert_eq!(error.code, "BT0121");
        assert!(
            error.message.contains("`target_folder`, `policy_file`"),
            "{}",
            error.message
        );
        assert!(
            error
                .help
                .as_deref()
                .is_some_and(|h| h.contains("--input target_folder=value")),
            "{error:?}"
        );
    }

    #[test]
    fn input_must_be_an_object() {
        let errors = check_input(&inventory(), &json!([1])).expect_err("not an object");
        assert_eq!(errors.first().map(|e| e.code), Some("BT0120"));
    }
}

#[test]
fn people_settings_are_checked() {
    let text = r#"
workflow:
  id: w
  mode: debug
  breakpoints: [scam]
  gates: {task_type: [HTPP]}
  tasks:
    - id: scan
      type: SIMPLE
"#;
    let found = diagnostics(text);
    let codes: Vec<&str> = found.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"BT0125"), "{codes:?}");
    assert!(codes.contains(&"BT0126"), "{codes:?}");
    let help: Vec<String> = found.iter().filter_map(|d| d.help.clone()).collect();
    assert!(help.iter().any(|h| h.contains("`scan`")), "{help:?}");
    assert!(help.iter().any(|h| h.contains("`HTTP`")), "{help:?}");
}
