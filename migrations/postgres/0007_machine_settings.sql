-- What operators set on a machine at the hub (PostgreSQL), shared by the
-- hubs on the database. See docs/schema.md.
CREATE TABLE IF NOT EXISTS machine_settings (
    machine_id TEXT PRIMARY KEY,
    -- Hub-side labels; they win over the agent's.
    labels JSONB NOT NULL DEFAULT '{}'::jsonb,
    display_name TEXT,
    updated_at BIGINT NOT NULL
);
