-- Notification channels and the log of deliveries (PostgreSQL), shared by
-- the hubs on the database. See docs/schema.md.
ALTER TABLE alert_events ADD COLUMN IF NOT EXISTS labels JSONB NOT NULL DEFAULT '{}'::jsonb;

CREATE TABLE IF NOT EXISTS channels (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The whole channel, secrets included (never shown by the API).
    channel JSONB NOT NULL
);

CREATE TABLE IF NOT EXISTS alert_deliveries (
    id BIGSERIAL PRIMARY KEY,
    alert_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    channel_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at BIGINT NOT NULL,
    ok BOOLEAN NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS alert_deliveries_alert ON alert_deliveries (alert_id, id);
