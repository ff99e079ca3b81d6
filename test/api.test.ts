// The scheduler's HTTP API and dashboard against real Redis and Postgres: credentials on every
// route but /healthz (and nothing happens without them), payload validation, deduplication of a
// trigger, pause/resume, sync status and runs, /metrics. Most tests run the app in-process (port 0);
// one boots it as a process, as it runs in production.
import type { Queue } from 'bullmq';
import { describe, expect, inject, test } from 'vitest';
import { parseEnv } from '@syncfleet/config';
import { createFleetControl, type FleetControl } from '@syncfleet/control';
import { catalogue } from '@syncfleet/jobs';
import { createLogger } from '@syncfleet/log';
import type { WorkerApp } from '@syncfleet/runtime';
import { createSampleWorkerApp } from '../apps/sample-worker/src/app.ts';
import { createSchedulerApp } from '../apps/scheduler/src/app.ts';
import { SchedulerEnv } from '../apps/scheduler/src/env.ts';
import { deletePrefixKeys, randomSuffix, testPrefix, useCleanups, useRedis, useTestDatabase, waitUntil, workerConfig } from './support/fixtures.ts';
import { assertNoLeftoverProcesses, startAppProcess, stopAppProcess } from './support/processes.ts';

const db = useTestDatabase();
const redis = useRedis();
const cleanups = useCleanups(assertNoLeftoverProcesses);

const apiToken = `tok-${randomSuffix()}-${randomSuffix()}-${randomSuffix()}`;
const dashboardUser = 'operator';
const dashboardPassword = `pw-${randomSuffix()}${randomSuffix()}`;
const silent = createLogger({ name: 'test', level: 'silent' });
// The fleet's catalogue as deployed: every sync's queues, not only the sample's.
const queueNames = Object.keys(catalogue.queues).sort();
const syncNames = [...new Set(Object.values(catalogue.queues).map((q) => q.sync))].sort();

function schedulerEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: db.url,
    FLEET_PREFIX: prefix,
    API_PORT: '0',
    API_HOST: '127.0.0.1',
    API_TOKEN: apiToken,
    DASHBOARD_USER: dashboardUser,
    DASHBOARD_PASSWORD: dashboardPassword,
    // no tick at boot: the queue holds only what a test puts there (and the heal's 03:00 tick)
    SAMPLE_TICK_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

interface Fleet {
  prefix: string;
  base: string;
  control: FleetControl;
  queue: Queue;
}

/** A scheduler app of its own (its own fleet prefix), in-process, and the control plane over that fleet. */
async function startFleet(extra: Record<string, string> = {}): Promise<Fleet> {
  const prefix = testPrefix();
  const app = createSchedulerApp(parseEnv(SchedulerEnv, schedulerEnv(prefix, extra)), { logger: silent });
  const control = createFleetControl({ catalogue, fleetPrefix: prefix, redis, pool: db.pool });
  cleanups.push(async () => {
    await app.stop();
    await control.close();
    await deletePrefixKeys(inject('redisUrl'), prefix);
  });
  await app.start();
  return { prefix, base: `http://127.0.0.1:${app.port}`, control, queue: control.queue('sample') };
}

async function startWorker(prefix: string): Promise<WorkerApp> {
  const worker = createSampleWorkerApp(workerConfig(db.url, prefix, { LOG_LEVEL: 'silent' }));
  cleanups.push(() => worker.stop());
  await worker.start();
  return worker;
}

type Auth = { bearer: string } | { basic: [user: string, password: string] } | { header: string } | undefined;

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

interface CallOptions {
  /** Default: the right bearer token; `undefined`: no Authorization header. */
  auth?: Auth;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const auth = 'auth' in options ? options.auth : { bearer: apiToken };
  const headers: Record<string, string> = { ...options.headers };
  if (auth && 'bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth && 'basic' in auth) headers.authorization = `Basic ${Buffer.from(auth.basic.join(':')).toString('base64')}`;
  if (auth && 'header' in auth) headers.authorization = auth.header;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // HTML (the dashboard) or Prometheus text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Everything in the queue, to show that a refused request changed nothing. */
async function snapshot(fleet: Fleet): Promise<unknown> {
  const jobs = await fleet.queue.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'failed', 'completed']);
  return {
    jobs: jobs.map((j) => `${j.id}:${j.name}`).sort(),
    paused: await fleet.queue.isPaused(),
    schedulers: (await fleet.queue.getJobSchedulers()).map((s) => `${s.key}:${s.pattern ?? s.every}`).sort(),
    concurrency: await fleet.queue.getGlobalConcurrency(),
  };
}

