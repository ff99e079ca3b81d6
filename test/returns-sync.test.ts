// returns-sync end to end, in-process: real Postgres (source and state table), real Redis (BullMQ,
// the run and its pages as a flow), the Algolia emulator behind the real algoliasearch client.
// Each test has its own fleet prefix, source table, state job type and index.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { catalogue } from '@syncfleet/jobs';
import { createLogger } from '@syncfleet/log';
import { createFleetQueue, enqueueJob, jobOptionsFor, type WorkerApp } from '@syncfleet/runtime';
import { runFleet } from '../apps/cli/src/program.ts';
import { createReturnsSyncApp } from '../apps/returns-sync/src/app.ts';
import { ReturnsSyncEnv } from '../apps/returns-sync/src/env.ts';
import { createReturnsSource } from '../apps/returns-sync/src/returns-source.ts';
import { createRunStore } from '../apps/returns-sync/src/run-state.ts';
import { startAlgoliaEmulator, type AlgoliaEmulator } from './emulators/algolia.ts';
import { createDatabaseFromTemplate, dropDatabase } from './infra/postgres.ts';
import { deletePrefixKeys, randomSuffix, testPrefix, useCleanups, useRedis, useTestDatabase, waitUntil, workerEnv } from './support/fixtures.ts';
import { startReturnsSyncDemo } from './demo/returns-sync.ts';
import { createReturnsTable, idsChangedBetween, seedReturns, touchReturns } from './support/returns.ts';

const db = useTestDatabase();
const silent = createLogger({ name: 'returns-test', level: 'silent' });
const redis = useRedis();
let emulator: AlgoliaEmulator;
const cleanups = useCleanups();

beforeAll(async () => {
  emulator = await startAlgoliaEmulator();
});
afterEach(() => emulator.inject(null));
afterAll(async () => {
  await emulator.close();
});

const minute = 60_000;

interface StateRow {
  id: string;
  status: number;
  start_date: Date;
  end_date: Date;
  created_at: Date;
  run_kind: string;
  advances_watermark: boolean;
  heartbeat_at: Date;
  finished_at: Date | null;
  owner_job: string;
  pages: number | null;
  rows_synced: string | null;
  error: string | null;
}

interface LedgerRow {
  job_name: string;
  status: string;
  final: boolean;
  counts: Record<string, number>;
  reason: string | null;
  error: string | null;
  window_start: Date | null;
  window_end: Date | null;
}

/** One sync under test: its own table, job type, index and fleet prefix, and a worker app consuming both queues. */
interface Fixture {
  prefix: string;
  table: string;
  jobType: string;
  index: string;
  app: WorkerApp;
  runs: Queue;
  state(): Promise<StateRow[]>;
  ledger(jobName?: string): Promise<LedgerRow[]>;
  indexedIds(): string[];
  /** Enqueues a job of the run queue and waits until it completed or failed for good. */
  run(jobName: 'returns.sync' | 'returns.backfill' | 'returns.heal' | 'returns.dump', payload?: Record<string, unknown>): Promise<{ state: string; returnvalue: unknown; failedReason: string | undefined }>;
}

