//! Table tests of the effects the decider asks for: the runtime interprets them one to one
//! and adds no writes of its own, so every queue removal, timer clean-up and event for
//! another workflow must be here.

mod support;

use baton_core::*;
use baton_model::*;
use serde_json::{Value, json};
use support::*;

/// The effects of the last applied event (everything `Run` collected since `from`).
fn since(run: &Run, from: usize) -> &[Effect] {
    &run.effects[from..]
}

fn dequeues(effects: &[Effect], task_id: &str) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Dequeue { task_id: t } if t == task_id))
        .count()
}

fn update(task_id: String, status: TaskResultStatus) -> Event {
    Event::TaskUpdated {
        task_id,
        status,
        output: json!({}),
        reason: Some("r".into()),
        callback_after_ms: None,
        worker_id: None,
        by: Principal::worker("w1"),
    }
}

fn with_poll_timeout(mut t: Task, ms: u64) -> Task {
    let mut td = t
        .task_def
        .take()
        .unwrap_or_else(|| TaskDef::no_retries(&t.name));
    td.poll_timeout_ms = ms;
    t.task_def = Some(td);
    t
}

fn with_retries(mut t: Task, n: u32) -> Task {
    let mut td = t
        .task_def
        .take()
        .unwrap_or_else(|| TaskDef::no_retries(&t.name));
    td.retry_count = n;
    td.retry_delay_ms = 0;
    t.task_def = Some(td);
    t
}

#[test]
fn every_attempt_that_ends_leaves_its_queue_once() {
    type Ending = fn(&mut Run, String);
    let cases: Vec<(&str, Ending, TaskStatus)> = vec![
        (
            "completed",
            |run, id| {
                run.apply(update(id, TaskResultStatus::Completed));
            },
            TaskStatus::Completed,
        ),
        (
            "failed, to be retried",
            |run, id| {
                run.apply(update(id, TaskResultStatus::Failed));
            },
            TaskStatus::Failed,
        ),
        (
            "failed with a terminal error",
            |run, id| {
                run.apply(update(id, TaskResultStatus::FailedWithTerminalError));
            },
            TaskStatus::FailedWithTerminalError,
        ),
        (
            "completed after a worker picked it up",
            |run, id| {
                run.apply(Event::TaskStarted {
                    task_id: id.clone(),
                    worker_id: Some("w1".into()),
                    by: Principal::worker("w1"),
                });
                run.apply(update(id, TaskResultStatus::Completed));
            },
            TaskStatus::Completed,
        ),
        (
            "skipped by an operator",
            |run, _| {
                run.apply(Event::TaskSkipped {
                    ref_name: "a".into(),
                    by: Principal::system(),
                });
            },
            TaskStatus::Skipped,
        ),
        (
            "canceled by the workflow's termination",
            |run, _| {
                run.apply(Event::Terminated {
                    reason: "stop".into(),
                    by: Principal::system(),
                });
            },
            TaskStatus::Canceled,
        ),
        (
            "timed out waiting for a worker",
            |run, _| {
                let t = run.now + 5_000;
                run.advance_to(t);
            },
            TaskStatus::TimedOut,
        ),
    ];
    for (name, end, status) in cases {
        let a = with_retries(with_poll_timeout(simple("a"), 5_000), 1);
        let mut run = Run::started(wf(vec![a, simple("b")]), json!({}));
        let id = run.id("a");
        assert_eq!(run.queued(), vec!["a"], "{name}");
        let from = run.effects.len();
        end(&mut run, id.clone());
        let first = run
            .state
            .task(&id)
            .map(|t| t.status)
            .expect("the attempt is kept");
        assert_eq!(first, status, "{name}");
        assert_eq!(
            dequeues(since(&run, from), &id),
            1,
            "{name}: one Dequeue for the attempt that ended: {:?}",
            since(&run, from)
        );
        assert!(
            !run.queue.iter().any(|q| q.task_id == id),
            "{name}: the ended attempt is off the queue"
        );
    }
}

#[test]
fn control_tasks_and_new_attempts_ask_for_no_stray_dequeue() {
    // A retry is a new attempt: it is enqueued, and only the failed one leaves the queue.
    let mut run = Run::started(wf(vec![with_retries(simple("a"), 1)]), json!({}));
    let first = run.id("a");
    let from = run.effects.len();
    run.fail("a", "flaky");
    let second = run.id("a");
    assert_ne!(first, second);
    let effects = since(&run, from);
    assert_eq!(dequeues(effects, &first), 1, "{effects:?}");
    assert_eq!(dequeues(effects, &second), 0, "{effects:?}");
    assert_eq!(run.queued(), vec!["a"]);

    // A progress report (IN_PROGRESS) keeps the attempt on its queue.
    let from = run.effects.len();
    run.apply(update(second.clone(), TaskResultStatus::InProgress));
    assert_eq!(dequeues(since(&run, from), &second), 0);
}

