// @syncfleet/kafka against a real Apache Kafka 4.x broker: idempotent produce over 3 partitions,
// consumption by a consumer group, exactly once and intact, and committed offsets at the high
// watermarks. The broker is shared (global setup or test/infra/kafka.ts); this file never stops it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIdempotentProducer, createKafka, createTopics, type Admin, type Consumer, type Producer } from '@syncfleet/kafka';
import { ensureKafka } from './infra/kafka.ts';

const N = 50;
const PARTITIONS = 3;
// Fixed keys, so the murmur2 partitioner's placement is deterministic: these 10 keys cover all 3 partitions.
const KEYS = Array.from({ length: 10 }, (_, i) => `shift-${i}`);

const run = randomBytes(4).toString('hex');
const topic = `t-${run}`;
const groupId = `g-${run}`;

let admin: Admin | undefined;
let producer: Producer | undefined;
let consumer: Consumer | undefined;

/** The brokers the global setup provides, if it provides them (`inject` is typed by the setup file). */
function injectedBrokers(): string[] {
  let value: unknown;
  try {
    value = (inject as (key: string) => unknown)('kafkaBrokers');
  } catch {
    return [];
  }
  if (Array.isArray(value)) return value.filter((b): b is string => typeof b === 'string');
  return typeof value === 'string' ? value.split(',').filter(Boolean) : [];
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('kafka (real broker)', () => {
  let brokers: string[] = [];

  beforeAll(async () => {
    brokers = injectedBrokers();
    if (brokers.length === 0) brokers = (await ensureKafka()).brokers;
    const kafka = createKafka({ brokers, clientId: `kafka-test-${run}` });
    admin = kafka.admin();
    producer = createIdempotentProducer(kafka);
    // A short fetch long-poll: consumer.stop() waits for the fetch in flight.
    consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  }, 180_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    if (admin) {
      await admin.deleteGroups([groupId]).catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });

  it('creates a topic, produces idempotently, consumes exactly once with a group and commits', async () => {
    if (!admin || !producer || !consumer) throw new Error('not connected');
    const adm = admin;

    expect(await createTopics(adm, [{ topic, numPartitions: PARTITIONS }])).toBe(true);
    expect(await createTopics(adm, [{ topic, numPartitions: PARTITIONS }])).toBe(false); // idempotent
    const metadata = await adm.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(PARTITIONS);

    // Produced in 5 batches of 10, so the idempotent producer's sequence numbers advance across requests.
    const sent = Array.from({ length: N }, (_, i) => ({
      key: KEYS[i % KEYS.length] ?? '',
      value: JSON.stringify({ run, i, at: `payload-${i}-é✓` }),
    }));
    for (let batch = 0; batch < N; batch += 10) {
      const records = await producer.send({ topic, acks: -1, messages: sent.slice(batch, batch + 10) });
      for (const r of records) expect(r.errorCode).toBe(0);
    }

    const received: { partition: number; offset: string; key: string | undefined; value: string | undefined }[] = [];
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, offset: message.offset, key: message.key?.toString(), value: message.value?.toString() });
        await Promise.resolve();
      },
    });

    const highWatermarks = async (): Promise<Map<number, string>> =>
      new Map((await adm.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
    const committed = async (): Promise<Map<number, string>> => {
      const [offsets] = await adm.fetchOffsets({ groupId, topics: [topic] });
      return new Map((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
    };

    await waitFor(`${N} messages`, () => received.length >= N);
    // kafkajs commits after each batch it has processed: wait for the commits to land.
    const high = await highWatermarks();
    await waitFor('committed offsets at the high watermarks', async () => {
      const done = await committed();
      return [...high].every(([partition, offset]) => done.get(partition) === offset);
    });
    await consumer.stop();

    // Exactly once, intact: the same multiset of (key, value) pairs, no duplicate offsets.
    expect(received).toHaveLength(N);
    const byValue = (a: { value?: string }, b: { value?: string }): number => (a.value ?? '').localeCompare(b.value ?? '');
    expect(received.map(({ key, value }) => ({ key, value })).sort(byValue)).toEqual([...sent].sort(byValue));
    expect(new Set(received.map((m) => `${m.partition}:${m.offset}`)).size).toBe(N);

    // Keyed partitioning: every partition holds messages, each key lives in one partition, in order.
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const m of received) partitionsOfKey.set(m.key ?? '', (partitionsOfKey.get(m.key ?? '') ?? new Set()).add(m.partition));
    for (const partitions of partitionsOfKey.values()) expect(partitions.size).toBe(1);
    expect(new Set(received.map((m) => m.partition)).size).toBe(PARTITIONS);
    for (const key of KEYS) {
      const order = received.filter((m) => m.key === key).map((m) => (JSON.parse(m.value ?? '{}') as { i: number }).i);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }

    // Committed offsets equal the high watermarks, which add up to N.
    expect(await committed()).toEqual(high);
    expect([...high.values()].reduce((sum, o) => sum + Number(o), 0)).toBe(N);
    expect(high.size).toBe(PARTITIONS);
  });
});
