// The control plane (shared by the HTTP API and the `fleet` CLI) against real Redis and Postgres:
// deduplicated triggers, clean, retry, pause, the run ledger, per-sync status, unknown names.
import { describe, expect, inject, test } from 'vitest';
import { z } from 'zod';
import { createFleetControl, DryRunNotSupportedError, UnknownJobError, UnknownQueueError, UnknownSyncError, type FleetControl } from '@syncfleet/control';
import { createSyncState } from '@syncfleet/db';
import { catalogue, defineCatalogue, type AnyCatalogue } from '@syncfleet/jobs';
import { fleetKeys, InvalidPayloadError, jobOptionsFor, writeRunRecords, type WorkerApp } from '@syncfleet/runtime';
import { createSampleWorkerApp } from '../apps/sample-worker/src/app.ts';
import { deletePrefixKeys, runRecord, testPrefix, useCleanups, useRedis, useTestDatabase, waitUntil, workerConfig } from './support/fixtures.ts';

// The fleet's catalogue as deployed: every sync's jobs and queues, not only the sample's.
const jobNames = Object.keys(catalogue.jobs).sort();
const queueNames = Object.keys(catalogue.queues).sort();
const syncNames = [...new Set(Object.values(catalogue.queues).map((q) => q.sync))].sort();

const db = useTestDatabase();
const redis = useRedis();
const cleanups = useCleanups();

/** A control plane over a fresh fleet prefix, closed (and its keys deleted) after the test. */
function newControl(options: { catalogue?: AnyCatalogue } = {}): FleetControl {
  const prefix = testPrefix();
  const control = createFleetControl({ catalogue: options.catalogue ?? catalogue, fleetPrefix: prefix, redis, pool: db.pool });
  cleanups.push(async () => {
    await control.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  });
  return control;
}

async function startWorker(control: FleetControl): Promise<WorkerApp> {
  const app = createSampleWorkerApp(workerConfig(db.url, control.fleetPrefix, { LOG_LEVEL: 'silent' }));
  cleanups.push(() => app.stop());
  await app.start();
  return app;
}

