/**
 * What operators do to a fleet, shared by the HTTP API (scheduler app) and the `fleet` CLI: both
 * talk to Redis (BullMQ) and Postgres (run ledger, sync state) directly through this.
 */
import { Queue, type Job, type JobSchedulerJson } from 'bullmq';
import type { Redis } from 'ioredis';
import { createSyncState, type Pool } from '@syncfleet/db';
import { findJob, jobsOfSync, type AnyCatalogue, type EffectiveSchedule, type JobDefinition, type Schedule } from '@syncfleet/jobs';
import { assertValidPayload, bullPrefix, fleetKeys, jobOptionsFor } from '@syncfleet/runtime';
import { DryRunNotSupportedError, UnknownJobError, UnknownQueueError, UnknownSyncError } from './errors.ts';

export interface JobInfo {
  name: string;
  sync: string;
  queue: string;
  kind: JobDefinition['kind'];
  description: string;
  schedule: Schedule | null;
  scheduleSource: string | null;
  overlap: JobDefinition['overlap'];
  attempts: number;
  enabled: boolean;
  dryRun: boolean;
}

export interface ScheduleInfo {
  job: string;
  queue: string;
  pattern: string | null;
  tz: string | null;
  every: number | null;
  next: Date | null;
}

export interface EnqueueResult {
  jobId: string;
  queue: string;
  /** A job of that name was already waiting: this is its id, nothing new was queued. */
  deduplicated: boolean;
}

export interface RunRow {
  runId: string;
  jobName: string;
  sync: string;
  kind: string;
  queue: string;
  jobId: string;
  attempt: number;
  status: string;
  final: boolean;
  dueAt: Date | null;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  counts: Record<string, number>;
  windowStart: Date | null;
  windowEnd: Date | null;
  reason: string | null;
  error: string | null;
  workerId: string;
  dryRun: boolean;
}

export interface SyncStatus {
  sync: string;
  queues: string[];
  paused: boolean;
  lastRun: RunRow | null;
  lastSuccess: RunRow | null;
  /** Whatever the sync stored as its watermark (sync_state key 'watermark'), if any. */
  watermark: unknown;
  /** Seconds since the last success (null when it never succeeded). */
  lagSeconds: number | null;
  /** The lag above which the scheduler alerts (its `<SYNC>_LAG_ALERT_MS`), null when none or no scheduler started yet. */
  lagThresholdSeconds: number | null;
  /** The lag is over its threshold. */
  lagging: boolean;
  pending: number;
  active: number;
  failed: number;
}

export interface JobOutcome {
  /** BullMQ's state (completed, failed, waiting, active, delayed...) or 'unknown' when the job is gone. */
  state: string;
  returnvalue: unknown;
  failedReason: string | null;
  attemptsMade: number;
}

export interface FleetControlOptions {
  catalogue: AnyCatalogue;
  fleetPrefix: string;
  /** Shared; not closed by `close()`. */
  redis: Redis;
  /** Shared; not closed by `close()`. */
  pool: Pool;
  /** Effective schedules (env overrides applied); default: the catalogue's, all enabled. */
  schedules?: EffectiveSchedule[];
}

const runColumns = `run_id AS "runId", job_name AS "jobName", sync, kind, queue, job_id AS "jobId", attempt, status, final,
  due_at AS "dueAt", started_at AS "startedAt", finished_at AS "finishedAt", duration_ms AS "durationMs", counts,
  window_start AS "windowStart", window_end AS "windowEnd", reason, error, worker_id AS "workerId", dry_run AS "dryRun"`;

export type FleetControl = ReturnType<typeof createFleetControl>;

