// The person lookup: Arena PERSON_ID -> the person's ident (fnr), over HTTP. `GET <url>?personId=<id>`
// answers 200 `{"fnr": "..."}`, or 404 when Arena knows no such person (the message is INVALID);
// any other answer or a network error is a failure (the message is retried).
//
// Found persons are kept in a bounded in-memory cache (least recently used out first, with a time
// to live), so a participant's second message does not cost a request.
import type { PersonResult } from './domain/processing-view.ts';

export interface PersonLookup {
  /** One result per distinct id; never rejects (a failure is a result). */
  lookup(personIds: Iterable<string>): Promise<Map<string, PersonResult>>;
  /** Requests made so far (cache hits not counted). */
  readonly requests: number;
}

export interface PersonLookupOptions {
  url: string;
  token?: string | undefined;
  timeoutMs: number;
  concurrency: number;
  cacheSize: number;
  cacheTtlMs: number;
  now?: () => number;
}

function failureReason(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error ? error.name : typeof error;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  // fetch wraps network errors: TypeError('fetch failed', { cause: { code } }); the message may hold the URL, the code does not
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? `network error ${cause.code}` : `network error (${name})`;
}

export function createPersonLookup(options: PersonLookupOptions): PersonLookup {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { ident: string; expiresAt: number }>();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let requests = 0;

  const fromCache = (personId: string): string | undefined => {
    const entry = cache.get(personId);
    if (!entry) return undefined;
    cache.delete(personId);
    if (entry.expiresAt <= now()) return undefined;
    cache.set(personId, entry); // most recently used last
    return entry.ident;
  };
  const remember = (personId: string, ident: string): void => {
    if (options.cacheSize === 0) return;
    cache.delete(personId);
    cache.set(personId, { ident, expiresAt: now() + options.cacheTtlMs });
    while (cache.size > options.cacheSize) cache.delete(cache.keys().next().value!);
  };

  const fetchOne = async (personId: string): Promise<PersonResult> => {
    const url = new URL(options.url);
    url.searchParams.set('personId', personId);
    requests += 1;
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
      if (response.status === 404) {
        await response.body?.cancel();
        return { kind: 'notFound' };
      }
      if (!response.ok) {
        await response.body?.cancel();
        return { kind: 'failed', reason: `HTTP ${response.status}` };
      }
      const body = (await response.json()) as { fnr?: unknown };
      if (typeof body.fnr !== 'string' || !/^\d{11}$/.test(body.fnr)) return { kind: 'failed', reason: 'the answer holds no 11-digit fnr' };
      remember(personId, body.fnr);
      return { kind: 'found', ident: body.fnr };
    } catch (error) {
      return { kind: 'failed', reason: failureReason(error, options.timeoutMs) };
    }
  };

  return {
    get requests() {
      return requests;
    },
    async lookup(personIds) {
      const results = new Map<string, PersonResult>();
      const missing: string[] = [];
      for (const personId of new Set(personIds)) {
        const ident = fromCache(personId);
        if (ident !== undefined) results.set(personId, { kind: 'found', ident });
        else missing.push(personId);
      }
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < missing.length) {
          const personId = missing[next++]!;
          results.set(personId, await fetchOne(personId));
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, missing.length) }, worker));
      return results;
    },
  };
}