describe('enqueue', () => {
  test('a second trigger while the first is waiting returns the waiting job; nothing new is queued', async () => {
    const control = newControl();
    await control.pause('sample');
    const first = await control.enqueue('sample.echo', { records: 1 });
    const second = await control.enqueue('sample.echo', { records: 2 });
    expect(first).toMatchObject({ queue: 'sample', deduplicated: false });
    expect(second).toEqual({ jobId: first.jobId, queue: 'sample', deduplicated: true });
    expect(await control.queue('sample').getWaitingCount()).toBe(1);
    // the waiting job keeps the first payload
    expect((await control.queue('sample').getJob(first.jobId))?.data).toEqual({ records: 1 });
    // another job name is not deduplicated against it
    const other = await control.enqueue('sample.initial', {});
    expect(other.deduplicated).toBe(false);
    expect(await control.queue('sample').getWaitingCount()).toBe(2);
  });

  test('once the first trigger has started, a second one queues a new job', async () => {
    const control = newControl();
    await startWorker(control);
    const first = await control.enqueue('sample.echo', { sleepMs: 1500 });
    await waitUntil('the first job to run', async () => (await control.jobOutcome('sample', first.jobId)).state === 'active');
    // the worker releases the deduplication id when the run starts
    await waitUntil('the dedup id to be released', async () => (await control.queue('sample').getDeduplicationJobId('trigger:sample.echo')) === null);
    const second = await control.enqueue('sample.echo', { records: 5 });
    expect(second.deduplicated).toBe(false);
    expect(second.jobId).not.toBe(first.jobId);
    const outcome = await control.waitFor('sample', second.jobId, 20_000);
    expect(outcome.state).toBe('completed');
    expect(outcome.returnvalue).toMatchObject({ status: 'succeeded', counts: { records: 5 } });
    expect((await control.jobOutcome('sample', first.jobId)).state).toBe('completed');
  });

  test('an invalid payload throws InvalidPayloadError with the issue paths, and nothing is queued', async () => {
    const control = newControl();
    const error = await control.enqueue('sample.echo', { sleepMs: 'x', bogus: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    const issues = (error as InvalidPayloadError).issues;
    expect(issues.map((i) => i.path.join('.'))).toContain('sleepMs');
    expect(issues.some((i) => i.code === 'unrecognized_keys' && JSON.stringify(i).includes('bogus'))).toBe(true);
    expect(await control.queue('sample').count()).toBe(0);
  });

  test('dry run: adds dryRun to an object payload, refuses a non-object one, and a job without a dry-run mode', async () => {
    const control = newControl();
    await control.pause('sample');
    const queued = await control.enqueue('sample.echo', { records: 1 }, { dryRun: true });
    expect((await control.queue('sample').getJob(queued.jobId))?.data).toEqual({ records: 1, dryRun: true });
    // a number payload used to be spread away into { dryRun: true } and queued
    expect(() => control.validate('sample.initial', 3, { dryRun: true })).toThrow(InvalidPayloadError);
    expect(() => control.validate('sample.initial', [1], { dryRun: true })).toThrow(InvalidPayloadError);
    expect(control.validate('sample.initial', undefined, { dryRun: true }).data).toEqual({ dryRun: true });

    const Empty = z.object({}).strict();
    const noDryRun = defineCatalogue(
      { plain: { sync: 'plain', singleton: true, concurrency: 1 } },
      {
        'plain.run': { sync: 'plain', queue: 'plain', kind: 'manual', description: 'no dry run', payload: Empty, overlap: 'skip', attempts: 1, backoff: { type: 'fixed', delay: 100 }, dryRun: false },
      },
    );
    const plain = newControl({ catalogue: noDryRun });
    await expect(plain.enqueue('plain.run', {}, { dryRun: true })).rejects.toBeInstanceOf(DryRunNotSupportedError);
    expect(await plain.queue('plain').count()).toBe(0);
  });

  test('waitFor reports a failure with its reason, and gives up at its timeout with the current state', async () => {
    const control = newControl();
    await startWorker(control);
    const failing = await control.enqueue('sample.echo', { failWith: 'permanent' });
    const failed = await control.waitFor('sample', failing.jobId, 20_000);
    expect(failed).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(failed.failedReason).toMatch(/sample failure \(permanent/);

    await control.pause('sample');
    const parked = await control.enqueue('sample.echo', {});
    const started = Date.now();
    const pending = await control.waitFor('sample', parked.jobId, 500, 50);
    expect(pending.state).toBe('waiting');
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await control.jobOutcome('sample', 'no-such-job')).state).toBe('unknown');
  });
});

describe('clean, retry, pause', () => {
  test("clean removes that job's waiting, delayed and failed entries, counts them, and releases its dedup id", async () => {
    const control = newControl();
    const app = await startWorker(control);
    const failing = await control.enqueue('sample.echo', { failWith: 'permanent' });
    expect((await control.waitFor('sample', failing.jobId, 20_000)).state).toBe('failed');
    await app.stop();

    const q = control.queue('sample');
    const options = jobOptionsFor(catalogue.jobs['sample.echo']);
    await q.add('sample.echo', {}, options);
    await q.add('sample.echo', {}, options);
    await q.add('sample.echo', {}, { ...options, delay: 60_000 });
    await q.add('sample.tick', {}, jobOptionsFor(catalogue.jobs['sample.tick']));
    const triggered = await control.enqueue('sample.echo', {});
    expect(triggered.deduplicated).toBe(false);

    expect(await control.clean('sample.echo')).toBe(5); // 1 failed, 3 waiting (one of them the trigger), 1 delayed
    const counts = await q.getJobCounts('waiting', 'delayed', 'failed');
    expect(counts).toEqual({ waiting: 1, delayed: 0, failed: 0 }); // the sample.tick job stays
    expect(await control.clean('sample.echo')).toBe(0);
    // the removed trigger no longer deduplicates: a new one is queued
    const again = await control.enqueue('sample.echo', {});
    expect(again.deduplicated).toBe(false);
    expect(again.jobId).not.toBe(triggered.jobId);
  });

  test('retryFailed puts every failed job back to wait and returns how many', async () => {
    const control = newControl();
    const app = await startWorker(control);
    const q = control.queue('sample');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await q.add('sample.echo', { failWith: 'permanent' }, jobOptionsFor(catalogue.jobs['sample.echo']))).id!);
    await waitUntil('three failed jobs', async () => (await q.getFailedCount()) === 3);
    await app.stop();
    expect(await control.retryFailed('sample')).toBe(3);
    expect(await q.getJobCounts('waiting', 'failed')).toEqual({ waiting: 3, failed: 0 });
    expect(await control.retryFailed('sample')).toBe(0);
  });

  test('pause and resume a queue', async () => {
    const control = newControl();
    expect(await control.isPaused('sample')).toBe(false);
    await control.pause('sample');
    expect(await control.isPaused('sample')).toBe(true);
    expect((await control.syncStatus('sample'))[0]!.paused).toBe(true);
    await control.resume('sample');
    expect(await control.isPaused('sample')).toBe(false);
  });
});

