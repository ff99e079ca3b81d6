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
// before it is stopped; the emulator (which holds the index) and this process do not count.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { createAlgoliaClient, sendBatches, type AlgoliaRecordInput } from '@syncfleet/algolia';
import { catalogue } from '@syncfleet/jobs';
import { bullPrefix, createFleetQueue, enqueueJob, type RunSummary } from '@syncfleet/runtime';
import { ensureInfra } from '../test/infra/index.ts';
import { createDatabaseFromTemplate, dropDatabase } from '../test/infra/postgres.ts';
import type { BenchResult } from './run.ts';

const repoRoot = join(import.meta.dirname, '..');
const INDEX = 'offers';
const BASELINE_INDEX = 'offers_baseline';
const SEED = 1;

interface EmulatorProcess {
  child: ChildProcess;
  url: string;
  appId: string;
  apiKey: string;
}

const say = (line: string): void => {
  process.stderr.write(`[dispo-patcher bench] ${line}\n`);
};

/** The emulator in a process of its own, seeded with `n` offers (the demo's generator, seed 1). */
async function startEmulator(n: number): Promise<EmulatorProcess> {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'test/emulators/algolia.ts'), '--port', '0', '--seed-offers', String(n), '--index', INDEX, '--seed', String(SEED), '--log-capacity', '2000'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=8192' } },
  );
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before it listened`)));
  });
  lines.close();
  const { url, appId, apiKey } = JSON.parse(first) as { url: string; appId: string; apiKey: string };
  return { child, url, appId, apiKey };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function emulatorCounters(emulator: EmulatorProcess): Promise<{ writtenByIndex: Record<string, number>; requestsByRoute: Record<string, number> }> {
  const response = await fetch(`${emulator.url}/_emulator/counters`, {
    headers: { 'x-algolia-application-id': emulator.appId, 'x-algolia-api-key': emulator.apiKey },
  });
  return (await response.json()) as { writtenByIndex: Record<string, number>; requestsByRoute: Record<string, number> };
}

/** The objectIDs the generator gives offer i (see test/emulators/algolia/offers.ts). */
function* offerIds(n: number): Generator<string> {
  for (let i = 0; i < n; i += 1) yield `offer-${String(i + 1).padStart(7, '0')}`;
}

/** Bare batch calls of N partial updates on a copy of the offers; returns the seconds they took. */
async function baseline(emulator: EmulatorProcess, n: number): Promise<number> {
  const client = createAlgoliaClient({ appId: emulator.appId, apiKey: emulator.apiKey, hosts: [emulator.url], timeouts: { write: 120_000, read: 120_000 } });
  const copied = await client.operationIndex({ indexName: INDEX, operationIndexParams: { operation: 'copy', destination: BASELINE_INDEX } });
  await client.waitForTask({ indexName: INDEX, taskID: copied.taskID });
  const updates: AlgoliaRecordInput[] = Array.from(offerIds(n), (objectID) => ({ objectID, customerDispo: 'baseline' }));
  const before = (await emulatorCounters(emulator)).writtenByIndex[BASELINE_INDEX] ?? 0;
  const started = performance.now();
  await sendBatches(client, BASELINE_INDEX, 'partialUpdateObjectNoCreate', updates, { batchSize: 1000, maxInFlight: 4, waitForTask: true });
  const seconds = (performance.now() - started) / 1000;
  const written = ((await emulatorCounters(emulator)).writtenByIndex[BASELINE_INDEX] ?? 0) - before;
  // a wrong objectID would be dropped (NoCreate) and make the baseline look fast: refuse that
  if (written !== n) throw new Error(`baseline wrote ${written} records, not ${n}: the offers' objectIDs are not what the bench expects`);
  const deleted = await client.deleteIndex({ indexName: BASELINE_INDEX });
  await client.waitForTask({ indexName: BASELINE_INDEX, taskID: deleted.taskID });
  return seconds;
}

function memoryOf(pid: number): { hwmKb: number; rssKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { hwmKb: field('VmHWM'), rssKb: field('VmRSS') };
}

interface WorkerRun {
  seconds: number;
  summary: RunSummary;
  peakRssMb: number;
  /** Highest VmRSS seen while the patch ran (sampled every 100 ms). */
  sampledPeakRssMb: number;
  rssBeforeMb: number;
}

