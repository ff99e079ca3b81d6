// A When I Work shift as we publish it (a "slot"), its canonical JSON and the hash the cache keeps.
// Pure: no I/O.
import { hash } from 'node:crypto';
import { parseWiwDate } from './wiw-date.ts';
import { isoUtc } from './window.ts';

/**
 * The published fields: the seed's (upstream's Avro value schema), with ids as 64-bit longs, dates
 * as ISO-8601 UTC, `break_time` in hours as WIW sends it (a double: 0.5 is half an hour) and
 * `linked_users` as WIW's list of user ids (null: every user may take the open shift).
 * Keys are declared, and always built, in sorted order: `JSON.stringify` of a Slot is its canonical JSON.
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
  | { ok: true; slot: Slot; startMs: number }
  /** `id` when the shift had a usable one (so the log can name it). */
  | { ok: false; id: number | undefined; reason: string };

class InvalidShift extends Error {}

type Raw = Record<string, unknown>;

function integer(raw: Raw, field: string): number {
  const value = raw[field];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new InvalidShift(`${field} is not an integer`);
  return value;
}

function flag(raw: Raw, field: string): boolean {
  const value = raw[field];
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new InvalidShift(`${field} is not a boolean`);
}

function text(raw: Raw, field: string): string {
  const value = raw[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new InvalidShift(`${field} is not a string`);
  return value;
}

// Shifts of one sync share most of their start and end times (quarter hours): convert each once.
const dateCache = new Map<string, number>();
const DATE_CACHE_LIMIT = 50_000;

function dateMs(value: string, field: string): number {
  let ms = dateCache.get(value);
  if (ms === undefined) {
    ms = parseWiwDate(value);
    if (dateCache.size >= DATE_CACHE_LIMIT) dateCache.clear();
    dateCache.set(value, ms);
  }
  if (Number.isNaN(ms)) throw new InvalidShift(`${field} is not a date`);
  return ms;
}

function requiredDate(raw: Raw, field: string): number {
  const value = raw[field];
  if (typeof value !== 'string' || value === '') throw new InvalidShift(`${field} is missing`);
  return dateMs(value, field);
}

function optionalDate(raw: Raw, field: string): string | null {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new InvalidShift(`${field} is not a date`);
  return isoUtc(dateMs(value, field));
}

function userIds(raw: Raw, field: string): number[] | null {
  const value = raw[field];
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
    const startMs = requiredDate(raw, 'start_time');
    const endMs = requiredDate(raw, 'end_time');
    if (endMs < startMs) throw new InvalidShift('end_time is before start_time');
    const breakTime = raw.break_time ?? 0;
    if (typeof breakTime !== 'number' || !Number.isFinite(breakTime)) throw new InvalidShift('break_time is not a number');
    const acknowledged = raw.acknowledged;
    // WIW sends 0/1 (documented as a boolean): published as the seed's long
    const acknowledgedLong = acknowledged === true || acknowledged === 1 ? 1 : acknowledged === undefined || acknowledged === null || acknowledged === false || acknowledged === 0 ? 0 : Number.NaN;
    if (Number.isNaN(acknowledgedLong)) throw new InvalidShift('acknowledged is not 0/1');
    // sorted key order (see Slot)
    const slot: Slot = {
      account_id: integer(raw, 'account_id'),
      acknowledged: acknowledgedLong,
      acknowledged_at: optionalDate(raw, 'acknowledged_at'),
      actionable: flag(raw, 'actionable'),
      alerted: flag(raw, 'alerted'),
      block_id: integer(raw, 'block_id'),
      break_time: breakTime,
      color: text(raw, 'color'),
      created_at: isoUtc(requiredDate(raw, 'created_at')),
      creator_id: integer(raw, 'creator_id'),
      end_time: isoUtc(endMs),
      id,
      instances: integer(raw, 'instances'),
      is_open: flag(raw, 'is_open'),
      linked_users: userIds(raw, 'linked_users'),
      location_id: integer(raw, 'location_id'),
      notes: text(raw, 'notes'),
      notified_at: optionalDate(raw, 'notified_at'),
      position_id: integer(raw, 'position_id'),
      published: flag(raw, 'published'),
      published_date: optionalDate(raw, 'published_date'),
      shiftchain_key: text(raw, 'shiftchain_key'),
      site_id: integer(raw, 'site_id'),
      start_time: isoUtc(startMs),
      updated_at: isoUtc(requiredDate(raw, 'updated_at')),
      user_id: integer(raw, 'user_id'),
    };
    return { ok: true, slot, startMs };
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

/**
 * The hash of a slot's canonical JSON that the cache keeps (SHA-256, base64url). A Slot built by
 * `slotFromWiwShift` has its keys in sorted order and flat values, so `JSON.stringify` already
 * gives its canonical JSON (a unit test holds this); anything else goes through `canonicalJson`.
 */
export function slotHash(slot: Slot, alreadyCanonical = true): string {
  return hash('sha256', alreadyCanonical ? JSON.stringify(slot) : canonicalJson(slot), 'base64url');
}
