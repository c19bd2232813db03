//! Table tests of the failure paths: retries, timeouts, optional tasks, failure
//! workflows, duplicate and late results, operator commands.

mod support;

use baton_core::*;
use baton_model::*;
use serde_json::json;
use support::*;

fn retrying(r: &str, retries: u32, logic: RetryLogic, delay_ms: u64) -> Task {
    let mut t = simple(r);
    t.task_def = Some(TaskDef {
        retry_count: retries,
        retry_logic: logic,
        retry_delay_ms: delay_ms,
        backoff_scale_factor: 2,
        ..TaskDef::no_retries(r)
    });
    t
}

#[test]
fn failed_attempts_are_retried_with_backoff_as_new_attempts() {
    for (logic, delays) in [
        (RetryLogic::Fixed, [1000u64, 1000, 1000]),
        (RetryLogic::ExponentialBackoff, [1000, 2000, 4000]),
        (RetryLogic::LinearBackoff, [2000, 4000, 6000]),
    ] {
        let mut run = Run::started(wf(vec![retrying("a", 3, logic, 1000)]), json!({}));
        let mut ids = vec![run.id("a")];
        for (attempt, base) in delays.iter().enumerate() {
            run.fail("a", "flaky");
            let t = run.t("a");
            assert_eq!(t.attempt as usize, attempt + 1, "{logic:?}");
            assert_eq!(t.status, TaskStatus::Scheduled);
            let q = run
                .queue
                .iter()
                .find(|q| q.task_id == t.task_id)
                .expect("queued");
            let delay = q.visible_at - run.now;
            assert!(
                delay >= *base && delay <= base + base / 10,
                "{logic:?} attempt {attempt}: {delay} vs {base}"
            );
            ids.push(t.task_id.clone());
        }
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "each retry is a new task id");
        run.fail("a", "still broken");
        assert_eq!(
            run.wf_status(),
            WorkflowStatus::Failed,
            "{logic:?}: retries exhausted"
        );
        assert_eq!(run.state.failed_task_ref.as_deref(), Some("a"));
        assert!(
            run.state
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("still broken")
        );
    }
}

#[test]
fn terminal_errors_are_not_retried() {
    let mut run = Run::started(wf(vec![retrying("a", 3, RetryLogic::Fixed, 10)]), json!({}));
    let id = run.id("a");
    run.apply(Event::TaskUpdated {
        task_id: id,
        status: TaskResultStatus::FailedWithTerminalError,
        output: json!({}),
        reason: Some("bad input".into()),
        callback_after_ms: None,
        worker_id: None,
        by: Principal::worker("w1"),
    });
    assert_eq!(run.t("a").attempt, 0);
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
}

#[test]
fn optional_task_failure_lets_the_workflow_continue() {
    let mut opt = simple("opt");
    opt.optional = true;
    let mut run = Run::started(wf(vec![opt, simple("next")]), json!({}));
    run.fail("opt", "meh");
    assert_eq!(run.status("opt"), Some(TaskStatus::CompletedWithErrors));
    run.complete("next", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn exhausted_retries_start_the_failure_workflow() {
    let mut def = wf(vec![simple("a")]);
    def.failure_workflow = Some(FailureWorkflow::Named("cleanup".into()));
    let mut run = Run::started(def, json!({"k": 1}));
    run.fail("a", "boom");
    let starts = run.started_workflows();
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].name, "cleanup");
    assert_eq!(starts[0].input["workflowId"], json!("wf"));
    assert_eq!(starts[0].input["failureStatus"], json!("FAILED"));
    assert_eq!(starts[0].input["failedTaskRef"], json!("a"));
    assert_eq!(starts[0].input["input"], json!({"k": 1}));

    let mut def = wf(vec![simple("a")]);
    def.failure_workflow = Some(FailureWorkflow::Inline {
        id: "handler".into(),
        steps: vec!["log".into(), "notify".into()],
    });
    let mut run = Run::started(def, json!({}));
    run.fail("a", "boom");
    let inline = run.started_workflows()[0]
        .definition
        .clone()
        .expect("inline definition");
    let names: Vec<_> = inline.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["log", "notify"]);
}

