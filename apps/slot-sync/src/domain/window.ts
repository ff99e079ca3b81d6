// The time window a run covers, and how dates are written on the wire. Pure: no I/O.

const DAY_MS = 86_400_000;

export interface SyncWindow {
  /** Inclusive: 00:00 UTC, `daysPrior` days before today. */
  start: Date;
  /** Exclusive: 00:00 UTC of the day after the last covered day (`daysAhead` days after today). */
  end: Date;
}

/**
 * Whole UTC days: today, `daysPrior` days before it and `daysAhead` days after it. With the
 * defaults (0 and 1): today and tomorrow. (Upstream shifted `now` FORWARD by SYNC_DAYS_PRIOR days,
 * so a "prior" setting moved the start into the future; here it goes back, as its name says.)
 */
export function syncWindow(now: Date, daysPrior: number, daysAhead: number): SyncWindow {
  for (const [name, value] of [['daysPrior', daysPrior], ['daysAhead', daysAhead]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number of days >= 0, got ${value}`);
  }
  const time = now.getTime();
  if (Number.isNaN(time)) throw new RangeError('now is an invalid date');
  const today = Math.floor(time / DAY_MS) * DAY_MS;
  return { start: new Date(today - daysPrior * DAY_MS), end: new Date(today + (daysAhead + 1) * DAY_MS) };
}

/** Does a shift [start, end) overlap the window [start, end)? (What WIW's range query returns.) */
export function overlapsWindow(window: SyncWindow, startMs: number, endMs: number): boolean {
  return startMs < window.end.getTime() && endMs > window.start.getTime();
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** ISO-8601 in UTC to the second, as the seed published it: `2018-10-07T20:00:00Z`. */
export function isoUtc(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999 || Number.isNaN(year)) throw new RangeError(`date out of range: ${ms}`);
  return `${String(year).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}Z`;
}
