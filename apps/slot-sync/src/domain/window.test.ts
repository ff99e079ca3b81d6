// Window arithmetic: whole UTC days, SYNC_DAYS_PRIOR going back (upstream went forward), the
// overlap rule, and the ISO-8601 UTC dates sent to WIW and published.
import { describe, expect, test } from 'vitest';
import { isoUtc, overlapsWindow, syncWindow } from './window.ts';

const at = (iso: string): Date => new Date(iso);

describe('syncWindow', () => {
  test('defaults (0 prior, 1 ahead): today and tomorrow, from 00:00 UTC to 00:00 UTC two days later', () => {
    const w = syncWindow(at('2026-03-10T15:42:07.123Z'), 0, 1);
    expect(w.start.toISOString()).toBe('2026-03-10T00:00:00.000Z');
    expect(w.end.toISOString()).toBe('2026-03-12T00:00:00.000Z');
  });

  test('SYNC_DAYS_PRIOR goes back in time, not forward (the seed shifted now FORWARD by it)', () => {
    const w = syncWindow(at('2026-03-10T15:42:07Z'), 3, 0);
    expect(w.start.toISOString()).toBe('2026-03-07T00:00:00.000Z');
    expect(w.end.toISOString()).toBe('2026-03-11T00:00:00.000Z');
    expect(w.start.getTime()).toBeLessThan(at('2026-03-10T00:00:00Z').getTime());
  });

  test('prior and ahead together; the window always spans prior + ahead + 1 days', () => {
    for (const [prior, ahead] of [[0, 0], [1, 1], [2, 5], [30, 30]] as const) {
      const w = syncWindow(at('2026-12-31T23:59:59.999Z'), prior, ahead);
      expect((w.end.getTime() - w.start.getTime()) / 86_400_000).toBe(prior + ahead + 1);
    }
  });

  test('the first and last millisecond of a day fall in the same window', () => {
    expect(syncWindow(at('2026-03-10T00:00:00.000Z'), 0, 1)).toEqual(syncWindow(at('2026-03-10T23:59:59.999Z'), 0, 1));
    expect(syncWindow(at('2026-03-11T00:00:00.000Z'), 0, 1).start.toISOString()).toBe('2026-03-11T00:00:00.000Z');
  });

  test('month, year and leap-day boundaries', () => {
    expect(syncWindow(at('2028-03-01T08:00:00Z'), 1, 0).start.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(syncWindow(at('2026-12-31T08:00:00Z'), 0, 1).end.toISOString()).toBe('2027-01-02T00:00:00.000Z');
    expect(syncWindow(at('2027-01-01T00:30:00Z'), 1, 0).start.toISOString()).toBe('2026-12-31T00:00:00.000Z');
  });

  test('refuses negative, fractional and invalid input', () => {
    expect(() => syncWindow(at('2026-03-10T00:00:00Z'), -1, 1)).toThrow(/daysPrior/);
    expect(() => syncWindow(at('2026-03-10T00:00:00Z'), 0, 1.5)).toThrow(/daysAhead/);
    expect(() => syncWindow(new Date(Number.NaN), 0, 1)).toThrow(/invalid date/);
  });
});

describe('overlapsWindow', () => {
  const w = syncWindow(at('2026-03-10T12:00:00Z'), 0, 0); // [10th 00:00, 11th 00:00)
  const ms = (iso: string) => at(iso).getTime();
  test('a shift overlapping the window in any way is in it; touching an edge is not', () => {
    expect(overlapsWindow(w, ms('2026-03-10T08:00:00Z'), ms('2026-03-10T16:00:00Z'))).toBe(true);
    expect(overlapsWindow(w, ms('2026-03-09T22:00:00Z'), ms('2026-03-10T02:00:00Z'))).toBe(true); // started the day before
    expect(overlapsWindow(w, ms('2026-03-10T22:00:00Z'), ms('2026-03-11T06:00:00Z'))).toBe(true); // ends the day after
    expect(overlapsWindow(w, ms('2026-03-09T20:00:00Z'), ms('2026-03-10T00:00:00Z'))).toBe(false); // ends at the start
    expect(overlapsWindow(w, ms('2026-03-11T00:00:00Z'), ms('2026-03-11T08:00:00Z'))).toBe(false); // starts at the end
  });
});

describe('isoUtc', () => {
  test('ISO-8601 in UTC to the second, with Z, as the seed published', () => {
    expect(isoUtc(Date.UTC(2018, 9, 7, 20, 0, 0))).toBe('2018-10-07T20:00:00Z');
    expect(isoUtc(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe('2026-01-02T03:04:05Z');
    expect(isoUtc(0)).toBe('1970-01-01T00:00:00Z');
  });
  test('agrees with Date.toISOString over four centuries, before and after 1970', () => {
    for (let ms = Date.UTC(1890, 0, 1); ms < Date.UTC(2300, 0, 1); ms += 86_399_999 * 37 + 12_345) {
      expect(isoUtc(ms)).toBe(new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    }
    expect(isoUtc(Date.UTC(2000, 1, 29, 23, 59, 59))).toBe('2000-02-29T23:59:59Z');
    expect(isoUtc(Date.UTC(999, 11, 31))).toBe('0999-12-31T00:00:00Z');
  });
  test('refuses dates it cannot write in four digits', () => {
    expect(() => isoUtc(Date.UTC(10_000, 0, 1))).toThrow(/out of range/);
    expect(() => isoUtc(Number.NaN)).toThrow(/out of range/);
  });
});
