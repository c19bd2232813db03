//! Long loops and wide forks under random completion orders, failures and retries: the
//! replay invariant (checked by `Run::apply` after every event) and the queue/timer
//! invariants hold however long the run gets, and the run always ends.

mod support;

use baton_core::*;
use baton_model::*;
use proptest::prelude::*;
use serde_json::json;
use support::*;

fn retrying(r: &str) -> Task {
    let mut t = simple(r);
    t.task_def = Some(TaskDef {
        retry_count: 2,
        retry_delay_ms: 0,
        ..TaskDef::no_retries(r)
    });
    t
}

/// A DO_WHILE of `iterations` over one retrying worker task, then a last task.
fn long_loop(iterations: u32) -> WorkflowDef {
    let lp = task(
        "loop",
        TaskKind::DoWhile(DoWhileSpec {
            condition: format!("$.loop['iteration'] < {iterations}"),
            body: vec![retrying("body")],
            items_param: None,
            max_iterations: None,
        }),
    );
    wf(vec![lp, retrying("after")])
}

/// A FORK_JOIN_DYNAMIC of `width` retrying branches, its JOIN, then a last task.
fn wide_fork(width: usize) -> (WorkflowDef, serde_json::Value) {
    let fork = with_input(
        task(
            "dyn",
            TaskKind::ForkJoinDynamic(DynamicForkSpec {
                tasks_param: None,
                tasks_input_param: None,
            }),
        ),
        json!({"forkTaskName": "branch", "forkTaskType": "SIMPLE",
               "forkTaskInputs": "${workflow.input.items}"}),
    );
    let items: Vec<serde_json::Value> = (0..width).map(|i| json!({"i": i})).collect();
    (
        wf(vec![
            fork,
            task("join", TaskKind::Join { join_on: vec![] }),
            retrying("after"),
        ]),
        json!({"items": items}),
    )
}

/// A FORK_JOIN_DYNAMIC of `width` tasks given as a list, every fifth a SWITCH whose
/// chosen case runs two worker tasks (forked tasks with nested work), the rest retrying
/// worker tasks; its JOIN, then a last task.
fn nested_fork(width: usize) -> WorkflowDef {
    let tasks: Vec<serde_json::Value> = (0..width)
        .map(|i| {
            if i % 5 == 0 {
                json!({"name": "sw", "taskReferenceName": format!("sw_{i}"), "type": "SWITCH",
                       "evaluatorType": "value-param", "expression": "c",
                       "inputParameters": {"c": "a"},
                       "decisionCases": {"a": [
                           {"name": "inner", "taskReferenceName": format!("inner_{i}"), "type": "SIMPLE", "retryCount": 2},
                           {"name": "inner", "taskReferenceName": format!("inner2_{i}"), "type": "SIMPLE", "retryCount": 2}
                       ]}})
            } else {
                json!({"name": "b", "taskReferenceName": format!("b_{i}"), "type": "SIMPLE", "retryCount": 2})
            }
        })
        .collect();
    let fork = with_input(
        task(
            "dyn",
            TaskKind::ForkJoinDynamic(DynamicForkSpec {
                tasks_param: Some("tasks".into()),
                tasks_input_param: None,
            }),
        ),
        json!({ "tasks": tasks }),
    );
    wf(vec![
        fork,
        task("join", TaskKind::Join { join_on: vec![] }),
        retrying("after"),
    ])
}

fn live(run: &Run) -> Vec<TaskInstance> {
    run.state
        .tasks
        .iter()
        .filter(|t| !t.status.is_terminal() && t.task_type == TaskType::Simple)
        .cloned()
        .collect()
}

fn result(task_id: String, status: TaskResultStatus) -> Event {
    Event::TaskUpdated {
        task_id,
        status,
        output: json!({"ok": true}),
        reason: (status != TaskResultStatus::Completed).then(|| "flaky".to_string()),
        callback_after_ms: None,
        worker_id: Some("w".into()),
        by: Principal::worker("w"),
    }
}

