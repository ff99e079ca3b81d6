// The handlers of returns-sync's jobs.
//
// A run (`returns.sync`, `returns.backfill`, `returns.heal`) is one BullMQ job on the singleton run
// queue and one row in the state table:
//   1. claim the row atomically (skip, or wait, while another run is alive; take over a stale one);
//   2. plan the window's pages with keyset pagination and add each as a `returns.syncPage` child
//      job on the processing queue (BullMQ flow: the run is their parent), then wait for them;
//   3. once every page has finished, the run job is processed again: every page succeeded -> the
//      row closes (status 0) and the next window starts from its end; a page failed for good, or
//      is missing -> the row fails (status 3) and the next run starts again from the same start.
// A page re-reads its rows by key range, maps them and saves them to the index; a page of a run
// that is no longer active (taken over) does nothing.
import { UnrecoverableError, type Job, type JobsOptions, type Queue } from 'bullmq';
import { saveRecords, type AlgoliaClient, type RetryOptions } from '@syncfleet/algolia';
import type { SyncState } from '@syncfleet/db';
import { catalogue, type FleetCatalogue, type PayloadOf } from '@syncfleet/jobs';
import { assertValidPayload, jobOptionsFor, type HandlerMap, type RunContext, type RunOutcome, type RunSummary } from '@syncfleet/runtime';
import { toReturnRecord } from './domain/return-record.ts';
import { runStatus, type RunKind } from './domain/window.ts';
import { dumpIndex } from './index-dump.ts';
import type { RefusedRecordStore } from './refused-records.ts';
import type { ReturnsSource } from './returns-source.ts';
import type { RunRow, RunStore } from './run-state.ts';

export type ReturnsHandlers = HandlerMap<FleetCatalogue, 'returns-sync' | 'returns-sync-processing'>;
type PagePayload = PayloadOf<FleetCatalogue, 'returns.syncPage'>;

export interface ReturnsHandlerDeps {
  source: ReturnsSource;
  runs: RunStore;
  /** Where a page records the returns Algolia refused, and forgets the ones it saved. */
  refused: RefusedRecordStore;
  /** Returns of one page Algolia may refuse on their own before the page fails (0: none). */
  maxRefusedPerPage: number;
  client: AlgoliaClient;
  indexName: string;
  /** The processing queue, where a run adds its pages (absent in a process that only pushes pages). */
  pagesQueue?: Queue | undefined;
  /** Where the API's status finds the sync's coverage (sync_state key `watermark`). */
  watermark?: SyncState | undefined;
  pageSize: number;
  /** Retries of a page job (default: the catalogue's). */
  pageAttempts?: number | undefined;
  pageBackoffMs?: number | undefined;
  /** Attempts of one Algolia call on transient errors, inside one page attempt. */
  algoliaAttempts: number;
  dumpDir: string;
  workerId: string;
  /** How often a planning run renews its heartbeat. */
  heartbeatEveryMs?: number;
  /** How long a run waits for pages of an earlier run still saving before it plans its own (default 10 min). */
  otherPagesWaitMs?: number | undefined;
}

/** Pages added to the processing queue per round trip while planning. */
const addBatchSize = 100;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The child jobs of a run carry its claim token in their ids: `<claim token>-<page>`. */
export function pageJobId(claimToken: string, page: number): string {
  return `${claimToken}-${page}`;
}

function ownerOf(ctx: RunContext): string {
  return `${ctx.job.queueName}/${ctx.jobId}`;
}

function windowText(run: { start: Date; end: Date }): string {
  return `[${run.start.toISOString()}, ${run.end.toISOString()})`;
}

