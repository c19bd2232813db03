-- Checkpoints move out of the workflows row. Every batch bumps a workflow's
-- history_len; while the (possibly megabytes of) checkpoint sat in the same row, SQLite
-- rewrote it each time, so a long loop or a wide fork cost the square of its length.
CREATE TABLE checkpoints (
    workflow_id  TEXT PRIMARY KEY,
    snapshot_seq INTEGER NOT NULL,
    format       INTEGER NOT NULL DEFAULT 1,
    state        TEXT NOT NULL
);
INSERT INTO checkpoints (workflow_id, snapshot_seq, format, state)
    SELECT id, snapshot_seq, state_format, state FROM workflows;
ALTER TABLE workflows DROP COLUMN state;
ALTER TABLE workflows DROP COLUMN snapshot_seq;
ALTER TABLE workflows DROP COLUMN state_format;
