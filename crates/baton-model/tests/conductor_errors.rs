//! Diagnostics of the Conductor front-end: code, line and field path of each problem.

use baton_model::conductor::{self, codes};
use baton_model::{Severity, load, source};
use serde_json::json;

/// A workflow whose second task is `task` (written over several lines).
fn with_task(task: &str) -> String {
    format!(
        "{{\n  \"name\": \"wf\",\n  \"tasks\": [\n    {{\"name\": \"a\", \"taskReferenceName\": \"a\"}},\n{task}\n  ]\n}}\n"
    )
}

/// Loads `text`, expecting failure, and returns (code, line, field) of every error.
fn errors(text: &str) -> Vec<(&'static str, u32, String)> {
    let diagnostics = load(text).expect_err("the definition is invalid");
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code, d.pos.line, d.field.clone()))
        .collect()
}

#[test]
fn error_table() {
    let cases: Vec<(String, &str, u32, &str)> = vec![
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\",\n     \"type\": \"SWICH\"}",
            ),
            codes::UNKNOWN_TASK_TYPE,
            6,
            "tasks[1].type",
        ),
        (
            with_task("    {\"name\": \"b\",\n     \"type\": \"SIMPLE\"}"),
            codes::MISSING_FIELD,
            5,
            "tasks[1].taskReferenceName",
        ),
        (
            with_task("    {\"taskReferenceName\": \"b\"}"),
            codes::MISSING_FIELD,
            5,
            "tasks[1].name",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\",\n     \"startDelay\": \"soon\"}",
            ),
            codes::WRONG_TYPE,
            6,
            "tasks[1].startDelay",
        ),
        (
            with_task("    {\"name\": \"b\", \"taskReferenceName\": \"b\",\n     \"optional\": 3}"),
            codes::WRONG_TYPE,
            6,
            "tasks[1].optional",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"SWITCH\",\n     \"evaluatorType\": \"python\", \"expression\": \"x\"}",
            ),
            codes::INVALID_VALUE,
            6,
            "tasks[1].evaluatorType",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"SWITCH\",\n     \"evaluatorType\": \"value-param\"}",
            ),
            codes::MISSING_FIELD,
            5,
            "tasks[1].expression",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"DECISION\"}",
            ),
            codes::MISSING_FIELD,
            5,
            "tasks[1].caseValueParam",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"DO_WHILE\",\n     \"loopOver\": []}",
            ),
            codes::MISSING_FIELD,
            5,
            "tasks[1].loopCondition",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"JOIN\",\n     \"joinOn\": [\"a\", 7]}",
            ),
            codes::WRONG_TYPE,
            6,
            "tasks[1].joinOn[1]",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"SUB_WORKFLOW\"}",
            ),
            codes::MISSING_FIELD,
            5,
            "tasks[1].subWorkflowParam",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"SUB_WORKFLOW\",\n     \"subWorkflowParam\": {\"version\": 1}}",
            ),
            codes::MISSING_FIELD,
            6,
            "tasks[1].subWorkflowParam.name",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\",\n     \"taskDefinition\": {\"name\": \"b\", \"retryLogic\": \"OFTEN\"}}",
            ),
            codes::INVALID_VALUE,
            6,
            "tasks[1].taskDefinition.retryLogic",
        ),
        (
            with_task("    {\"name\": \"b\", \"taskReferenceName\": \"\"}"),
            codes::EMPTY_VALUE,
            5,
            "tasks[1].taskReferenceName",
        ),
        (with_task("    \"b\""), codes::WRONG_TYPE, 5, "tasks[1]"),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"SWITCH\",\n     \"evaluatorType\": \"value-param\", \"expression\": \"x\",\n     \"decisionCases\": {\"A\": [{\"name\": \"c\", \"taskReferenceName\": \"c\",\n       \"type\": \"TELEPORT\"}]}}",
            ),
            codes::UNKNOWN_TASK_TYPE,
            8,
            "tasks[1].decisionCases.A[0].type",
        ),
        (
            with_task(
                "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"FORK_JOIN\",\n     \"forkTasks\": [[{\"name\": \"c\"}]]}",
            ),
            codes::MISSING_FIELD,
            6,
            "tasks[1].forkTasks[0][0].taskReferenceName",
        ),
        (
            "{\"name\": \"wf\",\n \"version\": \"one\", \"tasks\": []}".into(),
            codes::WRONG_TYPE,
            2,
            "version",
        ),
        (
            "{\"name\": \"wf\",\n \"version\": -2, \"tasks\": []}".into(),
            codes::OUT_OF_RANGE,
            2,
            "version",
        ),
        (
            "{\"name\": \"wf\",\n \"tasks\": {\"a\": 1}}".into(),
            codes::WRONG_TYPE,
            2,
            "tasks",
        ),
        (
            "{\"name\": \"wf\"}".into(),
            codes::MISSING_FIELD,
            1,
            "tasks",
        ),
        ("{\"tasks\": []}".into(), codes::MISSING_FIELD, 1, "name"),
        (
            "{\"name\": \"wf\", \"tasks\": [],\n \"timeoutPolicy\": \"PANIC\"}".into(),
            codes::INVALID_VALUE,
            2,
            "timeoutPolicy",
        ),
        (
            "{\"name\": \"wf\", \"tasks\": [],\n \"inputParameters\": \"a\"}".into(),
            codes::WRONG_TYPE,
            2,
            "inputParameters",
        ),
        (
            "{\"name\": \"wf\", \"tasks\": [],\n \"outputParameters\": [1]}".into(),
            codes::WRONG_TYPE,
            2,
            "outputParameters",
        ),
        ("[1, 2]".into(), codes::WRONG_TYPE, 1, ""),
    ];
    for (text, code, line, field) in cases {
        let found = errors(&text);
        assert!(
            found.contains(&(code, line, field.to_string())),
            "expected {code} at line {line} on `{field}`, got {found:?}\n{text}"
        );
    }
}

