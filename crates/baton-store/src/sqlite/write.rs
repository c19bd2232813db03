//! The write transaction.

use super::{ROW_FORMAT, check_format, content_hash, corrupt, db, status_from_str};
use crate::prelude::*;
use crate::{Claimed, Lease, StoreError, StoredWorkflow, WorkflowMeta};
use baton_model::{TaskDef, WorkflowDef};
use baton_state::{Event, QueuedTask, Timer, Timestamp, WorkflowState};
use rusqlite::{OptionalExtension, params};

pub(crate) struct SqliteTx<'c> {
    pub(crate) tx: rusqlite::Transaction<'c>,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| corrupt(what, e))
}

/// The shape of checkpoint rows this build writes: format 1 is the state as JSON text,
/// format 2 the same JSON in an LZ4 frame. Both are read.
pub(crate) const CHECKPOINT_FORMAT: i64 = 2;

/// A checkpoint as stored: the state's JSON, compressed while it is serialised, so a
/// big state is never held whole as text and SQLite copies a fraction of it. The JSON
/// goes through a buffer first: the serialiser's many small writes straight into the
/// encoder cost more than the compression itself.
fn checkpoint_body(state: &WorkflowState) -> Result<Vec<u8>, StoreError> {
    let encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, encoder);
    serde_json::to_writer(&mut buffered, state).map_err(|e| corrupt("workflow state", e))?;
    let encoder = buffered
        .into_inner()
        .map_err(|e| corrupt("workflow state", e.into_error()))?;
    encoder.finish().map_err(|e| corrupt("workflow state", e))
}

/// Reads a checkpoint body of `format` (see [`CHECKPOINT_FORMAT`]).
fn read_checkpoint(id: &str, format: i64, body: &[u8]) -> Result<WorkflowState, StoreError> {
    let what = || format!("the checkpoint of workflow {id}");
    if format > CHECKPOINT_FORMAT {
        return Err(StoreError::FormatTooNew {
            what: what(),
            found: format,
            supported: CHECKPOINT_FORMAT,
        });
    }
    let state = if format >= 2 {
        // Decompressed whole, then parsed: parsing from a reader goes byte by byte and
        // was most of a cache miss; the text lives only while it is parsed.
        let mut text = Vec::with_capacity(body.len().saturating_mul(4));
        std::io::Read::read_to_end(&mut lz4_flex::frame::FrameDecoder::new(body), &mut text)
            .map_err(|e| corrupt(&format!("state of workflow {id}"), e))?;
        serde_json::from_slice(&text)
    } else {
        serde_json::from_slice(body)
    };
    state.map_err(|e| corrupt(&format!("state of workflow {id}"), e))
}

/// A workflow row: its columns, checkpoint body, history length, checkpoint coverage
/// and the checkpoint's format.
pub(crate) type WorkflowRow = (WorkflowMetaRaw, Vec<u8>, i64, i64, i64);

pub(crate) fn load_workflow_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<WorkflowRow> {
    // Format 1 checkpoints are TEXT, later ones BLOB: take the bytes of either.
    let body = match row.get_ref(11)? {
        rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => b.to_vec(),
        other => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                11,
                other.data_type(),
                "a checkpoint must be text or bytes".into(),
            ));
        }
    };
    Ok((
        meta_columns(row)?,
        body,
        row.get(10)?,
        row.get(12)?,
        row.get(13)?,
    ))
}

