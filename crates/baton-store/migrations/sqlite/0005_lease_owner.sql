-- Leases belong to someone: `lease_owner` is the node that handed the task out, so a
-- node that restarts releases its own leases only. `ready_at` is when the task became
-- (or becomes) visible, so releasing a lease needs no JSON read. Leases taken before
-- this migration belonged to the one local node.
ALTER TABLE queue ADD COLUMN ready_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue ADD COLUMN lease_owner TEXT;
UPDATE queue SET ready_at = CAST(json_extract(task, '$.visible_at') AS INTEGER);
UPDATE queue SET lease_owner = 'local' WHERE worker_id IS NOT NULL;
