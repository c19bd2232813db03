-- The durable engine event log behind resumable streams (SSE Last-Event-ID). One row
-- per committed batch: its events have the ids id .. id + count - 1, dense across rows.
CREATE TABLE events (
    id    INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    at    INTEGER NOT NULL,
    body  TEXT NOT NULL
)
