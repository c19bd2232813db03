-- The state column is a checkpoint of the history: it reflects the first snapshot_seq
-- events, and readers replay the events after it. Rows written before this migration
-- were snapshotted after every event.
ALTER TABLE workflows ADD COLUMN snapshot_seq INTEGER NOT NULL DEFAULT 0;
UPDATE workflows SET snapshot_seq = history_len;