export function createReturnsHandlers(deps: ReturnsHandlerDeps): ReturnsHandlers {
  const { source, runs, client, indexName, pageSize, workerId } = deps;
  const heartbeatEveryMs = deps.heartbeatEveryMs ?? 5000;
  const pageDef = catalogue.jobs['returns.syncPage'];
  const pageOptions: JobsOptions = {
    ...jobOptionsFor(pageDef),
    attempts: deps.pageAttempts ?? pageDef.attempts,
    backoff: { type: pageDef.backoff.type, delay: deps.pageBackoffMs ?? pageDef.backoff.delay },
    // a page that fails for good wakes its run at once, which then fails (the other pages do nothing)
    continueParentOnFailure: true,
  };
  const algoliaRetry = (signal: AbortSignal): RetryOptions => ({ attempts: deps.algoliaAttempts, signal });

  /** Adds the window's pages as children of the run's job; returns how many. */
  const enqueuePages = async (run: RunRow, ctx: RunContext): Promise<{ pages: number; rows: number }> => {
    const queue = deps.pagesQueue;
    if (!queue) throw new Error('this process does not consume the run queue (RETURNS_WORKER_QUEUES)');
    const parent = { id: ctx.job.id!, queue: ctx.job.queueQualifiedName };
    let pending: Array<{ name: string; data: PagePayload; opts: JobsOptions }> = [];
    let pages = 0;
    let rows = 0;
    let lastBeat = Date.now();
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      await queue.addBulk(pending);
      pending = [];
    };
    const windowStart = run.start.toISOString();
    const windowEnd = run.end.toISOString();
    for await (const page of source.planPages(run, pageSize, ctx.signal)) {
      const data: PagePayload = {
        runId: run.id,
        claimToken: run.claimToken,
        page: page.page,
        after: page.after,
        last: page.last,
        windowStart,
        windowEnd,
      };
      assertValidPayload(pageDef, data);
      pending.push({ name: pageDef.name, data, opts: { ...pageOptions, jobId: pageJobId(run.claimToken, page.page), parent } });
      pages += 1;
      rows += page.rows;
      if (pending.length >= addBatchSize) await flush();
      if (Date.now() - lastBeat >= heartbeatEveryMs) {
        lastBeat = Date.now();
        if (!(await runs.touch(run.id, run.claimToken))) throw new UnrecoverableError(`run ${run.id} was taken over while its pages were being planned`);
      }
    }
    await flush();
    return { pages, rows };
  };

  /**
   * Waits until no page of another run is active. A run taken over (or failed while some of its
   * pages still ran) can have a page between its read and its save: saved after this run's pages,
   * its older rows would overwrite newer ones in the index. Its waiting pages need no wait: they find
   * their run inactive and do nothing. Gives up after `limitMs` (a page hung longer than that is
   * reclaimed by BullMQ's stall detection, and skips).
   */
  const waitForOtherRunsPages = async (run: RunRow, ctx: RunContext, limitMs: number): Promise<number> => {
    const queue = deps.pagesQueue;
    if (!queue) return 0;
    const started = Date.now();
    let lastBeat = started;
    let logged = false;
    for (;;) {
      const others = (await queue.getActive()).filter((job) => job.name === pageDef.name && (job.data as PagePayload).claimToken !== run.claimToken);
      if (others.length === 0) return logged ? Date.now() - started : 0;
      if (!logged) {
        ctx.log.info({ stateRunId: run.id, pages: others.map((job) => job.id) }, "waiting for the pages of an earlier run that are still saving, so that their older rows cannot overwrite this run's");
        logged = true;
      }
      if (Date.now() - started >= limitMs) {
        ctx.log.warn({ stateRunId: run.id, pages: others.map((job) => job.id) }, 'pages of an earlier run are still active: planning anyway');
        return Date.now() - started;
      }
      if (Date.now() - lastBeat >= heartbeatEveryMs) {
        lastBeat = Date.now();
        if (!(await runs.touch(run.id, run.claimToken))) throw new UnrecoverableError(`run ${run.id} was taken over while it waited for an earlier run's pages`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      ctx.signal.throwIfAborted();
    }
  };

  /** Failures of this run's pages (a page of an earlier claim of the same job does not count). */
  const failedPages = async (job: Job, run: RunRow): Promise<Array<[string, string]>> => {
    const failures = (await job.getIgnoredChildrenFailures()) ?? {};
    return Object.entries(failures).filter(([key]) => key.includes(`:${run.claimToken}-`));
  };

  const failRun = async (run: RunRow, ctx: RunContext, reason: string): Promise<never> => {
    await runs.fail(run, reason);
    // the pages still queued would only find their run failed: drop them
    await ctx.job.removeUnprocessedChildren().catch((error: unknown) => ctx.log.warn({ err: error }, 'unprocessed pages not removed'));
    const message = `run ${run.id} ${windowText(run)} failed: ${reason}; the next run starts again from ${run.start.toISOString()}`;
    // A backfill is retried with its backoff (healing waits for it to succeed once); a periodic run
    // or a heal is not: the next tick starts again from the same window start.
    if (run.kind === 'initial') throw new Error(message);
    throw new UnrecoverableError(message);
  };

  /** Called once the pages are enqueued, and again when they have all finished (or one failed). */
  const finishRun = async (run: RunRow, ctx: RunContext): Promise<RunOutcome> => {
    let failures = await failedPages(ctx.job, run);
    if (failures.length === 0) {
      await ctx.waitForChildren(); // throws while pages are pending: the job comes back when they are done
      failures = await failedPages(ctx.job, run);
    }
    if (failures.length > 0) {
      const [key, reason] = failures[0]!;
      const page = key.slice(key.lastIndexOf('-') + 1);
      return failRun(run, ctx, `${failures.length} page(s) failed for good (page ${page}: ${reason})`);
    }
    const values = ((await ctx.job.getChildrenValues()) ?? {}) as Record<string, RunSummary>;
    let succeeded = 0;
    let idle = 0;
    let rows = 0;
    let refused = 0;
    for (const [key, value] of Object.entries(values)) {
      if (!key.includes(`:${run.claimToken}-`)) continue;
      if (value?.status === 'succeeded') {
        succeeded += 1;
        rows += value.counts?.rows ?? 0;
        refused += value.counts?.refused ?? 0;
      } else idle += 1;
    }
    const planned = run.pages ?? 0;
    if (succeeded !== planned) {
      return failRun(run, ctx, `${succeeded} of ${planned} page(s) succeeded (${idle} did nothing, ${planned - succeeded - idle} missing)`);
    }
    const closed = await runs.close(run, rows);
    if (!closed) throw new UnrecoverableError(`run ${run.id} ${windowText(run)} was taken over before it could close: it counts for nothing`);
    if (closed.advancesWatermark && deps.watermark) {
      await deps.watermark
        .set('watermark', { coveredUntil: closed.end.toISOString(), runId: closed.id, jobType: closed.jobType })
        .catch((error: unknown) => ctx.log.warn({ err: error }, 'watermark not stored in sync_state (the state table has it)'));
    }
    ctx.log.info({ stateRunId: closed.id, pages: planned, rows, refused, window: windowText(closed) }, 'run closed');
    if (refused > 0) ctx.log.warn({ stateRunId: closed.id, refused }, 'Algolia refused returns of this run: they are listed in order_return_algolia_refused (fleet returns refused)');
    return {
      counts: { pages: planned, rows, refused },
      window: { start: closed.start, end: closed.end },
      result: { stateRunId: closed.id, start: closed.start.toISOString(), end: closed.end.toISOString(), pages: planned, rows, refused },
    };
  };

  const handleRun = async (kind: RunKind, request: { since?: string | undefined; hours?: number | undefined }, ctx: RunContext): Promise<RunOutcome> => {
    const since = request.since === undefined ? undefined : new Date(request.since);
    if (ctx.dryRun) {
      const window = await runs.previewWindow({ kind, since, healHours: request.hours });
      const rows = await source.countWindow(window);
      return {
        counts: { rows },
        window,
        result: { dryRun: true, start: window.start.toISOString(), end: window.end.toISOString(), rows, pages: Math.ceil(rows / pageSize) },
      };
    }
    const ownerJob = ownerOf(ctx);
    const own = await runs.ownedBy(ownerJob);
    // this job planned its pages already: it came back after them (or after dying before it waited)
    if (own?.status === runStatus.processing) return finishRun(own, ctx);
    if (ctx.resumed) {
      throw new UnrecoverableError(`run ${own?.id ?? '?'} of this job ended while its pages ran (${own?.error ?? 'no longer active'}): it counts for nothing`);
    }

    const claim = await runs.claim({ kind, ownerJob, workerId, dueAt: kind === 'periodic' ? ctx.dueAt : undefined, since, healHours: request.hours });
    if (!claim.claimed) {
      if (kind === 'periodic') return { skipped: `skipped: ${claim.reason}` };
      // a backfill or a heal is work asked for: it waits for the active run (BullMQ backoff)
      throw new Error(`${claim.reason}; ${ctx.jobName} retries later`);
    }
    const run = claim.run;
    if (claim.tookOver) ctx.log.warn({ takenOver: claim.tookOver.id, reason: claim.tookOver.reason }, 'took over a stale run');
    ctx.log.info({ stateRunId: run.id, kind, window: windowText(run), advancesWatermark: run.advancesWatermark }, 'run claimed');
    let planned: { pages: number; rows: number };
    try {
      const waitedMs = await waitForOtherRunsPages(run, ctx, deps.otherPagesWaitMs ?? 10 * 60_000);
      if (waitedMs > 0) ctx.log.info({ stateRunId: run.id, waitedMs }, "the earlier run's pages have finished");
      planned = await enqueuePages(run, ctx);
      if (!(await runs.markPlanned(run, planned.pages))) throw new UnrecoverableError(`run ${run.id} was taken over while its pages were being planned`);
    } catch (error) {
      await runs.fail(run, `planning failed: ${errorText(error)}`).catch((e: unknown) => ctx.log.warn({ err: e }, 'run not marked failed'));
      throw error;
    }
    ctx.log.info({ stateRunId: run.id, pages: planned.pages, rows: planned.rows }, 'pages enqueued');
    return finishRun({ ...run, status: runStatus.processing, pages: planned.pages }, ctx);
  };

  return {
    'returns.sync': (payload, ctx) => handleRun('periodic', {}, ctx),
    'returns.backfill': (payload, ctx) => handleRun('initial', { since: payload.since }, ctx),
    'returns.heal': (payload, ctx) => handleRun('healing', { hours: payload.hours }, ctx),

    'returns.syncPage': async (payload, ctx) => {
      if (!(await runs.touch(payload.runId, payload.claimToken))) {
        return { skipped: `skipped: run ${payload.runId} is no longer active (taken over or ended): page ${payload.page} does nothing` };
      }
      // the rows are garbage once mapped: only the records stay alive while Algolia answers
      const records = (await source.readPage(payload)).map(toReturnRecord);
      const count = records.length;
      if (count === 0) return { counts: { rows: 0, records: 0, refused: 0 }, result: { page: payload.page, rows: 0 } };
      // objectIDs are unique within a page: batches may go in parallel
      const { refused } = await saveRecords(client, indexName, records, {
        batchSize: 1000,
        maxInFlight: 4,
        retry: algoliaRetry(ctx.signal),
        signal: ctx.signal,
        isolateRefused: deps.maxRefusedPerPage,
      });
      const refusedIds = new Set(refused.map((r) => r.objectID));
      const saved = refusedIds.size === 0 ? records.map((r) => r.objectID) : records.filter((r) => !refusedIds.has(r.objectID)).map((r) => r.objectID);
      // a run taken over meanwhile counts for nothing: its page must not list (or unlist) refusals the new run decides
      if (!(await runs.touch(payload.runId, payload.claimToken))) {
        return { skipped: `skipped: run ${payload.runId} was taken over while page ${payload.page} was being saved: its refusals are not recorded` };
      }
      try {
        await deps.refused.settle(payload.runId, saved, refused);
      } catch (error) {
        const problem = `order_return_algolia_refused not updated (the migrations must run on the returns database too): ${errorText(error)}`;
        // a refusal must be recorded, or the page fails and is retried; unlisting saved returns can wait for the next run
        if (refused.length > 0) throw new Error(problem, { cause: error });
        ctx.log.warn({ err: error }, problem);
      }
      for (const { objectID, reason } of refused) ctx.log.warn({ objectID, reason }, 'Algolia refused this return: set aside in order_return_algolia_refused, the rest of the page is saved');
      return { counts: { rows: count, records: saved.length, refused: refused.length }, result: { page: payload.page, rows: count, refused: [...refusedIds] } };
    },

    'returns.dump': async (_payload, ctx) => {
      const { path, manifestPath, manifest } = await dumpIndex({ client, indexName, dir: deps.dumpDir, retry: algoliaRetry(ctx.signal), signal: ctx.signal });
      ctx.log.info({ file: path, records: manifest.records, bytes: manifest.bytes }, 'index dumped');
      return { counts: { records: manifest.records }, result: { file: path, manifest: manifestPath, records: manifest.records, sha256: manifest.sha256 } };
    },
  };
}
