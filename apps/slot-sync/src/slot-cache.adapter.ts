// The slot cache in Redis: `<prefix><id>` holds the hashes of the shift as last published (see
// `cacheEntry`; TTL EXPIRE_CACHE). Two sorted sets say when the shifts we published start
// (`<prefix>index`, score = start time in ms) and end (`<prefix>index:end`, score = end time), so
// that a shift WIW no longer returns for a window can be found among those that overlap it, as WIW's
// own range query does (an overnight shift that started the day before included).
// Every call is a few commands per thousand shifts (a script, MGET, a pipeline), never one round
// trip per shift.
import type { Redis } from 'ioredis';
import type { SyncWindow } from './domain/window.ts';

export interface CachedSlot {
  id: number;
  /** The cache entry (`cacheEntry(...)`). */
  value: string;
  startMs: number;
  endMs: number;
}

export interface SlotCache {
  readonly prefix: string;
  /**
   * Compares shifts with the cache, in Redis: `shortcuts[i]` is the first token of the entry that
   * shift `ids[i]` would have (`cacheEntry`'s bytes hash; '' to compare nothing). The answer has, for
   * each shift, `undefined` when its cached entry starts with that token (its bytes did not change),
   * `null` when it is not cached, and the cached entry otherwise (to compare canonical hashes).
   * With `refresh`, every entry read gets its full TTL again (not in dry runs).
   */
  compare(ids: readonly number[], shortcuts: readonly string[], options: { refresh: boolean }): Promise<Array<string | null | undefined>>;
  /** Records shifts as published (only ever after Kafka acknowledged them). */
  write(entries: readonly CachedSlot[]): Promise<void>;
  /** Forgets shifts (after their tombstones were acknowledged). */
  remove(ids: readonly number[]): Promise<void>;
  /**
   * Ids of the cached shifts that overlap the window (start < window end, end > window start), and
   * of those that start inside it: entries written before the end index existed have no end time.
   */
  idsOverlapping(window: SyncWindow): Promise<number[]>;
  /**
   * Drops the index entries of shifts that started (start index) or ended (end index) before
   * `beforeMs`, long out of any window; returns how many entries were dropped.
   */
  pruneIndex(beforeMs: number): Promise<number>;
}

const CHUNK = 5000;
/** Keys per compare call: a script blocks Redis while it runs (about a millisecond per thousand keys). */
const COMPARE_CHUNK = 1000;

/**
 * GETEX (or GET, ARGV[1] = 0) of every key, compared with its shortcut token (ARGV[i + 1]) inside
 * Redis: one call per thousand keys instead of one command per key, and an answer that only lists
 * the keys that differ, as pairs (position, entry; '' for a missing key). What costs most is the
 * client's work per command and per value decoded: both shrink to almost nothing for unchanged
 * shifts. Keys of other Redis Cluster slots would need a hash tag in the prefix (`{slots}:`).
 */
const COMPARE = `local ttl = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local v
  if ttl > 0 then v = redis.call('GETEX', key, 'EX', ttl) else v = redis.call('GET', key) end
  local token = ARGV[i + 1]
  if not v then
    out[#out + 1] = i
    out[#out + 1] = ''
  elseif token == '' or string.sub(v, 1, #token + 1) ~= token .. ' ' then
    out[#out + 1] = i
    out[#out + 1] = v
  end
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
  const endIndexKey = `${prefix}index:end`;
  const key = (id: number): string => `${prefix}${id}`;

  /** Every chunk's call is sent at once (ioredis pipelines them on its connection), then awaited. */
  const compare: SlotCache['compare'] = async (ids, shortcuts, { refresh }) => {
    if (ids.length !== shortcuts.length) throw new Error('compare: one shortcut token per id');
    const out = new Array<string | null | undefined>(ids.length);
    const calls: Array<Promise<void>> = [];
    for (let from = 0; from < ids.length; from += COMPARE_CHUNK) {
      const to = Math.min(ids.length, from + COMPARE_CHUNK);
      const args: Array<string | number> = [];
      for (let k = from; k < to; k++) args.push(key(ids[k]!));
      args.push(refresh ? ttlSeconds : 0);
      for (let k = from; k < to; k++) args.push(shortcuts[k]!);
      calls.push(
        redis.eval(COMPARE, to - from, ...args).then((answer) => {
          if (!Array.isArray(answer) || answer.length % 2 !== 0) throw new Error('redis compare: unexpected answer to the cache script');
          for (let j = 0; j < answer.length; j += 2) {
            const position = Number(answer[j]);
            const raw: unknown = answer[j + 1];
            const entry = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString() : '';
            if (!(position >= 1 && position <= to - from)) throw new Error('redis compare: unexpected position in the answer');
            out[from + position - 1] = entry === '' ? null : entry;
          }
        }),
      );
    }
    await Promise.all(calls);
    return out;
  };

  return {
    prefix,
    compare,
    async write(entries) {
      for (let i = 0; i < entries.length; i += CHUNK) {
        const pipeline = redis.pipeline();
        const slice = entries.slice(i, i + CHUNK);
        const starts: Array<number | string> = [];
        const ends: Array<number | string> = [];
        for (const entry of slice) {
          pipeline.set(key(entry.id), entry.value, 'EX', ttlSeconds);
          starts.push(entry.startMs, String(entry.id));
          ends.push(entry.endMs, String(entry.id));
        }
        if (slice.length > 0) pipeline.zadd(indexKey, ...starts).zadd(endIndexKey, ...ends);
        check(await pipeline.exec(), 'write');
      }
    },
    async remove(ids) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const slice = ids.slice(i, i + CHUNK);
        if (slice.length === 0) continue;
        const pipeline = redis.pipeline();
        pipeline.del(...slice.map(key));
        const members = slice.map(String);
        pipeline.zrem(indexKey, ...members).zrem(endIndexKey, ...members);
        check(await pipeline.exec(), 'remove');
      }
    },
    async idsOverlapping(window) {
      const startMs = window.start.getTime();
      const endMs = window.end.getTime();
      const [startingIn, endingAfterStart] = check<string[]>(
        await redis.pipeline().zrangebyscore(indexKey, startMs, `(${endMs}`).zrangebyscore(endIndexKey, `(${startMs}`, '+inf').exec(),
        'idsOverlapping',
      );
      const found = new Set(startingIn);
      // Of the shifts that end after the window starts, those that also start before it ends: most
      // of them started inside it (found already); the rest started before it, or after it.
      const others = endingAfterStart!.filter((id) => !found.has(id));
      if (others.length > 0) {
        const pipeline = redis.pipeline();
        for (let i = 0; i < others.length; i += CHUNK) pipeline.zmscore(indexKey, ...others.slice(i, i + CHUNK));
        const starts = check<Array<string | null>>(await pipeline.exec(), 'idsOverlapping').flat();
        others.forEach((id, i) => {
          const start = starts[i] ?? null;
          // no start score: pruned, so it started long before the window (and ends after its start)
          if (start === null || Number(start) < endMs) found.add(id);
        });
      }
      return [...found].map(Number);
    },
    async pruneIndex(beforeMs) {
      const removed = check<number>(
        await redis.pipeline().zremrangebyscore(indexKey, '-inf', `(${beforeMs}`).zremrangebyscore(endIndexKey, '-inf', `(${beforeMs}`).exec(),
        'pruneIndex',
      );
      return removed.reduce((sum, n) => sum + n, 0);
    },
  };
}
