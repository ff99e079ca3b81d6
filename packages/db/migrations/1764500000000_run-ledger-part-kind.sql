-- Up Migration
-- A run of kind 'part' is a piece of another job's run (a page of a returns run), enqueued by it.
ALTER TABLE run_ledger DROP CONSTRAINT run_ledger_kind_check;
ALTER TABLE run_ledger ADD CONSTRAINT run_ledger_kind_check CHECK (kind IN ('initial', 'periodic', 'healing', 'dump', 'manual', 'part'));

-- Down Migration
UPDATE run_ledger SET kind = 'manual' WHERE kind = 'part';
ALTER TABLE run_ledger DROP CONSTRAINT run_ledger_kind_check;
ALTER TABLE run_ledger ADD CONSTRAINT run_ledger_kind_check CHECK (kind IN ('initial', 'periodic', 'healing', 'dump', 'manual'));
