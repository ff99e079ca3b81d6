import { z } from 'zod';
import { defineCatalogue } from './catalogue.ts';

/**
 * returns-sync (seed 001): order returns changed in Postgres -> the Algolia returns index.
 *
 * - `returns.sync` (every 15 minutes): claims the run in the state table `order_return_algolia_sync`
 *   (skipped while another run is alive), reads the returns changed in its window (last successful
 *   end minus the overlap, up to now) with keyset pagination and fans the pages out as
 *   `returns.syncPage` child jobs on the processing queue; the run closes when every page succeeded.
 * - `returns.backfill` (initial): the same for every return changed since a date.
 * - `returns.heal` (nightly): the same for the last N hours.
 * - `returns.dump` (nightly): the index's records to a gzip NDJSON file with a manifest.
 * The run queue is a singleton; the processing queue fans out over every replica.
 */

const isoInstant = z.iso.datetime({ offset: true, local: false });

export const ReturnsSyncPayload = z
  .object({
    /** Compute the window and count the returns in it; claim nothing, write nothing. */
    dryRun: z.boolean().default(false),
  })
  .strict();
export type ReturnsSyncPayload = z.output<typeof ReturnsSyncPayload>;

export const ReturnsBackfillPayload = z
  .object({
    /** Every return changed since this instant (ISO 8601 with offset); default RETURNS_BACKFILL_SINCE. */
    since: isoInstant.optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();
export type ReturnsBackfillPayload = z.output<typeof ReturnsBackfillPayload>;

export const ReturnsHealPayload = z
  .object({
    /** Re-sync the returns changed in the last `hours` hours; default RETURNS_HEAL_HOURS. */
    hours: z.number().int().min(1).max(24 * 366).optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();
export type ReturnsHealPayload = z.output<typeof ReturnsHealPayload>;

export const ReturnsDumpPayload = z.object({}).strict();
export type ReturnsDumpPayload = z.output<typeof ReturnsDumpPayload>;

/** A position in the (updated_at, id) order: updated_at as exact UTC text (microseconds), id as text. */
export const ReturnsKey = z
  .object({
    updatedAt: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'UTC timestamp with microseconds'),
    id: z.string().min(1).max(200),
  })
  .strict();
export type ReturnsKey = z.output<typeof ReturnsKey>;

export const ReturnsSyncPagePayload = z
  .object({
    /** The run (row id in order_return_algolia_sync) and its claim: a page of a run taken over does nothing. */
    runId: z.number().int().positive(),
    claimToken: z.uuid(),
    page: z.number().int().positive(),
    /** The page holds the returns after this key (null: from the window start) up to `last`, inclusive. */
    after: ReturnsKey.nullable(),
    last: ReturnsKey,
    windowStart: isoInstant,
    windowEnd: isoInstant,
  })
  .strict();
export type ReturnsSyncPagePayload = z.output<typeof ReturnsSyncPagePayload>;

const returnsQueues = {
  'returns-sync': { sync: 'returns-sync', singleton: true, concurrency: 1 },
  'returns-sync-processing': { sync: 'returns-sync', singleton: false, concurrency: 8 },
} as const;

export const returnsCatalogue = defineCatalogue(returnsQueues, {
  'returns.sync': {
    sync: 'returns-sync',
    queue: 'returns-sync',
    kind: 'periodic',
    description: 'Syncs the returns changed since the last successful run (minus the overlap) to the Algolia index',
    payload: ReturnsSyncPayload,
    schedule: { pattern: '*/15 * * * *', tz: 'UTC' },
    // a tick that comes due while a run is alive is recorded as skipped (the seed's behaviour)
    overlap: 'skip',
    attempts: 3,
    backoff: { type: 'exponential', delay: 5000 },
    dryRun: true,
  },
  'returns.syncPage': {
    sync: 'returns-sync',
    queue: 'returns-sync-processing',
    // enqueued by a run (one child job per page), never scheduled
    kind: 'part',
    description: 'Pushes one page of changed returns to the Algolia index (a child job of a run)',
    payload: ReturnsSyncPagePayload,
    overlap: 'bufferOne',
    attempts: 5,
    backoff: { type: 'exponential', delay: 2000 },
    dryRun: false,
  },
  'returns.backfill': {
    sync: 'returns-sync',
    queue: 'returns-sync',
    kind: 'initial',
    description: 'Syncs every return changed since RETURNS_BACKFILL_SINCE (or the payload\'s `since`)',
    payload: ReturnsBackfillPayload,
    overlap: 'bufferOne',
    // while another run is alive it waits: retried with backoff
    attempts: 8,
    backoff: { type: 'exponential', delay: 30_000 },
    dryRun: true,
  },
  'returns.heal': {
    sync: 'returns-sync',
    queue: 'returns-sync',
    kind: 'healing',
    description: 'Re-syncs the returns changed in the last RETURNS_HEAL_HOURS hours',
    payload: ReturnsHealPayload,
    schedule: { pattern: '0 2 * * *', tz: 'UTC' },
    overlap: 'skip',
    attempts: 8,
    backoff: { type: 'exponential', delay: 30_000 },
    dryRun: true,
  },
  'returns.dump': {
    sync: 'returns-sync',
    queue: 'returns-sync',
    kind: 'dump',
    description: "Writes the index's records to a gzip NDJSON file with a manifest (count, time, checksum)",
    payload: ReturnsDumpPayload,
    schedule: { pattern: '30 3 * * *', tz: 'UTC' },
    overlap: 'skip',
    attempts: 3,
    backoff: { type: 'exponential', delay: 60_000 },
    dryRun: false,
  },
});