describe('run ledger and sync status', () => {
  test('runs: newest first, filtered by job or sync, limited, only this fleet', async () => {
    const control = newControl();
    const t0 = Date.now() - 3_600_000;
    const records = [
      runRecord(control.fleetPrefix, { jobName: 'sample.echo', startedAt: t0 + 1000 }),
      runRecord(control.fleetPrefix, { jobName: 'sample.tick', startedAt: t0 + 2000 }),
      runRecord(control.fleetPrefix, { jobName: 'sample.echo', startedAt: t0 + 3000, status: 'failed', error: 'boom' }),
      runRecord(control.fleetPrefix, { jobName: 'sample.echo', startedAt: t0 + 4000 }),
      runRecord('another-fleet', { jobName: 'sample.echo', startedAt: t0 + 5000 }),
    ];
    await writeRunRecords(db.pool, records);

    const all = await control.runs();
    expect(all.map((r) => r.runId)).toEqual([records[3]!, records[2]!, records[1]!, records[0]!].map((r) => r.runId));
    const echo = await control.runs({ job: 'sample.echo', limit: 2 });
    expect(echo.map((r) => r.runId)).toEqual([records[3]!.runId, records[2]!.runId]);
    expect(echo[1]).toMatchObject({ jobName: 'sample.echo', status: 'failed', error: 'boom', sync: 'sample', queue: 'sample', attempt: 1 });
    expect(echo[1]!.startedAt).toBeInstanceOf(Date);
    expect((await control.runs({ sync: 'sample' })).length).toBe(4);
    expect((await control.runs({ job: 'sample.heal' })).length).toBe(0);
  });

  test('syncStatus: last run, last success, lag, pending, active, failed and the watermark from sync_state', async () => {
    const control = newControl();
    const empty = (await control.syncStatus('sample'))[0]!;
    expect(empty).toMatchObject({ sync: 'sample', queues: ['sample'], paused: false, lastRun: null, lastSuccess: null, lagSeconds: null, watermark: null, pending: 0, active: 0, failed: 0 });

    // one failed job in BullMQ
    const app = await startWorker(control);
    const failing = await control.enqueue('sample.echo', { failWith: 'permanent' });
    expect((await control.waitFor('sample', failing.jobId, 20_000)).state).toBe('failed');
    await app.stop();

    const now = Date.now();
    const success = runRecord(control.fleetPrefix, { jobName: 'sample.tick', startedAt: now - 125_000, finishedAt: now - 120_000 });
    const failure = runRecord(control.fleetPrefix, { jobName: 'sample.tick', startedAt: now - 60_000, finishedAt: now - 59_000, status: 'failed', error: 'boom' });
    const running = runRecord(control.fleetPrefix, { jobName: 'sample.heal', startedAt: now - 1000, finishedAt: null, status: 'running' });
    await db.pool.query('DELETE FROM run_ledger WHERE fleet = $1', [control.fleetPrefix]); // the worker's own record of the failure
    await writeRunRecords(db.pool, [success, failure, running]);
    const watermark = { movedAt: '2025-11-23T10:00:00.000Z', taskId: 42 };
    await createSyncState(db.pool, control.fleetPrefix, 'sample').set('watermark', watermark);
    // another fleet's watermark is not this one's
    await createSyncState(db.pool, 'another-fleet', 'sample').set('watermark', { taskId: 1 });

    await control.pause('sample');
    const q = control.queue('sample');
    await q.add('sample.echo', {}, jobOptionsFor(catalogue.jobs['sample.echo']));
    await q.add('sample.echo', {}, { ...jobOptionsFor(catalogue.jobs['sample.echo']), delay: 60_000 });

    // before any scheduler published its thresholds, none is known
    expect((await control.syncStatus('sample'))[0]).toMatchObject({ lagThresholdSeconds: null, lagging: false });
    // the scheduler's thresholds (its <SYNC>_LAG_ALERT_MS): the sample's lag of 2 minutes is over 1 minute
    await redis.hset(fleetKeys(control.fleetPrefix).lagThresholds, { sample: '60000', 'dispo-patcher': '0' });
    const statuses = await control.syncStatus();
    expect(statuses.map((s) => s.sync)).toEqual(syncNames);
    const status = statuses.find((s) => s.sync === 'sample');
    expect(status).toMatchObject({ sync: 'sample', paused: true, pending: 2, active: 0, failed: 1, watermark });
    expect(status!.lastRun?.runId).toBe(failure.runId); // a running run is not the last run
    expect(status!.lastSuccess?.runId).toBe(success.runId);
    expect(status!.lagSeconds).toBeGreaterThanOrEqual(119);
    expect(status!.lagSeconds).toBeLessThan(150);
    expect(status).toMatchObject({ lagThresholdSeconds: 60, lagging: true });
    // the other syncs have their own (empty) state: none of the sample's runs, jobs or watermark
    for (const other of statuses.filter((s) => s.sync !== 'sample')) {
      expect(other).toMatchObject({ paused: false, lastRun: null, lastSuccess: null, lagSeconds: null, lagThresholdSeconds: null, lagging: false, watermark: null, pending: 0, active: 0, failed: 0 });
    }
  });

  test("syncStatus: the parts of a run (returns pages) are not the sync's last run or last success", async () => {
    const control = newControl();
    expect(catalogue.jobs['returns.syncPage'].kind).toBe('part');
    const now = Date.now();
    const run = runRecord(control.fleetPrefix, { jobName: 'returns.sync', startedAt: now - 30_000, finishedAt: now - 10_000 });
    const page = runRecord(control.fleetPrefix, { jobName: 'returns.syncPage', startedAt: now - 20_000, finishedAt: now - 19_000 });
    const failedPage = runRecord(control.fleetPrefix, { jobName: 'returns.syncPage', startedAt: now - 5_000, finishedAt: now - 4_000, status: 'failed', error: 'algolia 503' });
    await writeRunRecords(db.pool, [run, page, failedPage]);

    const [status] = await control.syncStatus('returns-sync');
    expect(status!.lastRun?.runId).toBe(run.runId);
    expect(status!.lastSuccess?.runId).toBe(run.runId);
    expect(status!.lagSeconds).toBeGreaterThanOrEqual(9);
    // the ledger keeps them all, parts included
    expect((await control.runs({ sync: 'returns-sync' })).map((r) => [r.jobName, r.kind])).toEqual([
      ['returns.syncPage', 'part'],
      ['returns.syncPage', 'part'],
      ['returns.sync', 'periodic'],
    ]);
  });
});

