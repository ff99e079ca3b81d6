// slot-sync end to end: the worker app (in-process) against real Redis, Postgres and Kafka, the When
// I Work emulator and the schema registry emulator; messages read back with a consumer and decoded
// through the registry with a client of their own. Each test: its own fleet prefix (queues and
// cache keys), its own topic (3 partitions), its own WIW data.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { catalogue } from '@syncfleet/jobs';
import { createKafka, createTopics, type Admin } from '@syncfleet/kafka';
import { createLogger, type Logger } from '@syncfleet/log';
import { createFleetQueue, enqueueJob, type RunSummary } from '@syncfleet/runtime';
import { Redis } from 'ioredis';
import { parseEnv } from '@syncfleet/config';
import { createSlotSyncApp, type SlotSyncApp } from '../apps/slot-sync/src/app.ts';
import { syncWindow } from '../apps/slot-sync/src/domain/window.ts';
import { createSlotCache, type CachedSlot } from '../apps/slot-sync/src/slot-cache.adapter.ts';
import { SlotSyncEnv } from '../apps/slot-sync/src/env.ts';
import { SchedulerEnv } from '../apps/scheduler/src/env.ts';
import { startSlotSyncDemo } from './demo/slot-sync.ts';
import { startSchemaRegistryEmulator, type SchemaRegistryEmulator } from './emulators/schema-registry.ts';
import { rfc1123, startWiwEmulator, type WiwEmulator, type WiwEmulatorOptions, type WiwShift } from './emulators/wiw.ts';
import { deletePrefixKeys, testPrefix, testTopic, useCleanups, useRedis, useTestDatabase, waitUntil, workerEnv } from './support/fixtures.ts';
import { assertNoLeftoverProcesses, startAppProcess, stopAppProcess } from './support/processes.ts';
import { countSince, createNetworkSwitch, expectedSlot, highWatermarks, readTopic, type NetworkSwitch, type ReadMessage } from './support/slot-sync.ts';

const db = useTestDatabase();
const brokers = inject('kafkaBrokers').split(',').filter(Boolean);
const silent = createLogger({ name: 'slot-sync-test', level: 'silent' });
const redis = useRedis();
let admin: Admin;
let registry: SchemaRegistryEmulator;
const cleanups = useCleanups(assertNoLeftoverProcesses);
const topics: string[] = [];

beforeAll(async () => {
  admin = createKafka({ brokers, clientId: 'slot-sync-test' }).admin();
  await admin.connect();
  registry = await startSchemaRegistryEmulator();
});
afterAll(async () => {
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  await registry.close();
});

interface World {
  prefix: string;
  cachePrefix: string;
  topic: string;
  now: Date;
  wiw: WiwEmulator;
  app: SlotSyncApp;
  queue: Queue;
  /** Enqueues the job and waits until it completed or failed for good; returns the job. */
  run(name: 'slots.sync' | 'slots.resync', payload?: Record<string, unknown>): Promise<{ state: string; summary: RunSummary; attemptsMade: number; failedReason?: string }>;
  /** The shifts of the window the last /2/shifts request asked for, as the emulator holds them. */
  lastWindowShifts(): WiwShift[];
  /** Those of them that start inside that window (no overnight shift from the day before). */
  startingInWindow(): WiwShift[];
}

