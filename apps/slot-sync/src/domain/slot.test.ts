// A WIW shift to the slot we publish (the seed's example), canonical JSON and the cache hash.
import avro from 'avsc';
import { describe, expect, test } from 'vitest';
import { slotValueSchema } from './avro-schemas.ts';
import { bytesHash, cacheEntry, canonicalJson, parseSlot, readCacheEntry, slotFromWiwShift, slotHash, type Slot } from './slot.ts';

// The seed's example shift (lib/slot_sync/shift_processor.ex), as WIW sends it, plus fields WIW
// sends that we do not publish.
const seedShift = {
  account_id: 77967,
  acknowledged: 1,
  acknowledged_at: 'Mon, 01 Oct 2018 15:27:30 +0100',
  actionable: false,
  alerted: false,
  block_id: 0,
  break_time: 0,
  color: '74a611',
  created_at: 'Wed, 26 Sep 2018 12:24:58 +0100',
  creator_id: 5526232,
  end_time: 'Mon, 08 Oct 2018 00:15:00 +0100',
  id: 2076303948,
  instances: 0,
  is_open: false,
  linked_users: null,
  location_id: 3999871,
  notes: '',
  notified_at: 'Tue, 02 Oct 2018 22:32:58 +0100',
  position_id: 709909,
  published: true,
  published_date: 'Wed, 26 Sep 2018 16:59:05 +0100',
  shiftchain_key: '',
  site_id: 3530221,
  start_time: 'Sun, 07 Oct 2018 21:00:00 +0100',
  updated_at: 'Mon, 01 Oct 2018 15:27:30 +0100',
  user_id: 29205212,
  breaks: [],
  is_shared: false,
};

function jsonOf(raw: unknown): string {
  const result = slotFromWiwShift(raw);
  if (!result.ok) throw new Error(`expected a slot: ${result.reason}`);
  return result.json;
}
const slotOf = (raw: unknown): Slot => parseSlot(jsonOf(raw));

describe('slotFromWiwShift', () => {
  test("the seed's example becomes the seed's published message (dates in UTC), and nothing more", () => {
    const result = slotFromWiwShift(seedShift);
    expect(result).toMatchObject({ ok: true, id: 2076303948, startMs: Date.UTC(2018, 9, 7, 20, 0, 0) });
    expect({ ...result, json: result.ok ? parseSlot(result.json) : undefined }).toEqual({
      ok: true,
      id: 2076303948,
      startMs: Date.UTC(2018, 9, 7, 20, 0, 0),
      endMs: Date.UTC(2018, 9, 7, 23, 15, 0),
      json: {
        account_id: 77967,
        acknowledged: 1,
        acknowledged_at: '2018-10-01T14:27:30Z',
        actionable: false,
        alerted: false,
        block_id: 0,
        break_time: 0,
        color: '74a611',
        created_at: '2018-09-26T11:24:58Z',
        creator_id: 5526232,
        end_time: '2018-10-07T23:15:00Z',
        id: 2076303948,
        instances: 0,
        is_open: false,
        linked_users: null,
        location_id: 3999871,
        notes: '',
        notified_at: '2018-10-02T21:32:58Z',
        position_id: 709909,
        published: true,
        published_date: '2018-09-26T15:59:05Z',
        shiftchain_key: '',
        site_id: 3530221,
        start_time: '2018-10-07T20:00:00Z',
        updated_at: '2018-10-01T14:27:30Z',
        user_id: 29205212,
      },
    });
  });

  test('ids above 2^31 (a 32-bit int cannot hold them), half-hour breaks and linked users are kept', () => {
    const slot = slotOf({ ...seedShift, id: 3_000_000_001, break_time: 0.5, linked_users: [29205212, 29205213], is_open: true, user_id: 0 });
    expect(slot).toMatchObject({ id: 3_000_000_001, break_time: 0.5, linked_users: [29205212, 29205213], is_open: true, user_id: 0 });
  });

  test('nullable dates: null, empty or missing become null; booleans sent as 0/1 become booleans', () => {
    const slot = slotOf({ ...seedShift, acknowledged: 0, acknowledged_at: null, notified_at: '', published: 0, published_date: undefined, alerted: 1 });
    expect(slot).toMatchObject({ acknowledged: 0, acknowledged_at: null, notified_at: null, published: false, published_date: null, alerted: true });
    expect(slotOf({ ...seedShift, acknowledged: true }).acknowledged).toBe(1);
  });

  test('missing optional fields take neutral values', () => {
    const { id, start_time, end_time, created_at, updated_at } = seedShift;
    expect(slotOf({ id, start_time, end_time, created_at, updated_at })).toMatchObject({
      account_id: 0,
      acknowledged: 0,
      acknowledged_at: null,
      break_time: 0,
      color: '',
      linked_users: null,
      notes: '',
      published: false,
      user_id: 0,
    });
  });

  test('a shift that cannot be read says why, with its id when it has one', () => {
    expect(slotFromWiwShift(null)).toEqual({ ok: false, id: undefined, reason: 'not an object' });
    expect(slotFromWiwShift([seedShift])).toMatchObject({ ok: false, id: undefined });
    expect(slotFromWiwShift({ ...seedShift, id: '2076303948' })).toMatchObject({ ok: false, id: undefined, reason: 'id is not a positive integer' });
    expect(slotFromWiwShift({ ...seedShift, id: -4 })).toMatchObject({ ok: false, id: undefined });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ start_time: undefined }, /start_time is missing/],
      [{ end_time: 'Mon, 32 Oct 2018 00:15:00 +0100' }, /end_time is not a date/],
      [{ end_time: 'Sun, 07 Oct 2018 20:00:00 +0100' }, /end_time is before start_time/],
      [{ created_at: null }, /created_at is missing/],
      [{ notified_at: 12 }, /notified_at is not a date/],
      [{ account_id: 1.5 }, /account_id is not an integer/],
      [{ user_id: '29205212' }, /user_id is not an integer/],
      [{ published: 'yes' }, /published is not a boolean/],
      [{ notes: 7 }, /notes is not a string/],
      [{ break_time: 'half' }, /break_time is not a number/],
      [{ acknowledged: 2 }, /acknowledged is not 0\/1/],
      [{ linked_users: [1, 'x'] }, /linked_users is not a list of user ids/],
    ];
    for (const [patch, reason] of cases) {
      const result = slotFromWiwShift({ ...seedShift, ...patch });
      expect(result.ok, JSON.stringify(patch)).toBe(false);
      if (!result.ok) {
        expect(result.id).toBe(seedShift.id);
        expect(result.reason).toMatch(reason);
      }
    }
  });

  test('every slot fits the Avro value schema', () => {
    const type = avro.Type.forSchema(slotValueSchema as unknown as avro.Schema);
    for (const raw of [seedShift, { ...seedShift, linked_users: [1, 2], acknowledged_at: null, break_time: 0.75 }]) {
      const slot = slotOf(raw);
      expect(type.isValid(slot)).toBe(true);
      expect(type.fromBuffer(type.toBuffer(slot))).toEqual(slot);
    }
  });
});

