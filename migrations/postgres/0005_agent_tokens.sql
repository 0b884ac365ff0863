-- Agent tokens issued over REST (PostgreSQL), shared by every hub on the
-- database. See docs/schema.md. The secret is never stored: token_hash is
-- its SHA-256 (hex).

CREATE TABLE IF NOT EXISTS agent_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    machine_glob TEXT NOT NULL,
    -- Labels given to machines that connect with it.
    labels JSONB NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
