// Failure alerts: one Teams card when a job starts failing, a reminder while it keeps failing (at
// most one per repeat interval, with the number of failed runs), and one card when it succeeds
// again. Without this a periodic job that fails every minute during an outage posts a card every
// minute. The state lives in Redis (one hash per job), so every replica and a restarted worker
// share it.
import type { Redis } from 'ioredis';

export interface OpenAlert {
  /** Runs of the job that failed for good since the alert opened, this one included. */
  failedRuns: number;
  /** When the first of them failed (ms). */
  sinceMs: number;
}

export interface FailureAlerts {
  /** A run of the job failed for good: whether to post a card now, and the alert it belongs to. */
  failed(jobName: string, atMs: number): Promise<OpenAlert & { notify: boolean }>;
  /** A run of the job succeeded: the alert this closes, if one was open. */
  succeeded(jobName: string): Promise<OpenAlert | undefined>;
}

/** An open alert is forgotten after this long without a failure (a job dropped from the catalogue). */
const ALERT_TTL_MS = 30 * 24 * 3_600_000;

const FAILED = `local now = tonumber(ARGV[1])
local repeatMs = tonumber(ARGV[2])
redis.call('HSETNX', KEYS[1], 'since', ARGV[1])
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local last = redis.call('HGET', KEYS[1], 'card')
local notify = 0
if not last or now - tonumber(last) >= repeatMs then
  redis.call('HSET', KEYS[1], 'card', ARGV[1])
  notify = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {notify, failures, redis.call('HGET', KEYS[1], 'since')}`;

const SUCCEEDED = `local v = redis.call('HMGET', KEYS[1], 'since', 'failures')
if not v[1] then return false end
redis.call('DEL', KEYS[1])
return v`;

/**
 * `repeatMs`: the shortest time between two cards of one open alert (0: a card for every failed
 * run). `key(jobName)` names the job's hash.
 */
export function createFailureAlerts(redis: Redis, options: { repeatMs: number; key: (jobName: string) => string }): FailureAlerts {
  return {
    async failed(jobName, atMs) {
      const answer = (await redis.eval(FAILED, 1, options.key(jobName), atMs, options.repeatMs, ALERT_TTL_MS)) as [number, number, string];
      return { notify: answer[0] === 1, failedRuns: Number(answer[1]), sinceMs: Number(answer[2]) };
    },
    async succeeded(jobName) {
      const answer = (await redis.eval(SUCCEEDED, 1, options.key(jobName))) as [string, string] | null;
      if (!answer) return undefined;
      return { failedRuns: Number(answer[1]), sinceMs: Number(answer[0]) };
    },
  };
}
