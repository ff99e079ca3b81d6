// slot-sync end to end: N shifts in the When I Work emulator (its own process), the schema registry
// emulator (its own process), real Redis and Kafka, and the slot-sync worker as a real process
// (apps/slot-sync/src/main.ts). A first `slots.sync` publishes all N (the initial load, reported but
// not the figure); then, each round, 10% of the shifts change in WIW and one `slots.sync` is timed
// from its enqueue to its completion: every shift fetched, parsed, hashed and diffed against the
// cache, the changed 10% encoded to Avro, published (acks all) and cached.
//
// Baseline, same run, same Redis: the bare pipelined read of the same N cache keys (GET, in chunks
// of 5000 like the worker's), from this process: no HTTP, no parsing, no hashing, no Kafka.
//
// Peak RSS is the worker process's own high-water mark (VmHWM in /proc/<pid>/status) over its whole
// life (the initial load included), read just before it is stopped; the emulators and this process
// do not count. Five rounds, alternating with the baseline, best of each: these machines share their
// two cores with Redis, Kafka and the emulators, and one round of the same work takes from 1.9 to
// 2.9 s depending on what else runs; the summary also prints every round and their median.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { catalogue } from '@syncfleet/jobs';
import { createKafka, createTopics } from '@syncfleet/kafka';
import { bullPrefix, createFleetQueue, enqueueJob, type RunSummary } from '@syncfleet/runtime';
import { ensureInfra } from '../test/infra/index.ts';
import { createDatabaseFromTemplate, dropDatabase } from '../test/infra/postgres.ts';
import { benchResult, round, type BenchResult } from './support/result.ts';
import { cpuSecondsOf, peakRssMbOf, startJsonLineChild, stopChild } from './support/processes.ts';

const repoRoot = join(import.meta.dirname, '..');
const ROUNDS = 5;
const CHANGED_SHARE = 0.1;
const READ_CHUNK = 5000;

const say = (line: string): void => {
  process.stderr.write(`[slot-sync bench] ${line}\n`);
};

