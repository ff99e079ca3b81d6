// The scheduler app as a real process (the way it runs in production): the job schedulers it leaves
// in Redis after a boot, a restart with other settings, two replicas booting at once, the initial
// syncs, the lag alerts, the chronology of a sync end to end with a sample worker process, and its
// config check.
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type Job, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, inject, test, vi } from 'vitest';
import { z } from 'zod';
import { parseEnv } from '@syncfleet/config';
import { createFleetControl, type FleetControl } from '@syncfleet/control';
import { catalogue, defineCatalogue, type AnyCatalogue } from '@syncfleet/jobs';
import { createLogger } from '@syncfleet/log';
import { bullPrefix, createFleetQueue, fleetKeys, writeRunRecords } from '@syncfleet/runtime';
import { createSampleWorkerApp } from '../apps/sample-worker/src/app.ts';
import { createSchedulerApp } from '../apps/scheduler/src/app.ts';
import { SchedulerEnv } from '../apps/scheduler/src/env.ts';
import { startTeamsEmulator } from './emulators/teams.ts';
import { syncJobSchedulers } from '../apps/scheduler/src/schedulers.ts';
import { deletePrefixKeys, randomSuffix, runRecord, testPrefix, useCleanups, useRedis, useTestDatabase, waitUntil, workerConfig, workerEnv } from './support/fixtures.ts';
import { assertNoLeftoverProcesses, startAppProcess, stopAppProcess, type AppProcess } from './support/processes.ts';

const schedulerEntry = 'apps/scheduler/src/main.ts';
const workerEntry = 'apps/sample-worker/src/main.ts';
// The fleet's catalogue as deployed: every sync's scheduled jobs, not only the sample's.
const fleetJobs = catalogue.jobs as AnyCatalogue['jobs'];
const scheduledJobs = Object.values(fleetJobs)
  .filter((job) => job.schedule)
  .map((job) => job.name)
  .sort();
/** The syncs that declare an initial job: START_INITIAL_SYNC queues each of them. */
const syncsWithInitial = Object.values(fleetJobs)
  .filter((job) => job.kind === 'initial')
  .map((job) => job.sync)
  .sort();

const db = useTestDatabase();
const redis = useRedis();
const cleanups = useCleanups(assertNoLeftoverProcesses);

const apiToken = `tok-${randomSuffix()}-${randomSuffix()}-${randomSuffix()}`;

function schedulerEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: db.url,
    FLEET_PREFIX: prefix,
    API_PORT: '0',
    API_HOST: '127.0.0.1',
    API_TOKEN: apiToken,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** A fleet of its own: a prefix, the control plane over it, its keys removed afterwards. */
function useFleet(): { prefix: string; control: FleetControl; queue: Queue } {
  const prefix = testPrefix();
  const control = createFleetControl({ catalogue, fleetPrefix: prefix, redis, pool: db.pool });
  const queue = control.queue('sample');
  cleanups.push(async () => {
    await control.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  });
  return { prefix, control, queue };
}

interface StartedScheduler {
  process: AppProcess;
  base: string;
}

async function startScheduler(prefix: string, extra: Record<string, string> = {}): Promise<StartedScheduler> {
  const child = startAppProcess(schedulerEntry, schedulerEnv(prefix, extra));
  cleanups.push(() => stopAppProcess(child, 'SIGKILL'));
  const started = await child.waitForLog((l) => l.msg === 'scheduler app started');
  return { process: child, base: `http://127.0.0.1:${String(started.port)}` };
}

