// dispo-patcher end to end: N offers in the Algolia emulator (its own process), the dispo-patcher
// worker as a real process (apps/dispo-patcher/src/main.ts) running one full patch (`dispo.patch`)
// enqueued through BullMQ, timed from the enqueue to the job's completion (the last task waited for).
//
// Baseline, same run, same emulator: the emulator's raw batch-ingest rate, i.e. bare batch calls
// (the same partial updates, `partialUpdateObjectNoCreate` of `customerDispo`, on a copy of the
// same N offers, batches of 1000, 4 in flight, last task waited for), sent from this process:
// no browse, no rule, no queue. The ratio says how much of the emulator's write rate the whole
// patch keeps while it also reads every offer.
//
// Peak RSS is the worker process's own high-water mark (VmHWM in /proc/<pid>/status), read just
// before it is stopped; the emulator (which holds the index) and this process do not count. The
// worker runs with the heap cap its docker-compose service sets (WORKER_NODE_OPTIONS): the patch's
// live heap stays under ~60 MB, but without a cap V8 lets the heap grow lazily with the garbage of
// the pages and batches (anywhere from 190 to 345 MB of RSS at a million offers, depending on the
// machine's load); the cap makes it collect sooner.
//
// The emulator keeps the seeded offers in `offers_pristine`; every round copies them (untimed) to
// `offers_baseline` for the baseline, then to `offers` for the patch, so both always start from
// the same state. Two rounds, alternating, best of each: these machines share their cores.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { createAlgoliaClient, sendBatches, type AlgoliaRecordInput } from '@syncfleet/algolia';
import { catalogue } from '@syncfleet/jobs';
import { bullPrefix, createFleetQueue, enqueueJob, type RunSummary } from '@syncfleet/runtime';
import { ensureInfra } from '../test/infra/index.ts';
import { createDatabaseFromTemplate, dropDatabase } from '../test/infra/postgres.ts';
import { deletePrefixKeys } from '../test/infra/redis.ts';
import { benchResult, round, type BenchResult } from './support/result.ts';
import { cpuSecondsOf, memoryOf, startAlgoliaEmulatorProcess, stopChild, type AlgoliaEmulatorProcess } from './support/processes.ts';

const repoRoot = join(import.meta.dirname, '..');
const INDEX = 'offers';
const PRISTINE_INDEX = 'offers_pristine';
const BASELINE_INDEX = 'offers_baseline';
const SEED = 1;
const ROUNDS = 2;
/** What docker-compose gives the dispo-patcher service (NODE_OPTIONS). */
const WORKER_NODE_OPTIONS = '--max-old-space-size=160';

type EmulatorProcess = AlgoliaEmulatorProcess;

const say = (line: string): void => {
  process.stderr.write(`[dispo-patcher bench] ${line}\n`);
};

async function emulatorCounters(emulator: EmulatorProcess): Promise<{ writtenByIndex: Record<string, number> }> {
  const response = await fetch(`${emulator.url}/_emulator/counters`, {
    headers: { 'x-algolia-application-id': emulator.appId, 'x-algolia-api-key': emulator.apiKey },
  });
  return (await response.json()) as { writtenByIndex: Record<string, number> };
}

const writtenTo = async (emulator: EmulatorProcess, index: string): Promise<number> => (await emulatorCounters(emulator)).writtenByIndex[index] ?? 0;

/**
 * For the untimed set-up calls (copies of a million records take seconds): algoliasearch's
 * "connect" timeout runs until the response headers arrive, so it must cover the whole call.
 */
function adminClient(emulator: EmulatorProcess) {
  return createAlgoliaClient({ appId: emulator.appId, apiKey: emulator.apiKey, hosts: [emulator.url], timeouts: { connect: 300_000, read: 300_000, write: 300_000 } });
}

/** Replaces `to` with a copy of the pristine offers (untimed). */
async function resetIndex(emulator: EmulatorProcess, to: string): Promise<void> {
  const client = adminClient(emulator);
  const copied = await client.operationIndex({ indexName: PRISTINE_INDEX, operationIndexParams: { operation: 'copy', destination: to } });
  await client.waitForTask({ indexName: PRISTINE_INDEX, taskID: copied.taskID });
}

async function dropIndex(emulator: EmulatorProcess, index: string): Promise<void> {
  const client = adminClient(emulator);
  const deleted = await client.deleteIndex({ indexName: index });
  await client.waitForTask({ indexName: index, taskID: deleted.taskID });
}