#[test]
fn no_failure_workflow_on_success_or_operator_termination() {
    let mut def = wf(vec![simple("a")]);
    def.failure_workflow = Some(FailureWorkflow::Named("cleanup".into()));
    let mut run = Run::started(def, json!({}));
    run.apply(Event::Terminated {
        reason: "stop".into(),
        by: Principal::system(),
    });
    assert_eq!(run.wf_status(), WorkflowStatus::Terminated);
    assert!(run.started_workflows().is_empty());
}

fn timed(
    policy: TaskTimeoutPolicy,
    timeout_ms: u64,
    response_ms: u64,
    retries: u32,
) -> WorkflowDef {
    let mut t = simple("a");
    t.task_def = Some(TaskDef {
        timeout_ms,
        timeout_policy: policy,
        response_timeout_ms: response_ms,
        retry_count: retries,
        retry_delay_ms: 0,
        ..TaskDef::no_retries("a")
    });
    wf(vec![t])
}

#[test]
fn task_timeout_policies() {
    // RETRY: the attempt times out and a new one is scheduled.
    let mut run = Run::started(timed(TaskTimeoutPolicy::Retry, 5000, 0, 1), json!({}));
    run.poll("a");
    let t0 = run.now;
    run.advance_to(t0 + 5000);
    assert_eq!(run.state.tasks[0].status, TaskStatus::TimedOut);
    assert_eq!(run.t("a").attempt, 1);
    assert_eq!(run.wf_status(), WorkflowStatus::Running);

    // TIME_OUT_WF: the workflow times out.
    let mut run = Run::started(timed(TaskTimeoutPolicy::TimeOutWf, 5000, 0, 3), json!({}));
    run.poll("a");
    let t0 = run.now;
    run.advance_to(t0 + 5000);
    assert_eq!(run.wf_status(), WorkflowStatus::TimedOut);

    // ALERT_ONLY: an alert, the attempt keeps running.
    let mut run = Run::started(timed(TaskTimeoutPolicy::AlertOnly, 5000, 0, 0), json!({}));
    run.poll("a");
    let t0 = run.now;
    run.advance_to(t0 + 5000);
    assert_eq!(run.status("a"), Some(TaskStatus::InProgress));
    assert!(
        run.effects
            .iter()
            .any(|e| matches!(e, Effect::Alert { .. }))
    );
}

#[test]
fn response_timeout_retries_a_silent_worker_but_progress_extends_it() {
    let mut run = Run::started(timed(TaskTimeoutPolicy::Retry, 0, 1000, 1), json!({}));
    run.poll("a");
    let t0 = run.now;
    run.now = t0 + 800;
    let id = run.id("a");
    run.apply(Event::TaskUpdated {
        task_id: id.clone(),
        status: TaskResultStatus::InProgress,
        output: json!({"progress": 50}),
        reason: None,
        callback_after_ms: None,
        worker_id: None,
        by: Principal::worker("w1"),
    });
    run.advance_to(t0 + 1500);
    assert_eq!(
        run.status("a"),
        Some(TaskStatus::InProgress),
        "the heartbeat moved the deadline"
    );
    assert_eq!(run.t("a").output, json!({"progress": 50}));
    run.advance_to(t0 + 1800);
    assert_eq!(run.state.tasks[0].status, TaskStatus::TimedOut);
    assert_eq!(run.t("a").attempt, 1, "retried");
    let late = run.apply(Event::TaskUpdated {
        task_id: id,
        status: TaskResultStatus::Completed,
        output: json!({}),
        reason: None,
        callback_after_ms: None,
        worker_id: None,
        by: Principal::worker("w1"),
    });
    assert!(
        matches!(late, Outcome::Ignored(_)),
        "a late result from the timed-out attempt changes nothing"
    );
}

#[test]
fn poll_timeout_when_no_worker_picks_the_task_up() {
    let mut t = simple("a");
    t.task_def = Some(TaskDef {
        poll_timeout_ms: 2000,
        ..TaskDef::no_retries("a")
    });
    let mut run = Run::started(wf(vec![t]), json!({}));
    let t0 = run.now;
    run.advance_to(t0 + 2000);
    assert_eq!(run.status("a"), Some(TaskStatus::TimedOut));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
}

