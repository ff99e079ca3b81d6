// arena-ingest's stall watch: the consumer group's committed offsets against the topics' high
// watermarks, read from the real broker; the "since when" state in the real Redis, shared by
// replicas; cards to the Teams emulator.
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createKafka, createTopics, type Admin } from '@syncfleet/kafka';
import { createLogger } from '@syncfleet/log';
import { createRegistry, Gauge } from '@syncfleet/metrics';
import { createTeamsNotifier } from '@syncfleet/notify';
import { createAlertState } from '@syncfleet/runtime';
import { createStallWatch, groupPosition, pendingMessages, readGroupProgress, type PartitionProgress } from '../apps/arena-ingest/src/stall-watch.ts';
import { startTeamsEmulator, type TeamsEmulator } from './emulators/teams.ts';
import { deletePrefixKeys, randomSuffix, testPrefix, useRedis } from './support/fixtures.ts';

const redis = useRedis();
const silent = createLogger({ name: 'arena-stall-test', level: 'silent' });
let teams: TeamsEmulator;
let admin: Admin;
const kafka = createKafka({ brokers: String(inject('kafkaBrokers')).split(',').filter(Boolean), clientId: 'arena-stall-test' });

beforeAll(async () => {
  teams = await startTeamsEmulator();
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
  await teams.close();
});

const titles = (): string[] => teams.received.map((c) => (c.body as { title: string }).title);
const factsOf = (index: number): Record<string, string> =>
  Object.fromEntries(((teams.received[index]!.body as { sections: Array<{ facts: Array<{ name: string; value: string }> }> }).sections[0]!.facts).map((f) => [f.name, f.value]));

