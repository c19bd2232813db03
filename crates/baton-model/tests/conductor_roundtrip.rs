//! Property: for any definition of Conductor-expressible shape (nested control flow, task
//! definitions, extras; no DAG features), loading its export gives it back.

use baton_model::conductor;
use baton_model::{
    DoWhileSpec, DynamicForkSpec, Evaluator, FailureWorkflow, HumanSpec, InputParam, JsonMap,
    Monitoring, OutputSpec, RetryLogic, Role, SYSTEM_TASK_TYPES, SourceFormat, SubWorkflowSpec,
    SwitchSpec, Task, TaskDef, TaskKind, TaskTimeoutPolicy, WorkflowDef, WorkflowTimeoutPolicy,
    load,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use serde_json::{Value, json};

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,7}"
}

fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,12}"
}

fn seconds_ms() -> impl Strategy<Value = u64> {
    (0u64..100_000).prop_map(|s| s * 1000)
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u32>().prop_map(|n| json!(n)),
        text().prop_map(Value::String),
        vec(word(), 0..3).prop_map(|v| json!(v)),
    ]
}

fn map() -> impl Strategy<Value = JsonMap> {
    vec((word(), value()), 0..3).prop_map(|entries| entries.into_iter().collect())
}

/// Fields Conductor does not know: prefixed so they never collide with known ones.
fn extras() -> impl Strategy<Value = JsonMap> {
    vec((word(), value()), 0..2).prop_map(|entries| {
        entries
            .into_iter()
            .map(|(k, v)| (format!("x_{k}"), v))
            .collect()
    })
}

fn task_def() -> impl Strategy<Value = TaskDef> {
    (
        (
            word(),
            option::of(text()),
            any::<u32>(),
            0..3usize,
            seconds_ms(),
            any::<u32>(),
            option::of(any::<u64>()),
        ),
        (
            seconds_ms(),
            0..3usize,
            seconds_ms(),
            seconds_ms(),
            any::<u32>(),
            seconds_ms(),
            any::<u32>(),
        ),
        (vec(word(), 0..3), vec(word(), 0..3), map(), extras()),
    )
        .prop_map(|(a, b, c)| TaskDef {
            name: a.0,
            description: a.1,
            retry_count: a.2,
            retry_logic: [
                RetryLogic::Fixed,
                RetryLogic::ExponentialBackoff,
                RetryLogic::LinearBackoff,
            ][a.3],
            retry_delay_ms: a.4,
            backoff_scale_factor: a.5,
            max_retry_delay_ms: a.6,
            timeout_ms: b.0,
            timeout_policy: [
                TaskTimeoutPolicy::Retry,
                TaskTimeoutPolicy::TimeOutWf,
                TaskTimeoutPolicy::AlertOnly,
            ][b.1],
            response_timeout_ms: b.2,
            poll_timeout_ms: b.3,
            rate_limit_per_frequency: b.4,
            rate_limit_frequency_ms: b.5,
            concurrent_exec_limit: b.6,
            input_keys: c.0,
            output_keys: c.1,
            input_template: c.2,
            extra: c.3,
        })
}

fn leaf_kind() -> impl Strategy<Value = TaskKind> {
    prop_oneof![
        Just(TaskKind::Simple),
        proptest::sample::select(SYSTEM_TASK_TYPES).prop_map(|t| TaskKind::System {
            task_type: t.to_string()
        }),
        vec(word(), 0..3).prop_map(|join_on| TaskKind::Join { join_on }),
        (vec(word(), 0..3), vec(word(), 0..2)).prop_map(|(join_on, default)| {
            TaskKind::ExclusiveJoin {
                join_on,
                default_exclusive_join_task: default,
            }
        }),
        (option::of(word()), option::of(word())).prop_map(|(a, b)| TaskKind::ForkJoinDynamic(
            DynamicForkSpec {
                tasks_param: a,
                tasks_input_param: b
            }
        )),
        word().prop_map(|name_param| TaskKind::Dynamic { name_param }),
        Just(TaskKind::Wait),
        any::<bool>().prop_map(|approval| TaskKind::Human(HumanSpec { approval })),
        (word(), option::of(any::<u32>()), extras()).prop_map(|(name, version, extra)| {
            TaskKind::SubWorkflow(SubWorkflowSpec {
                name,
                version,
                definition: None,
                extra,
            })
        }),
        Just(TaskKind::StartWorkflow),
        Just(TaskKind::Terminate),
        Just(TaskKind::SetVariable),
        Just(TaskKind::Noop),
    ]
}

