// arena-ingest: N realistic Arena messages (a tenth gjennomføringer, the rest deltakere created and
// then modified, some unsupported or EKSTERN, persons recurring) are produced to the real broker;
// then the arena-ingest app runs as its own process (as in production: person lookups over HTTP to
// the emulator, every message stored and processed in Postgres, AMT messages published and
// acknowledged) and is measured from its first received message until the consumer group's
// committed offsets reach the end of every topic. The baseline is a bare kafkajs consumer (eachBatch,
// no work) reading the same messages in the same run, measured the same way. Peak RSS is the app
// process's high-water mark (VmHWM).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { createIdempotentProducer, createKafka, createTopics, type Admin } from '@syncfleet/kafka';
import { startArenaPersonEmulator } from '../test/emulators/arena-person.ts';
import { ensureInfra } from '../test/infra/index.ts';
import { createDatabaseFromTemplate, dropDatabase } from '../test/infra/postgres.ts';
import { deletePrefixKeys } from '../test/infra/redis.ts';
import { freePort } from '../test/infra/process.ts';
import { generateArenaTraffic } from '../test/support/arena-fixtures.ts';
import { benchResult, round, type BenchResult } from './support/result.ts';
import { cpuSecondsOf, peakRssMbOf } from './support/processes.ts';

const repoRoot = join(import.meta.dirname, '..');
const PARTITIONS = 3;
/**
 * The V8 limits the arena-ingest service runs with (docker-compose): a small young generation and
 * a bounded old space make V8 collect before it grows the heap (the live heap stays under ~60 MB;
 * without them V8 keeps 400+ MB of pages). BENCH_NODE_OPTIONS replaces them.
 */
const APP_NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? '--max-semi-space-size=8 --max-old-space-size=160';

async function committedAll(admin: Admin, groupId: string, topics: string[], high: Map<string, string>): Promise<boolean> {
  for (const topic of topics) {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const p of offsets?.partitions ?? []) {
      const end = high.get(`${topic}:${p.partition}`) ?? '0';
      if (end !== '0' && p.offset !== end) return false;
    }
    if ((offsets?.partitions.length ?? 0) === 0) return false;
  }
  return true;
}

