// Records -> `batch` calls of `batchSize` records, at most `maxInFlight` calls at once, then a wait
// for the last task. The records may come from an async source (a browse being patched): it is
// read only as fast as batches are sent, so memory holds at most maxInFlight + 1 batches.
//
// Algolia refuses a batch whole (400) when one of its records is bad, e.g. over the record size
// limit. With `isolateRefused`, such a batch is split in halves until each refused record is alone:
// the others are saved, the refused ones are reported with Algolia's reason, and one bad record no
// longer stops everything sent with it.
import type { AlgoliaClient } from './client.ts';
import { algoliaStatusOf, withAlgoliaRetry, type RetryOptions } from './retry.ts';

export type WriteAction = 'addObject' | 'updateObject' | 'partialUpdateObject' | 'partialUpdateObjectNoCreate';
export type AlgoliaRecordInput = Record<string, unknown> & { objectID: string };

export interface BatchProgress {
  /** Records of the batch just acknowledged. */
  records: number;
  /** Records acknowledged so far. */
  totalRecords: number;
  taskID: number;
}

export interface SendBatchesOptions {
  batchSize?: number;
  maxInFlight?: number;
  /** Wait until the last task is published before resolving (default true). */
  waitForTask?: boolean;
  retry?: RetryOptions | undefined;
  signal?: AbortSignal | undefined;
  onBatch?: ((progress: BatchProgress) => void) | undefined;
  /**
   * Records Algolia may refuse (400) before the call fails (default 0: a 400 fails it). Up to this
   * many refused records are set aside and reported in `refused`; one more fails the call, since a
   * refusal that wide is not a bad record but a bad request.
   */
  isolateRefused?: number;
}

/** A record Algolia refused on its own (400), with Algolia's reason. */
export interface RefusedRecord {
  objectID: string;
  reason: string;
}

export interface BatchesResult {
  /** Records sent (and acknowledged). */
  records: number;
  batches: number;
  /** Highest task ID of the run (waited for when `waitForTask`), undefined when nothing was sent. */
  lastTaskID: number | undefined;
  /** Records refused one by one (with `isolateRefused`), in the order they were found. */
  refused: RefusedRecord[];
}

/** Groups an (async) iterable into arrays of `size`; the last one may be shorter, none is empty. */
export async function* chunk<T>(source: Iterable<T> | AsyncIterable<T>, size: number): AsyncGenerator<T[], void, undefined> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('chunk size must be a positive integer');
  // an array: sliced, without an await per item (a page of records is an array)
  if (Array.isArray(source)) {
    const items = source as readonly T[];
    for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
    return;
  }
  let current: T[] = [];
  for await (const item of source) {
    current.push(item);
    if (current.length >= size) {
      yield current;
      current = [];
    }
  }
  if (current.length > 0) yield current;
}

export async function sendBatches(
  client: AlgoliaClient,
  indexName: string,
  action: WriteAction,
  records: Iterable<AlgoliaRecordInput> | AsyncIterable<AlgoliaRecordInput>,
  options: SendBatchesOptions = {},
): Promise<BatchesResult> {
  const { batchSize = 1000, maxInFlight = 4, waitForTask = true, retry, signal, onBatch, isolateRefused = 0 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new RangeError('batchSize must be an integer between 1 and 10000');
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
  if (!Number.isInteger(isolateRefused) || isolateRefused < 0) throw new RangeError('isolateRefused must be an integer >= 0');
  const retryOptions: RetryOptions = { ...retry, signal: retry?.signal ?? signal };

  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let sentRecords = 0;
  let batches = 0;
  let lastTaskID: number | undefined;

  const refused: RefusedRecord[] = [];

  const post = async (batch: AlgoliaRecordInput[]): Promise<void> => {
    const requests = batch.map((body) => ({ action, body }));
    const response = await withAlgoliaRetry(() => client.batch({ indexName, batchWriteParams: { requests } }), retryOptions);
    sentRecords += batch.length;
    batches += 1;
    lastTaskID = lastTaskID === undefined ? response.taskID : Math.max(lastTaskID, response.taskID);
    onBatch?.({ records: batch.length, totalRecords: sentRecords, taskID: response.taskID });
  };

  /** Posts the batch; on a 400, its halves, down to single records, which are set aside. */
  const postIsolating = async (batch: AlgoliaRecordInput[]): Promise<void> => {
    try {
      await post(batch);
    } catch (error) {
      if (isolateRefused === 0 || algoliaStatusOf(error) !== 400 || failure !== undefined) throw error;
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await postIsolating(batch.slice(0, half));
        const failedMeanwhile = failure as { error: unknown } | undefined; // another batch in flight failed the write
        if (failedMeanwhile !== undefined) throw failedMeanwhile.error;
        await postIsolating(batch.slice(half));
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      const objectID = batch[0]!.objectID;
      if (refused.length >= isolateRefused) {
        throw new Error(`Algolia refused more than ${isolateRefused} record(s) of this write (the last: objectID=${objectID}: ${reason})`, { cause: error });
      }
      refused.push({ objectID, reason });
    }
  };

  const send = (batch: AlgoliaRecordInput[]): Promise<void> =>
    postIsolating(batch).catch((error: unknown) => {
      failure ??= { error };
    });

  for await (const batch of chunk(records, batchSize)) {
    for (const record of batch) {
      if (typeof record.objectID !== 'string' || record.objectID === '') throw new TypeError(`every record sent with ${action} needs a string objectID`);
    }
    while (inFlight.size >= maxInFlight && failure === undefined) await Promise.race(inFlight);
    if (failure !== undefined) break;
    signal?.throwIfAborted();
    const pending = send(batch).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure.error;
  signal?.throwIfAborted();

  if (waitForTask && lastTaskID !== undefined) {
    const taskID = lastTaskID;
    await withAlgoliaRetry(() => client.waitForTask({ indexName, taskID }), retryOptions);
  }
  return { records: sentRecords, batches, lastTaskID, refused };
}

export interface PartialUpdateBatchesOptions extends SendBatchesOptions {
  /** false (default): `partialUpdateObjectNoCreate`, an update of a deleted record is dropped, never re-creates it. */
  createIfNotExists?: boolean;
}

/**
 * Partial updates (`{ objectID, ...attributesToChange }`) in batches, several in flight. Every
 * objectID must appear once: batches in flight may be applied in any order.
 */
export function partialUpdateBatches(
  client: AlgoliaClient,
  indexName: string,
  updates: Iterable<AlgoliaRecordInput> | AsyncIterable<AlgoliaRecordInput>,
  options: PartialUpdateBatchesOptions = {},
): Promise<BatchesResult> {
  const { createIfNotExists = false, ...rest } = options;
  return sendBatches(client, indexName, createIfNotExists ? 'partialUpdateObject' : 'partialUpdateObjectNoCreate', updates, rest);
}

export interface SaveRecordsOptions extends SendBatchesOptions {
  /** `updateObject` (default: replace or create, objectID required) or `addObject`. */
  action?: 'addObject' | 'updateObject';
}

/**
 * Whole records, created or replaced. One batch in flight by default so that a record sent twice
 * ends with its last version; raise `maxInFlight` only when objectIDs are unique.
 */
export function saveRecords(
  client: AlgoliaClient,
  indexName: string,
  records: Iterable<AlgoliaRecordInput> | AsyncIterable<AlgoliaRecordInput>,
  options: SaveRecordsOptions = {},
): Promise<BatchesResult> {
  const { action = 'updateObject', maxInFlight = 1, ...rest } = options;
  return sendBatches(client, indexName, action, records, { maxInFlight, ...rest });
}
