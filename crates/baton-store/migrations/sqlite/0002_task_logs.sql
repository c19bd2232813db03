-- Task execution logs (Conductor's TaskExecLog): appended by workers.
CREATE TABLE task_logs (
    task_id TEXT NOT NULL,
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    log     TEXT NOT NULL
);
CREATE INDEX task_logs_by_task ON task_logs (task_id, seq);