#[test]
fn callback_after_puts_the_task_back_on_the_queue_later() {
    let mut run = Run::started(wf(vec![simple("a")]), json!({}));
    run.poll("a");
    run.queue.clear();
    let id = run.id("a");
    run.apply(Event::TaskUpdated {
        task_id: id,
        status: TaskResultStatus::InProgress,
        output: json!({}),
        reason: None,
        callback_after_ms: Some(60_000),
        worker_id: None,
        by: Principal::worker("w1"),
    });
    assert_eq!(run.queue.len(), 1);
    assert_eq!(run.queue[0].visible_at, run.now + 60_000);
}

#[test]
fn callback_after_never_queues_a_task_no_worker_runs() {
    // A HUMAN task on a queue named `HUMAN` would let any worker poll it.
    let mut run = Run::started(
        wf(vec![task("ask", TaskKind::Human(HumanSpec::default()))]),
        json!({}),
    );
    let id = run.id("ask");
    let outcome = run.apply(Event::TaskUpdated {
        task_id: id,
        status: TaskResultStatus::InProgress,
        output: json!({"note": "later"}),
        reason: None,
        callback_after_ms: Some(60_000),
        worker_id: None,
        by: Principal::system(),
    });
    assert_eq!(outcome, Outcome::Applied);
    assert!(run.queue.is_empty(), "{:?}", run.queue);
    assert_eq!(run.status("ask"), Some(TaskStatus::InProgress));
}

#[test]
fn workflow_timeout_policies() {
    let mut def = wf(vec![simple("a")]);
    def.timeout_ms = 10_000;
    def.timeout_policy = WorkflowTimeoutPolicy::TimeOutWf;
    def.failure_workflow = Some(FailureWorkflow::Named("f".into()));
    let mut run = Run::started(def.clone(), json!({}));
    let t0 = run.now;
    run.advance_to(t0 + 10_000);
    assert_eq!(run.wf_status(), WorkflowStatus::TimedOut);
    assert_eq!(run.status("a"), Some(TaskStatus::Canceled));
    assert!(run.queue.is_empty(), "canceled tasks leave the queue");
    assert_eq!(
        run.started_workflows()[0].input["failureStatus"],
        json!("TIMED_OUT")
    );

    def.timeout_policy = WorkflowTimeoutPolicy::AlertOnly;
    let mut run = Run::started(def, json!({}));
    run.advance_to(t0 + 10_000);
    assert_eq!(run.wf_status(), WorkflowStatus::Running);
    assert!(
        run.effects
            .iter()
            .any(|e| matches!(e, Effect::Alert { .. }))
    );
}

#[test]
fn duplicate_and_late_results_change_nothing() {
    let mut run = Run::started(wf(vec![simple("a"), simple("b")]), json!({}));
    let a = run.id("a");
    run.complete("a", json!({"v": 1}));
    let again = run.apply(Event::TaskUpdated {
        task_id: a.clone(),
        status: TaskResultStatus::Failed,
        output: json!({"v": 2}),
        reason: None,
        callback_after_ms: None,
        worker_id: None,
        by: Principal::worker("w1"),
    });
    assert!(matches!(again, Outcome::Ignored(ref r) if r.kind == RefusalKind::Duplicate));
    assert_eq!(run.t("a").output, json!({"v": 1}));
    assert_eq!(
        run.state.tasks.iter().filter(|t| t.ref_name == "b").count(),
        1,
        "b scheduled once"
    );
    let unknown = run.apply(Event::TaskStarted {
        task_id: "nope".into(),
        worker_id: None,
        by: Principal::worker("w1"),
    });
    assert!(matches!(unknown, Outcome::Rejected(ref r) if r.kind == RefusalKind::UnknownTask));
}

#[test]
fn control_tasks_cannot_be_completed_from_outside() {
    let def = wf(vec![
        task(
            "fork",
            TaskKind::ForkJoin {
                branches: vec![vec![simple("x")]],
            },
        ),
        task(
            "join",
            TaskKind::Join {
                join_on: vec!["x".into()],
            },
        ),
    ]);
    let mut run = Run::started(def, json!({}));
    let join = run.id("join");
    let out = run.apply(Event::TaskUpdated {
        task_id: join,
        status: TaskResultStatus::Completed,
        output: json!({}),
        reason: None,
        callback_after_ms: None,
        worker_id: None,
        by: Principal::worker("w1"),
    });
    assert!(
        matches!(out, Outcome::Rejected(ref r) if r.kind == RefusalKind::EngineOwned),
        "{out:?}"
    );
}

