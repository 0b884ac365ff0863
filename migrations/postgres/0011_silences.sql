-- Silences, maintenance windows and acknowledgements (PostgreSQL). See docs/schema.md.
ALTER TABLE alert_events ADD COLUMN IF NOT EXISTS silenced BOOLEAN NOT NULL DEFAULT false;
-- Who acknowledged a firing alert, when, and why, or NULL.
ALTER TABLE alert_events ADD COLUMN IF NOT EXISTS acknowledged JSONB;

CREATE TABLE IF NOT EXISTS silences (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    -- The whole silence as GET /api/silences shows it (without its state).
    silence JSONB NOT NULL
);
