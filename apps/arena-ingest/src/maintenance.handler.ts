// The BullMQ jobs of the arena-ingest queue: arena.retry, arena.retryFailed, arena.cleanup and
// arena.reingest (catalogue: packages/jobs/src/arena.ts).
import type { Queue } from 'bullmq';
import type { Pool } from '@syncfleet/db';
import { catalogue, type FleetCatalogue, type PayloadOf } from '@syncfleet/jobs';
import type { Logger } from '@syncfleet/log';
import type { Notifier } from '@syncfleet/notify';
import { enqueueJob, type HandlerMap, type RunContext, type RunOutcome } from '@syncfleet/runtime';
import { deleteOldIgnored, markForReingest } from './arena-store.ts';
import { arenaTableNames } from './domain/arena-message.ts';
import type { ArenaIngestConfig } from './env.ts';
import type { ArenaIngest, RetrySummary } from './ingest.ts';
import { checkFailedGrowth, recordRetry, type ArenaMetrics } from './metrics.ts';

export interface MaintenanceDeps {
  pool: Pool;
  ingest: ArenaIngest;
  config: ArenaIngestConfig;
  metrics: ArenaMetrics;
  notifier: Notifier;
  log: Logger;
  /** The arena-ingest queue: reingest queues an arena.retry on it. */
  queue: () => Queue;
}

type ArenaRetryPayload = PayloadOf<FleetCatalogue, 'arena.retry'>;

/** Gjennomføringer first (deltakere depend on them), then deltakere, then hist deltakere (matched against deltakere). */
const tableOrder = arenaTableNames;

export function createMaintenanceHandlers(deps: MaintenanceDeps): HandlerMap<FleetCatalogue, 'arena-ingest'> {
  const { pool, ingest, config } = deps;

  const retry = (status: 'RETRY' | 'FAILED') => async (payload: ArenaRetryPayload, ctx: RunContext): Promise<RunOutcome> => {
    const total: RetrySummary = { processed: 0, statuses: {}, published: 0, released: 0 };
    for (const table of payload.table ? [payload.table] : tableOrder) {
      const summary = await ingest.retryTable(table, status, { batchSize: config.ARENA_RETRY_BATCH_SIZE, chunkSize: config.ARENA_CHUNK_SIZE, signal: ctx.signal });
      recordRetry(deps.metrics, summary);
      if (summary.processed > 0) ctx.log.info({ table, status, ...summary }, `retried the ${status} rows of ${table}`);
      total.processed += summary.processed;
      total.published += summary.published;
      total.released += summary.released;
      for (const [s, n] of Object.entries(summary.statuses)) total.statuses[s as keyof RetrySummary['statuses']] = (total.statuses[s as keyof RetrySummary['statuses']] ?? 0) + n;
    }
    const counts = await checkFailedGrowth({ pool, fleet: config.FLEET_PREFIX, metrics: deps.metrics, notifier: deps.notifier, log: ctx.log });
    const lowercase = Object.fromEntries(Object.entries(total.statuses).map(([s, n]) => [s.toLowerCase(), n]));
    const remaining = Object.fromEntries([...counts].map(([table, byStatus]) => [table, byStatus.get(status) ?? 0]));
    return {
      counts: { processed: total.processed, published: total.published, released: total.released, ...lowercase },
      result: { ...total, remaining },
      ...(total.processed === 0 ? { skipped: `no ${status} rows` } : {}),
    };
  };

  return {
    'arena.retry': retry('RETRY'),
    'arena.retryFailed': retry('FAILED'),

    'arena.cleanup': async (payload, ctx) => {
      const olderThanMs = payload.olderThanHours !== undefined ? Math.round(payload.olderThanHours * 3_600_000) : config.ARENA_IGNORED_RETENTION;
      const deleted = await deleteOldIgnored(pool, olderThanMs, ctx.dryRun);
      const counts: Record<string, number> = ctx.dryRun ? { wouldDelete: deleted } : { deleted };
      return { counts, result: { olderThanMs, ...counts } };
    },

    'arena.reingest': async (payload, ctx) => {
      const marked = await markForReingest(pool, payload.table, payload.tiltakskode, ctx.dryRun);
      if (ctx.dryRun) {
        const counts: Record<string, number> = { wouldMark: marked };
        return { counts, result: { table: payload.table, tiltakskode: payload.tiltakskode ?? null, ...counts } };
      }
      ctx.log.info({ table: payload.table, tiltakskode: payload.tiltakskode, marked }, 'reingest: rows marked RETRY');
      // the retry job republishes them: right after this run (the queue runs one job at a time)
      const job = marked > 0 ? await enqueueJob(deps.queue(), catalogue.jobs['arena.retry'], {}, { deduplicationId: 'trigger:arena.retry' }) : undefined;
      return { counts: { marked }, result: { table: payload.table, tiltakskode: payload.tiltakskode ?? null, marked, retryJobId: job?.id ?? null } };
    },
  };
}
