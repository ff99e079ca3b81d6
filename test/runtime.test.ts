// The worker kit against real Redis and Postgres, in-process: success, payload rejection, the
// overlap policies, and the boot check of the handler map.
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { describe, expect, inject, test } from 'vitest';
import { z } from 'zod';
import { catalogue, defineCatalogue } from '@syncfleet/jobs';
import { createLogger } from '@syncfleet/log';
import {
  bullPrefix,
  createFleetQueue,
  createWorkerApp,
  enqueueJob,
  fleetKeys,
  InvalidPayloadError,
  jobOptionsFor,
  type RunOutcome,
  type WorkerApp,
} from '@syncfleet/runtime';
import { createSampleWorkerApp } from '../apps/sample-worker/src/app.ts';
import { startTeamsEmulator, type TeamsEmulator } from './emulators/teams.ts';
import { deletePrefixKeys, testPrefix, useCleanups, useRedis, useTestDatabase, waitUntil, workerConfig } from './support/fixtures.ts';

const db = useTestDatabase();
const silent = createLogger({ name: 'test', level: 'silent' });
const redis = useRedis();
const cleanups = useCleanups();

interface LedgerRow {
  run_id: string;
  job_name: string;
  job_id: string;
  status: string;
  final: boolean;
  attempt: number;
  due_at: Date | null;
  started_at: Date;
  finished_at: Date | null;
  counts: Record<string, number>;
  reason: string | null;
  error: string | null;
}

async function ledger(fleet: string, jobName: string): Promise<LedgerRow[]> {
  const { rows } = await db.pool.query<LedgerRow>('SELECT * FROM run_ledger WHERE fleet = $1 AND job_name = $2 ORDER BY started_at', [
    fleet,
    jobName,
  ]);
  return rows;
}

function track(app: WorkerApp, prefix: string, queue?: Queue): void {
  cleanups.push(async () => {
    await app.stop();
    await queue?.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  });
}

