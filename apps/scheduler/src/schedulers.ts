// The fleet's BullMQ job schedulers, made to match the catalogue and its env overrides: one per
// enabled scheduled job (its id is the job's name), none for a job that is disabled, undeclared or
// moved to another queue. Safe to run from several scheduler replicas at once: an upsert is one
// atomic Redis script keyed by the job's name, and an unchanged scheduler is left alone.
import type { Queue, JobSchedulerJson } from 'bullmq';
import type { Redis } from 'ioredis';
import { findJob, type AnyCatalogue, type EffectiveSchedule, type JobDefinition, type Schedule } from '@syncfleet/jobs';
import type { Logger } from '@syncfleet/log';
import { assertValidPayload, bullPrefix, createFleetQueue, fleetKeys, jobOptionsFor } from '@syncfleet/runtime';

export interface SchedulerSyncOptions {
  catalogue: AnyCatalogue;
  fleetPrefix: string;
  schedules: readonly EffectiveSchedule[];
  /** A queue of the catalogue (the control plane's, shared). */
  queue: (name: string) => Queue;
  /** To find queues of this fleet that the catalogue no longer declares. */
  redis: Redis;
  log: Logger;
}

export interface SchedulerSyncResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: Array<{ queue: string; id: string }>;
}

/** What a scheduled run is queued with: no payload (the job's defaults), the catalogue's retries. */
const templateData = {};

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function describeSchedule(schedule: Schedule | { pattern?: string | null; tz?: string | null; every?: number | null }): string {
  if ('every' in schedule && schedule.every) return `every ${schedule.every} ms`;
  if ('pattern' in schedule && schedule.pattern) return `cron "${schedule.pattern}" (${schedule.tz ?? 'UTC'})`;
  return 'none';
}

function sameAsWanted(existing: JobSchedulerJson, job: JobDefinition, schedule: Schedule): boolean {
  const wanted = 'pattern' in schedule ? { pattern: schedule.pattern, tz: schedule.tz, every: null } : { pattern: null, tz: null, every: schedule.every };
  return (
    existing.name === job.name &&
    (existing.pattern ?? null) === wanted.pattern &&
    (existing.tz ?? null) === wanted.tz &&
    (existing.every !== undefined && existing.every !== null ? Number(existing.every) : null) === wanted.every &&
    canonical(existing.template?.opts ?? {}) === canonical(jobOptionsFor(job)) &&
    canonical(existing.template?.data ?? {}) === canonical(templateData)
  );
}

/** A scheduler fires only while its next job exists (a dashboard "clean" may have removed it). */
async function isArmed(queue: Queue, existing: JobSchedulerJson): Promise<boolean> {
  if (existing.next === undefined) return false;
  return (await queue.getJob(`repeat:${existing.key}:${existing.next}`)) !== undefined;
}

/**
 * BullMQ removes a scheduler's next job only while it is delayed; a tick that already came due and
 * waits for a worker would still run once. It goes too (unless a worker took it meanwhile).
 */
async function removePendingTick(queue: Queue, removed: JobSchedulerJson): Promise<void> {
  if (removed.next === undefined) return;
  const tick = await queue.getJob(`repeat:${removed.key}:${removed.next}`);
  if (!tick || !['waiting', 'prioritized', 'delayed'].includes(await tick.getState())) return;
  await tick.remove().catch(() => undefined); // it became active meanwhile: it runs once more
}

/**
 * Names of the queues that may hold this fleet's job schedulers, queues the catalogue dropped
 * included, from the fleet's registry of them; the declared queues join it before any scheduler is
 * written. A fleet without a registry yet (first boot, or schedulers written by an older version)
 * scans the keyspace once to build it. Names never leave the registry: a scheduler replica of an
 * older catalogue may still be writing to a queue this one dropped (rolling deploy).
 */
async function registeredQueues(redis: Redis, fleetPrefix: string, declared: readonly string[]): Promise<string[]> {
  const registry = fleetKeys(fleetPrefix).scheduledQueues;
  const known = (await redis.exists(registry)) === 1 ? await redis.smembers(registry) : await scanQueuesWithSchedulers(redis, fleetPrefix);
  const all = [...new Set([...known, ...declared])];
  if (all.length > 0) await redis.sadd(registry, ...all);
  return all;
}

