use super::*;
use serde_json::json;

fn run(script: &str, input: Value) -> Result<Value, JsError> {
    eval(script, &input, &JsLimits::default())
}

#[test]
fn expression_statement_and_iife_styles() {
    assert_eq!(
        run("$.a == 'x' ? 'y' : 'z'", json!({"a": "x"})),
        Ok(json!("y"))
    );
    assert_eq!(
        run("$.a == 'x' ? 'y' : 'z'", json!({"a": "q"})),
        Ok(json!("z"))
    );
    let statement = "if ($.x < $.n) { true; } else { false; }";
    assert_eq!(run(statement, json!({"x": 1, "n": 3})), Ok(json!(true)));
    assert_eq!(run(statement, json!({"x": 3, "n": 3})), Ok(json!(false)));
    assert_eq!(
        run(
            "(function(){ return $.a + $.b; })()",
            json!({"a": 2, "b": 3})
        ),
        Ok(json!(5))
    );
    assert_eq!(
        run(
            "(function(){ return {sum: $.a + $.b, list: [$.a, 'x', null, 1.5]}; })();",
            json!({"a": 2, "b": 3})
        ),
        Ok(json!({"sum": 5, "list": [2, "x", null, 1.5]}))
    );
}

#[test]
fn conductor_do_while_conditions() {
    let condition = "if ($.loopTask['iteration'] < $.value ) { true;} else {false;} ";
    assert_eq!(
        run(condition, json!({"loopTask": {"iteration": 1}, "value": 3})),
        Ok(json!(true))
    );
    assert_eq!(
        run(condition, json!({"loopTask": {"iteration": 3}, "value": 3})),
        Ok(json!(false))
    );
}

#[test]
fn conductor_inline_join_script() {
    let script = "(function(){\n  let results = {};\n  let pendingJoinsFound = false;\n  if($.joinOn){\n    $.joinOn.forEach((element)=>{\n      if($[element] && $[element].status !== 'COMPLETED'){\n        results[element] = $[element].status;\n        pendingJoinsFound = true;\n      }\n    });\n    if(pendingJoinsFound){\n      return {\n        \"status\":\"IN_PROGRESS\",\n        \"outputData\":{\n          \"scriptResults\": results\n        }\n      };\n    }\n    return true;\n  }\n})();";
    let input =
        json!({"joinOn": ["a", "b"], "a": {"status": "COMPLETED"}, "b": {"status": "SCHEDULED"}});
    assert_eq!(
        run(script, input),
        Ok(json!({"status": "IN_PROGRESS", "outputData": {"scriptResults": {"b": "SCHEDULED"}}}))
    );
    assert_eq!(run(script, json!({"joinOn": []})), Ok(json!(true)));
    assert_eq!(run(script, json!({})), Ok(Value::Null));
}

#[test]
fn function_bodies_with_top_level_return() {
    let body = "if ($.input.a==1){return {testvalue: true}} else{return {testvalue: false} }";
    let limits = JsLimits::default();
    assert_eq!(
        eval_function_body(body, &json!({"input": {"a": 1}}), &limits),
        Ok(json!({"testvalue": true}))
    );
    assert_eq!(
        eval_function_body(body, &json!({"input": {"a": 2}}), &limits),
        Ok(json!({"testvalue": false}))
    );
    assert_eq!(
        eval_function_body(
            "return {locationRanId: 'some location id'} // trailing comment",
            &json!({}),
            &limits
        ),
        Ok(json!({"locationRanId": "some location id"}))
    );
    assert_eq!(
        eval_function_body("var x = 1;", &json!({}), &limits),
        Ok(Value::Null)
    );
    assert!(matches!(
        eval_function_body("return (", &json!({}), &limits),
        Err(JsError::Syntax(_))
    ));
}

#[test]
fn input_types_round_trip() {
    let input = json!({"s": "é ✓ \"q\"", "n": -1.25, "b": false, "z": null, "a": [1, {"k": []}], "big": 9007199254740991_i64});
    assert_eq!(run("$", input.clone()), Ok(input));
    assert_eq!(run("$", json!(null)), Ok(Value::Null));
    assert_eq!(run("typeof $", json!([1])), Ok(json!("object")));
}

#[test]
fn undefined_and_non_json_results() {
    assert_eq!(run("undefined", json!({})), Ok(Value::Null));
    assert_eq!(run("var x = 1;", json!({})), Ok(Value::Null));
    assert_eq!(run("$.missing", json!({})), Ok(Value::Null));
    assert_eq!(run("0/0", json!({})), Ok(Value::Null));
    assert_eq!(
        run("({a: undefined, b: function(){}, c: 1})", json!({})),
        Ok(json!({"c": 1}))
    );
    assert!(matches!(
        run("(function(){})", json!({})),
        Err(JsError::NotJson(_))
    ));
    assert!(matches!(
        run("Symbol('s')", json!({})),
        Err(JsError::NotJson(_))
    ));
    assert!(matches!(
        run("var o = {}; o.o = o; o", json!({})),
        Err(JsError::NotJson(_))
    ));
    assert!(matches!(run("10n", json!({})), Err(JsError::NotJson(_))));
}

