// Worker apps as real processes: several replicas never overlap, a killed worker's job is taken
// over after stall detection, SIGTERM lets the active run finish, a run that fails for good posts
// one Teams card without leaking the webhook URL, and bad config exits listing every problem.
import { afterEach, describe, expect, inject, test } from 'vitest';
import { catalogue } from '@syncfleet/jobs';
import { createFleetQueue, enqueueJob } from '@syncfleet/runtime';
import { startTeamsEmulator } from './emulators/teams.ts';
import { deletePrefixKeys, testPrefix, useRedis, useTestDatabase, waitUntil, workerEnv } from './support/fixtures.ts';
import { assertNoLeftoverProcesses, startAppProcess, stopAppProcess, type AppProcess } from './support/processes.ts';

const entry = 'apps/sample-worker/src/main.ts';
const db = useTestDatabase();
const redis = useRedis();
afterEach(() => assertNoLeftoverProcesses());

interface Row {
  job_id: string;
  status: string;
  attempt: number;
  started_at: Date;
  finished_at: Date | null;
  worker_id: string;
}

const started = (app: AppProcess) => app.waitForLog((l) => l.msg === 'worker app started');

describe('replicas', () => {
  test('three worker processes and 50 jobs: no two runs overlap in time', async () => {
    const prefix = testPrefix();
    const queue = createFleetQueue(redis, prefix, 'sample');
    const workers = [1, 2, 3].map((i) => startAppProcess(entry, workerEnv(db.url, prefix, { WORKER_ID: `replica-${i}` })));
    try {
      await Promise.all(workers.map(started));
      for (let i = 0; i < 50; i++) await enqueueJob(queue, catalogue.jobs['sample.echo'], { sleepMs: 20, records: 1 });
      const rows = await waitUntil(
        '50 succeeded runs in the ledger',
        async () => {
          const { rows } = await db.pool.query<Row>(`SELECT * FROM run_ledger WHERE fleet = $1 AND status = 'succeeded' ORDER BY started_at`, [prefix]);
          return rows.length === 50 ? rows : undefined;
        },
        30_000,
      );
      for (let i = 1; i < rows.length; i++) {
        expect(rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.finished_at!.getTime());
      }
      expect(new Set(rows.map((r) => r.job_id)).size).toBe(50);
      const exits = await Promise.all(workers.map((w) => stopAppProcess(w)));
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    } finally {
      await Promise.all(workers.map((w) => stopAppProcess(w, 'SIGKILL')));
      await queue.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });

  test('kill -9 in the middle of a run: the job is taken over after stall detection and succeeds exactly once', async () => {
    const prefix = testPrefix();
    const queue = createFleetQueue(redis, prefix, 'sample');
    const fast = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000', LOG_LEVEL: 'debug' };
    const first = startAppProcess(entry, workerEnv(db.url, prefix, { ...fast, WORKER_ID: 'doomed' }));
    let second: AppProcess | undefined;
    try {
      await started(first);
      const job = await enqueueJob(queue, catalogue.jobs['sample.echo'], { sleepMs: 3000 });
      await first.waitForLog((l) => l.msg === 'run started' && l.jobId === job.id);
      await new Promise((r) => setTimeout(r, 300)); // let its 'running' record reach the ledger
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      second = startAppProcess(entry, workerEnv(db.url, prefix, { ...fast, WORKER_ID: 'rescuer' }));
      await started(second);
      await waitUntil('the job to complete', async () => (await (await queue.getJob(job.id!))?.getState()) === 'completed', 30_000);
      const rows = await waitUntil('the ledger to settle', async () => {
        const { rows } = await db.pool.query<Row>(`SELECT * FROM run_ledger WHERE fleet = $1 AND job_id = $2 ORDER BY attempt`, [prefix, job.id]);
        return rows.some((r) => r.status === 'succeeded') && !rows.some((r) => r.status === 'running') ? rows : undefined;
      });
      const succeeded = rows.filter((r) => r.status === 'succeeded');
      expect(succeeded).toHaveLength(1);
      expect(succeeded[0]!.worker_id).toBe('rescuer');
      expect(rows.filter((r) => r.status !== 'succeeded').every((r) => r.status === 'stalled' && r.worker_id === 'doomed')).toBe(true);
      expect((await stopAppProcess(second)).code).toBe(0);
    } finally {
      await stopAppProcess(first, 'SIGKILL');
      if (second) await stopAppProcess(second, 'SIGKILL');
      await queue.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });

  test('SIGTERM during a run: the run finishes, then the process exits 0', async () => {
    const prefix = testPrefix();
    const queue = createFleetQueue(redis, prefix, 'sample');
    const worker = startAppProcess(entry, workerEnv(db.url, prefix, { LOG_LEVEL: 'debug' }));
    try {
      await started(worker);
      const job = await enqueueJob(queue, catalogue.jobs['sample.echo'], { sleepMs: 1500 });
      await worker.waitForLog((l) => l.msg === 'run started' && l.jobId === job.id);
      worker.child.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
      expect(await (await queue.getJob(job.id!))!.getState()).toBe('completed');
      const { rows } = await db.pool.query<Row>(`SELECT * FROM run_ledger WHERE fleet = $1 AND job_id = $2`, [prefix, job.id]);
      expect(rows.map((r) => r.status)).toEqual(['succeeded']); // the ledger was drained before exit
      const messages = worker.lines().map((l) => l.msg);
      expect(messages.indexOf('run finished')).toBeLessThan(messages.indexOf('worker app stopped'));
    } finally {
      await stopAppProcess(worker, 'SIGKILL');
      await queue.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });
});

describe('failure notification', () => {
  test('a run that fails for good posts one card to the Teams webhook; the URL never reaches the logs', async () => {
    const teams = await startTeamsEmulator();
    const prefix = testPrefix();
    const queue = createFleetQueue(redis, prefix, 'sample');
    const worker = startAppProcess(entry, workerEnv(db.url, prefix, { TEAMS_WEBHOOK_URL: teams.url, LOG_LEVEL: 'debug' }));
    try {
      await started(worker);
      // three attempts (catalogue), all failing: one card, after the last
      const job = await enqueueJob(queue, catalogue.jobs['sample.echo'], { failWith: 'transient' });
      await waitUntil('the job to fail for good', async () => (await (await queue.getJob(job.id!))?.getState()) === 'failed', 20_000);
      await waitUntil('a card', () => teams.received.length > 0);
      await new Promise((r) => setTimeout(r, 500)); // no second card follows
      expect(teams.received).toHaveLength(1);
      const card = JSON.stringify(teams.received[0]!.body);
      expect(card).toContain('sample.echo');
      expect(card).toContain(job.id!);
      expect(card).toMatch(/attempt 3|"3"/);
      expect((await stopAppProcess(worker)).code).toBe(0);
      expect(worker.output()).toContain('run failed');
      expect(worker.output()).not.toContain(teams.url);
      expect(worker.output()).not.toContain(new URL(teams.url).pathname);
    } finally {
      await stopAppProcess(worker, 'SIGKILL');
      await teams.close();
      await queue.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });
});

describe('configuration', () => {
  test('invalid config prints every problem in one message and exits non-zero', async () => {
    const worker = startAppProcess(entry, {
      REDIS_URL: 'not a url',
      DATABASE_URL: 'mysql://somewhere/db',
      HEALTH_PORT: 'eighty',
      SHUTDOWN_TIMEOUT_MS: 'soon',
      HEAL_MUST_WAIT_FOR_INITIAL_SYNC: 'maybe',
    });
    const { code } = await worker.exited;
    expect(code).not.toBe(0);
    const output = worker.output();
    for (const variable of ['REDIS_URL', 'DATABASE_URL', 'HEALTH_PORT', 'SHUTDOWN_TIMEOUT_MS', 'HEAL_MUST_WAIT_FOR_INITIAL_SYNC']) {
      expect(output).toContain(variable);
    }
    expect(output).toMatch(/5 problems/);
  });
});