// Every protected route: the API's, /metrics, the dashboard page and its API (reads and changes).
const protectedRoutes: Array<[method: string, path: string, body?: unknown]> = [
  ['GET', '/api/jobs'],
  ['GET', '/api/schedules'],
  ['POST', '/api/jobs/sample.echo', { records: 1 }],
  ['POST', '/api/jobs/sample.echo?dryRun=true', {}],
  ['DELETE', '/api/jobs/sample.echo'],
  ['POST', '/api/queues/sample/pause'],
  ['POST', '/api/queues/sample/resume'],
  ['GET', '/api/syncs'],
  ['GET', '/api/syncs/sample'],
  ['GET', '/api/runs?job=sample.echo&limit=5'],
  ['GET', '/api/nowhere'],
  ['GET', '/metrics'],
  ['GET', '/admin/queues'],
  ['GET', '/admin/queues/'],
  ['GET', '/admin/queues/queue/sample'],
  ['GET', '/admin/queues/static/favicon-32x32.png'],
  ['GET', '/admin/queues/api/queues'],
  ['GET', '/admin/queues/api/redis/stats'],
  ['POST', '/admin/queues/api/queues/sample/add', { name: 'sample.echo', data: {}, options: {} }],
  ['PUT', '/admin/queues/api/queues/sample/pause'],
  ['PUT', '/admin/queues/api/queues/pause'],
  ['PUT', '/admin/queues/api/queues/sample/empty'],
  ['PUT', '/admin/queues/api/queues/sample/obliterate'],
  ['PUT', '/admin/queues/api/queues/sample/concurrency', { concurrency: 5 }],
  ['PUT', '/admin/queues/api/queues/sample/job-schedulers/sample.heal/remove'],
  ['PUT', '/admin/queues/api/queues/sample/clean/waiting'],
];