#[test]
fn unknown_types_list_the_closest_valid_types_first() {
    let diagnostics = load(&with_task(
        "    {\"name\": \"b\", \"taskReferenceName\": \"b\", \"type\": \"SWICH\"}",
    ))
    .expect_err("unknown type");
    let help = diagnostics[0].help.as_deref().expect("help");
    assert!(help.starts_with("write one of: SWITCH"), "{help}");
    assert!(
        help.contains("KAFKA_PUBLISH") && help.contains("DO_WHILE"),
        "{help}"
    );
    assert!(diagnostics[0].message.contains("SWICH"));
}

#[test]
fn unknown_fields_are_warnings_kept_for_export() {
    let text = "{\n  \"name\": \"wf\", \"ownrEmail\": \"x@y\",\n  \"tasks\": [\n    {\"name\": \"a\", \"taskReferenceNme\": \"z\",\n     \"taskReferenceName\": \"a\"},\n    {\"name\": \"s\", \"taskReferenceName\": \"s\", \"type\": \"SUB_WORKFLOW\",\n     \"subWorkflowParam\": {\"name\": \"child\", \"verison\": 2}}\n  ]\n}\n";
    let loaded = load(text).expect("warnings only");
    let found: Vec<(&str, u32, &str, Option<&str>)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code, d.pos.line, d.field.as_str(), d.help.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                codes::UNKNOWN_FIELD,
                4,
                "tasks[0].taskReferenceNme",
                Some("did you mean `taskReferenceName`?")
            ),
            (
                codes::UNKNOWN_FIELD,
                7,
                "tasks[1].subWorkflowParam.verison",
                Some("did you mean `version`?")
            ),
            (
                codes::UNKNOWN_FIELD,
                2,
                "ownrEmail",
                Some("did you mean `ownerEmail`?")
            ),
        ]
    );
    assert!(
        loaded
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    let exported = conductor::export(&loaded.def);
    assert_eq!(exported["ownrEmail"], json!("x@y"));
    assert_eq!(exported["tasks"][0]["taskReferenceNme"], json!("z"));
    assert_eq!(
        exported["tasks"][1]["subWorkflowParam"]["verison"],
        json!(2)
    );
}

