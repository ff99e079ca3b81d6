// Retries of one Algolia call on transient failures.
//
// The v5 client retries a 429 on the same host itself (after Retry-After, 3 times), but on a 5xx or
// a network error it marks the host down and moves to the next host; once every host failed it
// throws a RetryError. With one host (the emulator, or an outage of Algolia's DSN) that happens at
// the first 5xx, so each adapter call goes through `withAlgoliaRetry`: a few attempts with capped
// exponential backoff, then the error is thrown for the job's own retries (BullMQ backoff).

export interface RetryOptions {
  /** Attempts in all, the first included (default 6). */
  attempts?: number;
  /** Delay before the second attempt, doubled each time (default 100 ms). */
  baseDelayMs?: number;
  /** Ceiling of the delay (default 2000 ms). */
  maxDelayMs?: number;
  signal?: AbortSignal | undefined;
  /** Called before each new attempt (logging, metrics). */
  onRetry?: ((info: { attempt: number; delayMs: number; error: unknown }) => void) | undefined;
}

/** The HTTP status of an algoliasearch error (ApiError), undefined for other errors. */
export function algoliaStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const status = error.status;
  return typeof status === 'number' ? status : undefined;
}

/** RetryError (every host failed or timed out), 429, 5xx and status 0 (network) are transient; other errors are not. */
export function isTransientAlgoliaError(error: unknown): boolean {
  if (error instanceof Error && error.name === 'RetryError') return true;
  const status = algoliaStatusOf(error);
  if (status === undefined) return false;
  return status === 0 || status === 429 || status >= 500;
}

export function retryDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withAlgoliaRetry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 6, baseDelayMs = 100, maxDelayMs = 2000, signal, onRetry } = options;
  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isTransientAlgoliaError(error)) throw error;
      const delayMs = retryDelayMs(attempt, baseDelayMs, maxDelayMs);
      onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
}