async function runWorkerPatch(emulator: EmulatorProcess, redisUrl: string, databaseUrl: string, prefix: string): Promise<WorkerRun> {
  const worker = spawn(process.execPath, [join(repoRoot, 'apps/dispo-patcher/src/main.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
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
  try {
    await ready;
    await events.waitUntilReady();
    const pid = worker.pid!;
    const rssBeforeMb = memoryOf(pid).rssKb / 1024;
    let sampledPeakKb = 0;
    const sampler = setInterval(() => {
      sampledPeakKb = Math.max(sampledPeakKb, memoryOf(pid).rssKb);
    }, 100);
    const started = performance.now();
    const job = await enqueueJob(queue, catalogue.jobs['dispo.patch'], { reason: 'benchmark' });
    let summary: RunSummary;
    try {
      summary = (await job.waitUntilFinished(events)) as RunSummary;
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const peakRssMb = memoryOf(pid).hwmKb / 1024;
    return { seconds, summary, peakRssMb, sampledPeakRssMb: sampledPeakKb / 1024, rssBeforeMb };
  } finally {
    await stopChild(worker);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await events.close();
    await redis.quit();
    await cleanKeys(redisUrl, prefix);
  }
}

async function cleanKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function runDispoPatcherBench(n: number): Promise<BenchResult> {
  const infra = await ensureInfra((msg) => say(`[infra] ${msg}`), { kafka: false });
  const dbName = `sf_bench_dispo_${process.pid}`;
  const databaseUrl = await createDatabaseFromTemplate(infra.pgAdminUrl, infra.templateDatabase, dbName);
  const prefix = `bench-dispo-${process.pid}`;
  let emulator: EmulatorProcess | undefined;
  try {
    say(`seeding ${n} offers into the emulator (its own process)...`);
    emulator = await startEmulator(n);
    say('baseline: bare batch calls of the same partial updates...');
    const baselineSeconds = await baseline(emulator, n);
    say(`baseline: ${baselineSeconds.toFixed(2)} s`);
    const writesBefore = (await emulatorCounters(emulator)).writtenByIndex[INDEX] ?? 0;
    say('patch: dispo.patch through the worker process...');
    const run = await runWorkerPatch(emulator, infra.redisUrl, databaseUrl, prefix);
    const counters = await emulatorCounters(emulator);
    const written = (counters.writtenByIndex[INDEX] ?? 0) - writesBefore;
    if (run.summary.status !== 'succeeded') throw new Error(`the patch did not succeed: ${JSON.stringify(run.summary)}`);
    const counts = run.summary.counts ?? {};
    if (counts.scanned !== n) throw new Error(`the patch scanned ${counts.scanned} offers, not ${n}`);
    if (written !== counts.changed) throw new Error(`the emulator counted ${written} writes, the patch ${counts.changed} changes`);

    const perSec = n / run.seconds;
    const baselinePerSec = n / baselineSeconds;
    const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    process.stdout.write(
      [
        `dispo-patcher bench: ${n} offers, emulator in its own process (${emulator.url}), worker as a real process`,
        `  baseline (bare batch calls, ${n} partial updates, 1000/batch, 4 in flight): ${round(baselineSeconds, 2)} s  ${round(baselinePerSec)} records/s`,
        `  patch (dispo.patch: browse ${n}, rule, ${counts.changed} partial updates in ${counts.batches} batches, last task waited for): ${round(run.seconds, 2)} s  ${round(perSec)} offers/s`,
        `  ratio ${round(perSec / baselinePerSec, 3)} (goal >= 0.5); ${round(perSec)} offers/s (goal >= 50,000; the seed: 5,000 in under a minute, ~83/s)`,
        `  worker peak RSS ${round(run.peakRssMb)} MB (VmHWM; goal < 300 MB at 1,000,000), ${round(run.sampledPeakRssMb)} MB sampled during the patch, ${round(run.rssBeforeMb)} MB idle before`,
        '',
      ].join('\n'),
    );
    return {
      bench: 'dispo-patcher',
      n,
      seconds: round(run.seconds, 3),
      perSec: round(perSec),
      baselinePerSec: round(baselinePerSec),
      ratio: round(perSec / baselinePerSec, 3),
      peakRssMb: round(run.peakRssMb),
    };
  } finally {
    if (emulator) await stopChild(emulator.child);
    await dropDatabase(infra.pgAdminUrl, dbName);
    await infra.stopWhatWeStarted();
  }
}
