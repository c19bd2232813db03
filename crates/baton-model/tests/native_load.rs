//! The native front-end: how seed-000 YAML maps onto the model.

use baton_model::{
    FailureWorkflow, OutputSpec, RetryLogic, Role, SourceFormat, Task, TaskKind, WorkflowDef,
    WorkflowTimeoutPolicy, load,
};
use serde_json::json;

fn example() -> baton_model::Loaded {
    let path = format!(
        "{}/../../examples/inventory-validation.workflow.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("example");
    load(&text).expect("the corrected example loads")
}

fn task<'a>(def: &'a WorkflowDef, name: &str) -> &'a Task {
    def.find(name).unwrap_or_else(|| panic!("task {name}"))
}

fn deps<'a>(def: &'a WorkflowDef, name: &str) -> Option<Vec<&'a str>> {
    task(def, name)
        .depends_on
        .as_ref()
        .map(|d| d.iter().map(String::as_str).collect())
}

#[test]
fn workflow_fields() {
    let loaded = example();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let def = &loaded.def;
    assert_eq!(def.format, SourceFormat::Native);
    assert_eq!(def.name, "inventory-validation-v1");
    assert_eq!(def.version, 1);
    assert_eq!(
        def.description.as_deref(),
        Some("Validates file inventory and generates compliance receipt")
    );
    assert_eq!(
        def.extra.get("display_name"),
        Some(&json!("Inventory Validation Workflow"))
    );
    let inputs: Vec<(&str, bool, Option<&serde_json::Value>)> = def
        .inputs
        .iter()
        .map(|i| (i.name.as_str(), i.required, i.default.as_ref()))
        .collect();
    assert_eq!(
        inputs,
        vec![
            ("target_folder", true, None),
            ("policy_file", true, None),
            ("strict_mode", false, Some(&json!(false)))
        ]
    );
    assert_eq!(
        def.output,
        OutputSpec::Keys(vec![
            "validation_receipt".into(),
            "compliance_status".into(),
            "file_manifest".into()
        ])
    );
    assert_eq!(
        def.failure_workflow,
        Some(FailureWorkflow::Inline {
            id: "inventory-validation-failure-handler".into(),
            steps: vec![
                "log_to_incident".into(),
                "notify_commander".into(),
                "preserve_state".into()
            ],
        })
    );
    let monitoring = def.monitoring.as_ref().expect("monitoring");
    assert_eq!(
        monitoring.log_to.as_deref(),
        Some(".3ox/workflow.execution.log")
    );
    assert_eq!(monitoring.metrics.len(), 3);
    assert_eq!(def.timeout_policy, WorkflowTimeoutPolicy::AlertOnly);
}

#[test]
fn dependencies_follow_the_native_rules() {
    let def = example().def;
    assert_eq!(deps(&def, "scan_files"), None, "first task: nothing");
    assert_eq!(
        deps(&def, "load_policy"),
        Some(vec![]),
        "parallel_with the first task: same (no) dependencies"
    );
    assert_eq!(
        deps(&def, "validate_compliance"),
        Some(vec!["scan_files", "load_policy"])
    );
    assert_eq!(
        deps(&def, "decision_gate"),
        None,
        "depends_on the previous task is the default"
    );
    assert_eq!(
        deps(&def, "generate_receipt"),
        None,
        "branch head right after its decision"
    );
    assert_eq!(
        deps(&def, "alert_cmd_bridge"),
        Some(vec!["decision_gate"]),
        "branch head: the decision, not the previous task"
    );
    assert_eq!(
        deps(&def, "generate_warning_receipt"),
        Some(vec!["decision_gate"])
    );
}

