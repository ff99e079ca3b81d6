// The Algolia emulator through the REAL algoliasearch v5 client (and the @syncfleet/algolia
// adapters): batch actions, browse with cursor, operations and the logs dispo-patcher reads,
// tasks, index listing, Algolia-shaped errors, auth, failure injection and the standalone mode.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { algoliasearch, type Algoliasearch } from 'algoliasearch';
import { describe, expect, test as base } from 'vitest';
import { browseAll, createAlgoliaClient, findIndexMovesSince, partialUpdateBatches, saveRecords } from '@syncfleet/algolia';
import { generateOffers, startAlgoliaEmulator, type AlgoliaEmulator, type AlgoliaEmulatorOptions } from './algolia.ts';

interface Fixtures {
  emulatorOptions: AlgoliaEmulatorOptions;
  emulator: AlgoliaEmulator;
  client: Algoliasearch;
}

const test = base.extend<Fixtures>({
  emulatorOptions: [{}, { injected: true }],
  emulator: async ({ emulatorOptions }, use) => {
    const emulator = await startAlgoliaEmulator(emulatorOptions);
    await use(emulator);
    await emulator.close();
  },
  client: async ({ emulator }, use) => {
    // the real client, unchanged: only its hosts point at the emulator
    await use(algoliasearch(emulator.appId, emulator.apiKey, { hosts: [{ url: emulator.host, accept: 'readWrite', protocol: 'http' }] }));
  },
});

function records(n: number, prefix = 'r'): Array<{ objectID: string; n: number; name: string }> {
  return Array.from({ length: n }, (_, i) => ({ objectID: `${prefix}${String(i).padStart(5, '0')}`, n: i, name: `record ${i}` }));
}

async function rawRequest(emulator: AlgoliaEmulator, path: string, init: RequestInit & { auth?: boolean } = {}): Promise<Response> {
  const { auth = true, headers, ...rest } = init;
  return fetch(`${emulator.url}${path}`, {
    ...rest,
    headers: {
      ...(auth ? { 'x-algolia-application-id': emulator.appId, 'x-algolia-api-key': emulator.apiKey } : {}),
      ...(headers as Record<string, string> | undefined),
    },
  });
}

