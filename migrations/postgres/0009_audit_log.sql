-- Every change made with the admin token (PostgreSQL), shared by the hubs
-- on the database. See docs/schema.md.
CREATE TABLE IF NOT EXISTS audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    address TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    -- The change: the body sent, or what was made; never a secret.
    detail JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target, id);
