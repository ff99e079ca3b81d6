-- Up Migration
-- Arena sends ids as numbers or as text, sometimes with leading zeros or blanks ("020", " 20"); the
-- processors read them normalised (readId: trimmed, leading zeros dropped). SQL that matches a stored
-- message's TILTAKGJENNOMFORING_ID with a gjennomføring's arena id must read it the same way, or a
-- WAITING deltaker whose message says "020" is never released by gjennomføring 20.
CREATE FUNCTION arena_normalized_id(value text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT regexp_replace(btrim(value, E' \t\r\n'), '^0+(?=[0-9])', '') $$;
DROP INDEX arena_data_waiting_on_gjennomforing;
CREATE INDEX arena_data_waiting_on_gjennomforing ON arena_data (arena_normalized_id(COALESCE(after, before) ->> 'TILTAKGJENNOMFORING_ID'))
  WHERE ingest_status = 'WAITING';

-- Down Migration
DROP INDEX arena_data_waiting_on_gjennomforing;
CREATE INDEX arena_data_waiting_on_gjennomforing ON arena_data ((COALESCE(after, before) ->> 'TILTAKGJENNOMFORING_ID'))
  WHERE ingest_status = 'WAITING';
DROP FUNCTION arena_normalized_id(text);
