-- The labels a machine's agent (and its token) gave it (PostgreSQL). See docs/schema.md.
ALTER TABLE machines ADD COLUMN IF NOT EXISTS labels JSONB NOT NULL DEFAULT '{}'::jsonb;