#[test]
fn syntax_errors() {
    let err = run("if (", json!({}));
    assert!(
        matches!(err, Err(JsError::Syntax(ref m)) if m.contains("eval_script:1:5")),
        "{err:?}"
    );
    let err = run("let x = ;", json!({}));
    assert!(matches!(err, Err(JsError::Syntax(_))), "{err:?}");
}

#[test]
fn thrown_errors_carry_their_message() {
    assert_eq!(
        run("throw new Error('boom')", json!({})),
        Err(JsError::Runtime("Error: boom".into()))
    );
    assert_eq!(
        run("throw 'plain'", json!({})),
        Err(JsError::Runtime("plain".into()))
    );
    assert_eq!(
        run("throw {code: 7}", json!({})),
        Err(JsError::Runtime("{\"code\":7}".into()))
    );
    let err = run("$.a.b.c", json!({}));
    assert!(
        matches!(err, Err(JsError::Runtime(ref m)) if m.starts_with("TypeError")),
        "{err:?}"
    );
    let err = run("nope()", json!({}));
    assert!(
        matches!(err, Err(JsError::Runtime(ref m)) if m.starts_with("ReferenceError")),
        "{err:?}"
    );
}

#[test]
fn infinite_loops_exhaust_the_budget() {
    assert_eq!(
        run("while (true) {}", json!({})),
        Err(JsError::BudgetExhausted)
    );
    assert_eq!(
        run("for (;;) { try { while(true){} } catch (e) {} }", json!({})),
        Err(JsError::BudgetExhausted)
    );
    let small = JsLimits {
        max_interrupt_polls: 1,
        ..JsLimits::default()
    };
    assert_eq!(
        eval("let i = 0; while (i < 1e6) i++; i", &json!({}), &small),
        Err(JsError::BudgetExhausted)
    );
    // A normal loop fits comfortably in the default budget.
    assert_eq!(
        run(
            "let s = 0; for (let i = 0; i < 100000; i++) s += i; s",
            json!({})
        ),
        Ok(json!(4999950000_i64))
    );
}

#[test]
fn huge_allocations_run_out_of_memory() {
    let err = run(
        "let a = []; while (true) a.push('x'.repeat(1000) + a.length);",
        json!({}),
    );
    assert_eq!(err, Err(JsError::OutOfMemory));
    let err = run("new Array(1e9).fill(0)", json!({}));
    assert!(
        matches!(err, Err(JsError::OutOfMemory) | Err(JsError::Runtime(_))),
        "{err:?}"
    );
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let err = run("function f(n) { return f(n + 1) + 1; } f(0)", json!({}));
    assert!(
        matches!(err, Err(JsError::Runtime(ref m)) if m.contains("call stack size exceeded")),
        "{err:?}"
    );
    let err = run("JSON.stringify(JSON.parse('['.repeat(100000)))", json!({}));
    assert!(err.is_err());
}

#[test]
fn random_and_dates_are_deterministic() {
    let script = "[Math.random(), Math.random(), Date.now(), new Date().getTime(), typeof Date()]";
    let first = run(script, json!({}));
    assert_eq!(first, run(script, json!({})));
    let Ok(Value::Array(items)) = first else {
        panic!("expected an array")
    };
    assert_ne!(items.first(), items.get(1));
    assert_eq!(items.get(2), Some(&json!(0)));
    assert_eq!(items.get(3), Some(&json!(0)));
    assert_eq!(items.get(4), Some(&json!("string")));
    assert_eq!(
        run("Date.UTC(2020, 0, 2)", json!({})),
        Ok(json!(1577923200000_i64))
    );
    assert_eq!(
        run("new Date(Date.UTC(2020, 0, 2)).toISOString()", json!({})),
        Ok(json!("2020-01-02T00:00:00.000Z"))
    );
    assert_eq!(
        run(
            "new Date('2020-01-02T00:00:00Z') instanceof Date",
            json!({})
        ),
        Ok(json!(true))
    );
    assert_eq!(
        run("new Date(0).constructor === Date", json!({})),
        Ok(json!(true))
    );
    // The Conductor stress-test INLINE script uses both.
    let conductor = "(function() { var data = []; for(var i = 0; i < 100; i++) { data.push(Math.random()); } return { iteration: $.do_while_loop_ref['iteration'], data: data.length, timestamp: Date.now() }; })()";
    assert_eq!(
        run(conductor, json!({"do_while_loop_ref": {"iteration": 2}})),
        Ok(json!({"iteration": 2, "data": 100, "timestamp": 0}))
    );
}

#[test]
fn truthiness_follows_javascript() {
    for falsy in [
        json!(null),
        json!(false),
        json!(0),
        json!(0.0),
        json!(-0.0),
        json!(""),
    ] {
        assert!(!truthy(&falsy), "{falsy}");
    }
    for truthy_value in [
        json!(true),
        json!(1),
        json!(-0.5),
        json!("false"),
        json!("0"),
        json!([]),
        json!({}),
    ] {
        assert!(truthy(&truthy_value), "{truthy_value}");
    }
}

#[test]
fn errors_display() {
    assert_eq!(
        JsError::BudgetExhausted.to_string(),
        "JavaScript exceeded its execution budget"
    );
    assert!(JsError::Syntax("x".into()).to_string().contains('x'));
}
