// `npm run demo`: the whole fleet on this machine, on local defaults.
//
// Ensures Redis, Postgres and Kafka (reuses what answers, starts what does not), creates and migrates
// the `syncfleet` database, starts the Teams webhook emulator, starts every app under apps/ that has a
// src/main.ts as a child process, prints their log lines in a compact human form, keeps sample jobs
// flowing, and prints a banner with every URL. Ctrl-C (or SIGTERM) stops everything it started, in
// reverse order, and exits 0. `--for <seconds>` stops the same way after that long (the demo's test).
// An app that exits on its own is an error: the demo says so, stops everything and exits 1.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, styleText } from 'node:util';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { catalogue, type AnyCatalogue, type JobDefinition } from '@syncfleet/jobs';
import { createFleetQueue, enqueueJob } from '@syncfleet/runtime';
import { startTeamsEmulator, type TeamsEmulator } from './emulators/teams.ts';
import { ensureInfra, type Infra } from './infra/index.ts';
import { ensureMigratedDatabase } from './infra/postgres.ts';
import { freePort } from './infra/process.ts';
import type { DemoContext, DemoPart } from './demo/types.ts';

const repoRoot = join(import.meta.dirname, '..');
// The demo test runs the demo in its own namespace (DEMO_FLEET_PREFIX, DEMO_DATABASE).
const FLEET_PREFIX = process.env.DEMO_FLEET_PREFIX || 'syncfleet-demo';
const DATABASE_NAME = process.env.DEMO_DATABASE || 'syncfleet';
/** What the apps get as SHUTDOWN_TIMEOUT_MS: a demo should stop within seconds. */
const APP_SHUTDOWN_TIMEOUT_MS = 10_000;
/** After SIGTERM, how long an app may take to exit before it gets SIGKILL. */
const KILL_AFTER_MS = APP_SHUTDOWN_TIMEOUT_MS + 5_000;
const HEALTHY_TIMEOUT_MS = 60_000;
const ECHO_EVERY_MS = 3_000;
/** Repeated signals within this window are one Ctrl-C (npm forwards the terminal's SIGINT too). */
const SIGNAL_DEBOUNCE_MS = 1_500;

// ---------------------------------------------------------------------------------------------
// Options

