//! Reads, shared by the write transaction and the read-only connection.

use super::write::{WORKFLOW_COLUMNS, load_workflow_row, parse_stored};
use super::{corrupt, db, open_read_only};
use crate::prelude::*;
use crate::{
    HistoryEntry, QueueStats, StoreError, StoredEvent, StoredWorkflow, WorkflowFilter, WorkflowMeta,
};
use baton_model::{TaskDef, WorkflowDef};
use baton_state::{Event, Timestamp};
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use std::path::Path;

pub(crate) fn definition(conn: &Connection, hash: &str) -> Result<Option<WorkflowDef>, StoreError> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM definitions WHERE hash = ?1")
        .map_err(db)?
        .query_row([hash], |r| r.get(0))
        .optional()
        .map_err(db)?;
    body.map(|b| serde_json::from_str(&b).map_err(|e| corrupt(&format!("definition {hash}"), e)))
        .transpose()
}

pub(crate) fn workflow_def(
    conn: &Connection,
    name: &str,
    version: Option<u32>,
) -> Result<Option<WorkflowDef>, StoreError> {
    let hash: Option<String> = match version {
        Some(v) => conn
            .prepare_cached("SELECT hash FROM workflow_defs WHERE name = ?1 AND version = ?2")
            .map_err(db)?
            .query_row(rusqlite::params![name, v], |r| r.get(0)),
        None => conn
            .prepare_cached(
                "SELECT hash FROM workflow_defs WHERE name = ?1 ORDER BY version DESC LIMIT 1",
            )
            .map_err(db)?
            .query_row([name], |r| r.get(0)),
    }
    .optional()
    .map_err(db)?;
    match hash {
        Some(h) => definition(conn, &h),
        None => Ok(None),
    }
}

pub(crate) fn task_def(conn: &Connection, name: &str) -> Result<Option<TaskDef>, StoreError> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM task_defs WHERE name = ?1")
        .map_err(db)?
        .query_row([name], |r| r.get(0))
        .optional()
        .map_err(db)?;
    body.map(|b| {
        serde_json::from_str(&b).map_err(|e| corrupt(&format!("task definition {name}"), e))
    })
    .transpose()
}

pub(crate) fn workflow(conn: &Connection, id: &str) -> Result<Option<StoredWorkflow>, StoreError> {
    let sql = format!(
        "SELECT {WORKFLOW_COLUMNS} FROM workflows w JOIN checkpoints c ON c.workflow_id = w.id \
         WHERE w.id = ?1"
    );
    let raw = conn
        .prepare_cached(&sql)
        .map_err(db)?
        .query_row([id], load_workflow_row)
        .optional()
        .map_err(db)?;
    let Some(mut stored) = raw.map(parse_stored).transpose()? else {
        return Ok(None);
    };
    if stored.snapshot_seq < stored.history_len {
        // The checkpoint is older than the history: hand out the events after it too.
        stored.tail = history_from(conn, id, stored.snapshot_seq)?;
    }
    Ok(Some(stored))
}

/// History events from `from_seq` on, in order.
pub(crate) fn history_from(
    conn: &Connection,
    id: &str,
    from_seq: u64,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, at, event, format FROM history WHERE workflow_id = ?1 AND seq >= ?2 ORDER BY seq",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(
            rusqlite::params![id, i64::try_from(from_seq).unwrap_or(i64::MAX)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, body, format) = row.map_err(db)?;
        super::check_format(format, || format!("event {seq} of workflow {id}"))?;
        let event: Event =
            serde_json::from_str(&body).map_err(|e| corrupt(&format!("event {seq} of {id}"), e))?;
        out.push(HistoryEntry {
            seq: u64::try_from(seq).unwrap_or(0),
            at: u64::try_from(at).unwrap_or(0),
            event,
        });
    }
    Ok(out)
}