async function setUp(env: Record<string, string> = {}, options: { start?: boolean; returnsPool?: pg.Pool } = {}): Promise<Fixture> {
  const prefix = testPrefix();
  const suffix = randomSuffix();
  const table = `returns_${suffix}`;
  const jobType = `RETURN_JOB_${suffix}`;
  const index = `returns_${suffix}`;
  const returnsPool = options.returnsPool ?? db.pool;
  await createReturnsTable(returnsPool, table);
  const config = ReturnsSyncEnv.parse(
    workerEnv(db.url, prefix, {
      LOG_LEVEL: 'silent',
      ALGOLIA_APP_ID: emulator.appId,
      ALGOLIA_API_KEY: emulator.apiKey,
      ALGOLIA_HOSTS: emulator.url,
      ALGOLIA_INDEX_NAME: index,
      RETURNS_SOURCE_TABLE: table,
      RETURNS_JOB_TYPE: jobType,
      RETURNS_PAGE_SIZE: '50',
      RETURNS_PROCESSING_CONCURRENCY: '4',
      ...env,
    }),
  );
  const app = createReturnsSyncApp(config, { logger: silent });
  const runs = createFleetQueue(redis, prefix, 'returns-sync');
  cleanups.push(async () => {
    await app.stop();
    await runs.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
    emulator.indices.drop(index);
  });
  if (options.start !== false) await app.start();
  const fixture: Fixture = {
    prefix,
    table,
    jobType,
    index,
    app,
    runs,
    async state() {
      const { rows } = await returnsPool.query<StateRow>(`SELECT * FROM order_return_algolia_sync WHERE job_type = $1 ORDER BY id`, [jobType]);
      return rows;
    },
    async ledger(jobName) {
      await app.flushLedger();
      const { rows } = await db.pool.query<LedgerRow>(
        `SELECT * FROM run_ledger WHERE fleet = $1 AND ($2::text IS NULL OR job_name = $2) AND status <> 'running' ORDER BY started_at`,
        [prefix, jobName ?? null],
      );
      return rows;
    },
    indexedIds: () => emulator.indices.all(index).map((r) => r.objectID).sort(),
    async run(jobName, payload = {}) {
      const job = await enqueueJob(runs, catalogue.jobs[jobName], payload);
      return waitUntil(
        `${jobName} to end`,
        async () => {
          const state = await runs.getJobState(job.id!);
          if (state === 'completed' || (state === 'failed' && (await runs.getJob(job.id!))!.finishedOn)) {
            const done = (await runs.getJob(job.id!))!;
            return { state, returnvalue: done.returnvalue as unknown, failedReason: done.failedReason };
          }
          return undefined;
        },
        45_000,
      );
    },
  };
  return fixture;
}

const sorted = (ids: Array<string | number>): string[] => ids.map(String).sort();
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