export function createFleetControl(options: FleetControlOptions) {
  const { catalogue, fleetPrefix, redis, pool } = options;
  const queues = new Map<string, Queue>();
  const jobNames = Object.keys(catalogue.jobs).sort();
  const queueNames = Object.keys(catalogue.queues).sort();
  const syncNames = [...new Set(Object.values(catalogue.queues).map((q) => q.sync))].sort();
  const schedules =
    options.schedules ??
    Object.values(catalogue.jobs)
      .filter((job) => job.schedule)
      .map((job) => ({ job: job.name, queue: job.queue, enabled: true, schedule: job.schedule!, source: 'catalogue' }));

  const jobDef = (name: string): JobDefinition => {
    const job = findJob(catalogue, name);
    if (!job) throw new UnknownJobError(name, jobNames);
    return job;
  };
  const queue = (name: string): Queue => {
    if (!Object.hasOwn(catalogue.queues, name)) throw new UnknownQueueError(name, queueNames);
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: redis, prefix: bullPrefix(fleetPrefix) });
      queues.set(name, q);
    }
    return q;
  };

  /**
   * What `enqueue` would queue, without touching Redis: throws UnknownJobError, DryRunNotSupportedError
   * or InvalidPayloadError. `dryRun` adds `dryRun: true` to an object payload (or to an absent one).
   */
  const validate = (name: string, payload: unknown, opts: { dryRun?: boolean } = {}): { job: JobDefinition; data: unknown } => {
    const job = jobDef(name);
    if (opts.dryRun && !job.dryRun) throw new DryRunNotSupportedError(name);
    // A non-object payload stays as it is and fails validation (spreading it would hide it).
    const spreadable = payload === undefined || (typeof payload === 'object' && payload !== null && !Array.isArray(payload));
    const data = opts.dryRun && spreadable ? { ...payload, dryRun: true } : payload;
    assertValidPayload(job, data);
    return { job, data };
  };

  return {
    catalogue,
    fleetPrefix,
    jobNames,
    queueNames,
    syncNames,
    queue,

    listJobs(): JobInfo[] {
      return jobNames.map((name) => {
        const job = catalogue.jobs[name]!;
        const effective = schedules.find((s) => s.job === name);
        return {
          name,
          sync: job.sync,
          queue: job.queue,
          kind: job.kind,
          description: job.description,
          schedule: effective?.schedule ?? null,
          scheduleSource: effective?.source ?? null,
          overlap: job.overlap,
          attempts: job.attempts,
          enabled: effective ? effective.enabled : true,
          dryRun: job.dryRun,
        };
      });
    },

    /** The live BullMQ job schedulers of every queue of the fleet, with their next run. */
    async listSchedules(): Promise<ScheduleInfo[]> {
      const all: ScheduleInfo[] = [];
      for (const name of queueNames) {
        const found: JobSchedulerJson[] = await queue(name).getJobSchedulers(0, -1, true);
        for (const s of found) {
          all.push({
            job: s.name,
            queue: name,
            pattern: s.pattern ?? null,
            tz: s.tz ?? null,
            every: s.every ? Number(s.every) : null,
            next: s.next ? new Date(s.next) : null,
          });
        }
      }
      return all.sort((a, b) => a.job.localeCompare(b.job));
    },

    validate,

    /**
     * Validates the payload (throws InvalidPayloadError, nothing queued), then queues the job. A
     * second trigger while one of the same name is still waiting returns the waiting one.
     */
    async enqueue(name: string, payload: unknown, opts: { dryRun?: boolean } = {}): Promise<EnqueueResult> {
      const { job, data } = validate(name, payload, opts);
      // Deduplicated while it waits: the worker releases the id when the run starts.
      const deduplicationId = `trigger:${name}`;
      const q = queue(job.queue);
      const waiting = await q.getDeduplicationJobId(deduplicationId);
      const added = await q.add(name, data, { ...jobOptionsFor(job), deduplication: { id: deduplicationId } });
      const deduplicated = waiting !== null && waiting === added.id;
      return { jobId: added.id!, queue: job.queue, deduplicated };
    },

    /** Removes the job's waiting, delayed and failed entries; returns how many. */
    async clean(name: string): Promise<number> {
      const job = jobDef(name);
      const q = queue(job.queue);
      let removed = 0;
      for (const state of ['waiting', 'delayed', 'failed', 'prioritized'] as const) {
        let start = 0;
        for (;;) {
          const batch: Job[] = await q.getJobs([state], start, start + 999);
          if (batch.length === 0) break;
          for (const entry of batch) {
            if (entry.name !== name) continue;
            try {
              await entry.remove();
              removed += 1;
            } catch {
              // it moved on (e.g. became active) since it was listed: not removed
            }
          }
          start += 1000;
        }
      }
      return removed;
    },

    async pause(name: string): Promise<void> {
      await queue(name).pause();
    },
    async resume(name: string): Promise<void> {
      await queue(name).resume();
    },
    async isPaused(name: string): Promise<boolean> {
      return queue(name).isPaused();
    },

    /** Puts every failed job of the queue back to wait; returns how many. */
    async retryFailed(name: string): Promise<number> {
      const q = queue(name);
      const failed = await q.getFailedCount();
      if (failed > 0) await q.retryJobs({ state: 'failed', count: 1000 });
      return failed;
    },

    async runs(filter: { job?: string; sync?: string; limit?: number } = {}): Promise<RunRow[]> {
      if (filter.job !== undefined) jobDef(filter.job);
      if (filter.sync !== undefined && !syncNames.includes(filter.sync)) throw new UnknownSyncError(filter.sync, syncNames);
      const limit = Math.min(Math.max(filter.limit ?? 20, 1), 1000);
      const { rows } = await pool.query<RunRow>(
        `SELECT ${runColumns} FROM run_ledger
         WHERE fleet = $1 AND ($2::text IS NULL OR job_name = $2) AND ($3::text IS NULL OR sync = $3)
         ORDER BY started_at DESC LIMIT $4`,
        [fleetPrefix, filter.job ?? null, filter.sync ?? null, limit],
      );
      return rows;
    },

    async syncStatus(only?: string): Promise<SyncStatus[]> {
      if (only !== undefined && !syncNames.includes(only)) throw new UnknownSyncError(only, syncNames);
      const result: SyncStatus[] = [];
      const thresholds = await redis.hgetall(fleetKeys(fleetPrefix).lagThresholds);
      for (const sync of only ? [only] : syncNames) {
        const syncQueues = queueNames.filter((q) => catalogue.queues[q]!.sync === sync);
        const [lastRun] = (
          await pool.query<RunRow>(
            `SELECT ${runColumns} FROM run_ledger WHERE fleet = $1 AND sync = $2 AND kind <> 'part' AND status <> 'running' ORDER BY started_at DESC LIMIT 1`,
            [fleetPrefix, sync],
          )
        ).rows;
        const [lastSuccess] = (
          await pool.query<RunRow>(
            `SELECT ${runColumns} FROM run_ledger WHERE fleet = $1 AND sync = $2 AND kind <> 'part' AND status = 'succeeded' ORDER BY finished_at DESC LIMIT 1`,
            [fleetPrefix, sync],
          )
        ).rows;
        const watermark = await createSyncState(pool, fleetPrefix, sync).get('watermark');
        let pending = 0;
        let active = 0;
        let failed = 0;
        let paused = false;
        for (const name of syncQueues) {
          const counts = await queue(name).getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'failed');
          pending += (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
          active += counts.active ?? 0;
          failed += counts.failed ?? 0;
          paused ||= await queue(name).isPaused();
        }
        const lagSeconds = lastSuccess?.finishedAt ? Math.round((Date.now() - lastSuccess.finishedAt.getTime()) / 1000) : null;
        const thresholdMs = Number(thresholds[sync] ?? 0);
        const lagThresholdSeconds = thresholdMs > 0 ? Math.round(thresholdMs / 1000) : null;
        result.push({
          sync,
          queues: syncQueues,
          paused,
          lastRun: lastRun ?? null,
          lastSuccess: lastSuccess ?? null,
          watermark: watermark ?? null,
          lagSeconds,
          lagThresholdSeconds,
          lagging: lagSeconds !== null && lagThresholdSeconds !== null && lagSeconds > lagThresholdSeconds,
          pending,
          active,
          failed,
        });
      }
      return result;
    },

    /** Where a job is now; `waitFor` follows it to its end. */
    async jobOutcome(queueName: string, jobId: string): Promise<JobOutcome> {
      const q = queue(queueName);
      // State first, then the job: read the other way round, a job finishing in between would show
      // as completed/failed with the return value and attempts of before it finished.
      const state = await q.getJobState(jobId);
      const job = state === 'unknown' ? undefined : await q.getJob(jobId);
      if (!job) return { state: 'unknown', returnvalue: null, failedReason: null, attemptsMade: 0 };
      return { state, returnvalue: job.returnvalue ?? null, failedReason: job.failedReason ?? null, attemptsMade: job.attemptsMade };
    },

    async waitFor(queueName: string, jobId: string, timeoutMs: number, pollMs = 200): Promise<JobOutcome> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const outcome = await this.jobOutcome(queueName, jobId);
        if (outcome.state === 'completed' || outcome.state === 'failed' || outcome.state === 'unknown') return outcome;
        if (Date.now() > deadline) return outcome;
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },

    /** Queue depth by queue and state, for /metrics. */
    async queueDepths(): Promise<Array<{ queue: string; state: string; count: number }>> {
      const depths: Array<{ queue: string; state: string; count: number }> = [];
      for (const name of queueNames) {
        const counts = await queue(name).getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'failed', 'completed');
        for (const [state, count] of Object.entries(counts)) depths.push({ queue: name, state, count });
      }
      return depths;
    },

    jobsOfSync: (sync: string) => jobsOfSync(catalogue, sync),

    async close(): Promise<void> {
      await Promise.all([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
  };
}
