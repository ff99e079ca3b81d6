// returns-sync end to end: N returns changed in the last minutes in Postgres (`order_returns` of a
// bench database), the Algolia emulator in its own process, the returns-sync worker app as real
// processes (apps/returns-sync/src/main.ts, WORKERS replicas consuming both queues), one
// `returns.sync` run enqueued through BullMQ and timed from the enqueue until the run's job
// completed (claim, keyset planning, every page job read, mapped, saved and its task waited for,
// the run closed in the state table).
//
// Baseline, same run, same database: a bare keyset read of the same rows with `pg` from this
// process (the columns the sync reads, pages of 1000 on (updated_at, id), nothing else: no
// mapping, no Algolia, no jobs). The ratio says how much of the raw read rate the whole sync keeps.
//
// Peak RSS is each worker process's own high-water mark (VmHWM in /proc/<pid>/status), read just
// before it is stopped; the JSON line has the highest. The emulator (which holds the index) and
// this process do not count. The summary also gives the CPU seconds the workers and the emulator
// used, and the load average: these machines share their cores, and the wall time follows the load.
// Rounds (best of each, alternating): 2 up to 300,000 returns, 1 above (a round of a million
// takes long). Between rounds the index is dropped, and the next run's window (last end minus the
// 30-minute overlap) again holds every row.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createAlgoliaClient } from '@syncfleet/algolia';
import { catalogue } from '@syncfleet/jobs';
import { bullPrefix, createFleetQueue, enqueueJob, type RunSummary } from '@syncfleet/runtime';
import { returnColumns } from '../apps/returns-sync/src/domain/return-record.ts';
import { ensureInfra } from '../test/infra/index.ts';
import { createDatabaseFromTemplate, dropDatabase } from '../test/infra/postgres.ts';
import { seedReturns } from '../test/support/returns.ts';
import { deletePrefixKeys } from '../test/infra/redis.ts';
import { benchResult, round, type BenchResult } from './support/result.ts';
import { cpuSecondsOf, memoryOf, startAlgoliaEmulatorProcess, stopChild, type AlgoliaEmulatorProcess } from './support/processes.ts';

const repoRoot = join(import.meta.dirname, '..');
const INDEX = 'order_returns';
const TABLE = 'order_returns';
const PAGE_SIZE = 1000;
/**
 * Worker processes (replicas of the app, each consuming both queues): the page jobs fan out over
 * all of them, as they do over the replicas of the compose processing service. One process is
 * CPU-bound at ~25,000 returns/s (~40 µs of CPU per return: read, map, JSON, HTTP, GC).
 */
const WORKERS = 2;
/** Pages each worker process pushes at once. */
const CONCURRENCY = 4;
/**
 * V8 flags of the worker processes, as the compose services set them (NODE_OPTIONS): the old
 * generation capped at 192 MB (the live heap is ~40 MB plus a few MB per page in flight) so that V8
 * collects instead of growing, and a young generation of 2 x 16 MB instead of 2 x 32 MB. Measured
 * at 200,000: peak RSS ~180 MB with them, ~290 MB without the cap; a 4 MB young generation gives
 * ~155 MB but costs ~40% more CPU (page data survives more scavenges). V8 reads them only at start.
 */
const WORKER_NODE_OPTIONS = '--max-semi-space-size=16 --max-old-space-size=192';

const say = (line: string): void => {
  process.stderr.write(`[returns-sync bench] ${line}\n`);
};

type EmulatorProcess = AlgoliaEmulatorProcess;

function adminClient(emulator: EmulatorProcess) {
  return createAlgoliaClient({ appId: emulator.appId, apiKey: emulator.apiKey, hosts: [emulator.url], timeouts: { connect: 300_000, read: 300_000, write: 300_000 } });
}

/** Records in the index (the emulator's index list counts them). */
async function indexSize(emulator: EmulatorProcess): Promise<number> {
  const { items } = await adminClient(emulator).listIndices();
  return items.find((item) => item.name === INDEX)?.entries ?? 0;
}

async function dropIndex(emulator: EmulatorProcess): Promise<void> {
  const client = adminClient(emulator);
  const deleted = await client.deleteIndex({ indexName: INDEX });
  await client.waitForTask({ indexName: INDEX, taskID: deleted.taskID });
}

