-- The sampling interval an operator set for a machine (PostgreSQL). See docs/schema.md.
ALTER TABLE machine_settings ADD COLUMN IF NOT EXISTS interval_ms BIGINT;
