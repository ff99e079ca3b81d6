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

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : String(n)));

/**
 * ISO-8601 in UTC to the second, as the seed published it: `2018-10-07T20:00:00Z`. Integer
 * arithmetic (Howard Hinnant's civil-from-days), no Date object: a run writes several per shift.
 */
export function isoUtc(ms: number): string {
  if (!(ms >= -62_167_219_200_000 && ms < 253_402_300_800_000)) throw new RangeError(`date out of range: ${ms}`); // years 0000-9999
  const days = Math.floor(ms / 86_400_000);
  const seconds = Math.floor((ms - days * 86_400_000) / 1000);
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const yearText = year >= 1000 ? String(year) : String(year).padStart(4, '0');
  return `${yearText}-${TWO_DIGITS[month]!}-${TWO_DIGITS[day]!}T${TWO_DIGITS[hours]!}:${TWO_DIGITS[minutes]!}:${TWO_DIGITS[seconds % 60]!}Z`;
}
