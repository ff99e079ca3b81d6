// A When I Work shift as we publish it (a "slot"), its canonical JSON and the hash the cache keeps.
// Pure: no I/O.
import { hash } from 'node:crypto';
import { parseWiwDate } from './wiw-date.ts';
import { isoUtc } from './window.ts';

/**
 * The published fields: the seed's (upstream's Avro value schema), with ids as 64-bit longs, dates
 * as ISO-8601 UTC, `break_time` in hours as WIW sends it (a double: 0.5 is half an hour) and
 * `linked_users` as WIW's list of user ids (null: every user may take the open shift).
 * Keys are declared in sorted order, as `slotFromWiwShift` writes them.
 */
export interface Slot {
  account_id: number;
  acknowledged: number;
  acknowledged_at: string | null;
  actionable: boolean;
  alerted: boolean;
  block_id: number;
  break_time: number;
  color: string;
  created_at: string;
  creator_id: number;
  end_time: string;
  id: number;
  instances: number;
  is_open: boolean;
  linked_users: number[] | null;
  location_id: number;
  notes: string;
  notified_at: string | null;
  position_id: number;
  published: boolean;
  published_date: string | null;
  shiftchain_key: string;
  site_id: number;
  start_time: string;
  updated_at: string;
  user_id: number;
}

export type SlotResult =
  /** `json`: the slot's canonical JSON (what is hashed, and what is published). */
  | { ok: true; id: number; json: string; startMs: number; endMs: number }
  /** `id` when the shift had a usable one (so the log can name it). */
  | { ok: false; id: number | undefined; reason: string };

class InvalidShift extends Error {}

type Raw = Record<string, unknown>;

// The helpers take the value, read by name at the call site (a fast, monomorphic property load:
// every shift of a response has the same shape) rather than by a computed key.
function integer(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new InvalidShift(`${field} is not an integer`);
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new InvalidShift(`${field} is not a boolean`);
}

function text(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new InvalidShift(`${field} is not a string`);
  return value;
}

function dateMs(value: string, field: string): number {
  const ms = parseWiwDate(value);
  if (Number.isNaN(ms)) throw new InvalidShift(`${field} is not a date`);
  return ms;
}

function requiredDate(value: unknown, field: string): number {
  if (typeof value !== 'string' || value === '') throw new InvalidShift(`${field} is missing`);
  return dateMs(value, field);
}

function optionalDate(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new InvalidShift(`${field} is not a date`);
  return isoUtc(dateMs(value, field));
}

function userIds(value: unknown, field: string): number[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
    throw new InvalidShift(`${field} is not a list of user ids`);
  }
  return value as number[];
}

