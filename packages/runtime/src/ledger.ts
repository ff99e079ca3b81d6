/**
 * The run ledger: one Postgres row per run. Workers never wait on Postgres per run: a run's record
 * is appended to a Redis stream (the outbox, as durable as the BullMQ job state beside it) in the
 * same round trip that finishes the run, and a flusher in every worker process moves records to
 * Postgres in batches (one upsert per batch). A flusher that dies leaves its records pending in the
 * stream's consumer group; another one claims them. Records are idempotent on run_id.
 */
import type { Redis } from 'ioredis';
import type { Pool } from '@syncfleet/db';
import type { JobKind } from '@syncfleet/jobs';

export const runStatuses = ['running', 'succeeded', 'failed', 'skipped', 'refused', 'stalled'] as const;
export type RunStatus = (typeof runStatuses)[number];

export interface RunRecord {
  runId: string;
  fleet: string;
  jobName: string;
  sync: string;
  kind: JobKind;
  queue: string;
  jobId: string;
  attempt: number;
  status: RunStatus;
  /** A failed run whose job will not be retried again. */
  final: boolean;
  dueAt: number | null;
  startedAt: number;
  finishedAt: number | null;
  counts: Record<string, number>;
  windowStart: number | null;
  windowEnd: number | null;
  reason: string | null;
  error: string | null;
  workerId: string;
  dryRun: boolean;
  /** This attempt started after an earlier one of the same job was lost (worker died). */
  afterStall: boolean;
}

const outboxField = 'r';
const consumerGroup = 'ledger-writers';

/** Appends a record to the outbox; the caller decides whether to wait for the reply. */
export function appendToOutbox(redis: Redis, outboxKey: string, record: RunRecord): Promise<unknown> {
  return redis.xadd(outboxKey, '*', outboxField, JSON.stringify(record));
}