fn base_task(kind: TaskKind) -> impl Strategy<Value = Task> {
    (
        (word(), map(), any::<bool>(), seconds_ms(), any::<bool>()),
        (
            option::of(task_def()),
            option::of(0..4usize),
            option::of(text()),
            vec(word(), 0..2),
            extras(),
        ),
    )
        .prop_map(move |(a, b)| Task {
            name: a.0,
            ref_name: String::new(),
            kind: kind.clone(),
            input: a.1,
            depends_on: None,
            when: None,
            optional: a.2,
            start_delay_ms: a.3,
            async_complete: a.4,
            task_def: b.0,
            role: b.1.map(|r| [Role::L0, Role::L1, Role::L2, Role::L3][r]),
            description: b.2,
            declared_outputs: b.3,
            gate: false,
            on_reject: Default::default(),
            extra: b.4,
        })
}

fn task() -> impl Strategy<Value = Task> {
    let leaf = leaf_kind().prop_flat_map(base_task);
    leaf.prop_recursive(3, 24, 4, |inner| {
        let list = vec(inner, 0..3);
        let kind = prop_oneof![
            (
                any::<bool>(),
                any::<bool>(),
                word(),
                vec((text(), list.clone()), 0..3),
                list.clone()
            )
                .prop_map(|(javascript, legacy, expression, cases, default_case)| {
                    TaskKind::Switch(SwitchSpec {
                        evaluator: if javascript {
                            Evaluator::Javascript
                        } else {
                            Evaluator::ValueParam
                        },
                        expression,
                        cases: cases.into_iter().collect(),
                        default_case,
                        next: Default::default(),
                        next_default: None,
                        fail_on_no_match: false,
                        legacy_decision: legacy,
                    })
                }),
            vec(list.clone(), 0..3).prop_map(|branches| TaskKind::ForkJoin { branches }),
            (
                word(),
                list.clone(),
                option::of(word()),
                option::of(any::<u32>())
            )
                .prop_map(|(condition, body, items, max)| {
                    TaskKind::DoWhile(DoWhileSpec {
                        condition,
                        body,
                        items_param: items,
                        max_iterations: max,
                    })
                }),
            (word(), list).prop_map(|(name, tasks)| {
                let child = WorkflowDef {
                    tasks,
                    ..workflow_shell(name.clone())
                };
                TaskKind::SubWorkflow(SubWorkflowSpec {
                    name,
                    version: Some(1),
                    definition: Some(Box::new(child)),
                    extra: JsonMap::new(),
                })
            }),
        ];
        kind.prop_flat_map(base_task)
    })
}

fn workflow_shell(name: String) -> WorkflowDef {
    WorkflowDef {
        name,
        version: 1,
        description: None,
        inputs: Vec::new(),
        output: OutputSpec::LastTask,
        tasks: Vec::new(),
        failure_workflow: None,
        timeout_ms: 0,
        timeout_policy: WorkflowTimeoutPolicy::AlertOnly,
        variables: JsonMap::new(),
        restartable: true,
        monitoring: None,
        mode: None,
        gates: Default::default(),
        breakpoints: Vec::new(),
        domain: None,
        extra: JsonMap::new(),
        format: SourceFormat::Conductor,
    }
}

/// Gives every task of the tree a unique ref (`t0`, `t1`, ...), as validation requires.
fn renumber(tasks: &mut [Task], next: &mut usize) {
    for task in tasks {
        task.ref_name = format!("t{next}");
        *next += 1;
        match &mut task.kind {
            TaskKind::Switch(spec) => {
                for case in spec.cases.values_mut() {
                    renumber(case, next);
                }
                renumber(&mut spec.default_case, next);
            }
            TaskKind::ForkJoin { branches } => branches.iter_mut().for_each(|b| renumber(b, next)),
            TaskKind::DoWhile(spec) => renumber(&mut spec.body, next),
            TaskKind::SubWorkflow(SubWorkflowSpec {
                definition: Some(child),
                ..
            }) => {
                renumber(&mut child.tasks, &mut 0);
            }
            _ => {}
        }
    }
}

