// What arena-ingest shows on /metrics, and the Teams card sent when the number of FAILED rows grows.
import type { Pool } from '@syncfleet/db';
import { createSyncState } from '@syncfleet/db';
import type { Logger } from '@syncfleet/log';
import { Counter, Gauge, Histogram, type Registry } from '@syncfleet/metrics';
import { messageCard, THEME_COLORS, toFacts, type MessageCard, type Notifier } from '@syncfleet/notify';
import { countByStatus } from './arena-store.ts';
import { arenaTableNames, ingestStatuses, type IngestStatus } from './domain/arena-message.ts';
import type { ChunkSummary, RetrySummary } from './ingest.ts';

export interface ArenaMetrics {
  rows: Gauge<'table' | 'status'>;
  messages: Counter<'topic' | 'status'>;
  duplicates: Counter<'topic'>;
  published: Counter<'path'>;
  released: Counter;
  transactionSeconds: Histogram<'path'>;
  consumerLag: Gauge<'topic' | 'partition'>;
  stalledSeconds: Gauge<'topic' | 'partition'>;
}

export function createArenaMetrics(registry: Registry): ArenaMetrics {
  return {
    rows: new Gauge({
      name: 'syncfleet_arena_rows',
      help: 'Rows of arena_data by Arena table and ingest status (refreshed every ARENA_METRICS_REFRESH_MS)',
      labelNames: ['table', 'status'],
      registers: [registry],
    }),
    messages: new Counter({
      name: 'syncfleet_arena_messages_total',
      help: 'Arena messages stored by this process, by topic and the status their first processing gave them',
      labelNames: ['topic', 'status'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'syncfleet_arena_redelivered_messages_total',
      help: 'Arena messages received again after they had been stored (left unchanged)',
      labelNames: ['topic'],
      registers: [registry],
    }),
    published: new Counter({
      name: 'syncfleet_arena_amt_published_total',
      help: 'AMT messages published and acknowledged, by path (consumer or retry)',
      labelNames: ['path'],
      registers: [registry],
    }),
    released: new Counter({
      name: 'syncfleet_arena_waiting_released_total',
      help: 'WAITING rows moved back to RETRY by a valid gjennomføring',
      registers: [registry],
    }),
    transactionSeconds: new Histogram({
      name: 'syncfleet_arena_transaction_seconds',
      help: 'Duration of one chunk transaction (locks, processing, publishing, writes, commit), by path',
      labelNames: ['path'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'syncfleet_arena_consumer_lag_messages',
      help: "Messages of each of this replica's partitions not yet stored and committed: the high watermark of its last fetch minus its committed offset (set after each chunk; absent until the first chunk after an assignment)",
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    stalledSeconds: new Gauge({
      name: 'syncfleet_arena_partition_stalled_seconds',
      help: "Seconds the consumer group's committed offset has stood still on each partition of the Arena topics while messages wait behind it (0 when it moves or is caught up; every partition of the group, checked every ARENA_STALL_CHECK_INTERVAL_MS)",
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
  };
}

export function recordChunk(metrics: ArenaMetrics, topic: string, summary: ChunkSummary, seconds: number): void {
  for (const [status, count] of Object.entries(summary.statuses)) metrics.messages.inc({ topic, status }, count);
  if (summary.duplicates > 0) metrics.duplicates.inc({ topic }, summary.duplicates);
  if (summary.published > 0) metrics.published.inc({ path: 'consumer' }, summary.published);
  if (summary.released > 0) metrics.released.inc(summary.released);
  metrics.transactionSeconds.observe({ path: 'consumer' }, seconds);
}

export function recordRetry(metrics: ArenaMetrics, summary: RetrySummary): void {
  if (summary.published > 0) metrics.published.inc({ path: 'retry' }, summary.published);
  if (summary.released > 0) metrics.released.inc(summary.released);
}

export type RowCounts = Map<string, Map<IngestStatus, number>>;

/** Counts the rows per table and status and sets the gauges (0 for combinations without rows). */
export async function refreshRowGauges(pool: Pool, metrics: ArenaMetrics): Promise<RowCounts> {
  const counts: RowCounts = new Map(arenaTableNames.map((table) => [table, new Map(ingestStatuses.map((s) => [s, 0]))]));
  for (const { table, status, count } of await countByStatus(pool)) {
    let byStatus = counts.get(table);
    if (!byStatus) counts.set(table, (byStatus = new Map<IngestStatus, number>()));
    byStatus.set(status, count);
  }
  for (const [table, byStatus] of counts) for (const [status, count] of byStatus) metrics.rows.set({ table, status }, count);
  return counts;
}

const failedTotal = (counts: RowCounts): number => [...counts.values()].reduce((sum, byStatus) => sum + (byStatus.get('FAILED') ?? 0), 0);

/** The card sent when FAILED rows grew: they need a person (after 10 attempts, or several hist matches). */
export function failedGrewCard(previous: number, counts: RowCounts, fleet: string): MessageCard {
  const now = failedTotal(counts);
  const facts: Record<string, number | string> = { Fleet: fleet, 'FAILED before': previous, 'FAILED now': now };
  for (const [table, byStatus] of counts) if ((byStatus.get('FAILED') ?? 0) > 0) facts[`FAILED in ${table}`] = byStatus.get('FAILED') ?? 0;
  return messageCard({
    summary: `arena-ingest: FAILED rows grew from ${previous} to ${now}`,
    themeColor: THEME_COLORS.failure,
    title: `arena-ingest: ${now - previous} more FAILED row${now - previous === 1 ? '' : 's'} in arena_data`,
    sections: [
      {
        activityTitle: 'Arena messages that need a person to look at them',
        facts: toFacts(facts),
        text: `List them: SELECT arena_table_name, arena_id, operation_pos, note FROM arena_data WHERE ingest_status = 'FAILED' ORDER BY last_attempted DESC. arena.retryFailed tries them once more every night.`,
        markdown: false,
      },
    ],
  });
}

/**
 * Refreshes the gauges, compares the FAILED total with the one stored after the previous check
 * (sync_state), sends a card when it grew, and stores the new total. Returns the counts.
 */
export async function checkFailedGrowth(options: { pool: Pool; fleet: string; metrics: ArenaMetrics; notifier: Notifier; log: Logger }): Promise<RowCounts> {
  const { pool, fleet, metrics, notifier, log } = options;
  const counts = await refreshRowGauges(pool, metrics);
  const state = createSyncState(pool, fleet, 'arena-ingest');
  const previous = (await state.get<number>('failedRows')) ?? 0;
  const now = failedTotal(counts);
  if (now > previous) {
    log.warn({ previous, failed: now }, 'FAILED rows grew');
    await notifier.send(failedGrewCard(previous, counts, fleet));
  }
  if (now !== previous) await state.set('failedRows', now);
  return counts;
}
