-- Agent tokens issued over REST (SQLite). See docs/schema.md.
-- The secret is never stored: token_hash is its SHA-256 (hex).

CREATE TABLE IF NOT EXISTS agent_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    machine_glob TEXT NOT NULL,
    -- Labels given to machines that connect with it, a JSON object.
    labels TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
