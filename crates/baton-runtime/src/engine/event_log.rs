//! How engine events are written to the store's event log, and read back.
//!
//! The log is written on every step, so its encoding is compact: each event is a JSON
//! array whose first element names its kind, with fields by position and times as an
//! offset from the batch's own time (0 for every event the engine writes today):
//!
//! | kind | array |
//! |---|---|
//! | workflow started | `["ws", workflow_id, name, dt]` |
//! | task transition | `["t", workflow_id, task_id, ref_name, from, to, attempt, dt, reason?]` |
//! | workflow status | `["s", workflow_id, status, dt, reason?]` |
//! | alert | `["a", workflow_id, message]` |
//!
//! Statuses use their serde names (`"IN_PROGRESS"`); `from` is `null` for a new attempt.
//! Logs written before this encoding hold each event as its tagged serde object
//! (`{"kind": "task", ...}`); [`EngineEvent::from_stored`] reads both forms.

use super::EngineEvent;
use baton_core::{TaskStatus, Timestamp, Transition, WorkflowStatus};
use baton_store::{StoreError, StoredEvent};
use serde_json::Value;

/// Encodes one durable event for the log of a batch committed at `batch_at`.
pub(super) fn encode(ev: &EngineEvent, batch_at: Timestamp) -> Result<String, serde_json::Error> {
    let dt = |at: Timestamp| at as i128 - batch_at as i128;
    match ev {
        EngineEvent::WorkflowStarted {
            workflow_id,
            name,
            at,
        } => serde_json::to_string(&("ws", workflow_id, name, dt(*at))),
        EngineEvent::Task {
            workflow_id,
            transition: t,
            attempt,
            at,
            reason,
        } => match reason {
            None => serde_json::to_string(&(
                "t",
                workflow_id,
                &t.task_id,
                &t.ref_name,
                t.from,
                t.to,
                attempt,
                dt(*at),
            )),
            Some(r) => serde_json::to_string(&(
                "t",
                workflow_id,
                &t.task_id,
                &t.ref_name,
                t.from,
                t.to,
                attempt,
                dt(*at),
                r,
            )),
        },
        EngineEvent::WorkflowStatus {
            workflow_id,
            status,
            reason,
            at,
        } => match reason {
            None => serde_json::to_string(&("s", workflow_id, status, dt(*at))),
            Some(r) => serde_json::to_string(&("s", workflow_id, status, dt(*at), r)),
        },
        EngineEvent::Alert {
            workflow_id,
            message,
        } => serde_json::to_string(&("a", workflow_id, message)),
        // Not durable (see `EngineEvent::is_durable`); the log never holds it, and
        // should it be asked to, the tagged form keeps it readable.
        EngineEvent::QueueSeen { .. } => serde_json::to_string(ev),
    }
}

