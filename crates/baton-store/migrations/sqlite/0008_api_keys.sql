-- API keys: who may call a server, with which role (and, for L2, which domain). Only
-- the SHA-256 of a key's secret is kept; a revoked key stays, for the audit trail.
CREATE TABLE api_keys (
    key_id      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    domain      TEXT,
    secret_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