/** Every row changed in [from, to): the sync's columns, pages of 1000, keyset on (updated_at, id). Returns the seconds. */
async function bareKeysetRead(databaseUrl: string, from: Date, to: Date, n: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const columns = returnColumns.join(', ');
    const key = `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key_at`;
    const started = performance.now();
    let read = 0;
    let after: { at: string; id: string } | undefined;
    for (;;) {
      const { rows } = after
        ? await client.query<{ key_at: string; id: string }>(
            `SELECT ${columns}, ${key} FROM ${TABLE} WHERE updated_at >= $1 AND updated_at < $2 AND (updated_at, id) > ($4::timestamptz, $5)
             ORDER BY updated_at, id LIMIT $3`,
            [from, to, PAGE_SIZE, after.at, after.id],
          )
        : await client.query<{ key_at: string; id: string }>(
            `SELECT ${columns}, ${key} FROM ${TABLE} WHERE updated_at >= $1 AND updated_at < $2 ORDER BY updated_at, id LIMIT $3`,
            [from, to, PAGE_SIZE],
          );
      read += rows.length;
      if (rows.length < PAGE_SIZE) break;
      const last = rows[rows.length - 1]!;
      after = { at: last.key_at, id: last.id };
    }
    const seconds = (performance.now() - started) / 1000;
    if (read !== n) throw new Error(`the baseline read ${read} rows, not ${n}`);
    return seconds;
  } finally {
    await client.end();
  }
}

interface SyncRun {
  seconds: number;
  summary: RunSummary;
  /** CPU seconds the workers (together) and the emulator used during the run. */
  workerCpu: number;
  emulatorCpu: number;
}

interface BenchFleet {
  pids: number[];
  rssBeforeMb: number[];
  sync(): Promise<SyncRun>;
  stop(): Promise<void>;
}