describe('sample job through a worker app', () => {
  test('is processed and recorded in the ledger as succeeded, with its counts', async () => {
    const prefix = testPrefix();
    const app = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent' }));
    const queue = createFleetQueue(redis, prefix, 'sample');
    track(app, prefix, queue);
    await app.start();
    const job = await enqueueJob(queue, catalogue.jobs['sample.echo'], { records: 7, note: 'hello' });
    const rows = await waitUntil('a succeeded ledger row', async () => {
      await app.flushLedger();
      const found = (await ledger(prefix, 'sample.echo')).filter((r) => r.job_id === job.id);
      return found.some((r) => r.status === 'succeeded') ? found : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'succeeded', attempt: 1, counts: { records: 7, written: 7 }, final: false });
    expect(rows[0]!.finished_at!.getTime()).toBeGreaterThanOrEqual(rows[0]!.started_at.getTime());
    const finished = await queue.getJob(job.id!);
    expect(await finished?.getState()).toBe('completed');
    expect(finished?.returnvalue).toMatchObject({ status: 'succeeded', counts: { records: 7 }, result: { note: 'hello' } });

    // what it did shows on /metrics; /healthz answers while it runs
    const base = `http://127.0.0.1:${app.healthPort}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, queue: 'sample', state: 'running' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/syncfleet_job_runs_total\{[^}]*job="sample\.echo"[^}]*status="succeeded"[^}]*\} 1/);
    expect(metrics).toMatch(/syncfleet_job_duration_seconds_count\{[^}]*job="sample\.echo"[^}]*\} 1/);
    expect(metrics).toMatch(/syncfleet_records_processed_total\{[^}]*job="sample\.echo",count="records"[^}]*\} 7/);
    await app.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  test('an invalid payload is rejected before enqueue and nothing is queued', async () => {
    const prefix = testPrefix();
    const queue = createFleetQueue(redis, prefix, 'sample');
    cleanups.push(async () => {
      await queue.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    });
    await expect(enqueueJob(queue, catalogue.jobs['sample.echo'], { sleepMs: 'soon' })).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(enqueueJob(queue, catalogue.jobs['sample.echo'], { unknownField: 1 })).rejects.toThrow(/unknownField|Unrecognized/);
    expect(await queue.count()).toBe(0);
  });

  test('a bad payload that reached the queue fails at once, without retries, and is recorded', async () => {
    const prefix = testPrefix();
    const app = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent' }));
    const queue = createFleetQueue(redis, prefix, 'sample');
    track(app, prefix, queue);
    await app.start();
    // As if queued by older code: bypasses the producer's validation.
    const job = await queue.add('sample.echo', { sleepMs: 'soon' }, { ...jobOptionsFor(catalogue.jobs['sample.echo']), attempts: 5 });
    await waitUntil('the job to fail', async () => (await queue.getJob(job.id!))?.failedReason);
    const failed = (await queue.getJob(job.id!))!;
    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toMatch(/invalid payload/);
    const rows = await waitUntil('the failed ledger row', async () => {
      await app.flushLedger();
      const found = (await ledger(prefix, 'sample.echo')).filter((r) => r.job_id === job.id);
      return found.length ? found : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'failed', final: true });
    expect(rows[0]!.error).toMatch(/sleepMs/);
  });

  test('a transient failure is retried with the catalogue backoff, then succeeds', async () => {
    const prefix = testPrefix();
    const app = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent' }));
    const queue = createFleetQueue(redis, prefix, 'sample');
    track(app, prefix, queue);
    await app.start();
    const job = await enqueueJob(queue, catalogue.jobs['sample.echo'], { failWith: 'transient', failAttempts: 2 });
    const rows = await waitUntil('three runs', async () => {
      await app.flushLedger();
      const found = (await ledger(prefix, 'sample.echo')).filter((r) => r.job_id === job.id);
      return found.length === 3 && found.every((r) => r.status !== 'running') ? found : undefined;
    });
    expect(rows.map((r) => [r.attempt, r.status, r.final])).toEqual([
      [1, 'failed', false],
      [2, 'failed', false],
      [3, 'succeeded', false],
    ]);
    // exponential backoff from 200 ms: the second retry waited about twice as long as the first
    const gap1 = rows[1]!.started_at.getTime() - rows[0]!.finished_at!.getTime();
    const gap2 = rows[2]!.started_at.getTime() - rows[1]!.finished_at!.getTime();
    expect(gap1).toBeGreaterThanOrEqual(150);
    expect(gap2).toBeGreaterThanOrEqual(350);
  });
});

describe('failure cards', () => {
  const title = (teams: TeamsEmulator, i: number): string => (teams.received[i]?.body as { title: string }).title;
  const facts = (teams: TeamsEmulator, i: number): Record<string, string> =>
    Object.fromEntries((teams.received[i]?.body as { sections: Array<{ facts: Array<{ name: string; value: string }> }> }).sections[0]!.facts.map((f) => [f.name, f.value]));

  /** A sample worker posting to a Teams emulator; `run` enqueues sample.echo and waits for its end. */
  async function setUp(extra: Record<string, string> = {}) {
    const teams = await startTeamsEmulator();
    const prefix = testPrefix();
    const app = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent', TEAMS_WEBHOOK_URL: teams.url, ...extra }));
    const queue = createFleetQueue(redis, prefix, 'sample');
    track(app, prefix, queue);
    cleanups.push(() => teams.close());
    await app.start();
    const alertKey = fleetKeys(prefix).alert('job-failing:sample.echo');
    const run = async (payload: Record<string, unknown>): Promise<void> => {
      const job = await enqueueJob(queue, catalogue.jobs['sample.echo'], payload);
      await waitUntil('the run to end', async () => ['completed', 'failed'].includes(await queue.getJobState(job.id!)));
    };
    /** Failed runs counted by the open alert (the worker counts them before it decides on a card). */
    const failedRuns = async (): Promise<number> => Number(await redis.hget(alertKey, 'count'));
    return { teams, app, run, failedRuns, alertKey };
  }

  test('a job that keeps failing posts one card; its first success posts one recovery card; a new failure a new card', async () => {
    const { teams, run, failedRuns, alertKey } = await setUp();
    for (let i = 1; i <= 3; i++) {
      await run({ failWith: 'permanent' });
      await waitUntil(`failed run ${i} counted`, async () => (await failedRuns()) === i);
    }
    await waitUntil('the first card', () => teams.received.length >= 1);
    await sleep(300); // no card for the second and third failures
    expect(teams.received).toHaveLength(1);
    expect(title(teams, 0)).toBe('sample.echo failed');

    await run({});
    await waitUntil('the recovery card', () => teams.received.length >= 2);
    expect(title(teams, 1)).toBe('sample.echo recovered after 3 failed runs');
    expect(facts(teams, 1)).toMatchObject({ Job: 'sample.echo', 'Failed runs': '3' });
    expect(new Date(facts(teams, 1)['Failing since']!).getTime()).toBeLessThanOrEqual(Date.now());
    expect(await redis.exists(alertKey)).toBe(0);

    // a second success says nothing more; the next failure is a new alert, reported at once
    await run({});
    await run({ failWith: 'permanent' });
    await waitUntil('the next failure card', () => teams.received.length >= 3);
    expect(title(teams, 2)).toBe('sample.echo failed');
    expect(teams.received).toHaveLength(3);
  });

  test('a card Teams did not take is posted by the next failed run, not a repeat interval later', async () => {
    const { teams, run, alertKey } = await setUp();
    teams.failNext(3, 503); // the first attempt and both retries of the notifier
    await run({ failWith: 'permanent' });
    await waitUntil('the card given up', async () => teams.requests.length >= 3 && (await redis.hget(alertKey, 'card')) === null);
    expect(teams.received).toHaveLength(0);
    await run({ failWith: 'permanent' });
    await waitUntil('the card', () => teams.received.length >= 1);
    expect(title(teams, 0)).toBe('sample.echo still failing (2 failed runs)');
  });

  test('TEAMS_ALERT_REPEAT_MS=0: a card for every failed run, counting the runs that failed in a row', async () => {
    const { teams, run } = await setUp({ TEAMS_ALERT_REPEAT_MS: '0' });
    await run({ failWith: 'permanent' });
    await waitUntil('the first card', () => teams.received.length >= 1);
    await run({ failWith: 'permanent' });
    await waitUntil('the second card', () => teams.received.length >= 2);
    expect(title(teams, 0)).toBe('sample.echo failed');
    expect(title(teams, 1)).toBe('sample.echo still failing (2 failed runs)');
    expect(facts(teams, 1)).toMatchObject({ 'Failed runs in a row': '2' });
    expect(facts(teams, 1)['Failing since']).toBe(new Date(Date.parse(facts(teams, 1)['Failing since']!)).toISOString());
  });
});

describe('boot check', () => {
  test('a worker whose handler map misses a job of its queue refuses to start', () => {
    const config = workerConfig(db.url, testPrefix());
    expect(() =>
      createWorkerApp({
        appName: 'broken',
        catalogue,
        queue: 'sample',
        config,
        logger: silent,
        // @ts-expect-error -- a missing handler does not compile
        handlers: { 'sample.initial': async () => undefined, 'sample.tick': async () => undefined, 'sample.echo': async () => undefined },
      }),
    ).toThrow(/sample\.heal of queue sample has no handler/);
  });
});

describe('overlap policy', () => {
  const Empty = z.object({}).strict();
  function overlapCatalogue(overlap: 'skip' | 'bufferOne', attempts = 1) {
    return defineCatalogue(
      { ovl: { sync: 'ovl', singleton: true, concurrency: 1 } },
      {
        'ovl.tick': {
          sync: 'ovl',
          queue: 'ovl',
          kind: 'periodic',
          description: 'ticks every second; the first run lasts 2.5 s',
          payload: Empty,
          schedule: { every: 1000 },
          overlap,
          attempts,
          backoff: { type: 'fixed', delay: 100 },
          dryRun: false,
        },
      },
    );
  }

  async function runSchedule(overlap: 'skip' | 'bufferOne'): Promise<LedgerRow[]> {
    const prefix = testPrefix();
    const cat = overlapCatalogue(overlap);
    let runs = 0;
    const app = createWorkerApp({
      appName: 'ovl',
      catalogue: cat,
      queue: 'ovl',
      config: workerConfig(db.url, prefix),
      logger: silent,
      handlers: {
        'ovl.tick': async () => {
          runs += 1;
          if (runs === 1) await sleep(2500);
          return { counts: { run: runs } };
        },
      },
    });
    const queue = new Queue('ovl', { connection: redis, prefix: bullPrefix(prefix) });
    track(app, prefix, queue);
    await app.start();
    await queue.upsertJobScheduler('ovl.tick', { every: 1000 }, { name: 'ovl.tick', data: {}, opts: jobOptionsFor(cat.jobs['ovl.tick']) });
    const rows = await waitUntil(
      'the long run and two ticks after it',
      async () => {
        await app.flushLedger();
        const found = (await ledger(prefix, 'ovl.tick')).filter((r) => r.status !== 'running');
        return found.length >= 3 ? found : undefined;
      },
      20_000,
    );
    await queue.removeJobScheduler('ovl.tick');
    return rows;
  }

  test('skip: the tick that came due during a long run is recorded as skipped and does no work', async () => {
    const rows = await runSchedule('skip');
    const [long, second] = rows;
    expect(long!.status).toBe('succeeded');
    // The run spans more than two tick intervals (a 2.5 s sleep; by Date.now a timer can end a millisecond early).
    expect(long!.finished_at!.getTime() - long!.started_at.getTime()).toBeGreaterThan(2000);
    const dueDuringLong = rows.filter((r) => r !== long && r.due_at!.getTime() < long!.finished_at!.getTime());
    expect(dueDuringLong).toHaveLength(1); // ticks never pile up: one pending at most
    expect(second).toBe(dueDuringLong[0]);
    expect(second!.status).toBe('skipped');
    expect(second!.reason).toMatch(/overlap policy skip/);
    expect(second!.counts).toEqual({});
    expect(rows[2]!.status).toBe('succeeded');
    expect(rows[2]!.counts).toEqual({ run: 2 }); // the skipped tick never reached the handler
  });

  /** Runs a worker over a tick every second with `handler`, until `count` finished runs are in the ledger. */
  async function ticks(cat: ReturnType<typeof overlapCatalogue>, handler: () => Promise<RunOutcome | undefined>, count: number): Promise<LedgerRow[]> {
    const prefix = testPrefix();
    const app = createWorkerApp({ appName: 'ovl', catalogue: cat, queue: 'ovl', config: workerConfig(db.url, prefix), logger: silent, handlers: { 'ovl.tick': handler } });
    const queue = new Queue('ovl', { connection: redis, prefix: bullPrefix(prefix) });
    track(app, prefix, queue);
    await app.start();
    await queue.upsertJobScheduler('ovl.tick', { every: 1000 }, { name: 'ovl.tick', data: {}, opts: jobOptionsFor(cat.jobs['ovl.tick']) });
    const rows = await waitUntil(
      `${count} finished runs`,
      async () => {
        await app.flushLedger();
        const found = (await ledger(prefix, 'ovl.tick')).filter((r) => r.status !== 'running');
        return found.length >= count ? found : undefined;
      },
      20_000,
    );
    await queue.removeJobScheduler('ovl.tick');
    return rows;
  }

  test('skip: quick ticks all run, each due when it came due (BullMQ resets a promoted job\'s delay: not a tick due when the previous one started)', async () => {
    const rows = await ticks(overlapCatalogue('skip'), () => Promise.resolve({}), 4);
    expect(rows.slice(0, 4).map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    for (let i = 1; i < 4; i++) {
      expect(rows[i]!.due_at!.getTime() - rows[i - 1]!.due_at!.getTime()).toBe(1000);
      expect(rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(rows[i]!.due_at!.getTime());
    }
  });

  test('skip: a tick whose attempt failed is retried, not skipped as if another run had been active', async () => {
    let calls = 0;
    const rows = await ticks(
      overlapCatalogue('skip', 2),
      () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('transient')) : Promise.resolve({});
      },
      2,
    );
    expect(rows.slice(0, 2).map((r) => [r.job_id === rows[0]!.job_id, r.attempt, r.status])).toEqual([
      [true, 1, 'failed'],
      [true, 2, 'succeeded'],
    ]);
  });

  test('ticks missed while no worker ran collapse into one run', async () => {
    const prefix = testPrefix();
    const cat = overlapCatalogue('skip');
    const queue = new Queue('ovl', { connection: redis, prefix: bullPrefix(prefix) });
    await queue.upsertJobScheduler('ovl.tick', { every: 1000 }, { name: 'ovl.tick', data: {}, opts: jobOptionsFor(cat.jobs['ovl.tick']) });
    await sleep(3500); // three or four ticks come due with nobody to run them
    const workerStarted = Date.now();
    const app = createWorkerApp({
      appName: 'ovl',
      catalogue: cat,
      queue: 'ovl',
      config: workerConfig(db.url, prefix),
      logger: silent,
      handlers: { 'ovl.tick': async () => ({}) },
    });
    track(app, prefix, queue);
    await app.start();
    const rows = await waitUntil('two runs', async () => {
      await app.flushLedger();
      const found = await ledger(prefix, 'ovl.tick');
      return found.length >= 2 ? found : undefined;
    });
    await queue.removeJobScheduler('ovl.tick');
    const missed = rows.filter((r) => r.due_at!.getTime() < workerStarted);
    expect(missed).toHaveLength(1);
    expect(missed[0]!.status).toBe('succeeded');
    expect(rows[1]!.due_at!.getTime()).toBeGreaterThanOrEqual(workerStarted);
  });

  test('bufferOne: the tick that came due during a long run runs right after it', async () => {
    const rows = await runSchedule('bufferOne');
    const [long, second] = rows;
    expect(long!.status).toBe('succeeded');
    const dueDuringLong = rows.filter((r) => r !== long && r.due_at!.getTime() < long!.finished_at!.getTime());
    expect(dueDuringLong).toHaveLength(1);
    expect(second).toBe(dueDuringLong[0]);
    expect(second!.status).toBe('succeeded');
    expect(second!.started_at.getTime()).toBeGreaterThanOrEqual(long!.finished_at!.getTime());
    expect(second!.started_at.getTime() - long!.finished_at!.getTime()).toBeLessThan(500);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.finished_at!.getTime());
    }
  });
});