describe('a periodic run', () => {
  test('puts every changed return into the index, as mapped records, and the state table shows the window', async () => {
    const f = await setUp({ RETURNS_BACKFILL_SINCE: '2020-01-01T00:00:00Z' });
    const now = Date.now();
    // 480 returns changed over the last three days, 20 of them in the same millisecond (keyset ties)
    await seedReturns(db.pool, f.table, { firstId: 1, count: 460, from: new Date(now - 3 * 24 * 60 * minute), to: new Date(now - minute) });
    await seedReturns(db.pool, f.table, { firstId: 1001, count: 20, from: new Date(now - 30 * minute), to: new Date(now - 30 * minute) });
    const before = new Date();
    const outcome = await f.run('returns.sync');
    expect(outcome.state).toBe('completed');

    expect(f.indexedIds()).toEqual(sorted([...range(1, 460), ...range(1001, 20)]));
    const record = emulator.indices.get(f.index, '7')!;
    expect(record).toMatchObject({ objectID: '7', returnId: '7', orderId: 'ORD-3', clientAccount: 'umbrella-beauty', returnType: 'CUSTOMER_RETURN' });
    expect(record.updatedAt).toMatch(/Z$/);

    const [row] = await f.state();
    expect(row).toMatchObject({ status: 0, run_kind: 'periodic', advances_watermark: true, pages: 10, rows_synced: '480', error: null });
    expect(row!.start_date.toISOString()).toBe('2020-01-01T00:00:00.000Z'); // first run: from RETURNS_BACKFILL_SINCE
    expect(row!.end_date.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(row!.finished_at!.getTime()).toBeGreaterThanOrEqual(row!.end_date.getTime());

    // one ledger row for the run (it waited for its pages), ten for the pages
    const [runRow] = await f.ledger('returns.sync');
    expect(runRow).toMatchObject({ status: 'succeeded', counts: { pages: 10, rows: 480 } });
    expect(runRow!.window_start).toEqual(row!.start_date);
    expect(runRow!.window_end).toEqual(row!.end_date);
    expect(await f.ledger('returns.syncPage')).toHaveLength(10);
    expect(await f.ledger('returns.sync')).toHaveLength(1);

    // the API's status finds the coverage in sync_state
    const { rows: watermark } = await db.pool.query<{ value: { coveredUntil: string } }>(
      `SELECT value FROM sync_state WHERE fleet = $1 AND sync = 'returns-sync' AND key = 'watermark'`,
      [f.prefix],
    );
    expect(watermark[0]!.value.coveredUntil).toBe(row!.end_date.toISOString());
  });

  test('the next run starts at the last end minus the overlap: a row committed late inside the overlap still arrives', async () => {
    const f = await setUp({ RETURNS_OVERLAP: '30m' });
    const now = Date.now();
    await seedReturns(db.pool, f.table, { firstId: 1, count: 100, from: new Date(now - 2 * 60 * minute), to: new Date(now - minute) });
    expect((await f.run('returns.sync')).state).toBe('completed');
    const [first] = await f.state();
    expect(f.indexedIds()).toHaveLength(100);

    // committed after the first run read its window, with an updated_at from before the end of it:
    // 10 minutes before (inside the overlap) and 40 minutes before (outside: the overlap bounds the lateness tolerated)
    await seedReturns(db.pool, f.table, { firstId: 5001, count: 1, from: new Date(first!.end_date.getTime() - 10 * minute), to: new Date(first!.end_date.getTime() - 10 * minute) });
    await seedReturns(db.pool, f.table, { firstId: 6001, count: 1, from: new Date(first!.end_date.getTime() - 40 * minute), to: new Date(first!.end_date.getTime() - 40 * minute) });
    await touchReturns(db.pool, f.table, [3, 4]); // and two ordinary changes
    const changedBefore = emulator.indices.get(f.index, '3')!.status;

    expect((await f.run('returns.sync')).state).toBe('completed');
    const [, second] = await f.state();
    expect(second!.start_date.getTime()).toBe(first!.end_date.getTime() - 30 * minute);
    expect(second!.status).toBe(0);
    expect(emulator.indices.get(f.index, '5001')).toBeDefined();
    expect(emulator.indices.get(f.index, '6001')).toBeUndefined();
    const { rows } = await db.pool.query<{ status: string }>(`SELECT status FROM "${f.table}" WHERE id = 3`);
    expect(emulator.indices.get(f.index, '3')!.status).toBe(rows[0]!.status);
    expect(rows[0]!.status).not.toBe(changedBefore);
  });

  test('a dry run computes the window and counts, and writes nothing', async () => {
    const f = await setUp();
    await seedReturns(db.pool, f.table, { firstId: 1, count: 30, from: new Date(Date.now() - 60 * minute), to: new Date() });
    const outcome = await f.run('returns.sync', { dryRun: true });
    expect(outcome.state).toBe('completed');
    expect(outcome.returnvalue).toMatchObject({ status: 'succeeded', result: { dryRun: true, rows: 30, pages: 1, start: '1970-01-01T00:00:00.000Z' } });
    expect(await f.state()).toEqual([]);
    expect(emulator.indices.has(f.index)).toBe(false);
  });
});

describe('the claim', () => {
  test('ten claims racing from ten connections: exactly one claims, the others find it busy', async () => {
    const jobType = `RACE_${randomSuffix()}`;
    const pools = Array.from({ length: 10 }, () => new pg.Pool({ connectionString: db.url, max: 1 }));
    try {
      const stores = pools.map((pool) => createRunStore(pool, { jobType, overlapMs: 30 * minute, staleAfterMs: 10 * minute, origin: new Date(0), healHours: 24 }));
      await Promise.all(pools.map((pool) => pool.query('SELECT 1'))); // connected: the claims start together
      const results = await Promise.all(stores.map((store, i) => store.claim({ kind: 'periodic', ownerJob: `returns-sync/tick-${i}`, workerId: `w${i}` })));
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      const busy = results.filter((r) => !r.claimed);
      expect(busy).toHaveLength(9);
      for (const result of busy) expect(!result.claimed && result.outcome).toBe('busy');
      const { rows } = await db.pool.query(`SELECT status FROM order_return_algolia_sync WHERE job_type = $1`, [jobType]);
      expect(rows).toEqual([{ status: 1 }]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  test('two ticks at once: one run; the second tick is recorded as skipped (the run claimed after it came due covers it)', async () => {
    const f = await setUp();
    await seedReturns(db.pool, f.table, { firstId: 1, count: 120, from: new Date(Date.now() - 60 * minute), to: new Date() });
    const [a, b] = await f.runs.addBulk([
      { name: 'returns.sync', data: {}, opts: { attempts: 3 } },
      { name: 'returns.sync', data: {}, opts: { attempts: 3 } },
    ]);
    await waitUntil('both ticks to end', async () => (await f.runs.getJobState(a!.id!)) === 'completed' && (await f.runs.getJobState(b!.id!)) === 'completed', 45_000);
    expect(await f.state()).toHaveLength(1);
    const ledger = await f.ledger('returns.sync');
    expect(ledger.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
    // skipped while the run waits for its pages (still active), or after it (claimed after this tick came due)
    expect(ledger.find((r) => r.status === 'skipped')!.reason).toMatch(/run \d+ (is still active|was claimed at .* after this tick came due)/);
    expect(f.indexedIds()).toHaveLength(120);
  });

  test('a live lock: the tick is skipped (recorded with its reason) and the run is left alone', async () => {
    const f = await setUp();
    await db.pool.query(
      `INSERT INTO order_return_algolia_sync (job_type, status, start_date, end_date, run_kind, advances_watermark, heartbeat_at, owner_job, claim_token)
       VALUES ($1, 2, now() - interval '45 minutes', now() - interval '1 minute', 'periodic', true, now(), 'returns-sync/elsewhere', gen_random_uuid())`,
      [f.jobType],
    );
    const outcome = await f.run('returns.sync');
    expect(outcome.returnvalue).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/still active \(status 2/) as unknown });
    const rows = await f.state();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe(2);
    const [ledger] = await f.ledger('returns.sync');
    expect(ledger).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/still active/) as unknown });
  });

  test("a run that takes over waits for the earlier run's page still saving: its older rows cannot overwrite the newer ones", async () => {
    const f = await setUp({ RETURNS_STALE_AFTER: '1s' });
    await seedReturns(db.pool, f.table, { firstId: 1, count: 10, from: new Date(Date.now() - 60 * minute), to: new Date(Date.now() - minute) });
    await db.pool.query(`UPDATE ${f.table} SET reason = 'version 1' WHERE id = 5`);
    const batches = () => emulator.counters.requestsByRoute['POST /1/indexes/:index/batch'] ?? 0;
    const before = batches();
    // the first run's page reads version 1, then its save is slow: the client gives up on the request
    // after its 2 s connect timeout and sends it again (the emulator applies the first one only after
    // 6 s, after this test); meanwhile its run's heartbeat goes stale
    emulator.inject({ latencyMs: 6000, onlyPaths: /\/batch$/ });
    const first = f.run('returns.sync');
    await waitUntil("the first run's page saving", () => batches() > before);
    emulator.inject(null);
    await db.pool.query(`UPDATE ${f.table} SET reason = 'version 2', updated_at = now() WHERE id = 5`);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // the second run takes over, reads version 2 and saves it at once: it must not be overwritten by the first run's late save
    const second = await f.run('returns.sync');
    expect(second.state).toBe('completed');
    const [taken, taker] = await f.state();
    expect(taken).toMatchObject({ status: 3, error: expect.stringMatching(/taken over/) as unknown });
    expect(taker).toMatchObject({ status: 0 });
    expect((await first).state).toBe('failed'); // taken over: it counts for nothing
    expect(emulator.indices.get(f.index, '5')).toMatchObject({ reason: 'version 2' });
    const pages = (await f.ledger('returns.syncPage')).map((r) => r.reason ?? r.status);
    expect(pages).toEqual([`skipped: run ${taken!.id} was taken over while page 1 was being saved: its refusals are not recorded`, 'succeeded']);
  });

  test('a stale lock (no heartbeat for longer than the timeout) is taken over: the window starts at the last success minus the overlap', async () => {
    const f = await setUp({ RETURNS_STALE_AFTER: '5m', RETURNS_OVERLAP: '30m' });
    const lastEnd = new Date(Date.now() - 3 * 60 * minute);
    await db.pool.query(
      `INSERT INTO order_return_algolia_sync (job_type, status, start_date, end_date, created_at, run_kind, advances_watermark, heartbeat_at, finished_at, owner_job, claim_token)
       VALUES ($1, 0, $2::timestamptz - interval '15 minutes', $2, $2, 'periodic', true, $2, $2, 'returns-sync/old', gen_random_uuid()),
              ($1, 2, $2::timestamptz - interval '30 minutes', now() - interval '1 hour', now() - interval '1 hour', 'periodic', true,
               now() - interval '50 minutes', NULL, 'returns-sync/dead', gen_random_uuid())`,
      [f.jobType, lastEnd],
    );
    // changed since the last success (minus the overlap), and one before it
    await seedReturns(db.pool, f.table, { firstId: 1, count: 60, from: new Date(lastEnd.getTime() - 20 * minute), to: new Date() });
    await seedReturns(db.pool, f.table, { firstId: 900, count: 1, from: new Date(lastEnd.getTime() - 60 * minute), to: new Date(lastEnd.getTime() - 60 * minute) });
    expect((await f.run('returns.sync')).state).toBe('completed');
    const [, dead, taker] = await f.state();
    expect(dead).toMatchObject({ status: 3, error: expect.stringMatching(/taken over: no heartbeat for \d+ s/) as unknown });
    expect(taker).toMatchObject({ status: 0, rows_synced: '60' });
    expect(taker!.start_date.getTime()).toBe(lastEnd.getTime() - 30 * minute);
    expect(f.indexedIds()).toEqual(sorted(range(1, 60)));
  });
});

describe('failures', () => {
  test('injected Algolia 5xx: the batches are retried and the run completes', async () => {
    const f = await setUp();
    await seedReturns(db.pool, f.table, { firstId: 1, count: 200, from: new Date(Date.now() - 60 * minute), to: new Date() });
    emulator.counters.reset();
    emulator.inject({ errorRate: 0.4, status: 503, onlyPaths: /\/batch$/ });
    expect((await f.run('returns.sync')).state).toBe('completed');
    expect(emulator.counters.injectedErrors).toBeGreaterThan(0);
    expect(f.indexedIds()).toHaveLength(200);
    expect((await f.state())[0]!.status).toBe(0);
  });

  test('a page that fails after its retries fails the run; the next run starts again from the same window start', async () => {
    const f = await setUp({ RETURNS_PAGE_ATTEMPTS: '2', RETURNS_PAGE_BACKOFF: '50ms', RETURNS_ALGOLIA_ATTEMPTS: '2', RETURNS_BACKFILL_SINCE: '2024-01-01T00:00:00Z' });
    await seedReturns(db.pool, f.table, { firstId: 1, count: 150, from: new Date(Date.now() - 60 * minute), to: new Date() });
    emulator.inject({ errorRate: 1, status: 500, onlyPaths: /\/batch$/ });
    const failed = await f.run('returns.sync');
    expect(failed.state).toBe('failed');
    expect(failed.failedReason).toMatch(/page\(s\) failed for good[\s\S]*the next run starts again from 2024-01-01T00:00:00.000Z/);
    const [first] = await f.state();
    expect(first).toMatchObject({ status: 3, error: expect.stringMatching(/page\(s\) failed for good/) as unknown });
    const [ledger] = await f.ledger('returns.sync');
    expect(ledger).toMatchObject({ status: 'failed', final: true });

    emulator.inject(null);
    expect((await f.run('returns.sync')).state).toBe('completed');
    const [, second] = await f.state();
    expect(second!.start_date.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(second!.status).toBe(0);
    expect(f.indexedIds()).toEqual(sorted(range(1, 150)));
  });
});

describe('records Algolia refuses', () => {
  const fleet = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const env = { REDIS_URL: inject('redisUrl'), DATABASE_URL: db.url };
    const code = await runFleet(args, { env, output: { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) } });
    return { code, stdout, stderr };
  };
  const refusedRows = async (index: string) =>
    (await db.pool.query<{ object_id: string; reason: string; refusals: number; run_id: string }>(
      'SELECT object_id, reason, refusals, run_id FROM order_return_algolia_refused WHERE index_name = $1 ORDER BY object_id',
      [index],
    )).rows;

  test('a return over the record size limit is set aside with the reason, the rest is saved and the run succeeds; once fixed, the next run saves it and forgets it', async () => {
    const f = await setUp();
    await seedReturns(db.pool, f.table, { firstId: 1, count: 120, from: new Date(Date.now() - 60 * minute), to: new Date(Date.now() - minute) });
    // Algolia refuses a batch whole for one record over 100 KB: this one would fail its page on every run
    await db.pool.query(`UPDATE ${f.table} SET reason = repeat('x', 150000) WHERE id IN (77, 78)`);

    expect((await f.run('returns.sync')).state).toBe('completed');
    const [first] = await f.state();
    expect(first!.status).toBe(0);
    expect(f.indexedIds()).toEqual(sorted(range(1, 120).filter((id) => id !== 77 && id !== 78)));
    const tooBig = expect.stringMatching(/^Record at the position \d+ objectID=7[78] is too big size=15\d{4}\/100000 bytes/) as unknown;
    expect(await refusedRows(f.index)).toEqual([
      { object_id: '77', reason: tooBig, refusals: 1, run_id: first!.id },
      { object_id: '78', reason: tooBig, refusals: 1, run_id: first!.id },
    ]);
    const [run] = await f.ledger('returns.sync');
    expect(run!.counts).toMatchObject({ rows: 120, refused: 2 });
    // the operator's list
    const listed = await fleet(['returns', 'refused', '--index', f.index]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^2 return\(s\) in index \S+ refused by Algolia:\n/);
    expect(listed.stdout).toMatch(/\b77\s+1\s+.*Record at the position \d+ objectID=77 is too big size=\d+\/100000 bytes$/m);
    const json = JSON.parse((await fleet(['returns', 'refused', '--index', f.index, '--limit', '1', '--json'])).stdout) as { total: number; refused: Array<{ objectID: string; reason: string }> };
    expect(json.total).toBe(2);
    expect(json.refused).toHaveLength(1);
    expect(json.refused[0]!.reason).toMatch(/#record-size-limits$/);
    expect((await fleet(['returns', 'refused', '--index', 'no_such_index'])).stdout).toBe('no refused return in index no_such_index: Algolia took every record\n');

    // 78 is fixed; 77 is changed but still too big
    await db.pool.query(`UPDATE ${f.table} SET reason = CASE id WHEN 78 THEN 'fixed' ELSE reason || 'y' END, updated_at = now() WHERE id IN (77, 78)`);
    expect((await f.run('returns.sync')).state).toBe('completed');
    const [, second] = await f.state();
    expect(f.indexedIds()).toContain('78');
    expect(emulator.indices.get(f.index, '78')).toMatchObject({ reason: 'fixed' });
    expect(await refusedRows(f.index)).toEqual([{ object_id: '77', reason: tooBig, refusals: 2, run_id: second!.id }]);
  });

  test('a returns database without the refused table (migrations not run there): pages without refusals still succeed; a refusal fails its page with a clear reason', async () => {
    const name = `sf_returns_${randomSuffix()}`;
    const url = await createDatabaseFromTemplate(inject('pgAdminUrl'), inject('templateDatabase'), name);
    const returnsPool = new pg.Pool({ connectionString: url, max: 2 });
    returnsPool.on('error', () => undefined);
    cleanups.push(async () => {
      await returnsPool.end();
      await dropDatabase(inject('pgAdminUrl'), name);
    });
    await returnsPool.query('DROP TABLE order_return_algolia_refused');
    const f = await setUp({ RETURNS_DATABASE_URL: url, RETURNS_PAGE_ATTEMPTS: '1' }, { returnsPool });
    await seedReturns(returnsPool, f.table, { firstId: 1, count: 30, from: new Date(Date.now() - 60 * minute), to: new Date(Date.now() - minute) });
    expect((await f.run('returns.sync')).state).toBe('completed');
    expect(f.indexedIds()).toHaveLength(30);

    await returnsPool.query(`UPDATE ${f.table} SET reason = repeat('x', 150000), updated_at = now() WHERE id = 7`);
    const failed = await f.run('returns.sync');
    expect(failed.state).toBe('failed');
    expect(failed.failedReason).toMatch(/order_return_algolia_refused not updated \(the migrations must run on the returns database too\): relation "order_return_algolia_refused" does not exist/);
  });

  test('more refused returns in a page than RETURNS_MAX_REFUSED_PER_PAGE fail the page and the run with the reason', async () => {
    const f = await setUp({ RETURNS_MAX_REFUSED_PER_PAGE: '1', RETURNS_PAGE_ATTEMPTS: '1', RETURNS_BACKFILL_SINCE: '2024-01-01T00:00:00Z' });
    await seedReturns(db.pool, f.table, { firstId: 1, count: 40, from: new Date(Date.now() - 60 * minute), to: new Date(Date.now() - minute) });
    await db.pool.query(`UPDATE ${f.table} SET reason = repeat('x', 150000) WHERE id IN (5, 6)`);
    const failed = await f.run('returns.sync');
    expect(failed.state).toBe('failed');
    expect(failed.failedReason).toMatch(/Algolia refused more than 1 record\(s\) of this write \(the last: objectID=\d+: Record at the position 0 objectID=\d+ is too big/);
    expect((await f.state())[0]!.status).toBe(3);
    expect(await refusedRows(f.index)).toEqual([]);
  });
});

describe('backfill failure', () => {
  test('a backfill whose page fails for good is retried with its backoff (healing waits for it), and completes once Algolia is back', async () => {
    const f = await setUp({ RETURNS_PAGE_ATTEMPTS: '2', RETURNS_PAGE_BACKOFF: '50ms', RETURNS_ALGOLIA_ATTEMPTS: '2' });
    const now = Date.now();
    await seedReturns(db.pool, f.table, { firstId: 1, count: 60, from: new Date(now - 5 * 60 * minute), to: new Date(now - minute) });
    emulator.inject({ errorRate: 1, status: 500, onlyPaths: /\/batch$/ });
    const since = new Date(now - 6 * 60 * minute);
    // the catalogue's backoff (30 s, exponential) shortened for the test
    const job = await f.runs.add('returns.backfill', { since: since.toISOString() }, { ...jobOptionsFor(catalogue.jobs['returns.backfill']), backoff: { type: 'fixed', delay: 500 } });
    await waitUntil('the first attempt to fail', async () => (await f.ledger('returns.backfill')).some((r) => r.status === 'failed'));
    const [first] = await f.ledger('returns.backfill');
    expect(first).toMatchObject({ status: 'failed', final: false });
    emulator.inject(null);
    await waitUntil('the backfill to complete', async () => (await f.runs.getJobState(job.id!)) === 'completed', 30_000);
    expect(f.indexedIds()).toEqual(sorted(range(1, 60)));
    const states = await f.state();
    expect(states.map((s) => [s.run_kind, s.status])).toEqual([
      ['initial', 3],
      ['initial', 0],
    ]);
  });
});

describe('backfill, heal and dump', () => {
  test('backfill covers every return since its date, heal the last N hours', async () => {
    const f = await setUp({ RETURNS_HEAL_HOURS: '2' });
    const now = Date.now();
    const hour = 60 * minute;
    await seedReturns(db.pool, f.table, { firstId: 1, count: 40, from: new Date(now - 10 * 24 * hour), to: new Date(now - 8 * 24 * hour) }); // old
    await seedReturns(db.pool, f.table, { firstId: 101, count: 40, from: new Date(now - 5 * 24 * hour), to: new Date(now - 3 * hour) }); // recent
    await seedReturns(db.pool, f.table, { firstId: 201, count: 40, from: new Date(now - 90 * minute), to: new Date(now - minute) }); // last hours
    const since = new Date(now - 6 * 24 * hour);
    expect((await f.run('returns.backfill', { since: since.toISOString() })).state).toBe('completed');
    expect(f.indexedIds()).toEqual(sorted(await idsChangedBetween(db.pool, f.table, since, new Date())));
    expect(f.indexedIds()).toEqual(sorted([...range(101, 40), ...range(201, 40)]));
    const [backfill] = await f.state();
    expect(backfill).toMatchObject({ run_kind: 'initial', status: 0 });
    expect(backfill!.start_date).toEqual(since);

    // the heal re-sends exactly the rows of its last two hours
    emulator.indices.drop(f.index);
    await touchReturns(db.pool, f.table, [5], new Date(now - 30 * minute)); // an old row changed again
    expect((await f.run('returns.heal')).state).toBe('completed');
    const [, heal] = await f.state();
    expect(heal).toMatchObject({ run_kind: 'healing', status: 0 });
    expect(heal!.end_date.getTime() - heal!.start_date.getTime()).toBe(2 * hour);
    expect(f.indexedIds()).toEqual(sorted(await idsChangedBetween(db.pool, f.table, heal!.start_date, heal!.end_date)));
    expect(f.indexedIds()).toEqual(sorted([5, ...range(201, 40)]));
  });

  test('the dump file holds every record of the index; the manifest counts them and checksums the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'returns-dump-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const f = await setUp({ RETURNS_DUMP_DIR: dir });
    await seedReturns(db.pool, f.table, { firstId: 1, count: 2345, from: new Date(Date.now() - 60 * minute), to: new Date() });
    expect((await f.run('returns.sync')).state).toBe('completed');
    const outcome = await f.run('returns.dump');
    expect(outcome.state).toBe('completed');
    const { file, manifest: manifestPath } = (outcome.returnvalue as { result: { file: string; manifest: string } }).result;
    const compressed = await readFile(file);
    const lines = gunzipSync(compressed).toString('utf8').trimEnd().split('\n');
    const dumped = lines.map((line) => JSON.parse(line) as { objectID: string });
    expect(dumped.map((r) => r.objectID).sort()).toEqual(f.indexedIds());
    expect(dumped).toHaveLength(2345);
    expect(dumped.find((r) => r.objectID === '42')).toEqual(emulator.indices.get(f.index, '42'));
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ index: f.index, records: 2345, format: 'ndjson+gzip', bytes: compressed.length });
    expect(manifest.sha256).toBe(createHash('sha256').update(compressed).digest('hex'));
  });
});

