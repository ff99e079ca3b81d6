// Helpers for slot-sync's tests and benchmark: reading a topic back, a switch that cuts the
// worker's network to Kafka, and the slot a WIW shift should publish as, computed independently of
// the worker's own code (dates through Date.parse).
import { createServer, connect, type Socket } from 'node:net';
import type { ISocketFactory } from 'kafkajs';
import { createKafka, type Admin } from '@syncfleet/kafka';
import type { WiwShift } from '../emulators/wiw.ts';
import { randomSuffix } from './fixtures.ts';

export interface ReadMessage {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** The topic's high watermarks, by partition. */
export async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
}

/** Messages written since `since` (watermarks taken earlier), summed over the partitions. */
export function countSince(now: Map<number, number>, since: Map<number, number>): number {
  let total = 0;
  for (const [partition, high] of now) total += high - (since.get(partition) ?? 0);
  return total;
}

/**
 * Reads every message of `topic` up to its current high watermarks with a consumer group of its
 * own, then leaves (and deletes) the group.
 */
export async function readTopic(brokers: string[], topic: string): Promise<ReadMessage[]> {
  const kafka = createKafka({ brokers, clientId: `read-${randomSuffix()}` });
  const admin = kafka.admin();
  await admin.connect();
  const high = await highWatermarks(admin, topic);
  const total = [...high.values()].reduce((a, b) => a + b, 0);
  const groupId = `read-${randomSuffix()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  const messages: ReadMessage[] = [];
  try {
    if (total === 0) return [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) if (value !== undefined) headers[name] = String(value);
        messages.push({ partition, offset: Number(message.offset), key: message.key, value: message.value, headers });
        if (messages.length >= total) done();
      },
    });
    const timeout = setTimeout(done, 30_000);
    await finished;
    clearTimeout(timeout);
    return messages.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface NetworkSwitch {
  /** For kafkajs's `socketFactory`: plain TCP while on, a refused connection while cut. */
  socketFactory: ISocketFactory;
  /** Cuts the network to the broker: live connections are destroyed, new ones refused. */
  cut(): Promise<void>;
  restore(): void;
  readonly connectionsRefused: number;
}

/** A switch between a kafkajs client and the real broker: "Kafka unreachable" without stopping it. */
export function createNetworkSwitch(): NetworkSwitch {
  const live = new Set<Socket>();
  let cut = false;
  let refusedPort = 0;
  let refused = 0;
  return {
    socketFactory: ({ host, port, onConnect }) => {
      if (cut) {
        refused += 1;
        return connect({ host: '127.0.0.1', port: refusedPort }, onConnect);
      }
      const socket = connect({ host, port }, onConnect);
      socket.setKeepAlive(true, 60_000);
      live.add(socket);
      socket.on('close', () => live.delete(socket));
      return socket;
    },
    async cut() {
      refusedPort = await deadPort();
      cut = true;
      // as a broker that went away resets its connections
      for (const socket of live) socket.destroy(Object.assign(new Error('read ECONNRESET (network cut by the test)'), { code: 'ECONNRESET' }));
    },
    restore() {
      cut = false;
    },
    get connectionsRefused() {
      return refused;
    },
  };
}

/** A WIW date as ISO-8601 UTC without milliseconds, through Date.parse (not the worker's parser). */
function iso(date: string | null): string | null {
  if (date === null) return null;
  const ms = Date.parse(date);
  if (Number.isNaN(ms)) throw new Error(`unparsable date in the emulator's data: ${date}`);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The slot a WIW shift (as the emulator holds it) must be published as. */
export function expectedSlot(shift: WiwShift): Record<string, unknown> {
  return {
    account_id: shift.account_id,
    acknowledged: shift.acknowledged === 1 ? 1 : 0,
    acknowledged_at: iso(shift.acknowledged_at),
    actionable: shift.actionable,
    alerted: shift.alerted,
    block_id: shift.block_id,
    break_time: shift.break_time,
    color: shift.color,
    created_at: iso(shift.created_at),
    creator_id: shift.creator_id,
    end_time: iso(shift.end_time),
    id: shift.id,
    instances: shift.instances,
    is_open: shift.is_open,
    linked_users: shift.linked_users,
    location_id: shift.location_id,
    notes: shift.notes,
    notified_at: iso(shift.notified_at),
    position_id: shift.position_id,
    published: shift.published,
    published_date: iso(shift.published_date),
    shiftchain_key: shift.shiftchain_key,
    site_id: shift.site_id,
    start_time: iso(shift.start_time),
    updated_at: iso(shift.updated_at),
    user_id: shift.user_id,
  };
}
