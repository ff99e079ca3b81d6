// The dispo-patcher worker app: the runtime's worker on queue `dispo-patcher`, with the Algolia
// client, the watermark store (Postgres sync_state) and the Teams notifier the handlers use.
import { createAlgoliaClient, type AlgoliaClient } from '@syncfleet/algolia';
import { createPool, createSyncState } from '@syncfleet/db';
import { catalogue } from '@syncfleet/jobs';
import { createLogger, secretsFromEnv, type Logger } from '@syncfleet/log';
import { createNoopNotifier, createTeamsNotifier, type Notifier } from '@syncfleet/notify';
import { createWorkerApp, withResources, type WorkerApp } from '@syncfleet/runtime';
import { createDispoHandlers } from './dispo.handler.ts';
import { tmpIndexOf, type DispoPatcherConfig } from './env.ts';

export const APP_NAME = 'dispo-patcher';
/** The sync's name in the catalogue, the run ledger and sync_state. */
export const SYNC = 'dispo-patcher';

export interface DispoPatcherDeps {
  client?: AlgoliaClient;
  notifier?: Notifier;
  logger?: Logger;
}

export function createDispoPatcherApp(config: DispoPatcherConfig, deps: DispoPatcherDeps = {}): WorkerApp {
  const secrets = [...secretsFromEnv(process.env), config.ALGOLIA_API_KEY, ...(config.TEAMS_WEBHOOK_URL ? [config.TEAMS_WEBHOOK_URL] : [])];
  const log = deps.logger ?? createLogger({ name: APP_NAME, level: config.LOG_LEVEL, secrets });
  const notifier =
    deps.notifier ??
    (config.TEAMS_WEBHOOK_URL
      ? createTeamsNotifier({ webhookUrl: config.TEAMS_WEBHOOK_URL, log, secrets: [config.ALGOLIA_API_KEY] })
      : createNoopNotifier(log));
  const client =
    deps.client ??
    createAlgoliaClient({
      appId: config.ALGOLIA_APP_ID,
      apiKey: config.ALGOLIA_API_KEY,
      hosts: config.ALGOLIA_HOSTS.length > 0 ? config.ALGOLIA_HOSTS : undefined,
      // algoliasearch's node requester runs its "connect" timeout until the response headers
      // arrive: 2 s (its default) would cut a batch call that a busy cluster takes longer to answer
      timeouts: { connect: 10_000, read: 10_000, write: 30_000 },
    });
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    applicationName: `${APP_NAME}:state`,
    max: 2,
    onError: (error) => log.warn({ err: error }, 'postgres pool error (sync state)'),
  });
  const inner = createWorkerApp({
    appName: APP_NAME,
    catalogue,
    queue: 'dispo-patcher',
    config,
    logger: log,
    notifier,
    handlers: createDispoHandlers({
      client,
      state: createSyncState(pool, config.FLEET_PREFIX, SYNC),
      notifier,
      indexName: config.ALGOLIA_INDEX_NAME,
      tmpIndexName: tmpIndexOf(config),
      dryRun: config.DISPO_DRY_RUN,
      dryRunNotify: config.DISPO_DRY_RUN_NOTIFY,
      batchSize: config.DISPO_BATCH_SIZE,
      maxInFlight: config.DISPO_MAX_IN_FLIGHT,
    }),
  });

  return withResources(
    inner,
    () => pool.end(),
    () =>
      log.info(
        { index: config.ALGOLIA_INDEX_NAME, tmpIndex: tmpIndexOf(config), dryRun: config.DISPO_DRY_RUN, emulatedHosts: config.ALGOLIA_HOSTS.length > 0 },
        'dispo-patcher ready',
      ),
  );
}