#[test]
fn pause_holds_new_work_and_resume_continues() {
    let mut run = Run::started(wf(vec![simple("a"), simple("b")]), json!({}));
    run.apply(Event::Paused {
        by: Principal::system(),
    });
    assert_eq!(run.wf_status(), WorkflowStatus::Paused);
    run.complete("a", json!({}));
    assert_eq!(
        run.status("a"),
        Some(TaskStatus::Completed),
        "results are still recorded"
    );
    assert_eq!(
        run.status("b"),
        None,
        "nothing new is scheduled while paused"
    );
    assert!(matches!(
        run.apply(Event::Paused {
            by: Principal::system()
        }),
        Outcome::Rejected(_)
    ));
    run.apply(Event::Resumed {
        by: Principal::system(),
    });
    assert_eq!(run.queued(), vec!["b"]);
    assert!(matches!(
        run.apply(Event::Resumed {
            by: Principal::system()
        }),
        Outcome::Rejected(_)
    ));
}

#[test]
fn terminate_cancels_running_tasks_and_children() {
    let sub = task(
        "child",
        TaskKind::SubWorkflow(SubWorkflowSpec {
            name: "kid".into(),
            version: None,
            definition: None,
            extra: Default::default(),
        }),
    );
    let def = wf(vec![task(
        "fork",
        TaskKind::ForkJoin {
            branches: vec![vec![simple("a")], vec![sub]],
        },
    )]);
    let mut run = Run::started(def, json!({}));
    run.apply(Event::Terminated {
        reason: "enough".into(),
        by: principal_named("ops"),
    });
    assert_eq!(run.wf_status(), WorkflowStatus::Terminated);
    assert_eq!(run.status("a"), Some(TaskStatus::Canceled));
    let child = run.t("child").control.child_id.clone().expect("a child id");
    assert!(
        matches!(
            run.delivered.as_slice(),
            [(to, Event::Terminated { reason, by })]
                if *to == child && reason.contains("ended TERMINATED") && *by == Principal::system()
        ),
        "the running child is told to terminate: {:?}",
        run.delivered
    );
    assert!(run.state.reason.as_deref().unwrap_or("").contains("ops"));
    assert!(matches!(
        run.apply(Event::Terminated {
            reason: "again".into(),
            by: principal_named("ops")
        }),
        Outcome::Rejected(_)
    ));
}

fn principal_named(n: &str) -> Principal {
    Principal::new(n, Role::L1)
}

