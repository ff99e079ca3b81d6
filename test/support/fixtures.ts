// Per-test isolation: each test file gets its own database (cloned from the migrated template),
// each test its own fleet prefix (so its own BullMQ queues and keys), and helpers to wait and to
// run worker apps as real processes.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { Redis } from 'ioredis';
import pg from 'pg';
import { catalogue } from '@syncfleet/jobs';
import { WorkerEnv, type RunRecord, type WorkerConfig } from '@syncfleet/runtime';
import { createDatabaseFromTemplate, dropDatabase } from '../infra/postgres.ts';

export { deletePrefixKeys } from '../infra/redis.ts';

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** A fleet prefix of its own: BullMQ queues and every fleet key live under `{prefix}`. */
export function testPrefix(): string {
  return `t-${randomSuffix()}`;
}

export function testTopic(name = 'topic'): string {
  return `t-${name}-${randomSuffix()}`;
}

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
}

/**
 * One Redis connection for the calling test file (to the test Redis, connected on first use), closed
 * after its last test. Each test keeps to its own fleet prefix (`testPrefix()`).
 */
export function useRedis(): Redis {
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
  afterAll(async () => {
    if (redis.status === 'wait') redis.disconnect();
    else await redis.quit();
  });
  return redis;
}

/**
 * The calling test file's clean-up list: what a test pushes (stop an app, close a queue, delete its
 * keys) runs after it, newest first, then `check` (e.g. that no child process is left behind).
 */
export function useCleanups(check?: () => void): Array<() => Promise<unknown>> {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
    check?.();
  });
  return cleanups;
}

/** Registers hooks that give the calling test file a fresh migrated database, dropped afterwards. */
export function useTestDatabase(): TestDatabase {
  const db = {} as TestDatabase;
  const name = `sf_test_${randomSuffix()}`;
  beforeAll(async () => {
    db.url = await createDatabaseFromTemplate(inject('pgAdminUrl'), inject('templateDatabase'), name);
    db.pool = new pg.Pool({ connectionString: db.url, max: 4 });
    // pool.end() resolves before its clients' sockets have closed; the DROP ... WITH (FORCE) below then
    // terminates them, which an idle client reports as a pool error: expected here, not a failure.
    db.pool.on('error', () => undefined);
  });
  afterAll(async () => {
    await db.pool?.end();
    await dropDatabase(inject('pgAdminUrl'), name);
  });
  return db;
}

export function workerEnv(databaseUrl: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: databaseUrl,
    FLEET_PREFIX: prefix,
    HEALTH_PORT: '0',
    HEALTH_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}

export function workerConfig(databaseUrl: string, prefix: string, extra: Record<string, string> = {}): WorkerConfig {
  return WorkerEnv.parse(workerEnv(databaseUrl, prefix, extra));
}

export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A run record of a job of the fleet's catalogue (a success unless told), for `writeRunRecords`. */
export function runRecord(fleet: string, overrides: Partial<RunRecord> & Pick<RunRecord, 'jobName' | 'startedAt'>): RunRecord {
  const job = catalogue.jobs[overrides.jobName as keyof typeof catalogue.jobs];
  return {
    runId: randomUUID(),
    fleet,
    sync: job?.sync ?? 'sample',
    kind: job?.kind ?? 'manual',
    queue: job?.queue ?? 'sample',
    jobId: String(Math.floor(Math.random() * 1e9)),
    attempt: 1,
    status: 'succeeded',
    final: false,
    dueAt: null,
    finishedAt: overrides.startedAt + 100,
    counts: {},
    windowStart: null,
    windowEnd: null,
    reason: null,
    error: null,
    workerId: 'test',
    dryRun: false,
    afterStall: false,
    ...overrides,
  };
}
