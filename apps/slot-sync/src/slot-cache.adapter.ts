// The slot cache in Redis: `<prefix><id>` holds the hashes of the shift as last published (see
// `cacheEntry`; TTL EXPIRE_CACHE), and `<prefix>index` (a sorted set, score = start time in ms) says which shifts we
// published start when, so that a shift WIW no longer returns inside the window can be found.
// Every call is a few commands per thousand shifts (a script, MGET, a pipeline), never one round
// trip per shift.
import type { Redis } from 'ioredis';
import type { SyncWindow } from './domain/window.ts';

export interface CachedSlot {
  id: number;
  /** The cache entry (`cacheEntry(...)`). */
  value: string;
  startMs: number;
}

export interface SlotCache {
  readonly prefix: string;
  /** The entry cached for each id (null: not cached), and every entry found gets its full TTL again. */
  readAndRefresh(ids: readonly number[]): Promise<Array<string | null>>;
  /** The same without touching the TTLs (dry runs). */
  read(ids: readonly number[]): Promise<Array<string | null>>;
  /** Records shifts as published (only ever after Kafka acknowledged them). */
  write(entries: readonly CachedSlot[]): Promise<void>;
  /** Forgets shifts (after their tombstones were acknowledged). */
  remove(ids: readonly number[]): Promise<void>;
  /** Ids of the cached shifts that start inside the window. */
  idsStartingIn(window: SyncWindow): Promise<number[]>;
  /** Drops index entries of shifts that started before `beforeMs` (long out of any window). */
  pruneIndex(beforeMs: number): Promise<number>;
}

const CHUNK = 5000;
/** Keys per read call: a script blocks Redis while it runs (about a millisecond per thousand keys). */
const READ_CHUNK = 1000;

/**
 * GETEX of every key (the value, and the key's TTL renewed) in one call: one command per thousand
 * keys instead of one per key, which is what costs the client most. A missing key reads as ''
 * (Lua cannot hold nil in an array). Keys of other Redis Cluster slots would need a hash tag in
 * the prefix (`{slots}:`).
 */
const READ_AND_REFRESH = `local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('GETEX', key, 'EX', ARGV[1]) or ''
end
return out`;

function check<T>(results: Array<[Error | null, unknown]> | null, what: string): T[] {
  if (!results) throw new Error(`redis ${what}: the pipeline was not executed`);
  return results.map(([error, value]) => {
    if (error) throw error;
    return value as T;
  });
}

export function createSlotCache(redis: Redis, options: { prefix: string; ttlSeconds: number }): SlotCache {
  const { prefix, ttlSeconds } = options;
  const indexKey = `${prefix}index`;
  const key = (id: number): string => `${prefix}${id}`;

  /** Every chunk's call is sent at once (ioredis pipelines them on its connection), then awaited. */
  const readChunked = async (ids: readonly number[], refresh: boolean): Promise<Array<string | null>> => {
    const calls: Array<Promise<Array<string | null>>> = [];
    for (let i = 0; i < ids.length; i += READ_CHUNK) {
      const keys: string[] = [];
      for (let k = i; k < Math.min(ids.length, i + READ_CHUNK); k++) keys.push(key(ids[k]!));
      calls.push(
        refresh
          ? redis.eval(READ_AND_REFRESH, keys.length, ...keys, ttlSeconds).then((values) => {
              if (!Array.isArray(values) || values.length !== keys.length) throw new Error('redis read: unexpected answer to the cache script');
              return values.map((value: unknown) => (typeof value === 'string' && value !== '' ? value : Buffer.isBuffer(value) && value.length > 0 ? value.toString() : null));
            })
          : redis.mget(keys),
      );
    }
    return (await Promise.all(calls)).flat();
  };

  return {
    prefix,
    readAndRefresh: (ids) => readChunked(ids, true),
    read: (ids) => readChunked(ids, false),
    async write(entries) {
      for (let i = 0; i < entries.length; i += CHUNK) {
        const pipeline = redis.pipeline();
        const slice = entries.slice(i, i + CHUNK);
        const scored: Array<number | string> = [];
        for (const entry of slice) {
          pipeline.set(key(entry.id), entry.value, 'EX', ttlSeconds);
          scored.push(entry.startMs, String(entry.id));
        }
        if (scored.length > 0) pipeline.zadd(indexKey, ...scored);
        check(await pipeline.exec(), 'write');
      }
    },
    async remove(ids) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const slice = ids.slice(i, i + CHUNK);
        if (slice.length === 0) continue;
        const pipeline = redis.pipeline();
        pipeline.del(...slice.map(key));
        pipeline.zrem(indexKey, ...slice.map(String));
        check(await pipeline.exec(), 'remove');
      }
    },
    async idsStartingIn(window) {
      const members = await redis.zrangebyscore(indexKey, window.start.getTime(), `(${window.end.getTime()}`);
      return members.map(Number);
    },
    async pruneIndex(beforeMs) {
      return redis.zremrangebyscore(indexKey, '-inf', `(${beforeMs}`);
    },
  };
}
