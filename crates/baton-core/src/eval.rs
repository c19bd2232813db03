//! Conditions and case values.

use crate::decide::Decider;
use crate::scope::StateScope;
use baton_expr::{js, template};
use serde_json::Value;

/// Evaluates a JavaScript expression with `$` bound to `input`.
pub(crate) fn javascript(expr: &str, input: &Value) -> Result<Value, String> {
    js::eval(expr, input, &js::JsLimits::default()).map_err(|e| e.to_string())
}

/// The text a case value is compared as (Conductor's `String.valueOf`).
pub(crate) fn case_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.len() == 1 => case_string(&a[0]),
        other => other.to_string(),
    }
}

/// Parses a WAIT `until`: RFC 3339 (`2026-11-21T10:00:00Z`) or Conductor's
/// `yyyy-MM-dd HH:mm[:ss] <zone>` with zone `UTC`, `GMT`, `Z` or an offset like `+02:00`.
/// Named time zones are refused: resolving them would read the system's zone database.
pub(crate) fn parse_until(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return u64::try_from(ts.as_millisecond())
            .map_err(|_| "times before 1970 are not supported".to_string());
    }
    let (civil, zone) = s.rsplit_once(' ').ok_or_else(|| until_help(s))?;
    let offset = match zone {
        "UTC" | "GMT" | "Z" => jiff::tz::Offset::UTC,
        z => parse_offset(z).ok_or_else(|| until_help(s))?,
    };
    let dt = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", civil)
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", civil))
        .map_err(|_| until_help(s))?;
    let ts = offset.to_timestamp(dt).map_err(|e| e.to_string())?;
    u64::try_from(ts.as_millisecond())
        .map_err(|_| "times before 1970 are not supported".to_string())
}

fn parse_offset(z: &str) -> Option<jiff::tz::Offset> {
    let (sign, rest) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let secs = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
    jiff::tz::Offset::from_seconds(secs).ok()
}

fn until_help(s: &str) -> String {
    format!(
        "cannot read time {s:?}; write `2026-11-21T10:00:00Z` or `2026-11-21 10:00 UTC` (or an offset like `+02:00`)"
    )
}

impl Decider<'_> {
    /// A `when:` condition: `${…}` templates are resolved first; a boolean result is used
    /// as is, text is evaluated as JavaScript with `$` = `{input, variables}` of the workflow.
    pub(crate) fn eval_condition(&self, cond: &str) -> Result<bool, String> {
        let scope = StateScope {
            state: &self.st,
            task_id: None,
        };
        let resolved = template::resolve_str(cond, &scope);
        match resolved {
            Value::Bool(b) => Ok(b),
            Value::String(text) => {
                let ctx = serde_json::json!({
                    "input": self.st.input,
                    "variables": Value::Object(self.st.variables.clone()),
                });
                javascript(&text, &ctx).map(|v| js::truthy(&v))
            }
            other => Ok(js::truthy(&other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_formats() {
        assert_eq!(parse_until("1970-01-01T00:00:01Z"), Ok(1000));
        assert_eq!(parse_until("1970-01-01 00:01 UTC"), Ok(60_000));
        assert_eq!(parse_until("1970-01-01 01:01 +01:00"), Ok(60_000));
        assert!(parse_until("tomorrow").is_err());
        assert!(parse_until("2026-01-01 10:00 Europe/Paris").is_err());
    }

    #[test]
    fn case_strings() {
        assert_eq!(case_string(&Value::from("A")), "A");
        assert_eq!(case_string(&Value::from(3)), "3");
        assert_eq!(case_string(&Value::Null), "null");
        assert_eq!(case_string(&Value::Bool(true)), "true");
    }
}
