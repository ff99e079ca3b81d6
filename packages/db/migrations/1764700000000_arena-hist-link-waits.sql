-- Up Migration
-- How many times a deltaker DELETE has waited for a hist deltaker to link it (ARENA.md: it waits two
-- attempts, then the deltaker is published as FEILREGISTRERT). Counted apart from ingest_attempts,
-- which also counts the attempts it spent behind an earlier message of its participant.
ALTER TABLE arena_data ADD COLUMN hist_link_waits smallint NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE arena_data DROP COLUMN hist_link_waits;
