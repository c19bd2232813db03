//! People in the loop, decided: supervised gates, debug breakpoints and steps, input
//! edits, cancelling a waiting task, and who may do each.

mod support;

use baton_core::*;
use baton_model::*;
use serde_json::json;
use support::*;

fn options(mode: RunMode, breakpoints: &[&str]) -> RunOptions {
    RunOptions {
        mode: Some(mode),
        breakpoints: breakpoints.iter().map(|b| b.to_string()).collect(),
        domain: None,
        runners: None,
    }
}

fn ada() -> Principal {
    Principal::new("ada", Role::L0)
}

fn bridge() -> Principal {
    Principal::new("bridge", Role::L1)
}

fn decide_on(run: &mut Run, r: &str, approved: bool, by: Principal) -> Outcome {
    let task_id = run.id(r);
    run.apply(Event::HumanDecision {
        task_id,
        approved,
        by,
        comment: Some("checked".into()),
        output: None,
    })
}

fn gated(mut t: Task) -> Task {
    t.gate = true;
    t
}

fn three() -> WorkflowDef {
    wf(vec![simple("a"), gated(simple("b")), simple("c")])
}

#[test]
fn a_supervised_gate_waits_for_approval_then_runs() {
    let mut run = Run::started_with(three(), json!({}), options(RunMode::Supervised, &[]));
    run.poll("a");
    run.complete("a", json!({"x": 1}));
    assert_eq!(run.t("b").hold, Some(Hold::Gate));
    assert_eq!(run.status("b"), Some(TaskStatus::Scheduled));
    assert!(
        run.queued().is_empty(),
        "a gate is not queued before approval"
    );
    // A worker cannot report on a held task.
    let out = run.complete("b", json!({}));
    assert!(
        matches!(&out, Outcome::Rejected(r) if r.kind == RefusalKind::WrongStatus && r.message.contains("gate")),
        "{out:?}"
    );
    assert_eq!(decide_on(&mut run, "b", true, ada()), Outcome::Applied);
    assert_eq!(run.t("b").hold, None);
    assert_eq!(run.queued(), vec!["b"]);
    assert_eq!(run.t("b").output["approval"]["by"], json!("ada"));
    run.poll("b");
    run.complete("b", json!({}));
    run.poll("c");
    run.complete("c", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn gates_do_nothing_in_auto_mode() {
    let mut run = Run::started(three(), json!({}));
    run.poll("a");
    run.complete("a", json!({}));
    assert_eq!(run.t("b").hold, None);
    assert_eq!(run.queued(), vec!["b"]);
}

#[test]
fn a_rejected_gate_fails_the_task_or_skips_it() {
    let mut run = Run::started_with(three(), json!({}), options(RunMode::Supervised, &[]));
    run.poll("a");
    run.complete("a", json!({}));
    decide_on(&mut run, "b", false, ada());
    assert_eq!(run.status("b"), Some(TaskStatus::FailedWithTerminalError));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert!(
        run.state
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("rejected by ada (L0): checked")
    );

    let mut def = three();
    def.tasks[1].on_reject = OnReject::Skip;
    let mut run = Run::started_with(def, json!({}), options(RunMode::Supervised, &[]));
    run.poll("a");
    run.complete("a", json!({}));
    decide_on(&mut run, "b", false, ada());
    assert_eq!(run.status("b"), Some(TaskStatus::Skipped));
    assert_eq!(run.queued(), vec!["c"]);
}

#[test]
fn gate_rules_pick_tasks_by_agent_level_and_type() {
    let mut b = simple("b");
    b.role = Some(Role::L2);
    let mut def = wf(vec![simple("a"), b, simple("c")]);
    def.gates.agent_level = vec![Role::L1, Role::L2];
    def.mode = Some(RunMode::Supervised);
    let mut run = Run::started(def.clone(), json!({}));
    assert_eq!(run.t("a").hold, None);
    run.poll("a");
    run.complete("a", json!({}));
    assert_eq!(run.t("b").hold, Some(Hold::Gate));

    def.gates = GateRules {
        task_type: vec!["SIMPLE".into()],
        ..Default::default()
    };
    let run = Run::started(def, json!({}));
    assert_eq!(run.t("a").hold, Some(Hold::Gate));
}

#[test]
fn only_l0_decides_a_gate_and_a_refusal_changes_nothing() {
    let mut run = Run::started_with(three(), json!({}), options(RunMode::Supervised, &[]));
    run.poll("a");
    run.complete("a", json!({}));
    let before = run.state.clone();
    let out = decide_on(&mut run, "b", true, bridge());
    assert!(
        matches!(&out, Outcome::Rejected(r) if r.kind == RefusalKind::Forbidden && r.message.contains("L0")),
        "{out:?}"
    );
    assert_eq!(run.state, before);
}

#[test]
fn a_debug_run_pauses_before_every_task_and_steps_one_at_a_time() {
    let def = wf(vec![simple("a"), simple("b"), simple("c")]);
    let mut run = Run::started_with(def, json!({"k": 1}), options(RunMode::Debug, &[]));
    assert_eq!(run.t("a").hold, Some(Hold::Breakpoint));
    assert!(run.queued().is_empty());
    // A decision is not a step.
    let out = decide_on(&mut run, "a", true, ada());
    assert!(matches!(out, Outcome::Rejected(_)), "{out:?}");
    for r in ["a", "b", "c"] {
        assert_eq!(run.t(r).hold, Some(Hold::Breakpoint), "{r} pauses");
        let out = run.apply(Event::DebugStepped {
            task_ref: None,
            by: bridge(),
        });
        assert_eq!(out, Outcome::Applied);
        assert_eq!(run.queued(), vec![r.to_string()]);
        run.poll(r);
        run.complete(r, json!({}));
    }
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn continue_runs_to_the_next_breakpoint() {
    let def = wf(vec![simple("a"), simple("b"), simple("c")]);
    let mut run = Run::started_with(def, json!({}), options(RunMode::Debug, &["c"]));
    assert_eq!(run.t("a").hold, None, "with breakpoints, only they pause");
    run.poll("a");
    run.complete("a", json!({}));
    run.poll("b");
    run.complete("b", json!({}));
    assert_eq!(run.t("c").hold, Some(Hold::Breakpoint));
    assert_eq!(
        run.apply(Event::DebugContinued { by: bridge() }),
        Outcome::Applied
    );
    assert_eq!(run.queued(), vec!["c"]);

    // Without breakpoints, continue runs to the end.
    let def = wf(vec![simple("a"), simple("b")]);
    let mut run = Run::started_with(def, json!({}), options(RunMode::Debug, &[]));
    run.apply(Event::DebugContinued { by: bridge() });
    run.poll("a");
    run.complete("a", json!({}));
    assert_eq!(run.t("b").hold, None);
    assert_eq!(run.queued(), vec!["b"]);
}

#[test]
fn stepping_a_run_that_is_not_debugged_is_refused() {
    let mut run = Run::started(three(), json!({}));
    let out = run.apply(Event::DebugStepped {
        task_ref: None,
        by: bridge(),
    });
    assert!(
        matches!(&out, Outcome::Rejected(r) if r.message.contains("--mode debug")),
        "{out:?}"
    );
}

#[test]
fn the_input_of_a_held_task_can_be_changed_and_the_queue_gets_it() {
    let a = with_input(
        simple("a"),
        json!({"n": "${workflow.input.n}", "keep": true}),
    );
    let mut run = Run::started_with(wf(vec![a]), json!({"n": 1}), options(RunMode::Debug, &[]));
    assert_eq!(run.t("a").input, json!({"n": 1, "keep": true}));
    let out = run.apply(Event::TaskInputEdited {
        task_ref: "a".into(),
        input: json!({"n": 5}),
        by: bridge(),
    });
    assert_eq!(out, Outcome::Applied);
    run.apply(Event::DebugStepped {
        task_ref: Some("a".into()),
        by: bridge(),
    });
    assert_eq!(run.queue[0].input, json!({"n": 5, "keep": true}));
    // Once it is scheduled, its input is what the worker got.
    let out = run.apply(Event::TaskInputEdited {
        task_ref: "a".into(),
        input: json!({"n": 6}),
        by: bridge(),
    });
    assert!(matches!(out, Outcome::Rejected(_)), "{out:?}");
}

#[test]
fn a_worker_cannot_step_or_edit() {
    let mut run = Run::started_with(three(), json!({}), options(RunMode::Debug, &[]));
    for event in [
        Event::DebugStepped {
            task_ref: None,
            by: Principal::worker("w"),
        },
        Event::DebugContinued {
            by: Principal::worker("w"),
        },
        Event::TaskInputEdited {
            task_ref: "a".into(),
            input: json!({}),
            by: Principal::worker("w"),
        },
    ] {
        let out = run.apply(event);
        assert!(
            matches!(&out, Outcome::Rejected(r) if r.kind == RefusalKind::Forbidden),
            "{out:?}"
        );
    }
}

#[test]
fn a_waiting_human_task_can_be_canceled_and_the_run_fails() {
    let h = task("approve", TaskKind::Human(HumanSpec { approval: true }));
    let mut run = Run::started(wf(vec![h, simple("after")]), json!({}));
    let out = run.apply(Event::TaskCanceled {
        task_ref: "approve".into(),
        reason: Some("not needed".into()),
        by: bridge(),
    });
    assert_eq!(out, Outcome::Applied);
    assert_eq!(run.status("approve"), Some(TaskStatus::Canceled));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert!(
        run.t("approve")
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("canceled by bridge: not needed")
    );

    // A worker task is not canceled this way.
    let mut run = Run::started(wf(vec![simple("a")]), json!({}));
    let out = run.apply(Event::TaskCanceled {
        task_ref: "a".into(),
        reason: None,
        by: bridge(),
    });
    assert!(matches!(out, Outcome::Rejected(_)), "{out:?}");
}

#[test]
fn an_approval_output_is_merged_and_the_decision_wins() {
    let h = task("approve", TaskKind::Human(HumanSpec { approval: true }));
    let mut run = Run::started(wf(vec![h]), json!({}));
    let task_id = run.id("approve");
    run.apply(Event::HumanDecision {
        task_id,
        approved: true,
        by: ada(),
        comment: None,
        output: Some(json!({"ticket": "T-1", "by": "mallory"})),
    });
    let out = &run.t("approve").output;
    assert_eq!(out["ticket"], json!("T-1"));
    assert_eq!(
        out["by"],
        json!("ada"),
        "the record of who decided cannot be forged"
    );
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn an_l2_operates_only_its_own_domain() {
    let ops = Principal::new("ops", Role::L2).with_domain(Some("station-a".into()));
    let mut in_domain = RunOptions {
        domain: Some("station-a".into()),
        ..Default::default()
    };
    let mut run = Run::started_with(three(), json!({}), in_domain.clone());
    assert_eq!(
        run.apply(Event::Paused { by: ops.clone() }),
        Outcome::Applied
    );

    in_domain.domain = Some("station-b".into());
    let mut run = Run::started_with(three(), json!({}), in_domain);
    let out = run.apply(Event::Paused { by: ops.clone() });
    assert!(
        matches!(&out, Outcome::Rejected(r) if r.kind == RefusalKind::Forbidden && r.message.contains("station-b")),
        "{out:?}"
    );

    // A start by an L2 in another domain is refused.
    let mut run = Run::new(three());
    let out = run.apply(Event::WorkflowStarted {
        input: json!({}),
        correlation_id: None,
        parent: None,
        options: RunOptions {
            domain: Some("station-b".into()),
            ..Default::default()
        },
        by: Some(ops),
    });
    assert!(
        matches!(&out, Outcome::Rejected(r) if r.kind == RefusalKind::Forbidden),
        "{out:?}"
    );
}

#[test]
fn permit_answers_each_role() {
    let l3 = Principal::worker("w");
    let l2 = Principal::new("ops", Role::L2).with_domain(Some("a".into()));
    let l1 = bridge();
    let l0 = ada();
    let cases: &[(&Principal, Action, bool)] = &[
        (&l3, Action::WorkTasks, true),
        (&l3, Action::ReadWorkflows, false),
        (&l3, Action::StartWorkflow { domain: None }, false),
        (&l2, Action::ReadWorkflows, true),
        (&l2, Action::ChangeDefinitions, false),
        (&l2, Action::StartWorkflow { domain: Some("a") }, true),
        (&l2, Action::StartWorkflow { domain: Some("b") }, false),
        (&l2, Action::StartWorkflow { domain: None }, false),
        (&l1, Action::ChangeDefinitions, true),
        (&l1, Action::StartWorkflow { domain: Some("b") }, true),
        (&l1, Action::ManageTokens, false),
        (&l0, Action::ManageTokens, true),
    ];
    for (who, action, allowed) in cases {
        let got = permit(who, action);
        assert_eq!(got.is_ok(), *allowed, "{} {action:?}: {got:?}", who.name);
        if let Err(r) = got {
            assert_eq!(r.kind, RefusalKind::Forbidden);
            assert!(r.message.contains("needs"), "{}", r.message);
        }
    }
}

#[test]
fn a_sub_workflow_inherits_its_parents_mode_and_domain() {
    let sub = task(
        "kid",
        TaskKind::SubWorkflow(SubWorkflowSpec {
            name: "kid".into(),
            version: None,
            definition: None,
            extra: Default::default(),
        }),
    );
    let opts = RunOptions {
        mode: Some(RunMode::Supervised),
        breakpoints: Vec::new(),
        domain: Some("station-a".into()),
        runners: None,
    };
    let run = Run::started_with(wf(vec![sub]), json!({}), opts);
    let started = run
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::StartWorkflow(r) => Some(r.clone()),
            _ => None,
        })
        .expect("the child is started");
    assert_eq!(started.options.mode, Some(RunMode::Supervised));
    assert_eq!(started.options.domain.as_deref(), Some("station-a"));
}