/** Polls until the group has committed the end of every partition; resolves with that moment (ms). */
async function waitCommitted(admin: Admin, groupId: string, topics: string[], high: Map<string, string>, timeoutMs: number, failed?: () => string | undefined): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await committedAll(admin, groupId, topics, high)) return Date.now();
    const problem = failed?.();
    if (problem) throw new Error(problem);
    if (Date.now() > deadline) throw new Error(`group ${groupId} did not commit every offset within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runArenaIngestBench(n: number): Promise<BenchResult> {
  const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
  const infra = await ensureInfra((msg) => process.stderr.write(`[infra] ${msg}\n`));
  const run = randomBytes(4).toString('hex');
  const dbName = `sf_bench_arena_${run}`;
  const databaseUrl = await createDatabaseFromTemplate(infra.pgAdminUrl, infra.templateDatabase, dbName);
  const topics = { gjennomforing: `bench-arena-gj-${run}`, deltaker: `bench-arena-de-${run}`, hist: `bench-arena-hist-${run}`, amt: `bench-amt-${run}` };
  const arenaTopics = [topics.gjennomforing, topics.deltaker, topics.hist];
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `bench-${run}` });
  const admin = kafka.admin();
  const producer = createIdempotentProducer(kafka);
  const persons = await startArenaPersonEmulator();
  const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const groups = [`bench-bare-${run}`, `bench-arena-${run}`];
  let child: ReturnType<typeof spawn> | undefined;
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    await createTopics(
      admin,
      Object.values(topics).map((topic) => ({ topic, numPartitions: topic === topics.hist ? 1 : PARTITIONS })),
    );
    const traffic = generateArenaTraffic(n, { seed: 7 });
    const started = performance.now();
    for (let i = 0; i < traffic.length; i += 2000) {
      const slice = traffic.slice(i, i + 2000);
      await producer.send({ topic: topics.gjennomforing, acks: -1, messages: slice.filter((m) => m.topic === 'gjennomforing') });
      await producer.send({ topic: topics.deltaker, acks: -1, messages: slice.filter((m) => m.topic === 'deltaker') });
    }
    log(`produced ${n} messages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const high = new Map<string, string>();
    for (const topic of arenaTopics) for (const p of await admin.fetchTopicOffsets(topic)) high.set(`${topic}:${p.partition}`, p.high);

    // baseline: a bare kafkajs consumer group, no work per message
    const bare = kafka.consumer({ groupId: groups[0]!, maxWaitTimeInMs: 100 });
    await bare.connect();
    await bare.subscribe({ topics: arenaTopics, fromBeginning: true });
    let bareFirst: number | undefined;
    let bareCount = 0;
    await bare.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) => {
        bareFirst ??= Date.now();
        bareCount += batch.messages.length;
        await Promise.resolve();
      },
    });
    const bareEnd = await waitCommitted(admin, groups[0]!, arenaTopics, high, 300_000);
    await bare.disconnect();
    const baselineSeconds = (bareEnd - bareFirst!) / 1000;
    log(`bare consumer: ${bareCount} messages in ${baselineSeconds.toFixed(2)} s`);

    // the arena-ingest app as its own process
    const healthPort = await freePort();
    let output = '';
    child = spawn(process.execPath, [join(repoRoot, 'apps/arena-ingest/src/main.ts')], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: `--disable-warning=TimeoutNegativeWarning ${APP_NODE_OPTIONS}`,
        REDIS_URL: infra.redisUrl,
        DATABASE_URL: databaseUrl,
        FLEET_PREFIX: `bench-arena-${run}`,
        HEALTH_PORT: String(healthPort),
        HEALTH_HOST: '127.0.0.1',
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        KAFKA_GROUP_ID: groups[1]!,
        ARENA_TOPIC_GJENNOMFORING: topics.gjennomforing,
        ARENA_TOPIC_DELTAKER: topics.deltaker,
        ARENA_TOPIC_HIST_DELTAKER: topics.hist,
        AMT_TOPIC: topics.amt,
        ARENA_PERSON_LOOKUP_URL: persons.url,
        // tuning experiments: BENCH_APP_ENV='{"ARENA_CHUNK_SIZE":"2000"}' adds to (or overrides) the app's env
        ...(JSON.parse(process.env.BENCH_APP_ENV ?? '{}') as Record<string, string>),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = child;
    app.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    app.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let exited: string | undefined;
    app.on('exit', (code, signal) => (exited = `arena-ingest exited (${code ?? signal}):\n${output.slice(-3000)}`));
    // CPU used by start-up (imports, connections, group join), left out of the per-message figure
    let startupCpu = 0;
    const startedWatch = setInterval(() => {
      // once the app has exited its /proc entry is gone: waitCommitted reports why it exited
      if (exited === undefined && !output.includes('"msg":"first messages received"')) startupCpu = cpuSecondsOf(app.pid!);
    }, 5);
    const appEnd = await waitCommitted(admin, groups[1]!, arenaTopics, high, 900_000, () => exited);
    const peakRssMb = peakRssMbOf(app.pid!);
    clearInterval(startedWatch);
    const appCpuSeconds = cpuSecondsOf(app.pid!) - startupCpu;
    const first = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; time?: string })
      .find((l) => l.msg === 'first messages received');
    if (!first?.time) throw new Error(`no 'first messages received' line:\n${output.slice(-2000)}`);
    const seconds = (appEnd - Date.parse(first.time)) / 1000;
    const { rows } = await db.query<{ status: string; n: string }>('SELECT ingest_status AS status, count(*) AS n FROM arena_data GROUP BY 1 ORDER BY 1');
    const stored = rows.reduce((sum, r) => sum + Number(r.n), 0);
    if (stored !== n) throw new Error(`expected ${n} rows in arena_data, found ${stored}`);
    const published = (await admin.fetchTopicOffsets(topics.amt)).reduce((sum, p) => sum + Number(p.high), 0);
    if (process.env.BENCH_APP_LOG) (await import('node:fs')).writeFileSync(process.env.BENCH_APP_LOG, output);
    app.kill('SIGTERM');
    await new Promise((resolve) => app.once('exit', resolve));
    child = undefined;

    const perSec = n / seconds;
    const baselinePerSec = n / baselineSeconds;
    process.stdout.write(
      [
        `arena-ingest bench: ${n} Arena messages (${traffic.filter((m) => m.topic === 'gjennomforing').length} gjennomføringer), ${PARTITIONS} partitions per topic, broker ${infra.kafkaBrokers.join(',')}`,
        `  bare kafkajs consumer: ${round(baselineSeconds, 2)} s  ${round(baselinePerSec)} msg/s  (first message -> last offset committed)`,
        `  arena-ingest app:      ${round(seconds, 2)} s  ${round(perSec)} msg/s  (same; every message stored, processed, ${published} AMT messages acknowledged, ${persons.requested.length} person lookups over HTTP; node ${APP_NODE_OPTIONS || '(default V8 limits)'})`,
        `  statuses: ${rows.map((r) => `${r.status} ${r.n}`).join(', ')}`,
        `  ratio ${round(perSec / baselinePerSec, 3)}, app peak RSS ${round(peakRssMb)} MB, app CPU after start-up ${round(appCpuSeconds, 1)} s (${round((appCpuSeconds * 1e6) / n)} µs/message) (goals: >= 10000 msg/s, < 300 MB)`,
        '',
      ].join('\n'),
    );
    return benchResult('arena-ingest', n, seconds, baselineSeconds, peakRssMb);
  } finally {
    child?.kill('SIGKILL');
    await producer.disconnect().catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await persons.close();
    await db.end();
    await dropDatabase(infra.pgAdminUrl, dbName);
    await deletePrefixKeys(infra.redisUrl, `bench-arena-${run}`);
    await infra.stopWhatWeStarted();
  }
}
