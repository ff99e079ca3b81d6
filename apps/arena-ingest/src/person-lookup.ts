// The person lookup: Arena PERSON_ID -> the person's ident (fnr), over HTTP. `GET <url>?personId=<id>`
// answers 200 `{"fnr": "..."}`, or 404 when Arena knows no such person (the message is INVALID);
// any other answer or a network error is a failure (the message is retried).
//
// Found persons are kept in a bounded in-memory cache (least recently used out first, with a time
// to live), so a participant's second message does not cost a request.
import { Pool } from 'undici';
import type { PersonResult } from './domain/processing-view.ts';

export interface PersonLookup {
  /** One result per distinct id; never rejects (a failure is a result). */
  lookup(personIds: Iterable<string>): Promise<Map<string, PersonResult>>;
  /** Requests made so far (cache hits not counted). */
  readonly requests: number;
  /** Closes the kept-alive connections. */
  close(): void;
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

interface HttpAnswer {
  status: number;
  body: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Network failures as a reason without the host or URL (error codes only). */
function failureReason(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if ((typeof code === 'string' && TIMEOUT_CODES.has(code)) || (error as { name?: unknown } | undefined)?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return typeof code === 'string' ? `network error ${code}` : `network error (${error instanceof Error ? error.name : typeof error})`;
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

  // undici's pool of kept-alive connections: a lookup costs a fraction of what node:http (let alone
  // fetch()) costs per request, and the pool never opens more than `concurrency` connections
  const base = new URL(options.url);
  const pool = new Pool(base.origin, {
    connections: options.concurrency,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
  });

  const get = async (path: string): Promise<HttpAnswer> => {
    // undici's own timeouts are coarse (about a second): the signal bounds the whole request
    const response = await pool.request({ method: 'GET', path, headers, signal: AbortSignal.timeout(options.timeoutMs) });
    return { status: response.statusCode, body: await response.body.text() };
  };

  const fetchOne = async (personId: string): Promise<PersonResult> => {
    const url = new URL(base);
    url.searchParams.set('personId', personId);
    requests += 1;
    let answer: HttpAnswer;
    try {
      answer = await get(`${url.pathname}${url.search}`);
    } catch (error) {
      return { kind: 'failed', reason: failureReason(error, options.timeoutMs) };
    }
    if (answer.status === 404) return { kind: 'notFound' };
    if (answer.status < 200 || answer.status >= 300) return { kind: 'failed', reason: `HTTP ${answer.status}` };
    let fnr: unknown;
    try {
      fnr = (JSON.parse(answer.body) as { fnr?: unknown }).fnr;
    } catch {
      return { kind: 'failed', reason: 'the answer is not JSON' };
    }
    if (typeof fnr !== 'string' || !/^\d{11}$/.test(fnr)) return { kind: 'failed', reason: 'the answer holds no 11-digit fnr' };
    remember(personId, fnr);
    return { kind: 'found', ident: fnr };
  };

  return {
    get requests() {
      return requests;
    },
    close() {
      void pool.destroy();
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
