// The long-running Kafka consumer of the Arena topics (a consumer group: replicas share the
// partitions). Each batch kafkajs fetches for a partition is cut into chunks; a chunk is one
// transaction (ingest.ts), and its last offset is resolved and committed only after that
// transaction has committed. A crash loses nothing (uncommitted offsets are read again) and
// duplicates nothing (a stored message is not processed again).
import type { Consumer, Kafka } from '@syncfleet/kafka';
import type { Logger } from '@syncfleet/log';
import type { ArenaIngest, ChunkSummary } from './ingest.ts';

export interface ArenaConsumerOptions {
  kafka: Kafka;
  groupId: string;
  sessionTimeoutMs: number;
  topics: string[];
  ingest: ArenaIngest;
  /** Messages per transaction. */
  chunkSize: number;
  partitionsConcurrently: number;
  log: Logger;
  onChunk?: (topic: string, summary: ChunkSummary, seconds: number) => void;
  /** After a chunk's offset was committed: the messages of its partition still behind it (as of the batch's fetch). */
  onLag?: (topic: string, partition: number, lag: number) => void;
  /** The group was (re)joined: this replica's partitions may have changed. */
  onAssignment?: () => void;
  /** kafkajs gave up on the consumer (a crash it will not restart from): the app should exit. */
  onFatal: (error: Error) => void;
}

export interface ArenaConsumer {
  start(): Promise<void>;
  /** Finishes the chunk in flight (its transaction and offset commit), leaves the group, disconnects. */
  stop(): Promise<void>;
}

/** Messages after `offset` up to the high watermark (the next offset to be written); offsets are 64-bit. */
export function partitionLag(highWatermark: string, offset: string): number {
  const lag = BigInt(highWatermark) - BigInt(offset) - 1n;
  return lag > 0n ? Number(lag) : 0;
}

export function createArenaConsumer(options: ArenaConsumerOptions): ArenaConsumer {
  const { log } = options;
  let receiving = false;
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    // a short long-poll: stop() waits for the fetch in flight
    maxWaitTimeInMs: 1000,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.error({ err: payload.error, restart: payload.restart, groupId: payload.groupId }, 'kafka consumer crashed');
    if (!payload.restart) options.onFatal(payload.error);
  });
  consumer.on(consumer.events.GROUP_JOIN, () => options.onAssignment?.());

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: true });
      await consumer.run({
        eachBatchAutoResolve: false,
        autoCommit: true,
        // commitOffsetsIfNecessary() commits every resolved offset: the offset of a committed chunk
        autoCommitThreshold: 1,
        partitionsConsumedConcurrently: options.partitionsConcurrently,
        eachBatch: async (payload) => {
          const { messages, topic, partition } = payload.batch;
          if (!receiving && messages.length > 0) {
            receiving = true;
            log.info({ topic, partition, offset: messages[0]!.offset }, 'first messages received');
          }
          for (let i = 0; i < messages.length; i += options.chunkSize) {
            if (!payload.isRunning() || payload.isStale()) return;
            const chunk = messages.slice(i, i + options.chunkSize);
            const started = performance.now();
            const summary = await options.ingest.ingestMessages(
              chunk.map((m) => ({ topic, partition, offset: m.offset, value: m.value })),
            );
            const last = chunk.at(-1)!.offset;
            payload.resolveOffset(last);
            await payload.commitOffsetsIfNecessary();
            options.onChunk?.(topic, summary, (performance.now() - started) / 1000);
            if (summary.rejected > 0) {
              log.warn({ topic, partition, firstOffset: chunk[0]!.offset, rejected: summary.rejected }, 'messages Postgres refused are stored INVALID with the reason; the rest of their chunk was processed one by one');
            }
            options.onLag?.(topic, partition, partitionLag(payload.batch.highWatermark, last));
            if (log.isLevelEnabled('debug')) {
              const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
              const mb = (bytes: number) => Math.round(bytes / 1048576);
              log.debug(
                { topic, partition, firstOffset: chunk[0]!.offset, messages: chunk.length, ...summary, memoryMb: { rss: mb(rss), heapUsed: mb(heapUsed), arrayBuffers: mb(arrayBuffers) } },
                'chunk committed',
              );
            }
            await payload.heartbeat();
          }
        },
      });
      log.info({ topics: options.topics, groupId: options.groupId }, 'kafka consumer started');
    },
    async stop() {
      await consumer.disconnect();
      log.info({ groupId: options.groupId }, 'kafka consumer stopped');
    },
  };
}