#[test]
fn nested_task_lists_on_the_wrong_type_are_reported_and_kept() {
    let text = with_task(
        "    {\"name\": \"b\", \"taskReferenceName\": \"b\",\n     \"loopOver\": [{\"name\": \"c\", \"taskReferenceName\": \"c\"}],\n     \"forkTasks\": []}",
    );
    let loaded = load(&text).expect("warning only");
    assert_eq!(loaded.diagnostics.len(), 1);
    let d = &loaded.diagnostics[0];
    assert_eq!(
        (d.code, d.pos.line, d.field.as_str()),
        (codes::IGNORED_FIELD, 6, "tasks[1].loopOver")
    );
    let b = loaded.def.find("b").expect("b");
    assert!(b.extra.contains_key("loopOver") && !b.extra.contains_key("forkTasks"));
}

#[test]
fn source_map_points_at_tasks_and_fields() {
    let text = "{\n  \"name\": \"wf\",\n  \"tasks\": [\n    {\"name\": \"d\", \"taskReferenceName\": \"d\", \"type\": \"SWITCH\",\n     \"evaluatorType\": \"value-param\", \"expression\": \"k\",\n     \"decisionCases\": {\"PASS\": [\n       {\"name\": \"p\", \"taskReferenceName\": \"p\",\n        \"inputParameters\": {\"x\": \"${d.output.y}\"}}]}},\n    {\"name\": \"j\", \"taskReferenceName\": \"j\", \"type\": \"JOIN\",\n     \"joinOn\": [\"p\"]}\n  ],\n  \"failureWorkflow\": \"cleanup\"\n}\n";
    let loaded = load(text).expect("valid");
    let sources = &loaded.sources;
    assert_eq!(sources.tasks["p"].path, "tasks[0].decisionCases.PASS[0]");
    assert_eq!(sources.tasks["p"].pos.line, 7);
    assert_eq!(sources.task_field("p", "inputParameters.x").0.line, 8);
    assert_eq!(sources.task_field("p", "input.x").0.line, 8);
    assert_eq!(sources.task_field("d", "decisionCases.PASS").0.line, 6);
    assert_eq!(
        sources.task_field("j", "joinOn[0]"),
        (
            sources.tasks["j"].fields["joinOn[0]"],
            "tasks[1].joinOn[0]".to_string()
        )
    );
    assert_eq!(sources.task_field("j", "joinOn[0]").0.line, 10);
    assert_eq!(sources.field("failureWorkflow").0.line, 12);
    assert_eq!(sources.field("failure_workflow").1, "failureWorkflow");
}

#[test]
fn task_def_lists_are_read_with_defaults_and_errors() {
    let node = source::parse(
        "[{\"name\": \"a\"}, {\"name\": \"b\", \"retryCount\": 0, \"timeoutSeconds\": 10}]",
    )
    .expect("json");
    let (defs, warnings) = conductor::task_defs_from_node(&node).expect("valid task defs");
    assert!(warnings.is_empty());
    assert_eq!(defs.len(), 2);
    assert_eq!(defs[0], baton_model::TaskDef::conductor_default("a"));
    assert_eq!((defs[1].retry_count, defs[1].timeout_ms), (0, 10_000));

    let node = source::parse("[{\"name\": \"a\"},\n {\"retryCount\": 1}]").expect("json");
    let errors = conductor::task_defs_from_node(&node).expect_err("second has no name");
    assert_eq!(
        (errors[0].code, errors[0].pos.line, errors[0].field.as_str()),
        (codes::MISSING_FIELD, 2, "[1].name")
    );

    let node = source::parse("{\"name\": \"a\"}").expect("json");
    assert!(conductor::task_defs_from_node(&node).is_err());
    let (def, _) = conductor::task_def_from_node(&node).expect("one task def");
    assert_eq!(
        conductor::task_def_to_json(&def)["retryDelaySeconds"],
        json!(60)
    );
}
