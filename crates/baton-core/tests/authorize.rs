//! Table tests of `authorize`: who may cause which event (allowed and denied), and that
//! `decide` refuses a forbidden event before any handler, changing nothing.

mod support;

use baton_core::*;
use baton_model::*;
use serde_json::json;
use support::*;

const ROLES: [Role; 4] = [Role::L0, Role::L1, Role::L2, Role::L3];

fn who(role: Role) -> Principal {
    match role {
        Role::L3 => Principal::worker("w1"),
        r => Principal::new(format!("{r:?}-person"), r),
    }
}

/// A workflow waiting on a HUMAN task (with `role`), followed by a SIMPLE task.
fn human_run(role: Option<Role>) -> Run {
    let mut h = task("approve", TaskKind::Human(HumanSpec { approval: true }));
    h.role = role;
    Run::started(wf(vec![h, simple("after")]), json!({}))
}

fn updated(task_id: &str, status: TaskResultStatus, by: Principal) -> Event {
    Event::TaskUpdated {
        task_id: task_id.to_string(),
        status,
        output: json!({}),
        reason: None,
        callback_after_ms: None,
        worker_id: None,
        by,
    }
}

fn check(run: &Run, event: &Event, allowed: bool, case: &str) {
    let got = authorize(&run.def, &run.state, event);
    match (&got, allowed) {
        (Ok(()), true) => {}
        (Err(r), false) => assert_eq!(r.kind, RefusalKind::Forbidden, "{case}: {r}"),
        _ => panic!("{case}: expected allowed={allowed}, got {got:?}"),
    }
}

#[test]
fn a_human_task_is_completed_or_failed_only_at_or_above_its_role() {
    let statuses = [
        TaskResultStatus::Completed,
        TaskResultStatus::Failed,
        TaskResultStatus::FailedWithTerminalError,
        TaskResultStatus::InProgress,
    ];
    for task_role in [None, Some(Role::L0), Some(Role::L1), Some(Role::L2)] {
        let run = human_run(task_role);
        let id = run.id("approve");
        let required = task_role.unwrap_or(Role::L0);
        for role in ROLES {
            for status in statuses {
                // Workers never touch a HUMAN task; others report progress freely and
                // complete / fail it with enough authority.
                let allowed = role != Role::L3
                    && (status == TaskResultStatus::InProgress || role <= required);
                let case = format!("task role {task_role:?}, principal {role:?}, {status:?}");
                check(&run, &updated(&id, status, who(role)), allowed, &case);
            }
            let decision = Event::HumanDecision {
                task_id: id.clone(),
                approved: true,
                by: who(role),
                comment: None,
                output: None,
            };
            let case = format!("task role {task_role:?}, principal {role:?}, decision");
            check(&run, &decision, role <= required, &case);
            let polled = Event::TaskStarted {
                task_id: id.clone(),
                worker_id: None,
                by: who(role),
            };
            let case = format!("task role {task_role:?}, principal {role:?}, poll");
            check(&run, &polled, role != Role::L3, &case);
        }
    }
}

#[test]
fn workers_poll_and_update_worker_tasks() {
    let run = Run::started(wf(vec![simple("a")]), json!({}));
    let id = run.id("a");
    for role in ROLES {
        let polled = Event::TaskStarted {
            task_id: id.clone(),
            worker_id: Some("w1".into()),
            by: who(role),
        };
        check(&run, &polled, true, &format!("{role:?} polls"));
        for status in [
            TaskResultStatus::InProgress,
            TaskResultStatus::Completed,
            TaskResultStatus::Failed,
            TaskResultStatus::FailedWithTerminalError,
        ] {
            let case = format!("{role:?} reports {status:?}");
            check(&run, &updated(&id, status, who(role)), true, &case);
        }
    }
}

