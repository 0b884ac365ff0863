-- The sampling interval an operator set for a machine (SQLite). See docs/schema.md.
ALTER TABLE machine_settings ADD COLUMN interval_ms INTEGER;