fn child_run() -> Run {
    let mut run = Run::new(wf(vec![simple("a")]));
    run.apply(Event::WorkflowStarted {
        input: json!({}),
        correlation_id: None,
        parent: Some(ParentLink {
            workflow_id: "parent".into(),
            task_id: "parent-t0".into(),
        }),
        options: Default::default(),
        by: None,
    });
    run
}

#[test]
fn a_child_that_ends_tells_its_parent_how_it_ended() {
    type Ending = fn(&mut Run);
    let cases: Vec<(&str, Ending, WorkflowStatus, Value, Option<&str>)> = vec![
        (
            "completed",
            |run| {
                run.complete("a", json!({"x": 1}));
            },
            WorkflowStatus::Completed,
            json!({"x": 1}),
            None,
        ),
        (
            "failed",
            |run| {
                run.fail("a", "boom");
            },
            WorkflowStatus::Failed,
            json!({}),
            Some("boom"),
        ),
        (
            "terminated",
            |run| {
                run.apply(Event::Terminated {
                    reason: "stop".into(),
                    by: Principal::system(),
                });
            },
            WorkflowStatus::Terminated,
            json!({}),
            Some("stop"),
        ),
    ];
    for (name, end, want_status, want_output, want_reason) in cases {
        let mut run = child_run();
        assert!(
            run.delivered.is_empty(),
            "{name}: nothing is sent before the end"
        );
        end(&mut run);
        assert_eq!(run.wf_status(), want_status, "{name}");
        let [(to, event)] = run.delivered.as_slice() else {
            panic!("{name}: one event for the parent: {:?}", run.delivered);
        };
        assert_eq!(to, "parent", "{name}");
        let Event::ChildWorkflowEnded {
            task_id,
            child_id,
            status,
            output,
            reason,
        } = event
        else {
            panic!("{name}: {event:?}");
        };
        assert_eq!(
            (task_id.as_str(), child_id.as_str(), *status),
            ("parent-t0", "wf", want_status),
            "{name}"
        );
        assert_eq!(*output, want_output, "{name}");
        match want_reason {
            Some(w) => assert!(
                reason.as_deref().unwrap_or("").contains(w),
                "{name}: {reason:?}"
            ),
            None => assert_eq!(*reason, None, "{name}"),
        }
    }
}

