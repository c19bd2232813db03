//! The shape most DO_WHILE conditions and `when:` guards have — one comparison of a
//! number in `$` with a number — decided without starting a JavaScript engine.
//!
//! Setting up a QuickJS runtime and context costs far more than the comparison, and a
//! loop pays it on every iteration. This recognises exactly
//!
//! ```text
//! OPERAND OP OPERAND
//! if (OPERAND OP OPERAND) { true; } else { false; }     (or with the booleans swapped)
//! ```
//!
//! where OPERAND is a decimal literal or a path into `$` (`$.a.b`, `$['a']`, `$.xs[0]`)
//! and OP one of `< <= > >= == === != !==`, and answers only when both operands are JSON
//! numbers. Anything else — another shape, a missing key, a string — is left to QuickJS,
//! so the result is always the one QuickJS would give (both compare IEEE doubles).

use serde_json::Value;

/// The result of `script` on `input` when it is a plain numeric comparison, else `None`.
pub(crate) fn try_compare(script: &str, input: &Value) -> Option<Value> {
    let mut p = Parser {
        rest: script.trim(),
    };
    let (cmp, wrapped) = if p.eat("if") {
        p.expect("(")?;
        let cmp = p.comparison()?;
        p.expect(")")?;
        let then = p.block()?;
        p.expect("else")?;
        let otherwise = p.block()?;
        if then == otherwise {
            return None;
        }
        (cmp, Some(then))
    } else {
        let cmp = p.comparison()?;
        p.eat(";");
        (cmp, None)
    };
    if !p.rest.trim().is_empty() {
        return None;
    }
    let result = cmp.eval(input)?;
    Some(Value::Bool(match wrapped {
        Some(then) => result == then,
        None => result,
    }))
}

/// A comparison of two operands.
struct Comparison<'s> {
    left: Operand<'s>,
    op: Op,
    right: Operand<'s>,
}

impl Comparison<'_> {
    fn eval(&self, input: &Value) -> Option<bool> {
        let (a, b) = (self.left.number(input)?, self.right.number(input)?);
        Some(match self.op {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        })
    }
}

#[derive(Clone, Copy)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

enum Operand<'s> {
    Number(f64),
    /// Segments after `$`: a property name or an array index.
    Path(Vec<Segment<'s>>),
}

enum Segment<'s> {
    Key(&'s str),
    Index(usize),
}

impl Operand<'_> {
    fn number(&self, input: &Value) -> Option<f64> {
        match self {
            Operand::Number(n) => Some(*n),
            Operand::Path(segments) => {
                let mut v = input;
                for s in segments {
                    v = match (s, v) {
                        (Segment::Key(k), Value::Object(m)) => m.get(*k)?,
                        (Segment::Index(i), Value::Array(a)) => a.get(*i)?,
                        (Segment::Index(i), Value::Object(m)) => m.get(&i.to_string())?,
                        _ => return None,
                    };
                }
                v.as_f64()
            }
        }
    }
}

struct Parser<'s> {
    rest: &'s str,
}

impl<'s> Parser<'s> {
    fn skip_ws(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// Consumes `token` if the input starts with it (after white space). A word token
    /// must not run on into an identifier (`iffy` is not `if`).
    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        let Some(after) = self.rest.strip_prefix(token) else {
            return false;
        };
        let is_word = token.bytes().all(|b| b.is_ascii_alphabetic());
        if is_word && after.bytes().next().is_some_and(is_ident_byte) {
            return false;
        }
        self.rest = after;
        true
    }

    fn expect(&mut self, token: &str) -> Option<()> {
        self.eat(token).then_some(())
    }

    /// `{ true; }` or `{ false; }` (the semicolon optional).
    fn block(&mut self) -> Option<bool> {
        self.expect("{")?;
        let value = if self.eat("true") {
            true
        } else if self.eat("false") {
            false
        } else {
            return None;
        };
        self.eat(";");
        self.expect("}")?;
        Some(value)
    }

    fn comparison(&mut self) -> Option<Comparison<'s>> {
        let left = self.operand()?;
        self.skip_ws();
        // Longest operators first.
        let ops = [
            ("===", Op::Eq),
            ("!==", Op::Ne),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        let (len, op) = ops
            .iter()
            .find(|(t, _)| self.rest.starts_with(t))
            .map(|(t, op)| (t.len(), *op))?;
        self.rest = &self.rest[len..];
        let right = self.operand()?;
        Some(Comparison { left, op, right })
    }

