// The person lookup client of arena-ingest against the person lookup emulator over real HTTP:
// found, 404, failures (status, network, timeout), the bearer token, the cache and its bounds.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPersonLookup, type PersonLookupOptions } from '../apps/arena-ingest/src/person-lookup.ts';
import { fnrOf, startArenaPersonEmulator, type ArenaPersonEmulator } from './emulators/arena-person.ts';
import { freePort } from './infra/process.ts';

let emulator: ArenaPersonEmulator;
const lookups: Array<{ close(): void }> = [];
beforeAll(async () => {
  emulator = await startArenaPersonEmulator({ token: 'person-lookup-token-123' });
});
afterAll(async () => {
  for (const l of lookups) l.close();
  await emulator.close();
});

function lookup(options: Partial<PersonLookupOptions> = {}) {
  const created = createPersonLookup({ url: emulator.url, token: 'person-lookup-token-123', timeoutMs: 2000, concurrency: 4, cacheSize: 100, cacheTtlMs: 60_000, ...options });
  lookups.push(created);
  return created;
}

describe('person lookup', () => {
  test('found, unknown (404) and failing persons, each once', async () => {
    emulator.unknown.add('404');
    emulator.failFor(['503'], 503);
    const client = lookup();
    const results = await client.lookup(['1', '404', '503', '1']);
    expect(results).toEqual(
      new Map([
        ['1', { kind: 'found', ident: fnrOf('1') }],
        ['404', { kind: 'notFound' }],
        ['503', { kind: 'failed', reason: 'HTTP 503' }],
      ]),
    );
    expect(client.requests).toBe(3);
    emulator.clearFailures();
  });

  test('found persons are cached (bounded, least recently used out first, with a time to live)', async () => {
    let now = 0;
    const client = lookup({ cacheSize: 2, cacheTtlMs: 1000, now: () => now });
    await client.lookup(['11', '12']);
    await client.lookup(['11', '12']);
    expect(client.requests).toBe(2);
    await client.lookup(['11', '13']); // 12 is the least recently used: out
    await client.lookup(['11', '12']);
    expect(client.requests).toBe(4);
    now = 5000; // expired
    await client.lookup(['11']);
    expect(client.requests).toBe(5);
    await client.lookup(['404']);
    await client.lookup(['404']);
    expect(client.requests).toBe(7); // not-found answers are not cached
  });

  test('a wrong token, a closed port and a slow answer are failures, never exceptions', async () => {
    expect(await lookup({ token: 'wrong-token-456' }).lookup(['21'])).toEqual(new Map([['21', { kind: 'failed', reason: 'HTTP 401' }]]));
    const closed = `http://127.0.0.1:${await freePort()}/api/ords/fnr`;
    expect(await lookup({ url: closed }).lookup(['22'])).toEqual(new Map([['22', { kind: 'failed', reason: 'network error ECONNREFUSED' }]]));
    emulator.setDelay(500);
    try {
      expect(await lookup({ timeoutMs: 100 }).lookup(['23'])).toEqual(new Map([['23', { kind: 'failed', reason: 'no answer within 100 ms' }]]));
    } finally {
      emulator.setDelay(0);
    }
  });
});