/** The objectIDs the generator gives offer i (see test/emulators/algolia/offers.ts). */
function* offerIds(n: number): Generator<string> {
  for (let i = 0; i < n; i += 1) yield `offer-${String(i + 1).padStart(7, '0')}`;
}

/** Bare batch calls of N partial updates on a copy of the offers, with the worker's client settings; the seconds they took. */
async function baseline(emulator: EmulatorProcess, n: number): Promise<number> {
  await resetIndex(emulator, BASELINE_INDEX);
  const client = createAlgoliaClient({ appId: emulator.appId, apiKey: emulator.apiKey, hosts: [emulator.url] });
  const updates: AlgoliaRecordInput[] = Array.from(offerIds(n), (objectID) => ({ objectID, customerDispo: 'baseline' }));
  const before = await writtenTo(emulator, BASELINE_INDEX);
  const started = performance.now();
  await sendBatches(client, BASELINE_INDEX, 'partialUpdateObjectNoCreate', updates, { batchSize: 1000, maxInFlight: 4, waitForTask: true });
  const seconds = (performance.now() - started) / 1000;
  const written = (await writtenTo(emulator, BASELINE_INDEX)) - before;
  // a wrong objectID would be dropped (NoCreate) and make the baseline look fast: refuse that
  if (written !== n) throw new Error(`baseline wrote ${written} records, not ${n}: the offers' objectIDs are not what the bench expects`);
  await dropIndex(emulator, BASELINE_INDEX);
  return seconds;
}

interface PatchRun {
  seconds: number;
  summary: RunSummary;
  /** Records the emulator counted as written to the offers index. */
  written: number;
  /** CPU seconds the worker and the emulator used during the patch. */
  workerCpu: number;
  emulatorCpu: number;
}

interface BenchWorker {
  pid: number;
  rssBeforeMb: number;
  /** Highest VmRSS sampled (every 100 ms) so far. */
  sampledPeakRssMb(): number;
  patch(): Promise<PatchRun>;
  stop(): Promise<void>;
}

/** The dispo-patcher worker as a real process; `patch()` enqueues one dispo.patch and times it to completion. */
async function startWorker(emulator: EmulatorProcess, redisUrl: string, databaseUrl: string, prefix: string): Promise<BenchWorker> {
  const worker = spawn(process.execPath, [join(repoRoot, 'apps/dispo-patcher/src/main.ts')], {
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
      ALGOLIA_APP_ID: emulator.appId,
      ALGOLIA_API_KEY: emulator.apiKey,
      ALGOLIA_INDEX_NAME: INDEX,
      ALGOLIA_HOSTS: emulator.url,
    },
  });
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: worker.stdout });
    lines.on('line', (line) => {
      output.push(line);
      if (output.length > 200) output.shift();
      if (line.includes('"msg":"dispo-patcher ready"')) resolve();
      if (line.includes('"msg":"patch progress"')) {
        const progress = JSON.parse(line) as { scanned: number; changed: number };
        say(`  worker: ${progress.scanned} scanned, ${progress.changed} changed`);
      }
    });
    worker.once('exit', (code) => reject(new Error(`the worker exited (${code}):\n${output.join('\n')}`)));
  });
  worker.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const events = new QueueEvents('dispo-patcher', { connection: redis.duplicate(), prefix: bullPrefix(prefix) });
  const queue = createFleetQueue(redis, prefix, 'dispo-patcher');
  const close = async (): Promise<void> => {
    await stopChild(worker, 15_000);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await events.close();
    await redis.quit();
    await deletePrefixKeys(redisUrl, prefix);
  };
  try {
    await ready;
    await events.waitUntilReady();
  } catch (error) {
    await close();
    throw error;
  }
  const pid = worker.pid!;
  const rssBeforeMb = memoryOf(pid).rssKb / 1024;
  let sampledPeakKb = 0;
  const sampler = setInterval(() => {
    sampledPeakKb = Math.max(sampledPeakKb, memoryOf(pid).rssKb);
  }, 100);
  return {
    pid,
    rssBeforeMb,
    sampledPeakRssMb: () => sampledPeakKb / 1024,
    async patch() {
      const before = await writtenTo(emulator, INDEX);
      const cpuBefore = { worker: cpuSecondsOf(pid), emulator: cpuSecondsOf(emulator.child.pid!) };
      const started = performance.now();
      const job = await enqueueJob(queue, catalogue.jobs['dispo.patch'], { reason: 'benchmark' });
      const summary = (await job.waitUntilFinished(events)) as RunSummary;
      const seconds = (performance.now() - started) / 1000;
      const workerCpu = cpuSecondsOf(pid) - cpuBefore.worker;
      const emulatorCpu = cpuSecondsOf(emulator.child.pid!) - cpuBefore.emulator;
      return { seconds, summary, written: (await writtenTo(emulator, INDEX)) - before, workerCpu, emulatorCpu };
    },
    async stop() {
      clearInterval(sampler);
      await close();
    },
  };
}

