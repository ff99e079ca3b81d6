// The batching core with a stand-in for the two client methods it calls (batch, waitForTask), to
// pin down what the emulator cannot show: how many calls are in flight and in what order the
// source is read. The real client against the emulator is covered in test/emulators/algolia.test.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { chunk, partialUpdateBatches, saveRecords, sendBatches, type AlgoliaRecordInput } from './batches.ts';
import type { AlgoliaClient } from './client.ts';

interface BatchCall {
  indexName: string;
  actions: string[];
  objectIDs: string[];
}

function standInClient(options: { delayMs?: number; failOn?: (call: number) => Error | undefined } = {}) {
  const calls: BatchCall[] = [];
  const waited: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let taskID = 100;
  const client = {
    async batch({ indexName, batchWriteParams }: { indexName: string; batchWriteParams: { requests: Array<{ action: string; body: AlgoliaRecordInput }> } }) {
      const call = calls.length + 1;
      calls.push({ indexName, actions: batchWriteParams.requests.map((r) => r.action), objectIDs: batchWriteParams.requests.map((r) => r.body.objectID) });
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await sleep(options.delayMs ?? 5);
        const error = options.failOn?.(call);
        if (error) throw error;
        taskID += 1;
        return { taskID, objectIDs: batchWriteParams.requests.map((r) => r.body.objectID) };
      } finally {
        inFlight -= 1;
      }
    },
    async waitForTask({ taskID: id }: { indexName: string; taskID: number }) {
      waited.push(id);
      return { status: 'published' };
    },
  };
  return { client: client as unknown as AlgoliaClient, calls, waited, maxInFlight: () => maxInFlight };
}

function updates(n: number): AlgoliaRecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ objectID: `o${i}`, customerDispo: 'disponible' }));
}

describe('chunk', () => {
  it('groups sync and async sources', async () => {
    const collect = async <T>(source: AsyncIterable<T[]>) => {
      const out: T[][] = [];
      for await (const part of source) out.push(part);
      return out;
    };
    expect(await collect(chunk([1, 2, 3, 4, 5], 2))).toEqual([[1, 2], [3, 4], [5]]);
    expect(await collect(chunk([], 2))).toEqual([]);
    async function* gen() {
      yield 'a';
      yield 'b';
    }
    expect(await collect(chunk(gen(), 2))).toEqual([['a', 'b']]);
    await expect(collect(chunk([1], 0))).rejects.toThrow(RangeError);
  });
});

describe('partialUpdateBatches', () => {
  it('sends partialUpdateObjectNoCreate batches, at most maxInFlight at once, and waits for the highest task', async () => {
    const stand = standInClient();
    const result = await partialUpdateBatches(stand.client, 'offers', updates(2500), { batchSize: 200, maxInFlight: 3 });
    expect(result).toEqual({ records: 2500, batches: 13, lastTaskID: 113, refused: [] });
    expect(stand.maxInFlight()).toBe(3);
    expect(new Set(stand.calls.flatMap((c) => c.actions))).toEqual(new Set(['partialUpdateObjectNoCreate']));
    expect(stand.calls.map((c) => c.objectIDs.length)).toEqual([...Array<number>(12).fill(200), 100]);
    expect(stand.waited).toEqual([113]);
  });

  it('uses partialUpdateObject with createIfNotExists', async () => {
    const stand = standInClient();
    await partialUpdateBatches(stand.client, 'offers', updates(3), { createIfNotExists: true });
    expect(stand.calls[0]?.actions).toEqual(['partialUpdateObject', 'partialUpdateObject', 'partialUpdateObject']);
  });

  it('reads an async source only as fast as batches go out', async () => {
    const stand = standInClient({ delayMs: 20 });
    let produced = 0;
    let maxAhead = 0;
    async function* source() {
      for (let i = 0; i < 1000; i += 1) {
        produced += 1;
        const sent = stand.calls.reduce((n, c) => n + c.objectIDs.length, 0);
        maxAhead = Math.max(maxAhead, produced - sent);
        yield { objectID: `o${i}` };
      }
    }
    await sendBatches(stand.client, 'offers', 'partialUpdateObjectNoCreate', source(), { batchSize: 50, maxInFlight: 2 });
    // one batch being filled, never the whole source
    expect(maxAhead).toBeLessThanOrEqual(50);
  });

  it('sends nothing and waits for nothing without updates', async () => {
    const stand = standInClient();
    expect(await partialUpdateBatches(stand.client, 'offers', [])).toEqual({ records: 0, batches: 0, lastTaskID: undefined, refused: [] });
    expect(stand.waited).toEqual([]);
  });

  it('fails with the error of a batch that failed for good, and sends no new batch after it', async () => {
    const permanent = Object.assign(new Error('bad request'), { status: 400 });
    const stand = standInClient({ failOn: (call) => (call === 2 ? permanent : undefined) });
    await expect(partialUpdateBatches(stand.client, 'offers', updates(2000), { batchSize: 100, maxInFlight: 2 })).rejects.toBe(permanent);
    expect(stand.calls.length).toBeLessThanOrEqual(4);
    expect(stand.waited).toEqual([]);
  });

  it('retries a transient failure of one batch', async () => {
    const unavailable = Object.assign(new Error('unavailable'), { status: 503 });
    const stand = standInClient({ failOn: (call) => (call === 1 ? unavailable : undefined) });
    const result = await partialUpdateBatches(stand.client, 'offers', updates(10), { retry: { baseDelayMs: 1 } });
    expect(result.records).toBe(10);
    expect(stand.calls).toHaveLength(2);
  });

  it('refuses records without objectID and bad options', async () => {
    const stand = standInClient();
    await expect(partialUpdateBatches(stand.client, 'offers', [{ objectID: '' }])).rejects.toThrow(TypeError);
    await expect(partialUpdateBatches(stand.client, 'offers', updates(1), { batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(partialUpdateBatches(stand.client, 'offers', updates(1), { maxInFlight: 0 })).rejects.toThrow(RangeError);
  });
});

describe('saveRecords', () => {
  it('sends updateObject batches one at a time by default, in order', async () => {
    const stand = standInClient();
    const result = await saveRecords(stand.client, 'returns', updates(25), { batchSize: 10 });
    expect(result.batches).toBe(3);
    expect(stand.maxInFlight()).toBe(1);
    expect(stand.calls.flatMap((c) => c.objectIDs)).toEqual(updates(25).map((u) => u.objectID));
    expect(new Set(stand.calls.flatMap((c) => c.actions))).toEqual(new Set(['updateObject']));
  });

  it('can send addObject', async () => {
    const stand = standInClient();
    await saveRecords(stand.client, 'returns', updates(2), { action: 'addObject' });
    expect(stand.calls[0]?.actions).toEqual(['addObject', 'addObject']);
  });
});