/** Keeps one record per run: a final record replaces the 'running' one of the same run. */
export function mergeRunRecords(records: RunRecord[]): RunRecord[] {
  const byRun = new Map<string, RunRecord>();
  for (const record of records) {
    const seen = byRun.get(record.runId);
    if (!seen || seen.status === 'running') byRun.set(record.runId, record);
  }
  return [...byRun.values()];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Writes records with one statement; a 'running' record never overwrites a finished one. */
export async function writeRunRecords(pool: Pool, input: RunRecord[]): Promise<void> {
  const records = mergeRunRecords(input);
  if (records.length === 0) return;
  const column = <T>(pick: (r: RunRecord) => T): T[] => records.map(pick);
  await pool.query(
    `INSERT INTO run_ledger AS l (run_id, fleet, job_name, sync, kind, queue, job_id, attempt, status, final, due_at,
        started_at, finished_at, duration_ms, counts, window_start, window_end, reason, error, worker_id, dry_run)
     SELECT x.run_id, x.fleet, x.job_name, x.sync, x.kind, x.queue, x.job_id, x.attempt,
        CASE WHEN x.status = 'running' AND EXISTS (
               SELECT 1 FROM run_ledger o
               WHERE o.fleet = x.fleet AND o.queue = x.queue AND o.job_id = x.job_id AND o.attempt > x.attempt)
             THEN 'stalled' ELSE x.status END,
        x.final, x.due_at, x.started_at, x.finished_at,
        CASE WHEN x.finished_at IS NULL THEN NULL
             ELSE round(extract(epoch FROM (x.finished_at - x.started_at)) * 1000)::int END,
        x.counts, x.window_start, x.window_end, x.reason, x.error, x.worker_id, x.dry_run
     FROM unnest($1::uuid[], $20::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
                 $8::text[], $9::bool[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::jsonb[],
                 $14::timestamptz[], $15::timestamptz[], $16::text[], $17::text[], $18::text[], $19::bool[])
       AS x(run_id, fleet, job_name, sync, kind, queue, job_id, attempt, status, final, due_at, started_at, finished_at,
            counts, window_start, window_end, reason, error, worker_id, dry_run)
     ON CONFLICT (run_id) DO UPDATE SET
        status = excluded.status, final = excluded.final, finished_at = excluded.finished_at,
        duration_ms = excluded.duration_ms, counts = excluded.counts, window_start = excluded.window_start,
        window_end = excluded.window_end, reason = excluded.reason, error = excluded.error, dry_run = excluded.dry_run
     WHERE excluded.status NOT IN ('running', 'stalled')`,
    [
      column((r) => r.runId),
      column((r) => r.jobName),
      column((r) => r.sync),
      column((r) => r.kind),
      column((r) => r.queue),
      column((r) => r.jobId),
      column((r) => r.attempt),
      column((r) => r.status),
      column((r) => r.final),
      column((r) => iso(r.dueAt)),
      column((r) => iso(r.startedAt)),
      column((r) => iso(r.finishedAt)),
      column((r) => JSON.stringify(r.counts)),
      column((r) => iso(r.windowStart)),
      column((r) => iso(r.windowEnd)),
      column((r) => r.reason),
      column((r) => r.error),
      column((r) => r.workerId),
      column((r) => r.dryRun),
      column((r) => r.fleet),
    ],
  );
  // An attempt that follows a lost one closes the lost one's 'running' row.
  for (const record of records) {
    if (!record.afterStall) continue;
    await pool.query(
      `UPDATE run_ledger SET status = 'stalled', reason = 'the worker running it stopped answering (stalled)'
       WHERE fleet = $1 AND queue = $2 AND job_id = $3 AND status = 'running' AND attempt < $4`,
      [record.fleet, record.queue, record.jobId, record.attempt],
    );
  }
}

type StreamEntries = Array<[id: string, fields: string[]]>;

function parseEntries(entries: StreamEntries): { ids: string[]; records: RunRecord[] } {
  const ids: string[] = [];
  const records: RunRecord[] = [];
  for (const [id, fields] of entries) {
    ids.push(id);
    const index = fields.indexOf(outboxField);
    const raw = index >= 0 ? fields[index + 1] : undefined;
    if (raw !== undefined) records.push(JSON.parse(raw) as RunRecord);
  }
  return { ids, records };
}

export interface LedgerFlusherOptions {
  /** A connection of its own: the flusher blocks on it. */
  redis: Redis;
  pool: Pool;
  outboxKey: string;
  consumer: string;
  batchSize?: number;
  blockMs?: number;
  /** After a partial batch, wait this long so the next one is larger (fewer Postgres commits). */
  lingerMs?: number;
  /** Records pending longer than this at a consumer that stopped are claimed by this one. */
  claimIdleMs?: number;
  onError?: (error: unknown) => void;
  onWritten?: (count: number) => void;
}

export interface LedgerFlusher {
  start(): Promise<void>;
  /** Writes everything in the outbox now (used by stop and by tests); returns the entries moved. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export function createLedgerFlusher(options: LedgerFlusherOptions): LedgerFlusher {
  const { redis, pool, outboxKey, consumer } = options;
  const batchSize = options.batchSize ?? 1000;
  const blockMs = options.blockMs ?? 1000;
  const lingerMs = options.lingerMs ?? 250;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  let running = false;
  let loop: Promise<void> | undefined;
  let lastClaim = 0;
  let busy: Promise<unknown> = Promise.resolve();

  const acknowledge = async (ids: string[]): Promise<void> => {
    if (ids.length === 0) return;
    await redis.multi().xack(outboxKey, consumerGroup, ...ids).xdel(outboxKey, ...ids).exec();
  };

  const read = async (id: '0' | '>', block: boolean): Promise<StreamEntries> => {
    const reply = block
      ? await redis.xreadgroup('GROUP', consumerGroup, consumer, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', outboxKey, id)
      : await redis.xreadgroup('GROUP', consumerGroup, consumer, 'COUNT', batchSize, 'STREAMS', outboxKey, id);
    const entries = (reply as Array<[string, StreamEntries]> | null)?.[0]?.[1] ?? [];
    // entries deleted while pending come back without fields: acknowledge them like the others
    return entries.map(([entryId, fields]) => [entryId, fields ?? []]);
  };

  /** One batch: this consumer's pending records first (claimed or unacknowledged), then new ones. */
  const flushOnce = async (block: boolean): Promise<number> => {
    if (Date.now() - lastClaim > claimIdleMs / 2) {
      lastClaim = Date.now();
      await redis.xautoclaim(outboxKey, consumerGroup, consumer, claimIdleMs, '0-0', 'COUNT', batchSize);
    }
    let entries = await read('0', false);
    if (entries.length === 0) entries = await read('>', block);
    if (entries.length === 0) return 0;
    const { ids, records } = parseEntries(entries);
    await writeRunRecords(pool, records);
    await acknowledge(ids);
    options.onWritten?.(records.length);
    return ids.length;
  };

  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = busy.then(fn, fn);
    busy = next.catch(() => undefined);
    return next;
  };

  return {
    async start() {
      try {
        await redis.xgroup('CREATE', outboxKey, consumerGroup, '0', 'MKSTREAM');
      } catch (error) {
        if (!String(error).includes('BUSYGROUP')) throw error;
      }
      running = true;
      loop = (async () => {
        let backoffMs = 100;
        while (running) {
          try {
            const moved = await exclusive(() => flushOnce(true));
            backoffMs = 100;
            if (moved > 0 && moved < batchSize && running) await new Promise((r) => setTimeout(r, lingerMs));
          } catch (error) {
            options.onError?.(error);
            await new Promise((r) => setTimeout(r, backoffMs));
            backoffMs = Math.min(backoffMs * 2, 5000);
          }
        }
      })();
    },
    drain: () =>
      exclusive(async () => {
        let total = 0;
        for (;;) {
          const written = await flushOnce(false);
          if (written === 0) return total;
          total += written;
        }
      }),
    async stop() {
      running = false;
      await loop;
      loop = undefined;
    },
  };
}