describe('the source', () => {
  test('keyset pages cover every row of a window exactly once, with microsecond timestamps and ties', async () => {
    const table = `returns_${randomSuffix()}`;
    await createReturnsTable(db.pool, table);
    // 333 rows spread over one second (sub-millisecond steps), 250 sharing one instant, 10 outside the window
    const start = new Date('2025-06-01T10:00:00Z');
    await seedReturns(db.pool, table, { firstId: 1, count: 333, from: start, to: new Date(start.getTime() + 1000) });
    await seedReturns(db.pool, table, { firstId: 1001, count: 250, from: new Date(start.getTime() + 500), to: new Date(start.getTime() + 500) });
    await seedReturns(db.pool, table, { firstId: 2001, count: 10, from: new Date(start.getTime() + 5000), to: new Date(start.getTime() + 6000) });
    const source = createReturnsSource(db.pool, table);
    const window = { start, end: new Date(start.getTime() + 2000) };
    const seen: string[] = [];
    let pages = 0;
    for await (const page of source.planPages(window, 40)) {
      pages += 1;
      const rows = await source.readPage({ windowStart: window.start.toISOString(), after: page.after, last: page.last });
      expect(rows).toHaveLength(page.rows);
      seen.push(...rows.map((r) => String(r.id)));
    }
    expect(pages).toBe(Math.ceil(583 / 40));
    expect(new Set(seen).size).toBe(583);
    expect(seen).toEqual(await idsChangedBetween(db.pool, table, window.start, window.end));
    expect(await source.countWindow(window)).toBe(583);
  });

  test('refuses a table name that is not an identifier', () => {
    expect(() => createReturnsSource(db.pool, 'returns; DROP TABLE x')).toThrow(/must be an identifier/);
    expect(() => ReturnsSyncEnv.parse({ ...workerEnv(db.url, 'x'), ALGOLIA_APP_ID: 'a', ALGOLIA_API_KEY: 'k', RETURNS_SOURCE_TABLE: 'a.b.c' })).toThrow(/RETURNS_SOURCE_TABLE|identifier/);
  });
});