/// Drives `run` to its end: each step completes (or, per `script`, fails) a live task
/// picked by the script; checks the invariants after every event.
fn drive(run: &mut Run, script: &[(u16, bool)], max_events: usize) {
    for i in 0..max_events {
        if run.state.status.is_terminal() {
            return;
        }
        let tasks = live(run);
        let Some(&(pick, fail)) = script.get(i % script.len().max(1)) else {
            return;
        };
        if tasks.is_empty() {
            let t = run.now + 1_000;
            run.advance_to(t);
            continue;
        }
        let t = tasks[pick as usize % tasks.len()].clone();
        // Only a first attempt may fail, so each task ends within its retries.
        let status = if fail && t.attempt == 0 {
            TaskResultStatus::Failed
        } else {
            TaskResultStatus::Completed
        };
        run.apply(result(t.task_id, status));
        let mut live_refs: Vec<&str> = run
            .state
            .tasks
            .iter()
            .filter(|t| !t.status.is_terminal())
            .map(|t| t.ref_name.as_str())
            .collect();
        let n = live_refs.len();
        live_refs.sort_unstable();
        live_refs.dedup();
        assert_eq!(live_refs.len(), n, "a ref has two live attempts");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn long_loops_replay_and_end(
        iterations in 5u32..50,
        script in proptest::collection::vec((any::<u16>(), proptest::bool::weighted(0.2)), 1..64),
    ) {
        let mut run = Run::started(long_loop(iterations), json!({}));
        drive(&mut run, &script, 20 * iterations as usize + 100);
        prop_assert_eq!(run.state.status, WorkflowStatus::Completed, "{:?}", run.state.reason);
        let bodies = run.state.tasks.iter()
            .filter(|t| t.ref_name.starts_with("body") && t.status == TaskStatus::Completed)
            .count();
        prop_assert_eq!(bodies, iterations as usize, "one completed body per iteration");
        prop_assert!(run.queue.is_empty(), "nothing left queued: {:?}", run.queue);
        prop_assert!(run.timers.is_empty(), "no timers left: {:?}", run.timers);
    }

    #[test]
    fn wide_forks_replay_and_end(
        width in 5usize..100,
        script in proptest::collection::vec((any::<u16>(), proptest::bool::weighted(0.2)), 1..64),
    ) {
        let (def, input) = wide_fork(width);
        let mut run = Run::started(def, input);
        drive(&mut run, &script, 6 * width + 100);
        prop_assert_eq!(run.state.status, WorkflowStatus::Completed, "{:?}", run.state.reason);
        let branches = run.state.tasks.iter()
            .filter(|t| t.ref_name.starts_with("branch_") && t.status == TaskStatus::Completed)
            .count();
        prop_assert_eq!(branches, width, "every branch completed once");
        prop_assert!(run.queue.is_empty(), "nothing left queued: {:?}", run.queue);
    }

    #[test]
    fn forks_with_nested_work_replay_and_end(
        width in 5usize..60,
        script in proptest::collection::vec((any::<u16>(), proptest::bool::weighted(0.2)), 1..64),
    ) {
        let mut run = Run::started(nested_fork(width), json!({}));
        drive(&mut run, &script, 8 * width + 100);
        prop_assert_eq!(run.state.status, WorkflowStatus::Completed, "{:?}", run.state.reason);
        let inner = run.state.tasks.iter()
            .filter(|t| t.ref_name.starts_with("inner") && t.status == TaskStatus::Completed)
            .count();
        prop_assert_eq!(inner, 2 * width.div_ceil(5), "every chosen case ran both tasks");
        let join = run.state.tasks.iter().find(|t| t.ref_name == "join").expect("join");
        let joined = join.output.as_object().map_or(0, |o| o.len());
        prop_assert_eq!(joined, width, "the JOIN holds every forked task's output");
        prop_assert!(run.queue.is_empty(), "nothing left queued: {:?}", run.queue);
    }
}
