// The run ledger's outbox and writer against real Redis and Postgres: records are idempotent on
// run_id, a 'running' record never overwrites a finished one, a lost attempt is closed as stalled,
// and records left pending by a flusher that died are claimed and written by another.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect, inject, test } from 'vitest';
import { createLedgerFlusher, fleetKeys, writeRunRecords, type RunRecord } from '@syncfleet/runtime';
import { deletePrefixKeys, testPrefix, useRedis, useTestDatabase } from './support/fixtures.ts';

const db = useTestDatabase();
const redis = useRedis();

function record(fleet: string, patch: Partial<RunRecord> = {}): RunRecord {
  const now = Date.now();
  return {
    runId: randomUUID(),
    fleet,
    jobName: 'sample.echo',
    sync: 'sample',
    kind: 'manual',
    queue: 'sample',
    jobId: '1',
    attempt: 1,
    status: 'running',
    final: false,
    dueAt: now - 10,
    startedAt: now,
    finishedAt: null,
    counts: {},
    windowStart: null,
    windowEnd: null,
    reason: null,
    error: null,
    workerId: 'w1',
    dryRun: false,
    afterStall: false,
    ...patch,
  };
}

async function rows(fleet: string) {
  const { rows } = await db.pool.query<{ run_id: string; status: string; attempt: number; counts: object; duration_ms: number | null }>(
    'SELECT run_id, status, attempt, counts, duration_ms FROM run_ledger WHERE fleet = $1 ORDER BY attempt',
    [fleet],
  );
  return rows;
}

test('a finished record is kept whatever order the records of its run arrive in', async () => {
  const fleet = testPrefix();
  const running = record(fleet);
  const done: RunRecord = { ...running, status: 'succeeded', finishedAt: running.startedAt + 42, counts: { records: 3 } };
  await writeRunRecords(db.pool, [done]);
  await writeRunRecords(db.pool, [running]); // late 'running' record of the same run
  await writeRunRecords(db.pool, [done]); // redelivered
  await writeRunRecords(db.pool, [running, done]); // both in one batch
  expect(await rows(fleet)).toEqual([{ run_id: running.runId, status: 'succeeded', attempt: 1, counts: { records: 3 }, duration_ms: 42 }]);
});

test("an attempt after a stall closes the lost attempt's running row as stalled", async () => {
  const fleet = testPrefix();
  const lost = record(fleet, { workerId: 'dead' });
  await writeRunRecords(db.pool, [lost]);
  const retried = record(fleet, { attempt: 2, afterStall: true, status: 'succeeded', finishedAt: Date.now() + 5 });
  await writeRunRecords(db.pool, [retried]);
  expect((await rows(fleet)).map((r) => [r.attempt, r.status])).toEqual([
    [1, 'stalled'],
    [2, 'succeeded'],
  ]);
  // the lost attempt's record arriving only now is written as stalled, not running
  const fleet2 = testPrefix();
  await writeRunRecords(db.pool, [record(fleet2, { attempt: 2, status: 'succeeded', finishedAt: Date.now() })]);
  await writeRunRecords(db.pool, [record(fleet2)]);
  expect((await rows(fleet2)).map((r) => [r.attempt, r.status])).toEqual([
    [1, 'stalled'],
    [2, 'succeeded'],
  ]);
});

test('records left pending by a flusher that died are claimed and written by another', async () => {
  const fleet = testPrefix();
  const outbox = fleetKeys(fleet).ledgerOutbox;
  const records = Array.from({ length: 5 }, (_, i) => record(fleet, { jobId: String(i + 1), status: 'succeeded', finishedAt: Date.now() }));
  await redis.xgroup('CREATE', outbox, 'ledger-writers', '0', 'MKSTREAM');
  for (const r of records) await redis.xadd(outbox, '*', 'r', JSON.stringify(r));
  // a flusher read them, then died before writing them to Postgres (never acknowledged)
  const read = await redis.xreadgroup('GROUP', 'ledger-writers', 'dead-flusher', 'COUNT', 100, 'STREAMS', outbox, '>');
  expect((read as Array<[string, unknown[]]>)[0]![1]).toHaveLength(5);
  await new Promise((r) => setTimeout(r, 300));

  const connection = new Redis(inject('redisUrl'));
  const flusher = createLedgerFlusher({ redis: connection, pool: db.pool, outboxKey: outbox, consumer: 'rescuer', claimIdleMs: 200 });
  try {
    await flusher.start();
    await flusher.drain();
    expect(await rows(fleet)).toHaveLength(5);
    expect(await redis.xlen(outbox)).toBe(0); // written records leave the outbox
    const pending = (await redis.xpending(outbox, 'ledger-writers')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  } finally {
    await flusher.stop();
    await connection.quit();
    await deletePrefixKeys(inject('redisUrl'), fleet);
  }
});

test('records wait in the outbox while Postgres is unreachable, then reach the ledger', async () => {
  const fleet = testPrefix();
  const outbox = fleetKeys(fleet).ledgerOutbox;
  const pg = await import('pg');
  const broken = new pg.default.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/nowhere', connectionTimeoutMillis: 200 });
  const connection = new Redis(inject('redisUrl'));
  const errors: unknown[] = [];
  const failing = createLedgerFlusher({ redis: connection, pool: broken, outboxKey: outbox, consumer: 'c1', onError: (e) => errors.push(e) });
  try {
    await failing.start();
    await redis.xadd(outbox, '*', 'r', JSON.stringify(record(fleet, { status: 'succeeded', finishedAt: Date.now() })));
    await expect(failing.drain()).rejects.toThrow();
    expect(await redis.xlen(outbox)).toBe(1); // nothing lost
  } finally {
    await failing.stop();
    await broken.end();
  }
  const healthy = createLedgerFlusher({ redis: connection, pool: db.pool, outboxKey: outbox, consumer: 'c1' });
  try {
    await healthy.start();
    await healthy.drain();
    expect(await rows(fleet)).toHaveLength(1);
  } finally {
    await healthy.stop();
    await connection.quit();
    await deletePrefixKeys(inject('redisUrl'), fleet);
  }
});
