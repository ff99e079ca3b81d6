// The Kafka adapter: a thin factory over kafkajs (2.2.4) plus the two helpers every Kafka user here
// needs. Verified against a real Apache Kafka 4.x broker (test/kafka.test.ts).
// Known kafkajs 2.2.4 quirk on Node >= 23: its request queue calls setTimeout with a negative delay,
// so each process prints one harmless TimeoutNegativeWarning (silence it with
// `node --disable-warning=TimeoutNegativeWarning`).
import {
  Kafka,
  logLevel,
  type Admin,
  type ITopicConfig,
  type KafkaConfig,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { kafkajsLogCreator, type ExpectedKafkaWarning, type KafkaLogger } from './logger.ts';
import { javaCompatiblePartitioner } from './partitioner.ts';

export { kafkajsLogCreator, type ExpectedKafkaWarning, type KafkaLogger } from './logger.ts';
export { javaCompatiblePartitioner } from './partitioner.ts';
export { logLevel } from 'kafkajs';
export type { Admin, Consumer, EachMessagePayload, Kafka, Message, Producer } from 'kafkajs';

export interface CreateKafkaOptions extends Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel' | 'logCreator'> {
  brokers: string[];
  clientId: string;
  /** kafkajs's own log entries go here (pino-compatible); without it, kafkajs logs JSON to the console. */
  logger?: KafkaLogger;
  /** Threshold for kafkajs's own logs. Default WARN: kafkajs is very chatty at INFO. */
  logLevel?: logLevel;
  /** kafkajs warnings the app causes on purpose, logged at debug with their reason. */
  expectedWarnings?: readonly ExpectedKafkaWarning[];
}

/** A kafkajs client; its logs bridged to `logger` when given, at level WARN unless told otherwise. */
export function createKafka({ brokers, clientId, logger, logLevel: level = logLevel.WARN, expectedWarnings, ...config }: CreateKafkaOptions): Kafka {
  return new Kafka({
    ...config,
    brokers,
    clientId,
    logLevel: level,
    ...(logger ? { logCreator: kafkajsLogCreator(logger, expectedWarnings) } : {}),
  });
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor?: number;
  configEntries?: ITopicConfig['configEntries'];
}

/**
 * Creates the topics that do not exist yet and waits until every partition of them has a leader,
 * so a producer or consumer can use them at once. Idempotent: topics that exist are left as they are.
 * Resolves true when at least one topic was created.
 */
export async function createTopics(admin: Admin, topics: TopicSpec[]): Promise<boolean> {
  // Asking for existing topics would work too (kafkajs resolves false), but kafkajs logs it as an error.
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return false;
  return admin.createTopics({ topics: missing, waitForLeaders: true });
}

/**
 * A producer that writes each message exactly once per partition and in order: idempotent (the broker
 * drops retried duplicates by producer id + sequence), one request in flight per broker (ordering
 * under retries), unbounded retries (kafkajs's default for idempotence) and Kafka's default murmur2
 * partitioner, chosen explicitly (`javaCompatiblePartitioner`: the same partitions, faster). `send()` must use acks -1 (all in-sync replicas): that is kafkajs's
 * default, and kafkajs rejects any other value on an idempotent producer.
 */
export function createIdempotentProducer(
  kafka: Kafka,
  config: Omit<ProducerConfig, 'idempotent' | 'maxInFlightRequests' | 'transactionalId'> = {},
): Producer {
  return kafka.producer({
    createPartitioner: javaCompatiblePartitioner,
    ...config,
    idempotent: true,
    maxInFlightRequests: 1,
  });
}
