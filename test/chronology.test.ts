// Healing waits for the sync's initial job: refused (and recorded with its reason) until the
// initial job has succeeded once; the env switch turns the guard off.
import { expect, inject, test } from 'vitest';
import { catalogue } from '@syncfleet/jobs';
import { createFleetQueue, enqueueJob, type WorkerApp } from '@syncfleet/runtime';
import { createSampleWorkerApp } from '../apps/sample-worker/src/app.ts';
import { deletePrefixKeys, testPrefix, useRedis, useTestDatabase, waitUntil, workerConfig } from './support/fixtures.ts';

const db = useTestDatabase();
const redis = useRedis();

async function runAndWait(app: WorkerApp, prefix: string, jobName: 'sample.heal' | 'sample.initial', data: object = {}) {
  const queue = createFleetQueue(redis, prefix, 'sample');
  try {
    const job = await enqueueJob(queue, catalogue.jobs[jobName], data);
    return await waitUntil(`the ledger row of ${jobName}`, async () => {
      await app.flushLedger();
      const { rows } = await db.pool.query<{ status: string; reason: string | null }>(
        // job ids restart when Redis is emptied: the start time tells this job's run apart
        `SELECT status, reason FROM run_ledger
         WHERE fleet = $1 AND job_id = $2 AND status <> 'running' AND started_at >= to_timestamp($3 / 1000.0)`,
        [prefix, job.id, job.timestamp],
      );
      return rows[0];
    });
  } finally {
    await queue.close();
  }
}

test('healing is refused and recorded until the initial job succeeded, then accepted', async () => {
  const prefix = testPrefix();
  const app = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent' }));
  await app.start();
  try {
    const refused = await runAndWait(app, prefix, 'sample.heal');
    expect(refused.status).toBe('refused');
    expect(refused.reason).toMatch(/waits until sample\.initial has succeeded/);

    // a dry run of the initial job does not count as the initial sync
    expect((await runAndWait(app, prefix, 'sample.initial', { dryRun: true })).status).toBe('succeeded');
    expect((await runAndWait(app, prefix, 'sample.heal')).status).toBe('refused');

    // a failed initial job does not unlock healing either, and can be triggered again
    expect((await runAndWait(app, prefix, 'sample.initial', { failWith: 'permanent' })).status).toBe('failed');
    expect((await runAndWait(app, prefix, 'sample.heal')).status).toBe('refused');

    expect((await runAndWait(app, prefix, 'sample.initial')).status).toBe('succeeded');
    expect((await runAndWait(app, prefix, 'sample.heal')).status).toBe('succeeded');
  } finally {
    await app.stop();
  }
  // The ledger remembers the initial success even when Redis lost the marker.
  await deletePrefixKeys(inject('redisUrl'), prefix);
  const again = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent' }));
  await again.start();
  try {
    expect((await runAndWait(again, prefix, 'sample.heal')).status).toBe('succeeded');
  } finally {
    await again.stop();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  }
});

test('HEAL_MUST_WAIT_FOR_INITIAL_SYNC=false lets healing run before any initial run', async () => {
  const prefix = testPrefix();
  const app = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent', HEAL_MUST_WAIT_FOR_INITIAL_SYNC: 'false' }));
  await app.start();
  try {
    expect((await runAndWait(app, prefix, 'sample.heal')).status).toBe('succeeded');
  } finally {
    await app.stop();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  }
});