describe('canonicalJson', () => {
  test('sorts keys at every depth, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, e: undefined })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson([undefined, 'x'])).toBe('[null,"x"]');
    expect(canonicalJson('é"\n')).toBe(JSON.stringify('é"\n'));
  });

  test('the same data in any key order gives the same text', () => {
    const reversed = Object.fromEntries(Object.entries(seedShift).reverse());
    expect(canonicalJson(reversed)).toBe(canonicalJson(seedShift));
  });

  test('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ a: Infinity })).toThrow(/Infinity/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
  });

  test('the JSON a shift gives is canonical: sorted keys, no whitespace, strings escaped', () => {
    for (const raw of [seedShift, { ...seedShift, linked_users: [5, 3], notes: 'Bring the "blue" van {bay 3}\n✓ \\', color: '' }]) {
      const json = jsonOf(raw);
      expect(json).toBe(canonicalJson(JSON.parse(json)));
      expect(Object.keys(parseSlot(json))).toEqual(Object.keys(parseSlot(json)).sort());
    }
  });
});

describe('cache entries', () => {
  test('hold the format-versioned hash of the bytes, then the canonical hash; an old entry of a canonical hash alone still reads', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(seedShift));
    const entry = cacheEntry(bytesHash(bytes), slotHash(jsonOf(seedShift)));
    expect(bytesHash(bytes)).toMatch(/^v2\.[A-Za-z0-9_-]{27}$/);
    expect(readCacheEntry(entry)).toEqual({ bytes: bytesHash(bytes), canonical: slotHash(jsonOf(seedShift)) });
    expect(readCacheEntry('abc')).toEqual({ bytes: undefined, canonical: 'abc' });
    expect(readCacheEntry(null)).toEqual({ bytes: undefined, canonical: undefined });
    expect(bytesHash(new TextEncoder().encode(JSON.stringify({ ...seedShift, is_shared: true })))).not.toBe(bytesHash(bytes));
  });
});

describe('slotHash', () => {
  const base = jsonOf(seedShift);

  test('stable, and the same for the same slot whatever order its keys came in', () => {
    const shuffled = Object.fromEntries(Object.entries(parseSlot(base)).reverse());
    expect(slotHash(base)).toBe(slotHash(jsonOf(seedShift)));
    expect(slotHash(canonicalJson(shuffled))).toBe(slotHash(base));
    expect(slotHash(base)).toMatch(/^[A-Za-z0-9_-]{27}$/);
  });

  test('any change of a published field changes it', () => {
    const changes: Array<Record<string, unknown>> = [
      { notes: 'x' },
      { color: '74a612' },
      { start_time: 'Sun, 07 Oct 2018 21:00:01 +0100' },
      { acknowledged_at: null },
      { linked_users: [] },
      { break_time: 0.25 },
      { published: false },
      { user_id: 0 },
    ];
    const hashes = new Set([slotHash(base), ...changes.map((patch) => slotHash(jsonOf({ ...seedShift, ...patch })))]);
    expect(hashes.size).toBe(changes.length + 1);
  });

  test('fields we do not publish, and the offset a date is written with, do not change it', () => {
    expect(slotHash(jsonOf({ ...seedShift, is_shared: true, breaks: [{ id: 1 }] }))).toBe(slotHash(base));
    // the same instants written in another zone
    expect(slotHash(jsonOf({ ...seedShift, start_time: 'Sun, 07 Oct 2018 20:00:00 +0000', created_at: 'Wed, 26 Sep 2018 07:24:58 -0400' }))).toBe(slotHash(base));
  });
});
