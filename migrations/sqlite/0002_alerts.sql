-- Alert rules, alert events and hub settings (SQLite). See docs/schema.md.

CREATE TABLE IF NOT EXISTS alert_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    metric TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    -- The whole rule as GET /api/rules/{id} shows it.
    rule TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS alert_events (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    machine_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    value REAL,
    threshold REAL,
    started_at INTEGER NOT NULL,
    resolved_at INTEGER,
    -- The busiest processes when the alert fired.
    top_processes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_started ON alert_events (started_at);
CREATE INDEX IF NOT EXISTS alert_events_state ON alert_events (state);

CREATE TABLE IF NOT EXISTS hub_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
