// The worker kit's additions for fan-out syncs, against real Redis and Postgres, in-process: one
// app consuming several queues (each with its own concurrency), and a run that adds child jobs,
// waits for them (`ctx.waitForChildren()`) and continues as the same run once they finished.
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { describe, expect, inject, test } from 'vitest';
import { z } from 'zod';
import { defineCatalogue } from '@syncfleet/jobs';
import { createLogger } from '@syncfleet/log';
import { bullPrefix, createWorkerApp, jobOptionsFor, type RunSummary, type WorkerApp } from '@syncfleet/runtime';
import { deletePrefixKeys, testPrefix, useCleanups, useRedis, useTestDatabase, waitUntil, workerConfig } from './support/fixtures.ts';

const db = useTestDatabase();
const silent = createLogger({ name: 'test', level: 'silent' });
const redis = useRedis();
const cleanups = useCleanups();

const familyCatalogue = defineCatalogue(
  {
    fam: { sync: 'fam', singleton: true, concurrency: 1 },
    'fam-kids': { sync: 'fam', singleton: false, concurrency: 1 },
  },
  {
    'fam.parent': {
      sync: 'fam',
      queue: 'fam',
      kind: 'manual',
      description: 'adds `kids` child jobs and sums their results',
      payload: z.object({ kids: z.number().int().min(0) }).strict(),
      overlap: 'bufferOne',
      attempts: 1,
      backoff: { type: 'fixed', delay: 100 },
      dryRun: false,
    },
    'fam.kid': {
      sync: 'fam',
      queue: 'fam-kids',
      kind: 'manual',
      description: 'returns n * 10 after a short sleep',
      payload: z.object({ n: z.number().int() }).strict(),
      overlap: 'bufferOne',
      attempts: 1,
      backoff: { type: 'fixed', delay: 100 },
      dryRun: false,
    },
  },
);

interface Call {
  runId: string;
  resumed: boolean;
  attempt: number;
}

function startFamily(prefix: string, kidConcurrency: number) {
  const calls: Call[] = [];
  let active = 0;
  let maxActive = 0;
  const kids = new Queue('fam-kids', { connection: redis, prefix: bullPrefix(prefix) });
  const app: WorkerApp = createWorkerApp({
    appName: 'fam',
    catalogue: familyCatalogue,
    queue: ['fam', 'fam-kids'],
    concurrency: { 'fam-kids': kidConcurrency },
    config: workerConfig(db.url, prefix),
    logger: silent,
    handlers: {
      'fam.parent': async (payload, ctx) => {
        calls.push({ runId: ctx.runId, resumed: ctx.resumed, attempt: ctx.attempt });
        if (!ctx.resumed) {
          const parent = { id: ctx.job.id!, queue: ctx.job.queueQualifiedName };
          const opts = { ...jobOptionsFor(familyCatalogue.jobs['fam.kid']), parent };
          await kids.addBulk(Array.from({ length: payload.kids }, (_, n) => ({ name: 'fam.kid', data: { n }, opts })));
        }
        await ctx.waitForChildren();
        const values = Object.values((await ctx.job.getChildrenValues()) as Record<string, RunSummary>);
        return { counts: { kids: values.length, sum: values.reduce((sum, v) => sum + (v.counts?.value ?? 0), 0) } };
      },
      'fam.kid': async (payload) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(300);
        active -= 1;
        return { counts: { value: payload.n * 10 } };
      },
    },
  });
  const parents = new Queue('fam', { connection: redis, prefix: bullPrefix(prefix) });
  cleanups.push(async () => {
    await app.stop();
    await kids.close();
    await parents.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  });
  return { app, parents, calls, maxActive: () => maxActive };
}

async function ledger(prefix: string, jobName: string) {
  const { rows } = await db.pool.query<{ run_id: string; status: string; counts: Record<string, number>; attempt: number }>(
    `SELECT run_id, status, counts, attempt FROM run_ledger WHERE fleet = $1 AND job_name = $2 ORDER BY started_at`,
    [prefix, jobName],
  );
  return rows;
}

describe('a run with child jobs', () => {
  test('waits for its children and continues as the same run: one ledger row, the children summed', async () => {
    const prefix = testPrefix();
    const family = startFamily(prefix, 3);
    await family.app.start();
    const job = await family.parents.add('fam.parent', { kids: 6 }, jobOptionsFor(familyCatalogue.jobs['fam.parent']));
    await waitUntil('the parent to complete', async () => (await family.parents.getJobState(job.id!)) === 'completed', 20_000);
    const done = (await family.parents.getJob(job.id!))!;
    expect(done.returnvalue).toMatchObject({ status: 'succeeded', counts: { kids: 6, sum: 150 } });

    expect(family.calls).toHaveLength(2);
    expect(family.calls[0]!.resumed).toBe(false);
    expect(family.calls[1]).toEqual({ runId: family.calls[0]!.runId, resumed: true, attempt: 1 });

    await family.app.flushLedger();
    const parents = await waitUntil('the run row', async () => {
      await family.app.flushLedger();
      const rows = await ledger(prefix, 'fam.parent');
      return rows.length === 1 && rows[0]!.status === 'succeeded' ? rows : undefined;
    });
    expect(parents[0]).toMatchObject({ run_id: family.calls[0]!.runId, counts: { kids: 6, sum: 150 }, attempt: 1 });
    expect(await ledger(prefix, 'fam.kid')).toHaveLength(6);
    // the note of the waiting run is gone once the run ended
    expect(await redis.keys(`{${prefix}}:fleet:queue:fam:continued-run:*`)).toEqual([]);
    // the fan-out queue ran with the concurrency the app gave it, not the catalogue's 1
    expect(family.maxActive()).toBe(3);
  });

  test('a run without pending children goes on in the same call', async () => {
    const prefix = testPrefix();
    const family = startFamily(prefix, 2);
    await family.app.start();
    const job = await family.parents.add('fam.parent', { kids: 0 }, jobOptionsFor(familyCatalogue.jobs['fam.parent']));
    await waitUntil('the parent to complete', async () => (await family.parents.getJobState(job.id!)) === 'completed');
    expect(family.calls).toHaveLength(1);
    expect((await family.parents.getJob(job.id!))!.returnvalue).toMatchObject({ counts: { kids: 0, sum: 0 } });
  });
});

describe('an app on several queues', () => {
  test('reports every queue in its health check', async () => {
    const family = startFamily(testPrefix(), 2);
    await family.app.start();
    const health = await fetch(`http://127.0.0.1:${family.app.healthPort}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, queue: 'fam,fam-kids', queues: ['fam', 'fam-kids'], state: 'running' });
  });

  test('refuses to start when a job of one of its queues has no handler, or a concurrency names another queue', () => {
    const config = workerConfig(db.url, testPrefix());
    expect(() =>
      createWorkerApp({
        appName: 'fam',
        catalogue: familyCatalogue,
        queue: ['fam', 'fam-kids'],
        config,
        logger: silent,
        // @ts-expect-error -- a missing handler does not compile
        handlers: { 'fam.parent': async () => undefined },
      }),
    ).toThrow(/job fam\.kid of queue fam-kids has no handler/);
    expect(() =>
      createWorkerApp({
        appName: 'fam',
        catalogue: familyCatalogue,
        queue: 'fam',
        concurrency: { 'fam-kids': 2 } as never,
        config,
        logger: silent,
        handlers: { 'fam.parent': async () => undefined },
      }),
    ).toThrow(/concurrency given for queue fam-kids/);
  });
});
