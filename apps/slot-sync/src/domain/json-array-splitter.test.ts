// The streaming splitter: elements of one array member, whatever the chunk boundaries.
import { describe, expect, test } from 'vitest';
import { JsonArraySplitter, parseElements } from './json-array-splitter.ts';

const encoder = new TextEncoder();

/** Feeds `text` in chunks cut at `cuts` (byte offsets) and returns the parsed elements. */
function split(text: string, cuts: number[], member = 'shifts'): unknown[] {
  const bytes = encoder.encode(text);
  const splitter = new JsonArraySplitter(member);
  const texts: string[] = [];
  let from = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    texts.push(...splitter.push(bytes.slice(from, cut)));
    from = cut;
  }
  splitter.end();
  expect(splitter.elementsRead).toBe(parseElements(texts).length);
  return parseElements(texts);
}

const shifts = [
  { id: 1, notes: 'plain' },
  { id: 2, notes: 'braces } { and ] [ inside a string, a "quoted" word, a backslash \\ and \\"' },
  { id: 3, notes: 'Café ✓ — ünïcödé 🚲', linked_users: [1, 2, 3], breaks: [{ id: 9, length: 1800 }] },
  { id: 4, nested: { deep: [{ a: [[]] }] } },
];
const document = JSON.stringify({
  start: 'Mon, 01 Oct 2018 00:00:00 +0000',
  decoy: { shifts: [{ id: 99 }] },
  'shifts-not': [{ id: 98 }],
  shifts,
  users: [{ id: 7, name: 'shifts' }],
  locations: [],
});

describe('JsonArraySplitter', () => {
  test('in one chunk: the elements of the top-level member only (not a nested one of the same name)', () => {
    expect(split(document, [])).toEqual(shifts);
  });

  test('at every possible cut (strings, escapes and multi-byte characters cut in half)', () => {
    const length = encoder.encode(document).length;
    for (let cut = 1; cut < length; cut++) expect(split(document, [cut]), `cut at ${cut}`).toEqual(shifts);
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
    const texts = splitter.push(encoder.encode('{"shifts":[{"id":1,,}]}'));
    splitter.end();
    expect(() => parseElements(texts)).toThrow(SyntaxError);
  });
});
