// dispo-patcher end to end: the worker as a real process (apps/dispo-patcher/src/main.ts) against
// the Algolia emulator (the real algoliasearch client on both sides), real Redis and Postgres, and
// the Teams webhook emulator. A reindex is what production does: build `offers_tmp`, move it onto
// `offers`; the next dispo.check finds the move in the logs and patches.
import type { Job, Queue } from 'bullmq';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { createAlgoliaClient, type AlgoliaClient } from '@syncfleet/algolia';
import { catalogue } from '@syncfleet/jobs';
import { createFleetQueue, enqueueJob, type RunSummary } from '@syncfleet/runtime';
import { customerDispoOf } from '../apps/dispo-patcher/src/customer-dispo.ts';
import { startDispoPatcherDemo } from './demo/dispo-patcher.ts';
import { generateOffers, startAlgoliaEmulator, type AlgoliaEmulator, type AlgoliaRecord } from './emulators/algolia.ts';
import { startTeamsEmulator, type TeamsEmulator } from './emulators/teams.ts';
import { deletePrefixKeys, testPrefix, useRedis, useTestDatabase, waitUntil, workerEnv } from './support/fixtures.ts';
import { assertNoLeftoverProcesses, startAppProcess, stopAppProcess, type AppProcess } from './support/processes.ts';

const entry = 'apps/dispo-patcher/src/main.ts';
const INDEX = 'offers';
const TMP = 'offers_tmp';
const BATCH_ROUTE = 'POST /1/indexes/:index/batch';
const BROWSE_ROUTE = 'POST /1/indexes/:index/browse';
const db = useTestDatabase();
const redis = useRedis();
afterEach(() => assertNoLeftoverProcesses());

interface Setup {
  prefix: string;
  emulator: AlgoliaEmulator;
  client: AlgoliaClient;
  queue: Queue;
  teams?: TeamsEmulator;
  workers: AppProcess[];
}

/** Everything a test needs, released in reverse order whatever happens. */
async function withSetup(options: { teams?: boolean; taskDelayMs?: number }, body: (setup: Setup) => Promise<void>): Promise<void> {
  const prefix = testPrefix();
  const emulator = await startAlgoliaEmulator(options.taskDelayMs === undefined ? {} : { taskDelayMs: options.taskDelayMs });
  const teams = options.teams ? await startTeamsEmulator() : undefined;
  const setup: Setup = {
    prefix,
    emulator,
    client: createAlgoliaClient({ appId: emulator.appId, apiKey: emulator.apiKey, hosts: [emulator.url] }),
    queue: createFleetQueue(redis, prefix, 'dispo-patcher'),
    workers: [],
    ...(teams ? { teams } : {}),
  };
  try {
    await body(setup);
  } finally {
    await Promise.all(setup.workers.map((w) => stopAppProcess(w, 'SIGKILL')));
    await setup.queue.close();
    await teams?.close();
    await emulator.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  }
}

async function startWorker(setup: Setup, extra: Record<string, string> = {}): Promise<AppProcess> {
  const worker = startAppProcess(
    entry,
    workerEnv(db.url, setup.prefix, {
      ALGOLIA_APP_ID: setup.emulator.appId,
      ALGOLIA_API_KEY: setup.emulator.apiKey,
      ALGOLIA_INDEX_NAME: INDEX,
      ALGOLIA_HOSTS: setup.emulator.url,
      ...(setup.teams ? { TEAMS_WEBHOOK_URL: setup.teams.url } : {}),
      ...extra,
    }),
  );
  setup.workers.push(worker);
  await worker.waitForLog((line) => line.msg === 'dispo-patcher ready');
  return worker;
}

/** A reindex as production does it: the offers rebuilt into the tmp index, which is moved onto the master. */
async function reindex(setup: Setup, n: number, seed: number): Promise<AlgoliaRecord[]> {
  const offers = [...generateOffers(n, seed)] as unknown as AlgoliaRecord[];
  await setup.client.saveObjects({ indexName: TMP, objects: offers, waitForTasks: true });
  const moved = await setup.client.operationIndex({ indexName: TMP, operationIndexParams: { operation: 'move', destination: INDEX } });
  await setup.client.waitForTask({ indexName: TMP, taskID: moved.taskID });
  return offers;
}

