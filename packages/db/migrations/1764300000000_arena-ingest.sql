-- Up Migration
-- arena-ingest (seed 003): every message of the Arena topics, with the status of its conversion to
-- the AMT domain, and the state that conversion needs (gjennomføringer, deltakere, id translations).

-- One row per Arena message (table, operation, position). A redelivered message hits the unique key
-- and changes nothing. A message that could not even be parsed is kept too (INVALID, its raw bytes
-- and the reason in `note`); it has no Arena key, only its Kafka coordinates.
CREATE TABLE arena_data (
  id                  bigserial   PRIMARY KEY,
  arena_table_name    text,
  arena_id            text,
  operation_type      text        CHECK (operation_type IN ('CREATED', 'MODIFIED', 'DELETED')),
  -- 20-digit zero-padded decimal (above 2^53): compared as text of equal length, never as a number
  operation_pos       text        CHECK (operation_pos ~ '^[0-9]{20}$'),
  operation_timestamp timestamp,
  ingest_status       text        NOT NULL
    CHECK (ingest_status IN ('NEW', 'HANDLED', 'RETRY', 'FAILED', 'IGNORED', 'INVALID', 'WAITING', 'EXTERNAL_SOURCE')),
  -- when the row last got its status (the stale check compares it between the rows of one arena_id)
  ingested_timestamp  timestamptz NOT NULL DEFAULT now(),
  ingest_attempts     integer     NOT NULL DEFAULT 0 CHECK (ingest_attempts >= 0),
  last_attempted      timestamptz,
  before              jsonb,
  after               jsonb,
  note                text,
  kafka_topic         text,
  kafka_partition     integer,
  kafka_offset        bigint,
  -- the message as it came, kept only when it could not be parsed
  raw_value           bytea,
  -- only an unparsable message may lack its Arena key
  CONSTRAINT arena_data_key_present CHECK (
    ingest_status = 'INVALID'
    OR (arena_table_name IS NOT NULL AND arena_id IS NOT NULL AND operation_type IS NOT NULL AND operation_pos IS NOT NULL)
  ),
  CONSTRAINT arena_data_message UNIQUE (arena_table_name, operation_type, operation_pos)
);
-- an unparsable message is stored once however often it is redelivered
CREATE UNIQUE INDEX arena_data_unparsable_once ON arena_data (kafka_topic, kafka_partition, kafka_offset)
  WHERE operation_pos IS NULL;
-- every message of one participant (ordering guard, reingest, stale check)
CREATE INDEX arena_data_arena_id_table ON arena_data (arena_id, arena_table_name);
-- counts per status, cleanup of IGNORED rows, reingest
CREATE INDEX arena_data_table_operation_status ON arena_data (arena_table_name, operation_type, ingest_status);
-- the retry jobs' keyset: RETRY / FAILED rows of a table in position order
CREATE INDEX arena_data_retry_keyset ON arena_data (arena_table_name, ingest_status, operation_pos, id)
  WHERE ingest_status IN ('RETRY', 'FAILED');
-- the WAITING participants of a gjennomføring, released when a valid one arrives
CREATE INDEX arena_data_waiting_on_gjennomforing ON arena_data ((COALESCE(after, before) ->> 'TILTAKGJENNOMFORING_ID'))
  WHERE ingest_status = 'WAITING';
-- cleanup of old IGNORED rows
CREATE INDEX arena_data_ignored_age ON arena_data (ingested_timestamp) WHERE ingest_status = 'IGNORED';

-- The gjennomføringer seen (supported or not, valid or not): what a deltaker needs to be converted.
CREATE TABLE gjennomforing (
  arena_id          text        PRIMARY KEY,
  -- the AMT id, created once
  id                uuid        NOT NULL UNIQUE,
  tiltakskode       text        NOT NULL,
  tiltakstatuskode  text,
  is_valid          boolean     NOT NULL,
  dato_fra          date,
  dato_til          date,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Arena TILTAKDELTAKER_ID -> the AMT deltaker id, created once.
CREATE TABLE arena_deltaker_id_translation (
  arena_id    text        PRIMARY KEY,
  amt_id      uuid        NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Arena HIST_TILTAKDELTAKER_ID -> the AMT deltaker id: a new one (case 1), or the id of the deltaker
-- the participation was historised from (case 2, `deltaker_arena_id` set).
CREATE TABLE arena_hist_deltaker_id_translation (
  hist_arena_id      text        PRIMARY KEY,
  amt_id             uuid        NOT NULL,
  deltaker_arena_id  text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX arena_hist_deltaker_id_translation_deltaker ON arena_hist_deltaker_id_translation (deltaker_arena_id)
  WHERE deltaker_arena_id IS NOT NULL;

-- The deltakere published, as hist matching needs them (person, gjennomføring, dates, status).
CREATE TABLE deltaker (
  source_table              text        NOT NULL CHECK (source_table IN ('SIAMO.TILTAKDELTAKER', 'SIAMO.HIST_TILTAKDELTAKER')),
  arena_id                  text        NOT NULL,
  id                        uuid        NOT NULL UNIQUE,
  person_id                 text        NOT NULL,
  gjennomforing_arena_id    text        NOT NULL,
  dato_fra                  timestamp,
  dato_til                  timestamp,
  dato_statusendring        timestamp,
  status                    text        NOT NULL,
  updated_at                timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_table, arena_id)
);
CREATE INDEX deltaker_person_gjennomforing ON deltaker (person_id, gjennomforing_arena_id);

-- Down Migration
DROP TABLE deltaker;
DROP TABLE arena_hist_deltaker_id_translation;
DROP TABLE arena_deltaker_id_translation;
DROP TABLE gjennomforing;
DROP TABLE arena_data;
