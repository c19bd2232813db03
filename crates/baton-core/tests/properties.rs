//! Property tests: random event orders never corrupt a workflow.
//!
//! For several definition shapes, a random script of worker results, polls, timer
//! firings, duplicates and operator commands is applied. After every step:
//! - replaying the history reproduces the state (checked inside `Run::apply`);
//! - no ref has two live attempts, and a live attempt is never followed by a newer one;
//! - an ended workflow has no live tasks;
//!
//! And once the script ends, finishing every task drives the workflow to an end.

mod support;

use baton_core::*;
use baton_model::*;
use indexmap::IndexMap;
use proptest::prelude::*;
use serde_json::json;
use support::*;

fn retrying(r: &str) -> Task {
    let mut t = simple(r);
    t.task_def = Some(TaskDef {
        retry_count: 2,
        retry_delay_ms: 500,
        response_timeout_ms: 3000,
        timeout_ms: 10_000,
        ..TaskDef::no_retries(r)
    });
    t
}

fn shapes() -> Vec<WorkflowDef> {
    let mut cases = IndexMap::new();
    cases.insert("a".to_string(), vec![retrying("sa")]);
    let switch = with_input(
        task(
            "sw",
            TaskKind::Switch(SwitchSpec {
                evaluator: Evaluator::ValueParam,
                expression: "v".into(),
                cases,
                default_case: vec![simple("sd")],
                next: IndexMap::new(),
                next_default: None,
                fail_on_no_match: false,
                legacy_decision: false,
            }),
        ),
        json!({"v": "${first.output.v}"}),
    );
    let mut optional = simple("opt");
    optional.optional = true;
    let mut next = IndexMap::new();
    next.insert("X".to_string(), "hx".to_string());
    next.insert("Y".to_string(), "hy".to_string());
    let decision = with_input(
        task(
            "gate",
            TaskKind::Switch(SwitchSpec {
                evaluator: Evaluator::ValueParam,
                expression: "p".into(),
                cases: IndexMap::new(),
                default_case: Vec::new(),
                next,
                next_default: Some("hy".into()),
                fail_on_no_match: true,
                legacy_decision: true,
            }),
        ),
        json!({"p": "${first.output.v}"}),
    );
    let lp = task(
        "loop",
        TaskKind::DoWhile(DoWhileSpec {
            condition: "$.loop['iteration'] < 3".into(),
            body: vec![retrying("body")],
            items_param: None,
            max_iterations: Some(10),
        }),
    );
    let mut timed = wf(vec![retrying("only")]);
    timed.timeout_ms = 20_000;
    timed.timeout_policy = WorkflowTimeoutPolicy::TimeOutWf;
    vec![
        wf(vec![retrying("first"), retrying("second"), simple("third")]),
        wf(vec![retrying("first"), switch, optional, simple("last")]),
        wf(vec![
            retrying("first"),
            task(
                "fork",
                TaskKind::ForkJoin {
                    branches: vec![vec![retrying("l1"), simple("l2")], vec![retrying("r1")]],
                },
            ),
            task(
                "join",
                TaskKind::Join {
                    join_on: vec!["l2".into(), "r1".into()],
                },
            ),
            simple("after"),
        ]),
        wf(vec![
            retrying("first"),
            decision,
            simple("hx"),
            simple("hy"),
            after(simple("end"), &["hx", "hy"]),
        ]),
        wf(vec![lp, simple("after")]),
        timed,
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Complete(usize, u8),
    Fail(usize),
    FailTerminal(usize),
    Poll(usize),
    Heartbeat(usize),
    Duplicate(usize),
    Tick(u32),
    Pause,
    Resume,
    Terminate,
    Retry,
    Approve(usize),
    Reject(usize),
    Advance,
    DebugContinue,
    EditInput(usize),
    Cancel(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<usize>(), 0u8..3).prop_map(|(i, v)| Step::Complete(i, v)),
        2 => any::<usize>().prop_map(Step::Fail),
        1 => any::<usize>().prop_map(Step::FailTerminal),
        2 => any::<usize>().prop_map(Step::Poll),
        1 => any::<usize>().prop_map(Step::Heartbeat),
        1 => any::<usize>().prop_map(Step::Duplicate),
        2 => (0u32..15_000).prop_map(Step::Tick),
        1 => Just(Step::Pause),
        1 => Just(Step::Resume),
        1 => Just(Step::Terminate),
        1 => Just(Step::Retry),
        2 => any::<usize>().prop_map(Step::Approve),
        1 => any::<usize>().prop_map(Step::Reject),
        2 => Just(Step::Advance),
        1 => Just(Step::DebugContinue),
        1 => any::<usize>().prop_map(Step::EditInput),
        1 => any::<usize>().prop_map(Step::Cancel),
    ]
}

