//! Parsing and walking the path inside `${...}`.
//!
//! Simple segments (`.name`, `['name']`, `["name"]`, `[N]`, `[-N]`) are walked directly on the
//! value; the first segment that is anything else (wildcards, filters, slices, unions, `..`)
//! starts a suffix that is handed to RFC 9535 JSONPath.

use std::borrow::Cow;

use serde_json::Value;

/// One simple path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    /// An object member name.
    Name(Cow<'a, str>),
    /// An array index; negative counts from the end.
    Index(i64),
}

/// The result of reading one segment with [`Cursor::next_seg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// No more input.
    End,
    /// A simple segment.
    Seg(Seg<'a>),
    /// A segment only JSONPath understands; [`Cursor::remainder`] is the JSONPath suffix.
    Complex,
    /// Text that cannot start a segment (the message says why).
    Invalid(&'static str),
}

/// A position in a path expression.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `src`.
    pub(crate) fn new(src: &'a str) -> Self {
        Cursor { src, pos: 0 }
    }

    /// The unread text (the JSONPath suffix after [`Step::Complex`]).
    pub(crate) fn remainder(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// Reads the root segment: `name`, `$.name` or `$['name']`.
    pub(crate) fn root(&mut self) -> Result<Cow<'a, str>, &'static str> {
        let rest = self.remainder();
        if rest.starts_with('$') {
            self.pos += 1;
            return match self.next_seg() {
                Step::Seg(Seg::Name(name)) => Ok(name),
                _ => Err("expected a name after `$`"),
            };
        }
        let len = name_len(rest);
        if len == 0 {
            return Err("expected a name");
        }
        if has_space(rest.get(..len).unwrap_or("")) {
            return Err("whitespace in a name (quote it: `['a b']`)");
        }
        self.pos += len;
        Ok(Cow::Borrowed(rest.get(..len).unwrap_or("")))
    }

    /// Reads the next segment without consuming anything on [`Step::Complex`].
    pub(crate) fn next_seg(&mut self) -> Step<'a> {
        let rest = self.remainder();
        let mut chars = rest.chars();
        match chars.next() {
            None => Step::End,
            Some('.') => {
                let after = chars.as_str();
                let len = name_len(after);
                let name = after.get(..len).unwrap_or("");
                // `..` (descendants), `.*` and Jayway functions such as `.length()` are JSONPath's.
                if len == 0 || name == "*" || name.ends_with(')') {
                    return Step::Complex;
                }
                if has_space(name) {
                    return Step::Invalid("whitespace in a name (quote it: `['a b']`)");
                }
                self.pos += 1 + len;
                Step::Seg(Seg::Name(Cow::Borrowed(name)))
            }
            Some('[') => match bracket(chars.as_str()) {
                Some((seg, len)) => {
                    self.pos += 1 + len;
                    Step::Seg(seg)
                }
                None => Step::Complex,
            },
            Some(_) => Step::Invalid("expected `.` or `[`"),
        }
    }
}

/// Length of a dotted name: everything up to the next `.` or `[`.
fn name_len(s: &str) -> usize {
    s.find(['.', '[']).unwrap_or(s.len())
}

/// Whether a dotted name contains whitespace (not allowed; bracket-quote such names).
fn has_space(name: &str) -> bool {
    name.chars().any(char::is_whitespace)
}

/// Parses a simple bracket segment (after `[`): `N]`, `-N]`, `'name']` or `"name"]`.
/// Returns the segment and the bytes consumed (including `]`), or None if it is not simple.
fn bracket(s: &str) -> Option<(Seg<'_>, usize)> {
    let lead = s.len() - s.trim_start().len();
    let body = s.get(lead..)?;
    let (seg, used) = match body.as_bytes().first()? {
        q @ (b'\'' | b'"') => {
            quoted(body.get(1..)?, *q).map(|(name, len)| (Seg::Name(name), len + 1))?
        }
        b'-' | b'0'..=b'9' => {
            let digits = body
                .get(1..)?
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count()
                + 1;
            let index = body.get(..digits)?.parse::<i64>().ok()?;
            (Seg::Index(index), digits)
        }
        _ => return None,
    };
    let after = body.get(used..)?;
    let trail = after.len() - after.trim_start().len();
    if after.get(trail..)?.starts_with(']') {
        Some((seg, lead + used + trail + 1))
    } else {
        None
    }
}

