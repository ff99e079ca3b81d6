// The `fleet` CLI as a real process against real Redis and Postgres, with a sample worker running
// in-process where jobs must actually run: exit codes (0 ok, 1 failed, 2 bad input), what it prints,
// and that bad input never enqueues anything.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, test } from 'vitest';
import { createFleetControl, type FleetControl } from '@syncfleet/control';
import { catalogue } from '@syncfleet/jobs';
import { fleetKeys, jobOptionsFor, type WorkerApp } from '@syncfleet/runtime';
import { createSampleWorkerApp } from '../apps/sample-worker/src/app.ts';
import { deletePrefixKeys, testPrefix, useCleanups, useRedis, useTestDatabase, waitUntil, workerConfig } from './support/fixtures.ts';
import { repoRoot } from './support/processes.ts';

const cliEntry = join(repoRoot, 'apps/cli/src/main.ts');
const jobNames = Object.keys(catalogue.jobs).sort();
// The fleet's catalogue as deployed: every sync's queues, not only the sample's.
const queueNames = Object.keys(catalogue.queues).sort();
const syncNames = [...new Set(Object.values(catalogue.queues).map((q) => q.sync))].sort();
/** What the CLI prints after "known ...:": one name a line, indented. */
const listing = (names: string[]): string => names.map((name) => `  ${name}\n`).join('');
const db = useTestDatabase();
const redis = useRedis();
const cleanups = useCleanups();

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `fleet <args>` as its own process (Node 24, type stripping) and collects its output. */
function fleet(prefix: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [cliEntry, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', REDIS_URL: inject('redisUrl'), DATABASE_URL: db.url, FLEET_PREFIX: prefix, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A fleet prefix of its own, with a control plane to look at it from the test. */
function newFleet(): { prefix: string; control: FleetControl } {
  const prefix = testPrefix();
  const control = createFleetControl({ catalogue, fleetPrefix: prefix, redis, pool: db.pool });
  cleanups.push(async () => {
    await control.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  });
  return { prefix, control };
}

async function startWorker(prefix: string): Promise<WorkerApp> {
  const app = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent' }));
  cleanups.push(() => app.stop());
  await app.start();
  return app;
}

/** Every job of the fleet, in any state. */
async function jobCount(control: FleetControl): Promise<number> {
  const counts = await control.queue('sample').getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('enqueue --wait', () => {
  test('a job that succeeds: exit 0 and its result printed', async () => {
    const { prefix } = newFleet();
    await startWorker(prefix);
    const run = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '{"records":3}', '--wait']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/queued sample\.echo as job \S+ on queue sample/);
    expect(run.stdout).toMatch(/completed \(succeeded\)/);
    expect(run.stdout).toContain('"records": 3');
    expect(run.ms).toBeLessThan(15_000);
  });

  test('a job that fails: exit 1 and its failure printed', async () => {
    const { prefix } = newFleet();
    await startWorker(prefix);
    const run = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '{"failWith":"permanent"}', '--wait']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/job \S+ \(sample\.echo\) failed after 1 attempt\(s\): sample failure \(permanent, as requested\)/);
  });

  test('--json: one JSON document with the outcome, in success and in failure', async () => {
    const { prefix } = newFleet();
    await startWorker(prefix);
    const ok = await fleet(prefix, ['--json', 'enqueue', 'sample.echo', '--data', '{"records":2,"note":"hi"}', '--dry-run', '--wait']);
    expect(ok.code).toBe(0);
    const done = JSON.parse(ok.stdout) as Record<string, unknown>;
    expect(done).toMatchObject({
      job: 'sample.echo',
      queue: 'sample',
      deduplicated: false,
      dryRun: true,
      state: 'completed',
      succeeded: true,
      timedOut: false,
      result: { status: 'succeeded', counts: { records: 2, written: 0 }, result: { note: 'hi', dryRun: true } },
    });
    const failed = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '{"failWith":"permanent"}', '--wait', '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ state: 'failed', succeeded: false, failedReason: expect.stringMatching(/permanent/) as unknown });
  });

  test('a job that does not end in time: exit 1, says it timed out, the job stays queued', async () => {
    const { prefix, control } = newFleet();
    await control.pause('sample'); // no worker takes it
    const run = await fleet(prefix, ['enqueue', 'sample.echo', '--wait', '--timeout', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/timed out after 1s: job \S+ \(sample\.echo\) is still waiting; it was not cancelled/);
    expect(await control.queue('sample').getWaitingCount()).toBe(1);
  });
});

