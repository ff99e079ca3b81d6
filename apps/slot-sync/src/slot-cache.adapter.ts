// The slot cache in Redis: `<prefix><id>` holds the hash of the shift as last published (TTL
// EXPIRE_CACHE), and `<prefix>index` (a sorted set, score = start time in ms) says which shifts we
// published start when, so that a shift WIW no longer returns inside the window can be found.
// Every call is one pipelined round trip per chunk of ids, never one per shift.
import type { Redis } from 'ioredis';
import type { SyncWindow } from './domain/window.ts';

export interface CachedSlot {
  id: number;
  hash: string;
  startMs: number;
}

export interface SlotCache {
  readonly prefix: string;
  /** The hash cached for each id (null: not cached), and every entry found gets its full TTL again. */
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

  const readChunked = async (ids: readonly number[], refresh: boolean): Promise<Array<string | null>> => {
    const out: Array<string | null> = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const pipeline = redis.pipeline();
      const end = Math.min(ids.length, i + CHUNK);
      for (let k = i; k < end; k++) {
        if (refresh) pipeline.getex(key(ids[k]!), 'EX', ttlSeconds);
        else pipeline.get(key(ids[k]!));
      }
      for (const value of check<string | null>(await pipeline.exec(), 'read')) out.push(value);
    }
    return out;
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
          pipeline.set(key(entry.id), entry.hash, 'EX', ttlSeconds);
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
