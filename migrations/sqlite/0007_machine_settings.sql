-- What operators set on a machine at the hub (SQLite). See docs/schema.md.
CREATE TABLE IF NOT EXISTS machine_settings (
    machine_id TEXT PRIMARY KEY,
    -- Hub-side labels (JSON object); they win over the agent's.
    labels TEXT NOT NULL DEFAULT '{}',
    display_name TEXT,
    updated_at INTEGER NOT NULL
);