/// Engine events with an id above `after`, oldest first, at most `limit` of them.
pub(crate) fn events_after(
    conn: &Connection,
    after: u64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    // Each row holds one batch: ids `id .. id + count`. Start at the row holding `after`
    // (a key seek, so a long catch-up reads each row once, not the table per page).
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, count, at, body, format FROM events \
             WHERE id >= (SELECT COALESCE(MAX(id), 0) FROM events WHERE id <= ?1) \
             ORDER BY id LIMIT ?2",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(
            rusqlite::params![
                i64::try_from(after).unwrap_or(i64::MAX),
                i64::try_from(limit.max(1)).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        )
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (first, at, body, format) = row.map_err(db)?;
        let first = u64::try_from(first).unwrap_or(0);
        super::check_format(format, || format!("event batch {first}"))?;
        let items: Vec<serde_json::Value> =
            serde_json::from_str(&body).map_err(|e| corrupt(&format!("event batch {first}"), e))?;
        for (i, body) in items.into_iter().enumerate() {
            let id = first + i as u64;
            if id > after && out.len() < limit {
                out.push(StoredEvent {
                    id,
                    at: u64::try_from(at).unwrap_or(0),
                    body,
                });
            }
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// The id of the newest stored engine event (0 when there is none).
pub(crate) fn last_event_id(conn: &Connection) -> Result<u64, StoreError> {
    let v: Option<i64> = conn
        .prepare_cached("SELECT id + count - 1 FROM events ORDER BY id DESC LIMIT 1")
        .map_err(db)?
        .query_row([], |r| r.get(0))
        .optional()
        .map_err(db)?;
    Ok(v.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
}

pub(crate) fn next_timer_due(conn: &Connection) -> Result<Option<Timestamp>, StoreError> {
    let v: Option<i64> = conn
        .prepare_cached("SELECT MIN(fire_at) FROM timers")
        .map_err(db)?
        .query_row([], |r| r.get(0))
        .map_err(db)?;
    Ok(v.map(|v| u64::try_from(v).unwrap_or(0)))
}

/// Idle read-only connections, kept for reuse (a connection parses the schema when it
/// opens, which costs more than most reads).
pub(crate) type ReaderPool = std::sync::Arc<std::sync::Mutex<Vec<SqliteReader>>>;

/// Most idle connections a pool keeps.
const POOL_MAX_IDLE: usize = 16;

/// A read-only connection.
pub struct SqliteReader {
    conn: Connection,
}

impl SqliteReader {
    /// The read-only connection.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Opens a read-only connection to the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(SqliteReader {
            conn: open_read_only(path)?,
        })
    }
}

/// A reader borrowed from a pool; it goes back when dropped.
pub(crate) struct PooledReader {
    reader: Option<SqliteReader>,
    pool: ReaderPool,
}

impl PooledReader {
    /// A connection from `pool`, or a new one.
    pub(crate) fn take(path: &Path, pool: &ReaderPool) -> Result<Self, StoreError> {
        let idle = match pool.lock() {
            Ok(mut p) => p.pop(),
            Err(poisoned) => poisoned.into_inner().pop(),
        };
        let reader = match idle {
            Some(r) => r,
            None => SqliteReader::open(path)?,
        };
        Ok(PooledReader {
            reader: Some(reader),
            pool: pool.clone(),
        })
    }

    pub(crate) fn get(&self) -> Result<&SqliteReader, StoreError> {
        self.reader
            .as_ref()
            .ok_or_else(|| StoreError::Database("reader already returned to its pool".into()))
    }
}

impl Drop for PooledReader {
    fn drop(&mut self) {
        let Some(reader) = self.reader.take() else {
            return;
        };
        let mut idle = match self.pool.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        if idle.len() < POOL_MAX_IDLE {
            idle.push(reader);
        }
    }
}

impl DefinitionsRead for PooledReader {
    fn definition(&self, hash: &str) -> Result<Option<WorkflowDef>, StoreError> {
        DefinitionsRead::definition(self.get()?, hash)
    }
    fn workflow_def(
        &self,
        name: &str,
        version: Option<u32>,
    ) -> Result<Option<WorkflowDef>, StoreError> {
        DefinitionsRead::workflow_def(self.get()?, name, version)
    }
    fn workflow_defs(&self) -> Result<Vec<WorkflowDef>, StoreError> {
        self.get()?.workflow_defs()
    }
    fn task_defs(&self) -> Result<Vec<TaskDef>, StoreError> {
        self.get()?.task_defs()
    }
    fn task_def(&self, name: &str) -> Result<Option<TaskDef>, StoreError> {
        DefinitionsRead::task_def(self.get()?, name)
    }
}

impl WorkflowsRead for PooledReader {
    fn workflow(&self, id: &str) -> Result<Option<StoredWorkflow>, StoreError> {
        self.get()?.workflow(id)
    }
    fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        self.get()?.history(id)
    }
    fn list_workflows(&self, filter: &WorkflowFilter) -> Result<Vec<WorkflowMeta>, StoreError> {
        self.get()?.list_workflows(filter)
    }
}

impl QueueRead for PooledReader {
    fn has_ready_task(&self, queue: &str, now: Timestamp) -> Result<bool, StoreError> {
        self.get()?.has_ready_task(queue, now)
    }
    fn queue_sizes(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.get()?.queue_sizes()
    }
    fn queue_stats(&self) -> Result<Vec<QueueStats>, StoreError> {
        self.get()?.queue_stats()
    }
}

impl TimersRead for PooledReader {
    fn next_timer_due(&self) -> Result<Option<Timestamp>, StoreError> {
        TimersRead::next_timer_due(self.get()?)
    }
}

impl LogsRead for PooledReader {
    fn task_logs(&self, task_id: &str) -> Result<Vec<(Timestamp, String)>, StoreError> {
        self.get()?.task_logs(task_id)
    }
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.get()?.events_after(after, limit)
    }
    fn last_event_id(&self) -> Result<u64, StoreError> {
        self.get()?.last_event_id()
    }
}

