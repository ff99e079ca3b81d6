import { z } from 'zod';
import { defineCatalogue } from './catalogue.ts';

/**
 * dispo-patcher (seed 000): keeps `customerDispo` right on the Algolia offers index.
 *
 * - `dispo.check` (every minute): patches when Algolia's logs show a move of the temporary index
 *   onto the master index newer than the watermark; otherwise a skipped run.
 * - `dispo.initial`, `dispo.heal` (nightly) and `dispo.patch` (by hand): a full patch whatever the
 *   logs say.
 * One queue, one run at a time across every replica (a patch reads and writes the whole index).
 */
export const DispoCheckPayload = z
  .object({
    /** Compute and report, write nothing (the worker's DISPO_DRY_RUN=true does the same for every run). */
    dryRun: z.boolean().default(false),
  })
  .strict();
export type DispoCheckPayload = z.output<typeof DispoCheckPayload>;

export const DispoPatchPayload = z
  .object({
    /** Compute and report, write nothing (the worker's DISPO_DRY_RUN=true does the same for every run). */
    dryRun: z.boolean().default(false),
    /** Why the patch was asked for: shown in the logs and on the Teams card. */
    reason: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type DispoPatchPayload = z.output<typeof DispoPatchPayload>;

const dispoQueues = {
  'dispo-patcher': { sync: 'dispo-patcher', singleton: true, concurrency: 1 },
} as const;

export const dispoCatalogue = defineCatalogue(dispoQueues, {
  'dispo.check': {
    sync: 'dispo-patcher',
    queue: 'dispo-patcher',
    kind: 'periodic',
    description: "Patches customerDispo when Algolia's logs show a new move of the temporary index onto the offers index",
    payload: DispoCheckPayload,
    schedule: { every: 60_000 },
    // a tick that comes due while a patch runs is skipped: the next tick sees the same move anyway
    overlap: 'skip',
    attempts: 3,
    backoff: { type: 'exponential', delay: 5000 },
    dryRun: true,
  },
  'dispo.initial': {
    sync: 'dispo-patcher',
    queue: 'dispo-patcher',
    kind: 'initial',
    description: 'Full customerDispo patch of the offers index, once, when START_INITIAL_SYNC=true',
    payload: DispoPatchPayload,
    overlap: 'bufferOne',
    attempts: 5,
    backoff: { type: 'exponential', delay: 5000 },
    dryRun: true,
  },
  'dispo.heal': {
    sync: 'dispo-patcher',
    queue: 'dispo-patcher',
    kind: 'healing',
    description: 'Nightly full customerDispo patch (catches moves that left the logs and hand-made edits)',
    payload: DispoPatchPayload,
    schedule: { pattern: '30 3 * * *', tz: 'Europe/Paris' },
    overlap: 'skip',
    attempts: 5,
    backoff: { type: 'exponential', delay: 5000 },
    dryRun: true,
  },
  'dispo.patch': {
    sync: 'dispo-patcher',
    queue: 'dispo-patcher',
    kind: 'manual',
    description: 'Full customerDispo patch of the offers index, triggered by hand (dryRun: compute and report only)',
    payload: DispoPatchPayload,
    overlap: 'bufferOne',
    attempts: 5,
    backoff: { type: 'exponential', delay: 2000 },
    dryRun: true,
  },
});