describe('bad input: exit 2, nothing enqueued', () => {
  test('invalid JSON in --data says where it breaks', async () => {
    const { prefix, control } = newFleet();
    const run = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '{"records":3,}']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--data is not valid JSON: .*position 13/);
    expect(run.stderr).toContain('line 1, column 14');
    // the caret stands under the offending character
    const lines = run.stderr.split('\n');
    const shown = lines.findIndex((l) => l.includes('{"records":3,}'));
    expect(lines[shown + 1]!.indexOf('^')).toBe(lines[shown]!.indexOf('}'));
    expect(await jobCount(control)).toBe(0);
  });

  test('a payload that fails the schema: each issue with its path', async () => {
    const { prefix, control } = newFleet();
    const wrongType = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '{"sleepMs":"x"}', '--wait']);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toContain('invalid payload for sample.echo (1 issue); nothing was enqueued');
    expect(wrongType.stderr).toMatch(/^ {2}sleepMs: .*expected number/m);

    const unknownField = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '{"records":1,"bogus":true}']);
    expect(unknownField.code).toBe(2);
    expect(unknownField.stderr).toMatch(/^ {2}\(root\): Unrecognized key: "bogus"/m);

    const nested = await fleet(prefix, ['--json', 'enqueue', 'sample.echo', '--data', '{"records":-1,"failWith":"sometimes"}']);
    expect(nested.code).toBe(2);
    const report = JSON.parse(nested.stdout) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(report.error.code).toBe('invalid_payload');
    expect(report.error.issues.map((i) => i.path).sort()).toEqual(['failWith', 'records']);

    const notAnObject = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '3', '--dry-run']);
    expect(notAnObject.code).toBe(2);
    expect(await jobCount(control)).toBe(0);
  });

  test('an unknown job lists the known ones', async () => {
    const { prefix, control } = newFleet();
    const run = await fleet(prefix, ['enqueue', 'sample.nope', '--data', '{}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown job "sample.nope"; known jobs:');
    for (const name of jobNames) expect(run.stderr).toContain(`  ${name}\n`);
    expect((await fleet(prefix, ['clean', 'sample.nope'])).code).toBe(2);
    expect((await fleet(prefix, ['runs', '--job', 'sample.nope'])).code).toBe(2);
    expect(await jobCount(control)).toBe(0);
  });

  test('--data with --data-file, unreadable files, unknown commands, options, queues and syncs', async () => {
    const { prefix, control } = newFleet();
    const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-'));
    const file = join(dir, 'payload.json');
    writeFileSync(file, '{"records": 1}');
    const results = await Promise.all([
      fleet(prefix, ['enqueue', 'sample.echo', '--data', '{}', '--data-file', file]),
      fleet(prefix, ['enqueue', 'sample.echo', '--data-file', join(dir, 'missing.json')]),
      fleet(prefix, ['enqueue', 'sample.echo', '--timeout', '5']),
      fleet(prefix, ['enqueue', 'sample.echo', '--wait', '--timeout', 'soon']),
      fleet(prefix, ['enqueue']),
      fleet(prefix, ['enqueue', 'sample.echo', '--colour']),
      fleet(prefix, ['deploy']),
      fleet(prefix, []),
      fleet(prefix, ['pause', 'nope']),
      fleet(prefix, ['status', 'nope']),
      fleet(prefix, ['runs', '--limit', '0']),
    ]);
    expect(results.map((r) => r.code)).toEqual(Array(results.length).fill(2));
    const [both, missing, timeoutAlone, badTimeout, noJob, badOption, badCommand, , badQueue, badSync, badLimit] = results.map((r) => r.stderr);
    expect(both).toMatch(/option '--data <json>' cannot be used with option '--data-file <file>'/);
    expect(missing).toMatch(/cannot read --data-file .*missing\.json: ENOENT/);
    expect(timeoutAlone).toContain('--timeout only applies with --wait');
    expect(badTimeout).toMatch(/--timeout <seconds>' argument 'soon' is invalid/);
    expect(noJob).toMatch(/missing required argument 'job'/);
    expect(badOption).toMatch(/unknown option '--colour'/);
    expect(badCommand).toMatch(/unknown command 'deploy'/);
    expect(badQueue).toContain(`unknown queue "nope"; known queues:\n${listing(queueNames)}`);
    expect(badSync).toContain(`unknown sync "nope"; known syncs:\n${listing(syncNames)}`);
    expect(badLimit).toMatch(/must be a whole number from 1 to 1000/);
    expect(await jobCount(control)).toBe(0);

    // the file alone is read
    const fromFile = await fleet(prefix, ['--json', 'enqueue', 'sample.echo', '--data-file', file]);
    expect(fromFile.code).toBe(0);
    const { jobId } = JSON.parse(fromFile.stdout) as { jobId: string };
    expect((await control.queue('sample').getJob(jobId))?.data).toEqual({ records: 1 });
  });
});