describe('auth', () => {
  test('every protected route answers 401 without credentials or with wrong ones, and nothing happens', async () => {
    const fleet = await startFleet();
    await fleet.control.enqueue('sample.echo', { note: 'already waiting' }); // what DELETE or "empty" would remove
    const before = await snapshot(fleet);
    const wrongToken = `${apiToken.slice(0, -1)}x`;
    const wrong: Auth[] = [
      undefined,
      { bearer: wrongToken },
      { bearer: `${apiToken}x` }, // longer: a prefix match is not a match
      { bearer: apiToken.slice(0, 16) },
      { basic: ['anyone', wrongToken] },
      { basic: [dashboardUser, `${dashboardPassword}x`] },
      { basic: ['intruder', dashboardPassword] },
      { header: apiToken }, // no scheme
      { header: `Token ${apiToken}` },
      { header: 'Basic !!!not-base64' },
    ];
    for (const [method, path, body] of protectedRoutes) {
      for (const auth of wrong) {
        const answer = await call(fleet.base, method, path, { auth, body });
        expect({ method, path, auth, status: answer.status }).toEqual({ method, path, auth, status: 401 });
        expect(answer.body).toEqual({ error: expect.stringMatching(/unauthorized/) as unknown });
        const challenge = answer.headers.get('www-authenticate');
        expect(challenge).toBe(path.startsWith('/admin/queues') ? 'Basic realm="syncfleet"' : 'Bearer realm="syncfleet"');
      }
    }
    // the API does not take Basic auth, even with the right secrets (only the dashboard does)
    for (const basic of [['any', apiToken], [dashboardUser, dashboardPassword]] as Array<[string, string]>) {
      expect((await call(fleet.base, 'POST', '/api/jobs/sample.echo', { auth: { basic }, body: {} })).status).toBe(401);
      expect((await call(fleet.base, 'GET', '/metrics', { auth: { basic } })).status).toBe(401);
    }
    expect(await snapshot(fleet)).toEqual(before);

    // and a paused queue stays paused
    await fleet.control.pause('sample');
    const resumes = [
      ['POST', '/api/queues/sample/resume'],
      ['PUT', '/admin/queues/api/queues/sample/resume'],
      ['PUT', '/admin/queues/api/queues/resume'],
    ] as const;
    for (const [method, path] of resumes) {
      expect((await call(fleet.base, method, path, { auth: { bearer: wrongToken } })).status).toBe(401);
    }
    expect(await fleet.queue.isPaused()).toBe(true);
  });

  test('/healthz answers without credentials', async () => {
    const fleet = await startFleet();
    const answer = await call(fleet.base, 'GET', '/healthz', { auth: undefined });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, app: 'scheduler', state: 'running', redis: 'ready', fleet: fleet.prefix });
  });

  test('the dashboard takes the token (bearer or Basic password) or the dashboard user, and lists every queue of the fleet', async () => {
    const fleet = await startFleet();
    const good: Auth[] = [{ bearer: apiToken }, { basic: ['anyone', apiToken] }, { basic: [dashboardUser, dashboardPassword] }];
    for (const auth of good) {
      const page = await call(fleet.base, 'GET', '/admin/queues', { auth });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const queues = await call(fleet.base, 'GET', '/admin/queues/api/queues', { auth });
      expect(queues.status).toBe(200);
      expect((queues.body as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort()).toEqual(Object.keys(catalogue.queues).sort());
    }
    const asset = await call(fleet.base, 'GET', '/admin/queues/static/favicon-32x32.png', { auth: { basic: [dashboardUser, dashboardPassword] } });
    expect(asset.status).toBe(200);

    // the dashboard acts on the fleet's own queues (its prefix): pausing there pauses the fleet's queue
    const paused = await call(fleet.base, 'PUT', '/admin/queues/api/queues/sample/pause', { auth: { basic: [dashboardUser, dashboardPassword] } });
    expect(paused.status).toBe(200);
    expect(await fleet.control.isPaused('sample')).toBe(true);
  });

  test('a change to the dashboard sent by another site (Basic credentials resent by the browser) is refused', async () => {
    const fleet = await startFleet();
    const auth: Auth = { basic: [dashboardUser, dashboardPassword] };
    const pause = '/admin/queues/api/queues/sample/pause';
    const crossSite = await call(fleet.base, 'PUT', pause, { auth, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const otherOrigin = await call(fleet.base, 'PUT', pause, { auth, headers: { origin: 'https://evil.example' } });
    expect(otherOrigin.status).toBe(403);
    expect(await fleet.control.isPaused('sample')).toBe(false);
    // from the dashboard's own page it works
    const sameOrigin = await call(fleet.base, 'PUT', pause, { auth, headers: { origin: fleet.base, 'sec-fetch-site': 'same-origin' } });
    expect(sameOrigin.status).toBe(200);
    expect(await fleet.control.isPaused('sample')).toBe(true);
  });

  test('AUTH_DISABLED=true serves without credentials and warns at boot', async () => {
    const prefix = testPrefix();
    const lines: string[] = [];
    const logger = createLogger({ name: 'scheduler', level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const config = parseEnv(SchedulerEnv, { ...schedulerEnv(prefix), API_TOKEN: '', DASHBOARD_USER: '', DASHBOARD_PASSWORD: '', AUTH_DISABLED: 'true' });
    const app = createSchedulerApp(config, { logger });
    cleanups.push(async () => {
      await app.stop();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    });
    await app.start();
    const base = `http://127.0.0.1:${app.port}`;
    expect((await call(base, 'GET', '/api/jobs', { auth: undefined })).status).toBe(200);
    expect((await call(base, 'GET', '/admin/queues', { auth: undefined })).status).toBe(200);
    const warning = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).find((l) => l.level === 'warn');
    expect(warning?.msg).toMatch(/AUTH_DISABLED=true/);
  });
});

describe('jobs', () => {
  test('GET /api/jobs lists the catalogue with schedules, overlap policy and whether enabled', async () => {
    const fleet = await startFleet();
    const { body } = await call(fleet.base, 'GET', '/api/jobs');
    const jobs = (body as { jobs: Array<Record<string, unknown>> }).jobs;
    expect(jobs.map((j) => j.name)).toEqual(Object.keys(catalogue.jobs).sort());
    expect(jobs.find((j) => j.name === 'sample.heal')).toMatchObject({
      sync: 'sample',
      queue: 'sample',
      kind: 'healing',
      overlap: 'skip',
      schedule: { pattern: '0 3 * * *', tz: 'UTC' },
      enabled: true,
    });
    expect(jobs.find((j) => j.name === 'sample.tick')).toMatchObject({ kind: 'periodic', schedule: { every: 60_000 }, enabled: false });
    expect(jobs.find((j) => j.name === 'sample.echo')).toMatchObject({ kind: 'manual', schedule: null, overlap: 'bufferOne' });
  });

  test('an invalid payload answers 400 with the zod issues, and nothing is queued', async () => {
    const fleet = await startFleet();
    const before = await snapshot(fleet);
    const wrongType = await call(fleet.base, 'POST', '/api/jobs/sample.echo', { body: { sleepMs: 'soon' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatchObject({ error: 'invalid payload for sample.echo', issues: [{ path: ['sleepMs'], code: 'invalid_type' }] });
    const unknownField = await call(fleet.base, 'POST', '/api/jobs/sample.echo', { body: { sleepMs: 1, colour: 'red' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body).toMatchObject({ issues: [{ code: 'unrecognized_keys', keys: ['colour'] }] });
    const several = await call(fleet.base, 'POST', '/api/jobs/sample.echo', { body: { sleepMs: -1, records: 1.5, failWith: 'sometimes' } });
    expect((several.body as { issues: Array<{ path: string[] }> }).issues.map((i) => i.path[0]).sort()).toEqual(['failWith', 'records', 'sleepMs']);
    const notAnObject = await call(fleet.base, 'POST', '/api/jobs/sample.echo?dryRun=true', { body: [1, 2] });
    expect(notAnObject.status).toBe(400);
    const notJson = await call(fleet.base, 'POST', '/api/jobs/sample.echo', { rawBody: '{"sleepMs": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ error: expect.any(String) as unknown });
    const badQuery = await call(fleet.base, 'POST', '/api/jobs/sample.echo?dryRun=maybe', { body: {} });
    expect(badQuery).toMatchObject({ status: 400, body: { error: 'invalid query string', issues: [{ path: ['dryRun'] }] } });
    const unknownQuery = await call(fleet.base, 'POST', '/api/jobs/sample.echo?dry-run=true', { body: {} });
    expect(unknownQuery.status).toBe(400);
    expect(await snapshot(fleet)).toEqual(before);
  });

  test('an unknown job answers 404 listing the known ones; so do an unknown queue and sync', async () => {
    const fleet = await startFleet();
    const known = Object.keys(catalogue.jobs).sort();
    for (const [method, path] of [['POST', '/api/jobs/sample.nope'], ['DELETE', '/api/jobs/sample.nope'], ['GET', '/api/runs?job=sample.nope']]) {
      const answer = await call(fleet.base, method!, path!, method === 'POST' ? { body: {} } : {});
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error: expect.stringMatching(/unknown job "sample\.nope"/) as unknown, known });
    }
    expect(queueNames).toContain('sample');
    expect(await call(fleet.base, 'POST', '/api/queues/nope/pause')).toMatchObject({ status: 404, body: { known: queueNames } });
    expect(await call(fleet.base, 'GET', '/api/syncs/nope')).toMatchObject({ status: 404, body: { known: syncNames } });
    expect(await fleet.queue.getJobCountByTypes('waiting', 'prioritized', 'active')).toBe(0);
  });

  test('a second trigger while the first is waiting returns the waiting job instead of queueing another', async () => {
    const fleet = await startFleet();
    await fleet.control.pause('sample'); // nothing runs: the first stays waiting
    const first = await call(fleet.base, 'POST', '/api/jobs/sample.echo', { body: { records: 1 } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ queue: 'sample', deduplicated: false, jobId: expect.any(String) as unknown });
    const second = await call(fleet.base, 'POST', '/api/jobs/sample.echo', { body: { records: 2 } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ...(first.body as object), deduplicated: true });
    const echoes = (await fleet.queue.getJobs(['waiting'])).filter((j) => j.name === 'sample.echo');
    expect(echoes.map((j) => j.id)).toEqual([(first.body as { jobId: string }).jobId]);
    expect(echoes[0]!.data).toEqual({ records: 1 });
    // another job is not deduplicated against it
    expect((await call(fleet.base, 'POST', '/api/jobs/sample.initial?dryRun=true')).status).toBe(201);
    const initial = (await fleet.queue.getJobs(['waiting'])).find((j) => j.name === 'sample.initial');
    expect(initial?.data).toEqual({ dryRun: true }); // no body: the job's defaults, with dryRun added
  });

  test('DELETE removes the job\'s waiting and failed entries and says how many', async () => {
    const fleet = await startFleet();
    await fleet.control.pause('sample');
    await fleet.control.enqueue('sample.echo', {});
    await fleet.queue.add('sample.echo', {}, { delay: 60_000 });
    await fleet.control.enqueue('sample.initial', {});
    const answer = await call(fleet.base, 'DELETE', '/api/jobs/sample.echo');
    expect(answer).toMatchObject({ status: 200, body: { job: 'sample.echo', removed: 2 } });
    const left = await fleet.queue.getJobs(['waiting', 'delayed']);
    expect(left.map((j) => j.name).sort()).toEqual(['sample.heal', 'sample.initial']);
  });
});

describe('queues and runs', () => {
  test('pause and resume take effect: a job stays waiting while its queue is paused, and runs after resume', async () => {
    const fleet = await startFleet();
    await startWorker(fleet.prefix);
    expect(await call(fleet.base, 'POST', '/api/queues/sample/pause')).toMatchObject({ status: 200, body: { queue: 'sample', paused: true } });
    expect(await fleet.queue.isPaused()).toBe(true);
    const queued = await call(fleet.base, 'POST', '/api/jobs/sample.echo', { body: { note: 'while paused' } });
    const jobId = (queued.body as { jobId: string }).jobId;
    await new Promise((r) => setTimeout(r, 1000));
    expect(await (await fleet.queue.getJob(jobId))!.getState()).toBe('waiting');
    expect((await call(fleet.base, 'GET', '/api/syncs/sample')).body).toMatchObject({ paused: true, pending: 2 }); // with the heal's 03:00 tick

    expect(await call(fleet.base, 'POST', '/api/queues/sample/resume')).toMatchObject({ status: 200, body: { queue: 'sample', paused: false } });
    expect(await fleet.queue.isPaused()).toBe(false);
    await waitUntil('the job to run after resume', async () => (await (await fleet.queue.getJob(jobId))?.getState()) === 'completed');
  });

  test('/api/syncs reflects a run; /api/runs lists the ledger newest first', async () => {
    const fleet = await startFleet();
    const worker = await startWorker(fleet.prefix);
    // every sync of the fleet, none of them run yet
    const empty = (await call(fleet.base, 'GET', '/api/syncs')).body as { syncs: Array<Record<string, unknown>> };
    expect(empty.syncs).toEqual(
      syncNames.map((sync) => expect.objectContaining({ sync, lastRun: null, lastSuccess: null, lagSeconds: null, watermark: null }) as unknown),
    );

    const jobIds: string[] = [];
    for (const records of [3, 4]) {
      const queued = await call(fleet.base, 'POST', '/api/jobs/sample.echo', { body: { records } });
      const jobId = (queued.body as { jobId: string }).jobId;
      jobIds.push(jobId);
      await waitUntil('the run to complete', async () => (await (await fleet.queue.getJob(jobId))?.getState()) === 'completed');
    }
    const status = await waitUntil('the sync status to show the run', async () => {
      await worker.flushLedger();
      const { body } = await call(fleet.base, 'GET', '/api/syncs/sample');
      const sync = body as { lastSuccess: { jobId: string } | null };
      return sync.lastSuccess?.jobId === jobIds[1] ? (body as Record<string, unknown>) : undefined;
    });
    expect(status).toMatchObject({
      sync: 'sample',
      queues: ['sample'],
      paused: false,
      lastRun: { jobName: 'sample.echo', jobId: jobIds[1], status: 'succeeded', counts: { records: 4, written: 4 } },
      lastSuccess: { jobName: 'sample.echo', status: 'succeeded' },
      failed: 0,
    });
    expect(status.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(status.lagSeconds).toBeLessThan(30);
    // the list shows the same for the sample, and the sample's runs in no other sync
    const all = ((await call(fleet.base, 'GET', '/api/syncs')).body as { syncs: Array<Record<string, unknown>> }).syncs;
    expect(all.map((s) => s.sync)).toEqual(syncNames);
    expect(all.find((s) => s.sync === 'sample')).toEqual(status);
    for (const other of all.filter((s) => s.sync !== 'sample')) {
      expect(other).toMatchObject({ lastRun: null, lastSuccess: null, lagSeconds: null, failed: 0 });
      expect(other.queues).not.toContain('sample');
    }

    const runs = await call(fleet.base, 'GET', '/api/runs?job=sample.echo&limit=5');
    expect(runs.status).toBe(200);
    expect((runs.body as { runs: Array<{ jobId: string; jobName: string }> }).runs.map((r) => [r.jobName, r.jobId])).toEqual([
      ['sample.echo', jobIds[1]],
      ['sample.echo', jobIds[0]],
    ]);
    const one = (await call(fleet.base, 'GET', '/api/runs?limit=1')).body as { runs: unknown[] };
    expect(one.runs).toHaveLength(1);
    for (const bad of ['limit=0', 'limit=1001', 'limit=ten', 'colour=red']) {
      expect((await call(fleet.base, 'GET', `/api/runs?${bad}`)).status).toBe(400);
    }
  });

  test('/metrics shows the depth of every queue by state, and the lag of a sync that succeeded', async () => {
    const fleet = await startFleet();
    await fleet.control.pause('sample');
    await fleet.control.enqueue('sample.echo', {});
    await fleet.control.enqueue('sample.initial', {});
    const metrics = (await call(fleet.base, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/^syncfleet_queue_jobs\{queue="sample",state="waiting"[^}]*\} 2$/m);
    expect(metrics).toMatch(/^syncfleet_queue_jobs\{queue="sample",state="delayed"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^syncfleet_queue_jobs\{queue="sample",state="failed"[^}]*\} 0$/m);
    expect(metrics).not.toMatch(/^syncfleet_sync_lag_seconds\{/m); // never succeeded: no lag yet
    // the thresholds the scheduler alerts at: 3 ticks of the sync's most frequent periodic job, at least 15 minutes
    expect(metrics).toMatch(/^syncfleet_sync_lag_threshold_seconds\{sync="returns-sync"[^}]*\} 2700$/m);
    expect(metrics).not.toMatch(/^syncfleet_sync_lag_threshold_seconds\{sync="sample"/m); // its tick is disabled here: no threshold
    expect(metrics).toMatch(/^syncfleet_process_cpu_seconds_total/m);

    await fleet.control.resume('sample');
    const worker = await startWorker(fleet.prefix);
    await waitUntil('a success in the ledger', async () => {
      await worker.flushLedger();
      return (await fleet.control.syncStatus('sample'))[0]!.lastSuccess;
    });
    const after = (await call(fleet.base, 'GET', '/metrics')).body as string;
    expect(after).toMatch(/^syncfleet_sync_lag_seconds\{sync="sample"[^}]*\} \d+$/m);
  });
});

describe('as a process', () => {
  test('boots from env, keeps /healthz open and everything else closed, and never logs the secrets', async () => {
    const prefix = testPrefix();
    cleanups.push(() => deletePrefixKeys(inject('redisUrl'), prefix));
    const scheduler = startAppProcess('apps/scheduler/src/main.ts', schedulerEnv(prefix, { LOG_LEVEL: 'debug' }));
    cleanups.push(() => stopAppProcess(scheduler, 'SIGKILL'));
    const started = await scheduler.waitForLog((l) => l.msg === 'scheduler app started');
    const base = `http://127.0.0.1:${String(started.port)}`;
    expect((await call(base, 'GET', '/healthz', { auth: undefined })).status).toBe(200);
    expect((await call(base, 'GET', '/api/jobs', { auth: undefined })).status).toBe(401);
    expect((await call(base, 'GET', '/api/jobs', { auth: { bearer: `${apiToken}-wrong` } })).status).toBe(401);
    expect((await call(base, 'GET', '/admin/queues', { auth: { basic: [dashboardUser, 'wrong-password'] } })).status).toBe(401);
    expect((await call(base, 'GET', '/api/jobs')).status).toBe(200);
    expect((await call(base, 'POST', '/api/jobs/sample.echo', { body: { note: apiToken } })).status).toBe(201);
    expect((await call(base, 'GET', '/admin/queues', { auth: { basic: [dashboardUser, dashboardPassword] } })).status).toBe(200);
    await scheduler.waitForLog((l) => l.msg === 'request refused');
    expect((await stopAppProcess(scheduler)).code).toBe(0);
    const output = scheduler.output();
    expect(output).toContain('request refused');
    expect(output).not.toContain(apiToken);
    expect(output).not.toContain(dashboardPassword);
    expect(output).not.toContain(Buffer.from(`${dashboardUser}:${dashboardPassword}`).toString('base64'));
  });
});
