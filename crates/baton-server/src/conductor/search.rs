//! The subset of Conductor's workflow search syntax Baton answers:
//! `workflowType = X`, `status = X`, `status IN (A,B)`, `correlationId = X`, joined by `AND`.

use baton_core::WorkflowStatus;

/// What a search asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// `workflowType = X`.
    pub workflow_type: Option<String>,
    /// `status = X` / `status IN (A,B)` (empty = any).
    pub statuses: Vec<WorkflowStatus>,
    /// `correlationId = X`.
    pub correlation_id: Option<String>,
}

/// What the syntax supports, for error messages.
pub const SUPPORTED: &str = "supported: `workflowType = NAME`, `status = STATUS`, `status IN (A,B)`, `correlationId = ID`, combined with AND";

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// One value: quoted, or a single word.
fn single(v: &str, clause: &str) -> Result<String, String> {
    let inner = unquote(v);
    if inner.len() == v.trim().len()
        && (inner.is_empty()
            || inner.contains(char::is_whitespace)
            || inner.contains(['=', '(', ')']))
    {
        return Err(format!(
            "cannot read condition `{clause}` (quote values that contain spaces); {SUPPORTED}"
        ));
    }
    Ok(inner.to_string())
}

fn status(s: &str) -> Result<WorkflowStatus, String> {
    let v = unquote(s).to_ascii_uppercase();
    serde_json::from_value(serde_json::Value::String(v.clone())).map_err(|_| {
        format!("unknown workflow status `{v}`; use RUNNING, PAUSED, COMPLETED, FAILED, TIMED_OUT or TERMINATED")
    })
}

/// Splits on the keyword `AND` (any case) outside quotes.
fn clauses(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let words: Vec<&str> = q.split_inclusive(char::is_whitespace).collect();
    for w in words {
        if quote.is_none() && w.trim().eq_ignore_ascii_case("and") {
            out.push(std::mem::take(&mut cur));
            continue;
        }
        for c in w.chars() {
            match quote {
                Some(qc) if c == qc => quote = None,
                None if c == '"' || c == '\'' => quote = Some(c),
                _ => {}
            }
        }
        cur.push_str(w);
    }
    out.push(cur);
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// Parses a search query; an empty query matches everything.
pub fn parse(q: &str) -> Result<SearchQuery, String> {
    let mut out = SearchQuery::default();
    if q.trim().is_empty() {
        return Ok(out);
    }
    for clause in clauses(q) {
        if clause.is_empty() {
            return Err(format!("empty condition in query `{q}`; {SUPPORTED}"));
        }
        let (field, op, value) = if let Some((f, v)) = clause.split_once('=') {
            (f.trim(), "=", v.trim())
        } else {
            let lower = clause.to_ascii_lowercase();
            match lower.find(" in ") {
                Some(at) => (clause[..at].trim(), "IN", clause[at + 4..].trim()),
                None => return Err(format!("cannot read condition `{clause}`; {SUPPORTED}")),
            }
        };
        match (field, op) {
            ("workflowType", "=") => out.workflow_type = Some(single(value, &clause)?),
            ("correlationId", "=") => out.correlation_id = Some(single(value, &clause)?),
            ("status", "=") => out.statuses = vec![status(&single(value, &clause)?)?],
            ("status", "IN") => {
                let inner = value
                    .strip_prefix('(')
                    .and_then(|v| v.strip_suffix(')'))
                    .ok_or_else(|| format!("`status IN` needs a list in parentheses, e.g. status IN (RUNNING,PAUSED); got `{value}`"))?;
                out.statuses = inner.split(',').map(status).collect::<Result<_, _>>()?;
            }
            _ => return Err(format!("unsupported condition `{clause}`; {SUPPORTED}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_supported_forms() {
        let q = parse(
            "workflowType = 'order' AND status IN (RUNNING, paused) and correlationId=\"c 1\"",
        );
        let Ok(q) = q else { panic!("{q:?}") };
        assert_eq!(q.workflow_type.as_deref(), Some("order"));
        assert_eq!(
            q.statuses,
            vec![WorkflowStatus::Running, WorkflowStatus::Paused]
        );
        assert_eq!(q.correlation_id.as_deref(), Some("c 1"));
        assert_eq!(parse("").ok(), Some(SearchQuery::default()));
        assert_eq!(
            parse("status = COMPLETED").ok().map(|q| q.statuses),
            Some(vec![WorkflowStatus::Completed])
        );
    }

    #[test]
    fn rejects_the_rest_with_a_hint() {
        for bad in [
            "startTime > 5",
            "status = DONE",
            "status IN RUNNING",
            "workflowType = a OR status = RUNNING",
            "a AND",
        ] {
            let e = parse(bad).err().unwrap_or_default();
            assert!(!e.is_empty(), "{bad} should fail");
        }
        assert!(
            parse("startTime > 5")
                .err()
                .unwrap_or_default()
                .contains("supported")
        );
    }
}