export async function runDispoPatcherBench(n: number): Promise<BenchResult> {
  const infra = await ensureInfra((msg) => say(`[infra] ${msg}`), { kafka: false });
  const dbName = `sf_bench_dispo_${process.pid}`;
  const databaseUrl = await createDatabaseFromTemplate(infra.pgAdminUrl, infra.templateDatabase, dbName);
  const prefix = `bench-dispo-${process.pid}`;
  let emulator: EmulatorProcess | undefined;
  let worker: BenchWorker | undefined;
  try {
    say(`seeding ${n} offers into the emulator (its own process)...`);
    emulator = await startAlgoliaEmulatorProcess(['--seed-offers', String(n), '--index', PRISTINE_INDEX, '--seed', String(SEED), '--log-capacity', '2000']);
    worker = await startWorker(emulator, infra.redisUrl, databaseUrl, prefix);
    const baselineRounds: number[] = [];
    const patchRounds: PatchRun[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      say(`round ${round}: baseline (bare batch calls of the same partial updates)...`);
      baselineRounds.push(await baseline(emulator, n));
      await resetIndex(emulator, INDEX);
      say(`round ${round}: dispo.patch through the worker process...`);
      const run = await worker.patch();
      const counts = run.summary.counts ?? {};
      if (run.summary.status !== 'succeeded') throw new Error(`the patch did not succeed: ${JSON.stringify(run.summary)}`);
      if (counts.scanned !== n) throw new Error(`the patch scanned ${counts.scanned} offers, not ${n}`);
      if (run.written !== counts.changed) throw new Error(`the emulator counted ${run.written} writes, the patch ${counts.changed} changes`);
      patchRounds.push(run);
      say(`round ${round}: baseline ${baselineRounds.at(-1)!.toFixed(2)} s, patch ${run.seconds.toFixed(2)} s`);
    }
    const sampledPeakRssMb = worker.sampledPeakRssMb();
    const peakRssMb = memoryOf(worker.pid).hwmKb / 1024;
    const rssBeforeMb = worker.rssBeforeMb;
    await worker.stop();
    worker = undefined;

    const best = patchRounds.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const counts = best.summary.counts ?? {};
    const baselineSeconds = Math.min(...baselineRounds);
    const perSec = n / best.seconds;
    const baselinePerSec = n / baselineSeconds;
    const list = (xs: number[]) => xs.map((x) => round(x, 2)).join(' / ');
    process.stdout.write(
      [
        `dispo-patcher bench: ${n} offers, emulator in its own process, worker as a real process; best of ${ROUNDS} rounds each`,
        `  baseline (bare batch calls, ${n} partial updates, 1000/batch, 4 in flight): ${round(baselineSeconds, 2)} s  ${round(baselinePerSec)} records/s  (${list(baselineRounds)} s)`,
        `  patch (dispo.patch: browse ${n}, rule, ${counts.changed} partial updates in ${counts.batches} batches, last task waited for): ${round(best.seconds, 2)} s  ${round(perSec)} offers/s  (${list(patchRounds.map((r) => r.seconds))} s)`,
        `  CPU during the best patch: worker ${round(best.workerCpu, 2)} s, emulator ${round(best.emulatorCpu, 2)} s (machine load average ${loadavg().map((l) => round(l, 2)).join(' ')})`,
        `  ratio ${round(perSec / baselinePerSec, 3)} (goal >= 0.5); ${round(perSec)} offers/s (goal >= 50,000; the seed: 5,000 in under a minute, ~83/s)`,
        `  worker peak RSS ${round(peakRssMb)} MB (VmHWM over both rounds, NODE_OPTIONS=${WORKER_NODE_OPTIONS}; goal < 300 MB at 1,000,000), ${round(sampledPeakRssMb)} MB highest sample, ${round(rssBeforeMb)} MB idle before`,
        '',
      ].join('\n'),
    );
    return benchResult('dispo-patcher', n, best.seconds, baselineSeconds, peakRssMb);
  } finally {
    await worker?.stop();
    if (emulator) await stopChild(emulator.child, 15_000);
    await dropDatabase(infra.pgAdminUrl, dbName);
    await infra.stopWhatWeStarted();
  }
}
