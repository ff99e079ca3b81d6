// The scheduler app: owns the fleet's job schedulers, queues the initial syncs when asked, and serves
// the control plane (HTTP API, Bull Board, /healthz, /metrics). It runs no sync work itself.
import { Redis } from 'ioredis';
import { createFleetControl, type FleetControl } from '@syncfleet/control';
import { createPool } from '@syncfleet/db';
import { catalogue as fleetCatalogue, type AnyCatalogue } from '@syncfleet/jobs';
import { createLogger, secretsFromEnv, type Logger } from '@syncfleet/log';
import { createRegistry, type Registry } from '@syncfleet/metrics';
import { createTeamsNotifier, type Notifier } from '@syncfleet/notify';
import { CleanupStack, createAlertState } from '@syncfleet/runtime';
import type { SchedulerConfig } from './env.ts';
import { createHttpServer } from './http-server.ts';
import { enqueueInitialSyncs, type InitialSyncOutcome } from './initial-sync.ts';
import { publishLagThresholds, startLagMonitor } from './lag-alerts.ts';
import { syncJobSchedulers, type SchedulerSyncResult } from './schedulers.ts';

export interface SchedulerDeps {
  /** Default: the fleet's catalogue (the one `SchedulerEnv` read the schedule overrides of). */
  catalogue?: AnyCatalogue;
  logger?: Logger;
  registry?: Registry;
  /** Where lag alerts go; default: the Teams webhook of TEAMS_WEBHOOK_URL (none when unset). */
  notifier?: Notifier;
}

export interface SchedulerApp {
  start(): Promise<void>;
  /** Closes the HTTP server, then the queues, Redis and Postgres. */
  stop(): Promise<void>;
  readonly log: Logger;
  /** The port the HTTP server listens on, once started. */
  readonly port: number | undefined;
  /** What the last start did to the job schedulers and the initial syncs. */
  readonly boot: { schedulers: SchedulerSyncResult; initialSyncs: InitialSyncOutcome[] } | undefined;
  [Symbol.asyncDispose](): Promise<void>;
}

const appName = 'scheduler';

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function createSchedulerApp(config: SchedulerConfig, deps: SchedulerDeps = {}): SchedulerApp {
  const catalogue = deps.catalogue ?? fleetCatalogue;
  const secrets = secretsFromEnv(process.env);
  for (const secret of [config.API_TOKEN, config.DASHBOARD_PASSWORD]) if (secret) secrets.push(secret);
  const log = deps.logger ?? createLogger({ name: appName, level: config.LOG_LEVEL, secrets });
  const scrub = (text: string): string => secrets.reduce((t, s) => (s.length >= 6 ? t.replaceAll(s, '[REDACTED]') : t), text);
  const registry = deps.registry ?? createRegistry(appName);
  const stack = new CleanupStack();
  let state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  let port: number | undefined;
  let boot: SchedulerApp['boot'];

  const release = () => stack.release((resource, error) => log.warn({ err: error, resource }, 'cleanup failed'));

  const app: SchedulerApp = {
    log,
    get port() {
      return port;
    },
    get boot() {
      return boot;
    },

    async start() {
      if (state !== 'idle') throw new Error(`cannot start a scheduler app that is ${state}`);
      state = 'starting';
      try {
        const pool = createPool({
          connectionString: config.DATABASE_URL,
          applicationName: appName,
          max: 4,
          onError: (error) => log.warn({ err: error }, 'postgres pool error'),
        });
        stack.push('postgres', () => pool.end());
        const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 20, connectionName: appName });
        redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
        stack.push('redis', async () => {
          await redis.quit().catch(() => redis.disconnect());
        });
        await pool.query('SELECT 1 FROM run_ledger LIMIT 0').catch((error: unknown) => {
          throw new Error(`the run ledger is not reachable (did migrations run?): ${scrub(errorText(error))}`);
        });

        const control: FleetControl = createFleetControl({
          catalogue,
          fleetPrefix: config.FLEET_PREFIX,
          redis,
          pool,
          schedules: config.schedules,
        });
        stack.push('queues', () => control.close());

        const schedulers = await syncJobSchedulers({
          catalogue,
          fleetPrefix: config.FLEET_PREFIX,
          schedules: config.schedules,
          queue: control.queue,
          redis,
          log,
        });
        log.info(
          {
            created: schedulers.created,
            updated: schedulers.updated,
            unchanged: schedulers.unchanged,
            removed: schedulers.removed.map((r) => `${r.queue}/${r.id}`),
          },
          'job schedulers in place',
        );
        const initialSyncs = config.START_INITIAL_SYNC ? await enqueueInitialSyncs({ control, redis, pool, log }) : [];
        boot = { schedulers, initialSyncs };

        // what lag each sync is allowed, for `fleet status` (whether or not cards go anywhere)
        await publishLagThresholds(redis, config.FLEET_PREFIX, config.lagAlertMs);
        const notifier = deps.notifier ?? (config.TEAMS_WEBHOOK_URL ? createTeamsNotifier({ webhookUrl: config.TEAMS_WEBHOOK_URL, log, secrets }) : undefined);
        if (notifier) {
          const lagMonitor = startLagMonitor({
            control,
            thresholds: config.lagAlertMs,
            intervalMs: config.LAG_CHECK_INTERVAL_MS,
            alerts: createAlertState(redis, { fleetPrefix: config.FLEET_PREFIX, repeatMs: config.TEAMS_ALERT_REPEAT_MS }),
            notifier,
            log,
          });
          stack.push('lag alerts', () => lagMonitor.stop());
        }

        if (config.AUTH_DISABLED) log.warn('AUTH_DISABLED=true: the API and the dashboard answer anyone who can reach them');
        const server = await createHttpServer({
          control,
          lagThresholds: config.lagAlertMs,
          auth: config.AUTH_DISABLED
            ? undefined
            : { apiToken: config.API_TOKEN, dashboardUser: config.DASHBOARD_USER, dashboardPassword: config.DASHBOARD_PASSWORD },
          registry,
          log,
          health: () => ({ ok: state === 'running' && redis.status === 'ready', app: appName, state, redis: redis.status, fleet: config.FLEET_PREFIX }),
        });
        stack.push('http server', () => server.close());
        await server.listen({ host: config.API_HOST, port: config.API_PORT });
        const address = server.server.address();
        port = typeof address === 'object' && address ? address.port : config.API_PORT;
        state = 'running';
        const auth = config.AUTH_DISABLED ? 'disabled' : 'required';
        log.info({ host: config.API_HOST, port, fleet: config.FLEET_PREFIX, auth }, 'scheduler app started');
      } catch (error) {
        state = 'stopping';
        await release();
        state = 'stopped';
        throw error;
      }
    },

    async stop() {
      if (state === 'idle' || state === 'stopped') {
        state = 'stopped';
        return;
      }
      state = 'stopping';
      log.info('stopping');
      await release();
      state = 'stopped';
      log.info('scheduler app stopped');
      log.flush();
    },

    async [Symbol.asyncDispose]() {
      await app.stop();
    },
  };
  return app;
}
