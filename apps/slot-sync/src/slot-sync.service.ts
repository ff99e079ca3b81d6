// One run of slot-sync: fetch the window's shifts from When I Work, compare each one's hash with the
// cache, publish the new and changed ones (and a tombstone for each deleted one), then record them
// in the cache, only once Kafka has acknowledged them.
import type { Message } from 'kafkajs';
import type { Logger } from '@syncfleet/log';
import type { RunOutcome } from '@syncfleet/runtime';
import { parseElement, type SplitElement } from './domain/json-array-splitter.ts';
import { bytesHash, cacheEntry, readCacheEntry, slotFromWiwShift, slotHash, type SlotResult } from './domain/slot.ts';
import type { SyncWindow } from './domain/window.ts';
import { isoUtc } from './domain/window.ts';
import type { CachedSlot, SlotCache } from './slot-cache.adapter.ts';
import { SlotEncodingError, type SlotEncoder } from './slot-encoder.ts';
import { SHIFT_ID_HEADER, type SlotProducer } from './slot-producer.ts';
import type { SlotStats } from './statsd.ts';
import type { WiwClient } from './wiw.adapter.ts';

export interface SlotSyncParts {
  wiw: WiwClient;
  cache: SlotCache;
  encoder: SlotEncoder;
  producer: SlotProducer;
  stats: SlotStats;
  /** Messages per Kafka produce request. */
  publishBatchSize: number;
  /** Cache TTL: index entries of shifts that started (or ended) this long before the window are pruned. */
  ttlSeconds: number;
  /** Deleted-shift checks (`GET /2/shifts/{id}`) in flight at once. */
  deletedCheckConcurrency?: number;
}

export interface SlotRunOptions {
  window: SyncWindow;
  /** Publish every shift of the window whatever the cache says (slots.resync). */
  republish: boolean;
  /** Compute and report only: no publish, no cache write, no TTL refresh, no schema registration. */
  dryRun: boolean;
}

export interface SlotRunCounts {
  /** Shifts WIW returned for the window (duplicates and invalid ones excluded). */
  fetched: number;
  /** Same canonical JSON as cached (`processor.shift.matched`). */
  unchanged: number;
  /** New or changed (`processor.shift.unmatched`). */
  changed: number;
  /** Value messages Kafka acknowledged. */
  published: number;
  /** Deleted shifts found (a tombstone each, unless a dry run). */
  deleted: number;
  /** Shifts that could not be read (missing id, unparsable date...): skipped, logged. */
  invalid: number;
  /** Slots that do not fit the Avro schema: skipped, logged (`publisher.encoding.error`). */
  encodingErrors: number;
  /** Cached shifts of the window that WIW did not return, checked one by one. */
  missingChecked: number;
}

const MAX_LOGGED_PROBLEMS = 10;

/** A slot on its way to Kafka: its cache entry, and its canonical JSON (the published value). */
interface PendingSlot extends CachedSlot {
  json: string;
}

/** A shift of the response before the cache is asked about it. */
interface Candidate {
  id: number;
  bytes: Uint8Array;
  bytesHash: string;
  /** Already parsed (when its id could not be read from its bytes). */
  parsed: SlotResult | undefined;
}