/// Reads a quoted name (after the opening quote `q`) with `\` escapes.
/// Returns the name and the bytes consumed including the closing quote.
fn quoted(s: &str, q: u8) -> Option<(Cow<'_, str>, usize)> {
    let mut owned: Option<String> = None;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == char::from(q) {
            let name = match owned {
                Some(text) => Cow::Owned(text),
                None => Cow::Borrowed(s.get(..i)?),
            };
            return Some((name, i + 1));
        }
        if c == '\\' {
            let (_, escaped) = chars.next()?;
            let text = owned.get_or_insert_with(|| s.get(..i).unwrap_or("").to_owned());
            text.push(match escaped {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                other => other,
            });
        } else if let Some(text) = owned.as_mut() {
            text.push(c);
        }
    }
    None
}

/// Applies one simple segment to `value`.
pub(crate) fn step<'v>(value: &'v Value, seg: &Seg<'_>) -> Option<&'v Value> {
    match (value, seg) {
        (Value::Object(map), Seg::Name(name)) => map.get(name.as_ref()),
        (Value::Array(items), Seg::Index(index)) => {
            let len = i64::try_from(items.len()).ok()?;
            let at = if *index < 0 { len + index } else { *index };
            items.get(usize::try_from(at).ok()?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(src: &str) -> (Vec<Step<'_>>, String) {
        let mut cursor = Cursor::new(src);
        let mut out = Vec::new();
        loop {
            let step = cursor.next_seg();
            let stop = !matches!(step, Step::Seg(_));
            out.push(step);
            if stop {
                return (out, cursor.remainder().to_owned());
            }
        }
    }

    fn name(s: &str) -> Step<'_> {
        Step::Seg(Seg::Name(Cow::Borrowed(s)))
    }

    #[test]
    fn simple_segments() {
        let (steps, rest) = segs(".a[0]['b.c'][\"d\"][ -1 ].e-f");
        assert_eq!(
            steps,
            vec![
                name("a"),
                Step::Seg(Seg::Index(0)),
                name("b.c"),
                name("d"),
                Step::Seg(Seg::Index(-1)),
                name("e-f"),
                Step::End
            ]
        );
        assert_eq!(rest, "");
    }

    #[test]
    fn escaped_quoted_names_are_unescaped() {
        let (steps, _) = segs("['it\\'s'][\"a\\\\b\"]");
        assert_eq!(
            steps,
            vec![
                Step::Seg(Seg::Name(Cow::Owned("it's".into()))),
                Step::Seg(Seg::Name(Cow::Owned("a\\b".into()))),
                Step::End
            ]
        );
    }

    #[test]
    fn complex_segments_stop_the_walk() {
        for (src, rest) in [
            (".a[*].id", "[*].id"),
            (".a.*", ".*"),
            (".a..id", "..id"),
            (".a[?(@.x > 1)]", "[?(@.x > 1)]"),
            (".a[1:3]", "[1:3]"),
            (".a[0,1]", "[0,1]"),
            (".a['x','y']", "['x','y']"),
            (".a.length()", ".length()"),
            (".a[99999999999999999999]", "[99999999999999999999]"),
        ] {
            let (steps, remainder) = segs(src);
            assert_eq!(steps.last(), Some(&Step::Complex), "{src}");
            assert_eq!(remainder, rest, "{src}");
        }
    }

    #[test]
    fn invalid_and_unterminated_segments() {
        assert!(matches!(segs("x").0.last(), Some(Step::Invalid(_))));
        assert!(matches!(segs(".a b").0.last(), Some(Step::Invalid(_))));
        assert!(Cursor::new("a b.c").root().is_err());
        assert_eq!(segs("['abc").0.last(), Some(&Step::Complex));
        assert_eq!(segs("[0").0.last(), Some(&Step::Complex));
    }

    #[test]
    fn roots() {
        assert_eq!(
            Cursor::new("workflow.input").root(),
            Ok(Cow::Borrowed("workflow"))
        );
        assert_eq!(Cursor::new("$.t1.output").root(), Ok(Cow::Borrowed("t1")));
        assert_eq!(Cursor::new("$['t.1']").root(), Ok(Cow::Borrowed("t.1")));
        assert!(Cursor::new(".a").root().is_err());
        assert!(Cursor::new("[0]").root().is_err());
        assert!(Cursor::new("$[0]").root().is_err());
    }

    #[test]
    fn steps_on_values() {
        let v = serde_json::json!({"a": [1, 2, 3]});
        let a = step(&v, &Seg::Name("a".into()));
        assert!(a.is_some());
        let a = a.unwrap_or(&Value::Null);
        assert_eq!(step(a, &Seg::Index(-1)), Some(&serde_json::json!(3)));
        assert_eq!(step(a, &Seg::Index(-4)), None);
        assert_eq!(step(a, &Seg::Index(3)), None);
        assert_eq!(step(a, &Seg::Name("a".into())), None);
        assert_eq!(step(&v, &Seg::Index(0)), None);
    }
}
