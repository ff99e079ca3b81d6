// returns-sync with its workers as real processes (as compose runs them): a processing worker
// killed with SIGKILL in the middle of a run, and page jobs fanned out over two replicas.
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { catalogue } from '@syncfleet/jobs';
import { createFleetQueue, enqueueJob } from '@syncfleet/runtime';
import { startAlgoliaEmulator, type AlgoliaEmulator } from './emulators/algolia.ts';
import { deletePrefixKeys, randomSuffix, testPrefix, useRedis, useTestDatabase, waitUntil, workerEnv } from './support/fixtures.ts';
import { assertNoLeftoverProcesses, startAppProcess, stopAppProcess, type AppProcess } from './support/processes.ts';
import { createReturnsTable, seedReturns } from './support/returns.ts';

const entry = 'apps/returns-sync/src/main.ts';
const db = useTestDatabase();
const redis = useRedis();
let emulator: AlgoliaEmulator;
beforeAll(async () => {
  emulator = await startAlgoliaEmulator();
});
afterEach(() => {
  emulator.inject(null);
  assertNoLeftoverProcesses();
});
afterAll(async () => {
  await emulator.close();
});

const minute = 60_000;
const started = (app: AppProcess) => app.waitForLog((l) => l.msg === 'returns-sync ready');

interface StateRow {
  id: string;
  claim_token: string;
  status: number;
  start_date: Date;
  end_date: Date;
  rows_synced: string | null;
}

async function setUp(rows: number) {
  const prefix = testPrefix();
  const suffix = randomSuffix();
  const table = `returns_${suffix}`;
  const jobType = `RETURN_JOB_${suffix}`;
  const index = `returns_${suffix}`;
  await createReturnsTable(db.pool, table);
  await seedReturns(db.pool, table, { firstId: 1, count: rows, from: new Date(Date.now() - 60 * minute), to: new Date() });
  const env = (extra: Record<string, string>) =>
    workerEnv(db.url, prefix, {
      ALGOLIA_APP_ID: emulator.appId,
      ALGOLIA_API_KEY: emulator.apiKey,
      ALGOLIA_HOSTS: emulator.url,
      ALGOLIA_INDEX_NAME: index,
      RETURNS_SOURCE_TABLE: table,
      RETURNS_JOB_TYPE: jobType,
      RETURNS_PAGE_SIZE: '100',
      LOCK_DURATION_MS: '2000',
      STALLED_INTERVAL_MS: '1000',
      ...extra,
    });
  const runs = createFleetQueue(redis, prefix, 'returns-sync');
  const pages = createFleetQueue(redis, prefix, 'returns-sync-processing');
  const state = async (): Promise<StateRow[]> =>
    (await db.pool.query<StateRow>(`SELECT * FROM order_return_algolia_sync WHERE job_type = $1 ORDER BY id`, [jobType])).rows;
  const cleanup = async (): Promise<void> => {
    await runs.close();
    await pages.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
    emulator.indices.drop(index);
  };
  return { prefix, index, env, runs, pages, state, cleanup };
}

