import { z } from 'zod';
import { defineCatalogue } from './catalogue.ts';

/**
 * The sample sync: a stand-in that exercises every part of the worker kit (later issues add the
 * real syncs beside it). Its handler sleeps, counts and fails on request.
 */
export const SamplePayload = z
  .object({
    /** How long the run works, in milliseconds. */
    sleepMs: z.number().int().min(0).max(600_000).default(0),
    /** Records the run reports as processed. */
    records: z.number().int().min(0).max(1_000_000).default(0),
    /** `transient`: throw (BullMQ retries); `permanent`: fail at once, no retry. */
    failWith: z.enum(['transient', 'permanent']).optional(),
    /** Fail only while the attempt number is at most this (then succeed): retry tests. */
    failAttempts: z.number().int().min(1).max(100).optional(),
    dryRun: z.boolean().default(false),
    note: z.string().max(200).optional(),
  })
  .strict();
export type SamplePayload = z.output<typeof SamplePayload>;

const sampleQueues = {
  sample: { sync: 'sample', singleton: true, concurrency: 1 },
} as const;

export const sampleCatalogue = defineCatalogue(sampleQueues, {
  'sample.initial': {
    sync: 'sample',
    queue: 'sample',
    kind: 'initial',
    description: 'Sample full load, run once when START_INITIAL_SYNC=true',
    payload: SamplePayload,
    overlap: 'bufferOne',
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    dryRun: true,
  },
  'sample.tick': {
    sync: 'sample',
    queue: 'sample',
    kind: 'periodic',
    description: 'Sample periodic run',
    payload: SamplePayload,
    schedule: { every: 60_000 },
    overlap: 'skip',
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    dryRun: true,
  },
  'sample.heal': {
    sync: 'sample',
    queue: 'sample',
    kind: 'healing',
    description: 'Sample nightly reconcile; waits for sample.initial to have succeeded',
    payload: SamplePayload,
    schedule: { pattern: '0 3 * * *', tz: 'UTC' },
    overlap: 'skip',
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    dryRun: true,
  },
  'sample.echo': {
    sync: 'sample',
    queue: 'sample',
    kind: 'manual',
    description: 'Sample job triggered by hand',
    payload: SamplePayload,
    overlap: 'bufferOne',
    attempts: 3,
    backoff: { type: 'exponential', delay: 200 },
    dryRun: true,
  },
});
