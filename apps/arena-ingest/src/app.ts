// The arena-ingest app: one process running the Kafka consumer of the Arena topics and the worker
// of the arena-ingest queue (the maintenance jobs), with one graceful shutdown: the consumer
// finishes its chunk in flight and leaves the group, the worker lets its active run finish, then
// the producer, Redis and Postgres are closed.
import { Redis } from 'ioredis';
import { createPool, createSyncState } from '@syncfleet/db';
import { catalogue } from '@syncfleet/jobs';
import { createIdempotentProducer, createKafka } from '@syncfleet/kafka';
import { createLogger, secretsFromEnv, type Logger } from '@syncfleet/log';
import { createRegistry } from '@syncfleet/metrics';
import { createNoopNotifier, createTeamsNotifier, type Notifier } from '@syncfleet/notify';
import { CleanupStack, createAlertState, createFleetQueue, createWorkerApp, type WorkerApp } from '@syncfleet/runtime';
import type { Queue } from 'bullmq';
import { createAmtPublisher } from './amt-publisher.ts';
import { createArenaConsumer } from './consumer.ts';
import { systemClock, type Clock } from './domain/records.ts';
import type { ArenaIngestConfig } from './env.ts';
import { createArenaIngest } from './ingest.ts';
import { createMaintenanceHandlers } from './maintenance.handler.ts';
import { createArenaMetrics, recordChunk, refreshRowGauges } from './metrics.ts';
import { createPersonLookup } from './person-lookup.ts';
import { createStallWatch, readGroupProgress } from './stall-watch.ts';

export interface ArenaIngestAppOptions {
  clock?: Clock;
  logger?: Logger;
  notifier?: Notifier;
  /** The consumer crashed for good (kafkajs will not restart it). Default: log it; main.ts exits. */
  onFatal?: (error: Error) => void;
}

export interface ArenaIngestApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly log: Logger;
  readonly worker: WorkerApp;
}