let forSeconds: number | undefined;
try {
  const { values } = parseArgs({ options: { for: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write('usage: npm run demo [-- --for <seconds>]\n  runs the fleet locally until Ctrl-C (or for <seconds>)\n');
    process.exit(0);
  }
  if (values.for !== undefined) {
    forSeconds = Number(values.for);
    if (!Number.isFinite(forSeconds) || forSeconds <= 0) throw new Error(`--for wants a positive number of seconds, not ${JSON.stringify(values.for)}`);
  }
} catch (error) {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\nusage: npm run demo [-- --for <seconds>]\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Output: one compact line per log line, `time level app msg jobName status (details)`

const levelStyle: Record<string, Parameters<typeof styleText>[0]> = {
  trace: 'gray',
  debug: 'gray',
  info: 'green',
  warn: 'yellow',
  error: 'red',
  fatal: ['red', 'bold'],
};
const statusStyle: Record<string, Parameters<typeof styleText>[0]> = {
  succeeded: 'green',
  failed: 'red',
  refused: 'yellow',
  skipped: 'yellow',
  stalled: 'yellow',
};
let appNameWidth = 'demo'.length;

function clock(at: Date): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
}

function short(value: unknown, max = 160): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const oneLine = (text ?? '').replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function printLine(at: Date, level: string, app: string, msg: string, fields: Record<string, unknown> = {}): void {
  const parts = [
    styleText('gray', clock(at)),
    styleText(levelStyle[level] ?? 'white', level.toUpperCase().padEnd(5)),
    styleText('cyan', app.padEnd(appNameWidth)),
    msg,
  ];
  if (typeof fields.jobName === 'string') parts.push(styleText('bold', fields.jobName));
  if (typeof fields.jobId === 'string' || typeof fields.jobId === 'number') parts.push(styleText('gray', `#${fields.jobId}`));
  if (typeof fields.status === 'string') parts.push(styleText(statusStyle[fields.status] ?? 'white', fields.status));
  const details: string[] = [];
  if (typeof fields.attempt === 'number' && fields.attempt > 1) details.push(`attempt ${fields.attempt}`);
  if (typeof fields.durationMs === 'number') details.push(`${fields.durationMs} ms`);
  if (fields.counts && typeof fields.counts === 'object' && Object.keys(fields.counts).length > 0) {
    details.push(Object.entries(fields.counts as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(' '));
  }
  if (fields.final === true) details.push('final');
  if (fields.reason !== undefined && fields.reason !== null) details.push(short(fields.reason));
  if (fields.error !== undefined && fields.error !== null) details.push(short(fields.error));
  const err = fields.err as { message?: unknown } | undefined;
  if (err && typeof err === 'object' && err.message !== undefined) details.push(short(err.message));
  if (details.length > 0) parts.push(styleText('gray', `(${details.join(', ')})`));
  process.stdout.write(`${parts.join(' ')}\n`);
}

const log = (msg: string, fields?: Record<string, unknown>): void => printLine(new Date(), 'info', 'demo', msg, fields);
const warn = (msg: string, fields?: Record<string, unknown>): void => printLine(new Date(), 'warn', 'demo', msg, fields);
const shout = (msg: string): void => printLine(new Date(), 'error', 'demo', styleText(['red', 'bold'], `!! ${msg}`));

/** An app's stdout/stderr line: pino JSON in compact form, anything else as it came. */
function printAppLine(app: string, line: string, stream: 'stdout' | 'stderr'): void {
  if (line.trim() === '') return;
  if (line.startsWith('{')) {
    try {
      const fields = JSON.parse(line) as Record<string, unknown>;
      const at = typeof fields.time === 'string' || typeof fields.time === 'number' ? new Date(fields.time) : new Date();
      const level = typeof fields.level === 'string' ? fields.level : 'info';
      printLine(Number.isNaN(at.getTime()) ? new Date() : at, level, app, typeof fields.msg === 'string' ? fields.msg : '', fields);
      return;
    } catch {
      // not JSON after all: print it raw below
    }
  }
  printLine(new Date(), stream === 'stderr' ? 'warn' : 'info', app, line);
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

// ---------------------------------------------------------------------------------------------
// Apps

interface AppExtra {
  env: Record<string, string>;
  /** Extra banner lines: [label, value]. */
  links: Array<[string, string]>;
  /** The port that serves the app's /healthz when it is not HEALTH_PORT (the scheduler's API_PORT). */
  healthPort?: number;
}

const apiToken = randomBytes(24).toString('base64url');

/**
 * Per-app extra env (beyond the common env every app gets) and banner lines. An app without an entry
 * needs nothing more. The scheduler serves its HTTP API, Bull Board, /healthz and /metrics on
 * API_PORT, guarded by a token generated for this demo (the dashboard takes it as a Basic password).
 */
const demoParts: Array<{ name: string; part: DemoPart }> = [];

/** `test/demo/<app>.ts`, when the app has one: its `startDemo(context)` is run before the app starts. */
async function startDemoPart(name: string, context: DemoContext): Promise<AppExtra | undefined> {
  const file = join(repoRoot, 'test', 'demo', `${name}.ts`);
  if (!existsSync(file)) return undefined;
  const module = (await import(file)) as { startDemo?: (context: DemoContext) => Promise<DemoPart> };
  if (typeof module.startDemo !== 'function') throw new Error(`${file} does not export startDemo(context)`);
  const part = await module.startDemo(context);
  demoParts.push({ name, part });
  return { env: part.env, links: part.links };
}

const appExtras: Record<string, () => Promise<AppExtra>> = {
  scheduler: async () => {
    const port = await freePort();
    return {
      env: { API_PORT: String(port), API_HOST: '127.0.0.1', API_TOKEN: apiToken },
      healthPort: port,
      links: [
        ['dashboard', `http://127.0.0.1:${port}/admin/queues  (any user name, password = the api token)`],
        ['api', `http://127.0.0.1:${port}/api/jobs  (header: Authorization: Bearer <api token>)`],
        ['api token', apiToken],
      ],
    };
  },
};

/** Every long-running app under apps/ (a src/main.ts, and no `bin`: the fleet CLI is a tool), by name. */
function discoverApps(): string[] {
  const appsDir = join(repoRoot, 'apps');
  const isTool = (name: string): boolean => {
    const manifest = JSON.parse(readFileSync(join(appsDir, name, 'package.json'), 'utf8')) as { bin?: unknown };
    return manifest.bin !== undefined;
  };
  return readdirSync(appsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(appsDir, entry.name, 'src', 'main.ts')) && !isTool(entry.name))
    .map((entry) => entry.name)
    .sort();
}

interface RunningApp {
  name: string;
  healthPort: number;
  links: Array<[string, string]>;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited: boolean;
}

const apps: RunningApp[] = [];

function startApp(name: string, healthPort: number, env: Record<string, string>, links: Array<[string, string]>): RunningApp {
  const entry = join(repoRoot, 'apps', name, 'src', 'main.ts');
  // Its own process group: a Ctrl-C in the terminal reaches the demo only, which then stops the apps
  // one by one with SIGTERM (a second signal would make an app exit at once, mid-run).
  const child = spawn(process.execPath, [entry], {
    cwd: repoRoot,
    // kafkajs 2.2.4 passes a negative delay to setTimeout on Node 24: harmless, but it warns on stderr
    env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=TimeoutNegativeWarning'].filter(Boolean).join(' '), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const app: RunningApp = {
    name,
    healthPort,
    links,
    child,
    hasExited: false,
    exited: new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        app.hasExited = true;
        resolve({ code, signal });
      });
    }),
  };
  child.on('error', (error) => shout(`${name}: ${error.message}`));
  createInterface({ input: child.stdout }).on('line', (line) => printAppLine(name, line, 'stdout'));
  createInterface({ input: child.stderr }).on('line', (line) => printAppLine(name, line, 'stderr'));
  void app.exited.then(({ code, signal }) => {
    if (stopping) {
      log(`${name} exited (${code !== null ? `exit code ${code}` : `signal ${signal}`})`);
      return;
    }
    shout(`${name} exited unexpectedly (${code !== null ? `exit code ${code}` : `signal ${signal}`}): stopping everything`);
    requestStop(1, `${name} exited unexpectedly`);
  });
  apps.push(app);
  return app;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function waitUntilHealthy(app: RunningApp): Promise<void> {
  const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
  while (!(await healthy(app.healthPort))) {
    if (app.hasExited || stopRequest) return; // reported by the exit handler / the stop
    if (Date.now() > deadline) throw new Error(`${app.name} did not answer /healthz within ${HEALTHY_TIMEOUT_MS / 1000} s`);
    await sleep(250);
  }
}

async function stopApps(): Promise<void> {
  const running = apps.filter((app) => !app.hasExited);
  if (running.length === 0) return;
  log(`stopping ${running.map((a) => a.name).join(', ')} (SIGTERM; SIGKILL after ${KILL_AFTER_MS / 1000} s)`);
  await Promise.all(
    running.map(async (app) => {
      app.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (app.hasExited) return;
        shout(`${app.name} did not exit within ${KILL_AFTER_MS / 1000} s: SIGKILL`);
        killGroup(app, 'SIGKILL');
      }, KILL_AFTER_MS);
      await app.exited;
      clearTimeout(timer);
    }),
  );
}

