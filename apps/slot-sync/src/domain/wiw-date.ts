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

function utcMs(year: number, month: number, day: number, h: number, m: number, s: number, offset: number): number {
  if (month < 0 || month > 11 || day < 1 || h > 23 || m > 59 || s > 60 || Number.isNaN(offset)) return Number.NaN;
  const local = Date.UTC(year, month, day, h, m, Math.min(s, 59));
  // Date.UTC rolls 31 Feb over into March: refuse it instead
  if (new Date(local).getUTCDate() !== day) return Number.NaN;
  return local - offset * 60_000;
}

/** Milliseconds since the epoch of a WIW date (RFC 1123, or ISO-8601 with a zone); NaN when it is neither. */
export function parseWiwDate(text: string): number {
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
