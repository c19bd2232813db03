//! FORK_JOIN_DYNAMIC: the tasks built from run-time input, and clear failures for bad input.

mod support;

use baton_core::*;
use baton_model::*;
use serde_json::{Value, json};
use support::*;

fn fork_by_name(input: Value) -> WorkflowDef {
    let fork = with_input(
        task(
            "dyn",
            TaskKind::ForkJoinDynamic(DynamicForkSpec {
                tasks_param: None,
                tasks_input_param: None,
            }),
        ),
        input,
    );
    wf(vec![fork, task("join", TaskKind::Join { join_on: vec![] })])
}

fn fork_by_list(tasks: Value) -> WorkflowDef {
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
    wf(vec![fork, task("join", TaskKind::Join { join_on: vec![] })])
}

fn failure_reason(run: &Run) -> String {
    assert_eq!(run.wf_status(), WorkflowStatus::Failed, "{:?}", run.refs());
    run.t("dyn").reason.clone().unwrap_or_default()
}

#[test]
fn fork_task_type_picks_the_kind_of_every_forked_task() {
    let def = fork_by_name(json!({
        "forkTaskName": "call", "forkTaskType": "HTTP",
        "forkTaskInputs": "${workflow.input.calls}"
    }));
    let calls = json!({"calls": [{"url": "a"}, {"url": "${not.a.template}"}]});
    let mut run = Run::started(def, calls);
    assert_eq!(run.queued(), vec!["call_0", "call_1"]);
    assert!(
        run.queue
            .iter()
            .all(|q| q.queue == "HTTP" && q.task_type.as_str() == "HTTP")
    );
    assert_eq!(
        run.t("call_1").input,
        json!({"url": "${not.a.template}"}),
        "run-time data is not re-templated"
    );
    run.drain();
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);

    // A type that needs no parameters runs as that type.
    let def = fork_by_name(json!({
        "forkTaskName": "n", "forkTaskType": "NOOP", "forkTaskInputs": [1, 2]
    }));
    let run = Run::started(def, json!({}));
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
    assert_eq!(run.t("n_1").input, json!({"input": 2}));
}

#[test]
fn bad_fork_by_name_input_fails_with_the_reason() {
    let cases = [
        (
            json!({"forkTaskName": "s", "forkTaskType": "SWITCH", "forkTaskInputs": [{}]}),
            "`forkTaskType` `SWITCH` cannot be forked from `forkTaskName`",
        ),
        (
            json!({"forkTaskName": "s", "forkTaskType": "NOPE", "forkTaskInputs": [{}]}),
            "`forkTaskType` `NOPE` cannot be forked",
        ),
        (
            json!({"forkTaskName": "s", "forkTaskType": 3, "forkTaskInputs": [{}]}),
            "`forkTaskType` must be a task type name, got 3",
        ),
        (
            json!({"forkTaskName": "", "forkTaskInputs": [{}]}),
            "`forkTaskName` is empty",
        ),
        (
            json!({"forkTaskName": "s", "forkTaskInputs": {"a": 1}}),
            "input `forkTaskInputs` must be a list",
        ),
        (
            json!({"forkTaskInputs": []}),
            "needs `dynamicForkTasksParam` or the inputs `forkTaskName` and `forkTaskInputs`",
        ),
    ];
    for (input, want) in cases {
        let run = Run::started(fork_by_name(input.clone()), json!({}));
        let why = failure_reason(&run);
        assert!(why.contains(want), "{input}: {why}");
        assert!(run.queue.is_empty(), "{input}");
    }
}

#[test]
fn bad_task_lists_fail_with_the_front_end_s_reason() {
    let cases = [
        (
            json!([{"name": "a", "taskReferenceName": "a", "type": "NOPE"}]),
            "the forked tasks are not valid: tasks[0].type: unknown task type `NOPE`",
        ),
        (
            json!([{"taskReferenceName": "a"}]),
            "the forked tasks are not valid: tasks[0].name",
        ),
        (
            json!([{"name": "a", "taskReferenceName": "x"}, {"name": "b", "taskReferenceName": "x"}]),
            "task ref `x` appears twice",
        ),
        (
            json!({"a": 1}),
            "input `tasks` must be a list of tasks, got {\"a\":1}",
        ),
    ];
    for (tasks, want) in cases {
        let run = Run::started(fork_by_list(tasks.clone()), json!({}));
        let why = failure_reason(&run);
        assert!(why.contains(want), "{tasks}: {why}");
    }
}