    fn operand(&mut self) -> Option<Operand<'s>> {
        self.skip_ws();
        if let Some(after) = self.rest.strip_prefix('$') {
            self.rest = after;
            let mut segments = Vec::new();
            loop {
                if let Some(after) = self.rest.strip_prefix('.') {
                    let len = ident_len(after)?;
                    segments.push(Segment::Key(&after[..len]));
                    self.rest = &after[len..];
                } else if let Some(after) = self.rest.strip_prefix('[') {
                    let (segment, rest) = bracket(after)?;
                    segments.push(segment);
                    self.rest = rest;
                } else {
                    break;
                }
            }
            // `$x` is another identifier, not a path.
            if self.rest.bytes().next().is_some_and(is_ident_byte) {
                return None;
            }
            return Some(Operand::Path(segments));
        }
        let digits = decimal_len(self.rest)?;
        let n: f64 = self.rest[..digits].parse().ok()?;
        self.rest = &self.rest[digits..];
        if self.rest.bytes().next().is_some_and(is_ident_byte) {
            return None;
        }
        Some(Operand::Number(n))
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Length of an identifier at the start of `s` (ASCII only; anything else goes to JS).
fn ident_len(s: &str) -> Option<usize> {
    let first = *s.as_bytes().first()?;
    if first.is_ascii_digit() || !is_ident_byte(first) {
        return None;
    }
    Some(s.bytes().take_while(|b| is_ident_byte(*b)).count())
}

/// Length of `[0-9]+(\.[0-9]+)?` at the start of `s`.
fn decimal_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if int == 0 {
        return None;
    }
    // A leading zero makes `010` an octal-looking literal in sloppy JS: leave it to JS.
    if int > 1 && b[0] == b'0' {
        return None;
    }
    if b.get(int) == Some(&b'.') {
        let frac = b[int + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if frac == 0 {
            return None;
        }
        return Some(int + 1 + frac);
    }
    Some(int)
}

/// `'key']`, `"key"]` or `12]` after a `[`: the segment and what follows the `]`.
fn bracket(s: &str) -> Option<(Segment<'_>, &str)> {
    let s = s.trim_start();
    let (segment, rest) = match s.as_bytes().first()? {
        q @ (b'\'' | b'"') => {
            let body = &s[1..];
            let end = body.find(*q as char)?;
            let key = &body[..end];
            // Escapes would need JS string rules: leave them to JS.
            if key.contains('\\') {
                return None;
            }
            (Segment::Key(key), &body[end + 1..])
        }
        b'0'..=b'9' => {
            let len = s.bytes().take_while(u8::is_ascii_digit).count();
            if len > 1 && s.starts_with('0') {
                return None;
            }
            (Segment::Index(s[..len].parse().ok()?), &s[len..])
        }
        _ => return None,
    };
    let rest = rest.trim_start().strip_prefix(']')?;
    Some((segment, rest))
}

#[cfg(test)]
mod tests {
    use super::try_compare;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn quickjs(script: &str, input: &Value) -> Value {
        super::super::run(script, input, &super::super::JsLimits::default()).expect("QuickJS")
    }

    #[test]
    fn recognises_conductor_loop_conditions() {
        let input = json!({"loop": {"iteration": 3}, "n": 5, "xs": [1, 9], "s": "7"});
        let cases = [
            ("$.loop['iteration'] < 5", Some(true)),
            (
                "if ( $.loop['iteration'] < $.n ) { true; } else { false; }",
                Some(true),
            ),
            (
                "if ($.loop.iteration >= 3) { false } else { true }",
                Some(false),
            ),
            ("$.xs[1] === 9;", Some(true)),
            ("$[\"n\"] != 5", Some(false)),
            ("2.5 <= $.loop.iteration", Some(true)),
            // Left to QuickJS: strings, missing keys, other shapes.
            ("$.s < 8", None),
            ("$.missing < 8", None),
            ("$.n < 8 && true", None),
            ("$.xs.length > 1", None),
            ("if ($.n < 8) { true; } else { true; }", None),
            ("010 < $.n", None),
            ("$.n < 8 ; x", None),
        ];
        for (script, want) in cases {
            let got = try_compare(script, &input);
            assert_eq!(got, want.map(Value::Bool), "{script}");
            if let Some(fast) = got {
                assert_eq!(fast, quickjs(script, &input), "{script} as QuickJS sees it");
            }
        }
    }

    fn operand() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u32..20).prop_map(|n| n.to_string()),
            (0u32..20, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
            Just("$.a".to_string()),
            Just("$['a']".to_string()),
            Just("$.o.b".to_string()),
            Just("$.xs[0]".to_string()),
            Just("$.xs[1]".to_string()),
            Just("$.o[\"s\"]".to_string()),
            Just("$.nope".to_string()),
        ]
    }

    fn script() -> impl Strategy<Value = String> {
        let op = prop::sample::select(vec!["<", "<=", ">", ">=", "==", "===", "!=", "!=="]);
        (operand(), op, operand(), 0u8..3).prop_map(|(l, op, r, form)| match form {
            0 => format!("{l} {op} {r}"),
            1 => format!("if ({l}{op}{r}) {{ true; }} else {{ false; }}"),
            _ => format!("if ( {l} {op} {r} ) {{ false }} else {{ true }}"),
        })
    }

    proptest! {
        /// Whenever the shortcut answers, QuickJS answers the same.
        #[test]
        fn agrees_with_quickjs(
            script in script(),
            a in -5.0f64..20.0,
            b in 0i64..20,
            x0 in prop_oneof![(0i64..20).prop_map(|n| json!(n)), Just(json!("3"))],
            x1 in 0i64..20,
        ) {
            let input = json!({"a": a, "o": {"b": b, "s": "x"}, "xs": [x0, x1]});
            if let Some(fast) = try_compare(&script, &input) {
                prop_assert_eq!(fast, quickjs(&script, &input), "{}", script);
            }
        }
    }
}