export function createArenaIngestApp(config: ArenaIngestConfig, options: ArenaIngestAppOptions = {}): ArenaIngestApp {
  const secrets = secretsFromEnv(process.env);
  for (const secret of [config.TEAMS_WEBHOOK_URL, config.ARENA_PERSON_LOOKUP_TOKEN]) if (secret) secrets.push(secret);
  const log = options.logger ?? createLogger({ name: 'arena-ingest', level: config.LOG_LEVEL, secrets });
  const registry = createRegistry('arena-ingest');
  const metrics = createArenaMetrics(registry);
  const notifier =
    options.notifier ?? (config.TEAMS_WEBHOOK_URL ? createTeamsNotifier({ webhookUrl: config.TEAMS_WEBHOOK_URL, log, secrets }) : createNoopNotifier(log));
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    applicationName: 'arena-ingest',
    // a transaction per partition worked on at once, one for the maintenance job, one for the gauges
    max: config.ARENA_PARTITIONS_CONCURRENTLY + 2,
    onError: (error) => log.warn({ err: error }, 'postgres pool error'),
  });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger: log.child({ component: 'kafkajs' }) });
  const producer = createIdempotentProducer(kafka);
  const persons = createPersonLookup({
    url: config.ARENA_PERSON_LOOKUP_URL,
    token: config.ARENA_PERSON_LOOKUP_TOKEN,
    timeoutMs: config.ARENA_PERSON_LOOKUP_TIMEOUT_MS,
    concurrency: config.ARENA_PERSON_LOOKUP_CONCURRENCY,
    cacheSize: config.ARENA_PERSON_CACHE_SIZE,
    cacheTtlMs: config.ARENA_PERSON_CACHE_TTL_MS,
  });
  const ingest = createArenaIngest({
    pool,
    persons,
    publisher: createAmtPublisher(producer, config.AMT_TOPIC),
    clock: options.clock ?? systemClock,
    maxAttempts: config.ARENA_MAX_ATTEMPTS,
  });

  let queue: Queue | undefined;
  const worker = createWorkerApp({
    appName: 'arena-ingest',
    catalogue,
    queue: 'arena-ingest',
    config,
    logger: log,
    registry,
    notifier,
    handlers: createMaintenanceHandlers({
      pool,
      ingest,
      config,
      metrics,
      notifier,
      log,
      queue: () => {
        if (!queue) throw new Error('the arena-ingest queue is not open (app not started)');
        return queue;
      },
    }),
  });

  const topics = [config.ARENA_TOPIC_GJENNOMFORING, config.ARENA_TOPIC_DELTAKER, config.ARENA_TOPIC_HIST_DELTAKER];
  const consumer = createArenaConsumer({
    kafka,
    groupId: config.KAFKA_GROUP_ID,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    topics,
    ingest,
    chunkSize: config.ARENA_CHUNK_SIZE,
    partitionsConcurrently: config.ARENA_PARTITIONS_CONCURRENTLY,
    log,
    onChunk: (topic, summary, seconds) => recordChunk(metrics, topic, summary, seconds),
    onLag: (topic, partition, lag) => metrics.consumerLag.set({ topic, partition: String(partition) }, lag),
    // partitions other replicas took over are not this one's to report
    onAssignment: () => metrics.consumerLag.reset(),
    onFatal: (error) => {
      log.fatal({ err: error }, 'the kafka consumer stopped for good');
      options.onFatal?.(error);
    },
  });

  const stack = new CleanupStack();
  let started = false;

  const app: ArenaIngestApp = {
    log,
    worker,
    async start() {
      if (started) throw new Error('arena-ingest is already started');
      started = true;
      try {
        stack.push('postgres', () => pool.end());
        stack.push('person lookup', () => persons.close());
        await pool.query('SELECT 1 FROM arena_data LIMIT 0').catch((error: unknown) => {
          throw new Error(`arena_data is not reachable (did migrations run?): ${error instanceof Error ? error.message : String(error)}`);
        });
        const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 20, connectionName: 'arena-ingest:enqueue' });
        redis.on('error', (error) => log.warn({ err: error }, 'redis connection error (enqueue)'));
        stack.push('redis', async () => {
          await redis.quit().catch(() => redis.disconnect());
        });
        const q = createFleetQueue(redis, config.FLEET_PREFIX, 'arena-ingest');
        queue = q;
        stack.push('queue', () => q.close());
        await producer.connect();
        stack.push('producer', () => producer.disconnect());
        // the worker's active run may publish: it stops before the producer
        await worker.start();
        stack.push('worker', () => worker.stop());
        await refreshRowGauges(pool, metrics).catch((error: unknown) => log.warn({ err: error }, 'row gauges not refreshed'));
        const timer = setInterval(() => {
          refreshRowGauges(pool, metrics).catch((error: unknown) => log.warn({ err: error }, 'row gauges not refreshed'));
        }, config.ARENA_METRICS_REFRESH_MS);
        timer.unref();
        stack.push('gauges', () => {
          clearInterval(timer);
          return Promise.resolve();
        });
        await consumer.start();
        stack.push('consumer', () => consumer.stop());
        if (config.ARENA_STALL_ALERT_MS > 0) {
          const syncState = createSyncState(pool, config.FLEET_PREFIX, 'arena-ingest');
          const admin = kafka.admin();
          await admin.connect();
          stack.push('kafka admin', () => admin.disconnect());
          const watch = createStallWatch({
            redis,
            fleetPrefix: config.FLEET_PREFIX,
            groupId: config.KAFKA_GROUP_ID,
            read: () => readGroupProgress(admin, config.KAFKA_GROUP_ID, topics),
            thresholdMs: config.ARENA_STALL_ALERT_MS,
            alerts: createAlertState(redis, { fleetPrefix: config.FLEET_PREFIX, repeatMs: config.TEAMS_ALERT_REPEAT_MS }),
            notifier,
            log,
            gauge: metrics.stalledSeconds,
            // `fleet status arena-ingest` and the API show it as the sync's watermark
            onChecked: (position) => syncState.set('watermark', position),
          });
          let checking: Promise<unknown> | undefined;
          const stallTimer = setInterval(() => {
            if (checking) return; // a slow broker is not asked twice at once
            checking = watch
              .check()
              .catch((error: unknown) => log.warn({ err: error }, 'stall check failed'))
              .finally(() => (checking = undefined));
          }, config.ARENA_STALL_CHECK_INTERVAL_MS);
          stallTimer.unref();
          stack.push('stall watch', async () => {
            clearInterval(stallTimer);
            await checking;
          });
        }
        log.info(
          { topics, amtTopic: config.AMT_TOPIC, healthPort: worker.healthPort, stallAlertMs: config.ARENA_STALL_ALERT_MS },
          'arena-ingest started',
        );
      } catch (error) {
        await stack.release((name, e) => log.warn({ err: e, resource: name }, 'cleanup failed'));
        throw error;
      }
    },
    async stop() {
      log.info('arena-ingest stopping: the consumer finishes its chunk, the worker its run');
      await stack.release((name, error) => log.warn({ err: error, resource: name }, 'cleanup failed'));
      log.info('arena-ingest stopped');
      log.flush();
    },
  };
  return app;
}
