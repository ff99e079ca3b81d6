-- Up Migration
-- returns-sync (seed 001): the order returns of a warehouse system, and the sync's state table.
--
-- `order_returns` is the default source table (RETURNS_SOURCE_TABLE names another one: users point
-- the sync at their own table). The sync reads these columns; a table of its own needs them with
-- these names (extra columns are ignored):
--   id                bigint or text, unique    the return id (objectID of the Algolia record)
--   order_id          text                      the order the return belongs to
--   channel_order_id  text, nullable            the order id on the sales channel
--   client_account    text                      the client (brand) account
--   customer_name     text, nullable
--   return_type       text                      CUSTOMER_RETURN | COURIER_RTO (courier return to origin)
--   status            text                      CREATED | PICKUP_SCHEDULED | IN_TRANSIT | RECEIVED |
--                                               QC_PASSED | QC_FAILED | REFUNDED | CANCELLED
--   reason            text, nullable
--   items             jsonb                     [{"sku": text, "quantity": integer}, ...]
--   warehouse         text, nullable
--   courier           text, nullable
--   tracking_number   text, nullable
--   refund_amount     numeric, nullable
--   created_at        timestamptz
--   updated_at        timestamptz NOT NULL      set on every change (the sync's window reads it)
-- and an index on (updated_at, id): the sync pages through a window with keyset pagination on it.
CREATE TABLE order_returns (
  id                bigint        PRIMARY KEY,
  order_id          text          NOT NULL,
  channel_order_id  text,
  client_account    text          NOT NULL,
  customer_name     text,
  return_type       text          NOT NULL CHECK (return_type IN ('CUSTOMER_RETURN', 'COURIER_RTO')),
  status            text          NOT NULL CHECK (status IN ('CREATED', 'PICKUP_SCHEDULED', 'IN_TRANSIT', 'RECEIVED',
                                                           'QC_PASSED', 'QC_FAILED', 'REFUNDED', 'CANCELLED')),
  reason            text,
  items             jsonb         NOT NULL DEFAULT '[]'::jsonb,
  warehouse         text,
  courier           text,
  tracking_number   text,
  refund_amount     numeric(12, 2),
  created_at        timestamptz   NOT NULL DEFAULT now(),
  updated_at        timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX order_returns_updated_at_id ON order_returns (updated_at, id);

-- One row per run of the sync (the seed's table, plus what robustness needs). The newest row of a
-- job type tells whether a run is active; the window of the next run starts at the end of the last
-- successful run that continued the sync's coverage (advances_watermark), minus the overlap.
CREATE TABLE order_return_algolia_sync (
  id                  bigserial     PRIMARY KEY,
  job_type            text          NOT NULL DEFAULT 'RETURN_JOB',
  -- 0 idle (the run succeeded), 1 queued (claimed, pages being planned), 2 processing (pages
  -- enqueued), 3 failed (a page failed for good, or the run was taken over after its worker died)
  status              smallint      NOT NULL CHECK (status IN (0, 1, 2, 3)),
  -- the window: returns with start_date <= updated_at < end_date (end_date captured at claim time)
  start_date          timestamptz   NOT NULL,
  end_date            timestamptz   NOT NULL,
  created_at          timestamptz   NOT NULL DEFAULT clock_timestamp(),
  -- periodic | initial | healing: which job claimed the run
  run_kind            text          NOT NULL,
  -- the run started at or before the previous coverage end: its success moves the next window
  advances_watermark  boolean       NOT NULL,
  -- renewed while the run plans and while its pages run: a stale one lets the next tick take over
  heartbeat_at        timestamptz   NOT NULL DEFAULT clock_timestamp(),
  finished_at         timestamptz,
  -- the BullMQ job that owns the run (<queue>/<job id>) and a token unique to this claim
  owner_job           text          NOT NULL,
  claim_token         uuid          NOT NULL UNIQUE,
  worker_id           text,
  pages               integer,
  rows_synced         bigint,
  error               text
);
-- At most one active (queued or processing) run per job type: a second claim cannot slip in.
CREATE UNIQUE INDEX order_return_algolia_sync_one_active ON order_return_algolia_sync (job_type) WHERE status IN (1, 2);
CREATE INDEX order_return_algolia_sync_newest ON order_return_algolia_sync (job_type, created_at DESC, id DESC);
CREATE INDEX order_return_algolia_sync_coverage ON order_return_algolia_sync (job_type, end_date DESC)
  WHERE status = 0 AND advances_watermark;

-- Down Migration
DROP TABLE order_return_algolia_sync;
DROP TABLE order_returns;
