import { randomUUID } from 'node:crypto';
import { UnrecoverableError, WaitingChildrenError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createPool } from '@syncfleet/db';
import {
  initialJobOf,
  jobsOfQueue,
  type AnyCatalogue,
  type JobDefinition,
  type JobNamesOfQueue,
  type PayloadOf,
} from '@syncfleet/jobs';
import { createLogger, secretsFromEnv, withRunContext, type Logger } from '@syncfleet/log';
import { createJobMetrics, createRegistry, type Registry } from '@syncfleet/metrics';
import { createNoopNotifier, createTeamsNotifier, runFailedCard, runRecoveredCard, type Notifier } from '@syncfleet/notify';
import { CleanupStack } from './cleanup-stack.ts';
import { createFleetQueue } from './enqueue.ts';
import type { WorkerConfig } from './env.ts';
import { createAlertState, type AlertState } from './alerts.ts';
import { startHealthServer } from './health-server.ts';
import { bullPrefix, fleetKeys } from './keys.ts';
import { appendToOutbox, createLedgerFlusher, type LedgerFlusher, type RunRecord, type RunStatus } from './ledger.ts';

export interface RunContext {
  runId: string;
  jobId: string;
  jobName: string;
  /** 1 for the first attempt; a retry or a take-over after a stall counts up. */
  attempt: number;
  log: Logger;
  /** Aborted when the app is stopping and the run has used up the shutdown timeout. */
  signal: AbortSignal;
  /** The payload asked for a dry run and the job supports it: compute and report, write nothing. */
  dryRun: boolean;
  /** When the job came due (its schedule tick or when it was enqueued). */
  dueAt: Date;
  job: Job;
  /**
   * For a job that added child jobs (BullMQ's `parent` option, e.g. one job per page of work):
   * resolves at once when none of them is pending. Otherwise it parks the job until every child
   * has finished and throws (let the error propagate): the handler is then called again for the
   * same job, as the same run (same runId; the ledger shows the run as running meanwhile), with
   * `resumed` true, and decides from its children's results how the run ends.
   */
  waitForChildren(): Promise<void>;
  /** This call continues a run that waited for its child jobs (see `waitForChildren`). */
  resumed: boolean;
}

export interface RunOutcome {
  /** Whatever the run counted (records read, written, unchanged...): the ledger and metrics keep it. */
  counts?: Record<string, number>;
  /** The time window the run covered, if it works on one. */
  window?: { start: Date; end: Date };
  /** The run found nothing to do: a skipped run with this reason (not a failure). */
  skipped?: string;
  /** Returned to whoever waits on the job (e.g. `fleet enqueue --wait`). */
  result?: unknown;
  /** The run wrote nothing because the app's config forces dry runs (the payload did not ask): the ledger says so. */
  dryRun?: boolean;
}

export type JobHandler<P> = (payload: P, ctx: RunContext) => Promise<RunOutcome | void>;

/** One handler per job of the queue: a missing one does not compile. */
export type HandlerMap<C extends AnyCatalogue, Q extends string> = {
  [N in JobNamesOfQueue<C, Q>]: JobHandler<PayloadOf<C, N>>;
};

export interface RunSummary {
  runId: string;
  status: RunStatus;
  reason?: string;
  counts?: Record<string, number>;
  result?: unknown;
}

export interface WorkerAppOptions<C extends AnyCatalogue, Q extends keyof C['queues'] & string> {
  appName: string;
  catalogue: C;
  /**
   * The queue the app consumes, or several: one BullMQ worker per queue, sharing the app's
   * connections, run ledger, metrics and health server. The handler map covers every job of them.
   */
  queue: Q | readonly Q[];
  handlers: HandlerMap<C, Q>;
  /** Jobs each process runs at once, per fan-out queue, instead of the catalogue's (singleton queues stay at 1). */
  concurrency?: Partial<Record<Q, number>>;
  config: WorkerConfig;
  logger?: Logger;
  registry?: Registry;
  notifier?: Notifier;
}

