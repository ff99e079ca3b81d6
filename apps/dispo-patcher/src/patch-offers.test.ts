// readAhead, the one piece of the patch that the end-to-end tests cannot pin down: one page is
// requested ahead, never more, and a failure of the page ahead is thrown in order, not reported as
// an unhandled rejection while the consumer still works.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { readAhead } from './patch-offers.ts';

function source(pages: number, failAt?: number) {
  const requested: number[] = [];
  async function* generate(): AsyncGenerator<number, void, undefined> {
    for (let i = 0; i < pages; i += 1) {
      requested.push(i);
      await sleep(5);
      if (i === failAt) throw new Error(`page ${i} failed`);
      yield i;
    }
  }
  return { requested, pages: generate() };
}

describe('readAhead', () => {
  test('yields every page in order, with one request ahead of the consumer', async () => {
    const { requested, pages } = source(5);
    const seen: number[] = [];
    for await (const page of readAhead(pages)) {
      await sleep(20); // the consumer is slower than the source
      expect(requested.length).toBeLessThanOrEqual(page + 2);
      seen.push(page);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  test('a page that fails while the consumer works is thrown in order, and never as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { pages } = source(5, 2);
      const seen: number[] = [];
      await expect(
        (async () => {
          for await (const page of readAhead(pages)) {
            await sleep(40);
            seen.push(page);
          }
        })(),
      ).rejects.toThrow('page 2 failed');
      expect(seen).toEqual([0, 1]);
      await sleep(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('a consumer that stops early closes the source', async () => {
    const { requested, pages } = source(10);
    for await (const page of readAhead(pages)) {
      if (page === 1) break;
    }
    expect(requested).toEqual([0, 1, 2]);
    expect(await pages.next()).toEqual({ done: true, value: undefined });
  });
});