impl DefinitionsRead for SqliteReader {
    fn definition(&self, hash: &str) -> Result<Option<WorkflowDef>, StoreError> {
        definition(&self.conn, hash)
    }

    fn workflow_def(
        &self,
        name: &str,
        version: Option<u32>,
    ) -> Result<Option<WorkflowDef>, StoreError> {
        workflow_def(&self.conn, name, version)
    }

    fn workflow_defs(&self) -> Result<Vec<WorkflowDef>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT d.body FROM workflow_defs w JOIN definitions d ON d.hash = w.hash ORDER BY w.name, w.version")
            .map_err(db)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let body = row.map_err(db)?;
            out.push(serde_json::from_str(&body).map_err(|e| corrupt("definition", e))?);
        }
        Ok(out)
    }

    fn task_defs(&self) -> Result<Vec<TaskDef>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT body FROM task_defs ORDER BY name")
            .map_err(db)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let body = row.map_err(db)?;
            out.push(serde_json::from_str(&body).map_err(|e| corrupt("task definition", e))?);
        }
        Ok(out)
    }

    fn task_def(&self, name: &str) -> Result<Option<TaskDef>, StoreError> {
        task_def(&self.conn, name)
    }
}

impl WorkflowsRead for SqliteReader {
    fn workflow(&self, id: &str) -> Result<Option<StoredWorkflow>, StoreError> {
        workflow(&self.conn, id)
    }

    fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        history_from(&self.conn, id, 0)
    }

    fn list_workflows(&self, f: &WorkflowFilter) -> Result<Vec<WorkflowMeta>, StoreError> {
        let mut sql = String::from(
            "SELECT id, name, version, def_hash, status, correlation_id, parent_id, idempotency_key, created_at, updated_at \
             FROM workflows WHERE 1=1",
        );
        let mut args: Vec<String> = Vec::new();
        if let Some(n) = &f.name {
            args.push(n.clone());
            sql.push_str(&format!(" AND name = ?{}", args.len()));
        }
        if let Some(c) = &f.correlation_id {
            args.push(c.clone());
            sql.push_str(&format!(" AND correlation_id = ?{}", args.len()));
        }
        if let Some(h) = &f.def_hash {
            args.push(h.clone());
            sql.push_str(&format!(" AND def_hash = ?{}", args.len()));
        }
        if !f.statuses.is_empty() {
            let mut marks = Vec::new();
            for s in &f.statuses {
                args.push(s.as_str().to_string());
                marks.push(format!("?{}", args.len()));
            }
            sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC");
        if f.limit > 0 {
            sql.push_str(&format!(" LIMIT {} OFFSET {}", f.limit, f.offset));
        } else if f.offset > 0 {
            sql.push_str(&format!(" LIMIT -1 OFFSET {}", f.offset));
        }
        let mut stmt = self.conn.prepare(&sql).map_err(db)?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |row| {
                super::write::meta_columns(row)
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(db)?.parse()?);
        }
        Ok(out)
    }
}

impl QueueRead for SqliteReader {
    fn has_ready_task(&self, queue: &str, now: Timestamp) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT 1 FROM queue WHERE queue = ?1 AND visible_at <= ?2 LIMIT 1")
            .map_err(db)?
            .query_row(
                rusqlite::params![queue, i64::try_from(now).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        Ok(found.is_some())
    }

    fn queue_sizes(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT queue, COUNT(*) FROM queue GROUP BY queue ORDER BY queue")
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (q, n) = row.map_err(db)?;
            out.push((q, u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }

    fn queue_stats(&self) -> Result<Vec<QueueStats>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT queue, COUNT(*), MIN(CASE WHEN worker_id IS NULL THEN ready_at END) \
                 FROM queue GROUP BY queue ORDER BY queue",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (queue, n, oldest) = row.map_err(db)?;
            out.push(QueueStats {
                queue,
                depth: u64::try_from(n).unwrap_or(0),
                oldest_ready_at: oldest.map(|t| u64::try_from(t).unwrap_or(0)),
            });
        }
        Ok(out)
    }
}

impl TimersRead for SqliteReader {
    fn next_timer_due(&self) -> Result<Option<Timestamp>, StoreError> {
        next_timer_due(&self.conn)
    }
}

impl LogsRead for SqliteReader {
    fn task_logs(&self, task_id: &str) -> Result<Vec<(Timestamp, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT at, log FROM task_logs WHERE task_id = ?1 ORDER BY seq")
            .map_err(db)?;
        let rows = stmt
            .query_map([task_id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (at, log) = row.map_err(db)?;
            out.push((u64::try_from(at).unwrap_or(0), log));
        }
        Ok(out)
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        events_after(&self.conn, after, limit)
    }

    fn last_event_id(&self) -> Result<u64, StoreError> {
        last_event_id(&self.conn)
    }
}
