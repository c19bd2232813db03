-- Golden Baton database at schema version 4, written by the store (see tests/golden.rs).
-- Never edit: later Batons must open it and migrate it.
PRAGMA user_version = 4;
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
, snapshot_seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX workflows_by_name ON workflows (name, created_at);
CREATE INDEX workflows_by_status ON workflows (status, created_at);
CREATE INDEX workflows_by_hash ON workflows (def_hash, status);
CREATE TABLE history (
    workflow_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    event       TEXT NOT NULL,
    PRIMARY KEY (workflow_id, seq)
) WITHOUT ROWID;
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
CREATE TABLE task_logs (
    task_id TEXT NOT NULL,
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    log     TEXT NOT NULL
);
CREATE INDEX task_logs_by_task ON task_logs (task_id, seq);
CREATE TABLE events (
    id    INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    at    INTEGER NOT NULL,
    body  TEXT NOT NULL
);
INSERT INTO "definitions" VALUES('a592eab2c1c4145a000001d3','{"name":"golden_two_steps","version":1,"output":"last_task","tasks":[{"name":"first","ref_name":"first","kind":{"type":"SIMPLE"},"input":{"x":"${workflow.input.x}"},"optional":false,"start_delay_ms":0,"async_complete":false},{"name":"second","ref_name":"second","kind":{"type":"SIMPLE"},"input":{"y":"${first.output.y}"},"optional":false,"start_delay_ms":0,"async_complete":false}],"timeout_ms":0,"timeout_policy":"ALERT_ONLY","restartable":true,"format":"conductor"}');
INSERT INTO "workflow_defs" VALUES('golden_two_steps',1,'a592eab2c1c4145a000001d3');
INSERT INTO "workflows" VALUES('g1','golden_two_steps',1,'a592eab2c1c4145a000001d3','RUNNING','c1',NULL,NULL,100,100,3,'{"workflow_id":"g1","name":"golden_two_steps","version":1,"status":"RUNNING","input":{"x":1},"output":{},"variables":{},"tasks":[{"task_id":"g1-t0","ref_name":"first","def_ref":"first","task_type":"SIMPLE","name":"first","status":"SCHEDULED","attempt":0,"input":{"x":1},"output":{},"scheduled_at":100,"retried":false,"branch_skipped":false}],"created_at":100,"updated_at":100,"next_seq":1,"seq_base":0}',1);
INSERT INTO "history" VALUES('g1',0,100,'{"event":"workflow_started","input":{"x":1}}');
INSERT INTO "history" VALUES('g1',1,110,'{"event":"task_started","task_id":"g1-t0","worker_id":"w"}');
INSERT INTO "history" VALUES('g1',2,120,'{"event":"task_updated","task_id":"g1-t0","status":"COMPLETED","output":{"y":2}}');
INSERT INTO "queue" VALUES('g1-t1','g1','second',120,NULL,'{"task_id":"g1-t1","queue":"second","task_type":"SIMPLE","ref_name":"second","input":{"y":2},"attempt":0,"visible_at":120,"response_timeout_ms":3600000}');
INSERT INTO "timers" VALUES('g1','workflow',100000,'{"kind":"workflow_timeout","fire_at":100000}');
