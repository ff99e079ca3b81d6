// The returns-sync worker app: the runtime's workers on the run queue (`returns-sync`, one run at
// a time across every replica) and/or the processing queue (`returns-sync-processing`, pages fanned
// out over every replica), chosen by RETURNS_WORKER_QUEUES, with the Postgres source and state
// table, the Algolia client and the queue a run adds its pages to.
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import pg from 'pg';
import { createAlgoliaClient, type AlgoliaClient } from '@syncfleet/algolia';
import { createPool, createSyncState, type Pool } from '@syncfleet/db';
import { catalogue } from '@syncfleet/jobs';
import { createLogger, secretsFromEnv, type Logger } from '@syncfleet/log';
import type { Notifier } from '@syncfleet/notify';
import { CleanupStack, createFleetQueue, createWorkerApp, withResources, type WorkerApp } from '@syncfleet/runtime';
import type { ReturnsSyncConfig, ReturnsQueue } from './env.ts';
import { createReturnsHandlers, type ReturnsHandlers } from './returns.handler.ts';
import { createRefusedRecordStore } from './refused-records.ts';
import { createReturnsSource, returnsPoolOptions } from './returns-source.ts';
import { createRunStore } from './run-state.ts';

export const APP_NAME = 'returns-sync';
/** The sync's name in the catalogue, the run ledger and sync_state. */
export const SYNC = 'returns-sync';

export interface ReturnsSyncDeps {
  client?: AlgoliaClient;
  notifier?: Notifier;
  logger?: Logger;
}

/** The handlers of the jobs of the consumed queues (the runtime refuses handlers of other queues). */
function handlersFor(all: ReturnsHandlers, queues: readonly ReturnsQueue[]): ReturnsHandlers {
  const picked = Object.fromEntries(Object.entries(all).filter(([name]) => queues.includes(catalogue.jobs[name as keyof ReturnsHandlers].queue)));
  return picked as unknown as ReturnsHandlers;
}

export function createReturnsSyncApp(config: ReturnsSyncConfig, deps: ReturnsSyncDeps = {}): WorkerApp {
  const queues = config.RETURNS_WORKER_QUEUES as ReturnsQueue[];
  const runsHere = queues.includes('returns-sync');
  const secrets = [...secretsFromEnv(process.env), config.ALGOLIA_API_KEY];
  const log = deps.logger ?? createLogger({ name: APP_NAME, level: config.LOG_LEVEL, secrets });
  const client =
    deps.client ??
    createAlgoliaClient({
      appId: config.ALGOLIA_APP_ID,
      apiKey: config.ALGOLIA_API_KEY,
      hosts: config.ALGOLIA_HOSTS.length > 0 ? config.ALGOLIA_HOSTS : undefined,
    });
  const pageConcurrency = config.RETURNS_PROCESSING_CONCURRENCY ?? catalogue.queues['returns-sync-processing'].concurrency;
  const resources = new CleanupStack();
  const onPoolError = (error: Error): void => log.warn({ err: error }, 'postgres pool error (returns)');
  // each page holds a connection for its heartbeat and its read: one per concurrent page, plus the
  // run's; the session settings are the ones the page read's timestamp text relies on
  const sourcePool: Pool = new pg.Pool({
    connectionString: config.RETURNS_DATABASE_URL ?? config.DATABASE_URL,
    application_name: `${APP_NAME}:returns`,
    max: (queues.includes('returns-sync-processing') ? pageConcurrency : 0) + 2,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    options: returnsPoolOptions,
  });
  sourcePool.on('error', onPoolError);
  resources.push('returns pool', () => sourcePool.end());
  let fleetPool: Pool = sourcePool;
  if (config.RETURNS_DATABASE_URL !== undefined && config.RETURNS_DATABASE_URL !== config.DATABASE_URL) {
    const pool = createPool({ connectionString: config.DATABASE_URL, applicationName: `${APP_NAME}:state`, max: 1, onError: onPoolError });
    resources.push('fleet pool', () => pool.end());
    fleetPool = pool;
  }
  let pagesQueue: Queue | undefined;
  if (runsHere) {
    const connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 20, connectionName: `${APP_NAME}:pages` });
    connection.on('error', (error) => log.warn({ err: error }, 'redis connection error (pages)'));
    resources.push('pages connection', async () => {
      await connection.quit().catch(() => undefined);
    });
    const queue = createFleetQueue(connection, config.FLEET_PREFIX, 'returns-sync-processing');
    resources.push('pages queue', () => queue.close());
    pagesQueue = queue;
  }

  const handlers = createReturnsHandlers({
    source: createReturnsSource(sourcePool, config.RETURNS_SOURCE_TABLE),
    runs: createRunStore(sourcePool, {
      jobType: config.RETURNS_JOB_TYPE,
      overlapMs: config.RETURNS_OVERLAP,
      staleAfterMs: config.RETURNS_STALE_AFTER,
      origin: config.RETURNS_BACKFILL_SINCE,
      healHours: config.RETURNS_HEAL_HOURS,
    }),
    refused: createRefusedRecordStore(sourcePool, config.ALGOLIA_INDEX_NAME),
    maxRefusedPerPage: config.RETURNS_MAX_REFUSED_PER_PAGE,
    client,
    indexName: config.ALGOLIA_INDEX_NAME,
    pagesQueue,
    watermark: createSyncState(fleetPool, config.FLEET_PREFIX, SYNC),
    pageSize: config.RETURNS_PAGE_SIZE,
    pageAttempts: config.RETURNS_PAGE_ATTEMPTS,
    pageBackoffMs: config.RETURNS_PAGE_BACKOFF,
    algoliaAttempts: config.RETURNS_ALGOLIA_ATTEMPTS,
    dumpDir: config.RETURNS_DUMP_DIR,
    workerId: config.WORKER_ID,
  });

  const inner = createWorkerApp({
    appName: APP_NAME,
    catalogue,
    queue: queues,
    config,
    logger: log,
    ...(deps.notifier ? { notifier: deps.notifier } : {}),
    concurrency: queues.includes('returns-sync-processing') ? { 'returns-sync-processing': pageConcurrency } : {},
    handlers: handlersFor(handlers, queues),
  });

  const releaseResources = async (): Promise<void> => {
    await resources.release((name, error) => log.warn({ err: error, resource: name }, 'cleanup failed'));
  };

  return withResources(inner, releaseResources, () =>
    log.info(
      {
        queues,
        table: config.RETURNS_SOURCE_TABLE,
        jobType: config.RETURNS_JOB_TYPE,
        index: config.ALGOLIA_INDEX_NAME,
        overlapMs: config.RETURNS_OVERLAP,
        pageSize: config.RETURNS_PAGE_SIZE,
        emulatedHosts: config.ALGOLIA_HOSTS.length > 0,
      },
      'returns-sync ready',
    )
  );
}
