// The watermark arithmetic, pure: which moves are new, and where the watermark goes after a patch,
// second-precision log timestamps included.
import { describe, expect, test } from 'vitest';
import type { IndexMove } from '@syncfleet/algolia';
import { advanceWatermark, logsSince, movesAfter, parseWatermark } from './watermark.ts';

const move = (at: string, sha1: string): IndexMove => ({ at: new Date(at), source: 'offers_tmp', destination: 'offers', sha1, taskID: undefined });

describe('movesAfter', () => {
  test('without a watermark every move is new', () => {
    const moves = [move('2026-03-01T10:00:05Z', 'b'), move('2026-03-01T10:00:01Z', 'a')];
    expect(movesAfter(moves, undefined)).toEqual(moves);
    expect(logsSince(undefined)).toBeNull();
  });

  test('moves after the watermark are new; those of its second only when not handled yet', () => {
    const watermark = { movedAt: '2026-03-01T10:00:05.000Z', logSha1s: ['b'] };
    const moves = [move('2026-03-01T10:00:07Z', 'd'), move('2026-03-01T10:00:05Z', 'c'), move('2026-03-01T10:00:05Z', 'b'), move('2026-03-01T10:00:04Z', 'a')];
    expect(movesAfter(moves, watermark).map((m) => m.sha1)).toEqual(['d', 'c']);
    // the logs are read from just before the watermark's second, so that second is read again
    expect(logsSince(watermark)?.toISOString()).toBe('2026-03-01T10:00:04.999Z');
  });
});

describe('advanceWatermark', () => {
  test('goes to the newest second and keeps every move of it', () => {
    const moves = [move('2026-03-01T10:00:07Z', 'd'), move('2026-03-01T10:00:07Z', 'e'), move('2026-03-01T10:00:05Z', 'c')];
    expect(advanceWatermark(undefined, moves)).toEqual({ movedAt: '2026-03-01T10:00:07.000Z', logSha1s: ['d', 'e'] });
  });

  test('a second move in the same second adds to the watermark', () => {
    const watermark = { movedAt: '2026-03-01T10:00:05.000Z', logSha1s: ['b'] };
    expect(advanceWatermark(watermark, [move('2026-03-01T10:00:05Z', 'c')])).toEqual({ movedAt: '2026-03-01T10:00:05.000Z', logSha1s: ['b', 'c'] });
  });

  test('no moves, or only older ones: the watermark stays', () => {
    const watermark = { movedAt: '2026-03-01T10:00:05.000Z', logSha1s: ['b'] };
    expect(advanceWatermark(watermark, [])).toBe(watermark);
    expect(advanceWatermark(watermark, [move('2026-03-01T10:00:01Z', 'a')])).toBe(watermark);
    expect(advanceWatermark(undefined, [])).toBeUndefined();
  });
});

describe('parseWatermark', () => {
  test('reads what advanceWatermark writes; anything else is no watermark', () => {
    const watermark = advanceWatermark(undefined, [move('2026-03-01T10:00:07Z', 'd')]);
    expect(parseWatermark(JSON.parse(JSON.stringify(watermark)))).toEqual(watermark);
    expect(parseWatermark({ movedAt: '2026-03-01T10:00:07Z' })).toEqual({ movedAt: '2026-03-01T10:00:07Z', logSha1s: [] });
    for (const junk of [undefined, null, 42, 'x', {}, { movedAt: 'yesterday' }, { movedAt: '2026-03-01T10:00:07Z', logSha1s: [1] }]) {
      expect(parseWatermark(junk)).toBeUndefined();
    }
  });
});