describe('readGroupProgress (real broker)', () => {
  test("every partition of the topics, with the group's committed offset (-1 before any commit) and the high watermark", async () => {
    const suffix = randomSuffix();
    const [a, b] = [`stall-a-${suffix}`, `stall-b-${suffix}`];
    const groupId = `stall-group-${suffix}`;
    await createTopics(admin, [{ topic: a, numPartitions: 2 }, { topic: b, numPartitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: a, messages: [0, 1, 2, 3, 4].map((i) => ({ value: `m${i}`, partition: 0 })) });
    await producer.send({ topic: b, messages: [{ value: 'x' }, { value: 'y' }] });
    await producer.disconnect();
    await admin.setOffsets({ groupId, topic: a, partitions: [{ partition: 0, offset: '2' }] });

    const progress = await readGroupProgress(admin, groupId, [a, b]);
    expect(progress).toEqual([
      { topic: a, partition: 0, committed: '2', high: '5', low: '0' },
      { topic: a, partition: 1, committed: '-1', high: '0', low: '0' },
      { topic: b, partition: 0, committed: '-1', high: '2', low: '0' },
    ]);
    expect(progress.map((p) => pendingMessages(p))).toEqual([3n, 0n, 2n]);
  });
});

describe('groupPosition', () => {
  test('the committed offset; the oldest held offset before any commit, or when retention deleted what the group had not read', () => {
    const p = (committed: string, low: string, high: string): PartitionProgress => ({ topic: 't', partition: 0, committed, low, high });
    expect([groupPosition(p('7', '0', '9')), pendingMessages(p('7', '0', '9'))]).toEqual([7n, 2n]);
    expect([groupPosition(p('-1', '4', '9')), pendingMessages(p('-1', '4', '9'))]).toEqual([4n, 5n]);
    // a quiet topic whose messages expired while the group was behind: nothing is left to read
    expect([groupPosition(p('3', '10', '10')), pendingMessages(p('3', '10', '10'))]).toEqual([10n, 0n]);
    expect(pendingMessages(p('18446744073709551610', '0', '18446744073709551615'))).toBe(5n);
  });
});

describe('createStallWatch', () => {
  test('a partition standing still with messages behind it for longer than the threshold: one card (replicas agree), a card when it moves, and a fresh clock when messages arrive after a catch-up', async () => {
    const prefix = testPrefix();
    const groupId = `g-${randomSuffix()}`;
    const notifier = createTeamsNotifier({ webhookUrl: teams.url, log: silent, secrets: [] });
    const gauge = new Gauge({ name: 'stalled', help: 'h', labelNames: ['topic', 'partition'], registers: [createRegistry('t')] });
    let now = 1_000_000;
    const positions: unknown[] = [];
    let state: PartitionProgress[] = [
      { topic: 't', partition: 0, committed: '2', high: '5', low: '0' },
      { topic: 't', partition: 1, committed: '9', high: '9', low: '0' },
    ];
    const watch = () =>
      createStallWatch({
        redis,
        fleetPrefix: prefix,
        groupId,
        read: () => Promise.resolve(state.map((p) => ({ ...p }))),
        thresholdMs: 60_000,
        alerts: createAlertState(redis, { fleetPrefix: prefix, repeatMs: 3_600_000 }),
        notifier,
        log: silent,
        gauge,
        onChecked: (position) => Promise.resolve(void positions.push(position)),
        now: () => now,
      });
    const [one, two] = [watch(), watch()];
    const before = teams.received.length;
    try {
      expect(await one.check()).toEqual([]);
      now += 30_000;
      expect(await two.check()).toEqual([]);
      now += 31_000; // 61 s with offset 2 and 3 messages behind it
      const stalled = await one.check();
      expect(stalled.map((s) => [s.partition, s.committed, s.pending, s.sinceMs])).toEqual([[0, '2', 3n, 1_000_000]]);
      expect(teams.received.length).toBe(before + 1);
      expect(titles().at(-1)).toBe('arena-ingest: the consumer has not moved for 1m 1s on 1 partition');
      expect(factsOf(teams.received.length - 1)).toMatchObject({ 'Consumer group': groupId, 't [0]': '3 message(s) waiting at offset 2, still for 1m 1s' });
      expect((await gauge.get()).values.find((v) => v.labels.partition === '0')?.value).toBe(61);
      expect(positions.at(-1)).toEqual({ messagesBehind: 3, partitions: 2, stalledPartitions: 1, checkedAt: new Date(now).toISOString() });
      now += 5_000;
      expect(await two.check()).toHaveLength(1); // the other replica sees the same stall, and posts nothing
      expect(teams.received.length).toBe(before + 1);

      state = [{ ...state[0]!, committed: '5' }, state[1]!];
      now += 5_000;
      expect(await one.check()).toEqual([]);
      expect(teams.received.length).toBe(before + 2);
      expect(titles().at(-1)).toBe('arena-ingest: the consumer moves again on every partition');
      expect((await gauge.get()).values.every((v) => v.value === 0)).toBe(true);
      expect(positions.at(-1)).toMatchObject({ messagesBehind: 0, stalledPartitions: 0 });

      // new messages after a long time caught up: the clock starts when they arrive
      now += 3_600_000;
      state = [{ ...state[0]!, high: '8' }, state[1]!];
      expect(await one.check()).toEqual([]);
      now += 59_000;
      expect(await two.check()).toEqual([]);
      now += 2_000;
      expect((await one.check()).map((s) => s.partition)).toEqual([0]);
      expect(teams.received.length).toBe(before + 3);
      // a moving offset with messages still behind it is not a stall
      state = [{ ...state[0]!, committed: '6', high: '20' }, state[1]!];
      now += 120_000;
      expect(await one.check()).toEqual([]);
    } finally {
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });

  test('a position that cannot be stored (Postgres down, one of the causes of a stall) does not stop the card', async () => {
    const prefix = testPrefix();
    const notifier = createTeamsNotifier({ webhookUrl: teams.url, log: silent, secrets: [] });
    let now = 5_000_000;
    const watch = createStallWatch({
      redis,
      fleetPrefix: prefix,
      groupId: `g-${randomSuffix()}`,
      read: () => Promise.resolve([{ topic: 'down', partition: 3, committed: '-1', high: '4', low: '0' }]),
      thresholdMs: 1000,
      alerts: createAlertState(redis, { fleetPrefix: prefix, repeatMs: 3_600_000 }),
      notifier,
      log: silent,
      onChecked: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
      now: () => now,
    });
    const before = teams.received.length;
    try {
      expect(await watch.check()).toEqual([]);
      now += 2000;
      expect(await watch.check()).toHaveLength(1);
      expect(teams.received.length).toBe(before + 1);
      expect(factsOf(before)).toMatchObject({ 'down [3]': '4 message(s) waiting at offset 0, still for 2s' });
    } finally {
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });
});