describe('inspection and operations', () => {
  test('jobs: a table of the catalogue, or JSON', async () => {
    const { prefix } = newFleet();
    const [table, json] = await Promise.all([fleet(prefix, ['jobs'], { SAMPLE_TICK_EVERY: '5m' }), fleet(prefix, ['jobs', '--json'])]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^JOB\s+SYNC\s+QUEUE\s+KIND\s+SCHEDULE/);
    for (const name of jobNames) expect(table.stdout).toContain(name);
    expect(table.stdout).toMatch(/sample\.tick\s+sample\s+sample\s+periodic\s+every 5m \[SAMPLE_TICK_EVERY\]/);
    expect(table.stdout).toMatch(/sample\.heal\s+sample\s+sample\s+healing\s+0 3 \* \* \* \(UTC\)/);
    const jobs = JSON.parse(json.stdout) as Array<{ name: string; schedule: unknown }>;
    expect(jobs.map((j) => j.name)).toEqual(jobNames);
    expect(jobs.find((j) => j.name === 'sample.tick')?.schedule).toEqual({ every: 60_000 });

    const badEnv = await fleet(prefix, ['jobs'], { SAMPLE_TICK_CRON: 'every day' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/SAMPLE_TICK_CRON: must be a cron pattern/);
  });

  test('status, runs and schedules after a few runs', async () => {
    const { prefix, control } = newFleet();
    const app = await startWorker(prefix);
    for (let i = 1; i <= 6; i++) {
      const queued = await control.enqueue('sample.echo', { records: i });
      expect((await control.waitFor('sample', queued.jobId, 20_000)).state).toBe('completed');
    }
    const failing = await control.enqueue('sample.initial', { failWith: 'permanent' });
    expect((await control.waitFor('sample', failing.jobId, 20_000)).state).toBe('failed');
    await waitUntil('seven ledger rows', async () => {
      await app.flushLedger();
      return (await control.runs({ limit: 100 })).filter((r) => r.status !== 'running').length === 7;
    });

    const [status, statusJson, runs, runsJson, schedules] = await Promise.all([
      fleet(prefix, ['status', 'sample']),
      fleet(prefix, ['status', 'sample', '--json']),
      fleet(prefix, ['runs', '--job', 'sample.echo', '--limit', '5']),
      fleet(prefix, ['--json', 'runs', '--job', 'sample.echo', '--limit', '5']),
      fleet(prefix, ['schedules']),
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^SYNC\s+PAUSED\s+LAST RUN\s+LAST SUCCESS\s+LAG\s+PENDING\s+ACTIVE\s+FAILED\s+WATERMARK/);
    expect(status.stdout).toMatch(/\nsample\s+no\s+failed sample\.initial \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d+(ms|s)\s+0\s+0\s+1\s+-/);
    const detail = JSON.parse(statusJson.stdout) as { sync: string; failed: number; lastRun: { status: string }; lastSuccess: { jobName: string }; lagSeconds: number };
    expect(detail).toMatchObject({ sync: 'sample', failed: 1, pending: 0, lastRun: { status: 'failed' }, lastSuccess: { jobName: 'sample.echo' } });
    expect(detail.lagSeconds).toBeLessThan(60);
    // with the threshold a scheduler published, the lag reads against it
    await redis.hset(fleetKeys(prefix).lagThresholds, { sample: '3600000' });
    expect((await fleet(prefix, ['status', 'sample'])).stdout).toMatch(/\s\d+(ms|s) of 1h\s+0\s+0\s+1\s/);

    expect(runs.code).toBe(0);
    const lines = runs.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+JOB\s+JOB ID\s+ATTEMPT\s+STATUS\s+DURATION\s+COUNTS/);
    expect(lines).toHaveLength(6);
    expect(lines.slice(1).every((l) => /sample\.echo\s+\S+\s+1\s+succeeded/.test(l))).toBe(true);
    expect(lines[1]).toContain('{"records":6,"written":6}'); // newest first
    const rows = JSON.parse(runsJson.stdout) as Array<{ jobName: string; counts: { records: number } }>;
    expect(rows.map((r) => r.counts.records)).toEqual([6, 5, 4, 3, 2]);

    expect(schedules.code).toBe(0);
    expect(schedules.stdout).toMatch(/no job schedulers in fleet t-/);
    await control.queue('sample').upsertJobScheduler('sample.tick', { every: 60_000 }, { name: 'sample.tick', data: {} });
    const live = await fleet(prefix, ['schedules']);
    expect(live.stdout).toMatch(/^JOB\s+QUEUE\s+SCHEDULE\s+NEXT RUN\nsample\.tick\s+sample\s+every 1m\s+\d{4}-/);
  });

  test('pause and resume a queue', async () => {
    const { prefix, control } = newFleet();
    const paused = await fleet(prefix, ['pause', 'sample']);
    expect(paused).toMatchObject({ code: 0, stdout: 'paused queue sample\n' });
    expect(await control.isPaused('sample')).toBe(true);
    const resumed = await fleet(prefix, ['resume', 'sample', '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({ queue: 'sample', paused: false });
    expect(await control.isPaused('sample')).toBe(false);
  });

  test("clean removes that job's waiting entries; a second trigger while one waits is deduplicated", async () => {
    const { prefix, control } = newFleet();
    await control.pause('sample');
    const first = await fleet(prefix, ['--json', 'enqueue', 'sample.echo']);
    const second = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '{"records":9}']);
    const firstId = (JSON.parse(first.stdout) as { jobId: string }).jobId;
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`sample.echo is already waiting as job ${firstId} on queue sample: nothing new was queued`);
    const q = control.queue('sample');
    await q.add('sample.echo', {}, jobOptionsFor(catalogue.jobs['sample.echo']));
    await q.add('sample.tick', {}, jobOptionsFor(catalogue.jobs['sample.tick']));
    expect(await q.getWaitingCount()).toBe(3);

    const cleaned = await fleet(prefix, ['clean', 'sample.echo']);
    expect(cleaned).toMatchObject({ code: 0, stdout: 'removed 2 waiting, delayed or failed sample.echo job(s)\n' });
    const waiting = await q.getWaiting();
    expect(waiting.map((j) => j.name)).toEqual(['sample.tick']);
    expect(JSON.parse((await fleet(prefix, ['clean', 'sample.echo', '--json'])).stdout)).toEqual({ job: 'sample.echo', removed: 0 });
  });

  test('retry-failed puts the failed jobs of a queue back to wait', async () => {
    const { prefix, control } = newFleet();
    const app = await startWorker(prefix);
    const q = control.queue('sample');
    await q.add('sample.echo', { failWith: 'permanent' }, jobOptionsFor(catalogue.jobs['sample.echo']));
    await q.add('sample.echo', { failWith: 'permanent' }, jobOptionsFor(catalogue.jobs['sample.echo']));
    await waitUntil('two failed jobs', async () => (await q.getFailedCount()) === 2);
    await app.stop();
    const run = await fleet(prefix, ['retry-failed', 'sample']);
    expect(run).toMatchObject({ code: 0, stdout: '2 failed job(s) of queue sample put back to wait\n' });
    expect(await q.getJobCounts('waiting', 'failed')).toEqual({ waiting: 2, failed: 0 });
  });

  test('migrate against the test database: idempotent, says it is up to date', async () => {
    const { prefix } = newFleet();
    const first = await fleet(prefix, ['migrate']);
    expect(first).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
    const second = await fleet(prefix, ['migrate', '--json']);
    expect(JSON.parse(second.stdout)).toEqual({ applied: [], upToDate: true });
  });
});

