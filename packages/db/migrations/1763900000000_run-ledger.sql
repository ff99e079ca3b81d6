-- Up Migration
-- One row per run (one attempt of one BullMQ job). Written by the worker runtime through a Redis
-- stream outbox, so a row may appear a moment after the run ended; read by the API, the CLI and
-- the freshness metrics.
CREATE TABLE run_ledger (
  run_id        uuid PRIMARY KEY,
  -- the fleet prefix (FLEET_PREFIX): BullMQ queues and job ids are unique within one fleet only
  fleet         text        NOT NULL,
  job_name      text        NOT NULL,
  sync          text        NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('initial', 'periodic', 'healing', 'dump', 'manual')),
  queue         text        NOT NULL,
  job_id        text        NOT NULL,
  attempt       integer     NOT NULL,
  status        text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'refused', 'stalled')),
  final         boolean     NOT NULL DEFAULT false,
  due_at        timestamptz,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz,
  duration_ms   integer,
  counts        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  window_start  timestamptz,
  window_end    timestamptz,
  reason        text,
  error         text,
  worker_id     text        NOT NULL,
  dry_run       boolean     NOT NULL DEFAULT false
);
CREATE INDEX run_ledger_sync_started ON run_ledger (fleet, sync, started_at DESC);
CREATE INDEX run_ledger_job_started ON run_ledger (fleet, job_name, started_at DESC);
CREATE INDEX run_ledger_queue_job ON run_ledger (fleet, queue, job_id);

-- Per-sync state that must survive restarts: watermarks and the like, one row per (fleet, sync, key).
CREATE TABLE sync_state (
  fleet       text        NOT NULL,
  sync        text        NOT NULL,
  key         text        NOT NULL,
  value       jsonb       NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (fleet, sync, key)
);

-- Down Migration
DROP TABLE sync_state;
DROP TABLE run_ledger;
