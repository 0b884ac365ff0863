-- What the sealed chunks hold, kept by triggers in the same transactions
-- that insert and delete chunks, so the hub reports its size and cost per
-- sample without scanning them (SQLite). See docs/schema.md.
CREATE TABLE IF NOT EXISTS chunk_totals (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    chunks INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO chunk_totals (id, chunks, samples, bytes)
    SELECT 1, count(*), COALESCE(sum(samples), 0), COALESCE(sum(length(body)), 0) FROM chunks;

CREATE TRIGGER IF NOT EXISTS chunks_counted_in AFTER INSERT ON chunks BEGIN
    UPDATE chunk_totals SET chunks = chunks + 1, samples = samples + NEW.samples,
        bytes = bytes + length(NEW.body) WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS chunks_counted_out AFTER DELETE ON chunks BEGIN
    UPDATE chunk_totals SET chunks = chunks - 1, samples = samples - OLD.samples,
        bytes = bytes - length(OLD.body) WHERE id = 1;
END;