impl EngineEvent {
    /// Reads an event back from the store's event log (either encoding).
    ///
    /// ```
    /// use baton_runtime::EngineEvent;
    /// use baton_store::StoredEvent;
    ///
    /// let stored = StoredEvent { id: 7, at: 1_000, body: serde_json::json!(["a", "wf-1", "late"]) };
    /// let ev = EngineEvent::from_stored(&stored).unwrap();
    /// assert_eq!(ev.workflow_id(), Some("wf-1"));
    /// ```
    pub fn from_stored(stored: &StoredEvent) -> Result<EngineEvent, StoreError> {
        let bad = |what: &str| StoreError::Corrupt {
            what: format!("event {}", stored.id),
            message: what.to_string(),
        };
        let items = match &stored.body {
            Value::Array(items) => items,
            // The first encoding: the event's tagged serde object.
            other => {
                return serde_json::from_value(other.clone()).map_err(|e| bad(&e.to_string()));
            }
        };
        let field = |i: usize| items.get(i).unwrap_or(&Value::Null);
        let text = |i: usize| -> Result<String, StoreError> {
            field(i)
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| bad(&format!("field {i} is not a string")))
        };
        let reason = |i: usize| field(i).as_str().map(str::to_string);
        let at = |i: usize| -> Result<Timestamp, StoreError> {
            let dt = field(i)
                .as_i64()
                .ok_or_else(|| bad(&format!("field {i} is not a time offset")))?;
            u64::try_from(stored.at as i128 + dt as i128).map_err(|_| bad("time out of range"))
        };
        let kind = items.first().and_then(Value::as_str).unwrap_or("");
        match kind {
            "ws" => Ok(EngineEvent::WorkflowStarted {
                workflow_id: text(1)?,
                name: text(2)?,
                at: at(3)?,
            }),
            "t" => {
                let from: Option<TaskStatus> =
                    serde_json::from_value(field(4).clone()).map_err(|e| bad(&e.to_string()))?;
                let to: TaskStatus =
                    serde_json::from_value(field(5).clone()).map_err(|e| bad(&e.to_string()))?;
                let attempt = field(6)
                    .as_u64()
                    .and_then(|a| u32::try_from(a).ok())
                    .ok_or_else(|| bad("field 6 is not an attempt number"))?;
                Ok(EngineEvent::Task {
                    workflow_id: text(1)?,
                    transition: Transition {
                        task_id: text(2)?,
                        ref_name: text(3)?,
                        from,
                        to,
                    },
                    attempt,
                    at: at(7)?,
                    reason: reason(8),
                })
            }
            "s" => {
                let status: WorkflowStatus =
                    serde_json::from_value(field(2).clone()).map_err(|e| bad(&e.to_string()))?;
                Ok(EngineEvent::WorkflowStatus {
                    workflow_id: text(1)?,
                    status,
                    at: at(3)?,
                    reason: reason(4),
                })
            }
            "a" => Ok(EngineEvent::Alert {
                workflow_id: text(1)?,
                message: text(2)?,
            }),
            other => Err(bad(&format!("unknown event kind `{other}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(at: Timestamp, body: Value) -> StoredEvent {
        StoredEvent { id: 1, at, body }
    }

    fn samples(at: Timestamp) -> Vec<EngineEvent> {
        vec![
            EngineEvent::WorkflowStarted {
                workflow_id: "wf-1".into(),
                name: "order".into(),
                at,
            },
            EngineEvent::Task {
                workflow_id: "wf-1".into(),
                transition: Transition {
                    task_id: "wf-1-t0".into(),
                    ref_name: "charge".into(),
                    from: None,
                    to: TaskStatus::Scheduled,
                },
                attempt: 0,
                at,
                reason: None,
            },
            EngineEvent::Task {
                workflow_id: "wf-1".into(),
                transition: Transition {
                    task_id: "wf-1-t0".into(),
                    ref_name: "charge".into(),
                    from: Some(TaskStatus::InProgress),
                    to: TaskStatus::Failed,
                },
                attempt: 2,
                at: at + 5,
                reason: Some("card \"declined\"".into()),
            },
            EngineEvent::WorkflowStatus {
                workflow_id: "wf-1".into(),
                status: WorkflowStatus::Failed,
                reason: Some("charge failed".into()),
                at: at - 3,
            },
            EngineEvent::WorkflowStatus {
                workflow_id: "wf-1".into(),
                status: WorkflowStatus::Paused,
                reason: None,
                at,
            },
            EngineEvent::Alert {
                workflow_id: "wf-1".into(),
                message: "slow".into(),
            },
        ]
    }

    #[test]
    fn every_durable_event_reads_back_as_written() {
        let at = 1_796_234_464_303;
        for ev in samples(at) {
            let text = encode(&ev, at).expect("encode");
            let body: Value = serde_json::from_str(&text).expect("json");
            assert!(body.is_array(), "compact form: {text}");
            assert_eq!(
                EngineEvent::from_stored(&stored(at, body)).expect("decode"),
                ev
            );
        }
    }

    #[test]
    fn the_compact_form_is_small() {
        let at = 1_796_234_464_303;
        let ev = &samples(at)[1];
        let text = encode(ev, at).unwrap();
        assert_eq!(
            text,
            r#"["t","wf-1","wf-1-t0","charge",null,"SCHEDULED",0,0]"#
        );
        assert!(text.len() * 2 < serde_json::to_string(ev).unwrap().len());
    }

    #[test]
    fn logs_in_the_first_encoding_still_read() {
        let at = 1_000;
        for ev in samples(at) {
            let tagged = serde_json::to_value(&ev).unwrap();
            assert_eq!(EngineEvent::from_stored(&stored(at, tagged)).unwrap(), ev);
        }
    }

    #[test]
    fn damaged_entries_are_corrupt_not_panics() {
        for body in [
            json!([]),
            json!(["zz", "wf"]),
            json!(["t", "wf"]),
            json!(["t", "wf", "t0", "r", null, "NOT_A_STATUS", 0, 0]),
            json!(["t", "wf", "t0", "r", null, "SCHEDULED", -1, 0]),
            json!(["s", "wf", "COMPLETED", -5000]),
            json!(["ws", 3, "n", 0]),
            json!({"kind": "nope"}),
            json!(7),
        ] {
            let err = EngineEvent::from_stored(&stored(10, body.clone())).unwrap_err();
            assert!(matches!(err, StoreError::Corrupt { .. }), "{body}: {err:?}");
        }
    }
}