describe('failures of the surroundings', () => {
  test('Redis or Postgres unreachable: exit 1, a clear message, no password printed, prompt exit', async () => {
    const { prefix } = newFleet();
    const [noRedis, noPostgres, noMigrate] = await Promise.all([
      fleet(prefix, ['enqueue', 'sample.echo'], { REDIS_URL: 'redis://fleet:hunter2-secret@127.0.0.1:1' }),
      fleet(prefix, ['runs'], { DATABASE_URL: 'postgres://fleet:hunter2-secret@127.0.0.1:1/nowhere' }),
      fleet(prefix, ['migrate'], { DATABASE_URL: 'postgres://fleet:hunter2-secret@127.0.0.1:1/nowhere' }),
    ]);
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toMatch(/cannot reach Redis at redis:\/\/fleet:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(noPostgres.code).toBe(1);
    expect(noPostgres.stderr).toMatch(/cannot reach Postgres at postgres:\/\/fleet:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    expect(noMigrate.code).toBe(1);
    expect(noMigrate.stderr).toMatch(/migration of postgres:\/\/fleet:\*\*\*@127\.0\.0\.1:1\/nowhere failed/);
    for (const run of [noRedis, noPostgres, noMigrate]) {
      expect(run.stdout + run.stderr).not.toContain('hunter2');
      expect(run.ms).toBeLessThan(15_000);
    }
    // bad input is reported as such even with Redis down, and still nothing is attempted
    const invalid = await fleet(prefix, ['enqueue', 'sample.echo', '--data', '{"sleepMs":"x"}'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(invalid.code).toBe(2);
  });

  test('an invalid env variable is bad usage (exit 2), named without its value', async () => {
    const { prefix } = newFleet();
    const run = await fleet(prefix, ['status'], { REDIS_URL: 'localhost:6379' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/REDIS_URL: must be a valid absolute URL/);
  });

  test('--help and --version exit 0', async () => {
    const { prefix } = newFleet();
    const [help, enqueueHelp, version] = await Promise.all([fleet(prefix, ['--help']), fleet(prefix, ['enqueue', '--help']), fleet(prefix, ['--version'])]);
    expect(help.code).toBe(0);
    for (const command of ['jobs', 'schedules', 'status', 'runs', 'enqueue', 'pause', 'resume', 'clean', 'retry-failed', 'migrate']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(help.stdout).toContain('Exit codes:');
    expect(enqueueHelp.code).toBe(0);
    expect(enqueueHelp.stdout).toMatch(/--data-file <file>/);
    expect(enqueueHelp.stdout).toMatch(/--json/); // global options are shown
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });
});