function startWorkerProcess(emulator: EmulatorProcess, redisUrl: string, databaseUrl: string, prefix: string, id: number) {
  const child = spawn(process.execPath, [join(repoRoot, 'apps/returns-sync/src/main.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: WORKER_NODE_OPTIONS,
      REDIS_URL: redisUrl,
      DATABASE_URL: databaseUrl,
      FLEET_PREFIX: prefix,
      HEALTH_PORT: '0',
      HEALTH_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      WORKER_ID: `bench-${id}`,
      ALGOLIA_APP_ID: emulator.appId,
      ALGOLIA_API_KEY: emulator.apiKey,
      ALGOLIA_HOSTS: emulator.url,
      ALGOLIA_INDEX_NAME: INDEX,
      RETURNS_SOURCE_TABLE: TABLE,
      RETURNS_PAGE_SIZE: String(PAGE_SIZE),
      RETURNS_PROCESSING_CONCURRENCY: String(CONCURRENCY),
    },
  });
  const output: string[] = [];
  const keep = (line: string): void => {
    output.push(line);
    if (output.length > 200) output.shift();
  };
  createInterface({ input: child.stdout }).on('line', keep);
  createInterface({ input: child.stderr }).on('line', keep);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`worker ${id} exited (${code}):\n${output.join('\n')}`))));
  exited.catch(() => undefined);
  const ready = async (): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!output.some((l) => l.includes('"msg":"returns-sync ready"'))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`worker ${id} did not start:\n${output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, ready };
}

/** WORKERS replicas of the worker app, each consuming both queues (the run goes to one, the pages to all). */
async function startFleet(emulator: EmulatorProcess, redisUrl: string, databaseUrl: string, prefix: string): Promise<BenchFleet> {
  const workers = Array.from({ length: WORKERS }, (_, i) => startWorkerProcess(emulator, redisUrl, databaseUrl, prefix, i + 1));
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const events = new QueueEvents('returns-sync', { connection: redis.duplicate(), prefix: bullPrefix(prefix) });
  const queue = createFleetQueue(redis, prefix, 'returns-sync');
  const close = async (): Promise<void> => {
    await Promise.all(workers.map((w) => stopChild(w.child)));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await events.close();
    await redis.quit();
    await deletePrefixKeys(redisUrl, prefix);
  };
  try {
    await Promise.all(workers.map((w) => w.ready()));
    await events.waitUntilReady();
  } catch (error) {
    await close();
    throw error;
  }
  const pids = workers.map((w) => w.child.pid!);
  const cpu = (): number => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  return {
    pids,
    rssBeforeMb: pids.map((pid) => memoryOf(pid).rssKb / 1024),
    async sync() {
      const cpuBefore = { workers: cpu(), emulator: cpuSecondsOf(emulator.child.pid!) };
      const started = performance.now();
      const job = await enqueueJob(queue, catalogue.jobs['returns.sync'], {});
      const summary = (await Promise.race([job.waitUntilFinished(events), ...workers.map((w) => w.exited)])) as RunSummary;
      const seconds = (performance.now() - started) / 1000;
      return { seconds, summary, workerCpu: cpu() - cpuBefore.workers, emulatorCpu: cpuSecondsOf(emulator.child.pid!) - cpuBefore.emulator };
    },
    stop: close,
  };
}

export async function runReturnsSyncBench(n: number): Promise<BenchResult> {
  const infra = await ensureInfra((msg) => say(`[infra] ${msg}`), { kafka: false });
  const dbName = `sf_bench_returns_${process.pid}`;
  const databaseUrl = await createDatabaseFromTemplate(infra.pgAdminUrl, infra.templateDatabase, dbName);
  const prefix = `bench-returns-${process.pid}`;
  const rounds = n <= 300_000 ? 2 : 1;
  let emulator: EmulatorProcess | undefined;
  let fleet: BenchFleet | undefined;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    say(`seeding ${n} returns changed in the last 10 minutes (untimed)...`);
    const seededAt = Date.now();
    const from = new Date(seededAt - 10 * 60_000);
    const to = new Date(seededAt - 1000);
    await seedReturns(pool, TABLE, { firstId: 1, count: n, from, to });
    await pool.query(`VACUUM ANALYZE ${TABLE}`);
    say(`seeded in ${((Date.now() - seededAt) / 1000).toFixed(1)} s; starting the emulator (its own process) and ${WORKERS} worker processes...`);
    emulator = await startAlgoliaEmulatorProcess(['--log-capacity', '2000']);
    fleet = await startFleet(emulator, infra.redisUrl, databaseUrl, prefix);
    const baselineRounds: number[] = [];
    const syncRounds: SyncRun[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      say(`round ${round}: baseline (bare keyset read of the same rows with pg)...`);
      baselineRounds.push(await bareKeysetRead(databaseUrl, from, new Date(seededAt), n));
      if (round > 1) await dropIndex(emulator);
      say(`round ${round}: returns.sync through the worker processes...`);
      const run = await fleet.sync();
      if (run.summary.status !== 'succeeded') throw new Error(`the run did not succeed: ${JSON.stringify(run.summary)}`);
      const rows = run.summary.counts?.rows;
      if (rows !== n) throw new Error(`the run synced ${rows} returns, not ${n}`);
      const indexed = await indexSize(emulator);
      if (indexed !== n) throw new Error(`the index holds ${indexed} records, not ${n}`);
      syncRounds.push(run);
      say(
        `round ${round}: baseline ${baselineRounds.at(-1)!.toFixed(2)} s, sync ${run.seconds.toFixed(2)} s (${run.summary.counts?.pages} pages; ` +
          `CPU: workers ${run.workerCpu.toFixed(1)} s, emulator ${run.emulatorCpu.toFixed(1)} s; load average ${loadavg()[0]!.toFixed(1)})`,
      );
    }
    const peaks = fleet.pids.map((pid) => memoryOf(pid).hwmKb / 1024);
    const peakRssMb = Math.max(...peaks);
    const rssBeforeMb = fleet.rssBeforeMb;
    await fleet.stop();
    fleet = undefined;

    const best = syncRounds.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const baselineSeconds = Math.min(...baselineRounds);
    const perSec = n / best.seconds;
    const baselinePerSec = n / baselineSeconds;
    const list = (xs: number[]) => xs.map((x) => round(x, 2)).join(' / ');
    process.stdout.write(
      [
        `returns-sync bench: ${n} changed returns, Postgres -> emulator (its own process), ${WORKERS} worker processes (both queues, ${CONCURRENCY} pages at once each, ${PAGE_SIZE}/page, NODE_OPTIONS=${WORKER_NODE_OPTIONS}); best of ${rounds}`,
        `  baseline (bare keyset read with pg, ${PAGE_SIZE}/page): ${round(baselineSeconds, 2)} s  ${round(baselinePerSec)} returns/s  (${list(baselineRounds)} s)`,
        `  returns.sync (claim, plan, ${best.summary.counts?.pages} page jobs: read, map, save, task waited for; run closed): ${round(best.seconds, 2)} s  ${round(perSec)} returns/s  (${list(syncRounds.map((r) => r.seconds))} s)`,
        `  ratio ${round(perSec / baselinePerSec, 3)}; ${round(perSec)} returns/s (goal >= 30,000)`,
        `  CPU of the best run: workers ${round(best.workerCpu, 2)} s (${round((best.workerCpu * 1e6) / n)} µs/return), emulator ${round(best.emulatorCpu, 2)} s (${round((best.emulatorCpu * 1e6) / n)} µs/return); ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
        `  worker peak RSS ${round(peakRssMb)} MB, the highest of ${peaks.map((p) => round(p)).join(' / ')} MB (VmHWM per process; goal < 300 MB at 1,000,000), ${rssBeforeMb.map((r) => round(r)).join(' / ')} MB idle before`,
        '',
      ].join('\n'),
    );
    return benchResult('returns-sync', n, best.seconds, baselineSeconds, peakRssMb);
  } finally {
    await fleet?.stop();
    if (emulator) await stopChild(emulator.child);
    await pool.end();
    await dropDatabase(infra.pgAdminUrl, dbName);
    await infra.stopWhatWeStarted();
  }
}