fn live(run: &Run) -> Vec<TaskInstance> {
    run.state
        .tasks
        .iter()
        .filter(|t| !t.status.is_terminal())
        .cloned()
        .collect()
}

fn pick(run: &Run, i: usize) -> Option<TaskInstance> {
    let l = live(run);
    if l.is_empty() {
        None
    } else {
        Some(l[i % l.len()].clone())
    }
}

fn update(task_id: String, status: TaskResultStatus, output: serde_json::Value) -> Event {
    Event::TaskUpdated {
        task_id,
        status,
        output,
        reason: Some("r".into()),
        callback_after_ms: None,
        worker_id: None,
        by: Principal::worker("w1"),
    }
}

fn check_invariants(run: &Run) {
    let st = &run.state;
    let mut live_refs = std::collections::HashSet::new();
    for (i, t) in st.tasks.iter().enumerate() {
        if !t.status.is_terminal() {
            assert!(
                live_refs.insert(t.ref_name.clone()),
                "two live attempts of {}: {:?}",
                t.ref_name,
                run.refs()
            );
            assert_eq!(
                st.latest_index(&t.ref_name),
                Some(i),
                "a live attempt of {} is not the latest",
                t.ref_name
            );
        }
        if t.retried {
            assert!(t.status.is_terminal(), "a retried attempt must have ended");
        }
        if t.hold.is_some() {
            assert_eq!(
                t.status,
                TaskStatus::Scheduled,
                "{} is held but {:?}",
                t.ref_name,
                t.status
            );
            assert!(
                run.queue.iter().all(|q| q.task_id != t.task_id),
                "{} is held but queued",
                t.ref_name
            );
        }
    }
    // The queue and timers are kept from the effects alone: the decider must say when an
    // attempt leaves its queue and when an ended workflow's timers go.
    for q in &run.queue {
        assert!(
            st.task(&q.task_id).is_some_and(|t| !t.status.is_terminal()),
            "{} is still queued but has ended: {:?}",
            q.ref_name,
            run.refs()
        );
    }
    if st.status.is_terminal() {
        assert!(
            st.tasks.iter().all(|t| t.status.is_terminal()),
            "ended workflow with live tasks: {:?}",
            run.refs()
        );
        assert!(
            run.timers.is_empty(),
            "ended workflow with timers: {:?}",
            run.timers
        );
    }
}