export interface WorkerApp {
  start(): Promise<void>;
  /** Takes no new job, lets the active run finish (up to SHUTDOWN_TIMEOUT_MS), closes everything. */
  stop(): Promise<void>;
  readonly log: Logger;
  readonly registry: Registry;
  /** The port /healthz and /metrics listen on, once started. */
  readonly healthPort: number | undefined;
  /** Moves every run record still in the outbox to Postgres now. */
  flushLedger(): Promise<number>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Refuses to boot when a job of the queue has no handler, or a handler has no job. */
export function assertHandlersMatchQueue(catalogue: AnyCatalogue, queue: string, handlers: Record<string, unknown>): JobDefinition[] {
  return assertHandlersMatchQueues(catalogue, [queue], handlers);
}

/** The same check for an app that consumes several queues: the handler map covers the jobs of all of them. */
export function assertHandlersMatchQueues(catalogue: AnyCatalogue, queues: readonly string[], handlers: Record<string, unknown>): JobDefinition[] {
  const unknown = queues.filter((queue) => !Object.hasOwn(catalogue.queues, queue));
  if (unknown.length > 0) throw new Error(`unknown queue${unknown.length > 1 ? 's' : ''} ${unknown.map((q) => `"${q}"`).join(', ')}`);
  if (queues.length === 0) throw new Error('a worker app needs at least one queue');
  const jobs = queues.flatMap((queue) => jobsOfQueue(catalogue, queue));
  const missing = jobs.filter((job) => typeof handlers[job.name] !== 'function');
  const extra = Object.keys(handlers).filter((name) => !jobs.some((job) => job.name === name));
  const named = queues.join(', ');
  const problems = [
    ...missing.map((job) => `job ${job.name} of queue ${job.queue} has no handler`),
    ...extra.map((name) => `handler ${name} matches no job of queue ${named}`),
    ...queues.filter((queue) => !jobs.some((job) => job.queue === queue)).map((queue) => `queue ${queue} has no jobs`),
  ];
  if (new Set(queues).size !== queues.length) problems.push(`a queue is listed twice: ${named}`);
  if (problems.length > 0) throw new Error(`cannot start the worker of queue ${named}:\n  - ${problems.join('\n  - ')}`);
  return jobs;
}

/** How long a run works before the ledger shows it as 'running'. */
const runningRecordAfterMs = 250;

/** What a run that waits for its child jobs leaves behind, so that its next call continues it. */
interface ContinuedRun {
  runId: string;
  startedAt: number;
  attempt: number;
  /** BullMQ's attemptsStarted when the run started waiting: a larger one later means a stall in between. */
  attemptsStarted: number;
}


/**
 * When a job came due. A job scheduler's job carries it in its id (`repeat:<scheduler id>:<millis>`);
 * otherwise it is the job's creation plus its delay, read from its options: BullMQ sets the job's
 * own `delay` to 0 when it promotes a delayed job, which would make a tick look due when the
 * previous one created it.
 */
export function dueAtOf(job: Pick<Job, 'id' | 'repeatJobKey' | 'timestamp' | 'delay' | 'opts'>): number {
  if (job.repeatJobKey && job.id?.startsWith('repeat:')) {
    const millis = Number(job.id.slice(job.id.lastIndexOf(':') + 1));
    if (Number.isSafeInteger(millis) && millis > 0) return millis;
  }
  return job.timestamp + (job.opts.delay ?? job.delay ?? 0);
}
/** How long the note of a waiting run is kept (a run that waits longer starts a new ledger row). */
const continuedRunTtlSeconds = 30 * 24 * 3600;

function isWaitingChildrenError(error: unknown): boolean {
  return error instanceof WaitingChildrenError || (error instanceof Error && error.name === 'WaitingChildrenError');
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export function createWorkerApp<C extends AnyCatalogue, Q extends keyof C['queues'] & string>(
  options: WorkerAppOptions<C, Q>,
): WorkerApp {
  const { catalogue, config, appName } = options;
  const queues: string[] = typeof options.queue === 'string' ? [options.queue] : [...(options.queue as readonly string[])];
  const handlers = options.handlers as unknown as Record<string, JobHandler<unknown>>;
  const jobs = new Map(assertHandlersMatchQueues(catalogue, queues, handlers).map((job) => [job.name, job]));
  const concurrencyOverrides = (options.concurrency ?? {}) as Partial<Record<string, number>>;
  for (const [name, value] of Object.entries(concurrencyOverrides)) {
    if (!queues.includes(name)) throw new Error(`concurrency given for queue ${name}, which this app does not consume`);
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new Error(`concurrency of queue ${name} must be a positive integer`);
  }
  const concurrencyOf = (queue: string): number => {
    const spec = catalogue.queues[queue]!;
    return spec.singleton ? 1 : (concurrencyOverrides[queue] ?? spec.concurrency);
  };
  /** How the health check and the logs name what the app consumes. */
  const queueLabel = queues.join(',');
  const secrets = secretsFromEnv(process.env);
  if (config.TEAMS_WEBHOOK_URL) secrets.push(config.TEAMS_WEBHOOK_URL);
  const log = options.logger ?? createLogger({ name: appName, level: config.LOG_LEVEL, secrets });
  const scrub = (text: string): string => secrets.reduce((t, s) => (s.length >= 6 ? t.replaceAll(s, '[REDACTED]') : t), text);
  const registry = options.registry ?? createRegistry(appName);
  const metrics = createJobMetrics(registry);
  const notifier =
    options.notifier ??
    (config.TEAMS_WEBHOOK_URL ? createTeamsNotifier({ webhookUrl: config.TEAMS_WEBHOOK_URL, log }) : createNoopNotifier(log));
  const keys = fleetKeys(config.FLEET_PREFIX);
  const workerId = config.WORKER_ID;
  const stack = new CleanupStack();
  const shutdown = new AbortController();
  const notifications = new Set<Promise<unknown>>();
  const workers: Worker[] = [];
  let flusher: LedgerFlusher | undefined;
  let healthPort: number | undefined;
  let state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';

  const initialSucceeded = async (sync: string, commands: Redis, pool: ReturnType<typeof createPool>): Promise<boolean> => {
    if ((await commands.exists(keys.initialSucceeded(sync))) === 1) return true;
    // Redis may have been emptied: the ledger remembers.
    const found = await pool.query(
      `SELECT 1 FROM run_ledger WHERE fleet = $1 AND sync = $2 AND kind = 'initial' AND status = 'succeeded' AND NOT dry_run LIMIT 1`,
      [config.FLEET_PREFIX, sync],
    );
    if (found.rowCount === 0) return false;
    await commands.set(keys.initialSucceeded(sync), String(Date.now()));
    return true;
  };

  /** Failure alerts (one card per failing spell, see alerts.ts): only when cards go somewhere. */
  const alerting = options.notifier !== undefined || config.TEAMS_WEBHOOK_URL !== undefined;
  let alerts: AlertState | undefined;
  const failureAlert = (jobName: string): string => `job-failing:${jobName}`;
  /** Notifications run beside the jobs; stop() waits for the ones in flight. */
  const track = (sending: Promise<unknown>): void => {
    const sent = sending.catch((error: unknown) => log.warn({ err: error }, 'notification not sent'));
    notifications.add(sent);
    void sent.finally(() => notifications.delete(sent));
  };

  /** A run failed for good: a card, unless one went out for this job's failing spell less than TEAMS_ALERT_REPEAT_MS ago. */
  const notify = (record: RunRecord, attempts: number): void => {
    const failedAt = record.finishedAt ?? Date.now();
    track(
      (async () => {
        let alert: Awaited<ReturnType<AlertState['raise']>> | undefined;
        try {
          alert = await alerts?.raise(failureAlert(record.jobName), failedAt);
        } catch (error) {
          log.warn({ err: error, job: record.jobName }, 'failure alert state not readable: the card is sent anyway');
        }
        if (alert && !alert.notify) {
          log.info({ job: record.jobName, failedRuns: alert.count, failingSince: new Date(alert.sinceMs) }, 'failure card not sent: this job is already reported as failing (TEAMS_ALERT_REPEAT_MS)');
          return;
        }
        const delivered = await notifier.send(
          runFailedCard({
            jobName: record.jobName,
            queue: record.queue,
            sync: record.sync,
            runId: record.runId,
            jobId: record.jobId,
            attempts,
            error: record.error ?? 'unknown error',
            finishedAt: new Date(failedAt),
            failing: alert ? { runs: alert.count, since: new Date(alert.sinceMs) } : undefined,
          }),
        );
        // Teams did not take it: the next failed run of the job tries again
        if (alert && !delivered) await alerts?.undelivered(failureAlert(record.jobName), failedAt);
      })(),
    );
  };

  /** A run succeeded: if its job was reported as failing, a recovery card. */
  const notifyRecovery = (record: RunRecord): void => {
    const current = alerts;
    if (!current) return;
    track(
      current.clear(failureAlert(record.jobName)).then((closed) => {
        if (!closed) return;
        return notifier.send(
          runRecoveredCard({
            jobName: record.jobName,
            queue: record.queue,
            sync: record.sync,
            runId: record.runId,
            failedRuns: closed.count,
            failingSince: new Date(closed.sinceMs),
            finishedAt: new Date(record.finishedAt ?? Date.now()),
          }),
        );
      }),
    );
  };

  /**
   * `commands` serves the guards' reads. `workerConnection` is the connection BullMQ itself uses to
   * complete jobs: a run's record is queued on it, unawaited, before the processor returns, so
   * Redis stores the record before it marks the job done (one connection keeps order) and the run
   * pays no extra round trip.
   */
  // Label lookups cost more than the update itself on a quick run: one child per job and outcome.
  const outcomeMetricsCache = new Map<string, { runs: { inc(): void }; duration: { observe(value: number): void } }>();
  const outcomeMetrics = (record: RunRecord) => {
    const cacheKey = `${record.jobName}\u0000${record.status}`;
    let cached = outcomeMetricsCache.get(cacheKey);
    if (!cached) {
      cached = {
        runs: metrics.runs.labels({ job: record.jobName, sync: record.sync, status: record.status }),
        duration: metrics.duration.labels({ job: record.jobName, status: record.status }),
      };
      outcomeMetricsCache.set(cacheKey, cached);
    }
    return cached;
  };

  const createProcessor = (queue: string, commands: Redis, workerConnection: Redis, pool: ReturnType<typeof createPool>) => {
    const queueSpec = catalogue.queues[queue]!;
    const tracksLastFinished = queueSpec.singleton && jobsOfQueue(catalogue, queue).some((job) => job.overlap === 'skip');
    return async (job: Job): Promise<RunSummary> => {
      const jobId = job.id ?? 'unknown';
      const continuedRunKey = keys.continuedRun(queue, jobId);
      // A job that comes back after waiting for its children continues its run (only such a job, or
      // one taken over after a stall, has started more attempts than it finished: one read then).
      let continued: ContinuedRun | undefined;
      if (job.attemptsStarted > job.attemptsMade + 1) {
        const note = await commands.get(continuedRunKey);
        if (note) continued = JSON.parse(note) as ContinuedRun;
      }
      let continuedRunNoted = continued !== undefined;
      const startedAt = continued?.startedAt ?? Date.now();
      const runId = continued?.runId ?? randomUUID();
      const def = jobs.get(job.name);
      const attempt = continued?.attempt ?? Math.max(job.attemptsStarted, job.attemptsMade + 1);
      const dueAt = dueAtOf(job);
      const runLog = withRunContext(log, { jobId, jobName: job.name, runId, queue });
      const base: RunRecord = {
        runId,
        fleet: config.FLEET_PREFIX,
        jobName: job.name,
        sync: def?.sync ?? queueSpec.sync,
        kind: def?.kind ?? 'manual',
        queue,
        jobId,
        attempt,
        status: 'running',
        final: false,
        dueAt,
        startedAt,
        finishedAt: null,
        counts: {},
        windowStart: null,
        windowEnd: null,
        reason: null,
        error: null,
        workerId,
        dryRun: false,
        afterStall: continued ? job.attemptsStarted > continued.attemptsStarted + 1 : job.attemptsStarted > job.attemptsMade + 1,
      };

      /**
       * Ends the run: its record, and the keys it sets, are sent ahead of the job's completion on
       * the connection BullMQ completes it with, unawaited: Redis stores them first, and the run
       * pays no round trip of its own.
       */
      const finish = (patch: Partial<RunRecord>, setKeys: Array<[key: string, value: string]> = []): RunRecord => {
        const record: RunRecord = { ...base, ...patch, finishedAt: Date.now() };
        const onError = (error: unknown): void => {
          metrics.outboxErrors.inc();
          runLog.error({ err: error, record }, 'run record not stored in the outbox');
        };
        // One socket write for the record, the keys and BullMQ's completion that follows in the
        // same turn of the event loop (system calls dominate the cost of a quick run).
        const socket = workerConnection.status === 'ready' ? workerConnection.stream : undefined;
        socket?.cork();
        appendToOutbox(workerConnection, keys.ledgerOutbox, record).catch(onError);
        for (const [key, value] of setKeys) workerConnection.set(key, value).catch(onError);
        if (continuedRunNoted) workerConnection.del(continuedRunKey).catch(onError);
        if (socket) setImmediate(() => socket.uncork());
        const seconds = (record.finishedAt! - startedAt) / 1000;
        const outcome = outcomeMetrics(record);
        outcome.runs.inc();
        outcome.duration.observe(seconds);
        for (const [name, value] of Object.entries(record.counts)) {
          if (value > 0) metrics.records.inc({ job: record.jobName, count: name }, value);
        }
        if (record.status === 'succeeded') {
          metrics.lastSuccess.set({ job: record.jobName, sync: record.sync }, record.finishedAt! / 1000);
          notifyRecovery(record);
        }
        const fields = { status: record.status, durationMs: record.finishedAt! - startedAt, attempt, counts: record.counts };
        if (record.status === 'failed') runLog.error({ ...fields, final: record.final, error: record.error }, 'run failed');
        else if (record.status === 'refused' || record.status === 'skipped') runLog.info({ ...fields, reason: record.reason }, `run ${record.status}`);
        else runLog.info(fields, 'run finished');
        return record;
      };
      /** What the overlap policy needs to know when the run ended (singleton queues with a `skip` job). */
      const finishedKeys = (): Array<[string, string]> => (tracksLastFinished ? [[keys.lastFinished(queue), String(Date.now())]] : []);
      const fail = (error: unknown, final: boolean, rethrow: unknown): never => {
        const record = finish({ status: 'failed', final, error: scrub(errorText(error)) }, finishedKeys());
        if (final) notify(record, attempt);
        throw rethrow;
      };

      if (!def) {
        return fail(new Error(`no job named ${job.name} in queue ${queue}`), true, new UnrecoverableError(`unknown job ${job.name}`));
      }
      const parsed = def.payload.safeParse(job.data);
      if (!parsed.success) {
        const message = `invalid payload: ${z.prettifyError(parsed.error)}`;
        return fail(new Error(message), true, new UnrecoverableError(message));
      }
      const payload: unknown = parsed.data;
      const dryRun = def.dryRun && typeof payload === 'object' && payload !== null && (payload as { dryRun?: unknown }).dryRun === true;
      base.dryRun = dryRun;

      // A continued run passed the guards when it started.
      if (!continued && def.kind === 'healing' && config.HEAL_MUST_WAIT_FOR_INITIAL_SYNC) {
        const initial = initialJobOf(catalogue, def.sync);
        if (initial && !(await initialSucceeded(def.sync, commands, pool))) {
          const reason = `refused: ${def.name} waits until ${initial.name} has succeeded once (HEAL_MUST_WAIT_FOR_INITIAL_SYNC=true)`;
          finish({ status: 'refused', reason });
          return { runId, status: 'refused', reason };
        }
      }
      // only a tick's first attempt: its retries come after its own failed attempt, which is no other run
      if (!continued && attempt === 1 && def.overlap === 'skip' && job.repeatJobKey && queueSpec.singleton) {
        const lastFinished = Number(await commands.get(keys.lastFinished(queue)));
        if (lastFinished > dueAt) {
          const reason = `skipped: this tick came due at ${new Date(dueAt).toISOString()} while another run of ${def.sync} was active (overlap policy skip)`;
          finish({ status: 'skipped', reason });
          return { runId, status: 'skipped', reason };
        }
      }

      // A trigger deduplicated "while waiting" (API, CLI) stops deduplicating once its run starts.
      if (job.deduplicationId) {
        job.removeDeduplicationKey().catch((error: unknown) => runLog.warn({ err: error }, 'deduplication id not released'));
      }
      // A run that lasts shows up in the ledger as 'running'; a quick one only writes its final record.
      const announce = setTimeout(() => {
        commands.xadd(keys.ledgerOutbox, '*', 'r', JSON.stringify(base)).catch((error: unknown) => runLog.warn({ err: error }, 'run start not recorded'));
      }, runningRecordAfterMs);
      runLog.debug({ attempt, dryRun, resumed: continued !== undefined }, continued ? 'run resumed' : 'run started');
      metrics.active.inc({ queue });
      let waitingForChildren = false;
      const waitForChildren = async (): Promise<void> => {
        const token = job.token;
        if (token === undefined) throw new Error('waitForChildren: the job holds no lock token');
        // Noted before the job waits: its children may all finish at once and another worker resume it.
        const note: ContinuedRun = { runId, startedAt, attempt, attemptsStarted: job.attemptsStarted };
        await commands.set(continuedRunKey, JSON.stringify(note), 'EX', continuedRunTtlSeconds);
        continuedRunNoted = true;
        if (!(await job.moveToWaitingChildren(token))) return;
        waitingForChildren = true;
        throw new WaitingChildrenError();
      };
      try {
        const outcome = (await handlers[def.name]!(payload, {
          runId,
          jobId,
          jobName: def.name,
          attempt,
          log: runLog,
          signal: shutdown.signal,
          dryRun,
          dueAt: new Date(dueAt),
          job,
          waitForChildren,
          resumed: continued !== undefined,
        })) ?? {};
        const status: RunStatus = outcome.skipped ? 'skipped' : 'succeeded';
        const ranDry = dryRun || outcome.dryRun === true;
        finish(
          {
            status,
            dryRun: ranDry,
            reason: outcome.skipped ?? null,
            counts: outcome.counts ?? {},
            windowStart: outcome.window?.start.getTime() ?? null,
            windowEnd: outcome.window?.end.getTime() ?? null,
          },
          status === 'succeeded' && def.kind === 'initial' && !ranDry
            ? [...finishedKeys(), [keys.initialSucceeded(def.sync), String(Date.now())]]
            : finishedKeys(),
        );
        return {
          runId,
          status,
          ...(outcome.skipped ? { reason: outcome.skipped } : {}),
          ...(outcome.counts ? { counts: outcome.counts } : {}),
          ...(outcome.result !== undefined ? { result: outcome.result } : {}),
        };
      } catch (error) {
        if (waitingForChildren && isWaitingChildrenError(error)) {
          // Not an outcome: the run goes on once the children are done (the ledger shows it running).
          appendToOutbox(workerConnection, keys.ledgerOutbox, base).catch((e: unknown) => runLog.warn({ err: e }, 'waiting run not recorded'));
          runLog.info({ attempt }, 'run waiting for its child jobs');
          throw error;
        }
        const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        return fail(error, final, error);
      } finally {
        clearTimeout(announce);
        metrics.active.dec({ queue });
      }
    };
  };

  const closeWorker = async (w: Worker): Promise<void> => {
    const closing = w.close();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), config.SHUTDOWN_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      log.warn({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'active run did not finish in time: aborting it; its job will be taken over after its lock expires');
      shutdown.abort(new Error('worker shutting down'));
      await w.close(true);
    }
  };

  const app: WorkerApp = {
    log,
    registry,
    get healthPort() {
      return healthPort;
    },
    async start() {
      if (state !== 'idle') throw new Error(`cannot start a worker app that is ${state}`);
      state = 'starting';
      try {
        const commands = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 20, connectionName: `${appName}:commands` });
        commands.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
        if (alerting) alerts = createAlertState(commands, { fleetPrefix: config.FLEET_PREFIX, repeatMs: config.TEAMS_ALERT_REPEAT_MS });
        stack.push('redis', async () => {
          await commands.quit();
        });
        const pool = createPool({
          connectionString: config.DATABASE_URL,
          applicationName: appName,
          max: 3,
          onError: (error) => log.warn({ err: error }, 'postgres pool error'),
        });
        stack.push('postgres', () => pool.end());
        await pool.query('SELECT 1 FROM run_ledger LIMIT 0').catch((error: unknown) => {
          throw new Error(`the run ledger is not reachable (did migrations run?): ${scrub(errorText(error))}`);
        });

        for (const queue of queues) {
          const fleetQueue = createFleetQueue(commands, config.FLEET_PREFIX, queue);
          stack.push(`queue ${queue}`, () => fleetQueue.close());
          if (catalogue.queues[queue]!.singleton) await fleetQueue.setGlobalConcurrency(1);
        }

        const flusherConnection = commands.duplicate({ connectionName: `${appName}:ledger` });
        flusherConnection.on('error', (error) => log.warn({ err: error }, 'redis connection error (ledger)'));
        stack.push('ledger connection', async () => {
          await flusherConnection.quit();
        });
        const ledger = createLedgerFlusher({
          redis: flusherConnection,
          pool,
          outboxKey: keys.ledgerOutbox,
          consumer: workerId,
          onError: (error) => {
            metrics.outboxErrors.inc();
            log.warn({ err: error }, 'run ledger write failed; records stay in the outbox and are retried');
          },
        });
        await ledger.start();
        flusher = ledger;
        stack.push('ledger', async () => {
          await ledger.stop();
          await ledger.drain();
        });

        stack.push('notifications', async () => {
          await Promise.allSettled([...notifications]);
        });

        const health = await startHealthServer({
          host: config.HEALTH_HOST,
          port: config.HEALTH_PORT,
          registry,
          status: () => ({
            ok: state === 'running' && commands.status === 'ready' && workers.length === queues.length && workers.every((w) => w.isRunning()),
            app: appName,
            queue: queueLabel,
            ...(queues.length > 1 ? { queues } : {}),
            workerId,
            state,
            redis: commands.status,
          }),
        });
        healthPort = health.port;
        stack.push('health server', () => health.close());

        for (const queue of queues) {
          const workerConnection = commands.duplicate({ maxRetriesPerRequest: null, connectionName: `${appName}:worker:${queue}` });
          // BullMQ uses this instance itself (not a copy) for its non-blocking commands.
          workerConnection.on('error', (error) => log.warn({ err: error, queue }, 'redis connection error (worker)'));
          stack.push(`worker connection ${queue}`, async () => {
            await workerConnection.quit().catch(() => undefined);
          });
          const w = new Worker(queue, createProcessor(queue, commands, workerConnection, pool), {
            connection: workerConnection,
            prefix: bullPrefix(config.FLEET_PREFIX),
            concurrency: concurrencyOf(queue),
            lockDuration: config.LOCK_DURATION_MS,
            stalledInterval: config.STALLED_INTERVAL_MS,
            maxStalledCount: 1,
            autorun: false,
            name: workerId,
          });
          w.on('error', (error) => log.error({ err: error, queue }, 'worker error'));
          w.on('stalled', (jobId) => log.warn({ jobId, queue }, 'job stalled: its worker stopped answering; it will run again'));
          workers.push(w);
        }
        // One entry for every worker: they stop together, within one SHUTDOWN_TIMEOUT_MS.
        stack.push('workers', async () => {
          await Promise.all(workers.map((w) => closeWorker(w)));
        });
        for (const w of workers) w.run().catch((error: unknown) => log.error({ err: error }, 'worker loop stopped'));
        await Promise.all(workers.map((w) => w.waitUntilReady()));
        state = 'running';
        const consumed = queues.map((queue) => ({ queue, concurrency: concurrencyOf(queue), singleton: catalogue.queues[queue]!.singleton }));
        log.info(
          queues.length === 1 ? { ...consumed[0], workerId, healthPort } : { queue: queueLabel, queues: consumed, workerId, healthPort },
          'worker app started',
        );
      } catch (error) {
        state = 'stopping';
        await stack.release((name, e) => log.warn({ err: e, resource: name }, 'cleanup failed'));
        state = 'stopped';
        throw error;
      }
    },
    async stop() {
      if (state === 'stopped' || state === 'idle') {
        state = 'stopped';
        return;
      }
      state = 'stopping';
      log.info({ queue: queueLabel }, 'stopping: no new jobs; waiting for the active run');
      await stack.release((name, error) => log.warn({ err: error, resource: name }, 'cleanup failed'));
      state = 'stopped';
      log.info({ queue: queueLabel }, 'worker app stopped');
      log.flush?.();
    },
    async flushLedger() {
      return flusher ? flusher.drain() : 0;
    },
    async [Symbol.asyncDispose]() {
      await app.stop();
    },
  };
  return app;
}
