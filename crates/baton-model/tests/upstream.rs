//! Which tasks a template may refer to without BT0114 ("may not have run"): asked per
//! reference, so each shape of the tree is checked here.

use baton_model::load;
use baton_model::validate::validate;
use serde_json::{Value, json};

fn simple(r: &str, input: Value) -> Value {
    json!({"name": format!("q_{r}"), "taskReferenceName": r, "type": "SIMPLE", "inputParameters": input})
}

/// Whether validating `tasks` warns BT0114 for a reference to `root` made by `owner`.
fn not_upstream(tasks: Value, owner: &str, root: &str) -> bool {
    not_upstream_in(
        &json!({"name": "u", "version": 1, "tasks": tasks}).to_string(),
        owner,
        root,
    )
}

fn not_upstream_in(def: &str, owner: &str, root: &str) -> bool {
    let loaded = load(def).unwrap_or_else(|d| panic!("{d:?}"));
    let found = validate(&loaded.def, &loaded.sources);
    assert!(
        found.iter().all(|d| d.code != "BT0113"),
        "every reference names a task: {found:?}"
    );
    found.iter().any(|d| {
        d.code == "BT0114"
            && d.message.contains(&format!("task `{root}`"))
            && d.message.contains(&format!("when `{owner}`"))
    })
}

fn refs(root: &str) -> Value {
    json!({"x": format!("${{{root}.output.v}}")})
}

#[test]
fn in_a_sequence_earlier_tasks_are_upstream_and_later_ones_are_not() {
    let tasks = json!([
        simple("a", json!({})),
        simple("b", refs("a")),
        simple("c", refs("d")),
        simple("d", json!({}))
    ]);
    assert!(!not_upstream(tasks.clone(), "b", "a"));
    assert!(not_upstream(tasks, "c", "d"));
    let own = json!([simple("a", refs("a"))]);
    assert!(
        not_upstream(own, "a", "a"),
        "a task's own output is not there yet"
    );
}

#[test]
fn depends_on_is_followed_transitively_and_siblings_are_not_upstream() {
    let def = r#"
workflow:
  id: u
  name: u
  version: 1
  tasks:
    - id: a
      type: SIMPLE
    - id: b
      type: SIMPLE
      depends_on: [a]
    - id: c
      type: SIMPLE
      depends_on: [b]
      input:
        x: "${a.output.v}"
    - id: s
      type: SIMPLE
      depends_on: [a]
      input:
        x: "${b.output.v}"
"#;
    assert!(!not_upstream_in(def, "c", "a"), "through b");
    assert!(not_upstream_in(def, "s", "b"), "s and b both follow a only");
}

fn fork(r: &str, branches: Value) -> Value {
    let join_on: Vec<String> = branches
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            b.as_array().unwrap().last().unwrap()["taskReferenceName"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    json!([
        {"name": r, "taskReferenceName": r, "type": "FORK_JOIN", "forkTasks": branches},
        {"name": format!("{r}_join"), "taskReferenceName": format!("{r}_join"), "type": "JOIN", "joinOn": join_on}
    ])
}

fn concat(parts: &[Value]) -> Value {
    Value::Array(
        parts
            .iter()
            .flat_map(|p| p.as_array().cloned().unwrap_or_else(|| vec![p.clone()]))
            .collect(),
    )
}

#[test]
fn forks_nest_and_contain() {
    let f = fork(
        "f",
        json!([[simple("b1", refs("before"))], [simple("b2", refs("b1"))]]),
    );
    let tasks = concat(&[
        json!([simple("before", json!({}))]),
        f,
        json!([simple("after", refs("b2"))]),
    ]);
    assert!(
        !not_upstream(tasks.clone(), "b1", "before"),
        "upstream of the containing fork"
    );
    assert!(
        not_upstream(tasks.clone(), "b2", "b1"),
        "a sibling branch may not have run"
    );
    assert!(
        !not_upstream(tasks.clone(), "after", "b2"),
        "nested in a task before it"
    );
    let early = concat(&[
        json!([simple("early", refs("b1"))]),
        fork("f", json!([[simple("b1", json!({}))]])),
    ]);
    assert!(not_upstream(early, "early", "b1"), "nested in a later task");
}

#[test]
fn loops_their_bodies_and_their_conditions() {
    let looped = json!([{
        "name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
        "loopCondition": "if ($.body['output']['v'] < 3) { true; } else { false; }",
        "inputParameters": {"body": "${body.output}"},
        "loopOver": [simple("body", json!({"i": "${loop.output.iteration}"}))]
    }]);
    assert!(!not_upstream(looped, "body", "loop"), "the containing loop");
    let cond = json!([{
        "name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
        "loopCondition": "${body.output.more}",
        "loopOver": [simple("body", json!({}))]
    }]);
    assert!(
        !not_upstream(cond, "loop", "body"),
        "a condition runs after the body"
    );
}

/// A long chain whose every task refers to the first: linear, and every reference is
/// upstream (this took N³ before references were asked one by one).
#[test]
fn a_long_chain_referring_back_validates() {
    let mut tasks = vec![simple("t0", json!({}))];
    for i in 1..3_000 {
        tasks.push(simple(&format!("t{i}"), refs("t0")));
    }
    assert!(!not_upstream(Value::Array(tasks), "t2999", "t0"));
}
