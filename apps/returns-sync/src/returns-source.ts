// The returns table (its name is configurable) read in (updated_at, id) order with keyset
// pagination: never OFFSET, never a whole window in memory. Planning a run reads only the keys of
// each page (an index-only scan on (updated_at, id)) and yields one page at a time; a page job then
// reads its rows by key range. Keys travel as exact text: updated_at in UTC with microseconds
// (a JS Date would drop them) and the id as text (a bigint beyond 2^53 stays exact).
import pg from 'pg';
import type { Pool } from '@syncfleet/db';
import { returnColumns, type ReturnRow } from './domain/return-record.ts';

/** A position in the (updated_at, id) order: updated_at as exact UTC text with microseconds, id as text. */
export interface ReturnsKey {
  updatedAt: string;
  id: string;
}

const identifierPart = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** `schema.table` or `table` -> its quoted form; anything else is refused (it goes into SQL text). */
export function quoteTableName(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((part) => identifierPart.test(part))) {
    throw new TypeError(`table name "${name}" must be an identifier or schema.identifier (letters, digits, _ and $)`);
  }
  return parts.map((part) => `"${part}"`).join('.');
}

export interface Window {
  start: Date;
  end: Date;
}

export interface PlannedPage {
  page: number;
  /** The page holds the rows after this key (null: from the window start) up to `last`, inclusive. */
  after: ReturnsKey | null;
  last: ReturnsKey;
  /** Rows in the page when it was planned. */
  rows: number;
}

export interface PageRange {
  windowStart: string;
  after: ReturnsKey | null;
  last: ReturnsKey;
}

export interface ReturnsSource {
  readonly table: string;
  /** The pages of a window, one query per page, each yielded as soon as it is known. */
  planPages(window: Window, pageSize: number, signal?: AbortSignal): AsyncGenerator<PlannedPage, void, undefined>;
  /** The rows of one planned page, in key order (ids as text, instants as UTC timestamp text). */
  readPage(range: PageRange): Promise<ReturnRow[]>;
  /** Rows in a window (dry runs). */
  countWindow(window: Window): Promise<number>;
}

/** Type parsers of the page read: timestamps stay text (the mapping decodes them), the rest as usual. */
const timestampOids: ReadonlySet<number> = new Set([pg.types.builtins.TIMESTAMP, pg.types.builtins.TIMESTAMPTZ]);
const keepText = (value: string): string => value;
const timestampsAsText = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    timestampOids.has(oid) ? keepText : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown)) as typeof pg.types.getTypeParser,
};

/**
 * Session settings for a pool the source reads with: ISO dates (the timestamp text the mapping
 * decodes), UTC. Pass as the `options` of a pg Pool.
 */
export const returnsPoolOptions = '-c DateStyle=ISO,YMD -c TimeZone=UTC';

const utcKey = `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function createReturnsSource(pool: Pool, tableName: string): ReturnsSource {
  const table = quoteTableName(tableName);
  const keysFirst = `SELECT updated_at, id FROM ${table} WHERE updated_at >= $1 AND updated_at < $2 ORDER BY updated_at, id LIMIT $3`;
  const keysNext = `SELECT updated_at, id FROM ${table} WHERE updated_at >= $1 AND updated_at < $2 AND (updated_at, id) > ($4::timestamptz, $5) ORDER BY updated_at, id LIMIT $3`;
  // the last key of the next page and how many rows it holds: one row back per page (the key is
  // formatted for that row only; ordered by the page's own columns, not by the text output)
  const lastOf = (inner: string): string =>
    `SELECT ${utcKey} AS updated_at, id::text AS id, n FROM (
       SELECT page.updated_at, page.id, count(*) OVER () AS n FROM (${inner}) page ORDER BY page.updated_at DESC, page.id DESC LIMIT 1
     ) last`;
  const planFirst = lastOf(keysFirst);
  const planNext = lastOf(keysNext);

  // A page's rows: ids as text (a bigint beyond 2^53 stays exact), instants as the UTC timestamp
  // text Postgres prints (`2025-06-01 10:00:00.123456`, DateStyle ISO: see `returnsPoolOptions`),
  // decoded by the mapping: no Date parsing per row here.
  const columnsOut = returnColumns
    .map((column) => {
      if (column === 'id') return 'id::text AS id';
      if (column === 'created_at' || column === 'updated_at') return `${column} AT TIME ZONE 'UTC' AS ${column}`;
      return column;
    })
    .join(', ');
  const rowsFirst = `SELECT ${columnsOut} FROM ${table} WHERE updated_at >= $1::timestamptz AND (updated_at, id) <= ($2::timestamptz, $3)
                     ORDER BY ${table}.updated_at, ${table}.id`;
  const rowsNext = `SELECT ${columnsOut} FROM ${table} WHERE (updated_at, id) > ($1::timestamptz, $2) AND (updated_at, id) <= ($3::timestamptz, $4)
                    ORDER BY ${table}.updated_at, ${table}.id`;

  return {
    table: tableName,

    async *planPages(window, pageSize, signal) {
      if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer');
      let after: ReturnsKey | null = null;
      for (let page = 1; ; page++) {
        signal?.throwIfAborted();
        const { rows } =
          after === null
            ? await pool.query<{ updated_at: string; id: string; n: string }>(planFirst, [window.start, window.end, pageSize])
            : await pool.query<{ updated_at: string; id: string; n: string }>(planNext, [window.start, window.end, pageSize, after.updatedAt, after.id]);
        const last = rows[0];
        if (!last) return;
        const planned: PlannedPage = { page, after, last: { updatedAt: last.updated_at, id: last.id }, rows: Number(last.n) };
        yield planned;
        if (planned.rows < pageSize) return;
        after = planned.last;
      }
    },

    async readPage(range) {
      const values = range.after === null ? [range.windowStart, range.last.updatedAt, range.last.id] : [range.after.updatedAt, range.after.id, range.last.updatedAt, range.last.id];
      const { rows } = await pool.query<ReturnRow>({ text: range.after === null ? rowsFirst : rowsNext, values, types: timestampsAsText });
      return rows;
    },

    async countWindow(window) {
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE updated_at >= $1 AND updated_at < $2`, [
        window.start,
        window.end,
      ]);
      return Number(rows[0]?.n ?? 0);
    },
  };
}