#[test]
fn tasks_compile_to_the_model() {
    let def = example().def;
    let scan = task(&def, "scan_files");
    assert_eq!(scan.name, "scan_files", "worker queue = id");
    assert_eq!(scan.description.as_deref(), Some("Scan Target Folder"));
    assert_eq!(scan.role, Some(Role::L3));
    assert_eq!(
        scan.input.get("folder"),
        Some(&json!("${workflow.input.target_folder}"))
    );
    assert_eq!(
        scan.declared_outputs,
        vec!["file_list", "file_manifest", "scan_timestamp"]
    );
    let retry = scan.task_def.as_ref().expect("task def");
    assert_eq!(
        (
            retry.retry_count,
            retry.retry_logic,
            retry.retry_delay_ms,
            retry.timeout_ms
        ),
        (2, RetryLogic::ExponentialBackoff, 1_000, 30_000)
    );

    let plain = task(&def, "validate_compliance")
        .task_def
        .as_ref()
        .expect("task def");
    assert_eq!(
        (
            plain.retry_count,
            plain.timeout_ms,
            plain.response_timeout_ms
        ),
        (0, 0, 0),
        "no retry_policy: no retries"
    );

    let TaskKind::Switch(gate) = &task(&def, "decision_gate").kind else {
        panic!("decision")
    };
    assert_eq!(gate.expression, "decision_param");
    assert!(gate.fail_on_no_match && gate.legacy_decision);
    assert_eq!(
        gate.next.get("FAIL_SOFT").map(String::as_str),
        Some("generate_warning_receipt")
    );
    assert_eq!(
        task(&def, "decision_gate").input.get("decision_param"),
        Some(&json!("${validate_compliance.output.compliance_status}"))
    );

    let human = task(&def, "alert_cmd_bridge");
    assert!(matches!(&human.kind, TaskKind::Human(h) if h.approval));
    assert_eq!(
        human.task_def.as_ref().map(|t| t.timeout_ms),
        Some(3_600_000)
    );
}

#[test]
fn positions_of_fields_are_recorded() {
    let loaded = example();
    let gate = loaded
        .sources
        .tasks
        .get("decision_gate")
        .expect("gate source");
    assert_eq!(gate.path, "workflow.tasks[3]");
    assert_eq!(
        gate.fields
            .get("decision_cases.FAIL_SOFT.next")
            .map(|p| p.line),
        Some(85)
    );
    let check = loaded
        .sources
        .tasks
        .get("validate_compliance")
        .expect("source");
    assert_eq!(check.fields.get("depends_on[1]").map(|p| p.line), Some(66));
    assert_eq!(check.fields.get("input.rules").map(|p| p.line), Some(69));
}

fn load_yaml(body: &str) -> baton_model::Loaded {
    load(body).unwrap_or_else(|e| panic!("{e:#?}"))
}

#[test]
fn unknown_fields_are_kept_and_warned_about() {
    let loaded =
        load_yaml("workflow:\n  id: w\n  owner: me\n  tasks:\n    - id: a\n      dependson: [b]\n");
    let codes: Vec<(&str, &str)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code, d.field.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("BT0001", "workflow.owner"),
            ("BT0001", "workflow.tasks[0].dependson")
        ]
    );
    assert_eq!(
        loaded.diagnostics.get(1).and_then(|d| d.help.as_deref()),
        Some("did you mean `depends_on`? This field has no effect")
    );
    assert_eq!(loaded.def.extra.get("owner"), Some(&json!("me")));
    assert_eq!(
        loaded
            .def
            .tasks
            .first()
            .and_then(|t| t.extra.get("dependson")),
        Some(&json!(["b"]))
    );
}

#[test]
fn parallel_with_chains_and_explicit_heads() {
    let loaded = load_yaml(
        "workflow:\n  id: w\n  tasks:\n    - id: a\n    - id: b\n    - id: c\n      parallel_with: b\n    - id: d\n      parallel_with: c\n    - id: gate\n      type: SWITCH\n      depends_on: [b, c, d]\n      decision_param: x\n      decision_cases:\n        X: {next: e}\n        default: f\n    - id: e\n      depends_on: [a]\n    - id: f\n",
    );
    let def = &loaded.def;
    assert_eq!(deps(def, "c"), Some(vec!["a"]));
    assert_eq!(deps(def, "d"), Some(vec!["a"]));
    assert_eq!(
        deps(def, "e"),
        Some(vec!["a", "gate"]),
        "a head with explicit dependencies also waits for its decision"
    );
    assert_eq!(deps(def, "f"), Some(vec!["gate"]), "the default head");
    let TaskKind::Switch(spec) = &task(def, "gate").kind else {
        panic!("switch")
    };
    assert_eq!(spec.next_default.as_deref(), Some("f"));
    assert!(!spec.legacy_decision);
}

#[test]
fn parallel_with_circles_are_errors() {
    let errors = load("workflow:\n  id: w\n  tasks:\n    - id: a\n      parallel_with: b\n    - id: b\n      parallel_with: a\n").expect_err("circle");
    assert_eq!(
        errors.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec!["BT0306"]
    );
}