/// The first ten columns of `WORKFLOW_COLUMNS` (the indexed ones), in that order.
pub(crate) fn meta_columns(row: &rusqlite::Row<'_>) -> rusqlite::Result<WorkflowMetaRaw> {
    Ok(WorkflowMetaRaw {
        id: row.get(0)?,
        name: row.get(1)?,
        version: row.get(2)?,
        def_hash: row.get(3)?,
        status: row.get(4)?,
        correlation_id: row.get(5)?,
        parent_id: row.get(6)?,
        idempotency_key: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

/// A workflow row joined with its checkpoint (`FROM workflows w JOIN checkpoints c`).
pub(crate) const WORKFLOW_COLUMNS: &str = "w.id, w.name, w.version, w.def_hash, w.status, w.correlation_id, \
     w.parent_id, w.idempotency_key, w.created_at, w.updated_at, w.history_len, c.state, c.snapshot_seq, c.format";

/// A workflow row before its status is parsed.
pub(crate) struct WorkflowMetaRaw {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub def_hash: String,
    pub status: String,
    pub correlation_id: Option<String>,
    pub parent_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WorkflowMetaRaw {
    pub(crate) fn parse(self) -> Result<WorkflowMeta, StoreError> {
        Ok(WorkflowMeta {
            id: self.id,
            name: self.name,
            version: u32::try_from(self.version).unwrap_or(0),
            def_hash: self.def_hash,
            status: status_from_str(&self.status)?,
            correlation_id: self.correlation_id,
            parent_id: self.parent_id,
            idempotency_key: self.idempotency_key,
            created_at: to_u64(self.created_at),
            updated_at: to_u64(self.updated_at),
        })
    }
}

pub(crate) fn parse_stored(raw: WorkflowRow) -> Result<StoredWorkflow, StoreError> {
    let (meta, state, len, covers, format) = raw;
    let meta = meta.parse()?;
    let state = read_checkpoint(&meta.id, format, &state)?;
    Ok(StoredWorkflow {
        meta,
        state,
        history_len: to_u64(len),
        snapshot_seq: to_u64(covers),
        tail: Vec::new(),
    })
}

impl DefinitionsTx for SqliteTx<'_> {
    fn put_definition(&mut self, def: &WorkflowDef) -> Result<String, StoreError> {
        let body = json("definition", def)?;
        let base = content_hash(&body);
        // Content-addressed; on the (astronomically unlikely) hash clash, add a suffix.
        for n in 0..16 {
            let hash = if n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            let existing: Option<String> = self
                .tx
                .prepare_cached("SELECT body FROM definitions WHERE hash = ?1")
                .map_err(db)?
                .query_row([&hash], |r| r.get(0))
                .optional()
                .map_err(db)?;
            match existing {
                Some(b) if b == body => return Ok(hash),
                Some(_) => continue,
                None => {
                    self.tx
                        .prepare_cached("INSERT INTO definitions (hash, body) VALUES (?1, ?2)")
                        .map_err(db)?
                        .execute(params![hash, body])
                        .map_err(db)?;
                    return Ok(hash);
                }
            }
        }
        Err(corrupt("definitions", "too many hash collisions"))
    }

    fn definition(&mut self, hash: &str) -> Result<Option<WorkflowDef>, StoreError> {
        super::read::definition(&self.tx, hash)
    }

    fn register_workflow_def(&mut self, def: &WorkflowDef) -> Result<(), StoreError> {
        let hash = self.put_definition(def)?;
        self.tx
            .prepare_cached(
                "INSERT INTO workflow_defs (name, version, hash) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name, version) DO UPDATE SET hash = excluded.hash",
            )
            .map_err(db)?
            .execute(params![def.name, def.version, hash])
            .map_err(db)?;
        Ok(())
    }

    fn workflow_def(
        &mut self,
        name: &str,
        version: Option<u32>,
    ) -> Result<Option<WorkflowDef>, StoreError> {
        super::read::workflow_def(&self.tx, name, version)
    }

    fn delete_workflow_def(&mut self, name: &str, version: u32) -> Result<bool, StoreError> {
        let n = self
            .tx
            .execute(
                "DELETE FROM workflow_defs WHERE name = ?1 AND version = ?2",
                params![name, version],
            )
            .map_err(db)?;
        Ok(n > 0)
    }

    fn put_task_def(&mut self, def: &TaskDef) -> Result<(), StoreError> {
        let body = json("task definition", def)?;
        self.tx
            .prepare_cached(
                "INSERT INTO task_defs (name, body) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET body = excluded.body",
            )
            .map_err(db)?
            .execute(params![def.name, body])
            .map_err(db)?;
        Ok(())
    }

    fn task_def(&mut self, name: &str) -> Result<Option<TaskDef>, StoreError> {
        super::read::task_def(&self.tx, name)
    }

    fn delete_task_def(&mut self, name: &str) -> Result<bool, StoreError> {
        let n = self
            .tx
            .execute("DELETE FROM task_defs WHERE name = ?1", [name])
            .map_err(db)?;
        Ok(n > 0)
    }
}

impl WorkflowsTx for SqliteTx<'_> {
    fn create_workflow(
        &mut self,
        meta: &WorkflowMeta,
        state: &WorkflowState,
    ) -> Result<bool, StoreError> {
        let body = checkpoint_body(state)?;
        let n = self
            .tx
            .prepare_cached(
                "INSERT INTO workflows (id, name, version, def_hash, status, correlation_id, parent_id, \
                 idempotency_key, created_at, updated_at, history_len) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0) ON CONFLICT DO NOTHING",
            )
            .map_err(db)?
            .execute(params![
                meta.id,
                meta.name,
                meta.version,
                meta.def_hash,
                meta.status.as_str(),
                meta.correlation_id,
                meta.parent_id,
                meta.idempotency_key,
                to_i64(meta.created_at),
                to_i64(meta.updated_at),
            ])
            .map_err(db)?;
        if n == 0 {
            return Ok(false);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO checkpoints (workflow_id, snapshot_seq, format, state) VALUES (?1, 0, ?2, ?3)",
            )
            .map_err(db)?
            .execute(params![meta.id, CHECKPOINT_FORMAT, body])
            .map_err(db)?;
        Ok(true)
    }

    fn load_workflow(&mut self, id: &str) -> Result<Option<StoredWorkflow>, StoreError> {
        super::read::workflow(&self.tx, id)
    }

    fn save_state(
        &mut self,
        id: &str,
        state: &WorkflowState,
        covers: u64,
    ) -> Result<(), StoreError> {
        let body = checkpoint_body(state)?;
        self.tx
            .prepare_cached("UPDATE workflows SET status = ?2, updated_at = ?3 WHERE id = ?1")
            .map_err(db)?
            .execute(params![id, state.status.as_str(), to_i64(state.updated_at)])
            .map_err(db)?;
        self.tx
            .prepare_cached(
                "UPDATE checkpoints SET snapshot_seq = ?2, format = ?3, state = ?4 WHERE workflow_id = ?1",
            )
            .map_err(db)?
            .execute(params![id, to_i64(covers), CHECKPOINT_FORMAT, body])
            .map_err(db)?;
        Ok(())
    }

    fn append_history(
        &mut self,
        id: &str,
        first_seq: u64,
        events: &[(Timestamp, &Event)],
    ) -> Result<(), StoreError> {
        // The expected length is part of the write: a history that moved on meanwhile is
        // a typed conflict, never a second event at the same position.
        let last_at = events.last().map_or(0, |(at, _)| *at);
        let moved = self
            .tx
            .prepare_cached(
                "UPDATE workflows SET history_len = ?2, updated_at = MAX(updated_at, ?3) \
                 WHERE id = ?1 AND history_len = ?4",
            )
            .map_err(db)?
            .execute(params![
                id,
                to_i64(first_seq + events.len() as u64),
                to_i64(last_at),
                to_i64(first_seq)
            ])
            .map_err(db)?;
        if moved == 0 {
            return Err(match self.history_len(id)? {
                Some(n) => StoreError::Conflict {
                    workflow: id.to_string(),
                    expected: first_seq,
                    found: n,
                },
                None => StoreError::NotFound(format!("workflow {id}")),
            });
        }
        let mut stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO history (workflow_id, seq, at, event, format) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(db)?;
        for (i, (at, event)) in events.iter().enumerate() {
            let body = json("event", event)?;
            stmt.execute(params![
                id,
                to_i64(first_seq + i as u64),
                to_i64(*at),
                body,
                ROW_FORMAT
            ])
            .map_err(db)?;
        }
        Ok(())
    }

    fn history_len(&mut self, id: &str) -> Result<Option<u64>, StoreError> {
        let n: Option<i64> = self
            .tx
            .prepare_cached("SELECT history_len FROM workflows WHERE id = ?1")
            .map_err(db)?
            .query_row([id], |r| r.get(0))
            .optional()
            .map_err(db)?;
        Ok(n.map(to_u64))
    }

    fn delete_workflow(&mut self, id: &str) -> Result<bool, StoreError> {
        for sql in [
            "DELETE FROM history WHERE workflow_id = ?1",
            "DELETE FROM queue WHERE workflow_id = ?1",
            "DELETE FROM timers WHERE workflow_id = ?1",
            "DELETE FROM checkpoints WHERE workflow_id = ?1",
        ] {
            self.tx
                .prepare_cached(sql)
                .map_err(db)?
                .execute([id])
                .map_err(db)?;
        }
        let n = self
            .tx
            .prepare_cached("DELETE FROM workflows WHERE id = ?1")
            .map_err(db)?
            .execute([id])
            .map_err(db)?;
        Ok(n > 0)
    }

    fn workflow_by_key(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.tx
            .prepare_cached("SELECT id FROM workflows WHERE idempotency_key = ?1")
            .map_err(db)?
            .query_row([key], |r| r.get(0))
            .optional()
            .map_err(db)
    }
}

impl QueueTx for SqliteTx<'_> {
    fn enqueue(&mut self, workflow_id: &str, task: &QueuedTask) -> Result<(), StoreError> {
        let body = json("queued task", task)?;
        self.tx
            .prepare_cached(
                "INSERT INTO queue (task_id, workflow_id, queue, visible_at, ready_at, worker_id, lease_owner, task, format) \
                 VALUES (?1, ?2, ?3, ?4, ?4, NULL, NULL, ?5, ?6) ON CONFLICT (task_id) DO UPDATE SET \
                 queue = excluded.queue, visible_at = excluded.visible_at, ready_at = excluded.ready_at, \
                 worker_id = NULL, lease_owner = NULL, task = excluded.task, format = excluded.format",
            )
            .map_err(db)?
            .execute(params![task.task_id, workflow_id, task.queue, to_i64(task.visible_at), body, ROW_FORMAT])
            .map_err(db)?;
        Ok(())
    }

    fn dequeue(&mut self, task_id: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM queue WHERE task_id = ?1")
            .map_err(db)?
            .execute([task_id])
            .map_err(db)?;
        Ok(())
    }

    fn claim(
        &mut self,
        queue: &str,
        max: usize,
        now: Timestamp,
        lease_ms: u64,
        worker: &str,
        owner: &str,
    ) -> Result<Vec<Claimed>, StoreError> {
        let until = to_i64(now.saturating_add(lease_ms.max(1)));
        // A plain read, then one update by rowid per task: `UPDATE … WHERE task_id IN
        // (SELECT …) RETURNING …` built two ephemeral tables per call, which made a claim
        // cost three times the rest of a step's statements.
        let mut picked = Vec::with_capacity(max.min(64));
        {
            let mut stmt = self
                .tx
                .prepare_cached(
                    "SELECT rowid, workflow_id, task, format FROM queue \
                     WHERE queue = ?1 AND visible_at <= ?2 ORDER BY visible_at LIMIT ?3",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![queue, to_i64(now), to_i64(max as u64)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .map_err(db)?;
            for row in rows {
                picked.push(row.map_err(db)?);
            }
        }
        let mut lease = self
            .tx
            .prepare_cached(
                "UPDATE queue SET visible_at = ?2, worker_id = ?3, lease_owner = ?4 WHERE rowid = ?1",
            )
            .map_err(db)?;
        let mut out = Vec::with_capacity(picked.len());
        for (rowid, workflow_id, body, format) in picked {
            check_format(format, || {
                format!("a queued task of workflow {workflow_id}")
            })?;
            let task: QueuedTask =
                serde_json::from_str(&body).map_err(|e| corrupt("queued task", e))?;
            lease
                .execute(params![rowid, until, worker, owner])
                .map_err(db)?;
            out.push(Claimed { workflow_id, task });
        }
        Ok(out)
    }

    fn release_leases(&mut self, owner: &str) -> Result<u64, StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE queue SET visible_at = ready_at, worker_id = NULL, lease_owner = NULL \
                 WHERE lease_owner = ?1",
            )
            .map_err(db)?
            .execute([owner])
            .map_err(db)?;
        Ok(n as u64)
    }

    fn leases(&mut self, owner: &str) -> Result<Vec<Lease>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT workflow_id, task_id, worker_id FROM queue \
                 WHERE lease_owner = ?1 AND worker_id IS NOT NULL ORDER BY task_id",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([owner], |r| {
                Ok(Lease {
                    workflow_id: r.get(0)?,
                    task_id: r.get(1)?,
                    worker_id: r.get(2)?,
                })
            })
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }
}

