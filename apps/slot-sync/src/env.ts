// slot-sync's environment: the worker runtime's variables plus the seed's own names.
import { z } from 'zod';
import { envDurationMs, envInt, envList, envPort, envUrl } from '@syncfleet/config';
import { WorkerEnv } from '@syncfleet/runtime';

export const SlotSyncEnv = WorkerEnv.extend({
  /** When I Work API key, sent as the `W-Token` header (never logged). */
  WIW_KEY: z.string().min(1),
  WIW_API_URL: envUrl({ protocols: ['http', 'https'], default: 'https://api.wheniwork.com' }),
  /** Until WIW's response headers, then between two chunks of its body. */
  WIW_TIMEOUT_MS: envDurationMs(30_000),
  /** Quick retries of a failed WIW request inside one run (5xx, 429, timeouts), before the run fails and BullMQ retries it. */
  WIW_RETRIES: envInt({ min: 0, max: 10, default: 2 }),
  /** Whole UTC days before today that a run covers. */
  SYNC_DAYS_PRIOR: envInt({ min: 0, max: 366, default: 0 }),
  /** Whole UTC days after today that a run covers. */
  SYNC_DAYS_AHEAD: envInt({ min: 0, max: 366, default: 1 }),
  /** Seconds a cache entry lives after the shift was last seen (each run that sees it unchanged renews it). */
  EXPIRE_CACHE: envInt({ min: 1, default: 604_800 }),
  /** Cache keys are `<prefix><shift id>`; the indexes of start and end times are `<prefix>index` and `<prefix>index:end`. */
  SLOT_CACHE_PREFIX: z.string().min(1).default('slot:'),
  /** The slot cache's Redis (the seed's name for it); unset: the cache lives in REDIS_URL's. */
  REDIS_HOST: envUrl({ protocols: ['redis:', 'rediss:'] }).optional(),
  KAFKA_BROKERS: envList({ minItems: 1 }),
  KAFKA_TOPIC_NAME: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name: letters, digits, . _ - (at most 249)'),
  KAFKA_CLIENT_ID: z.string().min(1).default('slot-sync'),
  KAFKA_CONNECTION_TIMEOUT_MS: envDurationMs(3_000),
  KAFKA_REQUEST_TIMEOUT_MS: envDurationMs(30_000),
  /** kafkajs retries of a failed request before the run fails (the run is then retried by BullMQ). */
  KAFKA_RETRIES: envInt({ min: 1, max: 100, default: 5 }),
  /** Messages per Kafka produce request; the cache is written after each acknowledged request. */
  SLOT_PUBLISH_BATCH_SIZE: envInt({ min: 1, max: 10_000, default: 1000 }),
  /** `avro` (Confluent wire format, schemas in the registry) or `json` (for users without a registry). */
  SLOT_SYNC_ENCODING: z.enum(['avro', 'json']).default('avro'),
  /** The Confluent-compatible schema registry (credentials, if any, in the URL: https://user:pass@host). */
  AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
  /** StatsD/DogStatsD agent (metrics under `slot_sync.`); unset: no StatsD metrics. */
  STATSD_HOST: z.string().min(1).optional(),
  STATSD_PORT: envPort(8125),
}).superRefine((env, ctx) => {
  if (env.SLOT_SYNC_ENCODING === 'avro' && env.AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL'],
      message: 'required with SLOT_SYNC_ENCODING=avro (the default); set SLOT_SYNC_ENCODING=json to publish without a registry',
    });
  }
}, {
  // reported together with the other variables' problems (zod skips refinements of invalid input otherwise)
  when: (payload) => {
    const env = payload.value as Record<string, unknown>;
    return (env.SLOT_SYNC_ENCODING === undefined || env.SLOT_SYNC_ENCODING === 'avro' || env.SLOT_SYNC_ENCODING === 'json') && (env.AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL === undefined || typeof env.AVLIZER_CONFLUENT_SCHEMAREGISTRY_URL === 'string');
  },
});
export type SlotSyncConfig = z.output<typeof SlotSyncEnv>;
