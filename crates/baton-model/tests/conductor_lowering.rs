//! Export of definitions that use the native DAG features: lowered to Conductor
//! constructs when possible, kept in `baton` extension fields otherwise.

use baton_model::conductor;
use baton_model::{
    Evaluator, FailureWorkflow, InputParam, Monitoring, OutputSpec, Role, SourceFormat, SwitchSpec,
    Task, TaskKind, WorkflowDef, load,
};
use indexmap::IndexMap;
use serde_json::{Value, json};

fn task(ref_name: &str) -> Task {
    Task::new(format!("{ref_name}_worker"), ref_name, TaskKind::Simple)
}

fn after(ref_name: &str, deps: &[&str]) -> Task {
    Task {
        depends_on: Some(deps.iter().map(|d| d.to_string()).collect()),
        ..task(ref_name)
    }
}

fn workflow(tasks: Vec<Task>) -> WorkflowDef {
    WorkflowDef {
        format: SourceFormat::Native,
        ..WorkflowDef::new("dag", 1, tasks)
    }
}

/// Exports `def` and loads the JSON back, which must succeed without diagnostics.
fn reload(def: &WorkflowDef) -> (Value, WorkflowDef) {
    let text = conductor::to_json_string(def);
    let loaded = load(&text).unwrap_or_else(|e| panic!("export does not load: {e:#?}\n{text}"));
    assert!(
        loaded.diagnostics.is_empty(),
        "{:#?}\n{text}",
        loaded.diagnostics
    );
    (serde_json::from_str(&text).expect("json"), loaded.def)
}

fn refs(tasks: &[Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.ref_name.as_str()).collect()
}

#[test]
fn parallel_tasks_become_fork_and_join() {
    let def = workflow(vec![
        task("a"),
        after("b", &["a"]),
        after("c", &["a"]),
        after("c2", &["c"]),
        after("d", &["b", "c2"]),
    ]);
    let (_, back) = reload(&def);
    assert_eq!(refs(&back.tasks), ["a", "fork", "join", "d"]);
    let TaskKind::ForkJoin { branches } = &back.tasks[1].kind else {
        panic!("{:?}", back.tasks[1])
    };
    assert_eq!(
        branches.iter().map(|b| refs(b)).collect::<Vec<_>>(),
        [vec!["b"], vec!["c", "c2"]]
    );
    assert_eq!(
        back.tasks[2].kind,
        TaskKind::Join {
            join_on: vec!["b".into(), "c2".into()]
        }
    );
    assert!(back.find("d").is_some_and(|d| d.depends_on.is_none()));
}

#[test]
fn independent_first_tasks_are_forked_too() {
    let def = workflow(vec![
        after("a", &[]),
        after("b", &[]),
        after("c", &["a", "b"]),
    ]);
    let (_, back) = reload(&def);
    assert_eq!(refs(&back.tasks), ["fork", "join", "c"]);
}

#[test]
fn generated_refs_do_not_clash_with_task_refs() {
    let def = workflow(vec![
        task("fork"),
        after("join", &["fork"]),
        after("x", &["fork"]),
        after("y", &["join", "x"]),
    ]);
    let (_, back) = reload(&def);
    assert_eq!(refs(&back.tasks), ["fork", "fork_2", "join_2", "y"]);
}

fn decision(ref_name: &str, next: &[(&str, &str)], next_default: Option<&str>) -> Task {
    let spec = SwitchSpec {
        evaluator: Evaluator::ValueParam,
        expression: "status".into(),
        cases: IndexMap::new(),
        default_case: Vec::new(),
        next: next
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        next_default: next_default.map(str::to_string),
        fail_on_no_match: true,
        legacy_decision: false,
    };
    let mut t = task(ref_name);
    t.kind = TaskKind::Switch(spec);
    t.input
        .insert("status".into(), json!("${check.output.status}"));
    t
}

#[test]
fn a_native_decision_becomes_a_switch_holding_its_branches() {
    let def = workflow(vec![
        task("check"),
        decision("route", &[("PASS", "p1"), ("FAIL", "f1")], None),
        task("p1"),
        task("p2"),
        task("f1"),
        after("done", &["p2", "f1"]),
    ]);
    let (json, back) = reload(&def);
    assert_eq!(refs(&back.tasks), ["check", "route", "done"]);
    let TaskKind::Switch(spec) = &back.tasks[1].kind else {
        panic!("{:?}", back.tasks[1])
    };
    assert_eq!(spec.evaluator, Evaluator::ValueParam);
    assert_eq!(refs(&spec.cases["PASS"]), ["p1", "p2"]);
    assert_eq!(refs(&spec.cases["FAIL"]), ["f1"]);
    assert!(spec.next.is_empty());
    // No match fails the run, as in Baton: a TERMINATE default case.
    assert_eq!(spec.default_case.len(), 1);
    assert_eq!(spec.default_case[0].kind, TaskKind::Terminate);
    assert_eq!(
        spec.default_case[0].input["terminationStatus"],
        json!("FAILED")
    );
    assert_eq!(json["tasks"][1]["evaluatorType"], json!("value-param"));
}

