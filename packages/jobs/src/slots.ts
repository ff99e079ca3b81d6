import { z } from 'zod';
import { defineCatalogue } from './catalogue.ts';

/**
 * slot-sync (seed 004): When I Work shifts -> Redis diff -> Kafka.
 *
 * No initial job: the periodic run is its own initial load (with an empty cache, its first run
 * publishes every shift of the window), so there is nothing to backfill and nothing for a healing
 * job to wait for. `slots.resync` is manual: the diff already corrects drift on every tick, so a
 * scheduled full republish would only duplicate messages; an operator runs it when a consumer must
 * be rebuilt (a wider window, everything republished whatever the cache says).
 */
export const SlotsSyncPayload = z
  .object({
    /** Compute the diff and report it: publish nothing, write nothing to the cache. */
    dryRun: z.boolean().default(false),
  })
  .strict();
export type SlotsSyncPayload = z.output<typeof SlotsSyncPayload>;

export const SlotsResyncPayload = z
  .object({
    /** Days before today to cover (default: the worker's SYNC_DAYS_PRIOR). */
    daysPrior: z.number().int().min(0).max(366).optional(),
    /** Days after today to cover (default: the worker's SYNC_DAYS_AHEAD). */
    daysAhead: z.number().int().min(0).max(366).optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();
export type SlotsResyncPayload = z.output<typeof SlotsResyncPayload>;

export const slotsCatalogue = defineCatalogue(
  {
    'slot-sync': { sync: 'slot-sync', singleton: true, concurrency: 1 },
  },
  {
    'slots.sync': {
      sync: 'slot-sync',
      queue: 'slot-sync',
      kind: 'periodic',
      description: 'Fetch the window of When I Work shifts, publish the new, changed and deleted ones to Kafka',
      payload: SlotsSyncPayload,
      // The seed's SYNC_SLEEP_PERIOD_SECONDS (read by the scheduler) overrides the interval.
      schedule: { every: 10_000 },
      scheduleSecondsEnv: 'SYNC_SLEEP_PERIOD_SECONDS',
      overlap: 'skip',
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      dryRun: true,
    },
    'slots.resync': {
      sync: 'slot-sync',
      queue: 'slot-sync',
      kind: 'manual',
      description: 'Republish every shift of a (possibly wider) window, whatever the cache says',
      payload: SlotsResyncPayload,
      overlap: 'bufferOne',
      attempts: 5,
      backoff: { type: 'exponential', delay: 5000 },
      dryRun: true,
    },
  },
);
