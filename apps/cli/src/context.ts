// What a command needs from the outside world, created on first use and closed once at the end:
// the env, a Redis connection, a Postgres pool, and the control plane over both.
import { Redis } from 'ioredis';
import { parseEnv, type EnvSource } from '@syncfleet/config';
import { createFleetControl, type FleetControl } from '@syncfleet/control';
import { createPool, type Pool } from '@syncfleet/db';
import { scheduleEnvSchema, type AnyCatalogue } from '@syncfleet/jobs';
import { CliEnv, type CliConfig } from './env.ts';
import { OperationError, redactUrls } from './errors.ts';

export interface ConnectNeeds {
  /** Connect to Redis (fails with a clear message when it does not answer). */
  redis?: boolean;
  /** Connect to Postgres and check that the run ledger exists. */
  postgres?: boolean;
}

export interface CliContext {
  catalogue: AnyCatalogue;
  config(): CliConfig;
  /**
   * The control plane, without I/O yet (connections open on first use). `schedules` applies the
   * schedule env overrides (`<JOB>_CRON`, `<JOB>_ENABLED`...) to the job list.
   */
  control(options?: { schedules?: boolean }): FleetControl;
  /** The Postgres pool (lazy), for commands that query their sync's own tables. */
  pool(): Pool;
  /** Opens the connections a command needs, so that an unreachable server gets a clear message. */
  connect(needs: ConnectNeeds): Promise<void>;
  /** Closes whatever was opened. Idempotent. */
  close(): Promise<void>;
}

const closeTimeoutMs = 2000;

function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(errorText).join('; ');
  return error instanceof Error ? error.message || error.name : String(error);
}

export function createCliContext(catalogue: AnyCatalogue, env: EnvSource): CliContext {
  let config: CliConfig | undefined;
  let redis: Redis | undefined;
  let lastRedisError: Error | undefined;
  let pool: Pool | undefined;
  let control: FleetControl | undefined;
  let redisChecked = false;
  let postgresChecked = false;

  const getConfig = (): CliConfig => (config ??= parseEnv(CliEnv, env));

  const getRedis = (): Redis => {
    if (!redis) {
      redis = new Redis(getConfig().REDIS_URL, {
        lazyConnect: true,
        connectionName: 'fleet-cli',
        connectTimeout: 5000,
        // fail a command rather than queue it forever; reconnect a few times during a long --wait
        maxRetriesPerRequest: 3,
        retryStrategy: (times) => (times > 5 ? null : Math.min(times * 200, 1000)),
      });
      redis.on('error', (error: Error) => {
        lastRedisError = error;
      });
    }
    return redis;
  };

  const getPool = (): Pool => {
    pool ??= createPool({ connectionString: getConfig().DATABASE_URL, applicationName: 'fleet-cli', max: 2, onError: () => undefined });
    return pool;
  };

  const checkRedis = async (): Promise<void> => {
    const client = getRedis();
    try {
      if (client.status === 'wait') await client.connect();
      await client.ping();
    } catch (error) {
      throw new OperationError(`cannot reach Redis at ${redactUrls(getConfig().REDIS_URL)}: ${errorText(lastRedisError ?? error)}`);
    }
  };

  const checkPostgres = async (): Promise<void> => {
    try {
      await getPool().query('SELECT fleet FROM run_ledger LIMIT 0');
    } catch (error) {
      const where = redactUrls(getConfig().DATABASE_URL);
      const code = (error as { code?: unknown }).code;
      if (code === '42P01' || code === '42703') {
        throw new OperationError(`the run ledger in ${where} is missing or out of date (${errorText(error)}): run \`fleet migrate\` first`);
      }
      throw new OperationError(`cannot reach Postgres at ${where}: ${errorText(error)}`);
    }
  };

  return {
    catalogue,
    config: getConfig,
    pool: getPool,

    async connect(needs) {
      if (needs.redis && !redisChecked) {
        await checkRedis();
        redisChecked = true;
      }
      if (needs.postgres && !postgresChecked) {
        await checkPostgres();
        postgresChecked = true;
      }
    },

    control(options = {}) {
      if (!control) {
        const schedules = options.schedules ? parseEnv(scheduleEnvSchema(catalogue), env) : undefined;
        control = createFleetControl({
          catalogue,
          fleetPrefix: getConfig().FLEET_PREFIX,
          redis: getRedis(),
          pool: getPool(),
          ...(schedules ? { schedules } : {}),
        });
      }
      return control;
    },

    async close() {
      const [c, r, p] = [control, redis, pool];
      control = undefined;
      redis = undefined;
      pool = undefined;
      const bounded = (work: Promise<unknown>) =>
        Promise.race([work.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, closeTimeoutMs).unref())]);
      await bounded(c?.close() ?? Promise.resolve());
      if (r) {
        if (r.status === 'ready') await bounded(r.quit());
        r.disconnect();
      }
      if (p) await bounded(p.end());
    },
  };
}
