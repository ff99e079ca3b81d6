// slot-sync's worker app: the runtime's worker on the `slot-sync` queue, plus what its runs use
// (the cache connection, the WIW client, the encoder, the Kafka producer, StatsD), created at start
// and released, in reverse order, after the worker has stopped.
import type { ISocketFactory } from 'kafkajs';
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { catalogue } from '@syncfleet/jobs';
import { createValueRedactor, secretsFromEnv, type Logger } from '@syncfleet/log';
import { CleanupStack, createWorkerApp, type RunContext, type RunOutcome, type WorkerApp } from '@syncfleet/runtime';
import { syncWindow } from './domain/window.ts';
import type { SlotSyncConfig } from './env.ts';
import { createSlotCache } from './slot-cache.adapter.ts';
import { createAvroEncoder, createJsonEncoder, type SlotEncoder } from './slot-encoder.ts';
import { createSlotProducer } from './slot-producer.ts';
import { runSlotSync, type SlotRunOptions, type SlotSyncParts } from './slot-sync.service.ts';
import { createSlotStats } from './statsd.ts';
import { createWiwClient, WiwAuthError } from './wiw.adapter.ts';

export interface SlotSyncAppOptions {
  logger?: Logger;
  /** The clock the window is computed from. */
  now?: () => Date;
  /** How kafkajs opens its connections (tests use it to cut the network to the broker). */
  kafkaSocketFactory?: ISocketFactory;
}

export interface SlotSyncApp extends WorkerApp {
  /** The encoder in use (its schema ids, once registered). */
  readonly encoder: SlotEncoder;
}

export function createSlotSyncApp(config: SlotSyncConfig, options: SlotSyncAppOptions = {}): SlotSyncApp {
  const now = options.now ?? (() => new Date());
  let parts: SlotSyncParts | undefined;

  const run = async (runOptions: SlotRunOptions, ctx: RunContext): Promise<RunOutcome> => {
    if (!parts) throw new Error('slot-sync is not started');
    try {
      return await runSlotSync(parts, runOptions, { log: ctx.log, signal: ctx.signal });
    } catch (error) {
      // a refused token will be refused again: fail now, no retry (the next tick tries again)
      if (error instanceof WiwAuthError) throw new UnrecoverableError(error.message);
      throw error;
    }
  };

  const worker = createWorkerApp({
    appName: 'slot-sync',
    catalogue,
    queue: 'slot-sync',
    config,
    ...(options.logger ? { logger: options.logger } : {}),
    handlers: {
      'slots.sync': (_payload, ctx) =>
        run({ window: syncWindow(now(), config.SYNC_DAYS_PRIOR, config.SYNC_DAYS_AHEAD), republish: false, dryRun: ctx.dryRun }, ctx),
      'slots.resync': (payload, ctx) =>
        run(
          {
            window: syncWindow(now(), payload.daysPrior ?? config.SYNC_DAYS_PRIOR, payload.daysAhead ?? config.SYNC_DAYS_AHEAD),
            republish: true,
            dryRun: ctx.dryRun,
          },
          ctx,
        ),
    },
  });
  const log = worker.log;
  const encoder =
    config.SLOT_SYNC_ENCODING === 'json'
      ? createJsonEncoder()
      : createAvroEncoder({ registryUrl: config.AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL!, topic: config.KAFKA_TOPIC_NAME, clientId: config.KAFKA_CLIENT_ID });
  const stack = new CleanupStack();

  const app: SlotSyncApp = {
    encoder,
    get log() {
      return worker.log;
    },
    get registry() {
      return worker.registry;
    },
    get healthPort() {
      return worker.healthPort;
    },
    flushLedger: () => worker.flushLedger(),
    async start() {
      try {
        const cacheUrl = config.REDIS_HOST ?? config.REDIS_URL;
        const redis = new Redis(cacheUrl, { maxRetriesPerRequest: 20, connectionName: 'slot-sync:cache' });
        // the URL's password, as written and decoded, found as the logger finds secrets in the env
        const withoutPassword = createValueRedactor(secretsFromEnv({ REDIS_HOST: cacheUrl })) ?? ((text: string) => text);
        redis.on('error', (error: Error & { code?: unknown }) =>
          // not the error itself: ioredis attaches the failed command's arguments (AUTH's password)
          log.warn({ err: { type: error.name, message: withoutPassword(error.message), code: error.code } }, 'redis connection error (slot cache)'),
        );
        stack.push('slot cache', async () => {
          await redis.quit().catch(() => redis.disconnect());
        });
        const stats = createSlotStats({ host: config.STATSD_HOST, port: config.STATSD_PORT, log });
        stack.push('statsd', () => stats.close());
        const producer = createSlotProducer({
          brokers: config.KAFKA_BROKERS,
          clientId: config.KAFKA_CLIENT_ID,
          topic: config.KAFKA_TOPIC_NAME,
          connectionTimeoutMs: config.KAFKA_CONNECTION_TIMEOUT_MS,
          requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
          retries: config.KAFKA_RETRIES,
          log,
          ...(options.kafkaSocketFactory ? { socketFactory: options.kafkaSocketFactory } : {}),
        });
        stack.push('kafka producer', () => producer.close());
        parts = {
          wiw: createWiwClient({
            baseUrl: config.WIW_API_URL,
            token: config.WIW_KEY,
            timeoutMs: config.WIW_TIMEOUT_MS,
            retries: config.WIW_RETRIES,
            onRequest: () => stats.increment('wiw.get'),
          }),
          cache: createSlotCache(redis, { prefix: config.SLOT_CACHE_PREFIX, ttlSeconds: config.EXPIRE_CACHE }),
          encoder,
          producer,
          stats,
          publishBatchSize: config.SLOT_PUBLISH_BATCH_SIZE,
          ttlSeconds: config.EXPIRE_CACHE,
        };
        // Connect and register now, without holding the start-up: a run waits for (or redoes) both.
        const warmUp = Promise.all([
          producer.warmUp(),
          encoder.prepare(log).catch((error: unknown) => log.warn({ err: error }, 'schemas not registered at start-up; the first run will try again')),
        ]);
        stack.push('start-up connections', async () => {
          await warmUp;
        });
        await worker.start();
        log.info(
          { topic: config.KAFKA_TOPIC_NAME, encoding: encoder.encoding, daysPrior: config.SYNC_DAYS_PRIOR, daysAhead: config.SYNC_DAYS_AHEAD, cachePrefix: config.SLOT_CACHE_PREFIX },
          'slot-sync ready',
        );
      } catch (error) {
        await stack.release((name, e) => log.warn({ err: e, resource: name }, 'cleanup failed'));
        throw error;
      }
    },
    async stop() {
      await worker.stop();
      await stack.release((name, error) => log.warn({ err: error, resource: name }, 'cleanup failed'));
      parts = undefined;
    },
    async [Symbol.asyncDispose]() {
      await app.stop();
    },
  };
  return app;
}
