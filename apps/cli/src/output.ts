// Rendering for humans: aligned tables, dates, durations. `--json` output bypasses all of this.
import prettyMilliseconds from 'pretty-ms';

/** Where the CLI writes; `process.stdout`/`process.stderr` in main.ts, buffers in tests. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export type Cell = string | number | boolean | null | undefined;

/** A plain text table: a header row, columns separated by two spaces, no trailing blanks. */
export function renderTable(headers: string[], rows: Cell[][]): string {
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

/** `2025-11-23 19:45:01Z` (UTC, to the second). */
export function formatTime(date: Date | null | undefined): string {
  if (!date) return '-';
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** 950 -> `950ms`, 61_000 -> `1m 1s`, 3_723_000 -> `1h 2m`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return prettyMilliseconds(ms, { unitCount: 2, secondsDecimalDigits: 0 });
}

/** First line of a text, cut to `max` characters. */
export function oneLine(text: string | null | undefined, max = 80): string {
  if (!text) return '';
  const first = text.split('\n')[0]!.trim();
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

/** Compact JSON for a table cell (`{"records":3}`), `-` for nothing. */
export function compactJson(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object' && Object.keys(value).length === 0) return '-';
  return JSON.stringify(value);
}
