import { describe, expect, it } from 'vitest';
import { isTransientAlgoliaError, retryDelayMs, withAlgoliaRetry } from './retry.ts';

function apiError(status: number): Error & { status: number } {
  return Object.assign(new Error(`status ${status}`), { name: 'ApiError', status });
}

function retryError(): Error {
  const error = new Error('Unreachable hosts');
  error.name = 'RetryError';
  return error;
}

describe('isTransientAlgoliaError', () => {
  it.each<[string, unknown, boolean]>([
    ['RetryError (every host failed)', retryError(), true],
    ['429', apiError(429), true],
    ['500', apiError(500), true],
    ['503', apiError(503), true],
    ['status 0 (network)', apiError(0), true],
    ['400', apiError(400), false],
    ['403', apiError(403), false],
    ['404', apiError(404), false],
    ['a plain Error', new Error('boom'), false],
    ['a string', 'boom', false],
    ['null', null, false],
    ['a non-numeric status', { status: '503' }, false],
  ])('%s -> %s', (_name, error, transient) => {
    expect(isTransientAlgoliaError(error)).toBe(transient);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base up to the ceiling', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, 100, 1000))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('withAlgoliaRetry', () => {
  it('retries transient failures, then answers', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await withAlgoliaRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw calls === 1 ? retryError() : apiError(429);
        return 'ok';
      },
      { baseDelayMs: 1, onRetry: ({ attempt }) => retries.push(attempt) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('throws the last error after the attempts', async () => {
    let calls = 0;
    const failing = withAlgoliaRetry(
      async () => {
        calls += 1;
        throw apiError(503);
      },
      { attempts: 4, baseDelayMs: 1 },
    );
    await expect(failing).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(4);
  });

  it('does not retry a permanent failure', async () => {
    let calls = 0;
    const failing = withAlgoliaRetry(async () => {
      calls += 1;
      throw apiError(404);
    });
    await expect(failing).rejects.toMatchObject({ status: 404 });
    expect(calls).toBe(1);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const failing = withAlgoliaRetry(
      async () => {
        setTimeout(() => controller.abort(new Error('shutting down')), 5);
        throw apiError(503);
      },
      { baseDelayMs: 10_000, signal: controller.signal },
    );
    await expect(failing).rejects.toThrow('shutting down');
  });
});
