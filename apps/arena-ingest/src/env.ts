import { z } from 'zod';
import { envDurationMs, envInt, envList, envUrl } from '@syncfleet/config';
import { WorkerEnv } from '@syncfleet/runtime';

/** The arena-ingest app: the worker env plus the Kafka consumer, the AMT producer and the person lookup. */
export const ArenaIngestEnv = WorkerEnv.extend({
  /** Comma-separated `host:port` list. */
  KAFKA_BROKERS: envList({ minItems: 1 }),
  KAFKA_CLIENT_ID: z.string().min(1).default('syncfleet-arena-ingest'),
  /** The consumer group: replicas of the app share the topics' partitions. */
  KAFKA_GROUP_ID: z.string().min(1).default('syncfleet-arena-ingest'),
  /** A replica that stops heartbeating this long (e.g. killed) loses its partitions to the others. */
  KAFKA_SESSION_TIMEOUT_MS: envDurationMs(30_000),
  ARENA_TOPIC_GJENNOMFORING: z.string().min(1).default('teamarenanais.aapen-arena-tiltakgjennomforingendret-v1'),
  ARENA_TOPIC_DELTAKER: z.string().min(1).default('teamarenanais.aapen-arena-tiltakdeltakerendret-v1'),
  ARENA_TOPIC_HIST_DELTAKER: z.string().min(1).default('teamarenanais.aapen-arena-histtiltakdeltakerendret-v1'),
  /** Where the AMT envelopes go (key = the deltaker's id). */
  AMT_TOPIC: z.string().min(1).default('amt.deltaker-v1'),
  /** GET `<url>?personId=<PERSON_ID>` answers `{"fnr": "..."}`, 404 for an unknown person. */
  ARENA_PERSON_LOOKUP_URL: envUrl({ protocols: ['http:', 'https:'] }),
  /** Sent as `Authorization: Bearer <token>` when set. */
  ARENA_PERSON_LOOKUP_TOKEN: z.string().min(1).optional(),
  ARENA_PERSON_LOOKUP_TIMEOUT_MS: envDurationMs(5_000),
  /** Lookups in flight at once. */
  ARENA_PERSON_LOOKUP_CONCURRENCY: envInt({ min: 1, max: 256, default: 32 }),
  /** Found persons kept in memory (PERSON_ID -> ident): entries, and how long. 0 entries: no cache. */
  ARENA_PERSON_CACHE_SIZE: envInt({ min: 0, max: 10_000_000, default: 100_000 }),
  ARENA_PERSON_CACHE_TTL_MS: envDurationMs(3_600_000),
  /** Messages per database transaction (the consumer) and per transaction of the retry jobs. */
  ARENA_CHUNK_SIZE: envInt({ min: 1, max: 10_000, default: 1000 }),
  /** Partitions the consumer works on at once (each with its own transaction). */
  ARENA_PARTITIONS_CONCURRENTLY: envInt({ min: 1, max: 64, default: 3 }),
  /** Rows each keyset page of the retry jobs reads. */
  ARENA_RETRY_BATCH_SIZE: envInt({ min: 1, max: 100_000, default: 5000 }),
  /** A row in RETRY becomes FAILED when its attempts reach this. */
  ARENA_MAX_ATTEMPTS: envInt({ min: 1, max: 1000, default: 10 }),
  /** arena.cleanup deletes IGNORED rows older than this. */
  ARENA_IGNORED_RETENTION: envDurationMs(7 * 24 * 3_600_000),
  /** How often the row-count gauges are refreshed. */
  ARENA_METRICS_REFRESH_MS: envDurationMs(60_000),
  /**
   * A partition whose committed offset stands still this long while messages wait behind it is
   * stalled: a Teams card (one reminder per TEAMS_ALERT_REPEAT_MS) and a warning. 0: not watched.
   */
  ARENA_STALL_ALERT_MS: envDurationMs(15 * 60_000),
  /** How often the consumer group's offsets are compared with the topics' high watermarks. */
  ARENA_STALL_CHECK_INTERVAL_MS: envDurationMs(60_000).pipe(z.number().min(100, 'must be at least 100ms')),
});
export type ArenaIngestConfig = z.output<typeof ArenaIngestEnv>;