describe('batch', () => {
  test('every action the client sends, answered with taskID and objectIDs', async ({ client, emulator }) => {
    const [saved] = await client.saveObjects({ indexName: 'items', objects: records(3), waitForTasks: true });
    expect(saved).toEqual({ taskID: expect.any(Number) as unknown, objectIDs: ['r00000', 'r00001', 'r00002'] });
    expect(emulator.indices.size('items')).toBe(3);

    const response = await client.batch({
      indexName: 'items',
      batchWriteParams: {
        requests: [
          { action: 'updateObject', body: { objectID: 'r00000', replaced: true } },
          { action: 'partialUpdateObject', body: { objectID: 'r00001', extra: 1 } },
          { action: 'partialUpdateObject', body: { objectID: 'created', extra: 2 } },
          { action: 'partialUpdateObjectNoCreate', body: { objectID: 'r00002', extra: 3 } },
          { action: 'partialUpdateObjectNoCreate', body: { objectID: 'missing', extra: 4 } },
          { action: 'addObject', body: { name: 'no id' } },
          { action: 'deleteObject', body: { objectID: 'r00002' } },
        ],
      },
    });
    expect(response.taskID).toBeGreaterThan(saved!.taskID);
    expect(response.objectIDs.slice(0, 5)).toEqual(['r00000', 'r00001', 'created', 'r00002', 'missing']);
    const generatedID = response.objectIDs[5]!;
    expect(generatedID).toMatch(/^\d+$/);

    expect(emulator.indices.get('items', 'r00000')).toEqual({ objectID: 'r00000', replaced: true });
    expect(emulator.indices.get('items', 'r00001')).toEqual({ objectID: 'r00001', n: 1, name: 'record 1', extra: 1 });
    expect(emulator.indices.get('items', 'created')).toEqual({ objectID: 'created', extra: 2 });
    // partialUpdateObjectNoCreate never creates; r00002 was updated, then deleted in the same batch
    expect(emulator.indices.get('items', 'missing')).toBeUndefined();
    expect(emulator.indices.get('items', 'r00002')).toBeUndefined();
    expect(emulator.indices.get('items', generatedID)).toEqual({ objectID: generatedID, name: 'no id' });
    // written: update, 2 partial (one created), 1 partial no-create, add, delete; the no-create on a missing record writes nothing
    expect(emulator.counters.writtenRecords).toBe(3 + 6);

    await client.batch({ indexName: 'items', batchWriteParams: { requests: [{ action: 'clear', body: {} }] } });
    expect(emulator.indices.has('items')).toBe(true);
    expect(emulator.indices.size('items')).toBe(0);
    await client.batch({ indexName: 'items', batchWriteParams: { requests: [{ action: 'delete', body: {} }] } });
    expect(emulator.indices.has('items')).toBe(false);
  });

  test('the client helpers: partialUpdateObjects with and without createIfNotExists, deleteObjects, single-record calls', async ({ client, emulator }) => {
    await client.saveObjects({ indexName: 'items', objects: records(2) });
    await client.partialUpdateObjects({ indexName: 'items', objects: [{ objectID: 'r00000', a: 1 }, { objectID: 'ghost', a: 1 }], createIfNotExists: false });
    expect(emulator.indices.get('items', 'ghost')).toBeUndefined();
    expect(emulator.indices.get('items', 'r00000')?.a).toBe(1);
    await client.partialUpdateObjects({ indexName: 'items', objects: [{ objectID: 'ghost', a: 2 }], createIfNotExists: true });
    expect(emulator.indices.get('items', 'ghost')).toEqual({ objectID: 'ghost', a: 2 });

    await client.partialUpdateObject({ indexName: 'items', objectID: 'r00001', attributesToUpdate: { count: { _operation: 'Increment', value: 2 } } });
    expect(emulator.indices.get('items', 'r00001')?.count).toBe(2);
    await client.partialUpdateObject({ indexName: 'items', objectID: 'nobody', attributesToUpdate: { a: 1 }, createIfNotExists: false });
    expect(emulator.indices.get('items', 'nobody')).toBeUndefined();

    const added = await client.saveObject({ indexName: 'items', body: { title: 'auto id' } });
    expect(added).toEqual({ createdAt: expect.any(String) as unknown, taskID: expect.any(Number) as unknown, objectID: expect.any(String) as unknown });
    await client.addOrUpdateObject({ indexName: 'items', objectID: 'put', body: { v: 1 } });
    expect(await client.getObject({ indexName: 'items', objectID: 'put' })).toEqual({ objectID: 'put', v: 1 });
    expect(await client.getObject({ indexName: 'items', objectID: 'r00001', attributesToRetrieve: ['n'] })).toEqual({ objectID: 'r00001', n: 1 });

    await client.deleteObjects({ indexName: 'items', objectIDs: ['r00000', 'ghost'] });
    await client.deleteObject({ indexName: 'items', objectID: 'put' });
    expect(emulator.indices.list()).toEqual(['items']);
    expect(emulator.indices.all('items').map((r) => r.objectID)).toEqual(['r00001', added.objectID]);

    const { results } = await client.getObjects({
      requests: [
        { indexName: 'items', objectID: 'r00001', attributesToRetrieve: ['name'] },
        { indexName: 'items', objectID: 'r00000' },
      ],
    });
    expect(results).toEqual([{ objectID: 'r00001', name: 'record 1' }, null]);
  });

  test('multi-index batch (POST /1/indexes/*/batch)', async ({ client, emulator }) => {
    const response = await client.multipleBatch({
      requests: [
        { action: 'addObject', indexName: 'a', body: { objectID: '1' } },
        { action: 'addObject', indexName: 'b', body: { objectID: '2' } },
        { action: 'partialUpdateObjectNoCreate', indexName: 'b', body: { objectID: '3', x: 1 } },
      ],
    });
    expect(Object.keys(response.taskID).sort()).toEqual(['a', 'b']);
    expect(response.objectIDs).toEqual(['1', '2', '3']);
    expect(emulator.indices.list()).toEqual(['a', 'b']);
    expect(emulator.indices.size('b')).toBe(1);
  });

  test('a gzip-compressed request body (client option compression: gzip)', async ({ emulator }) => {
    const client = algoliasearch(emulator.appId, emulator.apiKey, {
      hosts: [{ url: emulator.host, accept: 'readWrite', protocol: 'http' }],
      compression: 'gzip',
    });
    await client.saveObjects({ indexName: 'zipped', objects: records(50) });
    expect(emulator.indices.size('zipped')).toBe(50);
    const [entry] = emulator.logs.entries({ type: 'build' });
    expect(entry?.query_body.startsWith('{"requests":[')).toBe(true);
  });

  test('a batch with an invalid request is refused whole (400, nothing applied)', async ({ client, emulator }) => {
    const refused = client.batch({
      indexName: 'items',
      batchWriteParams: {
        requests: [
          { action: 'addObject', body: { objectID: 'ok' } },
          { action: 'updateObject', body: { noId: true } },
        ],
      },
    });
    await expect(refused).rejects.toMatchObject({ status: 400 });
    expect(emulator.indices.size('items')).toBe(0);
  });

  test("a record over the size limit: the batch is refused whole with Algolia's 400, naming its position and objectID", async () => {
    const small = await startAlgoliaEmulator({ maxRecordBytes: 200 });
    try {
      const client = algoliasearch(small.appId, small.apiKey, { hosts: [{ url: small.host, accept: 'readWrite', protocol: 'http' }] });
      const big = { objectID: 'big', text: 'x'.repeat(300) };
      const requests = [{ action: 'addObject' as const, body: { objectID: 'ok' } }, { action: 'updateObject' as const, body: big }];
      const refused = client.batch({ indexName: 'items', batchWriteParams: { requests } });
      await expect(refused).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^Record at the position 1 objectID=big is too big size=3\d\d\/200 bytes\./) as unknown });
      expect(small.indices.size('items')).toBe(0);
      await expect(client.partialUpdateObject({ indexName: 'items', objectID: 'ok', attributesToUpdate: { text: 'y'.repeat(300) } })).rejects.toMatchObject({ status: 400 });
      await client.batch({ indexName: 'items', batchWriteParams: { requests: [requests[0]!] } });
      expect(small.indices.size('items')).toBe(1);
    } finally {
      await small.close();
    }
  });
});

