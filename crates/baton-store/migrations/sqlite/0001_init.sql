-- Baton schema v1. Migrations are append-only: never edit an applied one.
CREATE TABLE definitions (
    hash TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE workflow_defs (
    name    TEXT NOT NULL,
    version INTEGER NOT NULL,
    hash    TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE task_defs (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE workflows (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    def_hash        TEXT NOT NULL,
    status          TEXT NOT NULL,
    correlation_id  TEXT,
    parent_id       TEXT,
    idempotency_key TEXT UNIQUE,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    history_len     INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL
);
CREATE INDEX workflows_by_name ON workflows (name, created_at);
CREATE INDEX workflows_by_status ON workflows (status, created_at);
CREATE INDEX workflows_by_hash ON workflows (def_hash, status);
-- The audit trail: append-only, never rewritten.
CREATE TABLE history (
    workflow_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    event       TEXT NOT NULL,
    PRIMARY KEY (workflow_id, seq)
) WITHOUT ROWID;
-- A leased task has visible_at = lease expiry, so one index serves both "ready" and
-- "lease expired".
CREATE TABLE queue (
    task_id     TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    queue       TEXT NOT NULL,
    visible_at  INTEGER NOT NULL,
    worker_id   TEXT,
    task        TEXT NOT NULL
);
CREATE INDEX queue_ready ON queue (queue, visible_at);
CREATE TABLE timers (
    workflow_id TEXT NOT NULL,
    timer_id    TEXT NOT NULL,
    fire_at     INTEGER NOT NULL,
    timer       TEXT NOT NULL,
    PRIMARY KEY (workflow_id, timer_id)
) WITHOUT ROWID;
CREATE INDEX timers_due ON timers (fire_at);