#[test]
fn operator_retry_resumes_a_failed_workflow_from_the_failed_task() {
    let mut run = Run::started(wf(vec![simple("a"), simple("b")]), json!({}));
    run.complete("a", json!({}));
    run.fail("b", "down");
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    run.apply(Event::Retried {
        by: principal_named("ops"),
    });
    assert_eq!(run.wf_status(), WorkflowStatus::Running);
    assert_eq!(run.t("b").attempt, 1);
    assert_eq!(run.queued(), vec!["b"]);
    run.complete("b", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
    assert!(matches!(
        run.apply(Event::Retried {
            by: principal_named("ops")
        }),
        Outcome::Rejected(_)
    ));
}

#[test]
fn operator_skip_lets_successors_run() {
    let mut run = Run::started(wf(vec![simple("a"), simple("b")]), json!({}));
    run.apply(Event::TaskSkipped {
        ref_name: "a".into(),
        by: principal_named("ops"),
    });
    assert_eq!(run.status("a"), Some(TaskStatus::Skipped));
    assert_eq!(run.queued(), vec!["b"]);
    assert!(matches!(
        run.apply(Event::TaskSkipped {
            ref_name: "zzz".into(),
            by: principal_named("ops")
        }),
        Outcome::Rejected(_)
    ));
}

#[test]
fn events_before_start_or_after_the_end_are_refused_or_ignored() {
    let mut run = Run::new(wf(vec![simple("a")]));
    assert!(matches!(
        run.apply(Event::Paused {
            by: Principal::system()
        }),
        Outcome::Rejected(_)
    ));
    run.apply(Event::WorkflowStarted {
        input: json!({}),
        correlation_id: None,
        parent: None,
        options: Default::default(),
        by: None,
    });
    assert!(matches!(
        run.apply(Event::WorkflowStarted {
            input: json!({}),
            correlation_id: None,
            parent: None,
            options: Default::default(),
            by: None,
        }),
        Outcome::Ignored(_)
    ));
    let bad = run.apply(Event::WorkflowStarted {
        input: json!([1]),
        correlation_id: None,
        parent: None,
        options: Default::default(),
        by: None,
    });
    assert!(matches!(bad, Outcome::Ignored(_)));
    let mut fresh = Run::new(wf(vec![simple("a")]));
    let bad = fresh.apply(Event::WorkflowStarted {
        input: json!([1]),
        correlation_id: None,
        parent: None,
        options: Default::default(),
        by: None,
    });
    assert!(
        matches!(bad, Outcome::Rejected(ref m) if m.contains("object")),
        "{bad:?}"
    );
}

#[test]
fn operator_restart_runs_an_ended_workflow_again_with_fresh_task_ids() {
    let mut run = Run::started(wf(vec![simple("a"), simple("b")]), json!({"k": 1}));
    let first_a = run.id("a");
    assert!(matches!(
        run.apply(Event::Restarted {
            by: principal_named("ops")
        }),
        Outcome::Rejected(_)
    ));
    run.complete("a", json!({}));
    run.fail("b", "x");
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    run.apply(Event::Restarted {
        by: principal_named("ops"),
    });
    assert_eq!(run.wf_status(), WorkflowStatus::Running);
    assert_eq!(run.state.tasks.len(), 1, "tasks start over");
    assert_ne!(run.id("a"), first_a, "task ids are never reused");
    assert_eq!(run.state.input, json!({"k": 1}));
    run.complete("a", json!({}));
    run.complete("b", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);

    let mut def = wf(vec![simple("a")]);
    def.restartable = false;
    let mut run = Run::started(def, json!({}));
    run.complete("a", json!({}));
    assert!(matches!(
        run.apply(Event::Restarted {
            by: principal_named("ops")
        }),
        Outcome::Rejected(_)
    ));
}

#[test]
fn operator_rerun_from_a_task_or_from_the_start() {
    let mut run = Run::started(
        wf(vec![simple("a"), simple("b"), simple("c")]),
        json!({"k": 1}),
    );
    run.complete("a", json!({"a": 1}));
    let b_id = run.id("b");
    run.complete("b", json!({}));
    run.fail("c", "x");
    assert!(matches!(
        run.apply(Event::Rerun {
            from_task_id: Some("nope".into()),
            workflow_input: None,
            task_input: None,
            by: principal_named("ops")
        }),
        Outcome::Rejected(_)
    ));
    run.apply(Event::Rerun {
        from_task_id: Some(b_id.clone()),
        workflow_input: None,
        task_input: Some(json!({"extra": true})),
        by: principal_named("ops"),
    });
    assert_eq!(run.wf_status(), WorkflowStatus::Running);
    assert_eq!(
        run.status("a"),
        Some(TaskStatus::Completed),
        "tasks before the rerun task are kept"
    );
    assert_eq!(run.status("c"), None, "tasks after it are dropped");
    assert_ne!(run.id("b"), b_id);
    assert_eq!(run.t("b").input["extra"], json!(true));
    assert_eq!(
        run.queue
            .iter()
            .find(|q| q.ref_name == "b")
            .map(|q| q.input["extra"].clone()),
        Some(json!(true))
    );
    run.complete("b", json!({}));
    run.complete("c", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);

    run.apply(Event::Rerun {
        from_task_id: None,
        workflow_input: Some(json!({"k": 2})),
        task_input: None,
        by: principal_named("ops"),
    });
    assert_eq!(run.state.input, json!({"k": 2}));
    assert_eq!(run.queued(), vec!["a"]);
}

#[test]
fn task_level_retry_count_overrides_the_task_definition() {
    let mut t = simple("a");
    t.extra.insert("retryCount".into(), json!(1));
    t.task_def = Some(TaskDef {
        retry_count: 5,
        retry_delay_ms: 0,
        ..TaskDef::no_retries("a")
    });
    let mut run = Run::started(wf(vec![t]), json!({}));
    run.fail("a", "x");
    assert_eq!(run.t("a").attempt, 1);
    run.fail("a", "x");
    assert_eq!(
        run.wf_status(),
        WorkflowStatus::Failed,
        "one retry, as the task says"
    );
}

#[test]
fn a_sub_workflow_task_timeout_times_the_task_out_and_terminates_the_child() {
    let mut sub = task(
        "child",
        TaskKind::SubWorkflow(SubWorkflowSpec {
            name: "kid".into(),
            version: None,
            definition: None,
            extra: Default::default(),
        }),
    );
    sub.task_def = Some(TaskDef {
        timeout_ms: 5_000,
        ..TaskDef::no_retries("child")
    });
    let mut run = Run::started(wf(vec![sub]), json!({}));
    assert!(
        run.timers.iter().any(|t| t.kind == TimerKind::TaskTimeout),
        "the SUB_WORKFLOW task arms its timeout: {:?}",
        run.timers
    );
    let child = run.t("child").control.child_id.clone().expect("a child id");
    let start = run.now;
    run.advance_to(start + 4_999);
    assert_eq!(run.status("child"), Some(TaskStatus::InProgress));
    run.advance_to(start + 5_000);
    assert_eq!(run.status("child"), Some(TaskStatus::TimedOut));
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert!(
        run.delivered
            .iter()
            .any(|(to, e)| *to == child && matches!(e, Event::Terminated { .. })),
        "the child is terminated: {:?}",
        run.delivered
    );
}

#[test]
fn a_rerun_inside_a_fork_makes_its_join_wait_again() {
    let fork = task(
        "fork",
        TaskKind::ForkJoin {
            branches: vec![vec![simple("a")], vec![simple("b1"), simple("b2")]],
        },
    );
    let join = task(
        "join",
        TaskKind::Join {
            join_on: vec!["a".into(), "b2".into()],
        },
    );
    let mut run = Run::started(wf(vec![fork, join, simple("after")]), json!({}));
    run.complete("a", json!({"a": 1}));
    run.complete("b1", json!({}));
    run.complete("b2", json!({"b": 1}));
    run.complete("after", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);

    // From a completed run: the JOIN must wait for the rerun branch again.
    let b1 = run.id("b1");
    run.apply(Event::Rerun {
        from_task_id: Some(b1),
        workflow_input: None,
        task_input: None,
        by: principal_named("ops"),
    });
    assert_eq!(
        run.status("join"),
        Some(TaskStatus::InProgress),
        "{:?}",
        run.refs()
    );
    assert_eq!(run.queued(), vec!["b1"], "`after` waits for the JOIN");
    run.complete("b1", json!({}));
    run.complete("b2", json!({"b": 2}));
    assert_eq!(run.status("join"), Some(TaskStatus::Completed));
    assert_eq!(
        run.t("join").output["b2"],
        json!({"b": 2}),
        "the JOIN joined the new output"
    );
    run.complete("after", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);

    // From a failed run: a branch the failure canceled runs again too.
    let mut run = Run::started(
        wf(vec![
            task(
                "fork",
                TaskKind::ForkJoin {
                    branches: vec![vec![simple("a")], vec![simple("b")]],
                },
            ),
            task(
                "join",
                TaskKind::Join {
                    join_on: vec!["a".into(), "b".into()],
                },
            ),
        ]),
        json!({}),
    );
    run.fail("b", "down");
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert_eq!(run.status("a"), Some(TaskStatus::Canceled));
    let b = run.id("b");
    run.apply(Event::Rerun {
        from_task_id: Some(b),
        workflow_input: None,
        task_input: None,
        by: principal_named("ops"),
    });
    let mut queued = run.queued();
    queued.sort();
    assert_eq!(queued, vec!["a", "b"], "the canceled branch runs again");
    run.complete("a", json!({}));
    run.complete("b", json!({}));
    assert_eq!(
        run.wf_status(),
        WorkflowStatus::Completed,
        "{:?}",
        run.refs()
    );
}
