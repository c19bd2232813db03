use super::*;
use proptest::prelude::*;
use serde_json::json;

fn scope() -> Value {
    json!({
        "workflow": {
            "input": {"x": "hello", "n": 5, "flag": true, "obj": {"a": 1}, "list": [1, 2], "nil": null, "a.b": "dotted"},
            "variables": {"v": 7},
            "workflowId": "wf-1"
        },
        "t1": {
            "output": {
                "items": [{"id": "a", "x": 0}, {"id": "b", "x": 5}, {"id": "c", "x": 9}],
                "y": {"z": [10, 20, 30]},
                "it's": 3
            },
            "input": {"a": "in"},
            "status": "COMPLETED"
        },
        "my-task": {"output": {"k": "dash"}},
        "CPEWF_TASK_ID": "task-123"
    })
}

fn r(template: Value) -> Value {
    resolve(&template, &scope())
}

#[test]
fn whole_value_references_keep_their_type() {
    let cases = [
        ("${workflow.input.x}", json!("hello")),
        ("${workflow.input.n}", json!(5)),
        ("${workflow.input.flag}", json!(true)),
        ("${workflow.input.obj}", json!({"a": 1})),
        ("${workflow.input.list}", json!([1, 2])),
        ("${workflow.input.nil}", json!(null)),
        ("${workflow.variables.v}", json!(7)),
        ("${workflow.variables}", json!({"v": 7})),
        ("${workflow.workflowId}", json!("wf-1")),
        ("${t1.status}", json!("COMPLETED")),
        ("${t1.input.a}", json!("in")),
        ("${t1.output.y.z}", json!([10, 20, 30])),
        ("${t1.output.y.z[1]}", json!(20)),
        ("${t1.output.y.z[-1]}", json!(30)),
        ("${t1.output.items[0].id}", json!("a")),
        ("${t1.output['y'][\"z\"][0]}", json!(10)),
        ("${t1.output['it\\'s']}", json!(3)),
        ("${workflow.input['a.b']}", json!("dotted")),
        ("${$.t1.output.y.z[2]}", json!(30)),
        ("${$['my-task'].output.k}", json!("dash")),
        ("${my-task.output.k}", json!("dash")),
        ("${ workflow.input.n }", json!(5)),
        ("${CPEWF_TASK_ID}", json!("task-123")),
    ];
    for (template, expected) in cases {
        assert_eq!(r(json!(template)), expected, "{template}");
    }
    assert_eq!(r(json!("${workflow.input}"))["obj"], json!({"a": 1}));
    // With no key the scope is asked for `(root, "")`; the JSON-document scope answers the root.
    assert_eq!(r(json!("${t1}"))["status"], json!("COMPLETED"));
}

#[test]
fn missing_paths_resolve_to_null() {
    for template in [
        "${workflow.input.nope}",
        "${workflow.input.x.deeper}",
        "${workflow.input.list[5]}",
        "${workflow.input.list[-3]}",
        "${workflow.input.obj[0]}",
        "${workflow.input.list.a}",
        "${unknown.output.a}",
        "${t1.nope}",
        "${approved}",
    ] {
        assert_eq!(r(json!(template)), Value::Null, "{template}");
    }
}

#[test]
fn invalid_paths_resolve_to_null_and_blank_to_empty_string() {
    for template in [
        "${.a}",
        "${t1[0]}",
        "${t1.*}",
        "${t1 output}",
        "${t1.output[?(}",
        "${t1.output.x.length()}",
    ] {
        assert_eq!(r(json!(template)), Value::Null, "{template}");
    }
    assert_eq!(r(json!("${}")), json!(""));
    assert_eq!(r(json!("${  }")), json!(""));
    assert_eq!(r(json!("a${}b")), json!("ab"));
}

#[test]
fn jsonpath_suffixes_return_arrays_of_matches() {
    assert_eq!(r(json!("${t1.output.items[*].id}")), json!(["a", "b", "c"]));
    assert_eq!(
        r(json!("${t1.output.items[?(@.x > 1)].id}")),
        json!(["b", "c"])
    );
    assert_eq!(r(json!("${t1.output.items[?@.id == 'a'].x}")), json!([0]));
    assert_eq!(r(json!("${t1.output..id}")), json!(["a", "b", "c"]));
    assert_eq!(r(json!("${t1.output.y.z[0:2]}")), json!([10, 20]));
    assert_eq!(r(json!("${t1.output.y.*}")), json!([[10, 20, 30]]));
    assert_eq!(r(json!("${t1.output.nope[*].id}")), json!([]));
    assert_eq!(r(json!("${nobody.output[*]}")), json!([]));
    assert_eq!(
        r(json!("ids: ${t1.output.items[*].id}")),
        json!("ids: [\"a\",\"b\",\"c\"]")
    );
}

#[test]
fn embedded_references_become_text() {
    let cases = [
        ("Hi ${workflow.input.x}!", "Hi hello!"),
        ("n=${workflow.input.n}", "n=5"),
        ("${workflow.input.flag}/${workflow.input.n}", "true/5"),
        ("o=${workflow.input.obj}", "o={\"a\":1}"),
        ("l=${workflow.input.list}", "l=[1,2]"),
        ("missing=[${workflow.input.nope}]", "missing=[]"),
        ("nil=[${workflow.input.nil}]", "nil=[]"),
        (" ${workflow.input.n}", " 5"),
        ("count: ${t1.output.y.z}.length", "count: [10,20,30].length"),
    ];
    for (template, expected) in cases {
        assert_eq!(r(json!(template)), json!(expected), "{template}");
    }
}

