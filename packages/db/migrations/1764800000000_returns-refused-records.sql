-- Up Migration
-- returns-sync: the returns whose record Algolia refused on its own (a 400, e.g. a record over the
-- plan's size limit). Algolia refuses a batch whole for one such record; the page isolates it, saves
-- the others, and records it here with Algolia's reason, so that one bad row no longer fails every
-- run. A row leaves this table when a later run saves the return's record (after the return was
-- fixed, or by a heal). Lives beside the state table (`RETURNS_DATABASE_URL`); `fleet returns
-- refused` lists it.
CREATE TABLE order_return_algolia_refused (
  index_name        text         NOT NULL,
  object_id         text         NOT NULL,
  reason            text         NOT NULL,
  -- the run (order_return_algolia_sync.id) that last had it refused; `refusals` counts the runs that
  -- had it refused (a failed run's window is redone, so one version of a return may count twice)
  run_id            bigint       NOT NULL,
  refusals          integer      NOT NULL DEFAULT 1,
  first_refused_at  timestamptz  NOT NULL DEFAULT now(),
  last_refused_at   timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (index_name, object_id)
);

-- Down Migration
DROP TABLE order_return_algolia_refused;
