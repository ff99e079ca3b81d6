// The emulated `GET /1/logs`: a bounded ring of entries shaped exactly like the v5 client's `Log`
// type (every field a string), newest first, filtered by type and index like Algolia does.
//
// Algolia keeps "up to 1,000 API requests per server" for seven days; the emulator keeps the last
// `capacity` entries (10,000 by default) for seven days of its clock. Request and response bodies
// are truncated to 1,000 characters (a batch of 1,000 records would otherwise hold megabytes).
import { createHash } from 'node:crypto';

/** Field names and types of algoliasearch v5's `Log` (GetLogsResponse.logs[number]). */
export interface AlgoliaLogEntry {
  timestamp: string;
  method: string;
  answer_code: string;
  query_body: string;
  answer: string;
  url: string;
  ip: string;
  query_headers: string;
  sha1: string;
  nb_api_calls: string;
  processing_time_ms: string;
  index?: string;
  query_params?: string;
  query_nb_hits?: string;
}

/** What kind of request an entry records: `type=build` lists writes and operations, `type=query` searches and browses. */
export type LogKind = 'build' | 'query' | 'other';
export type LogType = 'all' | 'query' | 'build' | 'error';
export const LOG_TYPES: readonly LogType[] = ['all', 'query', 'build', 'error'];

export interface LoggedRequest {
  at: Date;
  kind: LogKind;
  method: string;
  /** Path as received (still URL-encoded), without the query string. */
  path: string;
  queryString: string;
  index: string | undefined;
  status: number;
  requestBody: string;
  responseBody: string;
  ip: string;
  headers: Record<string, string | string[] | undefined>;
  processingTimeMs: number;
  nbHits?: number | undefined;
}

interface StoredEntry {
  kind: LogKind;
  at: number;
  entry: AlgoliaLogEntry;
}

export const MAX_LOGGED_BODY_LENGTH = 1000;
const RETENTION_MS = 7 * 24 * 3600 * 1000;
// headers Algolia shows in query_headers (the rest is noise: content-length, connection...)
const SHOWN_HEADERS = ['user-agent', 'host', 'accept', 'content-type', 'x-algolia-application-id', 'x-algolia-api-key', 'x-algolia-agent'];

/** RFC 3339 to the second, like Algolia's log timestamps: "2026-11-23T12:34:56Z". */
export function formatLogTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function obfuscateApiKey(key: string): string {
  return `${key.slice(0, 3)}${'*'.repeat(Math.max(0, key.length - 3))}`;
}

/** The first characters, copied: a plain slice would keep the whole (maybe megabytes) string alive. */
export function truncateBody(text: string, max = MAX_LOGGED_BODY_LENGTH): string {
  if (text.length <= max) return text;
  return Buffer.from(text.slice(0, max), 'utf8').toString('utf8');
}

function formatHeaders(headers: LoggedRequest['headers']): string {
  let text = '';
  for (const name of SHOWN_HEADERS) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    text += `${name}: ${name === 'x-algolia-api-key' ? obfuscateApiKey(value) : value}\n`;
  }
  return text;
}

export class RequestLog {
  readonly capacity: number;
  readonly #ring: Array<StoredEntry | undefined>;
  #next = 0;
  #count = 0;
  #serial = 0;

  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('log capacity must be a positive integer');
    this.capacity = capacity;
    this.#ring = new Array<StoredEntry | undefined>(capacity);
  }

  get size(): number {
    return this.#count;
  }

  record(request: LoggedRequest): AlgoliaLogEntry {
    this.#serial += 1;
    const timestamp = formatLogTimestamp(request.at);
    const entry: AlgoliaLogEntry = {
      timestamp,
      method: request.method,
      answer_code: String(request.status),
      query_body: truncateBody(request.requestBody),
      answer: truncateBody(request.responseBody),
      url: request.path,
      ip: request.ip,
      query_headers: formatHeaders(request.headers),
      sha1: createHash('sha1').update(`${this.#serial}\n${timestamp}\n${request.method}\n${request.path}`).digest('hex'),
      nb_api_calls: '1',
      processing_time_ms: String(Math.max(1, Math.round(request.processingTimeMs))),
    };
    if (request.index !== undefined) entry.index = request.index;
    if (request.queryString !== '') entry.query_params = request.queryString;
    if (request.nbHits !== undefined) entry.query_nb_hits = String(request.nbHits);
    this.#ring[this.#next] = { kind: request.kind, at: request.at.getTime(), entry };
    this.#next = (this.#next + 1) % this.capacity;
    this.#count = Math.min(this.#count + 1, this.capacity);
    return entry;
  }

  /** Newest first, like `GET /1/logs`. */
  *newestFirst(now: Date = new Date()): IterableIterator<{ kind: LogKind; entry: AlgoliaLogEntry }> {
    const oldest = now.getTime() - RETENTION_MS;
    for (let i = 1; i <= this.#count; i += 1) {
      const stored = this.#ring[(this.#next - i + this.capacity) % this.capacity];
      if (stored === undefined || stored.at < oldest) return;
      yield stored;
    }
  }

  query({ offset, length, type, indexName, now }: { offset: number; length: number; type: LogType; indexName?: string | undefined; now?: Date }): AlgoliaLogEntry[] {
    const out: AlgoliaLogEntry[] = [];
    let skipped = 0;
    for (const { kind, entry } of this.newestFirst(now)) {
      if (indexName !== undefined && entry.index !== indexName) continue;
      if (type === 'build' && kind !== 'build') continue;
      if (type === 'query' && kind !== 'query') continue;
      if (type === 'error' && Number(entry.answer_code) < 400) continue;
      if (skipped < offset) {
        skipped += 1;
        continue;
      }
      out.push(entry);
      if (out.length >= length) break;
    }
    return out;
  }

  clear(): void {
    this.#ring.fill(undefined);
    this.#next = 0;
    this.#count = 0;
  }
}
