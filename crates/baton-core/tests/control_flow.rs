//! Table tests per task type: the happy paths of each kind of control flow.

mod support;

use baton_core::*;
use baton_model::*;
use indexmap::IndexMap;
use serde_json::json;
use support::*;

#[test]
fn sequential_tasks_run_one_after_another_and_pass_outputs() {
    let def = wf(vec![
        simple("a"),
        with_input(
            simple("b"),
            json!({"x": "${a.output.n}", "wf": "${workflow.input.name}", "id": "${workflow.workflowId}"}),
        ),
        simple("c"),
    ]);
    let mut run = Run::started(def, json!({"name": "baton"}));
    assert_eq!(run.queued(), vec!["a"]);
    run.poll("a");
    assert_eq!(run.status("a"), Some(TaskStatus::InProgress));
    run.complete("a", json!({"n": 7}));
    assert_eq!(run.queued(), vec!["b"]);
    assert_eq!(run.t("b").input, json!({"x": 7, "wf": "baton", "id": "wf"}));
    run.complete("b", json!({}));
    run.complete("c", json!({"done": true}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
    assert_eq!(
        run.state.output,
        json!({"done": true}),
        "output is the last task's output"
    );
    assert!(run.effects.contains(&Effect::WorkflowEnded {
        status: WorkflowStatus::Completed
    }));
}

#[test]
fn dag_runs_independent_tasks_side_by_side() {
    let def = wf(vec![
        simple("scan"),
        after(simple("policy"), &[]),
        after(simple("validate"), &["scan", "policy"]),
    ]);
    let mut run = Run::started(def, json!({}));
    assert_eq!(run.queued(), vec!["scan", "policy"]);
    run.complete("policy", json!({}));
    assert_eq!(run.status("validate"), None, "waits for both dependencies");
    run.complete("scan", json!({}));
    assert_eq!(run.queued(), vec!["validate"]);
}

fn native_decision(cases: &[(&str, &str)], default: Option<&str>) -> Task {
    let mut next = IndexMap::new();
    for (c, t) in cases {
        next.insert(c.to_string(), t.to_string());
    }
    with_input(
        task(
            "gate",
            TaskKind::Switch(SwitchSpec {
                evaluator: Evaluator::ValueParam,
                expression: "decision_param".into(),
                cases: IndexMap::new(),
                default_case: Vec::new(),
                next,
                next_default: default.map(str::to_string),
                fail_on_no_match: true,
                legacy_decision: true,
            }),
        ),
        json!({"decision_param": "${check.output.status}"}),
    )
}

fn native_def(default: Option<&str>) -> WorkflowDef {
    wf(vec![
        simple("check"),
        native_decision(&[("PASS", "receipt"), ("FAIL", "alert")], default),
        simple("receipt"),
        simple("archive"),
        simple("alert"),
        after(simple("report"), &["archive", "alert"]),
    ])
}

#[test]
fn native_decision_runs_the_chosen_branch_and_skips_the_others() {
    let mut run = Run::started(native_def(None), json!({}));
    run.complete("check", json!({"status": "PASS"}));
    assert_eq!(run.t("gate").output["caseOutput"], json!(["PASS"]));
    assert_eq!(run.queued(), vec!["receipt"]);
    assert_eq!(run.status("alert"), Some(TaskStatus::Skipped));
    run.complete("receipt", json!({"receipt": "r1"}));
    run.complete("archive", json!({}));
    assert_eq!(
        run.queued(),
        vec!["report"],
        "a join after branches runs once all are finished or skipped"
    );
    run.complete("report", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn skip_spreads_to_tasks_that_depend_only_on_skipped_tasks() {
    let mut run = Run::started(native_def(None), json!({}));
    run.complete("check", json!({"status": "FAIL"}));
    assert_eq!(run.status("receipt"), Some(TaskStatus::Skipped));
    assert_eq!(
        run.status("archive"),
        Some(TaskStatus::Skipped),
        "archive depends only on the skipped receipt"
    );
    assert_eq!(run.queued(), vec!["alert"]);
    run.complete("alert", json!({}));
    assert_eq!(run.queued(), vec!["report"]);
}

#[test]
fn native_decision_without_match_or_default_fails_naming_value_and_cases() {
    let mut run = Run::started(native_def(None), json!({}));
    run.complete("check", json!({"status": "WEIRD"}));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    let reason = run.state.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("WEIRD") && reason.contains("PASS") && reason.contains("FAIL"),
        "{reason}"
    );
}

#[test]
fn native_decision_default_branch() {
    let mut run = Run::started(native_def(Some("alert")), json!({}));
    run.complete("check", json!({"status": "OTHER"}));
    assert_eq!(run.queued(), vec!["alert"]);
    assert_eq!(run.status("receipt"), Some(TaskStatus::Skipped));
}

fn conductor_switch(evaluator: Evaluator, expression: &str) -> WorkflowDef {
    let mut cases = IndexMap::new();
    cases.insert("a".to_string(), vec![simple("in_a"), simple("in_a2")]);
    cases.insert("b".to_string(), vec![simple("in_b")]);
    let sw = with_input(
        task(
            "sw",
            TaskKind::Switch(SwitchSpec {
                evaluator,
                expression: expression.into(),
                cases,
                default_case: vec![simple("in_default")],
                next: IndexMap::new(),
                next_default: None,
                fail_on_no_match: false,
                legacy_decision: false,
            }),
        ),
        json!({"choice": "${workflow.input.choice}"}),
    );
    wf(vec![sw, simple("after")])
}

#[test]
fn switch_value_param_takes_one_case_and_successor_waits_for_it() {
    let mut run = Run::started(
        conductor_switch(Evaluator::ValueParam, "choice"),
        json!({"choice": "a"}),
    );
    assert_eq!(run.t("sw").output["evaluationResult"], json!(["a"]));
    assert_eq!(run.queued(), vec!["in_a"]);
    run.complete("in_a", json!({}));
    assert_eq!(
        run.queued(),
        vec!["in_a2"],
        "the successor waits for the whole case"
    );
    run.complete("in_a2", json!({}));
    assert_eq!(run.queued(), vec!["after"]);
    assert_eq!(run.status("in_b"), None, "other cases never start");
}

#[test]
fn switch_default_case() {
    let run = Run::started(
        conductor_switch(Evaluator::ValueParam, "choice"),
        json!({"choice": "zzz"}),
    );
    assert_eq!(run.queued(), vec!["in_default"]);
}

#[test]
fn switch_javascript_evaluator() {
    let def = conductor_switch(Evaluator::Javascript, "$.choice == 'x' ? 'b' : 'a'");
    let mut run = Run::started(def, json!({"choice": "x"}));
    assert_eq!(run.queued(), vec!["in_b"]);
    run.complete("in_b", json!({}));
    assert_eq!(run.queued(), vec!["after"]);
}

#[test]
fn switch_javascript_error_fails_the_workflow() {
    let def = conductor_switch(Evaluator::Javascript, "$.choice.(");
    let run = Run::started(def, json!({"choice": "x"}));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert_eq!(run.status("sw"), Some(TaskStatus::FailedWithTerminalError));
}

#[test]
fn switch_with_no_matching_case_and_no_default_continues() {
    let mut def = conductor_switch(Evaluator::ValueParam, "choice");
    if let TaskKind::Switch(s) = &mut def.tasks[0].kind {
        s.default_case.clear();
    }
    let run = Run::started(def, json!({"choice": "none"}));
    assert_eq!(run.queued(), vec!["after"]);
}

fn fork_def() -> WorkflowDef {
    wf(vec![
        task(
            "fork",
            TaskKind::ForkJoin {
                branches: vec![vec![simple("a1"), simple("a2")], vec![simple("b1")]],
            },
        ),
        task(
            "join",
            TaskKind::Join {
                join_on: vec!["a2".into(), "b1".into()],
            },
        ),
        simple("after"),
    ])
}

#[test]
fn fork_join_runs_branches_in_parallel_and_joins_outputs() {
    let mut run = Run::started(fork_def(), json!({}));
    assert_eq!(run.queued(), vec!["a1", "b1"]);
    assert_eq!(run.status("join"), Some(TaskStatus::InProgress));
    run.complete("b1", json!({"b": 1}));
    run.complete("a1", json!({}));
    assert_eq!(run.status("join"), Some(TaskStatus::InProgress));
    run.complete("a2", json!({"a": 2}));
    assert_eq!(run.status("join"), Some(TaskStatus::Completed));
    assert_eq!(
        run.t("join").output,
        json!({"a2": {"a": 2}, "b1": {"b": 1}})
    );
    assert_eq!(run.queued(), vec!["after"]);
    run.complete("after", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn dynamic_fork_from_task_list_and_inputs() {
    let fork = with_input(
        task(
            "dyn",
            TaskKind::ForkJoinDynamic(DynamicForkSpec {
                tasks_param: Some("tasks".into()),
                tasks_input_param: Some("inputs".into()),
            }),
        ),
        json!({"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"}),
    );
    let def = wf(vec![
        fork,
        task("join", TaskKind::Join { join_on: vec![] }),
        simple("sum"),
    ]);
    let input = json!({
        "tasks": [
            {"name": "work", "taskReferenceName": "w1", "type": "SIMPLE"},
            {"name": "work", "taskReferenceName": "w2", "type": "SIMPLE"}
        ],
        "inputs": {"w1": {"n": 1}, "w2": {"n": "${not.a.template}"}}
    });
    let mut run = Run::started(def, input);
    assert_eq!(run.queued(), vec!["w1", "w2"]);
    assert_eq!(run.t("w1").input, json!({"n": 1}));
    assert_eq!(
        run.t("w2").input,
        json!({"n": "${not.a.template}"}),
        "run-time data is not re-templated"
    );
    run.complete("w1", json!({"v": 1}));
    assert_eq!(run.status("join"), Some(TaskStatus::InProgress));
    run.complete("w2", json!({"v": 2}));
    assert_eq!(
        run.t("join").output,
        json!({"w1": {"v": 1}, "w2": {"v": 2}})
    );
    assert_eq!(run.queued(), vec!["sum"]);
}

#[test]
fn dynamic_fork_with_fork_task_name_and_inputs() {
    let fork = with_input(
        task(
            "dyn",
            TaskKind::ForkJoinDynamic(DynamicForkSpec {
                tasks_param: None,
                tasks_input_param: None,
            }),
        ),
        json!({"forkTaskName": "step", "forkTaskInputs": [{"i": 0}, {"i": 1}, 5]}),
    );
    let def = wf(vec![fork, task("join", TaskKind::Join { join_on: vec![] })]);
    let mut run = Run::started(def, json!({}));
    assert_eq!(run.queued(), vec!["step_0", "step_1", "step_2"]);
    assert_eq!(run.t("step_2").input, json!({"input": 5}));
    run.drain();
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn dynamic_fork_with_bad_input_fails_clearly() {
    let fork = with_input(
        task(
            "dyn",
            TaskKind::ForkJoinDynamic(DynamicForkSpec {
                tasks_param: Some("tasks".into()),
                tasks_input_param: None,
            }),
        ),
        json!({"tasks": "not a list"}),
    );
    let run = Run::started(
        wf(vec![fork, task("join", TaskKind::Join { join_on: vec![] })]),
        json!({}),
    );
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert!(
        run.t("dyn")
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("must be a list")
    );
}

#[test]
fn dynamic_task_takes_its_name_from_input() {
    let t = with_input(
        task(
            "d",
            TaskKind::Dynamic {
                name_param: "taskToRun".into(),
            },
        ),
        json!({"taskToRun": "${workflow.input.which}"}),
    );
    let mut run = Run::started(wf(vec![t]), json!({"which": "resize_image"}));
    assert_eq!(run.queue[0].queue, "resize_image");
    run.complete("d", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);

    let t = with_input(
        task(
            "d",
            TaskKind::Dynamic {
                name_param: "taskToRun".into(),
            },
        ),
        json!({}),
    );
    let run = Run::started(wf(vec![t]), json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
}

fn loop_def(condition: &str, max: Option<u32>) -> WorkflowDef {
    let lp = with_input(
        task(
            "loop",
            TaskKind::DoWhile(DoWhileSpec {
                condition: condition.into(),
                body: vec![simple("body1"), simple("body2")],
                items_param: None,
                max_iterations: max,
            }),
        ),
        json!({"value": "${workflow.input.n}"}),
    );
    wf(vec![lp, simple("after")])
}

#[test]
fn do_while_iterates_with_conductor_ref_naming() {
    let mut run = Run::started(
        loop_def(
            "if ($.loop['iteration'] < $.value) { true; } else { false; }",
            None,
        ),
        json!({"n": 3}),
    );
    for i in 1..=3 {
        assert_eq!(run.queued(), vec![format!("body1__{i}")]);
        run.complete(&format!("body1__{i}"), json!({"i": i}));
        run.complete(&format!("body2__{i}"), json!({}));
    }
    assert_eq!(run.status("loop"), Some(TaskStatus::Completed));
    assert_eq!(run.t("loop").output["iteration"], json!(3));
    assert_eq!(run.t("loop").output["2"]["body1"], json!({"i": 2}));
    assert_eq!(run.queued(), vec!["after"]);
}

#[test]
fn do_while_condition_sees_body_outputs() {
    let mut run = Run::started(loop_def("$.body1['more'] == true", None), json!({}));
    run.complete("body1__1", json!({"more": true}));
    run.complete("body2__1", json!({}));
    run.complete("body1__2", json!({"more": false}));
    run.complete("body2__2", json!({}));
    assert_eq!(run.status("loop"), Some(TaskStatus::Completed));
}

#[test]
fn do_while_max_iterations_guard_fails_the_loop() {
    let mut run = Run::started(loop_def("true", Some(2)), json!({}));
    run.drain();
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert!(
        run.t("loop")
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("max_iterations")
    );
}

#[test]
fn do_while_over_items() {
    let lp = with_input(
        task(
            "each",
            TaskKind::DoWhile(DoWhileSpec {
                condition: String::new(),
                body: vec![with_input(
                    simple("work"),
                    json!({"item": "${each.output.item}"}),
                )],
                items_param: Some("items".into()),
                max_iterations: None,
            }),
        ),
        json!({"items": ["x", "y"]}),
    );
    let mut run = Run::started(wf(vec![lp]), json!({}));
    assert_eq!(run.t("work__1").input, json!({"item": "x"}));
    run.complete("work__1", json!({}));
    assert_eq!(run.t("work__2").input, json!({"item": "y"}));
    run.complete("work__2", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn wait_for_a_duration_until_a_time_or_an_external_signal() {
    let w = with_input(task("w", TaskKind::Wait), json!({"duration": "30s"}));
    let mut run = Run::started(wf(vec![w, simple("after")]), json!({}));
    assert_eq!(run.status("w"), Some(TaskStatus::InProgress));
    let start = run.now;
    run.advance_to(start + 29_000);
    assert_eq!(run.status("w"), Some(TaskStatus::InProgress));
    run.advance_to(start + 30_000);
    assert_eq!(run.status("w"), Some(TaskStatus::Completed));
    assert_eq!(run.queued(), vec!["after"]);

    let w = with_input(
        task("w", TaskKind::Wait),
        json!({"until": "1970-01-01 00:20 UTC"}),
    );
    let mut run = Run::started(wf(vec![w]), json!({}));
    assert_eq!(run.timers[0].fire_at, 1_200_000);
    run.advance_to(1_200_000);
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);

    let mut run = Run::started(wf(vec![task("w", TaskKind::Wait)]), json!({}));
    assert!(run.timers.is_empty());
    run.complete("w", json!({"signal": 1}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);

    let w = with_input(task("w", TaskKind::Wait), json!({"duration": "soon"}));
    let run = Run::started(wf(vec![w]), json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
}

fn human_def(role: Option<Role>, timeout_ms: u64) -> WorkflowDef {
    let mut h = task("approve", TaskKind::Human(HumanSpec { approval: true }));
    h.role = role;
    if let Some(td) = &mut h.task_def {
        td.timeout_ms = timeout_ms;
    }
    wf(vec![h, simple("after")])
}

fn principal(name: &str, role: Role) -> Principal {
    Principal::new(name, role)
}

#[test]
fn human_task_waits_for_approval() {
    let mut run = Run::started(human_def(None, 0), json!({}));
    assert_eq!(run.status("approve"), Some(TaskStatus::InProgress));
    let id = run.id("approve");
    let out = run.apply(Event::HumanDecision {
        task_id: id.clone(),
        approved: true,
        by: principal("ada", Role::L0),
        comment: Some("ok".into()),
        output: None,
    });
    assert_eq!(out, Outcome::Applied);
    assert_eq!(
        run.t("approve").output,
        json!({"approved": true, "decision": "approve", "by": "ada", "role": "L0",
               "decidedAt": run.now, "comment": "ok"})
    );
    assert_eq!(run.queued(), vec!["after"]);
}

#[test]
fn human_rejection_fails_without_retry_and_authority_is_checked() {
    let mut run = Run::started(human_def(Some(Role::L1), 0), json!({}));
    let id = run.id("approve");
    let out = run.apply(Event::HumanDecision {
        task_id: id.clone(),
        approved: true,
        by: principal("worker", Role::L3),
        comment: None,
        output: None,
    });
    assert!(
        matches!(out, Outcome::Rejected(ref m) if m.contains("L1") && m.kind == RefusalKind::Forbidden),
        "{out:?}"
    );
    run.apply(Event::HumanDecision {
        task_id: id,
        approved: false,
        by: principal("bridge", Role::L1),
        comment: Some("no".into()),
        output: None,
    });
    assert_eq!(run.status("approve"), Some(TaskStatus::Failed));
    assert_eq!(run.attempts("approve"), 1, "a HUMAN task is not retried");
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert!(
        run.state
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("rejected by bridge (L1): no"),
        "{:?}",
        run.state.reason
    );
}

#[test]
fn human_timeout_ends_the_wait_as_timed_out() {
    let mut run = Run::started(human_def(None, 3_600_000), json!({}));
    let start = run.now;
    run.advance_to(start + 3_600_000);
    assert_eq!(run.status("approve"), Some(TaskStatus::TimedOut));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
}

#[test]
fn sub_workflow_starts_a_child_and_completes_with_it() {
    let sub = with_input(
        task(
            "child",
            TaskKind::SubWorkflow(SubWorkflowSpec {
                name: "kid".into(),
                version: Some(2),
                definition: None,
                extra: Default::default(),
            }),
        ),
        json!({"x": "${workflow.input.x}"}),
    );
    let mut run = Run::started(wf(vec![sub, simple("after")]), json!({"x": 1}));
    let starts = run.started_workflows();
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].name, "kid");
    assert_eq!(starts[0].input, json!({"x": 1}));
    let parent = starts[0].parent.clone().expect("parent link");
    assert_eq!(parent.task_id, run.id("child"));
    let child_id = starts[0].workflow_id.clone();
    run.apply(Event::ChildWorkflowEnded {
        task_id: run.id("child"),
        child_id: "someone-else".into(),
        status: WorkflowStatus::Completed,
        output: json!({}),
        reason: None,
    });
    assert!(
        matches!(run.last, Some(Outcome::Ignored(_))),
        "a child we did not start is ignored"
    );
    run.apply(Event::ChildWorkflowEnded {
        task_id: run.id("child"),
        child_id: child_id.clone(),
        status: WorkflowStatus::Completed,
        output: json!({"y": 2}),
        reason: None,
    });
    assert_eq!(
        run.t("child").output,
        json!({"y": 2, "subWorkflowId": child_id})
    );
    assert_eq!(run.queued(), vec!["after"]);
}

#[test]
fn failed_sub_workflow_fails_the_parent_task() {
    let sub = task(
        "child",
        TaskKind::SubWorkflow(SubWorkflowSpec {
            name: "kid".into(),
            version: None,
            definition: None,
            extra: Default::default(),
        }),
    );
    let mut run = Run::started(wf(vec![sub]), json!({}));
    let child_id = run.started_workflows()[0].workflow_id.clone();
    run.apply(Event::ChildWorkflowEnded {
        task_id: run.id("child"),
        child_id,
        status: WorkflowStatus::Failed,
        output: json!({}),
        reason: Some("boom".into()),
    });
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert!(run.state.reason.as_deref().unwrap_or("").contains("boom"));
}

#[test]
fn terminate_ends_the_workflow_with_its_status_and_output() {
    let term = with_input(
        task("stop", TaskKind::Terminate),
        json!({"terminationStatus": "COMPLETED", "workflowOutput": {"result": "${workflow.input.r}"}, "terminationReason": "done early"}),
    );
    let def = wf(vec![
        task(
            "fork",
            TaskKind::ForkJoin {
                branches: vec![vec![simple("slow")], vec![term]],
            },
        ),
        task(
            "join",
            TaskKind::Join {
                join_on: vec!["slow".into(), "stop".into()],
            },
        ),
        simple("never"),
    ]);
    let run = Run::started(def, json!({"r": 42}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
    assert_eq!(run.state.output, json!({"result": 42}));
    assert_eq!(run.status("slow"), Some(TaskStatus::Canceled));
    assert_eq!(run.status("never"), None);

    let term = with_input(
        task("stop", TaskKind::Terminate),
        json!({"terminationStatus": "FAILED"}),
    );
    let run = Run::started(wf(vec![term]), json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
}

#[test]
fn set_variable_then_read_it_and_noop() {
    let set = with_input(
        task("set", TaskKind::SetVariable),
        json!({"count": "${workflow.input.n}"}),
    );
    let use_it = with_input(simple("use"), json!({"c": "${workflow.variables.count}"}));
    let mut run = Run::started(
        wf(vec![task("nothing", TaskKind::Noop), set, use_it]),
        json!({"n": 5}),
    );
    assert_eq!(run.status("nothing"), Some(TaskStatus::Completed));
    assert_eq!(run.state.variables.get("count"), Some(&json!(5)));
    assert_eq!(run.t("use").input, json!({"c": 5}));
    run.complete("use", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn when_condition_skips_without_spreading() {
    let mut cond = simple("maybe");
    cond.when = Some("$.input.flag == true".into());
    let def = wf(vec![cond, simple("next")]);
    let run = Run::started(def.clone(), json!({"flag": false}));
    assert_eq!(run.status("maybe"), Some(TaskStatus::Skipped));
    assert_eq!(run.queued(), vec!["next"], "a `when:` skip does not spread");
    let run = Run::started(def, json!({"flag": true}));
    assert_eq!(run.queued(), vec!["maybe"]);
}

#[test]
fn output_template_and_output_keys() {
    let mut def = wf(vec![simple("a"), simple("b")]);
    def.output = OutputSpec::Template(
        json!({"total": "${a.output.n}"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let mut run = Run::started(def, json!({}));
    run.complete("a", json!({"n": 3}));
    run.complete("b", json!({}));
    assert_eq!(run.state.output, json!({"total": 3}));

    let mut def = wf(vec![simple("a"), simple("b")]);
    def.output = OutputSpec::Keys(vec!["status".into(), "receipt".into(), "missing".into()]);
    let mut run = Run::started(def, json!({}));
    run.complete("a", json!({"status": "old", "receipt": "r"}));
    run.complete("b", json!({"status": "new"}));
    assert_eq!(run.state.output, json!({"status": "new", "receipt": "r"}));
}

#[test]
fn inputs_get_defaults_and_missing_required_inputs_are_refused() {
    let mut def = wf(vec![with_input(
        simple("a"),
        json!({"s": "${workflow.input.strict}"}),
    )]);
    def.inputs = vec![
        InputParam {
            name: "target".into(),
            required: true,
            default: None,
        },
        InputParam {
            name: "strict".into(),
            required: false,
            default: Some(json!(false)),
        },
    ];
    let mut run = Run::new(def.clone());
    let out = run.apply(Event::WorkflowStarted {
        input: json!({}),
        correlation_id: None,
        parent: None,
        options: Default::default(),
        by: None,
    });
    assert!(
        matches!(out, Outcome::Rejected(ref m) if m.contains("target") && m.contains("--input target=")),
        "{out:?}"
    );
    assert_eq!(run.wf_status(), WorkflowStatus::Pending);
    let run = Run::started(def, json!({"target": "."}));
    assert_eq!(run.t("a").input, json!({"s": false}));
}

#[test]
fn start_workflow_task_starts_another_and_completes() {
    let t = with_input(
        task("go", TaskKind::StartWorkflow),
        json!({"startWorkflow": {"name": "other", "input": {"a": 1}}}),
    );
    let run = Run::started(wf(vec![t]), json!({}));
    let s = run.started_workflows();
    assert_eq!(
        (s[0].name.as_str(), &s[0].input),
        ("other", &json!({"a": 1}))
    );
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}