async function createWorld(
  options: { env?: Record<string, string>; wiw?: WiwEmulatorOptions; network?: NetworkSwitch; start?: boolean; logger?: Logger } = {},
): Promise<World> {
  const prefix = testPrefix();
  const cachePrefix = `${prefix}:slot:`;
  const topic = testTopic('slots');
  topics.push(topic);
  await createTopics(admin, [{ topic, numPartitions: 3 }]);
  const now = new Date();
  const wiw = await startWiwEmulator({ shifts: 30, seed: 7, fromDay: -2, days: 6, clock: () => now, ...options.wiw });
  const config = parseEnv(
    SlotSyncEnv,
    workerEnv(db.url, prefix, {
      LOG_LEVEL: 'silent',
      WIW_KEY: wiw.token,
      WIW_API_URL: wiw.url,
      WIW_RETRIES: '0',
      SLOT_CACHE_PREFIX: cachePrefix,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_NAME: topic,
      KAFKA_RETRIES: '1',
      KAFKA_CONNECTION_TIMEOUT_MS: '1000',
      AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL: registry.url,
      ...options.env,
    }),
  );
  const app = createSlotSyncApp(config, { logger: options.logger ?? silent, now: () => now, ...(options.network ? { kafkaSocketFactory: options.network.socketFactory } : {}) });
  const queue = createFleetQueue(redis, prefix, 'slot-sync');
  cleanups.push(async () => {
    await app.stop();
    await queue.close();
    await wiw.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
    const keys = await redis.keys(`${cachePrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  if (options.start !== false) await app.start();
  const world: World = {
    prefix,
    cachePrefix,
    topic,
    now,
    wiw,
    app,
    queue,
    async run(name, payload = {}) {
      const job = await enqueueJob(queue, catalogue.jobs[name], payload);
      const state = await waitUntil(`${name} to finish`, async () => {
        const s = await (await queue.getJob(job.id!))?.getState();
        return s === 'completed' || s === 'failed' ? s : undefined;
      }, 30_000);
      const done = (await queue.getJob(job.id!))!;
      return {
        state,
        summary: done.returnvalue as RunSummary,
        attemptsMade: done.attemptsMade,
        ...(done.failedReason ? { failedReason: done.failedReason } : {}),
      };
    },
    lastWindowShifts() {
      const request = wiw.requests.filter((r) => r.path === '/2/shifts' && r.status === 200).at(-1);
      if (!request?.start || !request.end) throw new Error('no shifts request yet');
      return wiw.shifts.overlapping(new Date(request.start), new Date(request.end));
    },
    startingInWindow() {
      const start = Date.parse(wiw.requests.filter((r) => r.path === '/2/shifts' && r.status === 200).at(-1)!.start!);
      return world.lastWindowShifts().filter((s) => Date.parse(s.start_time) >= start);
    },
  };
  return world;
}

/** A schema registry client of the consumer's own (empty cache: ids are looked up in the registry). */
function consumerRegistry(): SchemaRegistry {
  return new SchemaRegistry({ host: registry.url });
}

async function decodeAll(messages: ReadMessage[]): Promise<Array<{ key: { id: number }; value: Record<string, unknown> | null; partition: number; headers: Record<string, string> }>> {
  const client = consumerRegistry();
  return Promise.all(
    messages.map(async (m) => ({
      key: (await client.decode(m.key!)) as { id: number },
      value: m.value === null ? null : ((await client.decode(m.value)) as Record<string, unknown>),
      partition: m.partition,
      headers: m.headers,
    })),
  );
}

/** The same time of day a week later, as WIW writes dates. */
const nextWeek = (date: string): string => new Date(Date.parse(date) + 7 * 86_400_000).toUTCString().replace('GMT', '+0000');

const HOUR_MS = 3_600_000;

/** The test Redis, logical database `db`. */
function redisUrlOfDatabase(db: number): string {
  const url = new URL(inject('redisUrl'));
  url.pathname = `/${db}`;
  return url.toString();
}

/** avsc decodes records into instances of a generated class: compare plain data. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Once deletions and moves were handled, the next run checks and publishes nothing. */
async function expectNothingMoreNextRun(world: World): Promise<void> {
  const before = await highWatermarks(admin, world.topic);
  const again = await world.run('slots.sync');
  expect(again.summary.counts).toMatchObject({ deleted: 0, missingChecked: 0, published: 0 });
  expect(countSince(await highWatermarks(admin, world.topic), before)).toBe(0);
}

interface LedgerRow {
  status: string;
  attempt: number;
  counts: Record<string, number>;
  error: string | null;
  window_start: Date | null;
  window_end: Date | null;
}

async function ledger(app: SlotSyncApp, prefix: string, jobName: string): Promise<LedgerRow[]> {
  await app.flushLedger();
  const { rows } = await db.pool.query<LedgerRow>(
    'SELECT status, attempt, counts, error, window_start, window_end FROM run_ledger WHERE fleet = $1 AND job_name = $2 ORDER BY started_at',
    [prefix, jobName],
  );
  return rows;
}

describe('slot-sync', () => {
  test('the scheduler runs slots.sync every SYNC_SLEEP_PERIOD_SECONDS (default 10 s); slots.resync has no schedule', () => {
    const token = 'a-token-of-enough-length';
    const schedules = (env: Record<string, string>) => parseEnv(SchedulerEnv, { API_TOKEN: token, ...env }).schedules.filter((s) => s.queue === 'slot-sync');
    expect(schedules({})).toEqual([{ job: 'slots.sync', queue: 'slot-sync', enabled: true, schedule: { every: 10_000 }, source: 'catalogue' }]);
    expect(schedules({ SYNC_SLEEP_PERIOD_SECONDS: '45' })).toMatchObject([{ job: 'slots.sync', schedule: { every: 45_000 }, source: 'SYNC_SLEEP_PERIOD_SECONDS' }]);
    expect(catalogue.jobs['slots.resync']).toMatchObject({ kind: 'manual', overlap: 'bufferOne' });
    expect(catalogue.jobs['slots.sync']).toMatchObject({ kind: 'periodic', overlap: 'skip' });
    const kinds: string[] = Object.values(catalogue.jobs as Record<string, { sync: string; kind: string }>).filter((job) => job.sync === 'slot-sync').map((job) => job.kind);
    expect(kinds.sort()).toEqual(['manual', 'periodic']); // no initial job: nothing for a healing job to wait for
  });

  test('first run publishes every shift of the window, decoded through the registry to the same values; a second run publishes nothing and renews the TTLs', async () => {
    const world = await createWorld();
    const window = syncWindow(world.now, 0, 1);
    const inWindow = world.wiw.shifts.overlapping(window.start, window.end);
    // the emulator's shifts spread over six days: some are outside the window
    expect(inWindow.length).toBeGreaterThan(5);
    expect(inWindow.length).toBeLessThan(world.wiw.shifts.size);

    // a dry run computes the same diff and writes nothing
    const dry = await world.run('slots.sync', { dryRun: true });
    expect(dry.state).toBe('completed');
    expect(dry.summary.counts).toMatchObject({ fetched: inWindow.length, changed: inWindow.length, published: 0 });
    expect(countSince(await highWatermarks(admin, world.topic), new Map())).toBe(0);
    expect(await redis.keys(`${world.cachePrefix}*`)).toEqual([]);

    const first = await world.run('slots.sync');
    expect(first.state).toBe('completed');
    expect(first.summary.counts).toEqual({
      fetched: inWindow.length,
      unchanged: 0,
      changed: inWindow.length,
      published: inWindow.length,
      deleted: 0,
      invalid: 0,
      encodingErrors: 0,
      missingChecked: 0,
    });
    // WIW was asked for the window, in ISO-8601 UTC
    expect(world.wiw.requests.at(-1)).toMatchObject({
      path: '/2/shifts',
      start: window.start.toISOString().replace('.000Z', 'Z'),
      end: window.end.toISOString().replace('.000Z', 'Z'),
    });
    const afterFirst = await highWatermarks(admin, world.topic);
    expect(countSince(afterFirst, new Map())).toBe(inWindow.length);

    const decoded = await decodeAll(await readTopic(brokers, world.topic));
    expect(decoded).toHaveLength(inWindow.length);
    const byId = new Map(decoded.map((d) => [d.key.id, d]));
    expect([...byId.keys()].sort()).toEqual(inWindow.map((s) => s.id).sort());
    for (const shift of inWindow) {
      const message = byId.get(shift.id)!;
      expect(shift.id).toBeGreaterThan(2 ** 31); // a long, not the seed's 32-bit int
      expect(plain(message.value)).toEqual(expectedSlot(shift));
      expect(message.headers['shift-id']).toBe(String(shift.id));
    }
    // keyed by shift id: spread over the partitions
    expect(new Set(decoded.map((d) => d.partition)).size).toBeGreaterThan(1);
    // the schemas are in the registry under the topic's subjects, keys as longs
    const subjects = registry.subjects();
    expect(subjects[`${world.topic}-key`]).toHaveLength(1);
    expect(subjects[`${world.topic}-value`]).toHaveLength(1);
    expect(JSON.parse(subjects[`${world.topic}-key`]![0]!.schema)).toMatchObject({ type: 'record', fields: [{ name: 'id', type: 'long' }] });
    expect(world.app.encoder.schemaIds).toEqual({ key: subjects[`${world.topic}-key`]![0]!.id, value: subjects[`${world.topic}-value`]![0]!.id });

    // cached after the publish, with the TTL of EXPIRE_CACHE (default one week)
    const someId = inWindow[0]!.id;
    expect(await redis.ttl(`${world.cachePrefix}${someId}`)).toBeGreaterThan(604_800 - 60);
    await redis.expire(`${world.cachePrefix}${someId}`, 30);

    const second = await world.run('slots.sync');
    expect(second.summary.counts).toMatchObject({ fetched: inWindow.length, unchanged: inWindow.length, changed: 0, published: 0 });
    expect(countSince(await highWatermarks(admin, world.topic), afterFirst)).toBe(0);
    // an unchanged shift's entry lives on: its TTL is back to a week
    expect(await redis.ttl(`${world.cachePrefix}${someId}`)).toBeGreaterThan(604_800 - 60);

    const rows = await ledger(world.app, world.prefix, 'slots.sync');
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(rows[1]!.window_start).toEqual(window.start);
    expect(rows[1]!.window_end).toEqual(window.end);
  });

  test('three changed shifts give exactly three messages; a change to a field we do not publish gives none', async () => {
    const world = await createWorld();
    await world.run('slots.sync');
    const before = await highWatermarks(admin, world.topic);
    const inWindow = world.lastWindowShifts();
    const [a, b, c, d] = inWindow;
    world.wiw.shifts.update(a!.id, { notes: 'Swap with Ines' });
    world.wiw.shifts.update(b!.id, { published: false, published_date: null });
    world.wiw.shifts.update(c!.id, { break_time: c!.break_time === 1 ? 0.5 : 1 });
    world.wiw.shifts.update(d!.id, { is_shared: !d!.is_shared, updated_at: d!.updated_at }); // not a published field

    const run = await world.run('slots.sync');
    expect(run.summary.counts).toMatchObject({ changed: 3, unchanged: inWindow.length - 3, published: 3 });
    expect(countSince(await highWatermarks(admin, world.topic), before)).toBe(3);
    const messages = (await readTopic(brokers, world.topic)).filter((m) => m.offset >= (before.get(m.partition) ?? 0));
    const decoded = await decodeAll(messages);
    expect(decoded.map((m) => m.key.id).sort()).toEqual([a!.id, b!.id, c!.id].sort());
    for (const m of decoded) expect(plain(m.value)).toEqual(expectedSlot(world.wiw.shifts.get(m.key.id)!));
  });

  test('a deleted shift gives one tombstone and leaves the cache; a shift moved out of the window is republished, not deleted', async () => {
    const world = await createWorld();
    await world.run('slots.sync');
    const before = await highWatermarks(admin, world.topic);
    const [gone, moved] = world.startingInWindow();
    world.wiw.shifts.remove(gone!.id);
    world.wiw.shifts.update(moved!.id, { start_time: nextWeek(moved!.start_time), end_time: nextWeek(moved!.end_time) });

    const run = await world.run('slots.sync');
    expect(run.summary.counts).toMatchObject({ deleted: 1, missingChecked: 2, changed: 1, published: 1 });
    const messages = (await readTopic(brokers, world.topic)).filter((m) => m.offset >= (before.get(m.partition) ?? 0));
    expect(messages).toHaveLength(2);
    const decoded = await decodeAll(messages);
    const tombstone = decoded.find((m) => m.value === null);
    expect(tombstone?.key.id).toBe(gone!.id);
    const republished = decoded.find((m) => m.value !== null);
    expect(plain(republished?.value)).toEqual(expectedSlot(world.wiw.shifts.get(moved!.id)!));
    expect(await redis.exists(`${world.cachePrefix}${gone!.id}`)).toBe(0);
    expect(await redis.zscore(`${world.cachePrefix}index`, String(gone!.id))).toBeNull();
    // WIW was asked about the two missing shifts, one by one
    expect(world.wiw.requests.filter((r) => r.path.startsWith('/2/shifts/')).map((r) => [r.path, r.status]).sort()).toEqual(
      [[`/2/shifts/${gone!.id}`, 404], [`/2/shifts/${moved!.id}`, 200]].sort(),
    );

    await expectNothingMoreNextRun(world);
  });

  test('an overnight shift that started before the window: deleted in WIW, one tombstone and it leaves the cache and both indexes; moved out of the window, republished with its new times', async () => {
    const world = await createWorld();
    const windowStart = syncWindow(world.now, 0, 1).start.getTime();
    // 22:00 yesterday to 06:00 today: WIW returns it for a window that starts at 00:00 today
    const overnight = (): WiwShift => world.wiw.shifts.add({ start_time: rfc1123(windowStart - 2 * HOUR_MS, 0), end_time: rfc1123(windowStart + 6 * HOUR_MS, 0) });
    const gone = overnight();
    const moved = overnight();
    await world.run('slots.sync');
    expect(await redis.exists(`${world.cachePrefix}${gone.id}`, `${world.cachePrefix}${moved.id}`)).toBe(2);
    const before = await highWatermarks(admin, world.topic);
    world.wiw.shifts.remove(gone.id);
    const movedTo = world.wiw.shifts.update(moved.id, { start_time: nextWeek(moved.start_time), end_time: nextWeek(moved.end_time) });

    const run = await world.run('slots.sync');
    expect(run.summary.counts).toMatchObject({ deleted: 1, missingChecked: 2, changed: 1, published: 1 });
    const decoded = await decodeAll((await readTopic(brokers, world.topic)).filter((m) => m.offset >= (before.get(m.partition) ?? 0)));
    expect(decoded.filter((m) => m.value === null).map((m) => m.key.id)).toEqual([gone.id]);
    const republished = decoded.filter((m) => m.value !== null);
    expect(republished.map((m) => m.key.id)).toEqual([moved.id]);
    expect(plain(republished[0]!.value)).toEqual(expectedSlot(movedTo));
    expect(await redis.exists(`${world.cachePrefix}${gone.id}`)).toBe(0);
    expect(await redis.zscore(`${world.cachePrefix}index`, String(gone.id))).toBeNull();
    expect(await redis.zscore(`${world.cachePrefix}index:end`, String(gone.id))).toBeNull();
    // the moved shift is indexed at its new times
    expect(Number(await redis.zscore(`${world.cachePrefix}index`, String(moved.id)))).toBe(Date.parse(movedTo.start_time));
    expect(Number(await redis.zscore(`${world.cachePrefix}index:end`, String(moved.id)))).toBe(Date.parse(movedTo.end_time));

    await expectNothingMoreNextRun(world);
  });

  test('a cache written before the end index existed: the first run writes every entry again with its end time, publishing nothing; then a deleted overnight shift gets its tombstone', async () => {
    const world = await createWorld();
    const windowStart = syncWindow(world.now, 0, 1).start.getTime();
    const overnight = world.wiw.shifts.add({ start_time: rfc1123(windowStart - 3 * HOUR_MS, 0), end_time: rfc1123(windowStart + 5 * HOUR_MS, 0) });
    await world.run('slots.sync');
    const ids = world.lastWindowShifts().map((s) => String(s.id));
    // what version 1 left: no end index, entries whose bytes hashes are of version 1
    await redis.del(`${world.cachePrefix}index:end`);
    const entries = await redis.mget(...ids.map((id) => `${world.cachePrefix}${id}`));
    await redis.mset(...ids.flatMap((id, i) => [`${world.cachePrefix}${id}`, entries[i]!.replace(/^v\d+\./, 'v1.')]));

    const upgrade = await world.run('slots.sync');
    expect(upgrade.summary.counts).toMatchObject({ fetched: ids.length, unchanged: ids.length, published: 0, missingChecked: 0 });
    expect((await redis.zrange(`${world.cachePrefix}index:end`, 0, '-1')).sort()).toEqual([...ids].sort());

    world.wiw.shifts.remove(overnight.id);
    const before = await highWatermarks(admin, world.topic);
    const run = await world.run('slots.sync');
    expect(run.summary.counts).toMatchObject({ deleted: 1, missingChecked: 1, published: 0 });
    const decoded = await decodeAll((await readTopic(brokers, world.topic)).filter((m) => m.offset >= (before.get(m.partition) ?? 0)));
    expect(decoded.map((m) => [m.key.id, m.value])).toEqual([[overnight.id, null]]);
  });

  test('Kafka unreachable during a run: the job fails and is retried, the cache is not written; once Kafka is back every change arrives', async () => {
    const network = createNetworkSwitch();
    const world = await createWorld({ network });
    await world.run('slots.sync');
    const before = await highWatermarks(admin, world.topic);
    const [a, b, c, gone] = world.startingInWindow();
    const cachedBefore = await redis.mget(...[a, b, c, gone].map((s) => `${world.cachePrefix}${s!.id}`));
    for (const shift of [a, b, c]) world.wiw.shifts.update(shift!.id, { notes: `changed while Kafka is away ${shift!.id}` });
    world.wiw.shifts.remove(gone!.id);

    await network.cut();
    const job = await enqueueJob(world.queue, catalogue.jobs['slots.sync'], {});
    // the first attempt fails...
    const failedReason = await waitUntil('the first attempt to fail', async () => (await world.queue.getJob(job.id!))?.failedReason, 30_000);
    expect(failedReason).toMatch(/connect|Connection|broker|ECONNREFUSED/i);
    expect(network.connectionsRefused).toBeGreaterThan(0);
    // ...and wrote nothing: the cache still holds the old hashes, the deleted shift is still cached
    expect(await redis.mget(...[a, b, c, gone].map((s) => `${world.cachePrefix}${s!.id}`))).toEqual(cachedBefore);
    expect(countSince(await highWatermarks(admin, world.topic), before)).toBe(0);

    network.restore();
    const state = await waitUntil('the retried job to complete', async () => {
      const s = await (await world.queue.getJob(job.id!))?.getState();
      return s === 'completed' || s === 'failed' ? s : undefined;
    }, 30_000);
    expect(state).toBe('completed');
    const done = (await world.queue.getJob(job.id!))!;
    expect(done.attemptsMade).toBeGreaterThanOrEqual(2);

    const messages = (await readTopic(brokers, world.topic)).filter((m) => m.offset >= (before.get(m.partition) ?? 0));
    const decoded = await decodeAll(messages);
    expect(decoded.filter((m) => m.value !== null).map((m) => m.key.id).sort()).toEqual([a!.id, b!.id, c!.id].sort());
    expect(decoded.filter((m) => m.value === null).map((m) => m.key.id)).toEqual([gone!.id]);
    for (const m of decoded.filter((x) => x.value !== null)) expect((m.value as { notes: string }).notes).toBe(`changed while Kafka is away ${m.key.id}`);
    const cachedAfter = await redis.mget(...[a, b, c, gone].map((s) => `${world.cachePrefix}${s!.id}`));
    for (let i = 0; i < 3; i++) expect(cachedAfter[i]).not.toBe(cachedBefore[i]);
    expect(cachedAfter[3]).toBeNull();

    const rows = await ledger(world.app, world.prefix, 'slots.sync');
    expect(rows.map((r) => r.status)).toEqual(['succeeded', ...Array<string>(done.attemptsMade - 1).fill('failed'), 'succeeded']);
  });

  test('WIW answering 5xx: the job fails and is retried until WIW answers; a stalled request times out and is retried within the run', async () => {
    const world = await createWorld({ env: { WIW_RETRIES: '1', WIW_TIMEOUT_MS: '400' } });
    world.wiw.inject({ failNext: 3, status: 503 });
    const run = await world.run('slots.sync');
    expect(run.state).toBe('completed');
    expect(run.attemptsMade).toBe(2);
    expect(world.wiw.requests.filter((r) => r.path === '/2/shifts').map((r) => r.status)).toEqual([503, 503, 503, 200]);
    const rows = await ledger(world.app, world.prefix, 'slots.sync');
    expect(rows.map((r) => [r.status, r.attempt])).toEqual([['failed', 1], ['succeeded', 2]]);
    expect(rows[0]!.error).toMatch(/HTTP 503/);
    expect(rows[1]!.counts.published).toBe(world.lastWindowShifts().length);

    world.wiw.inject({ stallNext: 1, stallMs: 1500 });
    const stalled = await world.run('slots.sync');
    expect(stalled).toMatchObject({ state: 'completed', attemptsMade: 1 });
    expect(stalled.summary.counts).toMatchObject({ unchanged: world.lastWindowShifts().length });
  });

  test('a refused W-Token fails the run at once (no retries), naming WIW_KEY but never the token', async () => {
    const world = await createWorld({ env: { WIW_KEY: 'not-the-right-token-at-all' } });
    const run = await world.run('slots.sync');
    expect(run.state).toBe('failed');
    expect(run.attemptsMade).toBe(1);
    expect(run.failedReason).toMatch(/HTTP 401.*WIW_KEY/);
    expect(run.failedReason).not.toContain('not-the-right-token-at-all');
    expect(world.wiw.requests.map((r) => r.status)).toEqual([401]);
  });

  test('StatsD: a UDP listener receives the seed metric names under slot_sync.', async () => {
    const udp: UdpSocket = createSocket('udp4');
    const packets: string[] = [];
    udp.on('message', (message) => packets.push(...message.toString().split('\n').filter(Boolean)));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => udp.close(() => resolve())));
    const world = await createWorld({ env: { STATSD_HOST: '127.0.0.1', STATSD_PORT: String(udp.address().port) } });
    await world.run('slots.sync');
    await world.run('slots.sync');
    const n = world.lastWindowShifts().length;
    const names = [
      'slot_sync.wiw.get',
      'slot_sync.processor.shift.matched',
      'slot_sync.processor.shift.unmatched',
      'slot_sync.publisher.encoding.success',
      'slot_sync.publisher.encoding.error',
    ];
    const received = await waitUntil('every metric name', () => {
      const seen = new Set(packets.map((p) => p.split(':')[0]));
      return names.every((name) => seen.has(name)) ? packets : undefined;
    });
    expect(received).toContain('slot_sync.wiw.get:1|c');
    expect(received).toContain(`slot_sync.processor.shift.unmatched:${n}|c`); // first run: all new
    expect(received).toContain(`slot_sync.publisher.encoding.success:${n}|c`);
    expect(received).toContain(`slot_sync.processor.shift.matched:${n}|c`); // second run: all unchanged
    expect(received).toContain('slot_sync.publisher.encoding.error:0|c');
  });

  test('JSON encoding (SLOT_SYNC_ENCODING=json, no registry): the same values, the id as the key, tombstones', async () => {
    const world = await createWorld({ env: { SLOT_SYNC_ENCODING: 'json', AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL: '' } });
    const first = await world.run('slots.sync');
    const inWindow = world.lastWindowShifts();
    expect(first.summary.counts).toMatchObject({ published: inWindow.length });
    const gone = world.startingInWindow()[0]!;
    world.wiw.shifts.remove(gone.id);
    await world.run('slots.sync');
    const messages = await readTopic(brokers, world.topic);
    expect(messages).toHaveLength(inWindow.length + 1);
    for (const shift of inWindow) {
      const value = messages.find((m) => m.key?.toString() === String(shift.id) && m.value !== null)!.value!;
      expect(JSON.parse(value.toString())).toEqual(expectedSlot(shift));
    }
    const tombstones = messages.filter((m) => m.value === null);
    expect(tombstones.map((m) => m.key?.toString())).toEqual([String(gone.id)]);
    // a shift's messages share a partition whatever the encoding: the same one as with Avro keys
    const partitionOf = new Map(messages.map((m) => [m.key?.toString(), m.partition]));
    expect(tombstones[0]!.partition).toBe(partitionOf.get(String(gone.id)));
  });

  test('slots.resync republishes every shift of a wider window, whatever the cache says', async () => {
    const world = await createWorld();
    const sync = await world.run('slots.sync');
    const before = await highWatermarks(admin, world.topic);
    const wide = syncWindow(world.now, 2, 3);
    const inWide = world.wiw.shifts.overlapping(wide.start, wide.end);
    expect(inWide.length).toBeGreaterThan(sync.summary.counts!.fetched!);

    const resync = await world.run('slots.resync', { daysPrior: 2, daysAhead: 3 });
    expect(resync.summary.counts).toMatchObject({ fetched: inWide.length, unchanged: sync.summary.counts!.fetched, published: inWide.length });
    expect(countSince(await highWatermarks(admin, world.topic), before)).toBe(inWide.length);
    const rows = await ledger(world.app, world.prefix, 'slots.resync');
    expect(rows[0]).toMatchObject({ status: 'succeeded', window_start: wide.start, window_end: wide.end });
  });

  test("a subject with its own compatibility level (FULL) is registered under it, and a new subject is left at the registry's default", async () => {
    const world = await createWorld();
    const put = await fetch(`${registry.url}/config/${world.topic}-value`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'FULL' }),
    });
    expect(put.status).toBe(200);
    const run = await world.run('slots.sync');
    expect(run.summary.status).toBe('succeeded');
    expect(run.summary.counts!.published).toBeGreaterThan(0);
    const level = async (subject: string) => {
      const response = await fetch(`${registry.url}/config/${subject}`);
      return response.status === 404 ? 'none' : ((await response.json()) as { compatibilityLevel: string }).compatibilityLevel;
    };
    expect(await level(`${world.topic}-value`)).toBe('FULL');
    expect(await level(`${world.topic}-key`)).toBe('none'); // no BACKWARD imposed on the subject
  });

  test('the registry lost our schemas: the next run registers them again and a consumer decodes with the new ids', async () => {
    const world = await createWorld();
    await world.run('slots.sync');
    const oldIds = world.app.encoder.schemaIds!;
    const before = await highWatermarks(admin, world.topic);
    registry.reset(); // restored empty: the ids we hold are unknown to it now
    const changed = world.lastWindowShifts()[0]!;
    world.wiw.shifts.update(changed.id, { color: '000000' });

    const run = await world.run('slots.sync');
    expect(run.summary.counts).toMatchObject({ published: 1 });
    const newIds = world.app.encoder.schemaIds!;
    expect(newIds.key).not.toBe(oldIds.key);
    expect(newIds.value).not.toBe(oldIds.value);
    const [message] = (await readTopic(brokers, world.topic)).filter((m) => m.offset >= (before.get(m.partition) ?? 0));
    expect(message!.value!.readUInt32BE(1)).toBe(newIds.value); // Confluent wire format: magic byte, then the schema id
    const [decoded] = await decodeAll([message!]);
    expect(decoded!.key.id).toBe(changed.id);
    expect(plain(decoded!.value)).toEqual(expectedSlot(world.wiw.shifts.get(changed.id)!));
  });

  test('REDIS_HOST: the cache lives in that Redis (here database 5 of the test Redis), not in the queues\' (REDIS_URL)', async () => {
    const cacheRedis = new Redis(redisUrlOfDatabase(5));
    const world = await createWorld({ env: { REDIS_HOST: redisUrlOfDatabase(5) } });
    cleanups.push(async () => {
      const keys = await cacheRedis.keys(`${world.cachePrefix}*`);
      if (keys.length > 0) await cacheRedis.del(...keys);
      await cacheRedis.quit();
    });
    const first = await world.run('slots.sync');
    const n = world.lastWindowShifts().length;
    expect(first.summary.counts).toMatchObject({ published: n });
    // read back from there too: nothing changed
    const second = await world.run('slots.sync');
    expect(second.summary.counts).toMatchObject({ unchanged: n, published: 0 });
    expect((await cacheRedis.keys(`${world.cachePrefix}*`)).length).toBe(n + 2); // the entries and the two indexes
    expect(await cacheRedis.zcard(`${world.cachePrefix}index:end`)).toBe(n);
    expect(await redis.keys(`${world.cachePrefix}*`)).toEqual([]);
  });

  test('REDIS_HOST refusing our credentials: its errors are logged without the password', async () => {
    const password = 'not-the-cache-password-4f1c9a';
    const lines: string[] = [];
    const logger = createLogger({ name: 'slot-sync-test', level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    const url = new URL(redisUrlOfDatabase(5));
    url.username = 'slot-sync-test';
    url.password = password;
    await createWorld({ env: { REDIS_HOST: url.toString() }, logger });
    const line = await waitUntil('the cache connection error to be logged', () => lines.find((l) => l.includes('redis connection error (slot cache)')));
    expect(line).toMatch(/WRONGPASS/);
    expect(lines.join('\n')).not.toContain(password);
  });

  test("the demo's setup (test/demo/slot-sync.ts) gives a worker everything it needs: its shifts arrive on the topic", async () => {
    const prefix = testPrefix();
    const messages: string[] = [];
    const demo = await startSlotSyncDemo(
      { redisUrl: inject('redisUrl'), databaseUrl: db.url, kafkaBrokers: brokers, fleetPrefix: prefix, log: (msg) => messages.push(msg) },
      { shifts: 40, changeEveryMs: 0 },
    );
    topics.push(demo.env.KAFKA_TOPIC_NAME!);
    cleanups.push(() => demo.stop());
    const config = parseEnv(SlotSyncEnv, workerEnv(db.url, prefix, { LOG_LEVEL: 'silent', KAFKA_BROKERS: brokers.join(','), ...demo.env }));
    const app = createSlotSyncApp(config, { logger: silent });
    const queue = createFleetQueue(redis, prefix, 'slot-sync');
    cleanups.push(async () => {
      await app.stop();
      await queue.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
      const keys = await redis.keys(`${demo.env.SLOT_CACHE_PREFIX!}*`);
      if (keys.length > 0) await redis.del(...keys);
    });
    await app.start();
    const job = await enqueueJob(queue, catalogue.jobs['slots.sync'], {});
    await waitUntil('the sync to complete', async () => (await (await queue.getJob(job.id!))?.getState()) === 'completed');
    const published = ((await queue.getJob(job.id!))!.returnvalue as RunSummary).counts!.published!;
    expect(published).toBeGreaterThan(0);
    expect(countSince(await highWatermarks(admin, demo.env.KAFKA_TOPIC_NAME!), new Map())).toBe(published);
    expect(demo.links.map(([label]) => label)).toEqual(['wiw emulator', 'schema registry', 'slot topic']);
  });

  test('as a process (main.ts): boots, publishes, and never writes the W-Token to its log; a bad config exits 1 naming every variable', async () => {
    const prefix = testPrefix();
    const topic = testTopic('slots');
    topics.push(topic);
    await createTopics(admin, [{ topic, numPartitions: 3 }]);
    const wiw = await startWiwEmulator({ shifts: 12, seed: 3, token: 'w-token-that-must-not-leak-0123456789' });
    const cachePrefix = `${prefix}:slot:`;
    cleanups.push(async () => {
      await wiw.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
      const keys = await redis.keys(`${cachePrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    });
    const env = workerEnv(db.url, prefix, {
      WIW_KEY: wiw.token,
      WIW_API_URL: wiw.url,
      SLOT_CACHE_PREFIX: cachePrefix,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_NAME: topic,
      AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL: registry.url,
      LOG_LEVEL: 'debug',
      NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning',
    });
    const proc = startAppProcess('apps/slot-sync/src/main.ts', env);
    await proc.waitForLog((line) => line.msg === 'slot-sync ready');
    const queue = createFleetQueue(redis, prefix, 'slot-sync');
    cleanups.push(() => queue.close());
    const job = await enqueueJob(queue, catalogue.jobs['slots.sync'], {});
    const finished = await proc.waitForLog((line) => line.msg === 'run finished' && line.jobId === job.id);
    const published = (finished.counts as Record<string, number>).published!;
    expect(published).toBeGreaterThan(0);
    expect(countSince(await highWatermarks(admin, topic), new Map())).toBe(published);
    expect(await stopAppProcess(proc)).toEqual({ code: 0, signal: null });
    expect(proc.output()).not.toContain(wiw.token);

    const bad = startAppProcess('apps/slot-sync/src/main.ts', { ...env, WIW_KEY: '', KAFKA_BROKERS: '', AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL: '', SYNC_DAYS_PRIOR: '-1' });
    expect((await bad.exited).code).toBe(1);
    for (const variable of ['WIW_KEY', 'KAFKA_BROKERS', 'AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL', 'SYNC_DAYS_PRIOR']) expect(bad.output()).toContain(variable);
  });
});