function parseShift(bytes: Uint8Array): SlotResult {
  let raw: unknown;
  try {
    raw = parseElement(bytes);
  } catch (error) {
    return { ok: false, id: undefined, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  return slotFromWiwShift(raw);
}

async function forEachConcurrently<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export async function runSlotSync(parts: SlotSyncParts, options: SlotRunOptions, ctx: { log: Logger; signal?: AbortSignal }): Promise<RunOutcome> {
  const { wiw, cache, encoder, producer, stats } = parts;
  const { window, republish, dryRun } = options;
  const { log, signal } = ctx;
  const counts: SlotRunCounts = { fetched: 0, unchanged: 0, changed: 0, published: 0, deleted: 0, invalid: 0, encodingErrors: 0, missingChecked: 0 };
  let encoded = 0;
  let problemsLogged = 0;
  const problem = (fields: Record<string, unknown>, message: string): void => {
    if (problemsLogged++ < MAX_LOGGED_PROBLEMS) log.warn(fields, message);
  };

  const seen = new Set<number>();
  const pending: PendingSlot[] = [];

  try {
    if (!dryRun) await encoder.prepare(log);

    /** Publishes a batch, then (only then) records it in the cache. */
    const publish = async (batch: readonly PendingSlot[]): Promise<void> => {
      if (batch.length === 0) return;
      const messages: Message[] = [];
      const written: CachedSlot[] = [];
      for (const entry of batch) {
        try {
          messages.push({ key: encoder.encodeKey(entry.id), value: encoder.encodeValue(entry.json), headers: { [SHIFT_ID_HEADER]: String(entry.id) } });
          written.push({ id: entry.id, value: entry.value, startMs: entry.startMs, endMs: entry.endMs });
          encoded += 1;
        } catch (error) {
          if (!(error instanceof SlotEncodingError)) throw error;
          counts.encodingErrors += 1;
          problem({ shiftId: entry.id, reason: error.message }, 'shift not published: it does not fit the schema');
        }
      }
      await producer.send(messages);
      counts.published += messages.length;
      await cache.write(written);
    };
    const flush = (): Promise<void> => publish(pending.splice(0));

    /** The shifts of a batch that the cache must be asked about (sync: ids and hashes of their bytes). */
    const prepare = (elements: readonly SplitElement[]): Candidate[] => {
      const batch: Candidate[] = [];
      for (const element of elements) {
        let id = element.id;
        let parsed: SlotResult | undefined;
        if (id === undefined) {
          // no plain numeric "id" member on the way: parse now to know it
          parsed = parseShift(element.bytes);
          if (!parsed.ok) {
            counts.invalid += 1;
            problem({ shiftId: parsed.id, reason: parsed.reason }, 'shift skipped: it cannot be read');
            continue;
          }
          id = parsed.id;
        }
        const known = seen.size;
        seen.add(id); // one lookup, not has() then add(): a window holds up to hundreds of thousands
        if (seen.size === known) continue; // listed twice: once is enough
        batch.push({ id, bytes: element.bytes, bytesHash: bytesHash(element.bytes), parsed });
      }
      return batch;
    };
    const lookup = (batch: readonly Candidate[]): Promise<Array<string | null | undefined>> =>
      cache.compare(
        batch.map((candidate) => candidate.id),
        // a resync compares nothing on the way: every shift is parsed (and republished)
        batch.map((candidate) => (republish ? '' : candidate.bytesHash)),
        { refresh: !dryRun },
      );
    /** Compares a batch with what the cache holds; publishes (in order) what changed. */
    const decide = async (batch: readonly Candidate[], cached: ReadonlyArray<string | null | undefined>): Promise<void> => {
      /** Bytes changed, published fields did not: only the cache's shortcut moves. */
      const shortcutMoved: CachedSlot[] = [];
      for (let i = 0; i < batch.length; i++) {
        const candidate = batch[i]!;
        const found = cached[i];
        if (found === undefined) {
          // cached with the same bytes hash: unchanged, nothing to parse
          counts.fetched += 1;
          counts.unchanged += 1;
          continue;
        }
        const entry = readCacheEntry(found);
        const parsed = candidate.parsed ?? parseShift(candidate.bytes);
        if (!parsed.ok || parsed.id !== candidate.id) {
          counts.invalid += 1;
          problem({ shiftId: candidate.id, reason: parsed.ok ? 'its id was given twice' : parsed.reason }, 'shift skipped: it cannot be read');
          continue;
        }
        counts.fetched += 1;
        const canonical = slotHash(parsed.json);
        const value = cacheEntry(candidate.bytesHash, canonical);
        if (entry.canonical === canonical) {
          counts.unchanged += 1;
          if (!republish) {
            if (!dryRun) shortcutMoved.push({ id: candidate.id, value, startMs: parsed.startMs, endMs: parsed.endMs });
            continue;
          }
        } else {
          counts.changed += 1;
        }
        if (!dryRun) pending.push({ id: candidate.id, value, startMs: parsed.startMs, endMs: parsed.endMs, json: parsed.json });
      }
      if (shortcutMoved.length > 0) await cache.write(shortcutMoved);
      while (pending.length >= parts.publishBatchSize) await publish(pending.splice(0, parts.publishBatchSize));
    };
    const handle = async (elements: readonly SplitElement[]): Promise<void> => {
      const batch = prepare(elements);
      if (batch.length > 0) await decide(batch, await lookup(batch));
    };

    // Two batches in flight: the cache lookup of one overlaps the decisions (and publishes) of the
    // one before it, which stay in order.
    let previous: Promise<void> = Promise.resolve();
    for await (const elements of wiw.streamShifts(window, signal)) {
      const batch = prepare(elements);
      if (batch.length === 0) continue;
      const cached = lookup(batch);
      cached.catch(() => undefined); // reported below, once its turn comes
      await previous;
      previous = cached.then((values) => decide(batch, values));
    }
    await previous;
    await flush();

    // Shifts we published that overlap the window (as WIW's range does) but that WIW did not return:
    // deleted, or moved out of it.
    const missing = (await cache.idsOverlapping(window)).filter((id) => !seen.has(id));
    counts.missingChecked = missing.length;
    if (missing.length > 0) {
      const moved: SplitElement[] = [];
      const gone: number[] = [];
      await forEachConcurrently(missing, parts.deletedCheckConcurrency ?? 8, async (id) => {
        const shift = await wiw.getShift(id, signal);
        if (shift === null) gone.push(id);
        else moved.push({ bytes: Buffer.from(JSON.stringify(shift)), id: undefined });
      });
      if (moved.length > 0) {
        await handle(moved);
        await flush();
      }
      counts.deleted = gone.length;
      if (gone.length > 0 && !dryRun) {
        gone.sort((a, b) => a - b);
        const tombstones: Message[] = [];
        for (const id of gone) tombstones.push({ key: encoder.encodeKey(id), value: null, headers: { [SHIFT_ID_HEADER]: String(id) } });
        await producer.send(tombstones);
        await cache.remove(gone);
        log.info({ shiftIds: gone.slice(0, 50), count: gone.length }, 'deleted shifts published as tombstones');
      }
    }
    if (!dryRun) await cache.pruneIndex(window.start.getTime() - parts.ttlSeconds * 1000);
  } finally {
    // what the run did, even when it failed half way
    stats.increment('processor.shift.matched', counts.unchanged);
    stats.increment('processor.shift.unmatched', counts.changed);
    stats.increment('processor.shift.deleted', counts.deleted);
    stats.increment('processor.shift.invalid', counts.invalid);
    stats.increment('publisher.encoding.success', encoded);
    stats.increment('publisher.encoding.error', counts.encodingErrors);
  }

  if (problemsLogged > MAX_LOGGED_PROBLEMS) log.warn({ more: problemsLogged - MAX_LOGGED_PROBLEMS }, 'more shifts were skipped (not logged one by one)');
  return {
    counts: { ...counts },
    window: { start: window.start, end: window.end },
    result: { window: { start: isoUtc(window.start.getTime()), end: isoUtc(window.end.getTime()) }, dryRun, republish, ...counts },
  };
}