#[test]
fn other_shapes() {
    let loaded = load_yaml(
        "workflow:\n  id: w\n  version: \"2.1\"\n  timeout: 1h\n  agent_level: L1\n  failure_workflow: handler\n  output: {report: \"${b.output.report}\"}\n  tasks:\n    - id: a\n      type: wait\n      input: {duration: 5m}\n    - id: b\n      type: SUB_WORKFLOW\n      sub_workflow: {name: child, version: 3}\n      output: {report: \"0UT/report.yaml\"}\n      retry_policy: {max_attempts: 1, backoff: linear, max_delay: 2m}\n    - id: c\n      type: HTTP\n      optional: true\n",
    );
    let def = &loaded.def;
    assert_eq!(
        (def.version, def.extra.get("version_text")),
        (2, Some(&json!("2.1")))
    );
    assert_eq!(
        (def.timeout_ms, def.timeout_policy),
        (3_600_000, WorkflowTimeoutPolicy::TimeOutWf)
    );
    assert_eq!(def.extra.get("agent_level"), Some(&json!("L1")));
    assert_eq!(
        def.failure_workflow,
        Some(FailureWorkflow::Named("handler".into()))
    );
    assert!(matches!(def.output, OutputSpec::Template(_)));
    assert!(matches!(task(def, "a").kind, TaskKind::Wait));
    let TaskKind::SubWorkflow(sub) = &task(def, "b").kind else {
        panic!("sub workflow")
    };
    assert_eq!((sub.name.as_str(), sub.version), ("child", Some(3)));
    let b = task(def, "b");
    assert_eq!(b.declared_outputs, vec!["report"]);
    assert_eq!(
        b.extra.get("output"),
        Some(&json!({"report": "0UT/report.yaml"}))
    );
    let retry = b.task_def.as_ref().expect("def");
    assert_eq!(
        (
            retry.retry_count,
            retry.retry_logic,
            retry.max_retry_delay_ms
        ),
        (0, RetryLogic::LinearBackoff, Some(120_000))
    );
    assert!(matches!(&task(def, "c").kind, TaskKind::System { task_type } if task_type == "HTTP"));
    assert!(task(def, "c").optional);
}

#[test]
fn shape_errors() {
    let table: &[(&str, &str, &str)] = &[
        ("workflow: {id: w}\n", "BT0301", "workflow.tasks"),
        ("workflow: {tasks: [{id: a}]}\n", "BT0301", "workflow.id"),
        (
            "workflow: {id: w, tasks: {a: 1}}\n",
            "BT0300",
            "workflow.tasks",
        ),
        (
            "workflow: {id: w, tasks: [{name: x}]}\n",
            "BT0301",
            "workflow.tasks[0].id",
        ),
        (
            "workflow: {id: w, version: \"v1\", tasks: [{id: a}]}\n",
            "BT0308",
            "workflow.version",
        ),
        (
            "workflow: {id: w, tasks: [{id: a, depends_on: {x: 1}}]}\n",
            "BT0300",
            "workflow.tasks[0].depends_on",
        ),
        (
            "workflow: {id: w, tasks: [{id: a, type: DECISION, decision_param: x, decision_cases: {}}]}\n",
            "BT0307",
            "workflow.tasks[0].decision_cases",
        ),
        (
            "workflow: {id: w, tasks: [{id: a, type: DECISION, decision_param: x, decision_cases: {A: {}}}]}\n",
            "BT0301",
            "workflow.tasks[0].decision_cases.A.next",
        ),
        (
            "workflow: {id: w, tasks: [{id: a, type: DECISION, decision_param: x, input: {decision_param: y}, decision_cases: {A: a}}]}\n",
            "BT0307",
            "workflow.tasks[0].decision_param",
        ),
        (
            "workflow: {id: w, failure_workflow: 3, tasks: [{id: a}]}\n",
            "BT0309",
            "workflow.failure_workflow",
        ),
        (
            "workflow: {id: w, failure_workflow: {id: h, steps: []}, tasks: [{id: a}]}\n",
            "BT0309",
            "workflow.failure_workflow.steps",
        ),
        (
            "workflow: {id: w, tasks: [{id: a, timeout: 30}]}\n",
            "BT0304",
            "workflow.tasks[0].timeout",
        ),
        (
            "workflow: {id: w, tasks: [{id: a, type: HUMAN, wait_for_approval: yes please}]}\n",
            "BT0300",
            "workflow.tasks[0].wait_for_approval",
        ),
        (
            "workflow: {id: w, tasks: [{id: a, type: SUB_WORKFLOW}]}\n",
            "BT0301",
            "workflow.tasks[0].sub_workflow",
        ),
        (
            "workflow: {id: w, input: {optional: [[1]]}, tasks: [{id: a}]}\n",
            "BT0300",
            "workflow.input.optional[0]",
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
