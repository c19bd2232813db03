-- Every row that holds serialised engine data says which shape it was written in, so a
-- later Baton can change a shape by adding a format (never by renaming) and an older
-- one refuses what it cannot read instead of misreading it. Rows written before this
-- migration are format 1, the only shape so far.
ALTER TABLE workflows ADD COLUMN state_format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE history ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE queue ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE timers ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
