// START_INITIAL_SYNC=true: each sync's initial job is queued once, never while one is pending and
// never again after one succeeded. The scheduler only queues it; a worker of the sync runs it.
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FleetControl } from '@syncfleet/control';
import type { Pool } from '@syncfleet/db';
import { initialJobOf, type JobDefinition } from '@syncfleet/jobs';
import type { Logger } from '@syncfleet/log';
import { fleetKeys } from '@syncfleet/runtime';

export interface InitialSyncOptions {
  control: FleetControl;
  redis: Redis;
  pool: Pool;
  log: Logger;
}

export type InitialSyncOutcome =
  | { sync: string; job: string; action: 'enqueued'; jobId: string }
  /** One is waiting, delayed (retrying with backoff) or running: left alone. */
  | { sync: string; job: string; action: 'pending'; jobId: string; state: string }
  | { sync: string; job: string; action: 'succeeded-before' };

const pendingStates = ['active', 'waiting', 'prioritized', 'delayed'] as const;
const pageSize = 500;

/** A job of that name that is queued or running, other than `except`. */
async function findPending(queue: Queue, name: string, except?: string): Promise<{ job: Job; state: string } | undefined> {
  for (const state of pendingStates) {
    for (let start = 0; ; start += pageSize) {
      const page: Job[] = await queue.getJobs([state], start, start + pageSize - 1);
      const found = page.find((job) => job.name === name && job.id !== except);
      if (found) return { job: found, state };
      if (page.length < pageSize) break;
    }
  }
  return undefined;
}

/**
 * The same test as the workers' chronology guard: the marker the worker sets in Redis when the
 * initial job succeeds, or (Redis may have been emptied) a success in the run ledger.
 */
async function hasSucceeded(options: InitialSyncOptions, job: JobDefinition): Promise<boolean> {
  const { control, redis, pool } = options;
  if ((await redis.exists(fleetKeys(control.fleetPrefix).initialSucceeded(job.sync))) === 1) return true;
  const found = await pool.query(
    `SELECT 1 FROM run_ledger WHERE fleet = $1 AND sync = $2 AND kind = 'initial' AND status = 'succeeded' AND NOT dry_run LIMIT 1`,
    [control.fleetPrefix, job.sync],
  );
  return (found.rowCount ?? 0) > 0;
}

export async function enqueueInitialSyncs(options: InitialSyncOptions): Promise<InitialSyncOutcome[]> {
  const { control, log } = options;
  const outcomes: InitialSyncOutcome[] = [];
  for (const sync of control.syncNames) {
    const job = initialJobOf(control.catalogue, sync);
    if (!job) continue;
    const queue = control.queue(job.queue);
    let outcome: InitialSyncOutcome;
    if (await hasSucceeded(options, job)) {
      outcome = { sync, job: job.name, action: 'succeeded-before' };
    } else {
      const pending = await findPending(queue, job.name);
      if (pending) {
        outcome = { sync, job: job.name, action: 'pending', jobId: pending.job.id!, state: pending.state };
      } else {
        // A waiting one would be returned by the trigger's deduplication; `pending` covered the rest.
        const queued = await control.enqueue(job.name, {});
        outcome = queued.deduplicated
          ? { sync, job: job.name, action: 'pending', jobId: queued.jobId, state: 'waiting' }
          : await keepOnlyOne(queue, job, queued.jobId, sync);
      }
    }
    log.info({ ...outcome }, `initial sync of ${sync}: ${outcome.action}`);
    outcomes.push(outcome);
  }
  return outcomes;
}

/**
 * Another scheduler replica may have queued one that a worker started (which ends its
 * deduplication) between our check and our enqueue: then ours goes, if no worker took it yet.
 */
async function keepOnlyOne(queue: Queue, job: JobDefinition, jobId: string, sync: string): Promise<InitialSyncOutcome> {
  const other = await findPending(queue, job.name, jobId);
  if (other) {
    const ours = await queue.getJob(jobId);
    const removed = ours ? await ours.remove().then(() => true, () => false) : false;
    if (removed) return { sync, job: job.name, action: 'pending', jobId: other.job.id!, state: other.state };
  }
  return { sync, job: job.name, action: 'enqueued', jobId };
}
