// When I Work writes dates as RFC 1123 with a numeric offset ("Wed, 26 Sep 2018 12:30:28 +0100");
// we publish them as ISO-8601 in UTC ("2018-09-26T11:30:28Z"). Pure: no I/O.
import { isoUtc } from './window.ts';

const MONTHS = new Map([
  ['Jan', 0], ['Feb', 1], ['Mar', 2], ['Apr', 3], ['May', 4], ['Jun', 5],
  ['Jul', 6], ['Aug', 7], ['Sep', 8], ['Oct', 9], ['Nov', 10], ['Dec', 11],
]);
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

// "Wed, 26 Sep 2018 12:30:28 +0100" (also GMT/UTC/Z instead of the offset, and a 1-digit day).
const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}|GMT|UTC|Z)$/;
// ISO-8601 with a zone, as some WIW endpoints and tools send: 2018-09-26T12:30:28+01:00, ...Z, .123Z
const ISO8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

function offsetMinutes(zone: string): number {
  if (zone === 'GMT' || zone === 'UTC' || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4));
  if (hours > 23 || minutes > 59) return Number.NaN;
  return sign * (hours * 60 + minutes);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Days from 1970-01-01 to a civil date (Howard Hinnant's days-from-civil; month 0-11). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month < 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const m = month + 1;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function utcMs(year: number, month: number, day: number, h: number, m: number, s: number, offset: number): number {
  // NaN fails every comparison: written so that it is refused too
  if (!(month >= 0 && month <= 11 && year >= 0 && year <= 9999 && day >= 1 && h >= 0 && h <= 23 && m >= 0 && m <= 59 && s >= 0 && s <= 60 && !Number.isNaN(offset))) return Number.NaN;
  // 31 Feb is refused, not rolled over into March
  if (day > (month === 1 && isLeap(year) ? 29 : DAYS_IN_MONTH[month]!)) return Number.NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + (h * 3600 + m * 60 + Math.min(s, 59)) * 1000 - offset * 60_000;
}

const DIGIT_0 = 48;
const MONTH_BY_CODE = new Map([...MONTHS].map(([name, index]) => [name.charCodeAt(0) * 65_536 + name.charCodeAt(1) * 256 + name.charCodeAt(2), index]));
const WEEKDAY_CODES = WEEKDAYS.map((day) => day.charCodeAt(0) * 65_536 + day.charCodeAt(1) * 256 + day.charCodeAt(2));

function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
}

/**
 * The form WIW always sends, "Wed, 26 Sep 2018 12:30:28 +0100" (31 characters), read by position:
 * a sync reads several dates per shift. NaN when the text is not exactly that form (the general
 * parser below then decides).
 */
function parseFixedRfc1123(text: string): number {
  if (text.length !== 31 || text.charCodeAt(3) !== 44 || text.charCodeAt(16) !== 32 || text.charCodeAt(19) !== 58 || text.charCodeAt(22) !== 58) return Number.NaN;
  const sign = text.charCodeAt(26);
  if (sign !== 43 && sign !== 45) return Number.NaN; // + -
  const month = MONTH_BY_CODE.get(text.charCodeAt(8) * 65_536 + text.charCodeAt(9) * 256 + text.charCodeAt(10));
  if (month === undefined) return Number.NaN;
  const day = digits(text, 5, 2);
  const offsetH = digits(text, 27, 2);
  const offsetM = digits(text, 29, 2);
  if (offsetH > 23 || offsetM > 59) return Number.NaN;
  const offset = (sign === 45 ? -1 : 1) * (offsetH * 60 + offsetM);
  const ms = utcMs(digits(text, 12, 4), month, day, digits(text, 17, 2), digits(text, 20, 2), digits(text, 23, 2), offset);
  if (Number.isNaN(ms)) return ms;
  // the weekday names the local date (1970-01-01 was a Thursday); a wrong one means a garbled date
  const weekday = (Math.floor((ms + offset * 60_000) / 86_400_000) % 7 + 11) % 7;
  return WEEKDAY_CODES[weekday] === text.charCodeAt(0) * 65_536 + text.charCodeAt(1) * 256 + text.charCodeAt(2) ? ms : Number.NaN;
}

/** Milliseconds since the epoch of a WIW date (RFC 1123, or ISO-8601 with a zone); NaN when it is neither. */
export function parseWiwDate(text: string): number {
  const fixed = parseFixedRfc1123(text);
  if (!Number.isNaN(fixed)) return fixed;
  const rfc = RFC1123.exec(text);
  if (rfc) {
    const month = MONTHS.get(rfc[3]!);
    if (month === undefined) return Number.NaN;
    const ms = utcMs(Number(rfc[4]), month, Number(rfc[2]), Number(rfc[5]), Number(rfc[6]), Number(rfc[7]), offsetMinutes(rfc[8]!));
    // the weekday names the local date; a wrong one means a garbled date
    const localDay = new Date(ms + offsetMinutes(rfc[8]!) * 60_000).getUTCDay();
    return WEEKDAYS[localDay] === rfc[1] ? ms : Number.NaN;
  }
  const iso = ISO8601.exec(text);
  if (iso) {
    return utcMs(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]), Number(iso[4]), Number(iso[5]), Number(iso[6]), offsetMinutes(iso[7]!));
  }
  return Number.NaN;
}

/** A WIW date as ISO-8601 UTC (`2018-09-26T11:30:28Z`); throws on anything that is not a date. */
export function wiwDateToIso(text: string): string {
  const ms = parseWiwDate(text);
  if (Number.isNaN(ms)) throw new RangeError(`not a When I Work date: ${JSON.stringify(text.slice(0, 40))}`);
  return isoUtc(ms);
}
