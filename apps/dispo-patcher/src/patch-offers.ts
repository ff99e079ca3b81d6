// The patch: every offer of the index, streamed page by page with the browse cursor, checked
// against the customerDispo rule; the offers whose value changes get a partial update that never
// re-creates a deleted offer (`partialUpdateObjectNoCreate`), in batches, a few in flight, and the
// last task is waited for before the patch counts as done.
//
// Memory stays flat whatever the index size: one browse page ahead, plus the batches in flight.
import { browseAll, partialUpdateBatches, type AlgoliaClient, type AlgoliaRecordInput, type RetryOptions } from '@syncfleet/algolia';
import type { Logger } from '@syncfleet/log';
import { DISPO_ATTRIBUTES, customerDispoChange } from './customer-dispo.ts';

export interface PatchOffersOptions {
  client: AlgoliaClient;
  indexName: string;
  /** Compute and count, send nothing. */
  dryRun: boolean;
  batchSize: number;
  maxInFlight: number;
  signal?: AbortSignal | undefined;
  log?: Pick<Logger, 'info' | 'warn'> | undefined;
  /** A progress line every this many offers scanned (default 100,000). */
  progressEvery?: number;
  retry?: RetryOptions | undefined;
}

export interface PatchOffersResult {
  /** Offers read. */
  scanned: number;
  /** Offers whose customerDispo was wrong (in a dry run: would have been patched). */
  changed: number;
  /** Partial updates sent and acknowledged (0 in a dry run). */
  written: number;
  batches: number;
  lastTaskID: number | undefined;
  durationMs: number;
}

/** Pages of an async source, one requested ahead while the consumer works on the current one. */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  // a request that fails while the consumer still works on the page before is awaited (and
  // thrown) on the next turn: mark it handled meanwhile, or Node reports an unhandled rejection
  const request = (): Promise<IteratorResult<T>> => {
    const pending = iterator.next();
    pending.catch(() => undefined);
    return pending;
  };
  let next = request();
  try {
    for (;;) {
      const current = await next;
      if (current.done === true) return;
      next = request();
      yield current.value;
    }
  } finally {
    // the consumer stopped early (an error downstream): let the pending request settle, then close
    await next.catch(() => undefined);
    await iterator.return?.();
  }
}

export async function patchOffers(options: PatchOffersOptions): Promise<PatchOffersResult> {
  const { client, indexName, dryRun, batchSize, maxInFlight, signal, log, progressEvery = 100_000, retry } = options;
  const started = performance.now();
  const retryOptions: RetryOptions = {
    ...retry,
    signal,
    onRetry: ({ attempt, delayMs, error }) =>
      log?.warn({ attempt, delayMs, status: (error as { status?: unknown }).status, errorName: (error as Error).name }, 'algolia call failed, retrying'),
  };
  let scanned = 0;
  let changed = 0;
  let nextProgress = progressEvery;

  const pages = readAhead(browseAll(client, indexName, { attributesToRetrieve: DISPO_ATTRIBUTES, hitsPerPage: 1000, retry: retryOptions }));
  async function* updates(): AsyncGenerator<AlgoliaRecordInput, void, undefined> {
    for await (const page of pages) {
      signal?.throwIfAborted();
      for (const hit of page) {
        scanned += 1;
        const change = customerDispoChange(hit);
        if (change === undefined) continue;
        changed += 1;
        yield { objectID: hit.objectID, customerDispo: change.customerDispo };
      }
      if (scanned >= nextProgress) {
        nextProgress += progressEvery;
        const memory = process.memoryUsage();
        const mb = (bytes: number) => Math.round(bytes / 1048576);
        log?.info({ index: indexName, scanned, changed, dryRun, rssMb: mb(memory.rss), heapUsedMb: mb(memory.heapUsed), heapTotalMb: mb(memory.heapTotal), externalMb: mb(memory.external) }, 'patch progress');
      }
    }
  }

  if (dryRun) {
    for await (const _update of updates()) {
      // counted by the generator
    }
    return { scanned, changed, written: 0, batches: 0, lastTaskID: undefined, durationMs: Math.round(performance.now() - started) };
  }
  const sent = await partialUpdateBatches(client, indexName, updates(), { batchSize, maxInFlight, waitForTask: true, signal, retry: retryOptions });
  return {
    scanned,
    changed,
    written: sent.records,
    batches: sent.batches,
    lastTaskID: sent.lastTaskID,
    durationMs: Math.round(performance.now() - started),
  };
}
