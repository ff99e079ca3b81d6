// The streaming splitter: elements of one array member, whatever the chunk boundaries.
import { describe, expect, test } from 'vitest';
import { JsonArraySplitter, parseElement, type SplitElement } from './json-array-splitter.ts';

const encoder = new TextEncoder();

/** Feeds `text` in chunks cut at `cuts` (byte offsets); returns the elements, parsed, with the ids read. */
function splitWithIds(text: string, cuts: number[], member = 'shifts'): Array<{ value: unknown; id: number | undefined }> {
  const bytes = encoder.encode(text);
  const splitter = new JsonArraySplitter(member);
  const found: SplitElement[] = [];
  let from = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    // a fresh buffer per chunk, as a stream gives them
    found.push(...splitter.push(bytes.slice(from, cut)));
    from = cut;
  }
  splitter.end();
  expect(splitter.elementsRead).toBe(found.length);
  return found.map((element) => ({ value: parseElement(element.bytes), id: element.id }));
}

function split(text: string, cuts: number[], member = 'shifts'): unknown[] {
  return splitWithIds(text, cuts, member).map((e) => e.value);
}

const shifts = [
  { id: 1, notes: 'plain' },
  { notes: 'braces } { and ] [ inside a string, a "quoted" word, a backslash \\ and \\"', id: 2_200_000_002 },
  { user_id: 5, breaks: [{ id: 9, length: 1800 }], notes: 'Café ✓ — ünïcödé 🚲 "id":7', linked_users: [1, 2, 3], id: 3 },
  { nested: { id: 5, deep: [{ a: [[]] }] }, idx: 6, i: 1, di: 2 },
];
const ids = [1, 2_200_000_002, 3, undefined];
const document = JSON.stringify({
  start: 'Mon, 01 Oct 2018 00:00:00 +0000',
  decoy: { shifts: [{ id: 99 }] },
  'shifts-not': [{ id: 98 }],
  'we"ird {key} \\ [': [{ id: 97 }],
  shifts,
  users: [{ id: 7, name: 'shifts' }],
  locations: [],
});

describe('JsonArraySplitter', () => {
  test('in one chunk: the elements of the top-level member only (not a nested one of the same name)', () => {
    expect(split(document, [])).toEqual(shifts);
  });

  test("each element's top-level id is read on the way, wherever it is, never a nested or lookalike one", () => {
    expect(splitWithIds(document, []).map((e) => e.id)).toEqual(ids);
    const odd = '{"shifts":[{"id":-4},{"id":1.5},{"id":"7"},{"id":12e3},{ "id" : 42 ,"x":1},{"id":99999999999999999999},[1,2]]}';
    expect(splitWithIds(odd, []).map((e) => e.id)).toEqual([undefined, undefined, undefined, undefined, 42, undefined, undefined]);
  });

  test('at every possible cut (strings, escapes, ids and multi-byte characters cut in half)', () => {
    const length = encoder.encode(document).length;
    for (let cut = 1; cut < length; cut++) {
      const found = splitWithIds(document, [cut]);
      expect(found.map((e) => e.value), `cut at ${cut}`).toEqual(shifts);
      expect(found.map((e) => e.id), `cut at ${cut}`).toEqual(ids);
    }
  });

  test('runs of backslashes before a quote, cut anywhere, once or twice (strings are skipped to their closing quote)', () => {
    const tricky = [
      { id: 11, a: '\\', b: '\\\\', c: '\\"', d: '"\\"\\\\"', e: 'x\\\\\\"y', f: '}]"{[' },
      { '\\': 1, 'i\\d': 2, 'id\\': 3, '"id"': 4, i: '\\', id: 12, d: '"' },
      { 'a"b': '\\"', id: 13, 'long key \\" with } and ]': '\\\\\\\\' },
    ];
    const text = JSON.stringify({ before: 'a \\" b', shifts: tricky, after: ['\\'] });
    const length = encoder.encode(text).length;
    for (let first = 1; first < length; first++) {
      for (let second = first; second < length; second += first < 40 ? 1 : 7) {
        const found = splitWithIds(text, [first, second]);
        expect(found.map((e) => e.value), `cuts at ${first} and ${second}`).toEqual(tricky);
        expect(found.map((e) => e.id), `cuts at ${first} and ${second}`).toEqual([11, 12, 13]);
      }
    }
  });

  test('one byte at a time, and with pretty-printed whitespace', () => {
    const bytes = encoder.encode(document).length;
    expect(split(document, Array.from({ length: bytes }, (_, i) => i))).toEqual(shifts);
    const pretty = JSON.stringify(JSON.parse(document), null, 2);
    expect(split(pretty, [17, 200, 201, 333])).toEqual(shifts);
  });

  test('an empty array, and a member that comes last', () => {
    expect(split('{"shifts":[],"users":[]}', [5])).toEqual([]);
    expect(split('{"users":[{"id":1}],"shifts":[{"id":2}]}', [12])).toEqual([{ id: 2 }]);
  });

  test('reports a document without the member, or one that ends early', () => {
    const missing = new JsonArraySplitter('shifts');
    missing.push(encoder.encode('{"users":[]}'));
    expect(() => missing.end()).toThrow(/no "shifts" array/);
    const cut = new JsonArraySplitter('shifts');
    expect(cut.push(encoder.encode('{"shifts":[{"id":1},{"id":'))).toHaveLength(1);
    expect(() => cut.end()).toThrow(/ended early/);
    expect(() => new JsonArraySplitter('shifts').push(encoder.encode('{}}'))).toThrow(/unbalanced/);
  });

  test('a garbled element is left for JSON.parse to refuse', () => {
    const splitter = new JsonArraySplitter('shifts');
    const [element] = splitter.push(encoder.encode('{"shifts":[{"id":1,,}]}'));
    splitter.end();
    expect(element?.id).toBe(1);
    expect(() => parseElement(element!.bytes)).toThrow(SyntaxError);
    expect(() => parseElement(new Uint8Array([0x22, 0xff, 0x22]))).toThrow(TypeError); // not UTF-8
  });
});
