-- The part of a machine an alert is about (a mount, an interface, a core), for rules on parts (PostgreSQL).
ALTER TABLE alert_events ADD COLUMN IF NOT EXISTS part TEXT;
