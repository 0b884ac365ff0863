-- The labels a machine's agent (and its token) gave it (SQLite). See docs/schema.md.
ALTER TABLE machines ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
