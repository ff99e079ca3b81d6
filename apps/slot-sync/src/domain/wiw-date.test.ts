// WIW's RFC 1123 dates (and ISO-8601 with a zone) to ISO-8601 UTC, with the seed's own examples.
import { describe, expect, test } from 'vitest';
import { parseWiwDate, wiwDateToIso } from './wiw-date.ts';

describe('wiwDateToIso', () => {
  test("the seed's examples (RFC 1123 with a +0100 offset) become UTC", () => {
    expect(wiwDateToIso('Mon, 01 Oct 2018 15:27:30 +0100')).toBe('2018-10-01T14:27:30Z');
    expect(wiwDateToIso('Wed, 26 Sep 2018 12:24:58 +0100')).toBe('2018-09-26T11:24:58Z');
    expect(wiwDateToIso('Mon, 08 Oct 2018 00:15:00 +0100')).toBe('2018-10-07T23:15:00Z');
    expect(wiwDateToIso('Sun, 07 Oct 2018 21:00:00 +0100')).toBe('2018-10-07T20:00:00Z');
  });

  test('negative, half-hour and zero offsets, GMT and UTC', () => {
    expect(wiwDateToIso('Mon, 08 May 2023 08:30:00 -0600')).toBe('2023-05-08T14:30:00Z');
    expect(wiwDateToIso('Tue, 09 May 2023 01:00:00 +0530')).toBe('2023-05-08T19:30:00Z');
    expect(wiwDateToIso('Mon, 08 May 2023 23:59:59 +0000')).toBe('2023-05-08T23:59:59Z');
    expect(wiwDateToIso('Mon, 08 May 2023 23:59:59 GMT')).toBe('2023-05-08T23:59:59Z');
    expect(wiwDateToIso('Mon, 08 May 2023 23:59:59 UTC')).toBe('2023-05-08T23:59:59Z');
  });

  test('crossing a year boundary and a leap day', () => {
    expect(wiwDateToIso('Thu, 01 Jan 2026 00:30:00 +0100')).toBe('2025-12-31T23:30:00Z');
    expect(wiwDateToIso('Tue, 29 Feb 2028 23:00:00 -0200')).toBe('2028-03-01T01:00:00Z');
  });

  test('ISO-8601 with a zone is read too (some WIW endpoints and tools send it)', () => {
    expect(wiwDateToIso('2018-09-26T12:30:28+01:00')).toBe('2018-09-26T11:30:28Z');
    expect(wiwDateToIso('2018-09-26T12:30:28.456Z')).toBe('2018-09-26T12:30:28Z');
    expect(wiwDateToIso('2018-09-26T12:30:28-0430')).toBe('2018-09-26T17:00:28Z');
  });

  test('agrees with Date.parse on generated RFC 1123 dates in many zones', () => {
    const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const two = (n: number) => String(n).padStart(2, '0');
    for (let i = 0; i < 500; i++) {
      const ms = Date.UTC(2000, 0, 1) + i * 7_919_999_000;
      const offset = [0, 60, -300, 330, 345, -570, 840][i % 7]!;
      const local = new Date(ms + offset * 60_000);
      const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
      const text = `${days[local.getUTCDay()]}, ${two(local.getUTCDate())} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())} ${zone}`;
      expect(parseWiwDate(text)).toBe(Date.parse(text));
      expect(wiwDateToIso(text)).toBe(new Date(ms).toISOString().replace('.000Z', 'Z'));
    }
  });

  test('refuses what is not a date: garbage, a wrong weekday, impossible days, times or offsets', () => {
    for (const bad of [
      '',
      'yesterday',
      'Mon, 01 Oct 2018',
      'Tue, 01 Oct 2018 15:27:30 +0100', // 1 Oct 2018 was a Monday
      'Thu, 31 Feb 2018 10:00:00 +0000',
      'Mon, 01 Oct 2018 24:00:00 +0000',
      'Mon, 01 Oct 2018 15:27:30 +2500',
      'Mon, 01 Foo 2018 15:27:30 +0100',
      '2018-13-01T00:00:00Z',
      '2018-09-26T12:30:28', // no zone: ambiguous
    ]) {
      expect(Number.isNaN(parseWiwDate(bad)), bad).toBe(true);
      expect(() => wiwDateToIso(bad), bad).toThrow(/not a When I Work date/);
    }
  });
});