/** The bare pipelined read of the same keys, in the worker's chunks. */
async function bareRead(redis: Redis, keys: string[]): Promise<number> {
  const started = performance.now();
  let found = 0;
  for (let i = 0; i < keys.length; i += READ_CHUNK) {
    const pipeline = redis.pipeline();
    for (let k = i; k < Math.min(keys.length, i + READ_CHUNK); k++) pipeline.get(keys[k]!);
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      if (value !== null) found += 1;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (found !== keys.length) throw new Error(`baseline read ${found} of ${keys.length} keys`);
  return seconds;
}

export async function runSlotSyncBench(n: number): Promise<BenchResult> {
  const infra = await ensureInfra((msg) => say(`[infra] ${msg}`));
  const run = randomBytes(4).toString('hex');
  const dbName = `sf_bench_slots_${run}`;
  const prefix = `bench-slots-${run}`;
  const cachePrefix = `${prefix}:slot:`;
  const topic = `bench-slots-${run}`;
  const databaseUrl = await createDatabaseFromTemplate(infra.pgAdminUrl, infra.templateDatabase, dbName);
  const redis = new Redis(infra.redisUrl);
  const kafkaAdmin = createKafka({ brokers: infra.kafkaBrokers, clientId: 'slot-sync-bench' }).admin();
  await kafkaAdmin.connect();
  await createTopics(kafkaAdmin, [{ topic, numPartitions: 3 }]);
  const children: ChildProcess[] = [];
  let queueEvents: QueueEvents | undefined;
  const queue = createFleetQueue(redis, prefix, 'slot-sync');
  try {
    // every shift starts today (local time in its location): all of them overlap the default window
    say(`generating ${n} shifts in the WIW emulator`);
    const wiw = await startJsonLineChild('test/emulators/wiw.ts', ['--port', '0', '--shifts', String(n), '--seed', '42', '--from-day', '0', '--days', '1'], {
      NODE_OPTIONS: '--max-old-space-size=4096',
    });
    children.push(wiw.child);
    const registry = await startJsonLineChild('test/emulators/schema-registry.ts', ['--port', '0']);
    children.push(registry.child);
    const wiwUrl = String(wiw.info.url);
    const wiwToken = String(wiw.info.token);

    const worker = spawn(process.execPath, [join(repoRoot, 'apps/slot-sync/src/main.ts')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        // as deployed (docker-compose.yml): a young generation of at most 16 MB per semi-space keeps
        // the worker's RSS bounded at the same CPU cost (V8 grows it to 64 MB otherwise). An explicit
        // old space of 1.5 GB (instead of V8's default, sized from the machine's memory: 4 GB here)
        // keeps the worker's peak RSS at 250-275 MB instead of 340-375 MB. Measured on the 100k run:
        // 2 GB and more, rounds of 1.6 s but 350+ MB; 1 GB, 235-265 MB but rounds of 1.9-2.3 s;
        // 128-512 MB, 215-230 MB but rounds of 2.1-2.9 s (V8 collects the old space far more often).
        NODE_OPTIONS: `--disable-warning=TimeoutNegativeWarning --max-semi-space-size=16 --max-old-space-size=1536 ${process.env.SLOT_BENCH_WORKER_NODE_OPTIONS ?? ''}`,
        REDIS_URL: infra.redisUrl,
        DATABASE_URL: databaseUrl,
        FLEET_PREFIX: prefix,
        HEALTH_PORT: '0',
        HEALTH_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        WIW_KEY: wiwToken,
        WIW_API_URL: wiwUrl,
        SLOT_CACHE_PREFIX: cachePrefix,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        KAFKA_TOPIC_NAME: topic,
        AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL: String(registry.info.url),
      },
    });
    children.push(worker);
    let workerOutput = '';
    worker.stdout.on('data', (chunk: Buffer) => (workerOutput = (workerOutput + chunk.toString()).slice(-20_000)));
    worker.stderr.on('data', (chunk: Buffer) => (workerOutput = (workerOutput + chunk.toString()).slice(-20_000)));

    queueEvents = new QueueEvents('slot-sync', { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix: bullPrefix(prefix) });
    await queueEvents.waitUntilReady();
    const sync = async (): Promise<{ seconds: number; summary: RunSummary }> => {
      const started = performance.now();
      const job = await enqueueJob(queue, catalogue.jobs['slots.sync'], {});
      try {
        const summary = (await job.waitUntilFinished(queueEvents!, 600_000)) as RunSummary;
        return { seconds: (performance.now() - started) / 1000, summary };
      } catch (error) {
        throw new Error(`slots.sync failed: ${error instanceof Error ? error.message : String(error)}\n--- worker output (tail) ---\n${workerOutput.slice(-4000)}`, { cause: error });
      }
    };
    const touch = async (count: number, seed: number): Promise<void> => {
      const response = await fetch(`${wiwUrl}/_emulator/shifts/touch`, {
        method: 'POST',
        headers: { 'W-Token': wiwToken, 'content-type': 'application/json' },
        body: JSON.stringify({ count, seed }),
      });
      if (!response.ok) throw new Error(`touch: HTTP ${response.status}`);
      await response.body?.cancel();
    };

    const initial = await sync();
    const counts = initial.summary.counts ?? {};
    if (counts.published !== n) throw new Error(`the initial load published ${counts.published} of ${n} shifts: ${JSON.stringify(counts)}`);
    const peakAfterInitial = peakRssMbOf(worker.pid!);
    say(`initial load: ${n} shifts published in ${initial.seconds.toFixed(2)} s (${Math.round(n / initial.seconds)} shifts/s); worker VmHWM ${peakAfterInitial.toFixed(0)} MB`);
    const keys = (await redis.zrange(`${cachePrefix}index`, 0, '-1')).map((id) => `${cachePrefix}${id}`);
    if (keys.length !== n) throw new Error(`the cache index holds ${keys.length} of ${n} shifts`);

    await bareRead(redis, keys); // warm-up, not measured
    const changed = Math.round(n * CHANGED_SHARE);
    const syncRounds: number[] = [];
    const baselineRounds: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      baselineRounds.push(await bareRead(redis, keys));
      await touch(changed, round);
      const cpuBefore = cpuSecondsOf(worker.pid!);
      const measured = await sync();
      const workerCpu = cpuSecondsOf(worker.pid!) - cpuBefore;
      const c = measured.summary.counts ?? {};
      if (c.fetched !== n || c.changed !== changed || c.published !== changed || c.unchanged !== n - changed) {
        throw new Error(`round ${round}: unexpected counts ${JSON.stringify(c)} (expected ${changed} changed of ${n})`);
      }
      syncRounds.push(measured.seconds);
      say(`round ${round}: ${n} shifts diffed, ${changed} published in ${measured.seconds.toFixed(2)} s (worker CPU ${workerCpu.toFixed(2)} s); bare read ${baselineRounds.at(-1)!.toFixed(3)} s`);
    }
    const peak = peakRssMbOf(worker.pid!);
    const code = await stopChild(worker);
    if (code !== 0) throw new Error(`the worker exited with ${code}:\n${workerOutput.slice(-4000)}`);

    const seconds = Math.min(...syncRounds);
    const median = [...syncRounds].sort((a, b) => a - b)[Math.floor(syncRounds.length / 2)]!;
    const baselineSeconds = Math.min(...baselineRounds);
    const perSec = n / seconds;
    const baselinePerSec = n / baselineSeconds;
    process.stdout.write(
      [
        `slot-sync bench: ${n} shifts in the window, ${changed} (${CHANGED_SHARE * 100}%) changed since the previous run; Avro via the registry emulator; Kafka ${infra.kafkaBrokers.join(',')}`,
        `  initial load:        ${round(initial.seconds, 2)} s  ${round(n / initial.seconds)} shifts/s (all ${n} published; not the figure)`,
        `  slots.sync:          ${round(seconds, 2)} s  ${round(perSec)} shifts/s diffed, ${changed} published (best of ${syncRounds.map((s) => round(s, 2)).join(' / ')} s; enqueue to completion)`,
        `                       median ${round(median, 2)} s  ${round(n / median)} shifts/s`,
        `  bare pipelined read: ${round(baselineSeconds, 3)} s  ${round(baselinePerSec)} keys/s (best of ${baselineRounds.map((s) => round(s, 3)).join(' / ')} s)`,
        `  ratio ${round(perSec / baselinePerSec, 3)}; goals: >= 50000 shifts/s (${perSec >= 50_000 ? 'met' : 'NOT met'}), peak RSS < 300 MB (worker VmHWM ${round(peak)} MB: ${peak < 300 ? 'met' : 'NOT met'})`,
        '',
      ].join('\n'),
    );
    return benchResult('slot-sync', n, seconds, baselineSeconds, peak);
  } finally {
    await queueEvents?.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    for (const child of children.reverse()) await stopChild(child);
    await kafkaAdmin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await kafkaAdmin.disconnect();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${cachePrefix}*`, 'COUNT', 5000);
      cursor = next;
      if (found.length) await redis.del(...found);
    } while (cursor !== '0');
    cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 5000);
      cursor = next;
      if (found.length) await redis.del(...found);
    } while (cursor !== '0');
    redis.disconnect();
    await dropDatabase(infra.pgAdminUrl, dbName);
    await infra.stopWhatWeStarted();
  }
}