impl TimersTx for SqliteTx<'_> {
    fn put_timer(&mut self, workflow_id: &str, timer: &Timer) -> Result<(), StoreError> {
        let body = json("timer", timer)?;
        self.tx
            .prepare_cached(
                "INSERT INTO timers (workflow_id, timer_id, fire_at, timer, format) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (workflow_id, timer_id) DO UPDATE SET fire_at = excluded.fire_at, \
                 timer = excluded.timer, format = excluded.format",
            )
            .map_err(db)?
            .execute(params![workflow_id, timer.id(), to_i64(timer.fire_at), body, ROW_FORMAT])
            .map_err(db)?;
        Ok(())
    }

    fn delete_timer(&mut self, workflow_id: &str, timer_id: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM timers WHERE workflow_id = ?1 AND timer_id = ?2")
            .map_err(db)?
            .execute([workflow_id, timer_id])
            .map_err(db)?;
        Ok(())
    }

    fn delete_timers_of(&mut self, workflow_id: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM timers WHERE workflow_id = ?1")
            .map_err(db)?
            .execute([workflow_id])
            .map_err(db)?;
        Ok(())
    }

    fn due_timers(
        &mut self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(String, Timer)>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT workflow_id, timer, format FROM timers WHERE fire_at <= ?1 ORDER BY fire_at LIMIT ?2")
            .map_err(db)?;
        let rows = stmt
            .query_map(params![to_i64(now), to_i64(limit as u64)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (wf, body, format) = row.map_err(db)?;
            check_format(format, || format!("a timer of workflow {wf}"))?;
            let timer: Timer = serde_json::from_str(&body).map_err(|e| corrupt("timer", e))?;
            out.push((wf, timer));
        }
        Ok(out)
    }

    fn next_timer_due(&mut self) -> Result<Option<Timestamp>, StoreError> {
        super::read::next_timer_due(&self.tx)
    }
}

impl LogsTx for SqliteTx<'_> {
    fn append_task_log(
        &mut self,
        task_id: &str,
        at: Timestamp,
        log: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO task_logs (task_id, at, log) VALUES (?1, ?2, ?3)")
            .map_err(db)?
            .execute(params![task_id, to_i64(at), log])
            .map_err(db)?;
        Ok(())
    }

    fn append_events(&mut self, at: Timestamp, events: &[String]) -> Result<u64, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        // Ids are dense across batches: this batch starts after the last id written.
        let first = super::read::last_event_id(&self.tx)? + 1;
        // The batch is stored as one JSON array, built from the events' own text.
        let mut body = String::with_capacity(events.iter().map(|e| e.len() + 1).sum::<usize>() + 2);
        body.push('[');
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(e);
        }
        body.push(']');
        self.tx
            .prepare_cached(
                "INSERT INTO events (id, count, at, body, format) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(db)?
            .execute(params![
                to_i64(first),
                to_i64(events.len() as u64),
                to_i64(at),
                body,
                ROW_FORMAT
            ])
            .map_err(db)?;
        Ok(first)
    }
}

impl Tx for SqliteTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().map_err(db)
    }
}
