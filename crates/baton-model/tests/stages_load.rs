//! The stage front-end: how seed-004 YAML maps onto the model.

use baton_model::{SourceFormat, Task, TaskKind, WorkflowDef, load};
use serde_json::json;

fn deps(def: &WorkflowDef, name: &str) -> Option<Vec<String>> {
    def.find(name)
        .unwrap_or_else(|| panic!("task {name}"))
        .depends_on
        .clone()
}

fn strings(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.to_string()).collect())
}

#[test]
fn the_seed_pipeline() {
    let path = format!(
        "{}/../../examples/unified-pipeline.stages.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let loaded = load(&std::fs::read_to_string(path).expect("example")).expect("loads");
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let def = &loaded.def;
    assert_eq!(def.format, SourceFormat::Stages);
    assert_eq!((def.name.as_str(), def.version), ("unified-pipeline", 1));
    assert_eq!(def.extra.get("version_text"), Some(&json!("1.0")));
    let refs: Vec<&str> = def.tasks.iter().map(|t| t.ref_name.as_str()).collect();
    assert_eq!(
        refs,
        vec![
            "init.python.data_preprocessing",
            "init.rust.resource_allocation",
            "init.go.service_startup",
            "process.ai_model.inference",
            "process.worker.post_processing",
            "finalize.storage.persist_results",
            "finalize.notification.send_alerts",
        ]
    );
    let first: &Task = def.tasks.first().expect("task");
    assert_eq!(first.name, "python.data_preprocessing");
    assert!(matches!(first.kind, TaskKind::Simple));
    assert_eq!(deps(def, "init.python.data_preprocessing"), None);
    assert_eq!(deps(def, "init.rust.resource_allocation"), Some(vec![]));
    assert_eq!(
        deps(def, "process.ai_model.inference"),
        strings(&[
            "init.python.data_preprocessing",
            "init.rust.resource_allocation",
            "init.go.service_startup"
        ])
    );
    assert_eq!(deps(def, "process.worker.post_processing"), None);
    assert_eq!(deps(def, "finalize.storage.persist_results"), None);
    assert_eq!(
        deps(def, "finalize.notification.send_alerts"),
        strings(&["process.worker.post_processing"])
    );
    let source = loaded
        .sources
        .tasks
        .get("process.worker.post_processing")
        .expect("source");
    assert_eq!(source.path, "workflow.stages[1].tasks[1]");
    // The line of `- agent: "worker"` in the example, whose header may grow.
    let text = std::fs::read_to_string(format!(
        "{}/../../examples/unified-pipeline.stages.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("example");
    let line = text
        .lines()
        .position(|l| l.trim() == "- agent: \"worker\"")
        .expect("the worker task") as u32
        + 1;
    assert_eq!(source.pos.line, line);
}

#[test]
fn loops_conditions_ids_and_unique_refs() {
    let text = r#"
workflow:
  name: loops
  input: {required: [files]}
  stages:
    - name: prepare
      tasks:
        - {agent: sh, action: run, id: prep}
        - {agent: sh, action: run}
        - {agent: sh, action: run}
    - name: each
      type: loop
      for_each: "${workflow.input.files}"
      tasks:
        - {agent: python, action: convert, input: {file: "${each.output.item}"}}
    - name: retry
      type: loop
      while: "$.retry.check.output.again == true"
      max_iterations: 5
      tasks:
        - {agent: retry, action: check}
    - name: maybe
      type: conditional
      depends_on: [prepare]
      tasks:
        - {agent: deploy, action: push, when: "${prep.output.ok}", timeout: 5m, retry_policy: {max_attempts: 2}}
"#;
    let loaded = load(text).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let def = &loaded.def;
    let refs: Vec<&str> = def.tasks.iter().map(|t| t.ref_name.as_str()).collect();
    assert_eq!(
        refs,
        vec![
            "prep",
            "prepare.sh.run",
            "prepare.sh.run_2",
            "each",
            "retry",
            "maybe.deploy.push"
        ]
    );
    let each = def.find("each").expect("loop");
    let TaskKind::DoWhile(spec) = &each.kind else {
        panic!("loop")
    };
    assert_eq!(spec.items_param.as_deref(), Some("items"));
    assert_eq!(
        each.input.get("items"),
        Some(&json!("${workflow.input.files}"))
    );
    assert_eq!(
        spec.body.first().map(|t| t.ref_name.as_str()),
        Some("each.python.convert")
    );
    let TaskKind::DoWhile(retry) = &def.find("retry").expect("loop").kind else {
        panic!("loop")
    };
    assert_eq!(
        (retry.condition.as_str(), retry.max_iterations),
        ("$.retry.check.output.again == true", Some(5))
    );
    let push = def.find("maybe.deploy.push").expect("task");
    assert_eq!(push.when.as_deref(), Some("${prep.output.ok}"));
    assert_eq!(push.depends_on, strings(&["prepare.sh.run_2"]));
    assert_eq!(
        push.task_def
            .as_ref()
            .map(|d| (d.retry_count, d.timeout_ms)),
        Some((1, 300_000))
    );
    assert!(baton_model::validate::validate(def, &loaded.sources).is_empty());
}

#[test]
fn unguarded_while_loops_are_warned_about() {
    let text = "workflow:\n  name: w\n  stages:\n    - name: spin\n      type: loop\n      while: \"true\"\n      tasks: [{agent: a, action: b}]\n";
    let loaded = load(text).expect("loads");
    let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["BT0406"]);
}

#[test]
fn shape_errors() {
    let table: &[(&str, &str, &str)] = &[
        (
            "workflow: {stages: [{name: s, tasks: [{agent: a, action: b}]}]}\n",
            "BT0401",
            "workflow.name",
        ),
        (
            "workflow: {name: w, stages: [{name: s, tasks: []}]}\n",
            "BT0401",
            "workflow.stages[0].tasks",
        ),
        (
            "workflow: {name: w, stages: [{tasks: [{agent: a, action: b}]}]}\n",
            "BT0401",
            "workflow.stages[0].name",
        ),
        (
            "workflow: {name: w, stages: [{name: s}]}\n",
            "BT0401",
            "workflow.stages[0].tasks",
        ),
        (
            "workflow: {name: w, stages: {s: 1}}\n",
            "BT0400",
            "workflow.stages",
        ),
        (
            "workflow: {name: w, version: [1], stages: [{name: s, tasks: [{agent: a, action: b}]}]}\n",
            "BT0408",
            "workflow.version",
        ),
        (
            "workflow: {name: w, stages: [{name: s, tasks: [{agent: a, action: b}]}, {name: s, tasks: [{agent: a, action: c}]}]}\n",
            "BT0404",
            "workflow.stages[1].name",
        ),
        (
            "workflow: {name: w, stages: [{name: s, tasks: [{agent: a, action: b, id: x}, {agent: a, action: c, id: x}]}]}\n",
            "BT0404",
            "workflow.stages[0].tasks[1].id",
        ),
        (
            "workflow: {name: w, stages: [{name: s, type: loop, while: x, max_iterations: 0, tasks: [{agent: a, action: b}]}]}\n",
            "BT0412",
            "workflow.stages[0].max_iterations",
        ),
        (
            "workflow: {name: w, stages: [{name: s, tasks: [{agent: a, action: b, timeout: soon}]}]}\n",
            "BT0409",
            "workflow.stages[0].tasks[0].timeout",
        ),
        (
            "workflow: {name: w, stages: [{name: s, tasks: [{agent: a, action: b, agent_level: boss}]}]}\n",
            "BT0411",
            "workflow.stages[0].tasks[0].agent_level",
        ),
        (
            "workflow: {name: w, stages: [{name: s, tasks: [{agent: a, action: b, retry_policy: {backoff: random}}]}]}\n",
            "BT0410",
            "workflow.stages[0].tasks[0].retry_policy.backoff",
        ),
    ];
    for (text, code, field) in table {
        let errors = load(text).expect_err(text);
        assert!(
            errors.iter().any(|d| d.code == *code && d.field == *field),
            "{text}: {errors:#?}"
        );
    }
}

#[test]
fn stage_cycles_are_reported_by_validation() {
    let text = "workflow:\n  name: w\n  stages:\n    - {name: a, depends_on: [b], tasks: [{agent: x, action: go}]}\n    - {name: b, tasks: [{agent: x, action: z}]}\n";
    let loaded = load(text).expect("loads");
    let found = baton_model::validate::validate(&loaded.def, &loaded.sources);
    assert!(
        found
            .iter()
            .any(|d| d.code == "BT0106" && d.message.contains("a.x.go -> b.x.z -> a.x.go")),
        "{found:#?}"
    );
}