describe('the demo module', () => {
  test('seeds order_returns, keeps changing some and enqueues runs: the worker brings every change to its index', async () => {
    const prefix = testPrefix();
    const demo = await startReturnsSyncDemo(
      { redisUrl: inject('redisUrl'), databaseUrl: db.url, kafkaBrokers: [], fleetPrefix: prefix, log: () => undefined },
      { returns: 300, changeEveryMs: 300, changesPerRound: 5, syncEveryMs: 700 },
    );
    const app = createReturnsSyncApp(ReturnsSyncEnv.parse({ ...workerEnv(db.url, prefix, { LOG_LEVEL: 'silent' }), ...demo.env }), { logger: silent });
    cleanups.push(async () => {
      await app.stop();
      await demo.stop();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    });
    expect(demo.env.RETURNS_SOURCE_TABLE).toBe('order_returns');
    await app.start();
    const index = demo.env.ALGOLIA_INDEX_NAME!;
    const emulatorOf = new URL(demo.env.ALGOLIA_HOSTS!).origin;
    const headers = { 'x-algolia-application-id': demo.env.ALGOLIA_APP_ID!, 'x-algolia-api-key': demo.env.ALGOLIA_API_KEY! };
    const indexed = async (): Promise<number> => {
      const response = await fetch(`${emulatorOf}/1/indexes`, { headers });
      const { items } = (await response.json()) as { items: Array<{ name: string; entries: number }> };
      return items.find((item) => item.name === index)?.entries ?? 0;
    };
    await waitUntil('the 300 returns in the index', async () => (await indexed()) === 300, 30_000);
    // a change made after a run arrives with a later run
    const { rows: before } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM order_return_algolia_sync WHERE job_type = 'RETURN_JOB' AND status = 0`);
    await waitUntil('two more successful runs', async () => {
      const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM order_return_algolia_sync WHERE job_type = 'RETURN_JOB' AND status = 0`);
      return Number(rows[0]!.n) >= Number(before[0]!.n) + 2;
    }, 30_000);
    const { rows: changed } = await db.pool.query<{ id: string; status: string }>(
      `SELECT id::text AS id, status FROM order_returns WHERE updated_at > created_at + interval '2 days' ORDER BY updated_at DESC LIMIT 1`,
    );
    expect(changed).toHaveLength(1);
    await waitUntil('the latest change in the index', async () => {
      const response = await fetch(`${emulatorOf}/1/indexes/${index}/${changed[0]!.id}`, { headers });
      return ((await response.json()) as { status?: string }).status === changed[0]!.status;
    }, 30_000);
  });
});
