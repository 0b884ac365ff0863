-- The part of a machine an alert is about (a mount, an interface, a core), for rules on parts (SQLite).
ALTER TABLE alert_events ADD COLUMN part TEXT;
