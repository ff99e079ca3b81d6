import { z } from 'zod';
import { defineCatalogue } from './catalogue.ts';

/**
 * arena-ingest (seed 003): the maintenance jobs of the Arena ingest. The Kafka consumer itself is
 * not a job (it runs beside the worker in the arena-ingest app); these jobs work on the rows it
 * stored in `arena_data`. The queue is a singleton: retry, cleanup and reingest never run at once.
 */
export const ArenaTableName = z.enum(['SIAMO.TILTAKGJENNOMFORING', 'SIAMO.TILTAKDELTAKER', 'SIAMO.HIST_TILTAKDELTAKER']);
export type ArenaTableName = z.output<typeof ArenaTableName>;

/** arena.retry / arena.retryFailed: every table (gjennomføring, deltaker, hist, in that order) or one. */
export const ArenaRetryPayload = z.object({ table: ArenaTableName.optional() }).strict();
export type ArenaRetryPayload = z.output<typeof ArenaRetryPayload>;

/** arena.cleanup: delete IGNORED rows older than `olderThanHours` (default: the app's ARENA_IGNORED_RETENTION). */
export const ArenaCleanupPayload = z
  .object({ olderThanHours: z.number().positive().max(24 * 3650).optional(), dryRun: z.boolean().default(false) })
  .strict();
export type ArenaCleanupPayload = z.output<typeof ArenaCleanupPayload>;

/** arena.reingest: the newest HANDLED row of every arena_id of `table` (optionally only one tiltakskode) back to RETRY. */
export const ArenaReingestPayload = z
  .object({
    table: ArenaTableName,
    tiltakskode: z
      .string()
      .regex(/^[A-Z0-9_]{2,20}$/, 'an Arena TILTAKSKODE such as INDOPPFAG')
      .optional(),
    /** Count what would be reset, change nothing. */
    dryRun: z.boolean().default(false),
  })
  .strict();
export type ArenaReingestPayload = z.output<typeof ArenaReingestPayload>;

const arenaQueues = {
  'arena-ingest': { sync: 'arena-ingest', singleton: true, concurrency: 1 },
} as const;

export const arenaCatalogue = defineCatalogue(arenaQueues, {
  'arena.retry': {
    sync: 'arena-ingest',
    queue: 'arena-ingest',
    kind: 'periodic',
    description: 'Process the RETRY rows of arena_data again (keyset on operation_pos; FAILED at 10 attempts)',
    payload: ArenaRetryPayload,
    schedule: { pattern: '*/10 * * * *', tz: 'UTC' },
    overlap: 'skip',
    attempts: 3,
    backoff: { type: 'exponential', delay: 10_000 },
    dryRun: false,
  },
  'arena.retryFailed': {
    sync: 'arena-ingest',
    queue: 'arena-ingest',
    kind: 'periodic',
    description: 'Process the FAILED rows of arena_data once more',
    payload: ArenaRetryPayload,
    schedule: { pattern: '30 2 * * *', tz: 'Europe/Oslo' },
    overlap: 'skip',
    attempts: 3,
    backoff: { type: 'exponential', delay: 60_000 },
    dryRun: false,
  },
  'arena.cleanup': {
    sync: 'arena-ingest',
    queue: 'arena-ingest',
    kind: 'periodic',
    description: 'Delete IGNORED rows of arena_data older than the retention',
    payload: ArenaCleanupPayload,
    schedule: { pattern: '5 * * * *', tz: 'UTC' },
    overlap: 'skip',
    attempts: 3,
    backoff: { type: 'exponential', delay: 60_000 },
    dryRun: true,
  },
  'arena.reingest': {
    sync: 'arena-ingest',
    queue: 'arena-ingest',
    kind: 'manual',
    description: 'Mark the newest HANDLED row of every arena_id of a table as RETRY, then run arena.retry (republishes them)',
    payload: ArenaReingestPayload,
    overlap: 'bufferOne',
    attempts: 3,
    backoff: { type: 'exponential', delay: 5_000 },
    dryRun: true,
  },
});