#[test]
fn a_workflow_without_a_parent_sends_nothing_when_it_ends() {
    let mut run = Run::started(wf(vec![simple("a")]), json!({}));
    run.complete("a", json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
    assert!(run.delivered.is_empty(), "{:?}", run.delivered);
}

#[test]
fn a_parent_that_ends_or_times_out_its_sub_workflow_terminates_the_child() {
    let sub = |timeout_ms: u64| {
        let mut t = task(
            "child",
            TaskKind::SubWorkflow(SubWorkflowSpec {
                name: "kid".into(),
                version: None,
                definition: None,
                extra: Default::default(),
            }),
        );
        if let Some(td) = &mut t.task_def {
            td.timeout_ms = timeout_ms;
        }
        t
    };
    // The parent fails elsewhere: its running child is told to stop.
    let fork = task(
        "fork",
        TaskKind::ForkJoin {
            branches: vec![vec![simple("a")], vec![sub(0)]],
        },
    );
    let mut run = Run::started(wf(vec![fork]), json!({}));
    let child = run.t("child").control.child_id.clone().expect("child id");
    run.fail("a", "boom");
    assert_eq!(run.wf_status(), WorkflowStatus::Failed);
    assert!(
        matches!(run.delivered.as_slice(), [(to, Event::Terminated { reason, .. })]
            if *to == child && reason.contains("ended FAILED")),
        "{:?}",
        run.delivered
    );

    // The SUB_WORKFLOW task times out: the child is stopped with the timeout's reason.
    let mut run = Run::started(wf(vec![sub(1_000)]), json!({}));
    let child = run.t("child").control.child_id.clone().expect("child id");
    run.now += 1_000;
    let timer = Timer {
        kind: TimerKind::TaskTimeout,
        task_id: Some(run.id("child")),
        fire_at: run.now,
    };
    run.apply(Event::TimerFired { timer });
    assert_eq!(run.status("child"), Some(TaskStatus::TimedOut));
    let terminations: Vec<&String> = run
        .delivered
        .iter()
        .filter_map(|(to, e)| matches!(e, Event::Terminated { .. }).then_some(to))
        .collect();
    assert_eq!(terminations, vec![&child], "{:?}", run.delivered);
}

#[test]
fn an_ended_workflow_clears_its_timers() {
    type Ending = fn(&mut Run);
    let cases: Vec<(&str, Ending, WorkflowStatus)> = vec![
        (
            "completed",
            |run| drop(run.complete("a", json!({}))),
            WorkflowStatus::Completed,
        ),
        (
            "failed",
            |run| drop(run.fail("a", "boom")),
            WorkflowStatus::Failed,
        ),
        (
            "terminated",
            |run| {
                run.apply(Event::Terminated {
                    reason: "stop".into(),
                    by: Principal::system(),
                });
            },
            WorkflowStatus::Terminated,
        ),
        (
            "timed out",
            |run| {
                let t = run.now + 60_000;
                run.advance_to(t);
            },
            WorkflowStatus::TimedOut,
        ),
    ];
    for (name, end, status) in cases {
        let mut def = wf(vec![with_poll_timeout(simple("a"), 120_000)]);
        def.timeout_ms = 60_000;
        def.timeout_policy = WorkflowTimeoutPolicy::TimeOutWf;
        let mut run = Run::started(def, json!({}));
        assert_eq!(
            run.timers.len(),
            2,
            "{name}: workflow and poll timeouts armed"
        );
        let from = run.effects.len();
        end(&mut run);
        assert_eq!(run.wf_status(), status, "{name}");
        let effects = since(&run, from);
        let clear = effects.iter().position(|e| *e == Effect::ClearTimers);
        let ended = effects
            .iter()
            .position(|e| matches!(e, Effect::WorkflowEnded { .. }));
        assert!(
            clear.is_some() && clear < ended,
            "{name}: ClearTimers, then WorkflowEnded: {effects:?}"
        );
        assert!(run.timers.is_empty(), "{name}: {:?}", run.timers);
    }
    // A workflow that goes on clears nothing.
    let mut run = Run::started(wf(vec![simple("a"), simple("b")]), json!({}));
    let from = run.effects.len();
    run.complete("a", json!({}));
    assert!(!since(&run, from).contains(&Effect::ClearTimers));
}

#[test]
fn events_that_do_not_apply_ask_for_no_effects() {
    let mut run = child_run();
    let id = run.id("a");
    run.complete("a", json!({}));
    let stale_timer = Timer {
        kind: TimerKind::PollTimeout,
        task_id: Some(id.clone()),
        fire_at: run.now,
    };
    let cases: Vec<(&str, Event)> = vec![
        (
            "a duplicate result",
            update(id.clone(), TaskResultStatus::Completed),
        ),
        (
            "a late failure",
            update(id.clone(), TaskResultStatus::Failed),
        ),
        (
            "a poll of an ended attempt",
            Event::TaskStarted {
                task_id: id.clone(),
                worker_id: None,
                by: Principal::worker("w1"),
            },
        ),
        ("a stale timer", Event::TimerFired { timer: stale_timer }),
        (
            "a second start",
            Event::WorkflowStarted {
                input: json!({}),
                correlation_id: None,
                parent: None,
                options: Default::default(),
                by: None,
            },
        ),
    ];
    for (name, event) in cases {
        let d = decide(&run.def, run.state.clone(), &event, run.now);
        assert!(
            matches!(d.outcome, Outcome::Ignored(_)),
            "{name}: {:?}",
            d.outcome
        );
        assert_eq!(d.effects, Vec::new(), "{name}");
        assert_eq!(d.state, run.state, "{name}");
    }
}

#[test]
fn effects_keep_their_serde_shape() {
    let cases = [
        (
            Effect::Dequeue {
                task_id: "w-t1".into(),
            },
            json!({"effect": "dequeue", "task_id": "w-t1"}),
        ),
        (Effect::ClearTimers, json!({"effect": "clear_timers"})),
        (
            Effect::DeliverEvent {
                workflow_id: "child".into(),
                event: Box::new(Event::Terminated {
                    reason: "why".into(),
                    by: Principal::system(),
                }),
            },
            json!({"effect": "deliver_event", "workflow_id": "child",
                   "event": {"event": "terminated", "reason": "why",
                             "by": {"name": "baton", "role": "L0"}}}),
        ),
        (
            Effect::WorkflowEnded {
                status: WorkflowStatus::Completed,
            },
            json!({"effect": "workflow_ended", "status": "COMPLETED"}),
        ),
    ];
    for (effect, want) in cases {
        let v = serde_json::to_value(&effect).expect("encode");
        assert_eq!(v, want);
        let back: Effect = serde_json::from_value(v).expect("decode");
        assert_eq!(back, effect);
    }
}
