// The When I Work adapter: `GET /2/shifts?start&end` streamed shift by shift (a window may hold
// hundreds of thousands of shifts; the whole document is never in memory) and `GET /2/shifts/{id}`.
// Authenticated by the `W-Token` header; the token never appears in a log or an error.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { JsonArraySplitter, type SplitElement } from './domain/json-array-splitter.ts';
import type { SyncWindow } from './domain/window.ts';
import { isoUtc } from './domain/window.ts';

export interface WiwClientOptions {
  /** e.g. https://api.wheniwork.com (the `/2/...` paths are appended). */
  baseUrl: string;
  token: string;
  /** Until the response headers, and then between two chunks of its body. */
  timeoutMs: number;
  /** Quick retries inside one run (5xx, 429, timeouts, network errors) before the run fails. */
  retries: number;
  /** Called before every HTTP request (the `wiw.get` StatsD metric). */
  onRequest?: () => void;
  /** Shifts per batch handed to the caller. */
  batchSize?: number;
  /** Base delay of the quick retries (doubles each time); default 250 ms. */
  retryDelayMs?: number;
}

/** WIW refused the token (401/403): retrying cannot help until someone fixes WIW_KEY. */
export class WiwAuthError extends Error {
  override readonly name = 'WiwAuthError';
}

/** Any other failed request; `retryable` for 5xx, 429, timeouts and network errors. */
export class WiwRequestError extends Error {
  override readonly name = 'WiwRequestError';
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(message: string, status: number | undefined, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.retryable = retryable;
  }
}

export interface WiwClient {
  /** The shifts overlapping the window, in batches: each shift's JSON bytes, and its id when it could be read on the way. */
  streamShifts(window: SyncWindow, signal?: AbortSignal): AsyncGenerator<SplitElement[]>;
  /** One shift, or null when WIW answers 404 (deleted). */
  getShift(id: number, signal?: AbortSignal): Promise<unknown>;
}

/** An AbortController that fires when `timeoutMs` pass without `touch()`, or when `parent` aborts. */
function idleTimeout(timeoutMs: number, parent: AbortSignal | undefined): { signal: AbortSignal; touch(): void; clear(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new WiwRequestError(`no answer from When I Work within ${timeoutMs} ms`, undefined, true)), timeoutMs);
  };
  const onParentAbort = (): void => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  touch();
  return {
    signal: controller.signal,
    touch,
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

interface WiwResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

async function readText(body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function errorText(response: WiwResponse): Promise<string> {
  const body = await readText(response.body).catch(() => '');
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown; code?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : typeof parsed.message === 'string' ? parsed.message : undefined;
    const code = typeof parsed.code === 'number' || typeof parsed.code === 'string' ? ` (code ${parsed.code})` : '';
    if (message) return `${message}${code}`;
  } catch {
    // not JSON
  }
  return body.slice(0, 200).replace(/\s+/g, ' ');
}

/**
 * A GET with node's http client (not fetch): its response is a plain stream that stops reading the
 * socket while we process what came (a window of shifts is large; fetch's web streams buffer more
 * and cost more per chunk).
 */
function get(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<WiwResponse> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, signal }, (response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response });
    });
    request.once('error', reject);
    request.end();
  });
}

export function createWiwClient(options: WiwClientOptions): WiwClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const batchSize = options.batchSize ?? 2000;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const headers = { 'W-Token': options.token, accept: 'application/json' };

  /** Sends the request (with quick retries) and returns the response once its headers arrived. */
  const request = async (path: string, what: string, signal: AbortSignal | undefined, accept404: boolean) => {
    for (let attempt = 0; ; attempt++) {
      const timeout = idleTimeout(options.timeoutMs, signal);
      try {
        options.onRequest?.();
        let response: WiwResponse;
        try {
          response = await get(new URL(`${base}${path}`), headers, timeout.signal);
        } catch (error) {
          if (signal?.aborted) throw error;
          const reason = timeout.signal.reason instanceof WiwRequestError ? timeout.signal.reason : undefined;
          throw reason ?? new WiwRequestError(`${what}: ${error instanceof Error ? error.message : String(error)}`, undefined, true, { cause: error });
        }
        if ((response.status >= 200 && response.status < 300) || (accept404 && response.status === 404)) return { response, timeout };
        const detail = await errorText(response);
        if (response.status === 401 || response.status === 403) {
          throw new WiwAuthError(`${what}: When I Work refused the token (HTTP ${response.status}: ${detail}); check WIW_KEY`);
        }
        const retryable = response.status >= 500 || response.status === 429;
        const retryAfter = Number(response.headers['retry-after']);
        const error = new WiwRequestError(`${what}: HTTP ${response.status} ${detail}`, response.status, retryable);
        if (retryable && Number.isFinite(retryAfter) && retryAfter > 0) Object.assign(error, { retryAfterMs: Math.min(retryAfter * 1000, 30_000) });
        throw error;
      } catch (error) {
        timeout.clear();
        const retryable = error instanceof WiwRequestError && error.retryable && !signal?.aborted;
        if (!retryable || attempt >= options.retries) throw error;
        const wait = (error as { retryAfterMs?: number }).retryAfterMs ?? retryDelayMs * 2 ** attempt;
        await sleep(wait, undefined, signal ? { signal } : undefined);
      }
    }
  };

  return {
    async *streamShifts(window, signal) {
      const query = new URLSearchParams({ start: isoUtc(window.start.getTime()), end: isoUtc(window.end.getTime()) });
      const what = `GET /2/shifts?${query.toString()}`;
      const { response, timeout } = await request(`/2/shifts?${query.toString()}`, what, signal, false);
      try {
        const splitter = new JsonArraySplitter('shifts');
        let pending: SplitElement[] = [];
        try {
          for await (const chunk of response.body as AsyncIterable<Buffer>) {
            timeout.touch();
            for (const element of splitter.push(chunk)) pending.push(element);
            if (pending.length >= batchSize) {
              const batch = pending;
              pending = [];
              yield batch;
            }
          }
          splitter.end();
        } catch (error) {
          if (signal?.aborted || error instanceof SyntaxError) throw error;
          const reason = timeout.signal.reason instanceof WiwRequestError ? timeout.signal.reason : undefined;
          throw reason ?? new WiwRequestError(`${what}: the response broke off: ${error instanceof Error ? error.message : String(error)}`, undefined, true, { cause: error });
        }
        if (pending.length > 0) yield pending;
      } finally {
        timeout.clear();
        // a consumer that stopped early (an error in its loop) releases the connection
        if (!response.body.readableEnded) response.body.destroy();
      }
    },

    async getShift(id, signal) {
      const what = `GET /2/shifts/${id}`;
      const { response, timeout } = await request(`/2/shifts/${encodeURIComponent(String(id))}`, what, signal, true);
      try {
        const text = await readText(response.body);
        if (response.status === 404) return null;
        const body = JSON.parse(text) as { shift?: unknown };
        if (typeof body !== 'object' || body === null || !('shift' in body)) throw new WiwRequestError(`${what}: no shift in the answer`, response.status, false);
        return body.shift;
      } finally {
        timeout.clear();
      }
    },
  };
}