function killGroup(app: RunningApp, signal: NodeJS.Signals): void {
  if (app.hasExited || app.child.pid === undefined) return;
  try {
    process.kill(-app.child.pid, signal); // the app's process group (detached above)
  } catch {
    app.child.kill(signal);
  }
}

// Last resort: the demo itself crashes or exits early; no app may outlive it.
process.on('exit', () => {
  for (const app of apps) killGroup(app, 'SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// Sample data

interface Feeder {
  stop(): Promise<void>;
}

/** Keeps sample jobs flowing: sample.initial then sample.heal once, a sample.echo every few seconds. */
async function startFeeder(redisUrl: string): Promise<Feeder | undefined> {
  const jobs: AnyCatalogue['jobs'] = catalogue.jobs;
  const initial = jobs['sample.initial'];
  const heal = jobs['sample.heal'];
  const echo = jobs['sample.echo'];
  if (!initial || !heal || !echo || !apps.some((a) => a.name === 'sample-worker')) {
    log('no sample sync in this fleet: not feeding sample jobs');
    return undefined;
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (error) => warn('feeder redis error', { err: error }));
  const queue: Queue = createFleetQueue(redis, FLEET_PREFIX, echo.queue);
  const enqueue = async (def: JobDefinition, payload: Record<string, unknown>, note: string): Promise<void> => {
    const job = await enqueueJob(queue, def, payload);
    log(`enqueued ${note}`, { jobName: def.name, jobId: job.id });
  };

  // In this order on the singleton queue: the heal runs after the initial load has succeeded (the
  // chronology guard would refuse it otherwise, and record why).
  await enqueue(initial, { sleepMs: 2000, records: 5000, note: 'demo initial load' }, 'the initial load');
  await enqueue(heal, { sleepMs: 1000, records: 5000, note: 'demo reconcile' }, 'a heal');

  let count = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = (): void => {
    count += 1;
    const payload: Record<string, unknown> = { sleepMs: randomInt(100, 1200), records: randomInt(1, 500), note: `demo echo #${count}` };
    let note = 'an echo';
    if (count % 12 === 0) {
      payload.failWith = 'transient'; // every attempt fails: retries run out, a Teams card goes out
      note = 'an echo that fails every attempt (retries exhausted -> Teams card)';
    } else if (count % 4 === 0) {
      payload.failWith = 'transient';
      payload.failAttempts = 1; // fails once, succeeds on the retry
      note = 'an echo that fails once (watch the retry)';
    }
    inFlight = enqueue(echo, payload, note).catch((error: unknown) => warn('could not enqueue', { err: error }));
  };
  const timer = setInterval(tick, ECHO_EVERY_MS);
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Stop requests (signals, --for, an app that died)

let stopRequest: { code: number; why: string } | undefined;
let stopping = false;
let wakeMain: () => void = () => undefined;
const stopRequested = new Promise<void>((resolve) => (wakeMain = resolve));
let firstSignalAt = 0;

function requestStop(code: number, why: string): void {
  if (stopRequest) {
    if (code > stopRequest.code) stopRequest.code = code;
    return;
  }
  stopRequest = { code, why };
  wakeMain();
}

function onSignal(signal: NodeJS.Signals): void {
  if (!stopRequest) {
    firstSignalAt = Date.now();
    log(`${signal}: stopping everything (press Ctrl-C again to kill the apps at once)`);
    requestStop(0, signal);
    return;
  }
  if (Date.now() - firstSignalAt < SIGNAL_DEBOUNCE_MS) return; // the same Ctrl-C, forwarded by npm
  shout(`${signal} again: killing the apps now and exiting (servers the demo started are left running)`);
  for (const app of apps) killGroup(app, 'SIGKILL');
  process.exit(130);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

class StopRequested extends Error {}
function checkStop(): void {
  if (stopRequest) throw new StopRequested(stopRequest.why);
}

// ---------------------------------------------------------------------------------------------
// Main

let infra: Infra | undefined;
let emulator: TeamsEmulator | undefined;
let feeder: Feeder | undefined;

async function run(): Promise<void> {
  const names = discoverApps();
  if (names.length === 0) throw new Error('no app with a src/main.ts under apps/');
  appNameWidth = Math.max(appNameWidth, 'teams'.length, ...names.map((n) => n.length));
  log('ensuring Redis, Postgres and Kafka (reusing what answers, starting what does not)');
  infra = await ensureInfra((msg) => log(msg));
  checkStop();
  const databaseUrl = await ensureMigratedDatabase(infra.pgAdminUrl, DATABASE_NAME);
  log(`database ${DATABASE_NAME} migrated`);
  checkStop();
  emulator = await startTeamsEmulator({
    onCard: ({ body }) => {
      const card = (body ?? {}) as { title?: unknown; summary?: unknown; text?: unknown };
      printLine(new Date(), 'warn', 'teams', `card received: ${short(card.title ?? card.summary ?? card.text ?? '(untitled)')}`);
    },
  });
  checkStop();

  const commonEnv: Record<string, string> = {
    REDIS_URL: infra.redisUrl,
    DATABASE_URL: databaseUrl,
    FLEET_PREFIX,
    TEAMS_WEBHOOK_URL: emulator.url,
    LOG_LEVEL: 'info',
    HEALTH_HOST: '127.0.0.1',
    SHUTDOWN_TIMEOUT_MS: String(APP_SHUTDOWN_TIMEOUT_MS),
    // not read by the sample worker; the Kafka apps of later issues do
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  };
  for (const name of names) {
    const context: DemoContext = {
      redisUrl: infra.redisUrl,
      databaseUrl,
      kafkaBrokers: infra.kafkaBrokers,
      fleetPrefix: FLEET_PREFIX,
      log: (msg) => printLine(new Date(), 'info', name, msg),
    };
    const extra = (await appExtras[name]?.()) ?? (await startDemoPart(name, context)) ?? { env: {}, links: [] };
    checkStop();
    const healthPort = extra.healthPort ?? (await freePort());
    log(`starting ${name} (/healthz on port ${healthPort})`);
    startApp(name, healthPort, { ...commonEnv, HEALTH_PORT: String(healthPort), ...extra.env }, extra.links);
  }
  await Promise.race([Promise.all(apps.map(waitUntilHealthy)), stopRequested]);
  checkStop();

  printBanner(infra, databaseUrl, emulator.url);
  feeder = await startFeeder(infra.redisUrl);
  if (forSeconds !== undefined) {
    log(`running for ${forSeconds} s (--for)`);
    setTimeout(() => requestStop(0, `--for ${forSeconds} s elapsed`), forSeconds * 1000);
  }
  await stopRequested;
}

function printBanner(infra: Infra, databaseUrl: string, teamsUrl: string): void {
  const rows: Array<[string, string]> = [];
  for (const app of apps) {
    rows.push([app.name, `http://127.0.0.1:${app.healthPort}/healthz`]);
    rows.push(['', `http://127.0.0.1:${app.healthPort}/metrics`]);
    for (const link of app.links) rows.push(link);
  }
  rows.push(['teams webhook', `${teamsUrl}  (emulator: cards are printed as "teams")`]);
  rows.push(['redis', `${withoutPassword(infra.redisUrl)}  (BullMQ prefix {${FLEET_PREFIX}})`]);
  rows.push(['postgres', withoutPassword(databaseUrl)]);
  rows.push(['kafka', infra.kafkaBrokers.join(',')]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const rule = styleText('gray', '─'.repeat(72));
  const lines = [
    '',
    rule,
    styleText('bold', ' syncfleet demo: the fleet is running'),
    ...rows.map(([label, value]) => ` ${styleText('cyan', label.padEnd(width))}  ${value}`),
    ` ${styleText('gray', 'Ctrl-C stops everything the demo started.')}`,
    rule,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Reverse order of start: feeder, apps, emulator, then the servers this demo started. */
async function shutdown(): Promise<void> {
  stopping = true;
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      shout(`stopping ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  };
  if (feeder) await step('the feeder', () => feeder!.stop());
  await step('the apps', stopApps);
  for (const { name, part } of demoParts.reverse()) await step(`the ${name} demo data`, () => part.stop());
  if (emulator) await step('the Teams emulator', () => emulator!.close());
  if (infra) {
    log('stopping the servers the demo started (reused ones keep running)');
    await step('the servers', () => infra!.stopWhatWeStarted());
  }
}

let exitCode = 0;
try {
  await run();
} catch (error) {
  if (!(error instanceof StopRequested)) {
    shout(error instanceof Error ? (error.stack ?? error.message) : String(error));
    exitCode = 1;
  }
}
if (stopRequest) {
  exitCode = Math.max(exitCode, stopRequest.code);
  log(`stopping: ${stopRequest.why}`);
}
await shutdown();
exitCode = Math.max(exitCode, typeof process.exitCode === 'number' ? process.exitCode : 0);
log(exitCode === 0 ? 'stopped cleanly' : `stopped with exit code ${exitCode}`);
process.exit(exitCode);
