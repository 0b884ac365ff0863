-- Silences, maintenance windows and acknowledgements (SQLite). See docs/schema.md.
ALTER TABLE alert_events ADD COLUMN silenced INTEGER NOT NULL DEFAULT 0;
-- Who acknowledged a firing alert, when, and why (JSON), or NULL.
ALTER TABLE alert_events ADD COLUMN acknowledged TEXT;

CREATE TABLE IF NOT EXISTS silences (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    -- The whole silence as GET /api/silences shows it (without its state).
    silence TEXT NOT NULL
);