async function stopScheduler(scheduler: StartedScheduler): Promise<void> {
  expect((await stopAppProcess(scheduler.process)).code).toBe(0);
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

/** Jobs of that name that are queued (not yet run). */
async function pendingJobs(queue: Queue, name: string): Promise<Job[]> {
  const jobs: Job[] = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
  return jobs.filter((job) => job.name === name);
}

interface LedgerRow {
  job_id: string;
  job_name: string;
  status: string;
  reason: string | null;
  started_at: Date;
  finished_at: Date | null;
}

async function ledger(prefix: string, jobName: string): Promise<LedgerRow[]> {
  const { rows } = await db.pool.query<LedgerRow>(
    `SELECT job_id, job_name, status, reason, started_at, finished_at FROM run_ledger
     WHERE fleet = $1 AND job_name = $2 AND status <> 'running' ORDER BY started_at`,
    [prefix, jobName],
  );
  return rows;
}

describe('job schedulers', () => {
  test('boot creates one job scheduler per scheduled job of the catalogue, each with its next run', async () => {
    const { prefix, control } = useFleet();
    const scheduler = await startScheduler(prefix);

    const schedules = await control.listSchedules();
    expect(schedules.map((s) => s.job)).toEqual(scheduledJobs);
    for (const schedule of schedules) {
      expect(schedule.queue).toBe((catalogue.jobs as AnyCatalogue['jobs'])[schedule.job]!.queue);
      expect(schedule.next).toBeInstanceOf(Date);
    }
    expect(schedules.find((s) => s.job === 'sample.heal')).toMatchObject({ pattern: '0 3 * * *', tz: 'UTC', every: null });
    expect(schedules.find((s) => s.job === 'sample.tick')).toMatchObject({ pattern: null, every: 60_000 });
    // the next heal is the next 03:00 UTC
    const nextHeal = schedules.find((s) => s.job === 'sample.heal')!.next!;
    expect(nextHeal.getUTCHours()).toBe(3);
    expect(nextHeal.getTime()).toBeGreaterThan(Date.now());
    expect(nextHeal.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    // the API shows the same
    const listed = await api(scheduler.base, 'GET', '/api/schedules');
    expect(listed.status).toBe(200);
    expect((listed.json as { schedules: Array<{ job: string }> }).schedules.map((s) => s.job)).toEqual(scheduledJobs);
    const jobs = (await api(scheduler.base, 'GET', '/api/jobs')).json as { jobs: Array<{ name: string; enabled: boolean; scheduleSource: string | null }> };
    expect(jobs.jobs.find((j) => j.name === 'sample.heal')).toMatchObject({ enabled: true, scheduleSource: 'catalogue' });
    await stopScheduler(scheduler);

    // a second boot with the same settings changes nothing
    const again = await startScheduler(prefix);
    const boot = await again.process.waitForLog((l) => l.msg === 'job schedulers in place');
    expect(boot).toMatchObject({ created: [], updated: [], removed: [] });
    expect((boot.unchanged as string[]).sort()).toEqual(scheduledJobs);
    expect((await control.listSchedules()).map((s) => [s.job, s.next?.getTime()])).toEqual(schedules.map((s) => [s.job, s.next?.getTime()]));
    await stopScheduler(again);
  });

  test('a changed cron in env replaces the old schedule after a restart, and its pending tick with it', async () => {
    const { prefix, control, queue } = useFleet();
    await stopScheduler(await startScheduler(prefix));
    const before = await pendingJobs(queue, 'sample.heal');
    expect(before).toHaveLength(1);

    const restarted = await startScheduler(prefix, { SAMPLE_HEAL_CRON: '*/5 * * * *', SAMPLE_HEAL_TZ: 'Europe/Paris' });
    const heal = (await control.listSchedules()).filter((s) => s.job === 'sample.heal');
    expect(heal).toHaveLength(1);
    expect(heal[0]).toMatchObject({ pattern: '*/5 * * * *', tz: 'Europe/Paris' });
    expect(heal[0]!.next!.getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    // the old 03:00 tick is gone: one pending heal, the new one
    const after = await pendingJobs(queue, 'sample.heal');
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(`repeat:sample.heal:${heal[0]!.next!.getTime()}`);
    expect(after[0]!.id).not.toBe(before[0]!.id);
    const jobs = (await api(restarted.base, 'GET', '/api/jobs')).json as { jobs: Array<{ name: string; schedule: unknown; scheduleSource: string }> };
    expect(jobs.jobs.find((j) => j.name === 'sample.heal')).toMatchObject({
      schedule: { pattern: '*/5 * * * *', tz: 'Europe/Paris' },
      scheduleSource: 'SAMPLE_HEAL_CRON',
    });
    await stopScheduler(restarted);
  });

  test('a disabled job loses its scheduler; a scheduler no longer declared (or on a dropped queue) is removed', async () => {
    const { prefix, control, queue } = useFleet();
    // left behind by an older catalogue: a job that is gone, and a queue that is gone
    await queue.upsertJobScheduler('sample.retired', { pattern: '0 4 * * *', tz: 'UTC' }, { name: 'sample.retired' });
    const dropped = createFleetQueue(redis, prefix, 'old-queue');
    cleanups.push(() => dropped.close());
    await dropped.upsertJobScheduler('old.job', { every: 3600_000 }, { name: 'old.job' });
    await stopScheduler(await startScheduler(prefix));
    expect((await control.listSchedules()).map((s) => s.job)).toEqual(scheduledJobs);
    expect(await dropped.getJobSchedulers()).toEqual([]);
    expect(await pendingJobs(queue, 'sample.retired')).toEqual([]);

    const restarted = await startScheduler(prefix, { SAMPLE_TICK_ENABLED: 'false' });
    const boot = await restarted.process.waitForLog((l) => l.msg === 'job schedulers in place');
    expect(boot).toMatchObject({ removed: ['sample/sample.tick'] });
    // only that one: every other sync keeps its schedulers
    expect((await control.listSchedules()).map((s) => s.job)).toEqual(scheduledJobs.filter((name) => name !== 'sample.tick'));
    // its tick that came due at boot (an interval fires at once) and waited for a worker went too
    expect(await pendingJobs(queue, 'sample.tick')).toEqual([]);
    const jobs = (await api(restarted.base, 'GET', '/api/jobs')).json as { jobs: Array<{ name: string; enabled: boolean }> };
    expect(jobs.jobs.find((j) => j.name === 'sample.tick')).toMatchObject({ enabled: false });
    await stopScheduler(restarted);
  });

  test('two scheduler processes started together leave exactly one scheduler, and one pending tick, per job', async () => {
    for (let round = 0; round < 3; round++) {
      const { prefix, control } = useFleet();
      const replicas = await Promise.all([startScheduler(prefix), startScheduler(prefix)]);
      const schedules = await control.listSchedules();
      expect(schedules.map((s) => s.job)).toEqual(scheduledJobs);
      for (const queueName of Object.keys(catalogue.queues)) {
        const onQueue = scheduledJobs.filter((name) => fleetJobs[name]!.queue === queueName);
        expect({ queueName, schedulers: await redis.zcard(`${bullPrefix(prefix)}:${queueName}:repeat`) }).toEqual({ queueName, schedulers: onQueue.length });
      }
      for (const name of scheduledJobs) {
        const pending = await pendingJobs(control.queue(fleetJobs[name]!.queue), name);
        expect(pending.map((j) => j.id)).toEqual([`repeat:${name}:${schedules.find((s) => s.job === name)!.next!.getTime()}`]);
      }
      await Promise.all(replicas.map(stopScheduler));
    }
  });
});

describe('job schedulers on dropped queues', () => {
  const job = { payload: z.object({}).strict(), overlap: 'skip', attempts: 1, backoff: { type: 'fixed', delay: 100 }, dryRun: false, kind: 'periodic', schedule: { every: 60_000 } } as const;
  const alpha = { alpha: { sync: 'alpha', singleton: true, concurrency: 1 } } as const;
  const withExtra = defineCatalogue(
    { ...alpha, extra: { sync: 'extra', singleton: true, concurrency: 1 } },
    { 'alpha.tick': { ...job, sync: 'alpha', queue: 'alpha', description: 'a' }, 'extra.tick': { ...job, sync: 'extra', queue: 'extra', description: 'e' } },
  );
  const withoutExtra = defineCatalogue(alpha, { 'alpha.tick': { ...job, sync: 'alpha', queue: 'alpha', description: 'a' } });
  const schedulesOf = (cat: AnyCatalogue) =>
    Object.values(cat.jobs).map((j) => ({ job: j.name, queue: j.queue, enabled: true, schedule: j.schedule!, source: 'catalogue' }));

  test("are found through the fleet's registry of queues: the keyspace is scanned at a fleet's first boot only", async () => {
    const prefix = testPrefix();
    const queues = new Map<string, Queue>();
    const queue = (name: string): Queue => queues.get(name) ?? queues.set(name, createFleetQueue(redis, prefix, name)).get(name)!;
    cleanups.push(async () => {
      for (const q of queues.values()) await q.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    });
    const scans = vi.spyOn(redis, 'scan');
    cleanups.push(async () => scans.mockRestore());
    const sync = (cat: AnyCatalogue) => syncJobSchedulers({ catalogue: cat, fleetPrefix: prefix, schedules: schedulesOf(cat), queue, redis, log: createLogger({ name: 'test', level: 'silent' }) });

    const first = await sync(withExtra);
    expect(first.created.sort()).toEqual(['alpha.tick', 'extra.tick']);
    expect(scans).toHaveBeenCalled(); // a new fleet: no registry yet
    expect((await redis.smembers(fleetKeys(prefix).scheduledQueues)).sort()).toEqual(['alpha', 'extra']);

    scans.mockClear();
    const second = await sync(withoutExtra);
    expect(second).toMatchObject({ unchanged: ['alpha.tick'], removed: [{ queue: 'extra', id: 'extra.tick' }] });
    expect(await queue('extra').getJobSchedulers()).toEqual([]);
    expect(scans).not.toHaveBeenCalled();
    // the dropped queue stays registered: an older replica may still write to it during a rolling deploy
    expect((await redis.smembers(fleetKeys(prefix).scheduledQueues)).sort()).toEqual(['alpha', 'extra']);
    expect((await sync(withoutExtra)).removed).toEqual([]);
  });
});

describe('initial sync', () => {
  test('START_INITIAL_SYNC=true queues sample.initial once; never while one is pending, never after one succeeded', async () => {
    const { prefix, queue } = useFleet();
    const withInitial = { START_INITIAL_SYNC: 'true', SAMPLE_TICK_ENABLED: 'false' };
    const first = await startScheduler(prefix, withInitial);
    expect(await first.process.waitForLog((l) => l.msg === 'initial sync of sample: enqueued')).toMatchObject({ job: 'sample.initial' });
    await stopScheduler(first);
    const queued = await pendingJobs(queue, 'sample.initial');
    expect(queued).toHaveLength(1);

    // still waiting: a second boot leaves it alone
    const second = await startScheduler(prefix, withInitial);
    expect(await second.process.waitForLog((l) => l.msg === 'initial sync of sample: pending')).toMatchObject({ jobId: queued[0]!.id });
    await stopScheduler(second);
    expect((await pendingJobs(queue, 'sample.initial')).map((j) => j.id)).toEqual([queued[0]!.id]);

    // a worker runs it
    const worker = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent' }));
    await worker.start();
    try {
      await waitUntil('the initial run to succeed in the ledger', async () => {
        await worker.flushLedger();
        return (await ledger(prefix, 'sample.initial')).some((r) => r.status === 'succeeded');
      });
    } finally {
      await worker.stop();
    }
    // Even with Redis's marker gone, the ledger's success keeps the initial job from coming back.
    await redis.del(fleetKeys(prefix).initialSucceeded('sample'));
    const third = await startScheduler(prefix, withInitial);
    await third.process.waitForLog((l) => l.msg === 'initial sync of sample: succeeded-before');
    await stopScheduler(third);
    expect(await pendingJobs(queue, 'sample.initial')).toEqual([]);
  });

  test('an initial job retrying with backoff (delayed) or running counts as pending', async () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    for (const state of ['delayed', 'active'] as const) {
      const { prefix, queue } = useFleet();
      // as left by an attempt that failed and waits for its retry, or one a worker is running now
      const existing = await queue.add('sample.initial', {}, { delay: 60_000 });
      if (state === 'active') {
        await existing.promote();
        // taken as a worker takes it (moved to active), without running anything
        const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
        const grabber = new Worker('sample', null, { connection, prefix: bullPrefix(prefix), autorun: false });
        cleanups.push(async () => {
          await grabber.close();
          await connection.quit();
        });
        await grabber.getNextJob(randomSuffix());
        expect(await (await queue.getJob(existing.id!))!.getState()).toBe('active');
      }
      const app = createSchedulerApp(parseEnv(SchedulerEnv, schedulerEnv(prefix, { START_INITIAL_SYNC: 'true' })), { logger });
      await app.start();
      await app.stop();
      const initialSyncs = app.boot?.initialSyncs ?? [];
      expect(initialSyncs.filter((outcome) => outcome.sync === 'sample')).toEqual([{ sync: 'sample', job: 'sample.initial', action: 'pending', jobId: existing.id, state }]);
      // the other syncs' initial jobs are queued as usual, one each
      expect(initialSyncs.map((outcome) => outcome.sync).sort()).toEqual(syncsWithInitial);
      expect(initialSyncs.filter((outcome) => outcome.sync !== 'sample').map((outcome) => outcome.action)).toEqual(
        syncsWithInitial.filter((sync) => sync !== 'sample').map(() => 'enqueued'),
      );
      expect((await pendingJobs(queue, 'sample.initial')).map((j) => j.id)).toEqual([existing.id]);
    }
  });
});

describe('lag alerts', () => {
  test('a sync without a success for longer than its threshold: one card, whatever the number of scheduler replicas; one when it caught up', async () => {
    const { prefix, control } = useFleet();
    const teams = await startTeamsEmulator();
    cleanups.push(() => teams.close());
    teams.failNext(3, 503); // the first card is refused (its attempt and both retries): a later check posts it
    const now = Date.now();
    await writeRunRecords(db.pool, [
      runRecord(prefix, { jobName: 'sample.tick', startedAt: now - 20 * 60_000 }),
      runRecord(prefix, { jobName: 'sample.tick', startedAt: now - 60_000, status: 'skipped', reason: 'skipped: sample.echo is running' }),
    ]);
    const env = schedulerEnv(prefix, { TEAMS_WEBHOOK_URL: teams.url, SAMPLE_LAG_ALERT_MS: '10m', LAG_CHECK_INTERVAL_MS: '100ms' });
    const logger = createLogger({ name: 'test', level: 'silent' });
    const replicas = [createSchedulerApp(parseEnv(SchedulerEnv, env), { logger }), createSchedulerApp(parseEnv(SchedulerEnv, env), { logger })];
    for (const app of replicas) {
      cleanups.push(() => app.stop());
      await app.start();
    }
    const card = (i: number) => teams.received[i]?.body as { title: string; sections: Array<{ facts: Array<{ name: string; value: string }>; text?: string }> } | undefined;
    await waitUntil('the lag card', () => card(0));
    expect(teams.requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(card(0)!.title).toMatch(/^sample is lagging: no successful run for 20m( \d+s)?$/);
    const facts = Object.fromEntries(card(0)!.sections[0]!.facts.map((f) => [f.name, f.value]));
    expect(facts).toMatchObject({ Sync: 'sample', Paused: 'no' });
    expect(facts['Last run']).toMatch(/^sample\.tick skipped at /);
    expect(card(0)!.sections[0]!.text).toBe('skipped: sample.echo is running');
    // fleet status knows the threshold the scheduler started with
    expect(await redis.hget(fleetKeys(prefix).lagThresholds, 'sample')).toBe('600000');
    expect((await control.syncStatus('sample'))[0]).toMatchObject({ lagThresholdSeconds: 600, lagging: true });
    await sleep(600); // a dozen checks by two replicas: the alert is reported once
    expect(teams.received).toHaveLength(1);

    await writeRunRecords(db.pool, [runRecord(prefix, { jobName: 'sample.tick', startedAt: Date.now() - 1000 })]);
    await waitUntil('the caught-up card', () => card(1));
    expect(card(1)!.title).toBe('sample caught up');
    expect((await control.syncStatus('sample'))[0]).toMatchObject({ lagThresholdSeconds: 600, lagging: false });
    await sleep(400);
    expect(teams.received).toHaveLength(2);
    // the other syncs never succeeded here: nothing to measure a lag from, no card
  });
});

describe('chronology, end to end', () => {
  test('healing is refused and recorded until the initial job succeeded; a failed initial job is triggered again through the API', async () => {
    const { prefix } = useFleet();
    const worker = startAppProcess(workerEntry, workerEnv(db.url, prefix));
    cleanups.push(() => stopAppProcess(worker, 'SIGKILL'));
    await worker.waitForLog((l) => l.msg === 'worker app started');
    const scheduler = await startScheduler(prefix, { SAMPLE_HEAL_EVERY: '1s', SAMPLE_TICK_ENABLED: 'false' });

    // the scheduler's heal ticks reach the worker, which refuses them and says why
    const refused = await waitUntil('a refused heal', async () => (await ledger(prefix, 'sample.heal')).find((r) => r.status === 'refused'));
    expect(refused.reason).toMatch(/waits until sample\.initial has succeeded once/);

    // the initial job fails for good: healing stays refused
    const failing = await api(scheduler.base, 'POST', '/api/jobs/sample.initial', { failWith: 'permanent' });
    expect(failing).toMatchObject({ status: 201, json: { queue: 'sample', deduplicated: false } });
    const failedId = (failing.json as { jobId: string }).jobId;
    const failedRun = await waitUntil('the failed initial run', async () =>
      (await ledger(prefix, 'sample.initial')).find((r) => r.job_id === failedId && r.status === 'failed'),
    );
    await waitUntil('a heal refused after the failure', async () =>
      (await ledger(prefix, 'sample.heal')).some((r) => r.status === 'refused' && r.started_at > failedRun.finished_at!),
    );
    const status = (await api(scheduler.base, 'GET', '/api/syncs/sample')).json as { lastSuccess: unknown; failed: number };
    expect(status.lastSuccess).toBeNull();
    expect(status.failed).toBe(1);

    // triggered again by hand, it succeeds, and the next heal runs
    const retry = await api(scheduler.base, 'POST', '/api/jobs/sample.initial', {});
    expect(retry).toMatchObject({ status: 201, json: { deduplicated: false } });
    const retryId = (retry.json as { jobId: string }).jobId;
    expect(retryId).not.toBe(failedId);
    const succeeded = await waitUntil('the initial run to succeed', async () =>
      (await ledger(prefix, 'sample.initial')).find((r) => r.job_id === retryId && r.status === 'succeeded'),
    );
    const healed = await waitUntil('a heal that ran', async () =>
      (await ledger(prefix, 'sample.heal')).find((r) => r.status === 'succeeded' && r.started_at >= succeeded.finished_at!),
    );
    expect(healed.reason).toBeNull();
    // nothing refused once the initial job had succeeded
    const late = (await ledger(prefix, 'sample.heal')).filter((r) => r.started_at > succeeded.finished_at!);
    expect(late.every((r) => r.status !== 'refused')).toBe(true);

    await stopScheduler(scheduler);
    expect((await stopAppProcess(worker)).code).toBe(0);
  });
});

describe('configuration', () => {
  test('invalid config exits non-zero listing every problem, whatever part of the config it is in', async () => {
    const scheduler = startAppProcess(schedulerEntry, {
      REDIS_URL: inject('redisUrl'),
      DATABASE_URL: db.url,
      SAMPLE_HEAL_CRON: '0 3 * *',
      API_PORT: 'eighty',
    });
    const { code } = await scheduler.exited;
    expect(code).not.toBe(0);
    const output = scheduler.output();
    expect(output).toMatch(/3 problems/);
    expect(output).toMatch(/SAMPLE_HEAL_CRON: must be a cron pattern/);
    expect(output).toMatch(/API_PORT: must be a port number/);
    expect(output).toMatch(/API_TOKEN: set API_TOKEN or AUTH_DISABLED=true/);
  });
});
