// No-op jobs through a worker app built with the runtime (payload parsing, run ledger through the
// Redis outbox into Postgres, metrics, logging to a file) against a bare BullMQ worker on the same
// Redis, both at concurrency 1. The runtime's time runs until every run's ledger row is in Postgres.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';
import { defineCatalogue } from '@syncfleet/jobs';
import { createLogger, logDestination } from '@syncfleet/log';
import { bullPrefix, createWorkerApp, jobOptionsFor, WorkerEnv } from '@syncfleet/runtime';
import { ensureInfra } from '../test/infra/index.ts';
import { createDatabaseFromTemplate, dropDatabase } from '../test/infra/postgres.ts';
import { benchResult, round, type BenchResult } from './support/result.ts';

const benchCatalogue = defineCatalogue(
  { bench: { sync: 'bench', singleton: true, concurrency: 1 } },
  {
    'bench.noop': {
      sync: 'bench',
      queue: 'bench',
      kind: 'manual',
      description: 'does nothing',
      payload: z.object({ i: z.number().int() }).strict(),
      overlap: 'bufferOne',
      attempts: 3,
      backoff: { type: 'fixed', delay: 100 },
      dryRun: false,
    },
  },
);
const jobOptions = jobOptionsFor(benchCatalogue.jobs['bench.noop']);

async function fill(redis: Redis, prefix: string, n: number): Promise<void> {
  const queue = new Queue('bench', { connection: redis, prefix: bullPrefix(prefix) });
  for (let i = 0; i < n; i += 1000) {
    const size = Math.min(1000, n - i);
    await queue.addBulk(Array.from({ length: size }, (_, k) => ({ name: 'bench.noop', data: { i: i + k }, opts: jobOptions })));
  }
  await queue.close();
}

async function clean(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

async function bareWorker(redis: Redis, redisUrl: string, n: number): Promise<number> {
  const prefix = `bench-bare-${process.pid}`;
  await fill(redis, prefix, n);
  let done = 0;
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const started = performance.now();
  const worker = new Worker('bench', async () => undefined, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix: bullPrefix(prefix),
    concurrency: 1,
  });
  worker.on('completed', () => {
    done += 1;
    if (done === n) allDone();
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await clean(redis, prefix);
  return seconds;
}

async function runtimeWorker(redis: Redis, redisUrl: string, databaseUrl: string, n: number): Promise<number> {
  const prefix = `bench-runtime-${process.pid}`;
  await fill(redis, prefix, n);
  const logFile = join(tmpdir(), `syncfleet-bench-${process.pid}.log`);
  const config = WorkerEnv.parse({
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    FLEET_PREFIX: prefix,
    HEALTH_PORT: '0',
    HEALTH_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  const app = createWorkerApp({
    appName: 'bench',
    catalogue: benchCatalogue,
    queue: 'bench',
    config,
    logger: createLogger({ name: 'bench', level: 'info', destination: logDestination(logFile) }),
    handlers: { 'bench.noop': async () => ({ counts: { noop: 1 } }) },
  });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const queue = new Queue('bench', { connection: redis, prefix: bullPrefix(prefix) });
  const started = performance.now();
  await app.start();
  // cheap polls while the jobs run (Redis), then until every ledger row is in Postgres
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'active');
    if ((counts.wait ?? 0) + (counts.active ?? 0) === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  for (;;) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM run_ledger WHERE status = 'succeeded'`);
    if (Number(rows[0]!.n) >= n) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  await app.stop();
  await queue.close();
  await pool.end();
  await clean(redis, prefix);
  return seconds;
}

export async function runRuntimeBench(n: number): Promise<BenchResult> {
  const infra = await ensureInfra((msg) => process.stderr.write(`[infra] ${msg}\n`), { kafka: false });
  const dbName = `sf_bench_${process.pid}`;
  const databaseUrl = await createDatabaseFromTemplate(infra.pgAdminUrl, infra.templateDatabase, dbName);
  const redis = new Redis(infra.redisUrl);
  const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    // warm-up (JIT, connections), not measured; then two rounds of each, alternating, best of each:
    // these machines share their cores, and a single round swings by 15%.
    await bareWorker(redis, infra.redisUrl, Math.min(500, n));
    const baselineRounds: number[] = [];
    const runtimeRounds: number[] = [];
    for (let round = 0; round < 2; round++) {
      baselineRounds.push(await bareWorker(redis, infra.redisUrl, n));
      await db.query('TRUNCATE run_ledger');
      runtimeRounds.push(await runtimeWorker(redis, infra.redisUrl, databaseUrl, n));
    }
    const baselineSeconds = Math.min(...baselineRounds);
    const seconds = Math.min(...runtimeRounds);
    const perSec = n / seconds;
    const baselinePerSec = n / baselineSeconds;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(
      [
        `runtime bench: ${n} no-op jobs, concurrency 1, same Redis (${infra.redisUrl.replace(/\/\/[^@]*@/, '//')})`,
        `  bare BullMQ worker:  ${round(baselineSeconds, 2)} s  ${round(baselinePerSec)} jobs/s  (best of ${baselineRounds.map((s) => round(s, 2)).join(' / ')} s)`,
        `  runtime worker app:  ${round(seconds, 2)} s  ${round(perSec)} jobs/s  (best of ${runtimeRounds.map((s) => round(s, 2)).join(' / ')} s; until every ledger row is in Postgres)`,
        `  ratio ${round(perSec / baselinePerSec, 3)} (goal >= 0.7), peak RSS ${round(peakRssMb)} MB`,
        '',
      ].join('\n'),
    );
    return benchResult('runtime', n, seconds, baselineSeconds, peakRssMb);
  } finally {
    redis.disconnect();
    await db.end();
    await dropDatabase(infra.pgAdminUrl, dbName);
    await infra.stopWhatWeStarted();
  }
}