/** The slot a WIW shift publishes as, or why it cannot be published (a garbled shift is skipped, not fatal). */
export function slotFromWiwShift(input: unknown): SlotResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, id: undefined, reason: 'not an object' };
  const raw = input as Raw;
  const id = raw.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return { ok: false, id: undefined, reason: 'id is not a positive integer' };
  try {
    const startMs = requiredDate(raw.start_time, 'start_time');
    const endMs = requiredDate(raw.end_time, 'end_time');
    if (endMs < startMs) throw new InvalidShift('end_time is before start_time');
    const breakTime = raw.break_time ?? 0;
    if (typeof breakTime !== 'number' || !Number.isFinite(breakTime)) throw new InvalidShift('break_time is not a number');
    const acknowledged = raw.acknowledged;
    // WIW sends 0/1 (documented as a boolean): published as the seed's long
    const acknowledgedLong = acknowledged === true || acknowledged === 1 ? 1 : acknowledged === undefined || acknowledged === null || acknowledged === false || acknowledged === 0 ? 0 : Number.NaN;
    if (Number.isNaN(acknowledgedLong)) throw new InvalidShift('acknowledged is not 0/1');
    // The canonical JSON, written field by field in sorted key order (no Slot object is built: most
    // shifts are unchanged, and only their hash is needed). Dates are ours (ISO, nothing to escape);
    // WIW's own strings go through JSON.stringify.
    const acknowledgedAt = optionalDate(raw.acknowledged_at, 'acknowledged_at');
    const notifiedAt = optionalDate(raw.notified_at, 'notified_at');
    const publishedDate = optionalDate(raw.published_date, 'published_date');
    const linkedUsers = userIds(raw.linked_users, 'linked_users');
    const json =
      `{"account_id":${integer(raw.account_id, 'account_id')},"acknowledged":${acknowledgedLong}` +
      `,"acknowledged_at":${acknowledgedAt === null ? 'null' : `"${acknowledgedAt}"`}` +
      `,"actionable":${flag(raw.actionable, 'actionable')},"alerted":${flag(raw.alerted, 'alerted')},"block_id":${integer(raw.block_id, 'block_id')}` +
      `,"break_time":${JSON.stringify(breakTime)},"color":${JSON.stringify(text(raw.color, 'color'))}` +
      `,"created_at":"${isoUtc(requiredDate(raw.created_at, 'created_at'))}","creator_id":${integer(raw.creator_id, 'creator_id')}` +
      `,"end_time":"${isoUtc(endMs)}","id":${id},"instances":${integer(raw.instances, 'instances')},"is_open":${flag(raw.is_open, 'is_open')}` +
      `,"linked_users":${linkedUsers === null ? 'null' : JSON.stringify(linkedUsers)},"location_id":${integer(raw.location_id, 'location_id')}` +
      `,"notes":${JSON.stringify(text(raw.notes, 'notes'))},"notified_at":${notifiedAt === null ? 'null' : `"${notifiedAt}"`}` +
      `,"position_id":${integer(raw.position_id, 'position_id')},"published":${flag(raw.published, 'published')}` +
      `,"published_date":${publishedDate === null ? 'null' : `"${publishedDate}"`}` +
      `,"shiftchain_key":${JSON.stringify(text(raw.shiftchain_key, 'shiftchain_key'))},"site_id":${integer(raw.site_id, 'site_id')}` +
      `,"start_time":"${isoUtc(startMs)}","updated_at":"${isoUtc(requiredDate(raw.updated_at, 'updated_at'))}","user_id":${integer(raw.user_id, 'user_id')}}`;
    return { ok: true, id, json, startMs, endMs };
  } catch (error) {
    if (error instanceof InvalidShift) return { ok: false, id, reason: error.message };
    throw error;
  }
}

/**
 * JSON with every object's keys in sorted order (recursively), no whitespace: two values that are
 * equal as data give the same text whatever order their keys came in. `undefined` members are
 * dropped (as JSON.stringify does); numbers that JSON cannot hold are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}

/** The slot a canonical JSON text (from `slotFromWiwShift`) stands for. */
export function parseSlot(json: string): Slot {
  return JSON.parse(json) as Slot;
}

/** The hash the cache keeps of a slot's canonical JSON (SHA-1, base64url: change detection, not security). */
export function slotHash(canonical: string): string {
  return hash('sha1', canonical, 'base64url');
}

/**
 * Which version of `slotFromWiwShift` the cache's shortcut was computed with: bump it whenever what
 * a shift publishes as changes, so that every shift goes through the canonical comparison again
 * (the changed ones are then republished) instead of being skipped on unchanged bytes. Bumping it
 * also has every cache entry written again (the unchanged ones without a publish): 2 did so to give
 * the entries of version 1 their end time in the cache's end index.
 */
export const SLOT_FORMAT_VERSION = 2;

/** The hash of the bytes WIW sent for a shift (the cache's shortcut: same bytes, same format, same slot). */
export function bytesHash(bytes: Uint8Array): string {
  return `v${SLOT_FORMAT_VERSION}.${hash('sha1', bytes, 'base64url')}`;
}

/**
 * What the cache keeps for a shift: the hash of WIW's bytes for it, then the hash of its canonical
 * JSON. The second decides whether the shift changed; the first only spares parsing a shift whose
 * bytes did not change at all (most of them, every run).
 */
export function cacheEntry(bytesHashValue: string, canonicalHash: string): string {
  return `${bytesHashValue} ${canonicalHash}`;
}

export function readCacheEntry(value: string | null | undefined): { bytes: string | undefined; canonical: string | undefined } {
  if (value === null || value === undefined) return { bytes: undefined, canonical: undefined };
  const space = value.indexOf(' ');
  // an entry of only a canonical hash is compared on it alone
  return space < 0 ? { bytes: undefined, canonical: value } : { bytes: value.slice(0, space), canonical: value.slice(space + 1) };
}
