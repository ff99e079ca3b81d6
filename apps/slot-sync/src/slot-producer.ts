// Publishes slot messages: an idempotent kafkajs producer (acks from every in-sync replica), keyed by
// shift id, partitioned by the shift id itself (so a shift keeps its partition, and its versions
// their order, whatever the key's encoding or schema id). A producer whose send failed is dropped:
// the next run connects a fresh one (a new producer id, so no stale sequence numbers).
import { Partitioners, type ISocketFactory, type Message } from 'kafkajs';
import { createIdempotentProducer, createKafka, logLevel, type Producer } from '@syncfleet/kafka';
import type { Logger } from '@syncfleet/log';

/** The header holding the decimal shift id: what the partitioner hashes. */
export const SHIFT_ID_HEADER = 'shift-id';

/** Kafka's default (murmur2) partitioner applied to the shift id instead of the encoded key. */
export function shiftIdPartitioner() {
  const murmur2 = Partitioners.DefaultPartitioner();
  return ({ topic, partitionMetadata, message }: Parameters<ReturnType<typeof Partitioners.DefaultPartitioner>>[0]): number => {
    const id = message.headers?.[SHIFT_ID_HEADER];
    return murmur2({ topic, partitionMetadata, message: { key: typeof id === 'string' ? id : (message.key ?? null), value: null } });
  };
}

export interface SlotProducerOptions {
  brokers: string[];
  clientId: string;
  topic: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retries: number;
  log: Logger;
  /** How kafkajs opens its TCP connections (tests cut the network with it); default: plain TCP. */
  socketFactory?: ISocketFactory;
}

export interface SlotProducer {
  /** Resolves once every in-sync replica has the messages; rejects otherwise (nothing is known to be written). */
  send(messages: Message[]): Promise<void>;
  /** Connects now (at start-up), so that the first run does not pay for it. Never rejects. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

export function createSlotProducer(options: SlotProducerOptions): SlotProducer {
  const kafka = createKafka({
    brokers: options.brokers,
    clientId: options.clientId,
    logger: options.log.child({ component: 'kafkajs' }),
    logLevel: logLevel.WARN,
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: { retries: options.retries },
    ...(options.socketFactory ? { socketFactory: options.socketFactory } : {}),
    expectedWarnings: [
      {
        message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees',
        reason: 'retries are bounded on purpose: a failed send fails the run, the producer is dropped, and unacknowledged shifts are published again by the next run',
      },
    ],
  });
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  const connected = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      // Bounded retries: an unbounded idempotent producer would retry a dead broker forever and hold
      // the run. kafkajs warns that this "may invalidate EoS"; we drop the producer after any failed
      // send instead, and the cache is only written for acknowledged messages.
      const created = createIdempotentProducer(kafka, {
        createPartitioner: shiftIdPartitioner,
        retry: { retries: options.retries },
      });
      try {
        await created.connect();
      } catch (error) {
        await created.disconnect().catch(() => undefined);
        throw error;
      }
      producer = created;
      return created;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const drop = async (): Promise<void> => {
    const current = producer;
    producer = undefined;
    await current?.disconnect().catch(() => undefined);
  };

  return {
    async send(messages) {
      if (messages.length === 0) return;
      const p = await connected();
      try {
        await p.send({ topic: options.topic, acks: -1, messages });
      } catch (error) {
        await drop();
        throw error;
      }
    },
    async warmUp() {
      await connected().then(
        () => undefined,
        (error: unknown) => options.log.warn({ err: error }, 'Kafka not reachable at start-up; the first run will try again'),
      );
    },
    async close() {
      await connecting?.catch(() => undefined);
      await drop();
    },
  };
}