describe('returns-sync processes', () => {
  test('kill -9 of the processing worker mid-run, then a new one: every row of the window arrives, the window start never moves', async () => {
    const s = await setUp(3000);
    // each batch call takes a while, so that the kill lands in the middle of the run
    emulator.inject({ latencyMs: 300, onlyPaths: /\/batch$/ });
    const runner = startAppProcess(entry, s.env({ RETURNS_WORKER_QUEUES: 'returns-sync', WORKER_ID: 'runner' }));
    const doomed = startAppProcess(entry, s.env({ RETURNS_WORKER_QUEUES: 'returns-sync-processing', RETURNS_PROCESSING_CONCURRENCY: '2', WORKER_ID: 'doomed' }));
    let rescuer: AppProcess | undefined;
    try {
      await Promise.all([started(runner), started(doomed)]);
      const job = await enqueueJob(s.runs, catalogue.jobs['returns.sync'], {});
      await waitUntil('some pages in the index', () => emulator.indices.size(s.index) >= 600, 30_000);
      doomed.child.kill('SIGKILL');
      expect((await doomed.exited).signal).toBe('SIGKILL');
      const [during] = await s.state();
      expect(during!.status).toBe(2); // still processing: nothing closed, the coverage did not move
      expect(emulator.indices.size(s.index)).toBeLessThan(3000);

      rescuer = startAppProcess(entry, s.env({ RETURNS_WORKER_QUEUES: 'returns-sync-processing', RETURNS_PROCESSING_CONCURRENCY: '2', WORKER_ID: 'rescuer' }));
      await started(rescuer);
      await waitUntil('the run to complete', async () => (await s.runs.getJobState(job.id!)) === 'completed', 60_000);
      const rows = await s.state();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: during!.id, status: 0, rows_synced: '3000' });
      expect(rows[0]!.start_date).toEqual(during!.start_date);
      expect(emulator.indices.size(s.index)).toBe(3000);

      // the pages the killed worker was running were started again (its lock expired) and finished by the new one
      const pageJobs = await Promise.all(Array.from({ length: 30 }, (_, i) => s.pages.getJob(`${during!.claim_token}-${i + 1}`)));
      expect(pageJobs.every((job) => job !== undefined && job.finishedOn !== undefined && job.failedReason === undefined)).toBe(true);
      const restarted = pageJobs.filter((job) => job!.attemptsStarted > 1).map((job) => job!.id!);
      expect(restarted.length).toBeGreaterThan(0); // the kill hit pages in flight
      const ledger = await waitUntil('the ledger rows of the restarted pages', async () => {
        const { rows } = await db.pool.query<{ job_id: string; worker_id: string }>(
          `SELECT job_id, worker_id FROM run_ledger WHERE fleet = $1 AND job_name = 'returns.syncPage' AND status = 'succeeded' AND job_id = ANY($2)`,
          [s.prefix, restarted],
        );
        return rows.length === restarted.length ? rows : undefined;
      });
      expect(ledger.every((row) => row.worker_id === 'rescuer')).toBe(true);

      // the next run starts from the end of this one, minus the overlap
      emulator.inject(null);
      const next = await enqueueJob(s.runs, catalogue.jobs['returns.sync'], {});
      await waitUntil('the next run to complete', async () => (await s.runs.getJobState(next.id!)) === 'completed', 30_000);
      const [, second] = await s.state();
      expect(second!.start_date.getTime()).toBe(rows[0]!.end_date.getTime() - 30 * minute);

      expect((await stopAppProcess(rescuer)).code).toBe(0);
      expect((await stopAppProcess(runner)).code).toBe(0);
    } finally {
      await stopAppProcess(doomed, 'SIGKILL');
      await stopAppProcess(runner, 'SIGKILL');
      if (rescuer) await stopAppProcess(rescuer, 'SIGKILL');
      await s.cleanup();
    }
  });

  test('two replicas consuming both queues: two ticks at once make one run, and its pages spread over both', async () => {
    const s = await setUp(2000);
    emulator.inject({ latencyMs: 30, onlyPaths: /\/batch$/ });
    const replicas = [1, 2].map((i) => startAppProcess(entry, s.env({ WORKER_ID: `replica-${i}`, RETURNS_PROCESSING_CONCURRENCY: '2' })));
    try {
      await Promise.all(replicas.map(started));
      const jobs = await s.runs.addBulk([
        { name: 'returns.sync', data: {}, opts: { attempts: 3 } },
        { name: 'returns.sync', data: {}, opts: { attempts: 3 } },
      ]);
      await waitUntil(
        'both ticks to end',
        async () => (await Promise.all(jobs.map((job) => s.runs.getJobState(job.id!)))).every((state) => state === 'completed'),
        60_000,
      );
      const rows = await s.state();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 0, rows_synced: '2000' });
      expect(emulator.indices.size(s.index)).toBe(2000);
      const values = await Promise.all(jobs.map(async (job) => (await s.runs.getJob(job.id!))!.returnvalue as { status: string }));
      expect(values.map((v) => v.status).sort()).toEqual(['skipped', 'succeeded']);
      const exits = await Promise.all(replicas.map((r) => stopAppProcess(r)));
      expect(exits.map((e) => e.code)).toEqual([0, 0]);
      const { rows: pages } = await db.pool.query<{ worker_id: string; n: string }>(
        `SELECT worker_id, count(*) AS n FROM run_ledger WHERE fleet = $1 AND job_name = 'returns.syncPage' AND status = 'succeeded' GROUP BY worker_id`,
        [s.prefix],
      );
      expect(pages.map((p) => p.worker_id).sort()).toEqual(['replica-1', 'replica-2']);
      expect(pages.reduce((sum, p) => sum + Number(p.n), 0)).toBe(20);
    } finally {
      await Promise.all(replicas.map((r) => stopAppProcess(r, 'SIGKILL')));
      await s.cleanup();
    }
  });
});
