// "Was the offers index rebuilt?" A rebuild ends with a `move` of the temporary index onto the
// master index; Algolia's logs (`GET /1/logs?type=build`) keep an entry for it whose url is
// `/1/indexes/<source>/operation` and whose query_body is `{"operation":"move","destination":...}`.
//
// Algolia keeps only the last ~1,000 requests per server for seven days: a move followed by more
// than that many requests before the check runs is no longer visible.
import type { AlgoliaClient } from './client.ts';
import { withAlgoliaRetry, type RetryOptions } from './retry.ts';

export type AlgoliaLog = Awaited<ReturnType<AlgoliaClient['getLogs']>>['logs'][number];

export interface IndexMove {
  /**
   * When Algolia logged the move. Log timestamps are to the second: a watermark set to `at` hides
   * a second move logged within that same second (keep the `sha1`s seen in that second if it matters).
   */
  at: Date;
  source: string;
  destination: string;
  /** Identity of the log entry. */
  sha1: string;
  taskID: number | undefined;
}

/** Algolia log timestamps: RFC 3339 ("2026-11-23T12:34:56Z") or the older "2026-11-23 12:34:56" (UTC). */
export function parseLogTimestamp(text: string): Date | undefined {
  const trimmed = text.trim();
  let iso = trimmed;
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(trimmed)) iso = `${trimmed.replace(' ', 'T')}Z`;
  else if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(trimmed)) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function indexFromUrl(url: string): string | undefined {
  const path = url.split('?', 1)[0] ?? '';
  const match = /^\/1\/indexes\/([^/]+)\/operation$/.exec(path);
  if (match?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/** The successful index move a log entry records, or undefined for anything else (never throws). */
export function parseIndexMove(log: AlgoliaLog): IndexMove | undefined {
  if (typeof log.method !== 'string' || log.method.toUpperCase() !== 'POST') return undefined;
  if (!/^2\d\d$/.test(String(log.answer_code))) return undefined;
  const fromUrl = indexFromUrl(String(log.url));
  if (fromUrl === undefined) return undefined;
  const body = parseJsonObject(String(log.query_body));
  if (body === undefined || body.operation !== 'move' || typeof body.destination !== 'string' || body.destination === '') return undefined;
  const at = parseLogTimestamp(String(log.timestamp));
  if (at === undefined) return undefined;
  const answer = parseJsonObject(String(log.answer));
  const taskID = typeof answer?.taskID === 'number' ? answer.taskID : undefined;
  const source = typeof log.index === 'string' && log.index !== '' ? log.index : fromUrl;
  return { at, source, destination: body.destination, sha1: String(log.sha1), taskID };
}

export interface FindIndexMovesOptions {
  /**
   * The temporary index: moves of it, or of an index named after it with a suffix (`offers_tmp_123456`,
   * as algoliasearch's replaceAllObjects names its temporary index), count.
   */
  source: string;
  destination: string;
  /** Only moves logged strictly after this instant; null: every move still in the logs. */
  since: Date | null;
  /** Log entries read at most (default 10,000), in pages of `pageLength` (at most 1000). */
  maxEntries?: number;
  pageLength?: number;
  retry?: RetryOptions | undefined;
}

/** Whether an index is the temporary index, or one named after it with a `_` suffix. */
function isTemporaryIndex(name: string, source: string): boolean {
  return name === source || name.startsWith(`${source}_`);
}

/**
 * Moves of `source` (or of a suffixed name of it, see `FindIndexMovesOptions.source`) onto
 * `destination` newer than `since`, newest first. The build logs of every index are read: a suffixed
 * name cannot be given to the logs' own index filter.
 */
export async function findIndexMovesSince(client: AlgoliaClient, options: FindIndexMovesOptions): Promise<IndexMove[]> {
  const { source, destination, since, maxEntries = 10_000, pageLength = 1000, retry } = options;
  if (!Number.isInteger(pageLength) || pageLength < 1 || pageLength > 1000) throw new RangeError('pageLength must be an integer between 1 and 1000');
  const moves: IndexMove[] = [];
  for (let offset = 0; offset < maxEntries; offset += pageLength) {
    const length = Math.min(pageLength, maxEntries - offset);
    const { logs } = await withAlgoliaRetry(() => client.getLogs({ offset, length, type: 'build' }), retry);
    let reachedSince = false;
    for (const log of logs) {
      const at = parseLogTimestamp(String(log.timestamp));
      // entries are newest first: once one is not after `since`, the rest are older
      if (since !== null && at !== undefined && at.getTime() <= since.getTime()) {
        reachedSince = true;
        break;
      }
      const move = parseIndexMove(log);
      if (move !== undefined && move.destination === destination && isTemporaryIndex(move.source, source)) moves.push(move);
    }
    if (reachedSince || logs.length < length) break;
  }
  return moves;
}