describe('slot cache (Redis)', () => {
  const DAY_MS = 86_400_000;
  const window = { start: new Date(Date.UTC(2030, 0, 10)), end: new Date(Date.UTC(2030, 0, 12)) };
  const start = window.start.getTime();
  const end = window.end.getTime();

  function useCache() {
    const prefix = `${testPrefix()}:slot:`;
    cleanups.push(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    });
    return { prefix, cache: createSlotCache(redis, { prefix, ttlSeconds: 60 }) };
  }
  const slot = (id: number, startMs: number, endMs: number): CachedSlot => ({ id, value: `v2.bytes canonical-${id}`, startMs, endMs });

  test('idsOverlapping: the shifts that overlap the window, the ones without an end time that start in it, and the ones whose start was pruned', async () => {
    const { prefix, cache } = useCache();
    await cache.write([
      slot(1, start + 1 * HOUR_MS, start + 9 * HOUR_MS), // inside
      slot(2, start - 2 * HOUR_MS, start + 6 * HOUR_MS), // overnight, started the day before
      slot(3, start - HOUR_MS, end + DAY_MS), // spans the whole window
      slot(4, start - 8 * HOUR_MS, start), // ends as the window starts
      slot(5, end, end + 8 * HOUR_MS), // starts as the window ends
      slot(6, start - DAY_MS, start - DAY_MS + 8 * HOUR_MS), // before
      slot(7, end + DAY_MS, end + DAY_MS + 8 * HOUR_MS), // after
      slot(8, end - HOUR_MS, end + 7 * HOUR_MS), // overnight, into the day after the window
    ]);
    // written by the version before the end index: a start time only
    await redis.zadd(`${prefix}index`, start + 2 * HOUR_MS, '9', start - 2 * HOUR_MS, '10');
    // a shift longer than the cache's TTL, its start pruned
    await redis.zadd(`${prefix}index:end`, start + HOUR_MS, '11');
    expect((await cache.idsOverlapping(window)).sort((a, b) => a - b)).toEqual([1, 2, 3, 8, 9, 11]);
  });

  test('idsOverlapping with more shifts than one ZMSCORE call takes: all of the overnight ones, none of the later ones', async () => {
    const { cache } = useCache();
    const count = 12_000;
    const overnight = Array.from({ length: count }, (_, i) => slot(i + 1, start - HOUR_MS - i, start + HOUR_MS));
    const later = Array.from({ length: count }, (_, i) => slot(count + i + 1, end + i, end + HOUR_MS));
    await cache.write([...overnight, ...later]);
    const ids = await cache.idsOverlapping(window);
    expect(ids.length).toBe(count);
    expect(new Set(ids)).toEqual(new Set(overnight.map((s) => s.id)));
  });

  test('remove and pruneIndex drop the entries of both indexes', async () => {
    const { prefix, cache } = useCache();
    await cache.write([slot(1, start, start + HOUR_MS), slot(2, start - 2 * HOUR_MS, start + HOUR_MS), slot(3, start - 3 * HOUR_MS, start - HOUR_MS)]);
    await cache.remove([1]);
    expect(await redis.exists(`${prefix}1`)).toBe(0);
    expect(await redis.zrange(`${prefix}index`, 0, '-1')).toEqual(['3', '2']);
    expect(await redis.zrange(`${prefix}index:end`, 0, '-1')).toEqual(['3', '2']);
    // 2 started before `start` but ends after it: its end stays (idsOverlapping then reads it as pruned, started long before)
    expect(await cache.pruneIndex(start)).toBe(3);
    expect(await redis.zrange(`${prefix}index`, 0, '-1')).toEqual([]);
    expect(await redis.zrange(`${prefix}index:end`, 0, '-1')).toEqual(['2']);
    expect(await cache.idsOverlapping(window)).toEqual([2]);
  });
});