/** Names of this fleet's queues that hold job schedulers, found by scanning the whole keyspace. */
async function scanQueuesWithSchedulers(redis: Redis, fleetPrefix: string): Promise<string[]> {
  const prefix = `${bullPrefix(fleetPrefix)}:`;
  const suffix = ':repeat';
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*${suffix}`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const name = key.slice(prefix.length, key.length - suffix.length);
      if (name !== '' && !name.includes(':')) found.add(name);
    }
  } while (cursor !== '0');
  return [...found];
}

/** Every enabled scheduled job must be runnable with the template's payload: refuse to boot otherwise. */
export function assertSchedulesValid(catalogue: AnyCatalogue, schedules: readonly EffectiveSchedule[]): void {
  const problems: string[] = [];
  for (const entry of schedules) {
    const job = findJob(catalogue, entry.job);
    if (!job) {
      problems.push(`schedule for unknown job ${entry.job}`);
      continue;
    }
    if (job.queue !== entry.queue) problems.push(`schedule of ${entry.job} names queue ${entry.queue}, the catalogue ${job.queue}`);
    if (!entry.enabled) continue;
    try {
      assertValidPayload(job, templateData);
    } catch (error) {
      problems.push(`${entry.job} is scheduled but its payload schema refuses an empty payload: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new Error(`cannot schedule the catalogue's jobs:\n  - ${problems.join('\n  - ')}`);
}

export async function syncJobSchedulers(options: SchedulerSyncOptions): Promise<SchedulerSyncResult> {
  const { catalogue, fleetPrefix, schedules, queue, redis, log } = options;
  assertSchedulesValid(catalogue, schedules);
  const result: SchedulerSyncResult = { created: [], updated: [], unchanged: [], removed: [] };
  const enabled = schedules.filter((entry) => entry.enabled);
  const declaredQueues = Object.keys(catalogue.queues);
  const queueNames = (await registeredQueues(redis, fleetPrefix, declaredQueues)).sort();

  for (const entry of enabled) {
    const job = findJob(catalogue, entry.job)!;
    const q = queue(job.queue);
    const existing = await q.getJobScheduler(job.name);
    if (existing && sameAsWanted(existing, job, entry.schedule) && (await isArmed(q, existing))) {
      result.unchanged.push(job.name);
      continue;
    }
    const repeat = 'pattern' in entry.schedule ? { pattern: entry.schedule.pattern, tz: entry.schedule.tz } : { every: entry.schedule.every };
    await q.upsertJobScheduler(job.name, repeat, { name: job.name, data: templateData, opts: jobOptionsFor(job) });
    (existing ? result.updated : result.created).push(job.name);
    log.info(
      {
        job: job.name,
        queue: job.queue,
        schedule: describeSchedule(entry.schedule),
        source: entry.source,
        ...(existing ? { previous: describeSchedule(existing) } : {}),
      },
      existing ? 'job scheduler updated' : 'job scheduler created',
    );
  }

  // Anything else in this fleet's queues goes: disabled, no longer declared, or declared on another queue.
  const wanted = new Set(enabled.map((entry) => `${entry.queue}\u0000${entry.job}`));
  for (const name of queueNames) {
    const declared = declaredQueues.includes(name);
    const q = declared ? queue(name) : createFleetQueue(redis, fleetPrefix, name);
    try {
      for (const existing of await q.getJobSchedulers(0, -1)) {
        if (wanted.has(`${name}\u0000${existing.key}`)) continue;
        if (await q.removeJobScheduler(existing.key)) {
          result.removed.push({ queue: name, id: existing.key });
          await removePendingTick(q, existing);
          const entry = schedules.find((s) => s.job === existing.key);
          const why = !findJob(catalogue, existing.key)
            ? 'no longer declared'
            : entry && !entry.enabled
              ? 'disabled'
              : entry
                ? 'declared on another queue'
                : 'no longer scheduled';
          log.info({ job: existing.key, queue: name, reason: why }, 'job scheduler removed');
        }
      }
    } finally {
      if (!declared) await q.close();
    }
  }
  return result;
}
