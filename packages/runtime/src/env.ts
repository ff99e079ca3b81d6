import { hostname } from 'node:os';
import { z } from 'zod';
import { envBoolean, envDurationMs, envPort, envUrl } from '@syncfleet/config';

/** The env every worker app reads (an app extends it with its own variables). */
export const WorkerEnv = z.object({
  REDIS_URL: envUrl({ protocols: ['redis:', 'rediss:'] }).default('redis://127.0.0.1:6379'),
  DATABASE_URL: envUrl({ protocols: ['postgres:', 'postgresql:'] }).default('postgres://postgres@127.0.0.1:5432/syncfleet'),
  /** Namespaces the fleet's Redis keys (BullMQ prefix `{FLEET_PREFIX}`): two fleets can share a Redis. */
  FLEET_PREFIX: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').default('syncfleet'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Port of /healthz and /metrics; 0 picks a free one. */
  HEALTH_PORT: envPort(9464),
  HEALTH_HOST: z.string().default('0.0.0.0'),
  WORKER_ID: z.string().min(1).default(`${hostname()}:${process.pid}`),
  /** How long a stopping worker lets its active run finish before it gives the job back. */
  SHUTDOWN_TIMEOUT_MS: envDurationMs(30_000),
  /** A run whose worker stopped renewing its lock this long ago is taken over (BullMQ stall). */
  LOCK_DURATION_MS: envDurationMs(30_000),
  STALLED_INTERVAL_MS: envDurationMs(30_000),
  HEAL_MUST_WAIT_FOR_INITIAL_SYNC: envBoolean(true),
  TEAMS_WEBHOOK_URL: envUrl({ protocols: ['http:', 'https:'] }).optional(),
  /**
   * While a problem lasts (a job keeps failing, a sync lags), at most one Teams card per this
   * interval: the first failed run posts at once, later ones are counted on the next card, and the
   * first success posts a recovery card. 0: a card every time.
   */
  TEAMS_ALERT_REPEAT_MS: envDurationMs(3_600_000),
});
export type WorkerConfig = z.output<typeof WorkerEnv>;
