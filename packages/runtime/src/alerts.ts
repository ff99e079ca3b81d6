// Alert state for Teams cards: one card when a problem starts (a job's runs fail for good, a sync
// lags), a reminder while it lasts (at most one per repeat interval, with how often it was seen),
// and one card when it is over. Without this a periodic job that fails every minute during an
// outage posts a card every minute. The state lives in Redis (one hash per alert), so every replica
// and a restarted process share it.
import type { Redis } from 'ioredis';
import { fleetKeys } from './keys.ts';

export interface OpenAlert {
  /** How often the problem was raised since the alert opened (e.g. runs that failed), this time included. */
  count: number;
  /** When it was first raised (ms). */
  sinceMs: number;
}

export interface AlertState {
  /** The problem is (still) there: whether to post a card now, and the alert it belongs to. */
  raise(key: string, atMs: number): Promise<OpenAlert & { notify: boolean }>;
  /** The problem is over: the alert this closes, if one was open. */
  clear(key: string): Promise<OpenAlert | undefined>;
  /** The card `raise(key, atMs)` asked for could not be delivered: the next raise posts one again. */
  undelivered(key: string, atMs: number): Promise<void>;
}

/** An open alert is forgotten after this long without being raised (a job dropped from the catalogue). */
const ALERT_TTL_MS = 30 * 24 * 3_600_000;

const RAISE = `local now = tonumber(ARGV[1])
local repeatMs = tonumber(ARGV[2])
redis.call('HSETNX', KEYS[1], 'since', ARGV[1])
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
local last = redis.call('HGET', KEYS[1], 'card')
local notify = 0
if not last or now - tonumber(last) >= repeatMs then
  redis.call('HSET', KEYS[1], 'card', ARGV[1])
  notify = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {notify, count, redis.call('HGET', KEYS[1], 'since')}`;

const UNDELIVERED = `if redis.call('HGET', KEYS[1], 'card') == ARGV[1] then redis.call('HDEL', KEYS[1], 'card') end
return 0`;

const CLEAR = `local v = redis.call('HMGET', KEYS[1], 'since', 'count')
if not v[1] then return false end
redis.call('DEL', KEYS[1])
return v`;

/**
 * The alerts of a fleet (`fleetKeys(fleetPrefix).alert(name)` each). `repeatMs`: the shortest time
 * between two cards of one open alert (0: a card every time it is raised).
 */
export function createAlertState(redis: Redis, options: { fleetPrefix: string; repeatMs: number }): AlertState {
  const keys = fleetKeys(options.fleetPrefix);
  return {
    async raise(name, atMs) {
      const answer = (await redis.eval(RAISE, 1, keys.alert(name), atMs, options.repeatMs, ALERT_TTL_MS)) as [number, number, string];
      return { notify: answer[0] === 1, count: Number(answer[1]), sinceMs: Number(answer[2]) };
    },
    async undelivered(name, atMs) {
      await redis.eval(UNDELIVERED, 1, keys.alert(name), atMs);
    },
    async clear(name) {
      const answer = (await redis.eval(CLEAR, 1, keys.alert(name))) as [string, string] | null;
      if (!answer) return undefined;
      return { count: Number(answer[1]), sinceMs: Number(answer[0]) };
    },
  };
}