#[test]
fn decision_defaults_and_parallel_branches_nest() {
    let def = workflow(vec![
        decision("route", &[("A", "a1")], Some("d1")),
        task("a1"),
        after("a2", &["a1"]),
        after("a3", &["a1"]),
        after("a4", &["a2", "a3"]),
        task("d1"),
        after("end", &["a4", "d1"]),
    ]);
    let (_, back) = reload(&def);
    assert_eq!(refs(&back.tasks), ["route", "end"]);
    let TaskKind::Switch(spec) = &back.tasks[0].kind else {
        panic!("{:?}", back.tasks[0])
    };
    assert_eq!(refs(&spec.cases["A"]), ["a1", "fork", "join", "a4"]);
    assert_eq!(refs(&spec.default_case), ["d1"]);
}

#[test]
fn when_tasks_are_wrapped_in_a_javascript_switch() {
    let mut guarded = task("maybe");
    guarded.when = Some("${check.output.score} > 3".into());
    let def = workflow(vec![task("check"), guarded, task("last")]);
    let (json, back) = reload(&def);
    assert_eq!(refs(&back.tasks), ["check", "maybe_when", "last"]);
    let TaskKind::Switch(spec) = &back.tasks[1].kind else {
        panic!("{:?}", back.tasks[1])
    };
    assert_eq!(
        (spec.evaluator, spec.expression.as_str()),
        (Evaluator::Javascript, "!!($.c0 > 3)")
    );
    // The condition sees the workflow's input and variables as `$` does natively.
    assert_eq!(
        json["tasks"][1]["inputParameters"]["input"],
        json!("${workflow.input}")
    );
    assert_eq!(
        json["tasks"][1]["inputParameters"]["variables"],
        json!("${workflow.variables}")
    );
    assert_eq!(refs(&spec.cases["true"]), ["maybe"]);
    assert_eq!(
        json["tasks"][1]["inputParameters"]["c0"],
        json!("${check.output.score}")
    );
    assert!(back.find("maybe").is_some_and(|t| t.when.is_none()));
}

#[test]
fn a_graph_that_is_not_series_parallel_keeps_its_dependencies_in_extension_fields() {
    let def = workflow(vec![
        after("a", &[]),
        after("b", &[]),
        after("c", &["a", "b"]),
        after("d", &["b"]),
    ]);
    let (json, back) = reload(&def);
    assert_eq!(json["tasks"][2]["baton"]["dependsOn"], json!(["a", "b"]));
    assert_eq!(
        back,
        WorkflowDef {
            format: SourceFormat::Conductor,
            ..def
        }
    );
}

#[test]
fn cycles_and_unknown_refs_are_exported_not_dropped() {
    let def = workflow(vec![
        after("a", &["b"]),
        after("b", &["a"]),
        after("c", &["nowhere"]),
    ]);
    let (_, back) = reload(&def);
    assert_eq!(
        back,
        WorkflowDef {
            format: SourceFormat::Conductor,
            ..def
        }
    );
}

#[test]
fn native_only_workflow_features_survive_a_round_trip() {
    let mut def = workflow(vec![
        Task {
            role: Some(Role::L2),
            declared_outputs: vec!["report".into()],
            ..task("scan")
        },
        Task {
            kind: TaskKind::Human(baton_model::HumanSpec { approval: true }),
            ..task("approve")
        },
    ]);
    def.inputs = vec![
        InputParam {
            name: "folder".into(),
            required: true,
            default: None,
        },
        InputParam {
            name: "depth".into(),
            required: false,
            default: Some(json!(3)),
        },
    ];
    def.output = OutputSpec::Keys(vec!["report".into(), "missing".into()]);
    def.failure_workflow = Some(FailureWorkflow::Inline {
        id: "cleanup".into(),
        steps: vec!["undo".into()],
    });
    def.monitoring = Some(Monitoring {
        report_frequency: Some("per_task".into()),
        log_to: Some("log.jsonl".into()),
        metrics: vec!["m".into()],
    });
    def.timeout_ms = 1_500;
    let (json, back) = reload(&def);
    assert_eq!(
        json["outputParameters"],
        json!({"report": "${scan.output.report}"})
    );
    assert_eq!(json["failureWorkflow"], json!("cleanup"));
    assert_eq!(json["timeoutSeconds"], json!(2));
    assert_eq!(json["inputTemplate"], json!({"depth": 3}));
    assert_eq!(
        back,
        WorkflowDef {
            format: SourceFormat::Conductor,
            timeout_ms: 2_000,
            ..def
        }
    );
}

#[test]
fn extra_fields_of_native_definitions_travel_in_the_extension() {
    let mut scan = task("scan");
    scan.extra.insert("agent".into(), json!("python"));
    let mut def = workflow(vec![scan]);
    def.extra.insert("display_name".into(), json!("Inventory"));
    let (json, back) = reload(&def);
    assert_eq!(
        json["baton"]["fields"],
        json!({"display_name": "Inventory"})
    );
    assert_eq!(
        json["tasks"][0]["baton"]["fields"],
        json!({"agent": "python"})
    );
    assert!(json.get("display_name").is_none());
    assert_eq!(
        back,
        WorkflowDef {
            format: SourceFormat::Conductor,
            ..def
        }
    );
}
