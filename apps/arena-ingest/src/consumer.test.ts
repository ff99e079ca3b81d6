// The consumer lag reported after each committed chunk. Pure: no I/O.
import { describe, expect, test } from 'vitest';
import { partitionLag } from './consumer.ts';

describe('partitionLag', () => {
  test('messages after the committed one, up to the high watermark (the next offset to be written)', () => {
    expect(partitionLag('10', '9')).toBe(0);
    expect(partitionLag('10', '4')).toBe(5);
    // 64-bit offsets beyond 2^53 are counted exactly
    expect(partitionLag('9007199254740995', '9007199254740992')).toBe(2);
    // a high watermark fetched before the last chunk was written is not a negative lag
    expect(partitionLag('3', '7')).toBe(0);
  });
});
