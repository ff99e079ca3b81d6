import { z } from 'zod';
import { toAlgoliaHosts } from '@syncfleet/algolia';
import { envDurationMs, envInt, envList, envUrl } from '@syncfleet/config';
import { WorkerEnv } from '@syncfleet/runtime';
import { quoteTableName } from './returns-source.ts';

/** The queues of returns-sync: runs (singleton) and their pages (fan-out). */
export const returnsQueues = ['returns-sync', 'returns-sync-processing'] as const;
export type ReturnsQueue = (typeof returnsQueues)[number];

/** A string variable: trimmed, blank = not set (the default applies). */
function envText(defaultValue: string, check?: (value: string) => string | undefined) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): string => {
      const value = raw?.trim() ? raw.trim() : defaultValue;
      const problem = check?.(value);
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return value;
    });
}

function required(message = 'required but not set') {
  return z
    .string({ error: message })
    .trim()
    .min(1, 'required but empty');
}

const instant = z
  .string()
  .optional()
  .transform((raw, ctx): Date => {
    const value = raw?.trim() ? raw.trim() : '1970-01-01T00:00:00Z';
    if (!z.iso.datetime({ offset: true }).safeParse(value).success) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 instant with its offset, e.g. 2024-01-01T00:00:00Z' });
      return z.NEVER;
    }
    return new Date(value);
  });

/** returns-sync's env: every worker's variables, Algolia's, and the sync's own. */
export const ReturnsSyncEnv = WorkerEnv.extend({
  /** The queues this process consumes: both by default; one each for separate run and page services. */
  RETURNS_WORKER_QUEUES: envList({ default: [...returnsQueues], minItems: 1 }).superRefine((queues, ctx) => {
    const unknown = queues.filter((queue) => !(returnsQueues as readonly string[]).includes(queue));
    if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown queue(s) ${unknown.join(', ')}: use ${returnsQueues.join(', ')}` });
    if (new Set(queues).size !== queues.length) ctx.addIssue({ code: 'custom', message: 'lists a queue twice' });
  }),
  /** The database that holds the returns and the state table; default DATABASE_URL. */
  RETURNS_DATABASE_URL: envUrl({ protocols: ['postgres:', 'postgresql:'] }).optional(),
  /** The returns table (`table` or `schema.table`) with the documented columns. */
  RETURNS_SOURCE_TABLE: envText('order_returns', (value) => {
    try {
      quoteTableName(value);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }),
  /** The state table's job_type of this sync (the seed's RETURN_JOB). */
  RETURNS_JOB_TYPE: envText('RETURN_JOB', (value) => (value.length > 100 ? 'at most 100 characters' : undefined)),
  /** How far back before the last successful end a window starts (late commits still arrive). */
  RETURNS_OVERLAP: envDurationMs(30 * 60_000),
  /** Returns per page (one processing job each). */
  RETURNS_PAGE_SIZE: envInt({ min: 1, max: 10_000, default: 1000 }),
  /** An active run whose heartbeat is older than this is taken over by the next tick. */
  RETURNS_STALE_AFTER: envDurationMs(10 * 60_000),
  /** Where the sync's coverage begins (the backfill's default start, and a first periodic run's). */
  RETURNS_BACKFILL_SINCE: instant,
  /** Hours the healing run re-syncs. */
  RETURNS_HEAL_HOURS: envInt({ min: 1, max: 24 * 366, default: 24 }),
  /** Directory of the dump files (created if missing). */
  RETURNS_DUMP_DIR: envText('dumps/returns'),
  /** Pages each process pushes at once (default: the catalogue's 8). */
  RETURNS_PROCESSING_CONCURRENCY: envInt({ min: 1, max: 256 }).optional(),
  /** Attempts of a page job before it fails the run (default: the catalogue's 5), and the first retry's delay. */
  RETURNS_PAGE_ATTEMPTS: envInt({ min: 1, max: 100 }).optional(),
  RETURNS_PAGE_BACKOFF: envDurationMs().optional(),
  /** Attempts of one Algolia call on 5xx, 429 or network errors, inside one page attempt. */
  RETURNS_ALGOLIA_ATTEMPTS: envInt({ min: 1, max: 20, default: 6 }),
  /**
   * Returns of one page Algolia may refuse on their own (a 400, e.g. a record over the size limit)
   * before the page fails: each is set aside in order_return_algolia_refused and the rest is saved.
   * 0: a refused record fails its page (and its run).
   */
  RETURNS_MAX_REFUSED_PER_PAGE: envInt({ min: 0, max: 10_000, default: 10 }),
  ALGOLIA_APP_ID: required(),
  /** A key with the addObject and browse ACLs. Never logged. */
  ALGOLIA_API_KEY: required(),
  /** Replaces Algolia's hosts, e.g. `http://127.0.0.1:8108` (the emulator); comma-separated. */
  ALGOLIA_HOSTS: envList().superRefine((urls, ctx) => {
    try {
      toAlgoliaHosts(urls);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  }),
  /** The Algolia index of the returns. */
  ALGOLIA_INDEX_NAME: envText('order_returns', (value) => (value.length > 256 ? 'at most 256 characters' : undefined)),
});
export type ReturnsSyncConfig = z.output<typeof ReturnsSyncEnv>;