describe('catalogue views', () => {
  test('listJobs shows effective schedules; listSchedules the live BullMQ schedulers with their next run', async () => {
    const prefix = testPrefix();
    const control = createFleetControl({
      catalogue,
      fleetPrefix: prefix,
      redis,
      pool: db.pool,
      schedules: [
        { job: 'sample.tick', queue: 'sample', enabled: false, schedule: { every: 60_000 }, source: 'catalogue' },
        { job: 'sample.heal', queue: 'sample', enabled: true, schedule: { pattern: '0 4 * * *', tz: 'Europe/Paris' }, source: 'SAMPLE_HEAL_CRON' },
      ],
    });
    cleanups.push(async () => {
      await control.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    });
    const jobs = new Map(control.listJobs().map((j) => [j.name, j]));
    expect([...jobs.keys()]).toEqual(jobNames);
    expect(jobs.get('sample.heal')).toMatchObject({ schedule: { pattern: '0 4 * * *', tz: 'Europe/Paris' }, scheduleSource: 'SAMPLE_HEAL_CRON', enabled: true, kind: 'healing', overlap: 'skip' });
    expect(jobs.get('sample.tick')).toMatchObject({ enabled: false });
    expect(jobs.get('sample.echo')).toMatchObject({ schedule: null, enabled: true, kind: 'manual' });

    expect(await control.listSchedules()).toEqual([]);
    await control.queue('sample').upsertJobScheduler('sample.heal', { pattern: '0 4 * * *', tz: 'Europe/Paris' }, { name: 'sample.heal', data: {} });
    const [live] = await control.listSchedules();
    expect(live).toMatchObject({ job: 'sample.heal', queue: 'sample', pattern: '0 4 * * *', tz: 'Europe/Paris', every: null });
    expect(live!.next!.getTime()).toBeGreaterThan(Date.now());
  });

  test('unknown names throw errors that list the known ones', async () => {
    const control = newControl();
    const jobError = await control.enqueue('nope.job', {}).catch((e: unknown) => e);
    expect(jobError).toBeInstanceOf(UnknownJobError);
    expect(jobNames).toEqual(expect.arrayContaining(['sample.echo', 'sample.heal', 'sample.initial', 'sample.tick']));
    expect((jobError as UnknownJobError).known).toEqual(jobNames);
    await expect(control.clean('nope.job')).rejects.toBeInstanceOf(UnknownJobError);
    await expect(control.runs({ job: 'nope.job' })).rejects.toBeInstanceOf(UnknownJobError);
    expect(() => control.validate('nope.job', {})).toThrow(UnknownJobError);

    const queueError = await control.pause('nope').catch((e: unknown) => e);
    expect(queueError).toBeInstanceOf(UnknownQueueError);
    expect((queueError as UnknownQueueError).known).toEqual(queueNames);
    await expect(control.resume('nope')).rejects.toBeInstanceOf(UnknownQueueError);
    await expect(control.retryFailed('nope')).rejects.toBeInstanceOf(UnknownQueueError);
    await expect(control.isPaused('nope')).rejects.toBeInstanceOf(UnknownQueueError);

    const syncError = await control.syncStatus('nope').catch((e: unknown) => e);
    expect(syncError).toBeInstanceOf(UnknownSyncError);
    expect((syncError as UnknownSyncError).known).toEqual(syncNames);
    await expect(control.runs({ sync: 'nope' })).rejects.toBeInstanceOf(UnknownSyncError);
  });
});