describe('refused records (isolateRefused)', () => {
  test('one record over the size limit among 2,500: the others are saved, it is reported with the reason, nothing else is refused', async () => {
    const small = await startAlgoliaEmulator({ maxRecordBytes: 200 });
    try {
      const client = createAlgoliaClient({ appId: small.appId, apiKey: small.apiKey, hosts: [small.url] });
      const input = records(2500).map((r) => (r.objectID === 'r01234' ? { ...r, text: 'x'.repeat(300) } : r));
      const result = await saveRecords(client, 'items', input, { batchSize: 1000, maxInFlight: 2, isolateRefused: 10 });
      expect(result.refused).toEqual([{ objectID: 'r01234', reason: expect.stringMatching(/^Record at the position 0 objectID=r01234 is too big size=\d+\/200 bytes/) as unknown }]);
      expect(result.records).toBe(2499);
      expect(small.indices.size('items')).toBe(2499);
      expect(small.indices.get('items', 'r01234')).toBeUndefined();
      // halving found it: far fewer requests than one per record
      expect(small.counters.requestsByRoute['POST /1/indexes/:index/batch']).toBeLessThan(30);
    } finally {
      await small.close();
    }
  });

  test('more refused records than allowed fail the write with the last reason; without the option a 400 fails it as before', async () => {
    const small = await startAlgoliaEmulator({ maxRecordBytes: 200 });
    try {
      const client = createAlgoliaClient({ appId: small.appId, apiKey: small.apiKey, hosts: [small.url] });
      const input = records(50).map((r, i) => (i % 10 === 3 ? { ...r, text: 'x'.repeat(300) } : r));
      await expect(saveRecords(client, 'items', input, { batchSize: 50, isolateRefused: 4 })).rejects.toThrow(
        /^Algolia refused more than 4 record\(s\) of this write \(the last: objectID=r00043: Record at the position 0 objectID=r00043 is too big/,
      );
      await expect(saveRecords(client, 'other', input, { batchSize: 50 })).rejects.toMatchObject({ status: 400 });
      expect(small.indices.size('other')).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe('browse', () => {
  test('2,500 records: each exactly once, cursor present until the last page and absent on it', async ({ client, emulator }) => {
    emulator.indices.put('big', records(2500));
    const pages: Array<{ hits: number; hasCursorKey: boolean }> = [];
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const page = await client.browse({ indexName: 'big', browseParams: { hitsPerPage: 1000, ...(cursor ? { cursor } : {}) } });
      pages.push({ hits: page.hits.length, hasCursorKey: 'cursor' in page });
      for (const hit of page.hits) seen.set(hit.objectID, (seen.get(hit.objectID) ?? 0) + 1);
      expect(page.nbHits).toBe(2500);
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(pages).toEqual([
      { hits: 1000, hasCursorKey: true },
      { hits: 1000, hasCursorKey: true },
      { hits: 500, hasCursorKey: false },
    ]);
    expect(seen.size).toBe(2500);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);

    // the client's own helper stops (it loops while `cursor` is defined)
    let helperHits = 0;
    await client.browseObjects({ indexName: 'big', aggregator: (response) => void (helperHits += response.hits.length) });
    expect(helperHits).toBe(2500);

    // an index of exactly one page: no cursor at all
    emulator.indices.put('one-page', records(1000));
    const only = await client.browse({ indexName: 'one-page' });
    expect(only.hits).toHaveLength(1000);
    expect('cursor' in only).toBe(false);
  });

  test('browseAll yields pages with the attributes asked for; hitsPerPage and the GET form work', async ({ emulator }) => {
    emulator.indices.put('big', records(2500));
    const client = createAlgoliaClient({ appId: emulator.appId, apiKey: emulator.apiKey, hosts: [emulator.url] });
    const sizes: number[] = [];
    for await (const page of browseAll(client, 'big', { attributesToRetrieve: ['n'], hitsPerPage: 700 })) {
      sizes.push(page.length);
      expect(Object.keys(page[0]!).sort()).toEqual(['n', 'objectID']);
    }
    expect(sizes).toEqual([700, 700, 700, 400]);

    const response = await rawRequest(emulator, '/1/indexes/big/browse?hitsPerPage=2000&attributesToRetrieve=name');
    const body = (await response.json()) as { hits: Array<Record<string, unknown>>; cursor?: string; hitsPerPage: number };
    expect(body.hitsPerPage).toBe(1000);
    expect(body.hits[0]).toEqual({ objectID: 'r00000', name: 'record 0' });
    const next = (await (await rawRequest(emulator, `/1/indexes/big/browse?cursor=${body.cursor}`)).json()) as { hits: Array<Record<string, unknown>> };
    // the cursor carries the parameters of the browse it continues
    expect(next.hits[0]).toEqual({ objectID: 'r01000', name: 'record 1000' });
  });

  test('consistent while writes happen: every record present throughout is returned exactly once', async ({ client, emulator }) => {
    emulator.indices.put('live', records(3000));
    // after the first page: delete 2,100 records on both sides of the cursor (enough to compact the store)
    const deleted = (n: number) => n >= 200 && n % 4 !== 0;
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    let page = 0;
    do {
      const response = await client.browse({ indexName: 'live', browseParams: { hitsPerPage: 500, ...(cursor ? { cursor } : {}) } });
      for (const hit of response.hits) seen.set(hit.objectID, (seen.get(hit.objectID) ?? 0) + 1);
      cursor = response.cursor;
      if (page === 0) {
        const deletions = records(3000)
          .filter((r) => deleted(r.n))
          .map((r) => ({ action: 'deleteObject' as const, body: { objectID: r.objectID } }));
        await client.batch({ indexName: 'live', batchWriteParams: { requests: deletions } });
        await client.partialUpdateObjects({ indexName: 'live', objects: [{ objectID: 'r02000', touched: true }, { objectID: 'r00010', touched: true }] });
        await client.saveObjects({ indexName: 'live', objects: records(10, 'new') });
      }
      page += 1;
    } while (cursor !== undefined);
    for (const r of records(3000)) {
      if (!deleted(r.n)) expect(seen.get(r.objectID), r.objectID).toBe(1);
      else if (r.n >= 500) expect(seen.has(r.objectID), r.objectID).toBe(false);
    }
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(emulator.indices.size('live')).toBe(3000 - 2100 + 10);
  });

  test('a cursor that is not one is a 400; a missing index is a 404', async ({ client, emulator }) => {
    emulator.indices.put('x', records(1));
    await expect(client.browse({ indexName: 'x', browseParams: { cursor: 'garbage' } })).rejects.toMatchObject({ status: 400, message: 'Cursor is not valid' });
    await expect(client.browse({ indexName: 'nope' })).rejects.toMatchObject({ status: 404, message: 'Index does not exist' });
  });
});

describe('operations, tasks and indices', () => {
  test('move replaces the destination and removes the source; moving a missing source is ignored', async ({ client, emulator }) => {
    emulator.indices.put('offers', records(5, 'old'));
    await client.setSettings({ indexName: 'offers_tmp', indexSettings: { searchableAttributes: ['name'] } });
    await client.saveObjects({ indexName: 'offers_tmp', objects: records(3, 'new') });
    const moved = await client.operationIndex({ indexName: 'offers_tmp', operationIndexParams: { operation: 'move', destination: 'offers' } });
    expect(moved).toEqual({ taskID: expect.any(Number) as unknown, updatedAt: expect.any(String) as unknown });
    await client.waitForTask({ indexName: 'offers_tmp', taskID: moved.taskID });
    expect(emulator.indices.list()).toEqual(['offers']);
    expect(emulator.indices.all('offers').map((r) => r.objectID)).toEqual(['new00000', 'new00001', 'new00002']);
    expect((await client.getSettings({ indexName: 'offers' })).searchableAttributes).toEqual(['name']);

    await client.operationIndex({ indexName: 'absent', operationIndexParams: { operation: 'move', destination: 'offers' } });
    expect(emulator.indices.size('offers')).toBe(3);
  });

  test('copy: whole index, or only the scopes asked for (records of the destination kept)', async ({ client, emulator }) => {
    await client.saveObjects({ indexName: 'src', objects: records(4) });
    await client.setSettings({ indexName: 'src', indexSettings: { customRanking: ['desc(n)'] } });
    await client.operationIndex({ indexName: 'src', operationIndexParams: { operation: 'copy', destination: 'full' } });
    expect(emulator.indices.size('full')).toBe(4);
    expect(emulator.indices.size('src')).toBe(4);
    // independent copies
    await client.deleteObject({ indexName: 'src', objectID: 'r00000' });
    expect(emulator.indices.size('full')).toBe(4);
    expect((await client.getSettings({ indexName: 'full' })).customRanking).toEqual(['desc(n)']);

    await client.saveObjects({ indexName: 'scoped', objects: records(2, 'own') });
    await client.operationIndex({ indexName: 'src', operationIndexParams: { operation: 'copy', destination: 'scoped', scope: ['settings'] } });
    expect(emulator.indices.all('scoped').map((r) => r.objectID)).toEqual(['own00000', 'own00001']);
    expect(emulator.indices.settings('scoped')).toEqual({ customRanking: ['desc(n)'] });

    // the client's replaceAllObjects (copy with scope, batches, move, waitForTask)
    await client.replaceAllObjects({ indexName: 'src', objects: records(7, 'repl'), batchSize: 3 });
    expect(emulator.indices.all('src').map((r) => r.objectID)).toEqual(records(7, 'repl').map((r) => r.objectID));
    expect(emulator.indices.list()).toEqual(['full', 'scoped', 'src']);
  });

  test('waitForTask polls until the task is published', async ({ emulator }) => {
    const slow = await startAlgoliaEmulator({ taskDelayMs: 150 });
    try {
      const client = algoliasearch(slow.appId, slow.apiKey, { hosts: [{ url: slow.host, accept: 'readWrite', protocol: 'http' }] });
      const { taskID } = await client.batch({ indexName: 'items', batchWriteParams: { requests: [{ action: 'addObject', body: { objectID: '1' } }] } });
      expect(await client.getTask({ indexName: 'items', taskID })).toEqual({ status: 'notPublished' });
      const started = Date.now();
      await client.waitForTask({ indexName: 'items', taskID });
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(slow.counters.requestsByRoute['GET /1/indexes/:index/task/:taskID']).toBeGreaterThanOrEqual(3);
      expect(await client.getTask({ indexName: 'items', taskID })).toEqual({ status: 'published' });
      await expect(client.getTask({ indexName: 'items', taskID: taskID + 1000 })).rejects.toMatchObject({ status: 404 });
      // a move is answered (and logged) at once, and takes effect when its task is published
      const move = await client.operationIndex({ indexName: 'items', operationIndexParams: { operation: 'move', destination: 'moved' } });
      expect(slow.indices.list()).toEqual(['items']);
      await client.waitForTask({ indexName: 'items', taskID: move.taskID });
      expect(slow.indices.list()).toEqual(['moved']);
    } finally {
      await slow.close();
    }
    // the default emulator publishes at once
    const client = algoliasearch(emulator.appId, emulator.apiKey, { hosts: [{ url: emulator.host, accept: 'readWrite', protocol: 'http' }] });
    const { taskID } = await client.batch({ indexName: 'items', batchWriteParams: { requests: [{ action: 'addObject', body: { objectID: '1' } }] } });
    expect(await client.getTask({ indexName: 'items', taskID })).toEqual({ status: 'published' });
  });

  test('listIndices: name, entries, createdAt, updatedAt...', async ({ client }) => {
    await client.saveObjects({ indexName: 'b-index', objects: records(3) });
    await client.setSettings({ indexName: 'a-index', indexSettings: {} });
    const { items } = await client.listIndices();
    expect(items.map((i) => [i.name, i.entries])).toEqual([
      ['a-index', 0],
      ['b-index', 3],
    ]);
    const item = items[1]!;
    expect(Date.parse(item.updatedAt)).not.toBeNaN();
    expect(Date.parse(item.createdAt)).not.toBeNaN();
    expect(item).toMatchObject({ dataSize: expect.any(Number) as unknown, fileSize: expect.any(Number) as unknown, numberOfPendingTasks: 0, pendingTask: false, lastBuildTimeS: 0 });
  });

  test('settings, clear and delete', async ({ client, emulator }) => {
    await client.saveObjects({ indexName: 'items', objects: records(3) });
    expect((await client.getSettings({ indexName: 'items' })).hitsPerPage).toBe(20);
    await client.setSettings({ indexName: 'items', indexSettings: { hitsPerPage: 50, attributesForFaceting: ['name'] } });
    expect(await client.getSettings({ indexName: 'items' })).toMatchObject({ hitsPerPage: 50, attributesForFaceting: ['name'] });
    await client.clearObjects({ indexName: 'items' });
    expect(emulator.indices.size('items')).toBe(0);
    expect((await client.getSettings({ indexName: 'items' })).hitsPerPage).toBe(50);
    const deleted = await client.deleteIndex({ indexName: 'items' });
    expect(deleted).toEqual({ taskID: expect.any(Number) as unknown, deletedAt: expect.any(String) as unknown });
    expect(await client.indexExists({ indexName: 'items' })).toBe(false);
  });

  test('search: every word of the query, accents and case ignored, paginated', async ({ client, emulator }) => {
    emulator.indices.put('offers', generateOffers(300, 5));
    const all = await client.searchSingleIndex({ indexName: 'offers', searchParams: { query: '' } });
    expect(all.nbHits).toBe(300);
    expect(all.hits).toHaveLength(20);
    const citroen = await client.searchSingleIndex<{ brand: string }>({ indexName: 'offers', searchParams: { query: 'CITROEN', hitsPerPage: 1000 } });
    expect(citroen.nbHits).toBeGreaterThan(0);
    expect(citroen.hits.every((h) => h.brand === 'Citroën')).toBe(true);
    const { results } = await client.search({ requests: [{ indexName: 'offers', query: 'en stock', hitsPerPage: 1 }] });
    expect(results[0]).toMatchObject({ hitsPerPage: 1, index: 'offers' });
    await expect(client.searchSingleIndex({ indexName: 'offers', searchParams: { filters: 'nature:1' } })).rejects.toMatchObject({ status: 400 });
  });
});

describe('logs', () => {
  test('a move is logged newest first, every field a string, url /1/indexes/<source>/operation and its JSON body', async ({ client }) => {
    await client.saveObjects({ indexName: 'offers_tmp', objects: records(2) });
    await client.operationIndex({ indexName: 'offers_tmp', operationIndexParams: { operation: 'move', destination: 'offers' } });
    await client.searchSingleIndex({ indexName: 'offers', searchParams: { query: 'record' } });

    const { logs } = await client.getLogs({ type: 'build' });
    expect(logs.map((l) => l.url)).toEqual(['/1/indexes/offers_tmp/operation', '/1/indexes/offers_tmp/batch']);
    const [move] = logs;
    expect(move).toMatchObject({
      method: 'POST',
      answer_code: '200',
      url: '/1/indexes/offers_tmp/operation',
      query_body: '{"operation":"move","destination":"offers"}',
      index: 'offers_tmp',
      nb_api_calls: '1',
    });
    for (const [field, value] of Object.entries(move!)) expect(typeof value, field).toBe('string');
    expect(move!.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(move!.answer).toMatch(/^\{"taskID":\d+,"updatedAt":"/);
    expect(move!.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(move!.query_headers).toContain('x-algolia-application-id: ');
    // the API key is obfuscated
    expect(move!.query_headers).not.toContain(client.apiKey);

    const everything = await client.getLogs({ length: 100 });
    expect(everything.logs[0]?.url).toBe('/1/indexes/offers/query');
    expect(everything.logs[0]?.query_nb_hits).toBe('2');
    const queries = await client.getLogs({ type: 'query' });
    expect(queries.logs.map((l) => l.url)).toEqual(['/1/indexes/offers/query']);
  });

  test('offset/length paging, indexName and error filters, bounded size', async () => {
    const small = await startAlgoliaEmulator({ logCapacity: 5 });
    try {
      const client = algoliasearch(small.appId, small.apiKey, { hosts: [{ url: small.host, accept: 'readWrite', protocol: 'http' }] });
      for (let i = 0; i < 8; i += 1) await client.saveObjects({ indexName: `i${i}`, objects: records(1) });
      const { logs } = await client.getLogs({ length: 1000 });
      expect(logs.map((l) => l.index)).toEqual(['i7', 'i6', 'i5', 'i4', 'i3']);
      expect((await client.getLogs({ offset: 1, length: 2 })).logs.map((l) => l.index)).toEqual(['i6', 'i5']);
      expect((await client.getLogs({ indexName: 'i5' })).logs).toHaveLength(1);
      await expect(client.getObject({ indexName: 'i7', objectID: 'nope' })).rejects.toMatchObject({ status: 404 });
      const errors = await client.getLogs({ type: 'error' });
      expect(errors.logs.map((l) => [l.url, l.answer_code])).toEqual([['/1/indexes/i7/nope', '404']]);
      // getLogs itself is not logged
      expect(small.logs.entries().some((e) => e.url === '/1/logs')).toBe(false);
    } finally {
      await small.close();
    }
  });

  test('findIndexMovesSince: moves of source onto destination newer than since, newest first', async () => {
    let now = new Date('2026-03-01T10:00:00.400Z');
    const emulator = await startAlgoliaEmulator({ clock: () => now });
    try {
      const client = createAlgoliaClient({ appId: emulator.appId, apiKey: emulator.apiKey, hosts: [emulator.url] });
      const move = (source: string, destination: string) => client.operationIndex({ indexName: source, operationIndexParams: { operation: 'move', destination } });
      await move('offers_tmp', 'offers');
      now = new Date('2026-03-01T10:05:00Z');
      await client.operationIndex({ indexName: 'offers', operationIndexParams: { operation: 'copy', destination: 'offers_tmp' } });
      await move('other_tmp', 'offers');
      await move('offers_tmp', 'elsewhere');
      for (let i = 0; i < 7; i += 1) await client.saveObjects({ indexName: 'offers_tmp', objects: records(1) });
      now = new Date('2026-03-01T10:07:30Z');
      await move('offers_tmp', 'offers');
      // a failed move is logged (answer_code 503) but is not a move
      emulator.inject({ errorRate: 1, onlyPaths: /\/operation$/ });
      await expect(move('offers_tmp', 'offers')).rejects.toThrow();
      emulator.inject(null);

      const all = await findIndexMovesSince(client, { source: 'offers_tmp', destination: 'offers', since: null, pageLength: 3 });
      expect(all.map((m) => m.at.toISOString())).toEqual(['2026-03-01T10:07:30.000Z', '2026-03-01T10:00:00.000Z']);
      expect(all[0]).toMatchObject({ source: 'offers_tmp', destination: 'offers', taskID: expect.any(Number) as unknown, sha1: expect.stringMatching(/^[0-9a-f]{40}$/) as unknown });

      const newer = await findIndexMovesSince(client, { source: 'offers_tmp', destination: 'offers', since: new Date('2026-03-01T10:00:00Z') });
      expect(newer.map((m) => m.at.toISOString())).toEqual(['2026-03-01T10:07:30.000Z']);
      expect(await findIndexMovesSince(client, { source: 'offers_tmp', destination: 'offers', since: newer[0]!.at })).toEqual([]);
    } finally {
      await emulator.close();
    }
  });
});

describe('errors and auth', () => {
  test('404 bodies shaped like Algolia', async ({ client, emulator }) => {
    await client.saveObjects({ indexName: 'items', objects: records(1) });
    await expect(client.getObject({ indexName: 'items', objectID: 'nope' })).rejects.toMatchObject({ status: 404, message: 'ObjectID does not exist' });
    await expect(client.getSettings({ indexName: 'nope' })).rejects.toMatchObject({ status: 404, message: 'Index does not exist' });
    await expect(client.searchSingleIndex({ indexName: 'nope' })).rejects.toMatchObject({ status: 404, message: 'Index does not exist' });
    const raw = await rawRequest(emulator, '/1/indexes/nope/settings');
    expect(raw.status).toBe(404);
    expect(await raw.text()).toBe('{"message":"Index does not exist","status":404}');
    const object = await rawRequest(emulator, '/1/indexes/items/nope');
    expect(await object.text()).toBe('{"message":"ObjectID does not exist","status":404}');
  });

  test('a wrong API key or application ID is a 403', async ({ emulator }) => {
    const hosts = [{ url: emulator.host, accept: 'readWrite' as const, protocol: 'http' as const }];
    await expect(algoliasearch(emulator.appId, 'wrong-key', { hosts }).listIndices()).rejects.toMatchObject({
      status: 403,
      message: 'Invalid Application-ID or API key',
    });
    await expect(algoliasearch('WRONGAPPID', emulator.apiKey, { hosts }).getLogs()).rejects.toMatchObject({ status: 403 });
    const raw = await rawRequest(emulator, '/1/indexes', { auth: false });
    expect(raw.status).toBe(403);
    expect(await raw.text()).toBe('{"message":"Invalid Application-ID or API key","status":403}');
    // credentials as query parameters (the client's WithinQueryParameters mode)
    const viaQuery = await fetch(`${emulator.url}/1/indexes?x-algolia-application-id=${emulator.appId}&x-algolia-api-key=${emulator.apiKey}`);
    expect(viaQuery.status).toBe(200);
  });

  test('index names with spaces and special characters', async ({ client, emulator }) => {
    const name = 'offres d’été / 2026 & co+%';
    await client.saveObjects({ indexName: `${name} tmp`, objects: records(3) });
    await client.operationIndex({ indexName: `${name} tmp`, operationIndexParams: { operation: 'move', destination: name } });
    expect(emulator.indices.list()).toEqual([name]);
    expect(await client.getObject({ indexName: name, objectID: 'r00001' })).toMatchObject({ objectID: 'r00001' });
    const pages = [];
    for await (const page of browseAll(client, name)) pages.push(page.length);
    expect(pages).toEqual([3]);
    const [entry] = emulator.logs.entries({ type: 'build' });
    expect(entry?.index).toBe(`${name} tmp`);
    expect(entry?.url).toBe(`/1/indexes/${encodeURIComponent(`${name} tmp`)}/operation`);
    const moves = await findIndexMovesSince(client, { source: `${name} tmp`, destination: name, since: null });
    expect(moves).toHaveLength(1);
    const { items } = await client.listIndices();
    expect(items.map((i) => i.name)).toEqual([name]);
  });
});

describe('failure injection', () => {
  test('5xx at a rate and 429 with Retry-After: partialUpdateBatches still writes every record exactly once', async ({ client, emulator }) => {
    emulator.indices.put('offers', records(4000));
    emulator.inject({ errorRate: 0.2, status: 503, rateLimitEvery: 4 });
    const updates = records(4000).map((r) => ({ objectID: r.objectID, customerDispo: 'disponible' }));
    // a record deleted meanwhile is not re-created
    emulator.indices.remove('offers', 'r00007');
    const result = await partialUpdateBatches(client, 'offers', updates, { batchSize: 400, maxInFlight: 3, retry: { attempts: 12, baseDelayMs: 20 } });
    emulator.inject(null);
    expect(result).toMatchObject({ records: 4000, batches: 10, lastTaskID: expect.any(Number) as unknown });
    expect(emulator.counters.injectedErrors).toBeGreaterThan(0);
    expect(emulator.counters.injectedRateLimits).toBeGreaterThan(0);
    // failures are answered before any work: each record written once, the deleted one never
    expect(emulator.counters.writtenRecords).toBe(3999);
    expect(emulator.indices.get('offers', 'r00007')).toBeUndefined();
    expect(emulator.indices.all('offers').every((r) => r.customerDispo === 'disponible')).toBe(true);
  });

  test('429 carries Retry-After; onlyPaths narrows; latency is added; counters reset', async ({ client, emulator }) => {
    emulator.inject({ rateLimitEvery: 1, retryAfterSeconds: 3, onlyPaths: /\/batch$/ });
    const limited = await rawRequest(emulator, '/1/indexes/x/batch', { method: 'POST', body: '{"requests":[]}' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toEqual({ message: 'Too many requests', status: 429 });
    // other paths are untouched
    expect((await rawRequest(emulator, '/1/indexes')).status).toBe(200);

    emulator.inject({ latencyMs: 120 });
    const started = Date.now();
    await client.listIndices();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    emulator.inject(null);

    expect(emulator.counters.requests).toBe(3);
    expect(emulator.counters.requestsByRoute).toMatchObject({ 'POST /1/indexes/:index/batch': 1, 'GET /1/indexes': 2 });
    emulator.counters.reset();
    expect(emulator.counters).toMatchObject({ requests: 0, writtenRecords: 0, injectedRateLimits: 0 });
    expect(() => emulator.inject({ errorRate: 2 })).toThrow(RangeError);
  });

  test('the client alone gives up at the first 5xx with one host (hence the adapters retry)', async ({ client, emulator }) => {
    emulator.inject({ errorRate: 1, status: 500 });
    await expect(client.listIndices()).rejects.toMatchObject({ name: 'RetryError' });
    emulator.inject(null);
    // and the host is usable again at once
    expect((await client.listIndices()).items).toEqual([]);
  });
});

describe('adapters for returns-sync', () => {
  test('saveRecords replaces whole records in batches and waits for the last task', async ({ client, emulator }) => {
    emulator.indices.put('returns', [{ objectID: 'r00001', stale: true }]);
    const result = await saveRecords(client, 'returns', records(25), { batchSize: 10 });
    expect(result).toMatchObject({ records: 25, batches: 3 });
    expect(emulator.indices.get('returns', 'r00001')).toEqual({ objectID: 'r00001', n: 1, name: 'record 1' });
    expect(emulator.indices.size('returns')).toBe(25);
  });
});

describe('standalone mode', () => {
  test('prints {url, appId, apiKey} and serves N deterministic offers', async () => {
    const script = join(import.meta.dirname, 'algolia.ts');
    const child = spawn(process.execPath, [script, '--port', '0', '--seed-offers', '1500', '--index', 'offers', '--seed', '9'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
      });
      const printed = JSON.parse(line) as Record<string, string>;
      expect(Object.keys(printed).sort()).toEqual(['apiKey', 'appId', 'url']);
      const client = createAlgoliaClient({ appId: printed.appId!, apiKey: printed.apiKey!, hosts: [printed.url!] });
      const hits = [];
      for await (const page of browseAll(client, 'offers')) hits.push(...page);
      expect(hits).toHaveLength(1500);
      expect(hits[0]).toEqual([...generateOffers(1, 9)][0]);
      const availabilities = new Set(hits.map((h) => h.disponibiliteForFO));
      expect(availabilities).toContain('en stock');
      expect(availabilities.size).toBeGreaterThanOrEqual(5);
      expect(new Set(hits.map((h) => typeof h.nature))).toEqual(new Set(['number', 'string', 'undefined']));
    } finally {
      child.kill('SIGTERM');
    }
  });
});