#[test]
fn operator_events_need_l1_or_higher() {
    let run = Run::started(wf(vec![simple("a")]), json!({}));
    for role in ROLES {
        let by = who(role);
        let events = [
            Event::Paused { by: by.clone() },
            Event::Resumed { by: by.clone() },
            Event::Terminated {
                reason: "r".into(),
                by: by.clone(),
            },
            Event::Retried { by: by.clone() },
            Event::Restarted { by: by.clone() },
            Event::Rerun {
                from_task_id: None,
                workflow_input: None,
                task_input: None,
                by: by.clone(),
            },
            Event::TaskSkipped {
                ref_name: "a".into(),
                by: by.clone(),
            },
        ];
        for e in &events {
            check(&run, e, role <= Role::L1, &format!("{role:?}: {e:?}"));
        }
    }
}

#[test]
fn engine_events_carry_no_principal_and_are_allowed() {
    let run = human_run(Some(Role::L0));
    let id = run.id("approve");
    let events = [
        Event::WorkflowStarted {
            input: json!({}),
            correlation_id: None,
            parent: None,
            options: Default::default(),
            by: None,
        },
        Event::TimerFired {
            timer: Timer {
                kind: TimerKind::TaskTimeout,
                task_id: Some(id.clone()),
                fire_at: 0,
            },
        },
        Event::ChildWorkflowEnded {
            task_id: id,
            child_id: "c".into(),
            status: WorkflowStatus::Completed,
            output: json!({}),
            reason: None,
        },
    ];
    for e in &events {
        check(&run, e, true, &format!("{e:?}"));
    }
}

#[test]
fn unknown_tasks_pass_authorize_and_the_handler_names_them() {
    let mut run = human_run(None);
    let e = updated(
        "nope-t99",
        TaskResultStatus::Completed,
        Principal::worker("w1"),
    );
    assert_eq!(authorize(&run.def, &run.state, &e), Ok(()));
    match run.apply(e) {
        Outcome::Rejected(r) => assert_eq!(r.kind, RefusalKind::UnknownTask, "{r}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn decide_refuses_a_forbidden_event_first_and_changes_nothing() {
    let run = human_run(Some(Role::L1));
    let id = run.id("approve");
    let before = run.state.clone();
    let d = decide(
        &run.def,
        run.state.clone(),
        &updated(&id, TaskResultStatus::Completed, Principal::worker("w1")),
        run.now + 10,
    );
    match &d.outcome {
        Outcome::Rejected(r) => {
            assert_eq!(r.kind, RefusalKind::Forbidden);
            assert!(r.message.contains("L1"), "{r}");
            assert!(r.message.contains("approve"), "{r}");
            assert_eq!(r.to_string(), r.message);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(d.state, before);
    assert!(d.effects.is_empty());
    assert!(d.transitions.is_empty());

    // The same with a person of enough authority applies.
    let mut run = run;
    let out = run.apply(updated(
        &id,
        TaskResultStatus::Completed,
        Principal::new("bridge", Role::L1),
    ));
    assert_eq!(out, Outcome::Applied);
    assert_eq!(run.status("approve"), Some(TaskStatus::Completed));
    assert_eq!(run.queued(), vec!["after"]);
}

#[test]
fn events_stored_without_a_principal_replay_as_they_were_applied() {
    // A history written before TaskStarted/TaskUpdated carried `by`: a worker completed
    // the HUMAN task. It reads with the legacy principal (L0) and replays the same way.
    let mut run = human_run(None);
    let id = run.id("approve");
    let stored = json!({
        "event": "task_updated",
        "task_id": id,
        "status": "COMPLETED",
        "output": {"ok": true}
    });
    let event: Event = serde_json::from_value(stored).expect("old event reads");
    match &event {
        Event::TaskUpdated { by, .. } => assert_eq!(*by, Principal::legacy()),
        other => panic!("{other:?}"),
    }
    let polled: Event =
        serde_json::from_value(json!({"event": "task_started", "task_id": id})).expect("reads");
    assert!(matches!(polled, Event::TaskStarted { ref by, .. } if *by == Principal::legacy()));
    assert_eq!(run.apply(event), Outcome::Applied);
    assert_eq!(run.status("approve"), Some(TaskStatus::Completed));
    let replayed = replay(
        &run.def,
        &run.state.workflow_id,
        run.history.iter().map(|(e, at)| (e, *at)),
    );
    assert_eq!(replayed, run.state);
}