/** The job once it completed (or failed, when `orFailed`), read again after its state says so (return value included). */
async function finishedJob(queue: Queue, id: string, timeoutMs = 30_000, orFailed = true): Promise<Job> {
  await waitUntil(
    `job ${id} to finish`,
    async () => {
      const state = await queue.getJobState(id);
      return state === 'completed' || (orFailed && state === 'failed');
    },
    timeoutMs,
  );
  return (await queue.getJob(id))!;
}

async function runJob(setup: Setup, name: 'dispo.check' | 'dispo.patch', payload: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Job> {
  const job = await enqueueJob(setup.queue, catalogue.jobs[name], payload);
  return finishedJob(setup.queue, job.id!, timeoutMs);
}

const summaryOf = (job: Job): RunSummary => job.returnvalue as RunSummary;
const writes = (setup: Setup): number => setup.emulator.counters.writtenByIndex[INDEX] ?? 0;
const calls = (setup: Setup, route: string): number => setup.emulator.counters.requestsByRoute[route] ?? 0;

/** Offers whose customerDispo is not what the rule says. */
function wrongOffers(records: readonly AlgoliaRecord[]): AlgoliaRecord[] {
  return records.filter((record) => (record.customerDispo ?? null) !== customerDispoOf(record));
}

async function watermarkOf(prefix: string, key = 'watermark'): Promise<{ movedAt: string; logSha1s: string[] } | undefined> {
  const { rows } = await db.pool.query<{ value: { movedAt: string; logSha1s: string[] } }>(
    `SELECT value FROM sync_state WHERE fleet = $1 AND sync = 'dispo-patcher' AND key = $2`,
    [prefix, key],
  );
  return rows[0]?.value;
}

function moveLogEntry(emulator: AlgoliaEmulator) {
  const entry = emulator.logs.entries({ type: 'build', indexName: TMP }).find((e) => e.url === `/1/indexes/${TMP}/operation`);
  if (!entry) throw new Error('no move in the emulator logs');
  return entry;
}

function factsOf(card: unknown): Record<string, string> {
  const sections = (card as { sections?: Array<{ facts?: Array<{ name: string; value: string }> }> }).sections ?? [];
  return Object.fromEntries((sections[0]?.facts ?? []).map((fact) => [fact.name, fact.value]));
}

describe('dispo.check after a reindex', () => {
  test("algoliasearch's replaceAllObjects (its temporary index has a random suffix, offers_tmp_123456) is a reindex too", async () => {
    await withSetup({}, async (setup) => {
      await startWorker(setup);
      const offers = [...generateOffers(400, 21)] as unknown as AlgoliaRecord[];
      expect(wrongOffers(offers).length).toBeGreaterThan(0);
      await setup.client.replaceAllObjects({ indexName: INDEX, objects: offers, batchSize: 1000 });
      const patched = await runJob(setup, 'dispo.check');
      expect(summaryOf(patched)).toMatchObject({ status: 'succeeded', counts: { scanned: 400, moves: 1 } });
      expect(wrongOffers(setup.emulator.indices.all(INDEX))).toEqual([]);
    });
  });

  test('a move logged but not applied yet (Algolia applies it when its task is published): the check waits for it, then patches the new index', async () => {
    await withSetup({ taskDelayMs: 800 }, async (setup) => {
      await startWorker(setup);
      // a first reindex, patched: the master holds right offers
      await reindex(setup, 300, 23);
      expect(summaryOf(await runJob(setup, 'dispo.check'))).toMatchObject({ status: 'succeeded', counts: { moves: 1 } });
      const offers = [...generateOffers(300, 22)] as unknown as AlgoliaRecord[];
      await setup.client.saveObjects({ indexName: TMP, objects: offers, waitForTasks: true });
      // the next reindexer does not wait for its move: the check runs while the old master is still there
      await setup.client.operationIndex({ indexName: TMP, operationIndexParams: { operation: 'move', destination: INDEX } });
      expect(wrongOffers(setup.emulator.indices.all(INDEX))).toEqual([]);
      const patched = await runJob(setup, 'dispo.check');
      expect(summaryOf(patched)).toMatchObject({ status: 'succeeded', counts: { scanned: 300, changed: wrongOffers(offers).length, moves: 1 } });
      expect(wrongOffers(setup.emulator.indices.all(INDEX))).toEqual([]);
    });
  });

  test('patches every offer that needs it (and only those), moves the watermark, posts one card; no new move or nothing changed: zero writes', async () => {
    await withSetup({ teams: true }, async (setup) => {
      const worker = await startWorker(setup);

      // nothing in the logs yet: a skipped run, no browse, no write
      const idle = await runJob(setup, 'dispo.check');
      expect(summaryOf(idle)).toMatchObject({ status: 'skipped', reason: `no move of ${TMP} onto ${INDEX} in the logs` });
      expect(calls(setup, BROWSE_ROUTE)).toBe(0);

      const offers = await reindex(setup, 2500, 11);
      const wrong = wrongOffers(offers);
      expect(wrong.length).toBeGreaterThan(1000); // the feed has many offers to patch...
      expect(wrong.length).toBeLessThan(offers.length); // ...and some already right
      const writesBefore = writes(setup);

      // a dry run asked by the payload: counts, writes nothing, moves no watermark, posts no card
      const dry = await runJob(setup, 'dispo.patch', { dryRun: true });
      expect(summaryOf(dry)).toMatchObject({ status: 'succeeded', counts: { scanned: 2500, changed: wrong.length, written: 0 } });
      expect(writes(setup)).toBe(writesBefore);
      expect(await watermarkOf(setup.prefix)).toBeUndefined();

      const patched = await runJob(setup, 'dispo.check');
      expect(summaryOf(patched)).toMatchObject({
        status: 'succeeded',
        counts: { scanned: 2500, changed: wrong.length, written: wrong.length, batches: Math.ceil(wrong.length / 1000), moves: 1 },
      });
      expect(writes(setup) - writesBefore).toBe(wrong.length);
      const after = setup.emulator.indices.all(INDEX);
      expect(after).toHaveLength(2500);
      expect(wrongOffers(after)).toEqual([]);
      // nothing but customerDispo changed
      const byId = new Map(offers.map((offer) => [offer.objectID, offer]));
      for (const record of after) {
        const { customerDispo: _now, ...rest } = record;
        const { customerDispo: _before, ...original } = byId.get(record.objectID)!;
        expect(rest).toEqual(original);
      }
      const move = moveLogEntry(setup.emulator);
      expect(await watermarkOf(setup.prefix)).toEqual({ movedAt: new Date(move.timestamp).toISOString(), logSha1s: [move.sha1] });

      await waitUntil('the completion card', () => setup.teams!.received.length >= 1);
      const card = setup.teams!.received[0]!.body as { title: string };
      expect(card.title).toBe(`dispo-patcher: ${wrong.length} of 2500 offers patched on ${INDEX}`);
      expect(factsOf(card)).toMatchObject({ Index: INDEX, 'Offers scanned': '2500', 'Offers changed': String(wrong.length), Job: 'dispo.check' });
      expect(factsOf(card).Duration).toMatch(/^\d+\.\d s$/);

      // no new move: skipped, not even a browse
      const writesAfter = writes(setup);
      const browsesAfter = calls(setup, BROWSE_ROUTE);
      const again = await runJob(setup, 'dispo.check');
      expect(summaryOf(again)).toMatchObject({ status: 'skipped' });
      expect(summaryOf(again).reason).toContain(`since ${new Date(move.timestamp).toISOString()}`);
      expect(writes(setup)).toBe(writesAfter);
      expect(calls(setup, BROWSE_ROUTE)).toBe(browsesAfter);

      // a full patch with nothing to change: every offer read, no batch sent
      const batchesBefore = calls(setup, BATCH_ROUTE);
      const full = await runJob(setup, 'dispo.patch', { reason: 'check the index' });
      expect(summaryOf(full)).toMatchObject({ status: 'succeeded', counts: { scanned: 2500, changed: 0, written: 0, batches: 0 } });
      expect(writes(setup)).toBe(writesAfter);
      expect(calls(setup, BATCH_ROUTE)).toBe(batchesBefore);

      await waitUntil('the second card', () => setup.teams!.received.length >= 2);
      expect(factsOf(setup.teams!.received[1]!.body)).toMatchObject({ 'Offers changed': '0', Trigger: 'full patch (dispo.patch): check the index' });
      expect((await stopAppProcess(worker)).code).toBe(0);
      expect(setup.teams!.received).toHaveLength(2);

      // the ledger has every run, the dry one marked as such
      const { rows } = await db.pool.query<{ job_name: string; status: string; dry_run: boolean }>(
        `SELECT job_name, status, dry_run FROM run_ledger WHERE fleet = $1 ORDER BY started_at`,
        [setup.prefix],
      );
      expect(rows).toEqual([
        { job_name: 'dispo.check', status: 'skipped', dry_run: false },
        { job_name: 'dispo.patch', status: 'succeeded', dry_run: true },
        { job_name: 'dispo.check', status: 'succeeded', dry_run: false },
        { job_name: 'dispo.check', status: 'skipped', dry_run: false },
        { job_name: 'dispo.patch', status: 'succeeded', dry_run: false },
      ]);
      // neither the API key nor the webhook URL reaches the logs
      expect(worker.output()).not.toContain(setup.emulator.apiKey);
      expect(worker.output()).not.toContain(new URL(setup.teams!.url).pathname);
    });
  });
});

describe('deletes during a patch', () => {
  test('an offer deleted while the patch runs is not re-created', async () => {
    await withSetup({}, async (setup) => {
      setup.emulator.indices.put(INDEX, generateOffers(3000, 21));
      const wrong = wrongOffers(setup.emulator.indices.all(INDEX));
      const victim = wrong[0]!.objectID; // in the first batch sent
      const worker = await startWorker(setup);
      // batches are held 1 s before they are applied: the delete lands in between
      setup.emulator.inject({ latencyMs: 1000, onlyPaths: /\/batch$/ });
      const job = enqueueJob(setup.queue, catalogue.jobs['dispo.patch'], {});
      await waitUntil('the first batch to reach Algolia', () => calls(setup, BATCH_ROUTE) >= 1, 20_000, 5);
      expect(setup.emulator.indices.remove(INDEX, victim)).toBe(true);
      const done = await finishedJob(setup.queue, (await job).id!, 30_000, false);
      expect(summaryOf(done)).toMatchObject({ status: 'succeeded', counts: { scanned: 3000, changed: wrong.length, written: wrong.length } });
      expect(setup.emulator.indices.get(INDEX, victim)).toBeUndefined();
      expect(setup.emulator.indices.size(INDEX)).toBe(2999);
      expect(wrongOffers(setup.emulator.indices.all(INDEX))).toEqual([]);
      expect(writes(setup)).toBe(wrong.length - 1);
      expect((await stopAppProcess(worker)).code).toBe(0);
    });
  });
});

describe('Algolia failures', () => {
  test('a share of 5xx and 429 with Retry-After: retried, and the patch completes', async () => {
    await withSetup({}, async (setup) => {
      setup.emulator.indices.put(INDEX, generateOffers(3000, 31));
      const wrong = wrongOffers(setup.emulator.indices.all(INDEX));
      const worker = await startWorker(setup);
      setup.emulator.inject({ errorRate: 0.3, rateLimitEvery: 4, retryAfterSeconds: 1, onlyPaths: /\/(browse|batch)$|\/task\// });
      const job = await runJob(setup, 'dispo.patch');
      expect(summaryOf(job)).toMatchObject({ status: 'succeeded', counts: { scanned: 3000, changed: wrong.length, written: wrong.length } });
      expect(setup.emulator.counters.injectedErrors).toBeGreaterThan(0);
      expect(setup.emulator.counters.injectedRateLimits).toBeGreaterThan(0);
      expect(wrongOffers(setup.emulator.indices.all(INDEX))).toEqual([]);
      expect((await stopAppProcess(worker)).code).toBe(0);
    });
  });

  test('Algolia down for longer than the call retries: the job fails its attempt, BullMQ retries it, it completes', async () => {
    await withSetup({}, async (setup) => {
      setup.emulator.indices.put(INDEX, generateOffers(2000, 41));
      const worker = await startWorker(setup);
      setup.emulator.inject({ errorRate: 1, onlyPaths: /\/browse$/ });
      const pending = enqueueJob(setup.queue, catalogue.jobs['dispo.patch'], {});
      const failed = await worker.waitForLog((line) => line.msg === 'run failed', 30_000);
      expect(failed).toMatchObject({ jobName: 'dispo.patch', attempt: 1, final: false });
      setup.emulator.inject(null);
      const done = await finishedJob(setup.queue, (await pending).id!, 30_000, false);
      expect(done.attemptsMade).toBe(2);
      expect(wrongOffers(setup.emulator.indices.all(INDEX))).toEqual([]);
      expect((await stopAppProcess(worker)).code).toBe(0);
    });
  });

  test('a refused API key fails at once, for good: one red card, and the key is not in the logs', async () => {
    await withSetup({ teams: true }, async (setup) => {
      setup.emulator.indices.put(INDEX, generateOffers(10, 1));
      const wrongKey = 'not-the-right-key-0123456789';
      const worker = await startWorker(setup, { ALGOLIA_API_KEY: wrongKey });
      const job = await runJob(setup, 'dispo.patch');
      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      await waitUntil('the failure card', () => setup.teams!.received.length >= 1);
      const card = setup.teams!.received[0]!.body as { title: string; themeColor: string; sections: Array<{ text: string }> };
      expect(card.title).toBe('dispo.patch failed');
      expect(card.sections[0]!.text).toContain('HTTP 403');
      expect((await stopAppProcess(worker)).code).toBe(0);
      expect(setup.teams!.received).toHaveLength(1);
      expect(worker.output()).toContain('run failed');
      expect(worker.output()).not.toContain(wrongKey);
    });
  });
});

describe('crash', () => {
  test('kill -9 in the middle of a patch, then a restart: the patch completes, every offer written once, the watermark moves only then', async () => {
    await withSetup({}, async (setup) => {
      const offers = await reindex(setup, 6000, 51);
      const wrong = wrongOffers(offers);
      const batchesNeeded = Math.ceil(wrong.length / 1000);
      expect(batchesNeeded).toBeGreaterThanOrEqual(4);
      const writesBefore = writes(setup);
      const fast = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000', DISPO_MAX_IN_FLIGHT: '1' };
      const doomed = await startWorker(setup, { ...fast, WORKER_ID: 'doomed' });
      setup.emulator.inject({ latencyMs: 500, onlyPaths: /\/batch$/ });
      const batchesBefore = calls(setup, BATCH_ROUTE); // the reindex's own
      const job = await enqueueJob(setup.queue, catalogue.jobs['dispo.check'], {});
      await waitUntil('the second batch of the patch to reach Algolia', () => calls(setup, BATCH_ROUTE) >= batchesBefore + 2, 30_000, 5);
      doomed.child.kill('SIGKILL');
      expect((await doomed.exited).signal).toBe('SIGKILL');
      setup.emulator.inject(null);
      await new Promise((resolve) => setTimeout(resolve, 800)); // the batch in flight is applied (or not) by now

      const midway = wrongOffers(setup.emulator.indices.all(INDEX)).length;
      expect(midway).toBeGreaterThan(0);
      expect(midway).toBeLessThan(wrong.length);
      expect(await watermarkOf(setup.prefix)).toBeUndefined();

      const rescuer = await startWorker(setup, { ...fast, WORKER_ID: 'rescuer' });
      const done = await finishedJob(setup.queue, job.id!, 40_000, false);
      expect(summaryOf(done)).toMatchObject({ status: 'succeeded', counts: { scanned: 6000, changed: midway, written: midway, moves: 1 } });
      expect(wrongOffers(setup.emulator.indices.all(INDEX))).toEqual([]);
      expect(writes(setup) - writesBefore).toBe(wrong.length);
      const move = moveLogEntry(setup.emulator);
      expect(await watermarkOf(setup.prefix)).toEqual({ movedAt: new Date(move.timestamp).toISOString(), logSha1s: [move.sha1] });
      expect((await stopAppProcess(rescuer)).code).toBe(0);
    });
  });
});

describe('dry run', () => {
  test('DISPO_DRY_RUN: the check computes and reports, writes nothing, keeps the watermark; DISPO_DRY_RUN_NOTIFY posts one test card per reindex', async () => {
    await withSetup({ teams: true }, async (setup) => {
      const offers = await reindex(setup, 1500, 61);
      const wrong = wrongOffers(offers);
      const writesBefore = writes(setup);
      const batchesBefore = calls(setup, BATCH_ROUTE);
      const worker = await startWorker(setup, { DISPO_DRY_RUN: 'true', DISPO_DRY_RUN_NOTIFY: 'true' });
      const job = await runJob(setup, 'dispo.check');
      expect(summaryOf(job)).toMatchObject({ status: 'succeeded', counts: { scanned: 1500, changed: wrong.length, written: 0, moves: 1 } });
      expect((summaryOf(job).result as { dryRun: boolean }).dryRun).toBe(true);
      expect(writes(setup)).toBe(writesBefore);
      expect(calls(setup, BATCH_ROUTE)).toBe(batchesBefore);
      expect(wrongOffers(setup.emulator.indices.all(INDEX))).toHaveLength(wrong.length);
      expect(await watermarkOf(setup.prefix)).toBeUndefined();

      // the next tick sees the same move: dry runs keep a watermark of their own, so no second report
      const move = moveLogEntry(setup.emulator);
      expect(await watermarkOf(setup.prefix, 'watermark:dryRun')).toEqual({ movedAt: new Date(move.timestamp).toISOString(), logSha1s: [move.sha1] });
      expect(summaryOf(await runJob(setup, 'dispo.check'))).toMatchObject({ status: 'skipped' });

      await waitUntil('the test card', () => setup.teams!.received.length >= 1);
      expect((await stopAppProcess(worker)).code).toBe(0);
      expect(setup.teams!.received).toHaveLength(1);
      expect(await watermarkOf(setup.prefix)).toBeUndefined();
      const card = setup.teams!.received[0]!.body as { title: string };
      expect(card.title).toBe('Test notification from dispo.check');
      expect(factsOf(card)).toMatchObject({ Index: INDEX, 'Offers scanned': '1500', 'Offers that would change': String(wrong.length) });
      const { rows } = await db.pool.query<{ status: string; dry_run: boolean }>(`SELECT status, dry_run FROM run_ledger WHERE fleet = $1 ORDER BY started_at`, [setup.prefix]);
      expect(rows).toEqual([
        { status: 'succeeded', dry_run: true },
        { status: 'skipped', dry_run: true },
      ]);
    });
  });
});

describe('demo', () => {
  test("the demo's setup (emulator with offers, a reindex) makes the worker patch on its next dispo.check", async () => {
    const prefix = testPrefix();
    const messages: string[] = [];
    const demo = await startDispoPatcherDemo(
      { redisUrl: inject('redisUrl'), databaseUrl: db.url, kafkaBrokers: [], fleetPrefix: prefix, log: (msg) => messages.push(msg) },
      { offers: 1200, reindexEveryMs: 0 },
    );
    const queue = createFleetQueue(redis, prefix, 'dispo-patcher');
    const worker = startAppProcess(entry, workerEnv(db.url, prefix, demo.env));
    try {
      expect(messages.join('\n')).toContain('reindex #1');
      expect(demo.links[0]?.[0]).toBe('algolia emulator');
      await worker.waitForLog((line) => line.msg === 'dispo-patcher ready');
      const job = await enqueueJob(queue, catalogue.jobs['dispo.check'], {});
      const done = await finishedJob(queue, job.id!, 30_000, false);
      expect(summaryOf(done)).toMatchObject({ status: 'succeeded', counts: { scanned: 1200, moves: 1 } });
      expect(summaryOf(done).counts?.written).toBeGreaterThan(0);
      expect((await stopAppProcess(worker)).code).toBe(0);
    } finally {
      await stopAppProcess(worker, 'SIGKILL');
      await queue.close();
      await demo.stop();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });
});