fn output() -> impl Strategy<Value = OutputSpec> {
    prop_oneof![
        Just(OutputSpec::LastTask),
        (word(), value()).prop_map(|(k, v)| OutputSpec::Template([(k, v)].into_iter().collect())),
        vec(word(), 1..3).prop_map(OutputSpec::Keys),
    ]
}

fn failure() -> impl Strategy<Value = Option<FailureWorkflow>> {
    prop_oneof![
        Just(None),
        word().prop_map(|n| Some(FailureWorkflow::Named(n))),
        (word(), vec(word(), 0..3))
            .prop_map(|(id, steps)| Some(FailureWorkflow::Inline { id, steps })),
    ]
}

fn monitoring() -> impl Strategy<Value = Option<Monitoring>> {
    option::of(
        (option::of(word()), option::of(text()), vec(word(), 0..2)).prop_map(|(f, l, m)| {
            Monitoring {
                report_frequency: f,
                log_to: l,
                metrics: m,
            }
        }),
    )
}

fn workflow() -> impl Strategy<Value = WorkflowDef> {
    (
        (
            word(),
            any::<u32>(),
            option::of(text()),
            vec((any::<bool>(), option::of(value())), 0..3),
            output(),
        ),
        (
            vec(task(), 0..4),
            failure(),
            seconds_ms(),
            any::<bool>(),
            map(),
            any::<bool>(),
        ),
        (monitoring(), extras()),
    )
        .prop_map(|(a, b, c)| {
            let mut tasks = b.0;
            renumber(&mut tasks, &mut 0);
            WorkflowDef {
                version: a.1,
                description: a.2,
                inputs: a
                    .3
                    .into_iter()
                    .enumerate()
                    .map(|(i, (required, default))| InputParam {
                        name: format!("in{i}"),
                        required,
                        default,
                    })
                    .collect(),
                output: a.4,
                tasks,
                failure_workflow: b.1,
                timeout_ms: b.2,
                timeout_policy: if b.3 {
                    WorkflowTimeoutPolicy::TimeOutWf
                } else {
                    WorkflowTimeoutPolicy::AlertOnly
                },
                variables: b.4,
                restartable: b.5,
                monitoring: c.0,
                extra: c.1,
                ..workflow_shell(a.0)
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn export_then_load_is_the_identity(def in workflow()) {
        let text = conductor::to_json_string(&def);
        let loaded = load(&text);
        prop_assert!(loaded.is_ok(), "{:#?}\n{}", loaded.err(), text);
        if let Ok(loaded) = loaded {
            // The generated extras are unknown fields: warnings, nothing else.
            prop_assert!(loaded.diagnostics.iter().all(|d| d.code == conductor::codes::UNKNOWN_FIELD), "{:#?}", loaded.diagnostics);
            prop_assert_eq!(loaded.def, def, "{}", text);
        }
    }
}

#[test]
fn people_settings_survive_export_and_reading_back() {
    let native = r#"
workflow:
  id: gated
  mode: supervised
  gates: {agent_level: [L2], task_type: [HTTP]}
  breakpoints: [b]
  domain: station-a
  tasks:
    - id: a
      type: SIMPLE
    - id: b
      type: SIMPLE
      depends_on: [a]
      gate: true
      on_reject: skip
"#;
    let def = baton_model::load(native).expect("loads").def;
    assert_eq!(def.mode, Some(baton_model::RunMode::Supervised));
    assert_eq!(def.gates.agent_level, vec![Role::L2]);
    assert_eq!(def.gates.task_type, vec!["HTTP".to_string()]);
    assert_eq!(def.breakpoints, vec!["b".to_string()]);
    assert_eq!(def.domain.as_deref(), Some("station-a"));
    let b = def.find("b").expect("b");
    assert!(b.gate);
    assert_eq!(b.on_reject, baton_model::OnReject::Skip);
    let json = baton_model::conductor::export(&def).to_string();
    let back = baton_model::load(&json).expect("reads back").def;
    assert_eq!(back.mode, def.mode);
    assert_eq!(back.gates, def.gates);
    assert_eq!(back.breakpoints, def.breakpoints);
    assert_eq!(back.domain, def.domain);
    let b2 = back.find("b").expect("b");
    assert_eq!((b2.gate, b2.on_reject), (true, baton_model::OnReject::Skip));
}