#[test]
fn escapes_and_unterminated_templates_are_literal() {
    assert_eq!(
        r(json!("$${workflow.input.x}")),
        json!("${workflow.input.x}")
    );
    assert_eq!(
        r(json!("a $${x} b ${workflow.input.n}")),
        json!("a ${x} b 5")
    );
    assert_eq!(
        r(json!("cost: $5 ${workflow.input.n}")),
        json!("cost: $5 5")
    );
    assert_eq!(
        r(json!("x ${workflow.input.x")),
        json!("x ${workflow.input.x")
    );
    assert_eq!(
        r(json!("${workflow.input.n}${workflow.input.x}")),
        json!("5hello")
    );
}

#[test]
fn host_environment_is_never_read() {
    // Conductor resolves `${PATH}` from the process environment; Baton asks the scope only.
    assert_eq!(r(json!("${PATH}")), Value::Null);
    assert_eq!(r(json!("${HOME}/x")), json!("/x"));
}

#[test]
fn nested_structures_are_resolved_and_keys_and_scalars_untouched() {
    let template = json!({
        "${workflow.input.x}": "${workflow.input.n}",
        "nested": {"list": ["${workflow.input.obj}", 1, null, false, "text", ["${t1.status}"]]},
        "n": 3.5
    });
    assert_eq!(
        r(template),
        json!({
            "${workflow.input.x}": 5,
            "nested": {"list": [{"a": 1}, 1, null, false, "text", ["COMPLETED"]]},
            "n": 3.5
        })
    );
}

#[test]
fn references_are_listed_in_order() {
    let value = json!({
        "a": "${workflow.input.x} and ${t1.output.items[0].id}",
        "b": ["${CPEWF_TASK_ID}", "$${escaped}", 3, {"${not.a.key}": "${$['my-task'].output[*]}"}]
    });
    let refs = references(&value);
    let expected = vec![
        Reference {
            root: "workflow".into(),
            key: Some("input".into()),
            expr: "workflow.input.x".into(),
        },
        Reference {
            root: "t1".into(),
            key: Some("output".into()),
            expr: "t1.output.items[0].id".into(),
        },
        Reference {
            root: "CPEWF_TASK_ID".into(),
            key: None,
            expr: "CPEWF_TASK_ID".into(),
        },
        Reference {
            root: "my-task".into(),
            key: Some("output".into()),
            expr: "$['my-task'].output[*]".into(),
        },
    ];
    assert_eq!(refs, Ok(expected));
    assert_eq!(references_in_str("no templates"), Ok(vec![]));
    assert_eq!(references(&json!(42)), Ok(vec![]));
}

#[test]
fn malformed_templates_are_errors() {
    for (template, text) in [
        ("x ${workflow.input", "${workflow.input"),
        ("${}", "${}"),
        ("a ${ } b", "${ }"),
        ("${.input}", "${.input}"),
        ("${t1[0]}", "${t1[0]}"),
        ("${t1.*}", "${t1.*}"),
        ("${t1.output x}", "${t1.output x}"),
        ("${t1 .output}", "${t1 .output}"),
        ("${t1.output[?(}", "${t1.output[?(}"),
        ("${t1.output.x.length()}", "${t1.output.x.length()}"),
    ] {
        let err = references(&json!({"k": [template]}));
        let Err(err) = err else {
            panic!("{template} should be an error")
        };
        assert_eq!(err.text, text, "{template}");
        assert!(err.to_string().contains(text));
    }
}

/// A scope that serves owned values, as the engine's real scope may.
struct Owned;
impl Scope for Owned {
    fn lookup(&self, root: &str, key: &str) -> Option<Cow<'_, Value>> {
        (root == "workflow" && key == "input").then(|| Cow::Owned(json!({"x": [1, 2]})))
    }
}

#[test]
fn owned_scope_values_work() {
    assert_eq!(resolve_str("${workflow.input.x[1]}", &Owned), json!(2));
    assert_eq!(resolve_str("${workflow.input.x[*]}", &Owned), json!([1, 2]));
    assert_eq!(resolve_str("${workflow.output}", &Owned), Value::Null);
    assert_eq!(resolve_str("${workflow}", &Owned), Value::Null);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[^$]*".prop_map(Value::String),
        "[a-z$]{0,6}".prop_map(|s| Value::String(s.replace("${", "$"))),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".*", inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn values_without_templates_are_unchanged(value in arb_json()) {
        prop_assert!(!has_template_string(&value));
        prop_assert_eq!(references(&value), Ok(vec![]));
        prop_assert_eq!(resolve(&value, &scope()), value);
    }

    #[test]
    fn references_never_panics(s in ".*", t in "[${}.\\[\\]'\"a-z0-9*?@ ()-]{0,40}") {
        let _ = references_in_str(&s);
        let _ = references_in_str(&t);
    }

    #[test]
    fn resolve_never_panics(s in ".*", t in "[${}.\\[\\]'\"a-z0-9*?@ ()-]{0,40}") {
        let _ = resolve_str(&s, &scope());
        let _ = resolve_str(&t, &scope());
        let _ = resolve_str(&format!("${{t1.output{t}}}"), &scope());
    }
}

fn has_template_string(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("${"),
        Value::Array(items) => items.iter().any(has_template_string),
        Value::Object(map) => map.values().any(has_template_string),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}