#[test]
fn a_listed_task_keeps_what_the_front_end_reads() {
    let def = fork_by_list(json!([
        {"name": "work", "taskReferenceName": "w", "type": "SIMPLE", "optional": true,
         "inputParameters": {"n": "${workflow.input.n}"}, "startDelay": 2}
    ]));
    let run = Run::started(def, json!({"n": 7}));
    let w = run.t("w");
    assert_eq!(
        w.input,
        json!({"n": 7}),
        "a listed task's template is resolved"
    );
    assert_eq!(run.queue[0].visible_at, run.now + 2_000);
}

#[test]
fn a_wide_fork_starts_every_branch() {
    let n = 10_000;
    let inputs: Vec<Value> = (0..n).map(|i| json!({ "i": i })).collect();
    let def = fork_by_name(json!({"forkTaskName": "step", "forkTaskInputs": inputs}));
    let run = Run::started(def, json!({}));
    assert_eq!(run.queue.len(), n);
    assert_eq!(run.t("step_9999").input, json!({"i": 9999}));
    let forked = run.t("dyn").output["forkedTasks"].as_array().map(Vec::len);
    assert_eq!(forked, Some(n));
}

/// Every queued task of the fork carries its own task definition's settings: the decider
/// found the forked task behind each attempt (by scan for the first few, then by index).
fn assert_forked_defaults(run: &Run) {
    let want = TaskDef::conductor_default("step").response_timeout_ms;
    assert!(want > 0);
    for q in run.queue.iter().filter(|q| q.queue == "step") {
        assert_eq!(q.response_timeout_ms, want, "{}", q.ref_name);
    }
}

#[test]
fn a_wide_fork_and_a_rerun_inside_it_find_every_forked_task() {
    let inputs: Vec<Value> = (0..20).map(|i| json!({ "i": i })).collect();
    let def = fork_by_name(json!({"forkTaskName": "step", "forkTaskInputs": inputs}));
    let mut run = Run::started(def, json!({}));
    assert_eq!(run.queue.len(), 20);
    assert_forked_defaults(&run);
    run.drain();
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
    let from = run.id("step_5");
    run.apply(Event::Rerun {
        from_task_id: Some(from.clone()),
        workflow_input: None,
        task_input: Some(json!({"again": true})),
        by: Principal::system(),
    });
    assert_eq!(run.last, Some(Outcome::Applied));
    assert_ne!(run.id("step_5"), from, "a new attempt");
    assert_eq!(run.t("step_5").input, json!({"i": 5, "again": true}));
    let steps = run.queue.iter().filter(|q| q.queue == "step").count();
    assert_eq!(steps, 15, "step_5 and the attempts after it run again");
    assert_forked_defaults(&run);
    run.drain();
    assert_eq!(run.wf_status(), WorkflowStatus::Completed);
}

#[test]
fn a_dynamic_fork_inside_a_loop_forks_again_in_every_iteration() {
    let fork = with_input(
        task(
            "dyn",
            TaskKind::ForkJoinDynamic(DynamicForkSpec {
                tasks_param: None,
                tasks_input_param: None,
            }),
        ),
        json!({"forkTaskName": "step", "forkTaskInputs": [{"i": 1}, {"i": 2}]}),
    );
    let lp = task(
        "loop",
        TaskKind::DoWhile(DoWhileSpec {
            condition: "$.loop['iteration'] < 3".into(),
            body: vec![fork, task("join", TaskKind::Join { join_on: vec![] })],
            items_param: None,
            max_iterations: None,
        }),
    );
    let mut run = Run::started(wf(vec![lp]), json!({}));
    run.drain();
    assert_eq!(
        run.wf_status(),
        WorkflowStatus::Completed,
        "{:?}",
        run.state.reason
    );
    let steps = run
        .state
        .tasks
        .iter()
        .filter(|t| t.def_ref.starts_with("step_") && t.status == TaskStatus::Completed)
        .count();
    assert_eq!(steps, 6, "two forked tasks in each of three iterations");
}