fn apply_step(run: &mut Run, s: &Step, seen: &mut Vec<String>) {
    match s {
        Step::Complete(i, v) => {
            if let Some(t) = pick(run, *i) {
                seen.push(t.task_id.clone());
                let v = ["X", "Y", "a"][*v as usize];
                run.apply(update(
                    t.task_id,
                    TaskResultStatus::Completed,
                    json!({"v": v}),
                ));
            }
        }
        Step::Fail(i) => {
            if let Some(t) = pick(run, *i) {
                run.apply(update(t.task_id, TaskResultStatus::Failed, json!({})));
            }
        }
        Step::FailTerminal(i) => {
            if let Some(t) = pick(run, *i) {
                run.apply(update(
                    t.task_id,
                    TaskResultStatus::FailedWithTerminalError,
                    json!({}),
                ));
            }
        }
        Step::Poll(i) => {
            if let Some(t) = pick(run, *i) {
                run.apply(Event::TaskStarted {
                    task_id: t.task_id,
                    worker_id: Some("w".into()),
                    by: Principal::worker("w1"),
                });
            }
        }
        Step::Heartbeat(i) => {
            if let Some(t) = pick(run, *i) {
                run.apply(update(
                    t.task_id,
                    TaskResultStatus::InProgress,
                    json!({"hb": 1}),
                ));
            }
        }
        Step::Duplicate(i) => {
            if !seen.is_empty() {
                let id = seen[i % seen.len()].clone();
                let before = run.state.clone();
                let out = run.apply(update(
                    id,
                    TaskResultStatus::Completed,
                    json!({"dup": true}),
                ));
                if !matches!(out, Outcome::Applied) {
                    assert_eq!(before, run.state);
                }
            }
        }
        Step::Tick(ms) => {
            let t = run.now + u64::from(*ms);
            run.advance_to(t);
        }
        Step::Pause => {
            run.apply(Event::Paused {
                by: Principal::system(),
            });
        }
        Step::Resume => {
            run.apply(Event::Resumed {
                by: Principal::system(),
            });
        }
        Step::Terminate => {
            run.apply(Event::Terminated {
                reason: "test".into(),
                by: Principal::system(),
            });
        }
        Step::Retry => {
            run.apply(Event::Retried {
                by: Principal::system(),
            });
        }
        Step::Approve(i) | Step::Reject(i) => {
            if let Some(t) = pick(run, *i) {
                run.apply(Event::HumanDecision {
                    task_id: t.task_id,
                    approved: matches!(s, Step::Approve(_)),
                    by: Principal::system(),
                    comment: None,
                    output: Some(json!({"v": "X"})),
                });
            }
        }
        Step::Advance => {
            run.apply(Event::DebugStepped {
                task_ref: None,
                by: Principal::system(),
            });
        }
        Step::DebugContinue => {
            run.apply(Event::DebugContinued {
                by: Principal::system(),
            });
        }
        Step::EditInput(i) => {
            if let Some(t) = pick(run, *i) {
                run.apply(Event::TaskInputEdited {
                    task_ref: t.ref_name,
                    input: json!({"edited": true}),
                    by: Principal::system(),
                });
            }
        }
        Step::Cancel(i) => {
            if let Some(t) = pick(run, *i) {
                run.apply(Event::TaskCanceled {
                    task_ref: t.ref_name,
                    reason: None,
                    by: Principal::system(),
                });
            }
        }
    }
}

/// Run options for mode number `m`: auto, supervised with every task a gate, debug.
fn mode(m: usize) -> RunOptions {
    RunOptions {
        mode: Some([RunMode::Auto, RunMode::Supervised, RunMode::Debug][m % 3]),
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_event_orders_never_corrupt_state(shape in 0usize..6, m in 0usize..3, steps in proptest::collection::vec(step(), 0..40)) {
        let mut def = shapes()[shape].clone();
        def.gates.all = true;
        let mut run = Run::started_with(def, json!({}), mode(m));
        let mut seen = Vec::new();
        for s in &steps {
            apply_step(&mut run, s, &mut seen);
            check_invariants(&run);
        }
        // Finish everything: resume if paused, complete all live tasks, fire timers.
        run.apply(Event::Resumed { by: Principal::system() });
        run.apply(Event::DebugContinued { by: Principal::system() });
        for _ in 0..500 {
            if run.state.status.is_terminal() {
                break;
            }
            if let Some(t) = live(&run).into_iter().find(|t| t.hold.is_some() || t.task_type == baton_model::TaskType::Human) {
                run.apply(Event::HumanDecision {
                    task_id: t.task_id,
                    approved: true,
                    by: Principal::system(),
                    comment: None,
                    output: None,
                });
                if run.last != Some(Outcome::Applied) {
                    run.apply(Event::DebugContinued { by: Principal::system() });
                }
                check_invariants(&run);
                continue;
            }
            match live(&run).into_iter().find(|t| t.task_type == baton_model::TaskType::Simple) {
                Some(t) => {
                    run.apply(update(t.task_id, TaskResultStatus::Completed, json!({"v": "X"})));
                }
                _ => {
                    let t = run.now + 60_000;
                    run.advance_to(t);
                }
            }
            check_invariants(&run);
        }
        prop_assert!(run.state.status.is_terminal(), "workflow did not end: {:?} {:?}", run.state.status, run.refs());
    }
}
